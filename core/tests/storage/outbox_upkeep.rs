//! The outbox's upkeep, with the store's clock set by the test:
//! subscription lifecycle events written once per transition (and once
//! across replicas), re-armed by a renewal; delivered events pruned after
//! their retention while owed ones stay; a worker's recorded attempts
//! renew or give back its lease in their own transaction; an endpoint is
//! owed the events recorded while it exists and is enabled, fanned out in
//! commit order, a backlog in several passes. And on PostgreSQL, another
//! replica's commit of an event wakes this one's delivery worker.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use seatwise_core::clock::ManualClock;
use seatwise_core::events::{
    AfterRecording, AttemptOutcome, EventKind, FAN_OUT_BATCH, NewWebhookEndpoint,
    WebhookEndpointUpdate,
};
use seatwise_core::ids::{AppId, UserId, WebhookEndpointId};
use seatwise_core::model::NewUser;
use seatwise_core::subscriptions::SubscriptionInput;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Store, test_on_both_backends};

use crate::support::{Fixture, u};

test_on_both_backends!(
    each_subscription_transition_is_announced_once,
    replicas_announce_a_transition_once_between_them,
    a_vendor_renewal_re_arms_expiring,
    delivered_events_are_pruned_and_owed_ones_kept,
    recording_an_attempt_renews_or_gives_back_the_lease_with_it,
    an_endpoint_is_owed_what_was_recorded_while_it_was_enabled,
    a_backlog_is_fanned_out_in_passes_in_commit_order,
    events_of_the_previous_release_are_still_owed_after_the_upgrade,
);

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a test date")
}

/// 2026 at 12.50 EUR a seat: EXPIRING from 2026-12-01, EXPIRED from
/// 2027-01-01, DISABLED from 2027-01-31.
fn year_2026() -> SubscriptionInput {
    SubscriptionInput {
        term_start: day("2026-01-01"),
        term_end: day("2026-12-31"),
        auto_renew: false,
        price_per_seat: "12.50".parse().expect("a decimal"),
        currency: "EUR".into(),
        notice_days: None,
        grace_days: None,
        low_seat_threshold: None,
    }
}

async fn on_day(db: &TestDatabase, today: &str) -> (Fixture, ManualClock) {
    let clock = ManualClock::on(day(today));
    let mut f = Fixture::new(db).await;
    f.store = f.store.clone().with_clock(clock.clock());
    (f, clock)
}

async fn endpoint(f: &Fixture, events: Vec<EventKind>) -> WebhookEndpointId {
    let (endpoint, _secret) = f
        .store
        .create_webhook_endpoint(
            f.tenant,
            &f.actor,
            NewWebhookEndpoint {
                url: "https://hooks.example/seatwise".into(),
                events,
                description: None,
            },
        )
        .await
        .expect("endpoint");
    endpoint.id
}

const LIFECYCLE: [EventKind; 3] = [
    EventKind::SubscriptionExpiring,
    EventKind::SubscriptionExpired,
    EventKind::SubscriptionDisabled,
];

