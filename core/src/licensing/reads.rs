//! Reading assignments and effective licenses. Every function here issues a
//! fixed number of statements whatever the page or batch size, so the API's
//! DataLoaders stay bounded.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::AssignmentRow;
use crate::db::{Conn, Store, on_conn, read_conn};
use crate::error::CoreResult;
use crate::ids::*;
use crate::model::{Assignment, EffectiveLicense, LicenseErrorCode, LicenseState, utc};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::{group_members, license_assignments, user_licenses};

const LICENSE_COLUMNS: (
    user_licenses::app_id,
    user_licenses::user_id,
    user_licenses::state,
    user_licenses::error_code,
    user_licenses::since,
) = (
    user_licenses::app_id,
    user_licenses::user_id,
    user_licenses::state,
    user_licenses::error_code,
    user_licenses::since,
);

#[derive(Queryable)]
struct LicenseRow {
    app_id: AppId,
    user_id: UserId,
    state: LicenseState,
    error_code: Option<LicenseErrorCode>,
    since: chrono::NaiveDateTime,
}

/// Which effective licenses of an app to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseFilter {
    /// Every user who holds the license, active or waiting.
    All,
    /// Only users waiting for a seat (`COUNT_VIOLATION`).
    Errors,
}

impl Store {
    /// Assignments of an app, oldest first.
    pub async fn assignments(
        &self,
        tenant: TenantId,
        app: AppId,
        page: &PageRequest,
    ) -> CoreResult<Page<Assignment>> {
        read_conn!(self, conn => {
            let after = page.after.as_ref().map(|c| AssignmentId(c.id));
            let rows: Vec<AssignmentRow> = on_conn!(conn, c => {
                let mut q = license_assignments::table
                    .filter(license_assignments::tenant_id.eq(tenant))
                    .filter(license_assignments::app_id.eq(app))
                    .into_boxed();
                if let Some(after) = after {
                    q = q.filter(license_assignments::id.gt(after));
                }
                q.order(license_assignments::id)
                    .limit(page.fetch_limit())
                    .select(license_assignments::all_columns)
                    .load(c)
                    .await
            })?;
            // An empty page may mean an unknown id: only then is it worth a
            // statement to tell the two apart.
            if rows.is_empty() {
                crate::apps::load(conn, tenant, app).await?;
            }
            let total = if page.count_total {
                Some(on_conn!(conn, c => license_assignments::table
                    .filter(license_assignments::tenant_id.eq(tenant))
                    .filter(license_assignments::app_id.eq(app))
                    .count()
                    .get_result(c)
                    .await)?)
            } else {
                None
            };
            let page = Page::from_rows(page, rows, total, |r| Cursor::new("", r.id.0));
            let items = page
                .items
                .into_iter()
                .map(|(c, r)| Ok((c, r.into_assignment()?)))
                .collect::<CoreResult<Vec<_>>>()?;
            Ok(Page {
                items,
                has_next_page: page.has_next_page,
                has_previous_page: page.has_previous_page,
                total_count: page.total_count,
            })
        })
    }

    /// Users holding an app's license (or, with [`LicenseFilter::Errors`],
    /// waiting for a seat), by user id, each with how they hold it.
    pub async fn licensed_users(
        &self,
        tenant: TenantId,
        app: AppId,
        filter: LicenseFilter,
        page: &PageRequest,
    ) -> CoreResult<Page<EffectiveLicense>> {
        read_conn!(self, conn => {
            let after = page.after.as_ref().map(|c| UserId(c.id));
            let rows: Vec<LicenseRow> = on_conn!(conn, c => {
                let mut q = user_licenses::table
                    .filter(user_licenses::tenant_id.eq(tenant))
                    .filter(user_licenses::app_id.eq(app))
                    .into_boxed();
                if filter == LicenseFilter::Errors {
                    q = q.filter(user_licenses::state.eq(LicenseState::Error));
                }
                if let Some(after) = after {
                    q = q.filter(user_licenses::user_id.gt(after));
                }
                q.order(user_licenses::user_id)
                    .limit(page.fetch_limit())
                    .select(LICENSE_COLUMNS)
                    .load(c)
                    .await
            })?;
            // An empty page may mean an unknown id: only then is it worth a
            // statement to tell the two apart.
            if rows.is_empty() {
                crate::apps::load(conn, tenant, app).await?;
            }
            let total = if page.count_total {
                Some(on_conn!(conn, c => {
                    let mut q = user_licenses::table
                        .filter(user_licenses::tenant_id.eq(tenant))
                        .filter(user_licenses::app_id.eq(app))
                        .into_boxed();
                    if filter == LicenseFilter::Errors {
                        q = q.filter(user_licenses::state.eq(LicenseState::Error));
                    }
                    q.count().get_result(c).await
                })?)
            } else {
                None
            };
            let page = Page::from_rows(page, rows, total, |r| Cursor::new("", r.user_id.0));
            let (cursors, rows): (Vec<Cursor>, Vec<LicenseRow>) = page.items.into_iter().unzip();
            let licenses = with_paths(conn, tenant, rows).await?;
            Ok(Page {
                items: cursors.into_iter().zip(licenses).collect(),
                has_next_page: page.has_next_page,
                has_previous_page: page.has_previous_page,
                total_count: page.total_count,
            })
        })
    }

