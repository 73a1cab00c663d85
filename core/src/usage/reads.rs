//! Who is active and who holds an idle seat. Every read is a fixed number
//! of statements whatever the page or batch size.

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{check_idle_days, idle_cutoff};
use crate::db::{Conn, Store, custom_plan, on_conn, read_conn};
use crate::error::CoreResult;
use crate::ids::*;
use crate::model::{LicenseState, utc};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::user_licenses as ul;
use crate::schema::{app_user_activity as activity, group_members, license_assignments as la};

/// An app's usage over a window of `idle_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageSummary {
    /// Seat holders (an `ACTIVE` license) seen active within the window.
    pub active_users: i64,
    /// Seat holders idle for the window (see [`crate::usage`]). The other
    /// holders, neither active nor idle, were never seen and took their
    /// seat within the window.
    pub idle_seats: i64,
}

/// A seat whose holder has been idle for the asked number of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleSeat {
    /// The holder.
    pub user_id: UserId,
    /// When they were last seen active; `None` when never.
    pub last_active_at: Option<DateTime<Utc>>,
    /// When they took the seat: a holder never seen is idle since then.
    pub seat_since: DateTime<Utc>,
    /// They hold a direct assignment of the app (reclaim removes it).
    pub assigned_directly: bool,
    /// They also hold the app through a group: reclaiming their direct
    /// assignment frees no seat.
    pub held_through_group: bool,
}

/// `(user, last activity, seat since, assigned directly)` of idle seats.
type IdleRow = (
    UserId,
    Option<chrono::NaiveDateTime>,
    chrono::NaiveDateTime,
    bool,
);

/// The `ACTIVE` licenses of `$apps` (a diesel filter on `ul::app_id`)
/// whose holder's last activity, or (never seen) whose seat, is at or
/// before `cutoff`: the one definition of an idle seat, shared by the
/// page of idle seats and the per-app counts of the licenses list.
macro_rules! idle_licenses {
    ($tenant:expr, $apps:expr, $cutoff:expr) => {
        ul::table
            .left_join(
                activity::table.on(activity::tenant_id
                    .eq(ul::tenant_id)
                    .and(activity::app_id.eq(ul::app_id))
                    .and(activity::user_id.eq(ul::user_id))),
            )
            .filter(ul::tenant_id.eq($tenant))
            .filter($apps)
            .filter(ul::state.eq(LicenseState::Active))
            .filter(
                activity::last_active_at
                    .le($cutoff)
                    .or(activity::last_active_at
                        .is_null()
                        .and(ul::since.le($cutoff))),
            )
    };
}

/// The idle-seat query: the idle licenses of `app` with whether a direct
/// assignment exists. Boxed per backend by the caller.
macro_rules! idle_seats_query {
    ($tenant:expr, $app:expr, $cutoff:expr) => {{
        let direct = la::table
            .filter(la::tenant_id.eq(ul::tenant_id))
            .filter(la::app_id.eq(ul::app_id))
            .filter(la::principal_id.eq(ul::user_id));
        idle_licenses!($tenant, ul::app_id.eq($app), $cutoff).select((
            ul::user_id,
            activity::last_active_at.nullable(),
            ul::since,
            exists(direct),
        ))
    }};
}

impl Store {
    /// Active users and idle seats of `app` over `idle_days` (1 to 3650),
    /// by the store's clock. An app of no tenant's has no usage (zeros).
    pub async fn usage_summary(
        &self,
        tenant: TenantId,
        app: AppId,
        idle_days: i32,
    ) -> CoreResult<UsageSummary> {
        let cutoff = idle_cutoff(self.clock().now(), check_idle_days(idle_days)?);
        read_conn!(self, conn => {
            let active = ul::table
                .inner_join(
                    activity::table.on(activity::tenant_id
                        .eq(ul::tenant_id)
                        .and(activity::app_id.eq(ul::app_id))
                        .and(activity::user_id.eq(ul::user_id))),
                )
                .filter(ul::tenant_id.eq(tenant))
                .filter(ul::app_id.eq(app))
                .filter(ul::state.eq(LicenseState::Active))
                .filter(activity::last_active_at.gt(cutoff))
                .count();
            let active_users: i64 = on_conn!(conn, c => active.get_result(c).await)?;
            let idle = idle_seats_query!(tenant, app, cutoff).count();
            let idle_seats: i64 = on_conn!(conn, c => idle.get_result(c).await)?;
            Ok(UsageSummary { active_users, idle_seats })
        })
    }