/// The endpoint's queued events: type and `data.state`.
async fn queued(f: &Fixture, endpoint: WebhookEndpointId) -> Vec<(EventKind, String)> {
    f.webhook_queue(endpoint, 100)
        .await
        .into_iter()
        .map(|d| {
            let body: serde_json::Value = serde_json::from_str(&d.payload).expect("JSON body");
            (
                d.kind,
                body["data"]["state"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

async fn subscribed_app(f: &Fixture) -> AppId {
    let app = f.app(5).await;
    f.store
        .set_subscription(f.tenant, &f.actor, app, year_2026())
        .await
        .expect("terms");
    app
}

async fn each_subscription_transition_is_announced_once(db: &TestDatabase) {
    let (f, clock) = on_day(db, "2026-06-01").await;
    let endpoint = endpoint(&f, LIFECYCLE.to_vec()).await;
    let app = subscribed_app(&f).await;

    // ACTIVE is remembered, not announced.
    assert_eq!(f.store.announce_subscription_states().await.unwrap(), 0);
    clock.set_today(day("2026-11-30"));
    assert_eq!(f.store.announce_subscription_states().await.unwrap(), 0);

    for today in ["2026-12-01", "2027-01-01", "2027-01-31"] {
        clock.set_today(day(today));
        assert_eq!(
            f.store.announce_subscription_states().await.unwrap(),
            1,
            "{today}"
        );
        // The same day again, or a later day in the same state: nothing.
        assert_eq!(
            f.store.announce_subscription_states().await.unwrap(),
            0,
            "{today}"
        );
    }
    clock.set_today(day("2027-06-01"));
    assert_eq!(f.store.announce_subscription_states().await.unwrap(), 0);

    let queued = queued(&f, endpoint).await;
    assert_eq!(
        queued,
        vec![
            (EventKind::SubscriptionExpiring, "EXPIRING".to_owned()),
            (EventKind::SubscriptionExpired, "EXPIRED".to_owned()),
            (EventKind::SubscriptionDisabled, "DISABLED".to_owned()),
        ]
    );
    let body: serde_json::Value =
        serde_json::from_str(&f.webhook_queue(endpoint, 1).await[0].payload).unwrap();
    assert_eq!(body["type"], "subscription.expiring");
    assert_eq!(body["data"]["appId"], app.0.to_string());
    assert_eq!(body["data"]["termEnd"], "2026-12-31");
    assert_eq!(body["data"]["daysToRenewal"], 30);
}

async fn replicas_announce_a_transition_once_between_them(db: &TestDatabase) {
    let (f, _clock) = on_day(db, "2026-12-10").await;
    let endpoint = endpoint(&f, LIFECYCLE.to_vec()).await;
    subscribed_app(&f).await;
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let replica = f.replica(db).await;
        replicas.push(replica.store.with_clock(f.store.clock().clone()));
    }
    let runs = replicas
        .iter()
        .map(|store| store.announce_subscription_states());
    let written: usize = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(|r| r.expect("announce"))
        .sum();
    assert_eq!(written, 1);
    assert_eq!(
        queued(&f, endpoint).await,
        vec![(EventKind::SubscriptionExpiring, "EXPIRING".to_owned())]
    );
}

async fn a_vendor_renewal_re_arms_expiring(db: &TestDatabase) {
    let (f, clock) = on_day(db, "2027-01-05").await;
    let endpoint = endpoint(&f, LIFECYCLE.to_vec()).await;
    let app = subscribed_app(&f).await;
    assert_eq!(f.store.announce_subscription_states().await.unwrap(), 1);

    let vendor = seatwise_core::model::Actor::named("vendor:fabrikam");
    let renewed = f
        .store
        .renew_subscription(f.tenant, &vendor, app, day("2027-12-31"), Some(true))
        .await
        .expect("renewal")
        .expect("the app has terms");
    assert_eq!(
        renewed.subscription.status.state,
        seatwise_core::subscriptions::SubscriptionState::Active
    );
    assert!(renewed.subscription.terms.auto_renew);
    // Back to ACTIVE: remembered without an event, then EXPIRING again.
    assert_eq!(f.store.announce_subscription_states().await.unwrap(), 0);
    clock.set_today(day("2027-12-01"));
    assert_eq!(f.store.announce_subscription_states().await.unwrap(), 1);
    assert_eq!(
        queued(&f, endpoint).await,
        vec![
            (EventKind::SubscriptionExpired, "EXPIRED".to_owned()),
            (EventKind::SubscriptionExpiring, "EXPIRING".to_owned()),
        ]
    );

    // A renewal ending before the term starts is refused and changes nothing;
    // one for an app without terms is no renewal at all.
    let refused = f
        .store
        .renew_subscription(f.tenant, &vendor, app, day("2025-12-31"), None)
        .await;
    assert!(
        matches!(refused, Err(seatwise_core::CoreError::InvalidInput { .. })),
        "{refused:?}"
    );
    let bare = f.app(1).await;
    assert!(
        f.store
            .renew_subscription(f.tenant, &vendor, bare, day("2027-12-31"), None)
            .await
            .expect("no error")
            .is_none()
    );
}

async fn delivered_events_are_pruned_and_owed_ones_kept(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let delivered_to = endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    let app = f.app(10).await;
    let users = f.users(3).await;
    let principals: Vec<_> = users.iter().copied().map(u).collect();
    f.assign(app, &principals).await.expect("assign");

    // Deliver the first endpoint's queue; a second endpoint, added later,
    // is owed the next event.
    let owner = "test-worker";
    let claimed = f
        .store
        .claim_webhook_endpoints(owner, Duration::from_secs(60), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let queue = f.webhook_queue(delivered_to, 100).await;
    assert_eq!(queue.len(), 3);
    let outcomes: Vec<_> = queue
        .iter()
        .map(|d| (d.id, AttemptOutcome::Delivered { status_code: 200 }))
        .collect();
    assert!(
        f.store
            .record_webhook_attempts(
                f.tenant,
                delivered_to,
                owner,
                AfterRecording::Release,
                &outcomes
            )
            .await
            .unwrap()
    );
    let owed_to = endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    let another = f.user("Late").await;
    f.assign(app, &[u(another)]).await.expect("assign");

    // Within the retention nothing goes.
    let long_ago = Utc::now() - chrono::Duration::days(7);
    let pruned = f.store.prune_webhook_outbox(long_ago, 500).await.unwrap();
    assert_eq!((pruned.deliveries, pruned.events), (0, 0));

    // Past it, in batches of two: the delivered rows and their events go;
    // the event both endpoints get stays while one still owes it.
    let later = Utc::now() + chrono::Duration::minutes(1);
    let first = f.store.prune_webhook_outbox(later, 2).await.unwrap();
    assert_eq!(first.deliveries, 2);
    let mut total = first;
    loop {
        let more = f.store.prune_webhook_outbox(later, 2).await.unwrap();
        total.deliveries += more.deliveries;
        total.events += more.events;
        if more.deliveries == 0 && more.events == 0 {
            break;
        }
    }
    assert_eq!(total.deliveries, 3);
    // The 3 delivered events had no other delivery; the late event is owed
    // to both endpoints (the first got it after its queue was delivered).
    assert_eq!(total.events, 3);
    assert_eq!(f.webhook_queue(owed_to, 100).await.len(), 1);
    assert_eq!(f.webhook_queue(delivered_to, 100).await.len(), 1);
}

/// PostgreSQL only (SQLite serves one process): an event committed through
/// another store (another replica) wakes this store's delivery worker, by
/// the `NOTIFY` of the statement that wrote it; and after the listening
/// connection is killed it reconnects, wakes the worker once (notices sent
/// meanwhile are lost) and hears later commits again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replicas_event_wakes_the_delivery_worker_also_after_a_reconnect() {
    use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    let f = Fixture::new(&db).await;
    let replica = f.replica(&db).await;
    endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    let app = f.app(5).await;
    let wake = replica.store.outbox_wake().clone();
    replica.store.listen_for_outbox_commits();
    // The (re)connect wakes the worker once: the listener is up.
    tokio::time::timeout(SOON, wake.notified())
        .await
        .expect("the listener never connected");

    let user = f.user("Ada Lovelace").await;
    f.assign(app, &[u(user)]).await.expect("assign");
    tokio::time::timeout(SOON, wake.notified())
        .await
        .expect("the other replica's event did not wake the worker");

    let mut admin = AsyncPgConnection::establish(db.url().as_str())
        .await
        .expect("an admin connection");
    let killed = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN seatwise_seat_changes'",
    )
    .execute(&mut admin)
    .await
    .expect("kill the listener");
    assert_eq!(killed, 1, "one listening connection for the replica");
    tokio::time::timeout(SOON, wake.notified())
        .await
        .expect("no wake after the reconnect");

    let user = f.user("Grace Hopper").await;
    f.assign(app, &[u(user)]).await.expect("assign");
    tokio::time::timeout(SOON, wake.notified())
        .await
        .expect("an event after the reconnect did not wake the worker");
}

const SOON: Duration = Duration::from_secs(10);

/// The worker records a refused attempt and gives the endpoint back in one
/// transaction, so once the retry is due another worker (or the same one
/// restarted after a crash) claims it at once instead of waiting out the
/// lease; while the first keeps renewing, nobody else can.
async fn recording_an_attempt_renews_or_gives_back_the_lease_with_it(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let to = endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    let app = f.app(10).await;
    let ada = f.user("Ada").await;
    f.assign(app, &[u(ada)]).await.expect("assign");
    let lease = Duration::from_secs(60);
    let first = f
        .store
        .claim_webhook_endpoints("first", lease, 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    let queue = f.webhook_queue(to, 10).await;
    // The first worker records that the endpoint refused the queue's head
    // (due again at once), then keeps or gives back the endpoint.
    let refused_by_first = async |then| {
        let refused = AttemptOutcome::Retry {
            status_code: Some(503),
            error: "the endpoint answered 503".into(),
            at: Utc::now() - chrono::Duration::seconds(1),
        };
        f.store
            .record_webhook_attempts(f.tenant, to, "first", then, &[(queue[0].id, refused)])
            .await
            .expect("record")
    };
    let claimed_by_second = async || {
        f.store
            .claim_webhook_endpoints("second", lease, 10)
            .await
            .expect("claim")
    };

    assert!(
        refused_by_first(AfterRecording::Renew(lease)).await,
        "the first worker still holds the endpoint"
    );
    assert!(
        claimed_by_second().await.is_empty(),
        "a renewed lease keeps the endpoint"
    );

    assert!(refused_by_first(AfterRecording::Release).await);
    let after = claimed_by_second().await;
    assert_eq!(after.iter().map(|e| e.id).collect::<Vec<_>>(), vec![to]);
    let requeued = f.webhook_queue(to, 10).await;
    assert_eq!(requeued[0].attempts, 2, "both refusals were recorded");
    let stale = refused_by_first(AfterRecording::Release).await;
    assert!(
        !stale,
        "a worker that gave the endpoint back records nothing more"
    );
}

/// The users named by `endpoint`'s queued events, in queue order.
async fn owed_users(f: &Fixture, endpoint: WebhookEndpointId, limit: i64) -> Vec<UserId> {
    f.webhook_queue(endpoint, limit)
        .await
        .iter()
        .map(|d| {
            let body: serde_json::Value = serde_json::from_str(&d.payload).expect("JSON body");
            serde_json::from_value(body["data"]["userId"].clone()).expect("a user id")
        })
        .collect()
}

async fn set_enabled(f: &Fixture, endpoint: WebhookEndpointId, enabled: bool) {
    let update = WebhookEndpointUpdate {
        enabled: Some(enabled),
        ..WebhookEndpointUpdate::default()
    };
    f.store
        .update_webhook_endpoint(f.tenant, &f.actor, endpoint, update)
        .await
        .expect("update the endpoint");
}

async fn an_endpoint_is_owed_what_was_recorded_while_it_was_enabled(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(10).await;
    let [first, second, third] = [
        f.user("First").await,
        f.user("Second").await,
        f.user("Third").await,
    ];
    let early = endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    f.assign(app, &[u(first)]).await.expect("assign");
    // Created after the first event, and the early one is switched off for
    // the second.
    let late = endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    set_enabled(&f, early, false).await;
    f.assign(app, &[u(second)]).await.expect("assign");
    set_enabled(&f, early, true).await;
    f.assign(app, &[u(third)]).await.expect("assign");

    assert_eq!(owed_users(&f, early, 10).await, vec![first, third]);
    assert_eq!(owed_users(&f, late, 10).await, vec![second, third]);
    // Fanned out once: another pass makes nothing more.
    assert_eq!(f.store.fan_out_webhook_events().await.expect("fan out"), 0);
    assert_eq!(owed_users(&f, early, 10).await, vec![first, third]);
}

async fn a_backlog_is_fanned_out_in_passes_in_commit_order(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let to = endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    let many = FAN_OUT_BATCH as usize + 3;
    let users: Vec<UserId> = f
        .store
        .import_users(
            f.tenant,
            &f.actor,
            (0..many)
                .map(|i| NewUser {
                    display_name: format!("User {i}"),
                    email: format!("user{i}@backlog.example"),
                })
                .collect(),
        )
        .await
        .expect("import")
        .into_iter()
        .map(|user| user.id)
        .collect();
    let app = f.app(many as i64 + 1).await;
    // Three writes of many events each, then one of a single event.
    for chunk in users.chunks(FAN_OUT_BATCH as usize / 2) {
        let principals: Vec<_> = chunk.iter().copied().map(u).collect();
        f.assign(app, &principals).await.expect("assign");
    }
    let late = f.user("Late").await;
    f.assign(app, &[u(late)]).await.expect("assign");

    let passes = [
        f.store.fan_out_webhook_events().await.expect("fan out"),
        f.store.fan_out_webhook_events().await.expect("fan out"),
        f.store.fan_out_webhook_events().await.expect("fan out"),
    ];
    assert_eq!(passes, [FAN_OUT_BATCH as usize, 4, 0]);
    let owed = owed_users(&f, to, 2 * FAN_OUT_BATCH).await;
    assert_eq!(owed.len(), many + 1);
    assert_eq!(owed.last(), Some(&late));
    let mut distinct = owed.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), owed.len(), "no event fanned out twice");
}

/// The migration before the outbox lost its foreign key to `tenants`
/// (`2026-12-24-000001_outbox_events_without_tenant_fk`, which on SQLite
/// rebuilds the table under the deliveries that refer to it).
const BEFORE_OUTBOX_REBUILD: &str = "20261223000001";

/// An endpoint keeps what it was owed across the upgrade that rebuilds the
/// outbox, and goes on in sequence order with what is recorded after it.
async fn events_of_the_previous_release_are_still_owed_after_the_upgrade(db: &TestDatabase) {
    let db = db.same_backend_through(BEFORE_OUTBOX_REBUILD).await;
    let f = Fixture::new(&db).await;
    let app = f.app(10).await;
    let [before, after] = [f.user("Before").await, f.user("After").await];
    let hook = endpoint(&f, vec![EventKind::LicenseAssigned]).await;
    f.assign(app, &[u(before)]).await.expect("assign");
    // Its delivery is made before the upgrade: it refers to the event row.
    assert_eq!(owed_users(&f, hook, 10).await, vec![before]);

    let applied = Store::migrate(db.url()).await.expect("upgrade");
    assert!(
        applied.iter().any(|v| v.as_str() > BEFORE_OUTBOX_REBUILD),
        "the upgrade applied {applied:?}"
    );
    let f = Fixture {
        store: db.store().await,
        ..f
    };
    f.assign(app, &[u(after)]).await.expect("assign");
    assert_eq!(owed_users(&f, hook, 10).await, vec![before, after]);
}
