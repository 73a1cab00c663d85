//! Direct user assignments and unassignments of one app, several writes in
//! one transaction: what the group-commit batcher (`group_commit.rs`) runs.
//!
//! **Assign** keeps the app's row lock short and its statements few (each
//! costs a round trip and CPU on both sides). Before the lock, one read
//! (`named_users`) takes the users' share locks and returns their
//! directory state with an *estimate* of their assignments and licenses of
//! the app (`FOR SHARE OF users`, with one correlated subquery per
//! assignment and license, so each is an index probe per user however
//! stale the planner's statistics of the app, as long as it has any), then
//! the webhook subscriptions are read and the rows to write are built.
//! Under the lock,
//! two statements:
//!
//! 1. `UPDATE apps SET assigned_seats = assigned_seats + n WHERE … AND
//!    assigned_seats + n <= purchased_seats RETURNING *, <the app's terms>`
//!    — takes the lock, checks the seats, moves the counter and reads the
//!    terms (subscription state, low-seat threshold) at once;
//! 2. the write: on PostgreSQL one statement (`PgAssignWrite`) whose
//!    `WITH` parts insert the assignments, the licenses and the audit rows
//!    from column arrays (fixed text, prepared once per connection), plus
//!    the batch's webhook events (`events::pg_carrying_parts`; recorded just
//!    before it, so they roll back if the estimate fails), and which reads
//!    the terms again; on SQLite one INSERT per table, rows built by the
//!    same code;
//!
//! and COMMIT: 6 statements on PostgreSQL for a single user. Every step
//! checks that the estimate still holds: the UPDATE matches no row (seats
//! short, app gone), the terms refuse assignments, an INSERT hits a row
//! another writer added meanwhile (unique violation), a waiting user was
//! promoted or a held license revoked meanwhile, or (PostgreSQL) the terms
//! the write reads differ from the UPDATE's — whose subqueries read the
//! snapshot from before its lock wait, so they can miss terms set by the
//! transaction it waited for; the write's statement starts under the lock
//! and reads the terms that commit. Then the transaction is rolled back and
//! the caller falls back to the exact path (`Store::assign_licenses_exact`,
//! lock first, each write on its own), so every write still gets the
//! answer and typed error it would get alone. On SQLite `BEGIN IMMEDIATE`
//! makes the estimate exact.
//!
//! **Unassign** cannot be refused by the seat rule, so its batch is exact:
//! it locks the app first and runs the engine once for all writes' users;
//! its last statement reloads the app and, on PostgreSQL, also writes the
//! audit rows and the events (`PgWithAudit`).
//!
//! Writes are evaluated in order: a user named by two writes is assigned
//! (or unassigned) by the first; the second sees it done.

use std::collections::{BTreeMap, BTreeSet};

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
use diesel_async::RunQueryDsl;

