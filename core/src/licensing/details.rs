//! The license-details screen in one statement: an app, one page of its
//! assignments, the users and groups those assignments name, and (when
//! asked) how many assignments the app has.
//!
//! The general read path answers the same screen with a statement per
//! relation (app, page, users, groups, count), which is what keeps any
//! GraphQL selection bounded. This module exists because the screen is the
//! product's hottest read, and round trips dominate its cost: one joined
//! statement beats even a hand-written two-query endpoint.
//!
//! Shape of the statement (both backends):
//!
//! ```sql
//! SELECT app.*, a.*, u.*, g.*,
//!        CASE WHEN $count THEN (SELECT count(*) FROM license_assignments
//!                               WHERE tenant_id = $tenant AND app_id = $app) END
//! FROM apps app
//! LEFT JOIN license_assignments a
//!        ON a.tenant_id = app.tenant_id AND a.app_id = app.id AND a.id > $after
//! LEFT JOIN users  u ON a.principal_kind = 'USER'  AND u.tenant_id = a.tenant_id AND u.id = a.principal_id
//! LEFT JOIN groups g ON a.principal_kind = 'GROUP' AND g.tenant_id = a.tenant_id AND g.id = a.principal_id
//! WHERE app.tenant_id = $tenant AND app.id = $app
//! ORDER BY a.id LIMIT $first + 1
//! ```
//!
//! The count is an uncorrelated subquery (bound to the same tenant and app),
//! so both backends evaluate it once per statement, not once per row, and
//! inside a CASE, so neither evaluates it when the caller did not ask.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable};
use diesel_async::RunQueryDsl;

use super::AssignmentRow;
use crate::apps::AppRow;
use crate::db::sql_types::Uuid as SqlUuid;
use crate::db::{Store, on_conn, read_conn};
use crate::error::CoreResult;
use crate::groups::GroupRow;
use crate::ids::*;
use crate::model::{App, Assignment, Group, User};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::{apps, groups, license_assignments, users};
use crate::users::UserRow;

/// An app with one page of its assignments and the principals on that page.
#[derive(Debug, Clone)]
pub struct AppWithAssignments {
    /// The app, seats included.
    pub app: App,
    /// The page of assignments, oldest first.
    pub assignments: Page<Assignment>,
    /// The users the page's assignments name.
    pub users: Vec<User>,
    /// The groups the page's assignments name.
    pub groups: Vec<Group>,
}

type DetailsRow = (
    AppRow,
    Option<AssignmentRow>,
    Option<UserRow>,
    Option<GroupRow>,
    Option<i64>,
);

impl Store {
    /// The license-details screen of `app` in one statement; `None` when the
    /// tenant has no such app.
    pub async fn app_with_assignments(
        &self,
        tenant: TenantId,
        app: AppId,
        page: &PageRequest,
    ) -> CoreResult<Option<AppWithAssignments>> {
        // Keyset start: strictly after the cursor's assignment; the nil UUID
        // sorts before every id on both backends (v7 ids are never nil).
        let after = AssignmentId(page.after.as_ref().map_or(uuid::Uuid::nil(), |c| c.id));
        // An uncorrelated count, evaluated once, and only when asked: both
        // backends evaluate a CASE branch (and the subquery in it) lazily.
        let total = sql::<Nullable<BigInt>>("CASE WHEN ")
            .bind::<Bool, _>(page.count_total)
            .sql(" THEN (SELECT count(*) FROM license_assignments WHERE tenant_id = ")
            .bind::<SqlUuid, _>(tenant)
            .sql(" AND app_id = ")
            .bind::<SqlUuid, _>(app)
            .sql(") END");
        read_conn!(self, conn => {
            let rows: Vec<DetailsRow> = on_conn!(conn, c => apps::table
                .left_join(
                    license_assignments::table.on(license_assignments::tenant_id
                        .eq(apps::tenant_id)
                        .and(license_assignments::app_id.eq(apps::id))
                        .and(license_assignments::id.gt(after))),
                )
                .left_join(
                    users::table.on(license_assignments::principal_kind
                        .eq(PrincipalKind::User)
                        .and(users::tenant_id.eq(license_assignments::tenant_id))
                        .and(users::id.eq(license_assignments::principal_id))),
                )
                .left_join(
                    groups::table.on(license_assignments::principal_kind
                        .eq(PrincipalKind::Group)
                        .and(groups::tenant_id.eq(license_assignments::tenant_id))
                        .and(groups::id.eq(license_assignments::principal_id))),
                )
                .filter(apps::tenant_id.eq(tenant))
                .filter(apps::id.eq(app))
                .order(license_assignments::id)
                .limit(page.fetch_limit())
                .select((
                    apps::all_columns,
                    license_assignments::all_columns.nullable(),
                    users::all_columns.nullable(),
                    groups::all_columns.nullable(),
                    total,
                ))
                .load(c)
                .await)?;
            assemble(page, rows)
        })
    }
}

/// Fold the joined rows into the screen: the app from any row (all carry
/// it), the page from the rows that carry an assignment.
fn assemble(page: &PageRequest, rows: Vec<DetailsRow>) -> CoreResult<Option<AppWithAssignments>> {
    let mut app = None;
    let mut total = None;
    let mut assignments = Vec::new();
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for (app_row, assignment, user, group, count) in rows {
        if app.is_none() {
            app = Some(App::from(app_row));
            total = count;
        }
        // An app without assignments (after the cursor) comes back as one
        // row whose assignment columns are all NULL.
        let Some(assignment) = assignment else {
            continue;
        };
        assignments.push(assignment.into_assignment()?);
        users.extend(user.map(User::from));
        groups.extend(group.map(Group::from));
    }
    let Some(app) = app else {
        return Ok(None);
    };
    let total_count = page.count_total.then(|| total.unwrap_or(0));
    let page = Page::from_rows(page, assignments, total_count, |a: &Assignment| {
        Cursor::new("", a.id.0)
    });
    Ok(Some(AppWithAssignments {
        app,
        assignments: page,
        users,
        groups,
    }))
}
