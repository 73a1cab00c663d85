//! The seat engine: keeps `user_licenses` (one row per user holding an app by
//! any path) and `apps.assigned_seats` (its count of ACTIVE rows) true after
//! every change. Runs only inside a write transaction that holds the app's
//! lock (see `crate::locks`), so the read-check-write of seats is atomic.
//!
//! All work is set-based: a group of 10,000 members costs a few statements,
//! with inserts chunked to stay under both backends' bind-parameter limits.

use diesel::backend::Backend;
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel_async::RunQueryDsl;
use std::collections::BTreeMap;

use crate::db::fixed_text::FixedText;
use crate::db::listed_once::in_listed_once;
use crate::db::sql_types::Uuid;
use crate::db::{Conn, insert_rows, on_conn};
use crate::error::{CoreError, CoreResult, EntityKind};
use crate::ids::*;
use crate::model::{LicenseErrorCode, LicenseState, Seats, now};
use crate::schema::{
    app_subscriptions, apps, group_members, license_assignments, user_licenses, users,
};

/// Rows per INSERT: 6 binds each keeps well under SQLite's 32,766 limit.
const INSERT_CHUNK: usize = 2_000;
/// Ids per `IN (…)` list on SQLite (PostgreSQL binds one array).
const ID_CHUNK: usize = 10_000;

/// Whether a grant may leave users waiting for a seat.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// All or nothing: fail with `NOT_ENOUGH_SEATS` if any user lacks a seat.
    Refuse,
    /// Users without a free seat get a `COUNT_VIOLATION` error row.
    RecordError,
}

/// Outcome of a grant.
#[derive(Default, Debug)]
pub(crate) struct Granted {
    /// Users who took a seat.
    pub activated: Vec<UserId>,
    /// Users left waiting (only with [`Overflow::RecordError`]).
    pub errored: Vec<UserId>,
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

/// Seats of a (locked) app.
pub(crate) async fn seats(conn: &mut Conn<'_>, tenant: TenantId, app: AppId) -> CoreResult<Seats> {
    let query = apps::table
        .filter(apps::tenant_id.eq(tenant))
        .filter(apps::id.eq(app))
        .select((apps::purchased_seats, apps::assigned_seats));
    let found: Option<(i64, i64)> = on_conn!(conn, c => query.first(c).await.optional())?;
    let (purchased, assigned) = found.ok_or_else(|| CoreError::not_found(EntityKind::App, app))?;
    Ok(Seats {
        purchased,
        assigned,
    })
}

/// Of the given users and the members of the given groups, those who hold
/// no ACTIVE license for `app`; the value says whether they already have an
/// ERROR row (so they are updated, not inserted).
pub(crate) async fn users_without_seat(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
    groups: &[GroupId],
) -> CoreResult<BTreeMap<UserId, bool>> {
    let mut out = BTreeMap::new();
    for chunk in users.chunks(ID_CHUNK) {
        // A user the identity provider deactivated takes no seat.
        let inactive = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq_any(chunk))
            .filter(users::directory_active.eq(false))
            .select(users::id);
        let inactive: Vec<UserId> = on_conn!(conn, c => inactive.load(c).await)?;
        let held = user_licenses::table
            .filter(user_licenses::tenant_id.eq(tenant))
            .filter(user_licenses::app_id.eq(app))
            .filter(user_licenses::user_id.eq_any(chunk))
            .select((user_licenses::user_id, user_licenses::state));
        let held: Vec<(UserId, LicenseState)> = on_conn!(conn, c => held.load(c).await)?;
        let held: BTreeMap<UserId, LicenseState> = held.into_iter().collect();
        for user in chunk.iter().filter(|u| !inactive.contains(u)) {
            match held.get(user) {
                Some(LicenseState::Active) => {}
                Some(_) => {
                    out.insert(*user, true);
                }
                None => {
                    out.insert(*user, false);
                }
            }
        }
    }
    if !groups.is_empty() {
        let members = group_members::table
            .left_join(
                user_licenses::table.on(user_licenses::tenant_id
                    .eq(group_members::tenant_id)
                    .and(user_licenses::app_id.eq(app))
                    .and(user_licenses::user_id.eq(group_members::user_id))),
            )
            .inner_join(
                users::table.on(users::tenant_id
                    .eq(group_members::tenant_id)
                    .and(users::id.eq(group_members::user_id))),
            )
            .filter(users::directory_active.eq(true))
            .filter(group_members::tenant_id.eq(tenant))
            .filter(group_members::group_id.eq_any(groups))
            .filter(
                user_licenses::state
                    .is_null()
                    .or(user_licenses::state.eq(LicenseState::Error)),
            )
            .select((group_members::user_id, user_licenses::state.nullable()))
            .distinct();
        let rows: Vec<(UserId, Option<LicenseState>)> = on_conn!(conn, c => members.load(c).await)?;
        for (user, state) in rows {
            out.insert(user, state.is_some());
        }
    }
    Ok(out)
}

