//! What the fault tests share: a big group seeded through the core, the
//! seat invariant checked through the API, and a direct connection to the
//! test's database to see (or hold) its write locks.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
use seatwise_core::ids::TenantId;
use seatwise_core::model::{Actor, NewGroup, NewUser};
use seatwise_e2e::TestApp;
use serde_json::Value;

/// A group of `members` new users in the app's tenant, made through the
/// core's bulk paths (10,000 users through GraphQL would take minutes); its
/// GraphQL id.
pub async fn seed_group(app: &TestApp, name: &str, members: usize) -> String {
    let store = app.database().store().await;
    let tenant = TenantId(uuid::Uuid::parse_str(&app.tenant).expect("tenant id"));
    let actor = Actor::named("fault-test-seed");
    let prefix = name.to_lowercase().replace(' ', ".");
    let users = store
        .import_users(
            tenant,
            &actor,
            (0..members)
                .map(|n| NewUser {
                    display_name: format!("{name} member {n}"),
                    email: format!("{prefix}.{n}@example.com"),
                })
                .collect(),
        )
        .await
        .expect("import the members");
    let group = store
        .create_group(
            tenant,
            &actor,
            NewGroup {
                display_name: name.to_owned(),
                description: String::new(),
                member_ids: users.iter().map(|u| u.id).collect(),
            },
        )
        .await
        .expect("create the group");
    global_id("Group", group.id.0)
}

/// The GraphQL id of an object the core made.
pub fn global_id(kind: &str, id: uuid::Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// An app's seats as the server reports them, after checking the seat
/// invariant: `assigned` equals the users holding the license and never
/// exceeds `purchased`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seats {
    pub purchased: i64,
    pub assigned: i64,
    /// Principals (users and groups) the app is assigned to.
    pub assignments: i64,
}

pub async fn consistent_seats(app: &TestApp, token: &str, app_id: &str) -> Seats {
    let response = app
        .gql(
            "query($id: ID!) { app(id: $id) {
                seats { purchased assigned available }
                licensedUsers(first: 1) { totalCount }
                assignments(first: 1) { totalCount }
            } }",
        )
        .var("id", app_id)
        .token(token)
        .send()
        .await;
    let data = &response.data()["app"];
    let number = |v: &Value| v.as_i64().unwrap_or_else(|| panic!("a number: {data:#}"));
    let seats = Seats {
        purchased: number(&data["seats"]["purchased"]),
        assigned: number(&data["seats"]["assigned"]),
        assignments: number(&data["assignments"]["totalCount"]),
    };
    let holders = number(&data["licensedUsers"]["totalCount"]);
    assert_eq!(
        seats.assigned, holders,
        "assigned = users holding the license: {data:#}"
    );
    assert!(
        seats.assigned <= seats.purchased,
        "never over-assigned: {data:#}"
    );
    seats
}

/// A connection of the test's own to the server's database.
pub enum DirectDb {
    Sqlite(diesel::SqliteConnection),
    Postgres(Box<AsyncPgConnection>),
}

impl DirectDb {
    pub async fn open(app: &TestApp) -> Self {
        let url = app.database_url();
        match url.strip_prefix("sqlite://") {
            Some(path) => {
                let mut conn = diesel::SqliteConnection::establish(path).expect("open SQLite");
                // Probe, never wait: a busy database answers at once.
                conn.batch_execute("PRAGMA busy_timeout = 0;")
                    .expect("busy timeout");
                DirectDb::Sqlite(conn)
            }
            None => DirectDb::Postgres(Box::new(
                AsyncPgConnection::establish(url)
                    .await
                    .expect("connect to PostgreSQL"),
            )),
        }
    }

    /// Whether a write transaction that changed licenses is open right now
    /// (SQLite: someone holds the write lock; PostgreSQL: an uncommitted
    /// transaction has written `user_licenses`).
    pub async fn license_write_in_progress(&mut self) -> bool {
        match self {
            DirectDb::Sqlite(conn) => match conn.batch_execute("BEGIN IMMEDIATE; ROLLBACK;") {
                Ok(()) => false,
                Err(e) if e.to_string().contains("locked") => true,
                Err(e) => panic!("probing the SQLite write lock: {e}"),
            },
            DirectDb::Postgres(conn) => {
                // A RowExclusiveLock on user_licenses is held from a
                // transaction's first write to it until commit or rollback.
                let probe = "DO $$ BEGIN
                    IF EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                        WHERE c.relname = 'user_licenses' AND l.mode = 'RowExclusiveLock'
                          AND l.pid <> pg_backend_pid()
                          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
                    THEN RAISE EXCEPTION 'writing'; END IF; END $$;";
                match conn.batch_execute(probe).await {
                    Ok(()) => false,
                    Err(e) if e.to_string().contains("writing") => true,
                    Err(e) => panic!("probing PostgreSQL's locks: {e}"),
                }
            }
        }
    }

    /// Take the lock every license change needs (SQLite: the database write
    /// lock; PostgreSQL: the app's row) and keep it until [`DirectDb::release`].
    pub async fn hold_write_lock(&mut self, app_uuid: uuid::Uuid) {
        match self {
            // Waits its turn: the server's own background writers (the
            // delivery worker's claim pass, upkeep) take the write lock for
            // a moment now and then.
            DirectDb::Sqlite(conn) => conn
                .batch_execute(
                    "PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE; PRAGMA busy_timeout = 0;",
                )
                .expect("lock"),
            DirectDb::Postgres(conn) => conn
                .batch_execute(&format!(
                    "BEGIN; SELECT 1 FROM apps WHERE id = '{app_uuid}' FOR UPDATE;"
                ))
                .await
                .expect("lock the app row"),
        }
    }

    /// End the transaction [`DirectDb::hold_write_lock`] opened.
    pub async fn release(&mut self) {
        match self {
            DirectDb::Sqlite(conn) => conn.batch_execute("ROLLBACK;").expect("release"),
            DirectDb::Postgres(conn) => conn.batch_execute("ROLLBACK;").await.expect("release"),
        }
    }
}

/// The UUID inside a GraphQL id.
pub fn uuid_of(global_id: &str) -> uuid::Uuid {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(global_id).expect("base64")).expect("utf8");
    let (_, uuid) = text.split_once(':').expect("Kind:uuid");
    uuid::Uuid::parse_str(uuid).expect("uuid")
}
