//! The license-details screen as the console draws it, in one statement:
//! the app's headline (name, description, vendor, seats), one page of its
//! assignments, and the display name (and e-mail) of each principal.
//!
//! [`AppWithAssignments`](super::AppWithAssignments) reads the same screen
//! in two statements and returns whole rows, because the general GraphQL
//! path may go on to ask anything of the app, users and groups it feeds to
//! the request's DataLoaders. This read serves the API's compiled plan for
//! the screen (`api/src/graphql/compiled`), which knows the selection in
//! advance and asks only for these columns:
//!
//! ```sql
//! SELECT app.name, app.description, app.vendor_*, app.*_seats,
//!        l.id, l.principal_kind, l.principal_id, l.assigned_by, l.assigned_at,
//!        u.display_name, u.email, g.display_name,
//!        CASE WHEN $count THEN (SELECT count(*) …) END
//! FROM license_assignments l
//! LEFT JOIN apps app ON app.tenant_id = l.tenant_id
//!      AND app.id = CASE WHEN l.id = (SELECT id … ORDER BY id LIMIT 1) THEN l.app_id END
//! LEFT JOIN users  u ON u.tenant_id = l.tenant_id AND u.id = CASE WHEN l.principal_kind = 'USER'  THEN l.principal_id END
//! LEFT JOIN groups g ON g.tenant_id = l.tenant_id AND g.id = CASE WHEN l.principal_kind = 'GROUP' THEN l.principal_id END
//! WHERE l.tenant_id = $tenant AND l.app_id = $app AND l.id > $after
//! ORDER BY l.id LIMIT $first + 1
//! ```
//!
//! Why it is shaped so:
//! - The page drives the statement, read in order from
//!   `license_assignments_by_app` and stopped at the limit. Joined the other
//!   way round (the app first, its page left-joined), PostgreSQL no longer
//!   sees the page's order and sorts all of the app's assignments before
//!   the limit.
//! - The app's headline comes on the page's first row only, the join keyed
//!   by `CASE` on that row's id (an uncorrelated subquery, evaluated once).
//!   Joined on every row, its five texts were decoded and dropped 51 times
//!   per screen: the PostgreSQL server's CPU per screen fell by about a
//!   tenth without them (on SQLite the change was within the noise;
//!   bench/README.md, "2026-12-05"). The other rows' key is NULL, which
//!   neither backend probes.
//! - The principal joins are keyed by `CASE`: a user row's group key is
//!   NULL, which no index entry matches, so neither backend probes `groups`
//!   for a user's assignment (with `principal_kind = 'GROUP'` as a join
//!   filter, PostgreSQL probed first and filtered after: 51 probes per
//!   page, 102 buffer reads, for nothing).
//! - It is a single snapshot: seats and page cannot disagree, as two
//!   statements on PostgreSQL in read-committed mode could.
//!
//! Invariant: `None` means the statement returned no row, which happens
//! when the tenant has no such app *or* the page is empty; the caller then
//! answers the general way, which tells the two apart. A row whose
//! principal no longer exists is reported the same way, so the general
//! path can report it as it always has.

use diesel::dsl::case_when;
use diesel::prelude::*;

use crate::db::fixed_text::FixedText;
use crate::db::sql_types::StoredTime;
use crate::db::{Store, load_rows, read_conn};
use crate::error::CoreResult;
use crate::ids::*;
use crate::model::{Assignment, Seats, Vendor, utc};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::{apps, groups, license_assignments, users};

/// What the license-details screen shows of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppHeadline {
    /// Its id.
    pub id: AppId,
    /// The product's name.
    pub name: String,
    /// What the product does.
    pub description: String,
    /// Who sells it.
    pub vendor: Vendor,
    /// Purchased and assigned seats.
    pub seats: Seats,
}

/// What the screen shows of the user or group an assignment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalCard {
    /// A user.
    User {
        /// The user's id.
        id: UserId,
        /// Their display name.
        display_name: String,
        /// Their e-mail address.
        email: String,
    },
    /// A group.
    Group {
        /// The group's id.
        id: GroupId,
        /// Its display name.
        display_name: String,
    },
}