    /// Every effective license of each given user, keyed by user.
    pub async fn licenses_of_users(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> CoreResult<HashMap<UserId, Vec<EffectiveLicense>>> {
        read_conn!(self, conn => {
            let query = user_licenses::table
                .filter(user_licenses::tenant_id.eq(tenant))
                .filter(user_licenses::user_id.eq_any(users))
                .order((user_licenses::user_id, user_licenses::app_id))
                .select(LICENSE_COLUMNS);
            let rows: Vec<LicenseRow> = on_conn!(conn, c => query.load(c).await)?;
            let mut out: HashMap<UserId, Vec<EffectiveLicense>> = HashMap::new();
            for license in with_paths(conn, tenant, rows).await? {
                out.entry(license.user_id).or_default().push(license);
            }
            Ok(out)
        })
    }

    /// Apps assigned to each given group, keyed by group, each with its
    /// assignment's id, oldest assignment first (ids are time-ordered).
    pub async fn apps_assigned_to_groups(
        &self,
        tenant: TenantId,
        groups: &[GroupId],
    ) -> CoreResult<HashMap<GroupId, Vec<(AssignmentId, AppId)>>> {
        read_conn!(self, conn => {
            let query = license_assignments::table
                .filter(license_assignments::tenant_id.eq(tenant))
                .filter(license_assignments::principal_id.eq_any(groups))
                .filter(license_assignments::principal_kind.eq(PrincipalKind::Group))
                .order(license_assignments::id)
                .select((
                    license_assignments::principal_id,
                    license_assignments::id,
                    license_assignments::app_id,
                ));
            let rows: Vec<(AnyId, AssignmentId, AppId)> = on_conn!(conn, c => query.load(c).await)?;
            let mut out: HashMap<GroupId, Vec<(AssignmentId, AppId)>> = HashMap::new();
            for (group, assignment, app) in rows {
                out.entry(GroupId(group.0)).or_default().push((assignment, app));
            }
            Ok(out)
        })
    }

    /// Number of users waiting for a seat, per app.
    pub async fn license_error_counts(
        &self,
        tenant: TenantId,
        apps: &[AppId],
    ) -> CoreResult<HashMap<AppId, i64>> {
        read_conn!(self, conn => {
            let query = user_licenses::table
                .filter(user_licenses::tenant_id.eq(tenant))
                .filter(user_licenses::app_id.eq_any(apps))
                .filter(user_licenses::state.eq(LicenseState::Error))
                .group_by(user_licenses::app_id)
                .select((user_licenses::app_id, diesel::dsl::count_star()));
            let rows: Vec<(AppId, i64)> = on_conn!(conn, c => query.load(c).await)?;
            Ok(rows.into_iter().collect())
        })
    }
}

/// Attach to each license row the paths by which its user holds it: two
/// statements for any number of rows.
async fn with_paths(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    rows: Vec<LicenseRow>,
) -> CoreResult<Vec<EffectiveLicense>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let users: Vec<UserId> = rows
        .iter()
        .map(|r| r.user_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let apps: Vec<AppId> = rows
        .iter()
        .map(|r| r.app_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let direct = license_assignments::table
        .filter(license_assignments::tenant_id.eq(tenant))
        .filter(license_assignments::app_id.eq_any(&apps))
        .filter(license_assignments::principal_id.eq_any(&users))
        .select((
            license_assignments::app_id,
            license_assignments::principal_id,
        ));
    let direct: BTreeSet<(AppId, AnyId)> =
        on_conn!(conn, c => direct.load::<(AppId, AnyId)>(c).await)?
            .into_iter()
            .collect();
    let via = group_members::table
        .inner_join(
            license_assignments::table.on(license_assignments::tenant_id
                .eq(group_members::tenant_id)
                .and(license_assignments::principal_id.eq(group_members::group_id))),
        )
        .filter(group_members::tenant_id.eq(tenant))
        .filter(group_members::user_id.eq_any(&users))
        .filter(license_assignments::app_id.eq_any(&apps))
        .order(group_members::group_id)
        .select((
            license_assignments::app_id,
            group_members::user_id,
            group_members::group_id,
        ));
    let mut groups: BTreeMap<(AppId, UserId), Vec<GroupId>> = BTreeMap::new();
    for (app, user, group) in on_conn!(conn, c => via.load::<(AppId, UserId, GroupId)>(c).await)? {
        groups.entry((app, user)).or_default().push(group);
    }
    Ok(rows
        .into_iter()
        .map(|r| EffectiveLicense {
            assigned_directly: direct.contains(&(r.app_id, AnyId(r.user_id.0))),
            via_groups: groups.remove(&(r.app_id, r.user_id)).unwrap_or_default(),
            state: r.state,
            error_code: r.error_code,
            since: utc(r.since),
            app_id: r.app_id,
            user_id: r.user_id,
        })
        .collect())
}