/// Give `app` to `candidates` (from [`users_without_seat`]). With
/// [`Overflow::Refuse`] it is all or nothing; otherwise users beyond the free
/// seats wait in `COUNT_VIOLATION`, those already waiting first in line.
pub(crate) async fn grant(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    candidates: &BTreeMap<UserId, bool>,
    overflow: Overflow,
) -> CoreResult<Granted> {
    if candidates.is_empty() {
        return Ok(Granted::default());
    }
    let available = seats(conn, tenant, app).await?.available();
    let needed = candidates.len() as i64;
    if overflow == Overflow::Refuse && needed > available {
        return Err(CoreError::NotEnoughSeats { needed, available });
    }
    // Those already waiting keep their place ahead of newcomers.
    let (waiting, newcomers): (Vec<UserId>, Vec<UserId>) = {
        let (w, n): (Vec<_>, Vec<_>) = candidates.iter().partition(|(_, has_row)| **has_row);
        (
            w.into_iter().map(|(u, _)| *u).collect(),
            n.into_iter().map(|(u, _)| *u).collect(),
        )
    };
    let mut free = available.max(0) as usize;
    let promote: Vec<UserId> = waiting.iter().take(free).copied().collect();
    free -= promote.len();
    let (insert_active, insert_error) = newcomers.split_at(free.min(newcomers.len()));

    activate_waiting(conn, tenant, app, &promote).await?;
    insert_rows(conn, tenant, app, insert_active, LicenseState::Active).await?;
    insert_rows(conn, tenant, app, insert_error, LicenseState::Error).await?;
    crate::events::license_errors(conn, tenant, app, insert_error, &promote).await?;

    let mut errored: Vec<UserId> = waiting[promote.len()..].to_vec();
    errored.extend_from_slice(insert_error);
    let mut activated = promote;
    activated.extend_from_slice(insert_active);
    add_assigned(conn, tenant, app, activated.len() as i64).await?;
    Ok(Granted { activated, errored })
}

/// Remove the licenses of `users` (and of members of `groups`) for `app`
/// where no path remains: no direct assignment and no assigned group they
/// belong to. Frees their seats and returns who lost the license and how
/// many seats were freed.
pub(crate) async fn revoke_unheld(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
    groups: &[GroupId],
) -> CoreResult<(Vec<UserId>, i64)> {
    let (removed, freed) = revoke_unheld_states(conn, tenant, app, users, groups).await?;
    Ok((removed.into_iter().map(|(u, _)| u).collect(), freed))
}

