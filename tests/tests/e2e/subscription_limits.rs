//! The websocket's limits, told as stories: a client cannot open unbounded
//! subscriptions, hold a socket without initialising it, send huge
//! messages, or outlive its token; idle subscribers cost the database
//! nothing; and updates reach subscribers on every replica.

use std::time::Duration;

use seatwise_core::{DatabaseUrl, Store, StoreOptions};
use seatwise_e2e::{Backend, Plugin, StartOptions, TestApp, e2e_for_each_backend};
use serde_json::json;

use crate::vendor_support::start_with_plugins;
use crate::ws_client::{GraphqlSocket, Incoming};

const MINUTE: Duration = Duration::from_secs(60);
const SOON: Duration = Duration::from_secs(10);
/// The server's default cap of subscriptions per connection.
const CAP: usize = 20;

/// A worker that ticks once at start and then sleeps for an hour, so the
/// only seat-change activity is what a test causes.
const QUIET_WORKER: (&str, &str) = ("SEATWISE_WORKER_POLL_MS", "3600000");
/// The same for the webhook delivery worker.
const QUIET_WEBHOOKS: (&str, &str) = ("SEATWISE_WEBHOOK_POLL_MS", "3600000");

fn quiet_options(extra: &[(&str, &str)]) -> StartOptions {
    StartOptions {
        env: [QUIET_WORKER, QUIET_WEBHOOKS]
            .iter()
            .chain(extra)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..StartOptions::default()
    }
}

/// A Fabrikam app whose seat change stays `IN_PROGRESS` for `pending_ms`,
/// and the change's id (requested now).
async fn slow_seat_change(app: &TestApp, admin: &str, pending_ms: u64) -> String {
    let crm = app
        .register_app_with_adapter(
            admin,
            "Fabrikam CRM",
            5,
            Some("fabrikam"),
            json!({ "complete_after_ms": pending_ms }),
        )
        .await;
    let requested = app.request_seat_change(admin, &crm, 10, "grow-crm").await;
    requested["operation"]["id"]
        .as_str()
        .expect("an operation id")
        .to_owned()
}

