//! Direct user assignments and unassignments of one app, several writes in
//! one transaction: what the group-commit batcher (`group_commit.rs`) runs.
//!
//! **Assign** keeps the app's row lock short. Everything that does not need
//! the lock happens before it: the users' share locks (with their directory
//! state), an *estimate* of the app's assignments and licenses for those
//! users, the webhook subscriptions and the audit rows. Then, under the lock,
//! four statements:
//!
//! 1. `UPDATE apps SET assigned_seats = assigned_seats + n WHERE … AND
//!    assigned_seats + n <= purchased_seats RETURNING *` — takes the lock,
//!    checks the seats and moves the counter at once;
//! 2. the app's terms (subscription state, low-seat threshold);
//! 3. the new assignments, one multi-row INSERT;
//! 4. the new licenses, one multi-row INSERT, which on PostgreSQL also
//!    writes the batch's webhook events (`events::pg_carrying`; recorded
//!    just before it, so they roll back if the estimate fails);
//!
//! and COMMIT. Every step checks that the estimate still holds: the UPDATE
//! matches no row (seats short, app gone), the terms refuse assignments, an
//! INSERT hits a row another writer added meanwhile (unique violation), or
//! a waiting user was promoted or a held license revoked meanwhile. Then the
//! transaction is rolled back and the caller falls back to the exact path
//! (`Store::assign_licenses_exact`, lock first, each write on its own), so
//! every write still gets the answer and typed error it would get alone.
//! On SQLite `BEGIN IMMEDIATE` makes the estimate exact.
//!
//! **Unassign** cannot be refused by the seat rule, so its batch is exact:
//! it locks the app first and runs the engine once for all writes' users.
//!
//! Writes are evaluated in order: a user named by two writes is assigned
//! (or unassigned) by the first; the second sees it done.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::engine;
use super::{AssignmentRow, LicenseChange, LicenseChanges};
use crate::apps::AppRow;
use crate::audit::{self, AuditAction, Entry, Target};
use crate::db::{Conn, Store, insert_rows, on_conn};
use crate::error::{CoreError, CoreResult, EntityKind};
use crate::events;
use crate::ids::*;
use crate::locks;
use crate::model::{Actor, App, LicenseErrorCode, LicenseState, now};
use crate::schema::{apps, license_assignments, user_licenses};
use crate::stored::StoredEnum;

/// One write of a batch: who asks, and which users (direct assignments).
pub(crate) struct UsersWrite {
    pub actor: Actor,
    pub users: Vec<UserId>,
}

/// Why a batch stopped before committing.
enum Stop {
    /// The estimate did not hold (or a write needs its own typed error):
    /// roll back and run each write on the exact path.
    Fallback,
    /// A real failure (database, time-out).
    Failed(CoreError),
}

impl From<CoreError> for Stop {
    fn from(e: CoreError) -> Self {
        Stop::Failed(e)
    }
}

impl From<DieselError> for Stop {
    fn from(e: DieselError) -> Self {
        match e {
            // Another writer added the same assignment or license between
            // the estimate and the lock.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Stop::Fallback,
            e => Stop::Failed(e.into()),
        }
    }
}

/// Run `$body` (which may `?` a [`Stop`]) in a write transaction; on
/// `Stop::Fallback` roll back and yield `Ok(None)`. Like `write_txn!`, a
/// commit that wrote events wakes the delivery worker.
macro_rules! batch_txn {
    ($store:expr, $conn:ident => $body:expr) => {{
        let mut pooled = $store.checkout().await?;
        pooled.begin_write().await?;
        let (result, tracked) = crate::events::wake::tracking(async {
            let $conn = &mut pooled.as_conn();
            let result: Result<_, Stop> = async { $body }.await;
            result
        })
        .await;
        match result {
            Ok(value) => {
                let committed = pooled.finish_writing(Ok(value), tracked.pending).await;
                if committed.is_ok() && tracked.wrote_events {
                    $store.outbox_wake().committed();
                }
                committed.map(Some)
            }
            Err(Stop::Fallback) => {
                // Rolled back; the placeholder error is not reported.
                let rolled_back: CoreResult<()> = pooled
                    .finish(Err(CoreError::Unavailable("batch rolled back".into())))
                    .await;
                drop(rolled_back);
                Ok(None)
            }
            Err(Stop::Failed(error)) => pooled.finish(Err(error)).await,
        }
    }};
}

/// What the estimate says one write will do.
struct Planned {
    /// `Err`: the write fails on its own (a missing user).
    outcome: Result<PlannedChange, CoreError>,
}