use super::engine;
use super::{AssignmentRow, LicenseChange, LicenseChanges};
use crate::apps::AppRow;
use crate::audit::{self, AuditAction, AuditRow, Entry, PgAuditRows, PgWithAudit, Target};
use crate::db::fixed_text::FixedText;
use crate::db::sql_types::Uuid;
use crate::db::unnest::pg_unnest_insert;
use crate::db::{Conn, Store, insert_rows, on_conn};
use crate::error::{CoreError, CoreResult, EntityKind};
use crate::events::{self, WithParts};
use crate::ids::*;
use crate::locks;
use crate::model::{Actor, App, LicenseErrorCode, LicenseState, now};
use crate::schema::{
    app_subscriptions, apps, audit_events, license_assignments, user_licenses, users,
};
use crate::stored::StoredEnum;
use crate::subscriptions::AssignTermsColumns;

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
                    $store.events_committed();
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
            let found = named_users(conn, tenant, app, &named).await?;
            let active: BTreeMap<UserId, bool> = found.iter().map(|(u, n)| (*u, n.active)).collect();
            let assigned: BTreeSet<UserId> = found.iter().filter(|(_, n)| n.assigned).map(|(u, _)| *u).collect();
            let held: BTreeMap<UserId, LicenseState> =
                found.iter().filter_map(|(u, n)| n.license.map(|state| (*u, state))).collect();

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
                        .map(|u| AssignmentRow::new(tenant, app, PrincipalId::User(*u), &write.actor.subject, at))
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
            // Written with the assignments, last (see `write_assigned`).
            let audit_rows = audit::rows(tenant, entries);

            // --- under the app's lock: at most two statements ---
            let (row, terms) = take_seats(conn, tenant, app, seats.len() as i64).await?;
            let threshold = if any_new {
                let (assignable, threshold) = crate::subscriptions::assign_terms(terms, today);
                if !assignable {
                    return Err(Stop::Fallback);
                }
                threshold
            } else {
                None
            };

            // The events, recorded before the last statement so that it can
            // write them (on PostgreSQL; see `write_assigned`). If the
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
            // Last: the new rows (with the events, on PostgreSQL).
            if any_new {
                let written = Written {
                    assignments: rows_by_write.iter().flatten().cloned().collect(),
                    licenses: license_rows(tenant, app, &insert),
                    audit: audit_rows,
                };
                write_assigned(conn, tenant, app, written, terms).await?;
            }

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
            let mut all_changes = LicenseChanges::new();
            all_changes
                .record_lost(app, lost.keys().copied())
                .record_gained(app, gained);
            events::record_license_changes_to(conn, tenant, &subscribers, &all_changes).await?;
            let app_row = reload_app(conn, tenant, app, audit::rows(tenant, entries)).await?;
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
/// `n` seats if they are free and returns the app after it, with its terms
/// (scalar subqueries: one index lookup each). No row: the app is gone or
/// lacks the seats, and the exact path says which.
///
/// On PostgreSQL the terms are an estimate too: the subqueries read the
/// statement's snapshot, taken before the lock was granted, so they miss
/// terms set by the transaction the UPDATE waited for. `write_assigned`
/// reads them again and checks.
async fn take_seats(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    n: i64,
) -> Result<(AppRow, AssignTermsColumns), Stop> {
    macro_rules! term {
        ($column:expr) => {
            app_subscriptions::table
                .filter(app_subscriptions::tenant_id.eq(tenant))
                .filter(app_subscriptions::app_id.eq(app))
                .select($column)
                .single_value()
        };
    }
    // The seat counter's UPDATE runs in every write: prepared once per
    // connection (`db::fixed_text`).
    let query = FixedText(
        diesel::update(
            apps::table
                .filter(apps::tenant_id.eq(tenant))
                .filter(apps::id.eq(app))
                .filter((apps::assigned_seats + n).le(apps::purchased_seats)),
        )
        .set(apps::assigned_seats.eq(apps::assigned_seats + n))
        .returning((
            apps::all_columns,
            (
                term!(app_subscriptions::term_start),
                term!(app_subscriptions::term_end),
                term!(app_subscriptions::auto_renew),
                term!(app_subscriptions::notice_days),
                term!(app_subscriptions::grace_days),
                term!(app_subscriptions::low_seat_threshold),
            ),
        )),
    );
    let row: Option<(AppRow, AssignTermsColumns)> =
        on_conn!(conn, c => query.get_result(c).await.optional())?;
    row.ok_or(Stop::Fallback)
}

/// Ids per statement: SQLite binds each id separately and allows 32,766.
const ID_CHUNK: usize = 10_000;

/// What the estimate knows of a named user.
struct Named {
    /// The directory has them active.
    active: bool,
    /// Directly assigned the app.
    assigned: bool,
    /// Their license of the app, held or waiting.
    license: Option<LicenseState>,
}

/// The named users that exist, with their share locks (as
/// `locks::users_active`) and, in the same statement, whether each is
/// directly assigned `app` and their license of it. Missing ids are simply
/// absent: a batch of writes decides per write.
async fn named_users(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &BTreeSet<UserId>,
) -> CoreResult<BTreeMap<UserId, Named>> {
    let ids: Vec<UserId> = users.iter().copied().collect();
    let mut found = BTreeMap::new();
    for chunk in ids.chunks(ID_CHUNK) {
        // Correlated scalar subqueries, not joins: each is one probe of a
        // unique index per named user, whatever the planner believes of the
        // app. (On tables never analysed at all, PostgreSQL estimates one row
        // for `license_assignments_by_app`'s (tenant, app) prefix too, and
        // may take that index and read the app's every holder: measured in
        // bench/README.md, "2026-12-04 (evening)"; autovacuum's statistics
        // end the tie.) Joined, PostgreSQL's plan followed its statistics, which lag
        // behind an app going from no holders to thousands in a rollout:
        // estimating two rows for the app, it read every license and
        // assignment of the app for each batch (1-15 ms a statement at
        // 6,000 holders, growing with each one).
        let assignment = license_assignments::table
            .filter(license_assignments::tenant_id.eq(users::tenant_id))
            .filter(license_assignments::app_id.eq(app))
            .filter(license_assignments::principal_id.eq(users::id))
            .select(license_assignments::principal_id)
            .single_value();
        let license = user_licenses::table
            .filter(user_licenses::tenant_id.eq(users::tenant_id))
            .filter(user_licenses::app_id.eq(app))
            .filter(user_licenses::user_id.eq(users::id))
            .select(user_licenses::state)
            .single_value();
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq_any(chunk))
            .order(users::id)
            .select((users::id, users::directory_active, assignment, license));
        // (tenant, app, principal) and (tenant, app, user) are unique: one
        // row per user.
        let rows: Vec<(UserId, bool, Option<AnyId>, Option<LicenseState>)> = match &mut *conn {
            Conn::Pg(c) => locks::ShareUsersOf(query).load(*c).await?,
            Conn::Sqlite(c) => query.load(*c).await?,
        };
        found.extend(rows.into_iter().map(|(user, active, assignment, license)| {
            let named = Named {
                active,
                assigned: assignment.is_some(),
                license,
            };
            (user, named)
        }));
    }
    Ok(found)
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

