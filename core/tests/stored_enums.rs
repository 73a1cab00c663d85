//! Stored enum values (`seatwise_core::stored`), on SQLite and PostgreSQL:
//! the database holds each column to its type's stored values, and a
//! database of the previous release, whose rows still hold the old values
//! (`'user'`, `'active'`, `'license.assigned'`), reads back and works after
//! the migration `2026-12-02-000004_stored_enums_upper`, which can also be
//! reverted without loss.

mod support;

use diesel::connection::SimpleConnection as _;
use diesel::sql_types::{Nullable, Text};
use diesel::{Connection as _, QueryableByName, SqliteConnection};
use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
use seatwise_core::events::{DeliveryStatus, EventKind};
use seatwise_core::ids::*;
use seatwise_core::model::{LicenseErrorCode, LicenseState, Principal};
use seatwise_core::paging::PageRequest;
use seatwise_core::seat_changes::SeatChangeStatus;
use seatwise_core::subscriptions::SubscriptionState;
use seatwise_core::testing::TestDatabase;
use seatwise_core::usage::ActivitySource;
use seatwise_core::{
    AuditAction, Backend, EntityKind, Recorded, Store, StoredEnum, test_on_both_backends,
};
use support::{Fixture, u};

/// The migration before the one under test, as `Store::migrate` names it.
const PREVIOUS: &str = "20261202000003";
/// The migration under test.
const STORED_ENUMS: &str = "20261202000004";
const AT: &str = "2026-12-01 10:00:00";

test_on_both_backends!(
    each_column_accepts_its_stored_values_and_refuses_others,
    rows_of_the_previous_release_read_back_after_the_migration,
);