#[derive(Default)]
struct PlannedChange {
    /// Users newly assigned directly, in id order.
    new_users: Vec<UserId>,
    /// Of those, who takes a seat (no license yet, or waiting).
    seats: Vec<UserId>,
}

impl Store {
    /// Assign each write's users to `app`, all writes in one transaction,
    /// each all or nothing. `Ok(None)`: the estimate did not hold, nothing
    /// was written; run the writes on the exact path.
    pub(crate) async fn assign_users_batch(
        &self,
        tenant: TenantId,
        app: AppId,
        writes: &[UsersWrite],
    ) -> CoreResult<Option<Vec<CoreResult<LicenseChange>>>> {
        let today = self.clock().today();
        batch_txn!(self, conn => {
            // --- before the app's lock ---
            let named: BTreeSet<UserId> = writes.iter().flat_map(|w| w.users.iter().copied()).collect();
            let active = locks::users_active(conn, tenant, &named).await?;
            let assigned = direct_assignments(conn, tenant, app, &named).await?;
            let held = held_licenses(conn, tenant, app, &named).await?;

            // Evaluate the writes in order against the estimate.
            let mut taken: BTreeSet<UserId> = assigned;
            let mut plans = Vec::with_capacity(writes.len());
            for write in writes {
                let wanted: BTreeSet<UserId> = write.users.iter().copied().collect();
                if let Some(missing) = wanted.iter().find(|u| !active.contains_key(u)) {
                    plans.push(Planned { outcome: Err(CoreError::not_found(EntityKind::User, missing)) });
                    continue;
                }
                let new_users: Vec<UserId> = wanted.iter().filter(|u| !taken.contains(u)).copied().collect();
                let seats: Vec<UserId> = new_users
                    .iter()
                    .filter(|u| active.get(u).copied().unwrap_or(false))
                    .filter(|u| held.get(u) != Some(&LicenseState::Active))
                    .copied()
                    .collect();
                taken.extend(new_users.iter().copied());
                plans.push(Planned { outcome: Ok(PlannedChange { new_users, seats }) });
            }
            let changes: Vec<&PlannedChange> = plans.iter().filter_map(|p| p.outcome.as_ref().ok()).collect();
            let any_new = changes.iter().any(|c| !c.new_users.is_empty());
            let seats: Vec<UserId> = changes.iter().flat_map(|c| c.seats.iter().copied()).collect();
            let (promote, insert): (Vec<UserId>, Vec<UserId>) =
                seats.iter().partition(|u| held.get(u) == Some(&LicenseState::Error));
            // Users who hold the license already (through a group): it
            // must still be ACTIVE under the lock.
            let kept: Vec<UserId> = changes
                .iter()
                .flat_map(|c| c.new_users.iter().copied())
                .filter(|u| held.get(u) == Some(&LicenseState::Active) && active.get(u) == Some(&true))
                .collect();

            let subscribers = if any_new { events::subscribers(conn, tenant).await? } else { Default::default() };
            let at = now();
            let mut rows_by_write: Vec<Vec<AssignmentRow>> = Vec::with_capacity(writes.len());
            let mut entries = Vec::new();
            for (write, plan) in writes.iter().zip(&plans) {
                let rows: Vec<AssignmentRow> = match &plan.outcome {
                    Ok(change) => change
                        .new_users
                        .iter()
                        .map(|u| AssignmentRow {
                            tenant_id: tenant,
                            id: AssignmentId::new(),
                            app_id: app,
                            principal_kind: PrincipalKind::User,
                            principal_id: AnyId(u.0),
                            assigned_by: write.actor.subject.clone(),
                            assigned_at: at,
                        })
                        .collect(),
                    Err(_) => Vec::new(),
                };
                if let (Ok(change), false) = (&plan.outcome, rows.is_empty()) {
                    entries.push(Entry {
                        actor: &write.actor,
                        action: AuditAction::LicenseAssigned,
                        target: Target::app(app),
                        details: serde_json::json!({
                            "principals": rows.iter().map(|r| serde_json::json!({
                                "kind": r.principal_kind.stored(), "id": r.principal_id
                            })).collect::<Vec<_>>(),
                            "seatsTaken": change.seats.len(),
                        }),
                    });
                }
                rows_by_write.push(rows);
            }
            // Audit rows need no lock; if the estimate fails they roll back.
            audit::record_many(conn, tenant, entries).await?;

            // --- under the app's lock: at most four statements ---
            let row = take_seats(conn, tenant, app, seats.len() as i64).await?;
            let threshold = if any_new {
                let (assignable, threshold) = crate::subscriptions::assign_terms(conn, tenant, app, today).await?;
                if !assignable {
                    return Err(Stop::Fallback);
                }
                threshold
            } else {
                None
            };
            let all_rows: Vec<AssignmentRow> = rows_by_write.iter().flatten().cloned().collect();
            if !all_rows.is_empty() {
                insert_rows!(conn, license_assignments::table, all_rows)?;
            }

            // The events, recorded before the last statement so that it can
            // write them (on PostgreSQL; see `events::pg_carrying`). If the
            // estimate fails below, they roll back with the rest.
            let app_row = App::from(row);
            if !seats.is_empty() {
                events::seats_changed_at(conn, tenant, app, app_row.seats, threshold).await?;
            }
            let mut all_changes = LicenseChanges::new();
            all_changes.record_gained(app, seats.clone());
            events::license_errors_to(conn, tenant, &subscribers, app, &[], &promote).await?;
            // Users who had no license had no path to the app (a group's
            // member holds a license, ACTIVE or waiting): now they hold it
            // directly and only so, which `license.assigned` need not read
            // back. Promoted users may wait through groups too: read.
            let known: events::KnownPaths = insert.iter().map(|u| (*u, events::LicensePath::direct_only())).collect();
            events::record_license_changes_known(conn, tenant, &subscribers, &all_changes, &known).await?;

            // Rare: waiting users promoted, or a license held through a
            // group; each costs one more statement, and checks the estimate.
            if !promote.is_empty() && promote_waiting(conn, tenant, app, &promote).await? != promote.len() {
                return Err(Stop::Fallback);
            }
            if !kept.is_empty() && count_active(conn, tenant, app, &kept).await? != kept.len() {
                return Err(Stop::Fallback);
            }
            // Last: the new licenses (with the events, on PostgreSQL).
            insert_licenses(conn, tenant, app, &insert).await?;

            let answers = plans
                .into_iter()
                .zip(rows_by_write)
                .map(|(plan, rows)| {
                    let change = plan.outcome?;
                    let mut license_changes = LicenseChanges::new();
                    license_changes.record_gained(app, change.seats);
                    answer(&app_row, rows, license_changes)
                })
                .collect();
            Ok(answers)
        })
    }