/// One line of the screen: an assignment and whom it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentLine {
    /// The assignment.
    pub assignment: Assignment,
    /// The user or group it is assigned to.
    pub principal: PrincipalCard,
}

/// The license-details screen: the app's headline and one page of lines.
#[derive(Debug, Clone)]
pub struct LicenseDetailsScreen {
    /// The app.
    pub app: AppHeadline,
    /// The page, oldest assignment first.
    pub assignments: Page<AssignmentLine>,
}

/// The app's name, description, vendor name, website and support e-mail,
/// purchased and assigned seats: on the page's first row, NULL on the
/// others.
type HeadlineColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);
/// The assignment's id, principal kind and id, who assigned it and when.
type AssignmentColumns = (AssignmentId, PrincipalKind, AnyId, String, StoredTime);
/// The user's display name and e-mail, or the group's display name.
type NameColumns = (Option<String>, Option<String>, Option<String>);
type ScreenRow = (HeadlineColumns, AssignmentColumns, NameColumns, Option<i64>);

impl Store {
    /// The license-details screen of `app` in one statement; `None` when
    /// the statement found no row (see the module's invariant).
    pub async fn license_details_screen(
        &self,
        tenant: TenantId,
        app: AppId,
        page: &PageRequest,
    ) -> CoreResult<Option<LicenseDetailsScreen>> {
        let after = AssignmentId(page.keyset_after());
        let total = super::details::count_when_asked!(tenant, app, page);
        // The page's first id, as SQL: diesel will not let the table the
        // outer query reads appear again in a subquery. Its columns name
        // the subquery's own table, so it is uncorrelated.
        let first_id = diesel::dsl::sql::<diesel::sql_types::Nullable<crate::db::sql_types::Uuid>>(
            "(SELECT id FROM license_assignments WHERE tenant_id = ",
        )
        .bind::<crate::db::sql_types::Uuid, _>(tenant)
        .sql(" AND app_id = ")
        .bind::<crate::db::sql_types::Uuid, _>(app)
        .sql(" AND id > ")
        .bind::<crate::db::sql_types::Uuid, _>(after)
        .sql(" ORDER BY id LIMIT 1)");
        // FixedText: the SQL literals (the first id, the count) would
        // otherwise make diesel prepare (parse and plan) the statement anew
        // on every request; its text never varies.
        let query = FixedText(
            license_assignments::table
                .left_join(
                    apps::table.on(apps::tenant_id.eq(license_assignments::tenant_id).and(
                        apps::id.nullable().eq(case_when(
                            license_assignments::id.nullable().eq(first_id),
                            license_assignments::app_id,
                        )),
                    )),
                )
                .left_join(users::table.on(
                    users::tenant_id.eq(license_assignments::tenant_id).and(
                        users::id.nullable().eq(case_when(
                            license_assignments::principal_kind.eq(PrincipalKind::User),
                            license_assignments::principal_id,
                        )),
                    ),
                ))
                .left_join(groups::table.on(
                    groups::tenant_id.eq(license_assignments::tenant_id).and(
                        groups::id.nullable().eq(case_when(
                            license_assignments::principal_kind.eq(PrincipalKind::Group),
                            license_assignments::principal_id,
                        )),
                    ),
                ))
                .filter(license_assignments::tenant_id.eq(tenant))
                .filter(license_assignments::app_id.eq(app))
                .filter(license_assignments::id.gt(after))
                .order(license_assignments::id)
                .limit(page.fetch_limit())
                .select((
                    (
                        apps::name.nullable(),
                        apps::description.nullable(),
                        apps::vendor_name.nullable(),
                        apps::vendor_website.nullable(),
                        apps::vendor_support_email.nullable(),
                        apps::purchased_seats.nullable(),
                        apps::assigned_seats.nullable(),
                    ),
                    (
                        license_assignments::id,
                        license_assignments::principal_kind,
                        license_assignments::principal_id,
                        license_assignments::assigned_by,
                        license_assignments::assigned_at,
                    ),
                    (
                        users::display_name.nullable(),
                        users::email.nullable(),
                        groups::display_name.nullable(),
                    ),
                    total,
                )),
        );
        let rows = read_conn!(self, conn => Ok(load_rows!(conn, query => ScreenRow)?))?;
        Ok(assemble(app, page, rows))
    }
}