/// ACTIVE licenses for users who had none.
fn license_rows(tenant: TenantId, app: AppId, users: &[UserId]) -> Vec<NewLicense> {
    let at = now();
    users
        .iter()
        .map(|u| NewLicense {
            tenant_id: tenant,
            app_id: app,
            user_id: *u,
            state: LicenseState::Active,
            error_code: None,
            since: at,
        })
        .collect()
}

/// The rows an assign batch writes last.
struct Written {
    assignments: Vec<AssignmentRow>,
    licenses: Vec<NewLicense>,
    audit: Vec<AuditRow>,
}

pg_unnest_insert!(
    /// New assignments as column arrays (PostgreSQL; `db/unnest.rs`).
    struct PgAssignmentRows: AssignmentRow => "license_assignments" {
        tenant_id: TenantId as Uuid,
        id: AssignmentId as Uuid,
        app_id: AppId as Uuid,
        principal_kind: PrincipalKind as Text,
        principal_id: AnyId as Uuid,
        assigned_by: String as Text,
        assigned_at: chrono::NaiveDateTime as Timestamp,
    }
);

pg_unnest_insert!(
    /// New licenses as column arrays (PostgreSQL; `db/unnest.rs`).
    struct PgLicenseRows: NewLicense => "user_licenses" {
        tenant_id: TenantId as Uuid,
        app_id: AppId as Uuid,
        user_id: UserId as Uuid,
        state: LicenseState as Text,
        error_code: Option<LicenseErrorCode> as Nullable<Text>,
        since: chrono::NaiveDateTime as Timestamp,
    }
);

/// PostgreSQL: the assign batch's rows in one statement, `WITH
/// batch_assignments AS (INSERT …), batch_licenses AS (INSERT …),
/// batch_audit AS (INSERT …) SELECT <the app's terms>`, each INSERT of
/// column arrays, so the text is the same for any batch and prepared once
/// per connection. The SELECT reads the terms with the statement's
/// snapshot, taken under the app's lock: the terms that commit.
struct PgAssignWrite {
    tenant: TenantId,
    app: AppId,
    assignments: PgAssignmentRows,
    licenses: PgLicenseRows,
    audit: PgAuditRows,
}

impl Query for PgAssignWrite {
    // `AssignTermsColumns`.
    type SqlType = (
        Nullable<Date>,
        Nullable<Date>,
        Nullable<Bool>,
        Nullable<Integer>,
        Nullable<Integer>,
        Nullable<BigInt>,
    );
}

impl WithParts for PgAssignWrite {
    fn walk_parts<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("batch_assignments AS (");
        self.assignments.walk_ast(out.reborrow())?;
        out.push_sql("), batch_licenses AS (");
        self.licenses.walk_ast(out.reborrow())?;
        out.push_sql("), batch_audit AS (");
        self.audit.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }

    fn walk_main<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // One row, all NULL when the app has no terms.
        out.push_sql(
            "SELECT s.term_start, s.term_end, s.auto_renew, s.notice_days, s.grace_days, \
             s.low_seat_threshold FROM (SELECT 1) AS one LEFT JOIN app_subscriptions AS s \
             ON s.tenant_id = ",
        );
        out.push_bind_param::<Uuid, _>(&self.tenant)?;
        out.push_sql(" AND s.app_id = ");
        out.push_bind_param::<Uuid, _>(&self.app)?;
        Ok(())
    }
}