    /// Remove each write's direct assignments of `app`, all writes in one
    /// transaction (exact: the app is locked before anything is read).
    pub(crate) async fn unassign_users_batch(
        &self,
        tenant: TenantId,
        app: AppId,
        writes: &[UsersWrite],
    ) -> CoreResult<Vec<CoreResult<LicenseChange>>> {
        let result = batch_txn!(self, conn => {
            let named: BTreeSet<UserId> = writes.iter().flat_map(|w| w.users.iter().copied()).collect();
            let active = locks::users_active(conn, tenant, &named).await?;
            let subscribers = events::subscribers(conn, tenant).await?;
            locks::apps(conn, tenant, &[app]).await?;

            // Which writes can run: all their users exist.
            let runs: Vec<Result<(), CoreError>> = writes
                .iter()
                .map(|w| match w.users.iter().copied().collect::<BTreeSet<_>>().into_iter().find(|u| !active.contains_key(u)) {
                    Some(missing) => Err(CoreError::not_found(EntityKind::User, missing)),
                    None => Ok(()),
                })
                .collect();
            let wanted: Vec<AnyId> = writes
                .iter()
                .zip(&runs)
                .filter(|(_, r)| r.is_ok())
                .flat_map(|(w, _)| w.users.iter().map(|u| AnyId(u.0)))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let removed: Vec<AssignmentRow> = if wanted.is_empty() {
                Vec::new()
            } else {
                let delete = diesel::delete(
                    license_assignments::table
                        .filter(license_assignments::tenant_id.eq(tenant))
                        .filter(license_assignments::app_id.eq(app))
                        .filter(license_assignments::principal_id.eq_any(&wanted)),
                )
                .returning(license_assignments::all_columns);
                on_conn!(conn, c => delete.load(c).await).map_err(CoreError::from)?
            };
            let removed_users: Vec<UserId> = removed.iter().map(|r| UserId(r.principal_id.0)).collect();
            let (lost, _) = if removed_users.is_empty() {
                (Vec::new(), 0)
            } else {
                engine::revoke_unheld_states(conn, tenant, app, &removed_users, &[]).await?
            };
            // As the exact path: any removal gives free seats to waiting users.
            let gained = if !removed_users.is_empty() {
                engine::resolve_waiting(conn, tenant, app).await?
            } else {
                Vec::new()
            };

            // Hand each removal to the first write naming its user.
            let mut removed_by_user: BTreeMap<UserId, AssignmentRow> =
                removed.into_iter().map(|r| (UserId(r.principal_id.0), r)).collect();
            let lost: BTreeMap<UserId, LicenseState> = lost.into_iter().collect();
            let mut gained_left = Some(gained.clone());
            let mut parts = Vec::with_capacity(writes.len());
            let mut entries = Vec::new();
            for (write, run) in writes.iter().zip(runs) {
                if let Err(e) = run {
                    parts.push(Err(e));
                    continue;
                }
                let mut mine: Vec<AssignmentRow> = Vec::new();
                for u in write.users.iter().collect::<BTreeSet<_>>() {
                    mine.extend(removed_by_user.remove(u));
                }
                mine.sort_by_key(|r| r.id);
                let my_lost: Vec<UserId> = mine.iter().map(|r| UserId(r.principal_id.0)).filter(|u| lost.contains_key(u)).collect();
                let freed = my_lost.iter().filter(|u| lost.get(u) == Some(&LicenseState::Active)).count();
                // Waiting users took free seats in the first write that
                // removed anything, as if the writes ran one by one.
                let my_gained = if mine.is_empty() { Vec::new() } else { gained_left.take().unwrap_or_default() };
                if !mine.is_empty() {
                    entries.push(Entry {
                        actor: &write.actor,
                        action: AuditAction::LicenseUnassigned,
                        target: Target::app(app),
                        details: serde_json::json!({
                            "principals": mine.iter().map(|r| serde_json::json!({
                                "kind": r.principal_kind.stored(), "id": r.principal_id
                            })).collect::<Vec<_>>(),
                            "seatsFreed": freed,
                            "waitingResolved": my_gained.len(),
                        }),
                    });
                }
                let mut license_changes = LicenseChanges::new();
                license_changes.record_lost(app, my_lost).record_gained(app, my_gained);
                parts.push(Ok((mine, license_changes)));
            }
            audit::record_many(conn, tenant, entries).await?;
            let mut all_changes = LicenseChanges::new();
            all_changes
                .record_lost(app, lost.keys().copied())
                .record_gained(app, gained);
            events::record_license_changes_to(conn, tenant, &subscribers, &all_changes).await?;
            let app_row = reload_app(conn, tenant, app).await?;
            let answers: Vec<CoreResult<LicenseChange>> = parts
                .into_iter()
                .map(|part| {
                    let (rows, license_changes) = part?;
                    answer(&app_row, rows, license_changes)
                })
                .collect();
            Ok(answers)
        })?;
        // This batch never falls back.
        result.ok_or_else(|| CoreError::Unavailable("unassignment batch rolled back".into()))
    }
}