/// A `PENDING` seat change that nothing will advance: the test holds its
/// lease for an hour, as a replica that took it and hung would.
async fn held_seat_change(app: &TestApp, admin: &str) -> String {
    let url: DatabaseUrl = app.database_url().parse().expect("database URL");
    let store = Store::connect(&url, StoreOptions::default())
        .await
        .expect("open the database");
    for attempt in 0..3 {
        let office = app
            .register_app(admin, &format!("Held Office {attempt}"), 5)
            .await;
        // A key per attempt: a retry is a new request, not a repeat.
        let key = format!("held-{attempt}");
        let requested = app.request_seat_change(admin, &office, 8, &key).await;
        let id = requested["operation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("an operation id: {requested:#}"))
            .to_owned();
        let held = store
            .claim_due_seat_changes("e2e-holder", Duration::from_secs(3_600), 1)
            .await
            .expect("claim");
        // The server's worker ticks once at start; if it raced us to this
        // operation, try another.
        if !held.is_empty() {
            return id;
        }
    }
    panic!("the server's worker kept taking the operations");
}

/// Subscription `id`'s first `next`: the operation's current state.
async fn first_state(socket: &mut GraphqlSocket, id: &str) -> serde_json::Value {
    let message = socket.next_json(SOON).await;
    assert_eq!(message["id"], id, "{message:#}");
    assert_eq!(message["type"], "next", "{message:#}");
    message["payload"]["data"]["seatChangeOperationUpdated"].clone()
}

async fn many_subscriptions_on_one_socket(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins(backend, &[Plugin::Fabrikam]).await else {
        return;
    };
    let admin = app.admin_token();
    let op = slow_seat_change(&app, &admin, 6_000).await;
    let mut socket = GraphqlSocket::connect(&app, &admin).await;

    // A client asks for 300 subscriptions on one connection.
    for n in 1..=300 {
        socket.watch(&n.to_string(), &op).await;
    }
    // The first 20 run: each answers with the operation's state.
    // The other 280 are refused, each with an `error` for its own id.
    let mut running = Vec::new();
    let mut refused = Vec::new();
    while running.len() + refused.len() < 300 {
        let message = socket.next_json(SOON).await;
        let id: usize = message["id"].as_str().expect("id").parse().expect("number");
        match message["type"].as_str() {
            Some("next") if !running.contains(&id) => running.push(id),
            Some("next") => {} // an update of a running subscription
            Some("error") => {
                let errors = message["payload"].as_array().expect("a list of errors");
                assert_eq!(errors.len(), 1, "{message:#}");
                assert_eq!(
                    errors[0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
                    "{message:#}"
                );
                assert!(
                    errors[0]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("20"),
                    "{message:#}"
                );
                refused.push(id);
            }
            _ => panic!("unexpected message: {message:#}"),
        }
    }
    running.sort_unstable();
    refused.sort_unstable();
    assert_eq!(running, (1..=CAP).collect::<Vec<_>>());
    assert_eq!(refused, (CAP + 1..=300).collect::<Vec<_>>());

    // The connection still works: the running subscriptions see the vendor
    // finish, then complete, which frees their places.
    let mut completed = Vec::new();
    let mut last_of_first = serde_json::Value::Null;
    while completed.len() < CAP {
        let message = socket.next_json(MINUTE).await;
        match message["type"].as_str() {
            Some("next") if message["id"] == "1" => {
                last_of_first = message["payload"]["data"]["seatChangeOperationUpdated"].clone();
            }
            Some("next") => {}
            Some("complete") => completed.push(message["id"].clone()),
            _ => panic!("unexpected message: {message:#}"),
        }
    }
    assert_eq!(last_of_first["status"], "SUCCEEDED", "{last_of_first:#}");
    assert_eq!(last_of_first["app"]["seats"]["purchased"], 10);
    // A new subscription is admitted: it gets the final state.
    socket.watch("after", &op).await;
    assert_eq!(
        first_state(&mut socket, "after").await["status"],
        "SUCCEEDED"
    );
}

async fn idle_subscriptions_cost_no_statements(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, quiet_options(&[])).await else {
        return;
    };
    let admin = app.admin_token();
    let op = held_seat_change(&app, &admin).await;

    // 100 subscribers (5 connections of 20) watch an operation that does
    // not change.
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let mut socket = GraphqlSocket::connect(&app, &admin).await;
        for n in 0..CAP {
            socket.watch(&n.to_string(), &op).await;
        }
        for _ in 0..CAP {
            let message = socket.next_json(SOON).await;
            assert_eq!(message["type"], "next", "{message:#}");
        }
        sockets.push(socket);
    }
    // Over three seconds they cost the database nothing (polling every
    // 500 ms, as before, would have cost 600 statements), once start-up
    // has settled (on PostgreSQL the listener's first re-read).
    let before = app.settled_statements_total().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = app.statements_total().await;
    assert_eq!(after - before, 0, "statements while 100 subscribers idled");

    // The connections are still open and served.
    for socket in &mut sockets {
        socket.watch("still-there", &op).await;
        let message = socket.next_json(SOON).await;
        assert_eq!(message["type"], "error", "the cap still holds: {message:#}");
    }
}

async fn subscription_ends_when_its_token_expires(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, quiet_options(&[])).await else {
        return;
    };
    let admin = app.admin_token();
    let op = held_seat_change(&app, &admin).await;
    let short = app.cli(
        &[
            "token",
            "--tenant",
            &app.tenant,
            "--roles",
            "GLOBAL_READER",
            "--ttl",
            "3s",
        ],
        &[],
    );

    let mut socket = GraphqlSocket::connect(&app, &short).await;
    socket.watch("1", &op).await;
    assert_eq!(first_state(&mut socket, "1").await["status"], "PENDING");

    // At the token's expiry the subscription ends with UNAUTHENTICATED.
    let message = socket.next_json(SOON).await;
    assert_eq!(message["id"], "1", "{message:#}");
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{message:#}"
    );
    assert!(
        message["payload"]["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{message:#}"
    );
    let complete = socket.next_json(SOON).await;
    assert_eq!(complete, json!({ "type": "complete", "id": "1" }));

    // A new subscription with the expired token is refused the same way.
    socket.watch("2", &op).await;
    let message = socket.next_json(SOON).await;
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{message:#}"
    );
}

/// On PostgreSQL the subscriber sits on a replica whose worker sleeps, so
/// every update it sees was made by the other server's worker and crossed
/// over `LISTEN/NOTIFY`. SQLite runs one process: the subscriber sits on
/// the server whose worker makes the change.
async fn updates_reach_subscribers_on_every_replica(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins(backend, &[Plugin::Fabrikam]).await else {
        return;
    };
    let replica = match backend {
        Backend::Postgres => Some(app.replica_with(&[QUIET_WORKER, QUIET_WEBHOOKS]).await),
        Backend::Sqlite => None,
    };
    let watched = replica.as_ref().unwrap_or(&app);
    let admin = app.admin_token();
    let mut socket = GraphqlSocket::connect(watched, &admin).await;
    // Wait until the replica's worker has made its one tick, so it cannot
    // take the operation.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let op = slow_seat_change(&app, &admin, 1_500).await;

    socket.watch("1", &op).await;
    let first = first_state(&mut socket, "1").await;
    assert!(
        ["PENDING", "IN_PROGRESS"].contains(&first["status"].as_str().unwrap_or_default()),
        "{first:#}"
    );
    let done = socket.wait_for_status("1", "SUCCEEDED", MINUTE).await;
    assert_eq!(done["app"]["seats"]["purchased"], 10);
    let complete = socket.next_json(SOON).await;
    assert_eq!(complete, json!({ "type": "complete", "id": "1" }));
    if let Some(replica) = &replica {
        assert!(
            !replica.server_log().contains("seat change succeeded"),
            "the replica's own worker made the change; log:\n{}",
            replica.server_log()
        );
    }
}

e2e_for_each_backend!(
    many_subscriptions_on_one_socket,
    idle_subscriptions_cost_no_statements,
    subscription_ends_when_its_token_expires,
    updates_reach_subscribers_on_every_replica,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_initialises_is_closed() {
    let app = TestApp::start_with(
        Backend::Sqlite,
        quiet_options(&[("SEATWISE_WS_INIT_TIMEOUT_MS", "700")]),
    )
    .await
    .expect("SQLite always starts");
    let admin = app.admin_token();
    let mut silent = GraphqlSocket::open(&app).await;
    let mut polite = GraphqlSocket::connect(&app, &admin).await;

    match silent.next(SOON).await {
        Incoming::Closed(code, reason) => {
            assert_eq!(code, 4408);
            assert_eq!(reason, "Connection initialisation timeout");
        }
        other => panic!("expected the silent socket to be closed, got {other:?}"),
    }
    // The initialised neighbour is not affected by the timeout.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let op = held_seat_change(&app, &admin).await;
    polite.watch("1", &op).await;
    assert_eq!(first_state(&mut polite, "1").await["status"], "PENDING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_refused_and_others_carry_on() {
    let app = TestApp::start_with(Backend::Sqlite, quiet_options(&[]))
        .await
        .expect("SQLite always starts");
    let admin = app.admin_token();
    let op = held_seat_change(&app, &admin).await;
    let mut neighbour = GraphqlSocket::connect(&app, &admin).await;
    let mut flooder = GraphqlSocket::connect(&app, &admin).await;

    // A 300 KiB subscribe message (the limit is 256 KiB).
    let padding = "#".repeat(300 * 1024);
    let huge = json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": format!("{padding}\n{}", crate::ws_client::WATCH_OPERATION), "variables": { "id": op } }
    });
    flooder.send_text(huge.to_string()).await;
    match flooder.next(SOON).await {
        Incoming::Closed(code, _) => assert_eq!(code, 1009),
        other => panic!("expected the socket to be closed as too big, got {other:?}"),
    }

    // The server stays healthy: the neighbour subscribes, new clients connect.
    neighbour.watch("1", &op).await;
    assert_eq!(first_state(&mut neighbour, "1").await["status"], "PENDING");
    let mut newcomer = GraphqlSocket::connect(&app, &admin).await;
    newcomer.watch("1", &op).await;
    assert_eq!(first_state(&mut newcomer, "1").await["status"], "PENDING");
    let health = app
        .http()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("GET /healthz");
    assert!(health.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_answering_pings_is_disconnected() {
    let app = TestApp::start_with(
        Backend::Sqlite,
        quiet_options(&[("SEATWISE_WS_KEEPALIVE_MS", "300")]),
    )
    .await
    .expect("SQLite always starts");
    let admin = app.admin_token();
    let mut lively = GraphqlSocket::connect(&app, &admin).await;
    let mut gone = GraphqlSocket::connect(&app, &admin).await;

    // One client keeps reading (and so answers pings); the other stops
    // reading for several ping intervals, as a vanished client would.
    lively.stay_idle(Duration::from_secs(2)).await;
    match gone.next(SOON).await {
        Incoming::Closed(code, reason) => {
            assert_eq!(code, 1001);
            assert!(reason.contains("keepalive"), "{reason}");
        }
        other => panic!("expected the silent client to be disconnected, got {other:?}"),
    }
    // The lively one is still served.
    let op = held_seat_change(&app, &admin).await;
    lively.watch("1", &op).await;
    assert_eq!(first_state(&mut lively, "1").await["status"], "PENDING");
}