/// [`revoke_unheld`], saying for each user who lost the license whether
/// they held a seat (`Active`) or were waiting (`Error`).
pub(crate) async fn revoke_unheld_states(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
    groups: &[GroupId],
) -> CoreResult<(Vec<(UserId, LicenseState)>, i64)> {
    // "Still held": a direct assignment, or membership of an assigned group
    // (`$held_via_groups`: for a few users, each one's memberships checked
    // against the app's assignments; for a removed group's members, the
    // app's assigned groups listed once, see `db/listed_once.rs`).
    macro_rules! unheld_delete {
        ($candidates:expr, $held_via_groups:expr) => {
            diesel::delete(
                user_licenses::table
                    .filter(user_licenses::tenant_id.eq(tenant))
                    .filter(user_licenses::app_id.eq(app))
                    .filter($candidates)
                    .filter(not(exists(
                        license_assignments::table
                            .filter(license_assignments::tenant_id.eq(tenant))
                            .filter(license_assignments::app_id.eq(app))
                            .filter(license_assignments::principal_id.eq(user_licenses::user_id)),
                    )))
                    .filter(not($held_via_groups)),
            )
            .returning((user_licenses::user_id, user_licenses::state))
        };
    }
    let mut removed: Vec<(UserId, LicenseState)> = Vec::new();
    for chunk in users.chunks(ID_CHUNK) {
        let each_users_memberships = exists(
            group_members::table
                .inner_join(
                    license_assignments::table.on(license_assignments::tenant_id
                        .eq(group_members::tenant_id)
                        .and(license_assignments::principal_id.eq(group_members::group_id))),
                )
                .filter(group_members::tenant_id.eq(tenant))
                .filter(group_members::user_id.eq(user_licenses::user_id))
                .filter(license_assignments::app_id.eq(app)),
        );
        let query = unheld_delete!(user_licenses::user_id.eq_any(chunk), each_users_memberships);
        removed.extend(on_conn!(conn, c => query.load::<(UserId, LicenseState)>(c).await)?);
    }
    if !groups.is_empty() {
        let members = group_members::table
            .filter(group_members::tenant_id.eq(tenant))
            .filter(group_members::group_id.eq_any(groups))
            .select(group_members::user_id);
        let assigned_groups = license_assignments::table
            .filter(license_assignments::tenant_id.eq(tenant))
            .filter(license_assignments::app_id.eq(app))
            .filter(license_assignments::principal_kind.eq(PrincipalKind::Group))
            .select(license_assignments::principal_id);
        let in_an_assigned_group = exists(
            group_members::table
                .filter(group_members::tenant_id.eq(tenant))
                .filter(group_members::user_id.eq(user_licenses::user_id))
                .filter(in_listed_once(group_members::group_id, assigned_groups)),
        );
        let query = unheld_delete!(user_licenses::user_id.eq_any(members), in_an_assigned_group);
        removed.extend(on_conn!(conn, c => query.load::<(UserId, LicenseState)>(c).await)?);
    }
    let freed = removed
        .iter()
        .filter(|(_, s)| *s == LicenseState::Active)
        .count() as i64;
    add_assigned(conn, tenant, app, -freed).await?;
    Ok((removed, freed))
}

/// Give free seats to users waiting in `COUNT_VIOLATION`, oldest first.
/// Returns who got a seat.
pub(crate) async fn resolve_waiting(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
) -> CoreResult<Vec<UserId>> {
    let waiting = user_licenses::table
        .filter(user_licenses::tenant_id.eq(tenant))
        .filter(user_licenses::app_id.eq(app))
        .filter(user_licenses::state.eq(LicenseState::Error))
        .order((user_licenses::since, user_licenses::user_id))
        .select(user_licenses::user_id);
    let oldest = LimitToFreeSeats {
        query: waiting,
        tenant,
        app,
    };
    let promoted: Vec<UserId> = on_conn!(conn, c => oldest.load(c).await)?;
    activate_waiting(conn, tenant, app, &promoted).await?;
    add_assigned(conn, tenant, app, promoted.len() as i64).await?;
    crate::events::license_errors(conn, tenant, app, &[], &promoted).await?;
    Ok(promoted)
}

/// `query`, a SELECT of waiting users in their turn's order, limited to
/// the app's free seats, which the statement reads itself (`LIMIT
/// (SELECT …)`: no statement of its own; diesel's `limit` takes only a
/// value). None free, or too many assigned: `LIMIT 0`. Run it with the
/// app's row locked, so the seats are the ones that commit.
struct LimitToFreeSeats<Q> {
    query: Q,
    tenant: TenantId,
    app: AppId,
}