/// The assign batch's last write: its assignments, licenses and audit
/// rows. On PostgreSQL one statement, which also writes the batch's
/// webhook events (`events::pg_carrying_parts`) and reads the app's terms
/// again under the lock: if they differ from `terms`, what the batch
/// decided from (`take_seats`), the estimate did not hold. On SQLite one
/// INSERT per table (`BEGIN IMMEDIATE` made `terms` exact; the events go in
/// COMMIT's hop).
async fn write_assigned(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    written: Written,
    terms: AssignTermsColumns,
) -> Result<(), Stop> {
    let Written {
        assignments,
        licenses,
        audit,
    } = written;
    match conn {
        Conn::Pg(c) => {
            let statement = PgAssignWrite {
                tenant,
                app,
                assignments: PgAssignmentRows::new(assignments),
                licenses: PgLicenseRows::new(licenses),
                audit: PgAuditRows::new(audit),
            };
            let under_lock: AssignTermsColumns = events::pg_carrying_parts(statement)
                .get_result(&mut **c)
                .await?;
            if under_lock != terms {
                return Err(Stop::Fallback);
            }
        }
        Conn::Sqlite(_) => {
            if !audit.is_empty() {
                insert_rows!(conn, audit_events::table, audit)?;
            }
            if !assignments.is_empty() {
                insert_rows!(conn, license_assignments::table, assignments)?;
            }
            if !licenses.is_empty() {
                insert_rows!(conn, user_licenses::table, licenses)?;
            }
        }
    }
    Ok(())
}

/// The app after the unassign batch, as its last statement, which also
/// writes the batch's `audit` rows: on PostgreSQL as parts of one
/// statement with the events the batch recorded (`PgWithAudit`,
/// `events::pg_carrying_parts`: two statements and round trips fewer); on
/// SQLite an INSERT and a read (the events go in COMMIT's hop).
async fn reload_app(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    audit: Vec<AuditRow>,
) -> CoreResult<App> {
    if let Conn::Pg(c) = conn {
        let query = apps::table
            .filter(apps::tenant_id.eq(tenant))
            .filter(apps::id.eq(app))
            .select(apps::all_columns);
        let row: Option<AppRow> = events::pg_carrying_parts(PgWithAudit::new(audit, query))
            .get_result(&mut **c)
            .await
            .optional()?;
        return row
            .map(App::from)
            .ok_or_else(|| CoreError::not_found(EntityKind::App, app));
    }
    if !audit.is_empty() {
        insert_rows!(conn, audit_events::table, audit)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` users' rows of an assign batch, as `assign_users_batch` builds
    /// them.
    fn write_of(n: usize) -> PgAssignWrite {
        let (tenant, app) = (TenantId::new(), AppId::new());
        let actor = Actor {
            subject: "admin@test".into(),
            user_id: None,
        };
        let users: Vec<UserId> = (0..n).map(|_| UserId::new()).collect();
        let at = now();
        let assignments = users
            .iter()
            .map(|u| AssignmentRow::new(tenant, app, PrincipalId::User(*u), &actor.subject, at))
            .collect();
        let entries = users
            .iter()
            .map(|_| Entry {
                actor: &actor,
                action: AuditAction::LicenseAssigned,
                target: Target::app(app),
                details: serde_json::json!({}),
            })
            .collect();
        PgAssignWrite {
            tenant,
            app,
            assignments: PgAssignmentRows::new(assignments),
            licenses: PgLicenseRows::new(license_rows(tenant, app, &users)),
            audit: PgAuditRows::new(audit::rows(tenant, entries)),
        }
    }

    #[test]
    fn the_write_of_any_batch_is_one_statement_of_one_text() {
        let sql = |n| {
            let statement = events::pg_carrying_parts(write_of(n));
            let text = diesel::debug_query::<Pg, _>(&statement).to_string();
            // The text, without the binds' values.
            text.split(" -- binds:").next().map(str::to_owned)
        };
        let one = sql(1).expect("SQL");
        assert_eq!(Some(one.clone()), sql(3));
        assert!(
            one.starts_with(
                "WITH batch_assignments AS (INSERT INTO license_assignments (tenant_id, id, \
                 app_id, principal_kind, principal_id, assigned_by, assigned_at) \
                 SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7)), batch_licenses AS ("
            ),
            "{one}"
        );
        assert!(one.contains("LEFT JOIN app_subscriptions"), "{one}");
    }
}