/// The lock, the seat check and the counter move in one statement: adds
/// `n` seats if they are free and returns the app after it. No row: the app
/// is gone or lacks the seats, and the exact path says which.
async fn take_seats(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    n: i64,
) -> Result<AppRow, Stop> {
    let query = diesel::update(
        apps::table
            .filter(apps::tenant_id.eq(tenant))
            .filter(apps::id.eq(app))
            .filter((apps::assigned_seats + n).le(apps::purchased_seats)),
    )
    .set(apps::assigned_seats.eq(apps::assigned_seats + n))
    .returning(apps::all_columns);
    let row: Option<AppRow> = on_conn!(conn, c => query.get_result(c).await.optional())?;
    row.ok_or(Stop::Fallback)
}

/// Of `users`, those directly assigned `app`.
async fn direct_assignments(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &BTreeSet<UserId>,
) -> CoreResult<BTreeSet<UserId>> {
    let ids: Vec<AnyId> = users.iter().map(|u| AnyId(u.0)).collect();
    let query = license_assignments::table
        .filter(license_assignments::tenant_id.eq(tenant))
        .filter(license_assignments::app_id.eq(app))
        .filter(license_assignments::principal_id.eq_any(&ids))
        .select(license_assignments::principal_id);
    let found: Vec<AnyId> = on_conn!(conn, c => query.load(c).await)?;
    Ok(found.into_iter().map(|a| UserId(a.0)).collect())
}

/// Of `users`, the license state of those holding or waiting for `app`.
async fn held_licenses(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &BTreeSet<UserId>,
) -> CoreResult<BTreeMap<UserId, LicenseState>> {
    let ids: Vec<UserId> = users.iter().copied().collect();
    let query = user_licenses::table
        .filter(user_licenses::tenant_id.eq(tenant))
        .filter(user_licenses::app_id.eq(app))
        .filter(user_licenses::user_id.eq_any(&ids))
        .select((user_licenses::user_id, user_licenses::state));
    let found: Vec<(UserId, LicenseState)> = on_conn!(conn, c => query.load(c).await)?;
    Ok(found.into_iter().collect())
}