impl<Q, DB> QueryFragment<DB> for LimitToFreeSeats<Q>
where
    DB: Backend + HasSqlType<Uuid>,
    Q: QueryFragment<DB>,
    TenantId: ToSql<Uuid, DB>,
    AppId: ToSql<Uuid, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        // MAX makes one row even without the app (then NULL, and 0): a
        // NULL LIMIT would mean no limit on PostgreSQL.
        out.push_sql(
            " LIMIT (SELECT COALESCE(MAX(CASE WHEN purchased_seats > assigned_seats \
             THEN purchased_seats - assigned_seats ELSE 0 END), 0) FROM apps \
             WHERE tenant_id = ",
        );
        out.push_bind_param::<Uuid, _>(&self.tenant)?;
        out.push_sql(" AND id = ");
        out.push_bind_param::<Uuid, _>(&self.app)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<Q: Query> Query for LimitToFreeSeats<Q> {
    type SqlType = Q::SqlType;
}

// The text is the query's with a fixed suffix: its static id, when it has
// one, still identifies the text.
impl<Q: QueryId> QueryId for LimitToFreeSeats<Q> {
    type QueryId = LimitToFreeSeats<Q::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

async fn activate_waiting(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
) -> CoreResult<()> {
    let at = now();
    for chunk in users.chunks(ID_CHUNK) {
        let query = diesel::update(
            user_licenses::table
                .filter(user_licenses::tenant_id.eq(tenant))
                .filter(user_licenses::app_id.eq(app))
                .filter(user_licenses::user_id.eq_any(chunk)),
        )
        .set((
            user_licenses::state.eq(LicenseState::Active),
            user_licenses::error_code.eq(None::<LicenseErrorCode>),
            user_licenses::since.eq(at),
        ));
        on_conn!(conn, c => query.execute(c).await)?;
    }
    Ok(())
}

async fn insert_rows(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
    state: LicenseState,
) -> CoreResult<()> {
    let at = now();
    let error_code = (state == LicenseState::Error).then_some(LicenseErrorCode::CountViolation);
    for chunk in users.chunks(INSERT_CHUNK) {
        let rows: Vec<NewLicense> = chunk
            .iter()
            .map(|user| NewLicense {
                tenant_id: tenant,
                app_id: app,
                user_id: *user,
                state,
                error_code,
                since: at,
            })
            .collect();
        insert_rows!(conn, user_licenses::table, rows)?;
    }
    Ok(())
}

/// Move `app`'s assigned seats by `delta` and record `seats.low` if they
/// crossed its threshold. Call with the app's row locked (every seat
/// change takes that lock first, see `crate::locks`): the statement then
/// starts after the lock was granted, so the low-seat threshold it reads
/// along (a scalar subquery: no statement of its own) is the one that
/// commits.
pub(crate) async fn add_assigned(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    delta: i64,
) -> CoreResult<()> {
    if delta == 0 {
        return Ok(());
    }
    let threshold = app_subscriptions::table
        .filter(app_subscriptions::tenant_id.eq(tenant))
        .filter(app_subscriptions::app_id.eq(app))
        .select(app_subscriptions::low_seat_threshold)
        .single_value();
    // The seat counter's UPDATE runs in every write: prepared once per
    // connection (`db::fixed_text`).
    let query = FixedText(
        diesel::update(
            apps::table
                .filter(apps::tenant_id.eq(tenant))
                .filter(apps::id.eq(app)),
        )
        .set(apps::assigned_seats.eq(apps::assigned_seats + delta))
        .returning((apps::purchased_seats, apps::assigned_seats, threshold)),
    );
    let (purchased, assigned, threshold): (i64, i64, Option<i64>) =
        on_conn!(conn, c => query.get_result(c).await)?;
    crate::events::seats_changed_at(
        conn,
        tenant,
        app,
        Seats {
            purchased,
            assigned,
        },
        threshold,
    )
    .await?;
    Ok(())
}