/// Fold the rows into the screen; `None` when there are none, when the
/// first has no headline, or when a row names a principal that was not
/// found.
fn assemble(app: AppId, page: &PageRequest, rows: Vec<ScreenRow>) -> Option<LicenseDetailsScreen> {
    let mut rows = rows.into_iter();
    let (headline, first_line, first_names, total) = rows.next()?;
    let (name, description, vendor_name, website, support_email, purchased, assigned) = headline;
    let app = AppHeadline {
        id: app,
        name: name?,
        description: description?,
        vendor: Vendor {
            name: vendor_name?,
            website: website?,
            support_email: support_email?,
        },
        seats: Seats {
            purchased: purchased?,
            assigned: assigned?,
        },
    };
    let mut lines = Vec::with_capacity(rows.len() + 1);
    lines.push(line(app.id, first_line, first_names)?);
    for (_, assignment, names, _) in rows {
        lines.push(line(app.id, assignment, names)?);
    }
    let total_count = page.count_total.then(|| total.unwrap_or(0));
    let assignments = Page::from_rows(page, lines, total_count, |l: &AssignmentLine| {
        Cursor::new("", l.assignment.id.0)
    });
    Some(LicenseDetailsScreen { app, assignments })
}

fn line(
    app: AppId,
    (id, kind, principal_id, assigned_by, assigned_at): AssignmentColumns,
    (user_name, email, group_name): NameColumns,
) -> Option<AssignmentLine> {
    let principal = PrincipalId::from_parts(kind, principal_id);
    let card = match principal {
        PrincipalId::User(id) => PrincipalCard::User {
            id,
            display_name: user_name?,
            email: email?,
        },
        PrincipalId::Group(id) => PrincipalCard::Group {
            id,
            display_name: group_name?,
        },
    };
    Some(AssignmentLine {
        assignment: Assignment {
            id,
            app_id: app,
            principal,
            assigned_by,
            assigned_at: utc(assigned_at.0),
        },
        principal: card,
    })
}

#[cfg(test)]
mod tests {
    use crate::db::fixed_text::prepared_like;
    use crate::db::{Store, StoreOptions, read_conn};
    use crate::ids::AppId;
    use crate::model::{Actor, NewApp, Vendor};
    use crate::paging::PageRequest;
    use crate::testing::TestDatabase;

    /// The screen's statements this store's one connection keeps prepared.
    async fn prepared_screens(store: &Store) -> crate::error::CoreResult<i64> {
        read_conn!(store, conn => prepared_like(conn, "SELECT \"apps\".\"name\"%").await)
    }

    /// Parsing and planning the four-table join cost more than running it:
    /// the statement is prepared once per connection and reused.
    #[tokio::test]
    async fn the_screen_is_prepared_once_per_connection() {
        let Some(db) = TestDatabase::postgres().await else {
            return;
        };
        let store = db
            .store_with(StoreOptions {
                max_connections: 1,
                ..StoreOptions::default()
            })
            .await;
        let actor = Actor::named("test");
        let tenant = store
            .create_tenant(&actor, "Contoso")
            .await
            .expect("tenant")
            .id;
        let app = NewApp {
            name: "Whiteboard".into(),
            description: String::new(),
            vendor: Vendor {
                name: "Fabrikam".into(),
                website: "https://fabrikam.example".into(),
                support_email: "help@fabrikam.example".into(),
            },
            seats: 1,
            adapter_key: None,
            adapter_settings: serde_json::Value::Null,
        };
        let app: AppId = store
            .register_app(tenant, &actor, app)
            .await
            .expect("app")
            .id;
        for first in [5, 10, 5] {
            let page = PageRequest::first(first).counting_total(true);
            store
                .license_details_screen(tenant, app, &page)
                .await
                .expect("read");
            let prepared = prepared_screens(&store).await.expect("count");
            assert_eq!(prepared, 1, "after a page of {first}");
        }
    }
}