#[derive(Insertable)]
#[diesel(table_name = user_licenses, treat_none_as_default_value = false)]
struct NewLicense {
    tenant_id: TenantId,
    app_id: AppId,
    user_id: UserId,
    state: LicenseState,
    error_code: Option<LicenseErrorCode>,
    since: chrono::NaiveDateTime,
}

/// ACTIVE licenses for users who had none (a batch is far below the
/// bind-parameter limits: one statement).
async fn insert_licenses(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
) -> Result<(), Stop> {
    if users.is_empty() {
        return Ok(());
    }
    let at = now();
    let rows: Vec<NewLicense> = users
        .iter()
        .map(|u| NewLicense {
            tenant_id: tenant,
            app_id: app,
            user_id: *u,
            state: LicenseState::Active,
            error_code: None,
            since: at,
        })
        .collect();
    match conn {
        // The assign batch's last statement: it also writes the events the
        // batch recorded (one statement and round trip fewer).
        Conn::Pg(c) => match <[NewLicense; 1]>::try_from(rows) {
            // One user, the common case: a one-row INSERT's text is fixed,
            // so the statement (and the outbox's `WITH` with it) is
            // prepared once per connection; diesel re-prepares a
            // multi-row INSERT every time.
            Ok([row]) => {
                let insert = diesel::insert_into(user_licenses::table).values(row);
                events::pg_carrying(insert).execute(&mut **c).await?;
            }
            Err(rows) => {
                let insert = diesel::insert_into(user_licenses::table).values(rows);
                events::pg_carrying(insert).execute(&mut **c).await?;
            }
        },
        // SQLite writes them in COMMIT's hop.
        Conn::Sqlite(c) => {
            c.spawn_blocking(move |c| {
                diesel::RunQueryDsl::execute(
                    diesel::insert_into(user_licenses::table).values(&rows),
                    c,
                )
            })
            .await?;
        }
    }
    Ok(())
}

/// The app after the unassign batch, as its last statement: on PostgreSQL
/// it also writes the events the batch recorded (one statement and round
/// trip fewer; SQLite writes them in COMMIT's hop).
async fn reload_app(conn: &mut Conn<'_>, tenant: TenantId, app: AppId) -> CoreResult<App> {
    if let Conn::Pg(c) = conn {
        let query = apps::table
            .filter(apps::tenant_id.eq(tenant))
            .filter(apps::id.eq(app))
            .select(apps::all_columns);
        let row: Option<AppRow> = events::pg_carrying(query)
            .get_result(&mut **c)
            .await
            .optional()?;
        return row
            .map(App::from)
            .ok_or_else(|| CoreError::not_found(EntityKind::App, app));
    }
    crate::apps::load(conn, tenant, app).await
}

/// Waiting users take a seat; returns how many were still waiting.
async fn promote_waiting(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
) -> Result<usize, Stop> {
    let query = diesel::update(
        user_licenses::table
            .filter(user_licenses::tenant_id.eq(tenant))
            .filter(user_licenses::app_id.eq(app))
            .filter(user_licenses::user_id.eq_any(users))
            .filter(user_licenses::state.eq(LicenseState::Error)),
    )
    .set((
        user_licenses::state.eq(LicenseState::Active),
        user_licenses::error_code.eq(None::<LicenseErrorCode>),
        user_licenses::since.eq(now()),
    ));
    Ok(on_conn!(conn, c => query.execute(c).await)?)
}

/// How many of `users` hold an ACTIVE license of `app`.
async fn count_active(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
) -> Result<usize, Stop> {
    let query = user_licenses::table
        .filter(user_licenses::tenant_id.eq(tenant))
        .filter(user_licenses::app_id.eq(app))
        .filter(user_licenses::user_id.eq_any(users))
        .filter(user_licenses::state.eq(LicenseState::Active))
        .count();
    let n: i64 = on_conn!(conn, c => query.get_result(c).await)?;
    Ok(n as usize)
}

/// One write's answer in a batch: the app as the batch left it, the write's
/// own assignment rows and the licenses it changed.
fn answer(
    app: &App,
    rows: Vec<AssignmentRow>,
    license_changes: LicenseChanges,
) -> CoreResult<LicenseChange> {
    Ok(LicenseChange {
        app: app.clone(),
        assignments: rows
            .into_iter()
            .map(AssignmentRow::into_assignment)
            .collect::<CoreResult<Vec<_>>>()?,
        license_changes,
    })
}