    /// The seats of `app` whose holders have been idle for `idle_days`, in
    /// user id order (keyset paged): two statements per page.
    pub async fn idle_seats(
        &self,
        tenant: TenantId,
        app: AppId,
        idle_days: i32,
        page: &PageRequest,
    ) -> CoreResult<Page<IdleSeat>> {
        let cutoff = idle_cutoff(self.clock().now(), check_idle_days(idle_days)?);
        read_conn!(self, conn => {
            let after = page.after.as_ref().map(|c| UserId(c.id));
            let rows: Vec<IdleRow> = on_conn!(conn, c => {
                let mut q = idle_seats_query!(tenant, app, cutoff)
                    .order(ul::user_id)
                    .limit(page.fetch_limit())
                    .into_boxed();
                if let Some(after) = after {
                    q = q.filter(ul::user_id.gt(after));
                }
                q.load(c).await
            })?;
            let total = if page.count_total {
                let q = idle_seats_query!(tenant, app, cutoff).count();
                Some(on_conn!(conn, c => q.get_result::<i64>(c).await)?)
            } else {
                None
            };
            let seats = with_group_paths(conn, tenant, app, rows).await?;
            Ok(Page::from_rows(page, seats, total, |s| Cursor::new("", s.user_id.0)))
        })
    }

    /// How many seats of each app are idle for each window: one statement
    /// per distinct `idle_days` among `keys` (a page of the licenses list
    /// asks for one window, so one statement for all its apps). Apps
    /// without idle seats, or of no tenant's, are absent (0).
    pub async fn idle_seat_counts(
        &self,
        tenant: TenantId,
        keys: &[(AppId, i32)],
    ) -> CoreResult<HashMap<(AppId, i32), i64>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut apps_by_window: BTreeMap<i32, Vec<AppId>> = BTreeMap::new();
        for (app, idle_days) in keys {
            apps_by_window
                .entry(check_idle_days(*idle_days)?)
                .or_default()
                .push(*app);
        }
        let now = self.clock().now();
        let mut counts = HashMap::new();
        read_conn!(self, conn => {
            for (idle_days, apps) in &apps_by_window {
                let cutoff = idle_cutoff(now, *idle_days);
                let query = idle_licenses!(tenant, ul::app_id.eq_any(apps), cutoff)
                    .group_by(ul::app_id)
                    .select((ul::app_id, diesel::dsl::count_star()));
                let rows: Vec<(AppId, i64)> = on_conn!(conn, c => query.load(c).await)?;
                counts.extend(rows.into_iter().map(|(app, n)| ((app, *idle_days), n)));
            }
            Ok(counts)
        })
    }

    /// When each `(app, user)` was last seen active, for the pairs that
    /// ever were: one statement for the whole batch (a DataLoader's).
    pub async fn last_activity(
        &self,
        tenant: TenantId,
        pairs: &[(AppId, UserId)],
    ) -> CoreResult<HashMap<(AppId, UserId), DateTime<Utc>>> {
        if pairs.is_empty() {
            return Ok(HashMap::new());
        }
        let apps: Vec<AppId> = pairs
            .iter()
            .map(|(a, _)| *a)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let users: Vec<UserId> = pairs
            .iter()
            .map(|(_, u)| *u)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let wanted: BTreeSet<(AppId, UserId)> = pairs.iter().copied().collect();
        read_conn!(self, conn => {
            let query = activity::table
                .filter(activity::tenant_id.eq(tenant))
                .filter(activity::app_id.eq_any(&apps))
                .filter(custom_plan(activity::user_id.eq_any(&users)))
                .select((activity::app_id, activity::user_id, activity::last_active_at));
            let rows: Vec<(AppId, UserId, chrono::NaiveDateTime)> =
                on_conn!(conn, c => query.load(c).await)?;
            Ok(rows
                .into_iter()
                .filter(|(a, u, _)| wanted.contains(&(*a, *u)))
                .map(|(a, u, at)| ((a, u), utc(at)))
                .collect())
        })
    }
}

/// Every seat of `app` idle for `idle_days` (unpaged: reclaim works on
/// the whole set), inside the caller's connection.
pub(super) async fn all_idle_seats(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    cutoff: chrono::NaiveDateTime,
) -> CoreResult<Vec<IdleSeat>> {
    let rows: Vec<IdleRow> = on_conn!(conn, c => {
        idle_seats_query!(tenant, app, cutoff).order(ul::user_id).load(c).await
    })?;
    with_group_paths(conn, tenant, app, rows).await
}

/// The rows as [`IdleSeat`]s, with which of their users also hold the app
/// through a group (one statement).
async fn with_group_paths(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    rows: Vec<IdleRow>,
) -> CoreResult<Vec<IdleSeat>> {
    let users: Vec<UserId> = rows.iter().map(|r| r.0).collect();
    let mut through_group: BTreeSet<UserId> = BTreeSet::new();
    if !users.is_empty() {
        let query = group_members::table
            .inner_join(
                la::table.on(la::tenant_id
                    .eq(group_members::tenant_id)
                    .and(la::principal_id.eq(group_members::group_id))),
            )
            .filter(group_members::tenant_id.eq(tenant))
            .filter(la::app_id.eq(app))
            .filter(custom_plan(group_members::user_id.eq_any(&users)))
            .select(group_members::user_id)
            .distinct();
        through_group.extend(on_conn!(conn, c => query.load::<UserId>(c).await)?);
    }
    Ok(rows
        .into_iter()
        .map(|(user_id, last, since, direct)| IdleSeat {
            user_id,
            last_active_at: last.map(utc),
            seat_since: utc(since),
            assigned_directly: direct,
            held_through_group: through_group.contains(&user_id),
        })
        .collect())
}
