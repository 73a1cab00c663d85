//! The license-details screen in two statements on one connection: the
//! app, then one page of its assignments joined to the users and groups
//! they name, with (when asked) how many assignments the app has.
//!
//! The general read path answers the same screen with a statement and a
//! pool checkout per relation (app, page, count, users, groups), which is
//! what keeps any GraphQL selection bounded. This module exists because the
//! screen is the product's hottest read.
//!
//! The API answers the screen itself with one statement
//! ([`Store::license_details_screen`](super::screen)) whenever it can plan
//! the whole selection; this read serves the selections it declines, which
//! may go on to ask anything of the app, users and groups, so it returns
//! whole rows for the request's DataLoaders. (An earlier measurement here,
//! taken before `license_assignments_by_app` existed, found the app joined
//! into the page dearer than two statements; with the index it is not, see
//! `screen`.)
//!
//! The page statement (both backends):
//!
//! ```sql
//! SELECT a.*, u.*, g.*,
//!        CASE WHEN $count THEN (SELECT count(*) FROM license_assignments
//!                               WHERE tenant_id = $tenant AND app_id = $app) END
//! FROM license_assignments a
//! LEFT JOIN users  u ON a.principal_kind = 'USER'  AND u.tenant_id = a.tenant_id AND u.id = a.principal_id
//! LEFT JOIN groups g ON a.principal_kind = 'GROUP' AND g.tenant_id = a.tenant_id AND g.id = a.principal_id
//! WHERE a.tenant_id = $tenant AND a.app_id = $app AND a.id > $after
//! ORDER BY a.id LIMIT $first + 1
//! ```
//!
//! The page is one range of the index `license_assignments_by_app`
//! `(tenant_id, app_id, id)`, read in order and stopped at the limit, so it
//! costs the page's rows, not the app's or the tenant's (before the index,
//! SQLite walked the tenant's assignments in id order and PostgreSQL read
//! and sorted all of the app's: 48.8 ms for a page of an app with 20,000
//! holders, 0.26 ms with it).
//!
//! The count is an uncorrelated subquery (bound to the same tenant and app),
//! so both backends evaluate it once per statement, not once per row, and
//! inside a CASE, so neither evaluates it when the caller did not ask. A
//! page that comes back empty after a cursor carries no count: only then is
//! it a third statement.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::AssignmentRow;
use crate::apps::AppRow;
use crate::db::fixed_text::FixedText;
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

/// How many assignments `$app` has, as a column of the page's statement:
/// an uncorrelated count, evaluated once, and only when `$page` asks for
/// it (both backends evaluate a CASE branch, and the subquery in it,
/// lazily); NULL otherwise. A SQL literal, so a statement holding it must
/// be wrapped in `FixedText` to stay prepared. (A macro: the expression's
/// type is diesel's nested literal-and-bind types, not worth naming.)
macro_rules! count_when_asked {
    ($tenant:expr, $app:expr, $page:expr) => {
        diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>("CASE WHEN ")
            .bind::<diesel::sql_types::Bool, _>($page.count_total)
            .sql(" THEN (SELECT count(*) FROM license_assignments WHERE tenant_id = ")
            .bind::<$crate::db::sql_types::Uuid, _>($tenant)
            .sql(" AND app_id = ")
            .bind::<$crate::db::sql_types::Uuid, _>($app)
            .sql(") END")
    };
}
pub(super) use count_when_asked;

type PageRow = (
    AssignmentRow,
    Option<UserRow>,
    Option<GroupRow>,
    Option<i64>,
);

impl Store {
    /// The license-details screen of `app` in two statements on one pooled
    /// connection; `None` when the tenant has no such app.
    pub async fn app_with_assignments(
        &self,
        tenant: TenantId,
        app: AppId,
        page: &PageRequest,
    ) -> CoreResult<Option<AppWithAssignments>> {
        let after = AssignmentId(page.keyset_after());
        let total = count_when_asked!(tenant, app, page);
        read_conn!(self, conn => {
            let app_row: Option<AppRow> = on_conn!(conn, c => apps::table
                .filter(apps::tenant_id.eq(tenant))
                .filter(apps::id.eq(app))
                .select(apps::all_columns)
                .first(c)
                .await
                .optional())?;
            let Some(app_row) = app_row else {
                return Ok(None);
            };
            // FixedText: see `screen`; the text never varies.
            let rows: Vec<PageRow> = on_conn!(conn, c => FixedText(license_assignments::table
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
                .filter(license_assignments::tenant_id.eq(tenant))
                .filter(license_assignments::app_id.eq(app))
                .filter(license_assignments::id.gt(after))
                .order(license_assignments::id)
                .limit(page.fetch_limit())
                .select((
                    license_assignments::all_columns,
                    users::all_columns.nullable(),
                    groups::all_columns.nullable(),
                    total,
                )))
                .load(c)
                .await)?;
            let total = match rows.as_slice().first() {
                Some((_, _, _, total)) => total.unwrap_or(0),
                // Nothing after the cursor (or no assignments at all): the
                // count rode on no row.
                None if page.count_total && page.after.is_some() => on_conn!(conn, c => license_assignments::table
                    .filter(license_assignments::tenant_id.eq(tenant))
                    .filter(license_assignments::app_id.eq(app))
                    .count()
                    .get_result(c)
                    .await)?,
                None => 0,
            };
            assemble(page, App::from(app_row), rows, total).map(Some)
        })
    }
}

/// Fold the page's joined rows into the screen.
fn assemble(
    page: &PageRequest,
    app: App,
    rows: Vec<PageRow>,
    total: i64,
) -> CoreResult<AppWithAssignments> {
    let mut assignments = Vec::with_capacity(rows.len());
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for (assignment, user, group, _) in rows {
        assignments.push(assignment.into_assignment()?);
        users.extend(user.map(User::from));
        groups.extend(group.map(Group::from));
    }
    let total_count = page.count_total.then_some(total);
    let page = Page::from_rows(page, assignments, total_count, |a: &Assignment| {
        Cursor::new("", a.id.0)
    });
    Ok(AppWithAssignments {
        app,
        assignments: page,
        users,
        groups,
    })
}