/// A plain connection beside the store's pool, for SQL the core never
/// writes (old values, values it refuses).
enum Raw {
    Sqlite(SqliteConnection),
    Postgres(Box<AsyncPgConnection>),
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Value {
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

impl Raw {
    async fn open(db: &TestDatabase) -> Self {
        match db.url().backend() {
            Backend::Sqlite => Raw::Sqlite(
                SqliteConnection::establish(db.url().sqlite_path().expect("a SQLite URL"))
                    .expect("open the SQLite database"),
            ),
            Backend::Postgres => Raw::Postgres(Box::new(
                AsyncPgConnection::establish(db.url().as_str())
                    .await
                    .expect("connect to PostgreSQL"),
            )),
        }
    }

    async fn run(&mut self, sql: &str) -> Result<(), diesel::result::Error> {
        match self {
            Raw::Sqlite(c) => c.batch_execute(sql),
            Raw::Postgres(c) => c.batch_execute(sql).await,
        }
    }

    /// One text column of a table, every row, in a stable order.
    async fn column(&mut self, table: &str, column: &str) -> Vec<Option<String>> {
        let sql = format!("SELECT {column} AS value FROM {table} ORDER BY 1");
        let rows: Vec<Value> = match self {
            Raw::Sqlite(c) => diesel::RunQueryDsl::load(diesel::sql_query(&sql), c),
            Raw::Postgres(c) => {
                diesel_async::RunQueryDsl::load(diesel::sql_query(&sql), &mut **c).await
            }
        }
        .unwrap_or_else(|e| panic!("read {table}.{column}: {e}"));
        rows.into_iter().map(|r| r.value).collect()
    }
}

fn stored<T: StoredEnum>() -> Vec<String> {
    T::ALL.iter().map(|v| v.stored().to_owned()).collect()
}

/// A column holding a stored enum, and how to insert a row with a value.
struct Column {
    name: &'static str,
    values: Vec<String>,
    /// SQL inserting one row (and whatever it needs) with `value`.
    insert: Box<dyn Fn(&str) -> String>,
    /// Texts the database must refuse besides each value in lower case.
    refused: Vec<&'static str>,
    /// Texts the database accepts though this build does not list them.
    accepted_unlisted: Vec<&'static str>,
}

fn is_check_violation(error: &diesel::result::Error) -> bool {
    let message = error.to_string();
    message.contains("CHECK constraint failed") || message.contains("violates check constraint")
}

/// Each stored enum column takes every value its type stores and refuses
/// any other text by a CHECK constraint: exactly the list where the set is
/// closed; for the audit trail's action and target kind, whose sets grow
/// with releases, any SCREAMING_SNAKE_CASE name (so a newer replica can
/// write its new actions), never an old-style or malformed one.
async fn each_column_accepts_its_stored_values_and_refuses_others(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let (t, app) = (f.tenant, f.app(10).await);
    let active_user = f.user("Active user").await;
    let fresh = || uuid::Uuid::now_v7();
    let columns = [
        Column {
            name: "license_assignments.principal_kind",
            values: stored::<PrincipalKind>(),
            insert: Box::new(move |v| {
                format!(
                    "INSERT INTO license_assignments (tenant_id, id, app_id, principal_kind, \
                     principal_id, assigned_by, assigned_at) \
                     VALUES ('{t}', '{}', '{app}', '{v}', '{}', 'test', '{AT}')",
                    fresh(),
                    fresh()
                )
            }),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "principal_terms.principal_kind",
            values: stored::<PrincipalKind>(),
            insert: Box::new(move |v| {
                format!(
                    "INSERT INTO principal_terms (tenant_id, term, principal_kind, principal_id, \
                     rank, name_key) VALUES ('{t}', 'term', '{v}', '{}', 0, 'term')",
                    fresh()
                )
            }),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "user_licenses.state",
            values: stored::<LicenseState>(),
            insert: Box::new(move |v| user_license(t, app, v, None)),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "user_licenses.error_code",
            values: stored::<LicenseErrorCode>(),
            insert: Box::new(move |v| user_license(t, app, "ERROR", Some(v))),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "seat_change_operations.status",
            values: stored::<SeatChangeStatus>(),
            insert: Box::new(move |v| {
                format!(
                    "INSERT INTO seat_change_operations (tenant_id, id, app_id, idempotency_key, \
                     status, previous_quantity, requested_quantity, attempts, next_attempt_at, \
                     requested_by, created_at, updated_at) VALUES ('{t}', '{id}', '{app}', \
                     'key {id}', '{v}', 10, 12, 0, '{AT}', 'test', '{AT}', '{AT}')",
                    id = fresh()
                )
            }),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "audit_events.action",
            values: stored::<AuditAction>(),
            insert: Box::new(move |v| audit_event(t, app, v, "APP")),
            refused: vec![
                "license.assigned",
                "LICENSE.ASSIGNED",
                "LICENSE ASSIGNED",
                "",
            ],
            accepted_unlisted: vec!["LICENSE_REVOKED"],
        },
        Column {
            name: "audit_events.target_kind",
            values: stored::<EntityKind>(),
            insert: Box::new(move |v| audit_event(t, app, "APP_REGISTERED", v)),
            refused: vec!["seat_change_operation", "SEAT-CHANGE", ""],
            accepted_unlisted: vec!["LICENSE_POLICY"],
        },
        Column {
            name: "outbox_events.kind",
            values: stored::<EventKind>(),
            insert: Box::new(move |v| outbox_event(t, fresh(), v)),
            refused: vec!["license.assigned", "UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "app_user_activity.source",
            values: stored::<ActivitySource>(),
            // One row per (app, user): each insert replaces the last.
            insert: Box::new(move |v| {
                format!(
                    "DELETE FROM app_user_activity WHERE tenant_id = '{t}'; \
                     INSERT INTO app_user_activity (tenant_id, app_id, user_id, last_active_at, \
                     source) VALUES ('{t}', '{app}', '{active_user}', '{AT}', '{v}');"
                )
            }),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "webhook_subscriptions.kind",
            values: stored::<EventKind>(),
            insert: Box::new(move |v| {
                let endpoint = fresh();
                format!(
                    "{} INSERT INTO webhook_subscriptions (tenant_id, endpoint_id, kind) \
                     VALUES ('{t}', '{endpoint}', '{v}');",
                    webhook_endpoint(t, endpoint)
                )
            }),
            refused: vec!["license.assigned", "UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "webhook_deliveries.status",
            values: stored::<DeliveryStatus>(),
            insert: Box::new(move |v| {
                let (endpoint, event) = (fresh(), fresh());
                format!(
                    "{} {} INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, \
                     seq, status, attempts, next_attempt_at, created_at) VALUES ('{t}', '{}', \
                     '{endpoint}', '{event}', 1, '{v}', 0, '{AT}', '{AT}');",
                    webhook_endpoint(t, endpoint),
                    outbox_event(t, event, "LICENSE_ASSIGNED"),
                    fresh()
                )
            }),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
        Column {
            name: "app_subscriptions.notified_state",
            values: stored::<SubscriptionState>(),
            insert: Box::new(move |v| {
                // One subscription per app, so each row needs its own app.
                let app = fresh();
                format!(
                    "INSERT INTO apps (tenant_id, id, name, name_key, description, vendor_name, \
                     vendor_website, vendor_support_email, purchased_seats, created_at, \
                     updated_at) VALUES ('{t}', '{app}', 'App', 'app', '', 'V', 'https://v', \
                     's@v', 1, '{AT}', '{AT}'); \
                     INSERT INTO app_subscriptions (tenant_id, app_id, term_start, term_end, \
                     auto_renew, price_per_seat_e4, currency, notice_days, grace_days, \
                     low_seat_threshold, notified_state) VALUES ('{t}', '{app}', '2026-01-01', \
                     '2026-12-31', false, 0, 'EUR', 30, 30, 0, '{v}');"
                )
            }),
            refused: vec!["UNLISTED"],
            accepted_unlisted: vec![],
        },
    ];

    let mut raw = Raw::open(db).await;
    for column in &columns {
        let name = column.name;
        for value in column
            .values
            .iter()
            .map(String::as_str)
            .chain(column.accepted_unlisted.iter().copied())
        {
            if let Err(e) = raw.run(&(column.insert)(value)).await {
                panic!("{name} refused {value:?}: {e}");
            }
        }
        let lower: Vec<String> = column
            .values
            .iter()
            .map(|v| v.to_ascii_lowercase())
            .collect();
        for value in lower
            .iter()
            .map(String::as_str)
            .chain(column.refused.iter().copied())
        {
            match raw.run(&(column.insert)(value)).await {
                Ok(()) => panic!("{name} accepted {value:?}"),
                Err(e) => assert!(
                    is_check_violation(&e),
                    "{name} refused {value:?} by its CHECK, not by: {e}"
                ),
            }
        }
    }
}

/// An outbox event row.
fn outbox_event(tenant: TenantId, id: uuid::Uuid, kind: &str) -> String {
    format!(
        "INSERT INTO outbox_events (tenant_id, id, kind, payload, created_at) \
         VALUES ('{tenant}', '{id}', '{kind}', '{{}}', '{AT}');"
    )
}

/// A webhook endpoint row.
fn webhook_endpoint(tenant: TenantId, id: uuid::Uuid) -> String {
    format!(
        "INSERT INTO webhook_endpoints (tenant_id, id, url, description, secret, enabled, \
         created_by, created_at, updated_at) VALUES ('{tenant}', '{id}', 'https://h.example', '', \
         'whsec_x', true, 'test', '{AT}', '{AT}');"
    )
}

/// A new user and their license for `app` (a user holds one license row
/// per app, so each row needs its own user).
fn user_license(tenant: TenantId, app: AppId, state: &str, error_code: Option<&str>) -> String {
    let user = uuid::Uuid::now_v7();
    let error_code = error_code.map_or("NULL".to_owned(), |c| format!("'{c}'"));
    format!(
        "INSERT INTO users (tenant_id, id, display_name, name_key, email, email_key, created_at) \
         VALUES ('{tenant}', '{user}', 'U', 'u', '{user}@x.example', '{user}@x.example', '{AT}'); \
         INSERT INTO user_licenses (tenant_id, app_id, user_id, state, error_code, since) \
         VALUES ('{tenant}', '{app}', '{user}', '{state}', {error_code}, '{AT}')"
    )
}

fn audit_event(tenant: TenantId, app: AppId, action: &str, target_kind: &str) -> String {
    format!(
        "INSERT INTO audit_events (tenant_id, id, occurred_at, actor, action, target_kind, \
         target_id, app_id, details) VALUES ('{tenant}', '{}', '{AT}', 'test', '{action}', \
         '{target_kind}', '{app}', NULL, '{{}}')",
        uuid::Uuid::now_v7()
    )
}

/// The enum columns the migration rewrites, to compare before and after
/// a round trip through `up.sql` and `down.sql`.
const REWRITTEN: [(&str, &str); 6] = [
    ("license_assignments", "principal_kind"),
    ("principal_terms", "principal_kind"),
    ("user_licenses", "state"),
    ("audit_events", "action"),
    ("audit_events", "target_kind"),
    ("audit_events", "details"),
];

/// Columns of `users` added after the previous release (the SCIM
/// userName), which this release's store writes with every user.
const LATER_USER_COLUMNS_ADD: &str = "ALTER TABLE users ADD COLUMN user_name text;
     ALTER TABLE users ADD COLUMN user_name_key text;";
const LATER_USER_COLUMNS_DROP: &str = "ALTER TABLE users DROP COLUMN user_name_key;
     ALTER TABLE users DROP COLUMN user_name;";

/// A tenant as the previous release stored it: Ada holds the one seat by a
/// direct assignment, Grace waits in COUNT_VIOLATION through Engineering.
/// After the migration the store reads every row as before, the seat
/// engine works on them (unassigning Ada gives Grace the seat), and
/// reverting the migration gives back the old rows unchanged.
async fn rows_of_the_previous_release_read_back_after_the_migration(db: &TestDatabase) {
    let db = db.same_backend_through(PREVIOUS).await;
    // Entities through the store: it writes no enum column these tables
    // constrain. The enum rows are then written as the previous release did.
    // This release's store also writes users' columns of later releases:
    // they are there while it writes and dropped again, so the rows are
    // the previous release's when the migrations run.
    let mut raw = Raw::open(&db).await;
    raw.run(LATER_USER_COLUMNS_ADD)
        .await
        .expect("add the later releases' user columns");
    let f = Fixture::new(&db).await;
    let t = f.tenant;
    let app = f.app(1).await;
    let ada = f.user("Ada Lovelace").await;
    let grace = f.user("Grace Hopper").await;
    let eng = f.group("Engineering", &[grace]).await;
    raw.run(LATER_USER_COLUMNS_DROP)
        .await
        .expect("drop the later releases' user columns");
    let (direct, via_group) = (AssignmentId::new(), AssignmentId::new());
    let (created, assigned) = (AuditEventId::new(), AuditEventId::new());
    raw.run(&format!(
        "UPDATE principal_terms SET principal_kind = lower(principal_kind);
         DELETE FROM audit_events;
         INSERT INTO license_assignments (tenant_id, id, app_id, principal_kind, principal_id,
                 assigned_by, assigned_at)
             VALUES ('{t}', '{direct}', '{app}', 'user', '{ada}', 'admin@test', '{AT}'),
                    ('{t}', '{via_group}', '{app}', 'group', '{eng}', 'admin@test', '{AT}');
         INSERT INTO user_licenses (tenant_id, app_id, user_id, state, error_code, since)
             VALUES ('{t}', '{app}', '{ada}', 'active', NULL, '2026-12-01 10:00:00'),
                    ('{t}', '{app}', '{grace}', 'error', 'COUNT_VIOLATION', '2026-12-01 10:00:01');
         UPDATE apps SET assigned_seats = 1 WHERE tenant_id = '{t}' AND id = '{app}';
         INSERT INTO audit_events (tenant_id, id, occurred_at, actor, action, target_kind,
                 target_id, app_id, details)
             VALUES ('{t}', '{created}', '{AT}', 'admin@test', 'tenant.created', 'tenant',
                     '{t}', NULL, '{{\"name\":\"Contoso Ltd\"}}'),
                    ('{t}', '{assigned}', '{AT}', 'admin@test', 'license.assigned', 'app',
                     '{app}', '{app}',
                     '{{\"principals\":[{{\"id\":\"{ada}\",\"kind\":\"user\"}},{{\"id\":\"{eng}\",\"kind\":\"group\"}}],\"seatsTaken\":1}}');"
    ))
    .await
    .expect("write the previous release's rows");
    let mut before = Vec::new();
    for (table, column) in REWRITTEN {
        before.push(raw.column(table, column).await);
    }

    // The migration under test applies first; later releases' follow.
    let applied = Store::migrate(db.url()).await.expect("migrate");
    assert_eq!(
        applied.first().map(String::as_str),
        Some(STORED_ENUMS),
        "{applied:?}"
    );

    let assignments = f
        .store
        .assignments(t, app, &PageRequest::first(10))
        .await
        .expect("assignments");
    let principals: Vec<PrincipalId> = assignments.items.iter().map(|(_, a)| a.principal).collect();
    assert_eq!(principals, [u(ada), PrincipalId::Group(eng)]);

    let ada_license = f.license(ada, app).await.expect("Ada's license");
    assert_eq!(
        (ada_license.state, ada_license.error_code),
        (LicenseState::Active, None)
    );
    let grace_license = f.license(grace, app).await.expect("Grace's license");
    assert_eq!(
        (
            grace_license.state,
            grace_license.error_code,
            grace_license.via_groups
        ),
        (
            LicenseState::Error,
            Some(LicenseErrorCode::CountViolation),
            vec![eng]
        )
    );
    let errors = f
        .store
        .license_error_counts(t, &[app])
        .await
        .expect("error counts");
    assert_eq!(errors.get(&app), Some(&1));

    let found = f
        .store
        .search_principals(t, "ada", 10)
        .await
        .expect("search");
    assert!(
        matches!(found.as_slice(), [Principal::User(user)] if user.id == ada),
        "{found:?}"
    );
    let found = f
        .store
        .search_principals(t, "engin", 10)
        .await
        .expect("search");
    assert!(
        matches!(found.as_slice(), [Principal::Group(group)] if group.id == eng),
        "{found:?}"
    );

    let log = f
        .store
        .audit_log(t, None, &PageRequest::first(10))
        .await
        .expect("audit log");
    let events: Vec<_> = log
        .items
        .iter()
        .map(|(_, e)| (e.action.clone(), e.target_kind.clone()))
        .collect();
    assert_eq!(
        events,
        [
            (
                Recorded::Known(AuditAction::LicenseAssigned),
                Recorded::Known(EntityKind::App)
            ),
            (
                Recorded::Known(AuditAction::TenantCreated),
                Recorded::Known(EntityKind::Tenant)
            ),
        ],
        "newest first"
    );
    assert_eq!(
        log.items[0].1.details["principals"],
        serde_json::json!([{ "id": ada, "kind": "USER" }, { "id": eng, "kind": "GROUP" }])
    );

    let change = f.unassign(app, &[u(ada)]).await.expect("unassign Ada");
    let changes = change.license_changes.app(app).expect("the app changed");
    assert_eq!(
        (
            changes.lost().iter().copied().collect::<Vec<_>>(),
            changes.gained().iter().copied().collect::<Vec<_>>()
        ),
        (vec![ada], vec![grace]),
        "Grace takes Ada's seat"
    );
    f.assert_seats_consistent(app).await;

    // Undo the write above, then revert: the old rows come back as written.
    raw.run(&format!(
        "DELETE FROM audit_events WHERE action = 'LICENSE_UNASSIGNED';
         INSERT INTO license_assignments (tenant_id, id, app_id, principal_kind, principal_id,
                 assigned_by, assigned_at)
             VALUES ('{t}', '{direct}', '{app}', 'USER', '{ada}', 'admin@test', '{AT}');
         UPDATE user_licenses SET state = 'ERROR', error_code = 'COUNT_VIOLATION',
                 since = '2026-12-01 10:00:01' WHERE user_id = '{grace}';
         INSERT INTO user_licenses (tenant_id, app_id, user_id, state, error_code, since)
             VALUES ('{t}', '{app}', '{ada}', 'ACTIVE', NULL, '2026-12-01 10:00:00');"
    ))
    .await
    .expect("restore the rows");
    // Later releases' migrations are reverted first, then the one under test.
    let mut reverted = Vec::new();
    while reverted.last().map(String::as_str) != Some(STORED_ENUMS) {
        assert!(
            reverted.len() < 20,
            "never reverted {STORED_ENUMS}: {reverted:?}"
        );
        reverted.push(
            Store::revert_last_migration(db.url())
                .await
                .expect("revert"),
        );
    }
    for ((table, column), old) in REWRITTEN.into_iter().zip(before) {
        assert_eq!(
            raw.column(table, column).await,
            old,
            "{table}.{column} after down.sql"
        );
    }
}
