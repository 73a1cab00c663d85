//! A single-user assignment and unassignment cost a fixed number of SQL
//! statements, so a regression of the seat engine's hot path fails here.
//!
//! Assign (`licensing/batch.rs`): BEGIN; before the app's lock one read
//! (the user's share lock with their directory state, assignment and
//! license: the estimate) and the webhook subscriptions; under the lock
//! the seat UPDATE … RETURNING with the app's terms, and the write: on
//! PostgreSQL one statement (assignment, license and audit row, and the
//! terms read again), on SQLite three INSERTs; COMMIT. PostgreSQL 6 (11
//! before the reads and writes were merged), SQLite 8 (11).
//!
//! Unassign: BEGIN; the user's share lock, the webhook subscriptions, the
//! app's lock; the DELETE … RETURNING of the assignment; the engine's
//! revocation (license DELETE, seat UPDATE … RETURNING with the low-seat
//! threshold) and its waiting users' turn (the oldest waiting, as many as
//! seats are free: one SELECT); the app reloaded with the audit row (on
//! PostgreSQL one statement; SQLite an INSERT and a read); COMMIT.
//! PostgreSQL 10 (13 before), SQLite 11 (13).
//!
//! With an endpoint subscribed to `license.assigned` and
//! `license.unassigned`, each write also writes its event to the outbox
//! (`events/outbox.rs`): on PostgreSQL as part of the write's last
//! statement (sequence, event and `NOTIFY` in its `WITH`), so no
//! statement more; on SQLite two (sequence upsert and event INSERT), run
//! in COMMIT's hop to the blocking pool. The deliveries are made later by
//! the delivery worker (`events/fan_out.rs`), not by the write. The
//! assigned user's path is known from the write (a user without a license
//! held none through a group), not read back.

use seatwise_core::events::{EventKind, NewWebhookEndpoint};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, StoreOptions, test_on_both_backends};

use crate::support::{Fixture, u};

test_on_both_backends!(
    single_user_assign_and_unassign_statement_counts,
    with_an_endpoint_the_outbox_adds_no_statement_on_postgres_two_on_sqlite,
);

/// (assign, unassign) statements on each backend.
fn budget(backend: Backend) -> (u64, u64) {
    match backend {
        Backend::Postgres => (ASSIGN_PG, UNASSIGN_PG),
        Backend::Sqlite => (ASSIGN_SQLITE, UNASSIGN_SQLITE),
    }
}

const ASSIGN_PG: u64 = 6;
const UNASSIGN_PG: u64 = 10;
const ASSIGN_SQLITE: u64 = 8;
const UNASSIGN_SQLITE: u64 = 11;

/// Statements the outbox adds to each write when an endpoint wants its
/// event.
fn outbox_statements(backend: Backend) -> u64 {
    match backend {
        Backend::Postgres => 0,
        Backend::Sqlite => 2,
    }
}

async fn single_user_assign_and_unassign_statement_counts(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let exact = exact_path_counts(db, &f).await;
    let app = f.app(10).await;
    let user = f.user("Ada Lovelace").await;
    // Warm: the first use of a statement may prepare it.
    let warm = f.user("Grace Hopper").await;
    f.assign(app, &[u(warm)]).await.expect("assign");
    f.unassign(app, &[u(warm)]).await.expect("unassign");

    let counter = f.store.statements();
    let before = counter.get();
    f.assign(app, &[u(user)]).await.expect("assign");
    let assign = counter.get() - before;
    let before = counter.get();
    f.unassign(app, &[u(user)]).await.expect("unassign");
    let unassign = counter.get() - before;

    assert_eq!(
        (assign, unassign),
        budget(f.store.backend()),
        "statements for (assign, unassign) of one user"
    );
    eprintln!("exact path {exact:?}, batched ({assign}, {unassign})");
    // The exact path (one transaction per write, lock first) costs more:
    // it is what group commit replaced on the hot path.
    assert!(
        exact.0 > assign,
        "exact path {exact:?}, batched ({assign}, {unassign})"
    );
    f.assert_seats_consistent(app).await;
}

/// (assign, unassign) statements with group commit off.
async fn exact_path_counts(db: &TestDatabase, f: &Fixture) -> (u64, u64) {
    let options = StoreOptions {
        group_commit: false,
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    let app = f.app(10).await;
    let users = [f.user("Alan Turing").await, f.user("Edsger Dijkstra").await];
    let mut counts = Vec::new();
    for user in users {
        let before = store.statements().get();
        store
            .assign_licenses(f.tenant, &f.actor, app, &[u(user)])
            .await
            .expect("assign");
        let assign = store.statements().get() - before;
        let before = store.statements().get();
        store
            .unassign_licenses(f.tenant, &f.actor, app, &[u(user)])
            .await
            .expect("unassign");
        counts.push((assign, store.statements().get() - before));
    }
    // The second round, once statements are prepared.
    counts[1]
}

async fn with_an_endpoint_the_outbox_adds_no_statement_on_postgres_two_on_sqlite(
    db: &TestDatabase,
) {
    let f = Fixture::new(db).await;
    let (endpoint, _secret) = f
        .store
        .create_webhook_endpoint(
            f.tenant,
            &f.actor,
            NewWebhookEndpoint {
                url: "https://hooks.example/seatwise".into(),
                events: vec![EventKind::LicenseAssigned, EventKind::LicenseUnassigned],
                description: None,
            },
        )
        .await
        .expect("endpoint");
    let app = f.app(10).await;
    let user = f.user("Ada Lovelace").await;
    // Warm: the first use of a statement may prepare it, and the tenant's
    // first event creates its sequence row.
    let warm = f.user("Grace Hopper").await;
    f.assign(app, &[u(warm)]).await.expect("assign");
    f.unassign(app, &[u(warm)]).await.expect("unassign");

    let counter = f.store.statements();
    let before = counter.get();
    f.assign(app, &[u(user)]).await.expect("assign");
    let assign = counter.get() - before;
    let before = counter.get();
    f.unassign(app, &[u(user)]).await.expect("unassign");
    let unassign = counter.get() - before;

    let backend = f.store.backend();
    let (plain_assign, plain_unassign) = budget(backend);
    let added = outbox_statements(backend);
    assert_eq!(
        (assign, unassign),
        (plain_assign + added, plain_unassign + added),
        "statements for (assign, unassign) of one user with an endpoint"
    );

    // What the endpoint is owed, in commit order: the warm-up's two events,
    // then Ada's, her path known without reading it back.
    let queue = f.webhook_queue(endpoint.id, 10).await;
    let seen: Vec<(EventKind, serde_json::Value, serde_json::Value)> = queue
        .iter()
        .map(|d| {
            let body: serde_json::Value = serde_json::from_str(&d.payload).expect("JSON body");
            (
                d.kind,
                body["data"]["userId"].clone(),
                body["data"]["path"].clone(),
            )
        })
        .collect();
    let direct = serde_json::json!({ "direct": true, "groupIds": [] });
    let id = |user: seatwise_core::ids::UserId| serde_json::json!(user);
    assert_eq!(
        seen,
        vec![
            (EventKind::LicenseAssigned, id(warm), direct.clone()),
            (
                EventKind::LicenseUnassigned,
                id(warm),
                serde_json::Value::Null
            ),
            (EventKind::LicenseAssigned, id(user), direct),
            (
                EventKind::LicenseUnassigned,
                id(user),
                serde_json::Value::Null
            ),
        ]
    );
    f.assert_seats_consistent(app).await;
}
