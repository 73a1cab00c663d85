//! Seat changes as durable operations, each on SQLite and on PostgreSQL:
//! recording requests, claiming them across replicas, and recording what the
//! vendor answered.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seatwise_core::LicenseFilter;
use seatwise_core::ids::AppId;
use seatwise_core::paging::PageRequest;
use seatwise_core::seat_changes::Wake;
use seatwise_core::seat_changes::{
    MAX_SEAT_CHANGE_ATTEMPTS, SeatChangeOperation, SeatChangeOperationId, SeatChangeStatus,
    VendorContactDetails,
};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, CoreError, EntityKind, InputField, Store, test_on_both_backends};
use support::{Fixture, g, u};

test_on_both_backends!(
    the_same_key_returns_the_same_operation,
    bad_requests_store_nothing,
    completing_updates_seats_and_resolves_waiting_users,
    a_lost_lease_lets_another_worker_take_over,
    transient_failures_are_retried_a_bounded_number_of_times,
    pending_contact_and_rejected_outcomes_are_recorded,
    a_decrease_below_seats_in_use_at_completion_fails,
    changes_of_one_app_run_one_at_a_time_in_order,
    replicas_claiming_concurrently_process_each_operation_once,
    a_released_claim_is_due_again_without_counting_an_attempt,
    watchers_wake_only_for_committed_changes_of_their_operation,
);

const LEASE: Duration = Duration::from_secs(60);

impl Fixture {
    async fn request(
        &self,
        app: AppId,
        quantity: i64,
        key: &str,
    ) -> Result<(SeatChangeOperation, bool), CoreError> {
        self.store
            .request_seat_change(self.tenant, &self.actor, app, quantity, key)
            .await
    }

    async fn operations(&self, app: AppId) -> Vec<SeatChangeOperation> {
        let page = self
            .store
            .seat_change_operations(self.tenant, app, &PageRequest::first(100))
            .await
            .unwrap();
        page.items.into_iter().map(|(_, op)| op).collect()
    }

    async fn audit_actions(&self, app: AppId) -> Vec<String> {
        let page = self
            .store
            .audit_log(self.tenant, Some(app), &PageRequest::first(100))
            .await
            .unwrap();
        page.items
            .into_iter()
            .map(|(_, e)| e.action.as_str().to_owned())
            .collect()
    }
}

/// Claim exactly one due operation for `owner`.
async fn claim_one(store: &Store, owner: &str) -> SeatChangeOperation {
    let mut claimed = store
        .claim_due_seat_changes(owner, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(
        claimed.len(),
        1,
        "expected one due operation, got {claimed:?}"
    );
    claimed.remove(0)
}

async fn the_same_key_returns_the_same_operation(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let other_app = f.app(5).await;

    let (first, created) = f.request(app, 8, "key-1").await.unwrap();
    assert!(created);
    assert_eq!(first.status, SeatChangeStatus::Pending);
    assert_eq!((first.previous_quantity, first.requested_quantity), (5, 8));
    assert_eq!(first.requested_by, f.actor.subject);

    let (again, created) = f.request(app, 8, "key-1").await.unwrap();
    assert!(!created, "a replay creates nothing");
    assert_eq!(again, first);

    for (app, quantity) in [(app, 9), (other_app, 8)] {
        let err = f.request(app, quantity, "key-1").await.unwrap_err();
        assert!(
            matches!(&err, CoreError::AlreadyExists { field, .. } if *field == InputField::IdempotencyKey),
            "{err:?}"
        );
    }
    assert_eq!(f.operations(app).await.len(), 1);
    assert!(f.operations(other_app).await.is_empty());
    let requested = f
        .audit_actions(app)
        .await
        .iter()
        .filter(|a| *a == "SEAT_CHANGE_REQUESTED")
        .count();
    assert_eq!(requested, 1, "one audit event for one operation");
    assert_eq!(
        f.store
            .seat_change_operation(f.tenant, first.id)
            .await
            .unwrap(),
        first
    );
}

async fn bad_requests_store_nothing(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let users = f.users(3).await;
    f.assign(app, &[u(users[0]), u(users[1]), u(users[2])])
        .await
        .unwrap();
    let audit_before = f.audit_actions(app).await.len();

    let err = f.request(app, 2, "decrease").await.unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::SeatsInUse {
                requested: 2,
                in_use: 3
            }
        ),
        "{err:?}"
    );
    let err = f.request(app, 5, "same").await.unwrap_err();
    assert!(
        matches!(&err, CoreError::InvalidInput { field, message } if *field == InputField::Quantity && message.contains("already has 5 seats")),
        "{err:?}"
    );
    for quantity in [-1, seatwise_core::MAX_SEATS + 1] {
        assert!(matches!(
            f.request(app, quantity, "range").await,
            Err(CoreError::InvalidInput { .. })
        ));
    }
    for key in ["", "   ", &"k".repeat(201)] {
        let err = f.request(app, 6, key).await.unwrap_err();
        assert!(
            matches!(&err, CoreError::InvalidInput { field, .. } if *field == InputField::IdempotencyKey),
            "{err:?}"
        );
    }
    assert!(matches!(
        f.request(AppId::new(), 6, "unknown").await,
        Err(CoreError::NotFound {
            entity: EntityKind::App,
            ..
        })
    ));

    // Another tenant sees neither the app nor the operations.
    let other = f
        .store
        .create_tenant(&f.actor, "Northwind")
        .await
        .unwrap()
        .id;
    let err = f
        .store
        .request_seat_change(other, &f.actor, app, 6, "foreign")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::NotFound {
                entity: EntityKind::App,
                ..
            }
        ),
        "{err:?}"
    );

    assert!(f.operations(app).await.is_empty(), "nothing was recorded");
    assert_eq!(
        f.audit_actions(app).await.len(),
        audit_before,
        "nothing was audited"
    );
    assert!(
        f.store
            .claim_due_seat_changes("worker", LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let (op, _) = f.request(app, 3, "exactly-in-use").await.unwrap();
    let err = f
        .store
        .seat_change_operation(other, op.id)
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::NotFound { .. }), "{err:?}");
    assert!(matches!(
        f.store
            .seat_change_operation(f.tenant, SeatChangeOperationId::new())
            .await,
        Err(CoreError::NotFound { .. })
    ));
}

async fn completing_updates_seats_and_resolves_waiting_users(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(1).await;
    let members = f.users(3).await;
    // Assign to an empty group, then add members: two of three wait.
    let waiting_group = f.group("Waiting", &[]).await;
    f.assign(app, &[g(waiting_group)]).await.unwrap();
    f.store
        .add_group_members(f.tenant, &f.actor, waiting_group, &members)
        .await
        .unwrap();
    assert_eq!(f.licensed(app, LicenseFilter::Errors).await.len(), 2);

    let (op, _) = f.request(app, 3, "grow").await.unwrap();
    let claimed = claim_one(&f.store, "worker-1").await;
    assert_eq!(claimed.id, op.id);
    assert_eq!(claimed.lease_owner.as_deref(), Some("worker-1"));
    assert!(claimed.lease_until.is_some());

    let done = f
        .store
        .complete_seat_change(&claimed, "worker-1", 3)
        .await
        .unwrap()
        .expect("still held");
    assert_eq!(done.operation.status, SeatChangeStatus::Succeeded);
    assert!(done.operation.completed_at.is_some());
    assert_eq!(done.operation.lease_owner, None);
    assert_eq!(done.license_changes.gained_count(), 2);
    assert_eq!(f.seats(app).await.purchased, 3);
    assert!(
        f.licensed(app, LicenseFilter::Errors).await.is_empty(),
        "COUNT_VIOLATION resolved"
    );
    f.assert_seats_consistent(app).await;

    let audit = f.audit_actions(app).await;
    assert!(
        audit.contains(&"SEAT_CHANGE_SUCCEEDED".to_owned())
            && audit.contains(&"APP_SEATS_CHANGED".to_owned())
    );
    assert!(
        f.store
            .claim_due_seat_changes("worker-1", LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing left"
    );
    assert!(
        f.store
            .complete_seat_change(&claimed, "worker-1", 3)
            .await
            .unwrap()
            .is_none(),
        "a settled operation cannot be completed twice"
    );
}

async fn a_lost_lease_lets_another_worker_take_over(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    f.request(app, 4, "grow").await.unwrap();

    let short = Duration::from_millis(300);
    let crashed = f
        .store
        .claim_due_seat_changes("replica-a", short, 10)
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    assert!(
        f.store
            .claim_due_seat_changes("replica-b", short, 10)
            .await
            .unwrap()
            .is_empty(),
        "held by replica-a"
    );

    tokio::time::sleep(short + Duration::from_millis(200)).await;
    let taken = claim_one(&f.store, "replica-b").await;
    assert_eq!(taken.id, crashed[0].id);

    // replica-a wakes up late: its answer is dropped and changes nothing.
    assert!(
        f.store
            .complete_seat_change(&crashed[0], "replica-a", 4)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .retry_later(&crashed[0], "replica-a", "late", Duration::ZERO)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(f.seats(app).await.purchased, 2);

    let done = f
        .store
        .complete_seat_change(&taken, "replica-b", 4)
        .await
        .unwrap()
        .expect("held by replica-b");
    assert_eq!(done.operation.status, SeatChangeStatus::Succeeded);
    assert_eq!(f.seats(app).await.purchased, 4);
}

async fn transient_failures_are_retried_a_bounded_number_of_times(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let (op, _) = f.request(app, 4, "flaky").await.unwrap();

    for attempt in 1..=MAX_SEAT_CHANGE_ATTEMPTS {
        let claimed = claim_one(&f.store, "worker").await;
        let after = f
            .store
            .retry_later(&claimed, "worker", "vendor API is down", Duration::ZERO)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.attempts, attempt);
        if attempt < MAX_SEAT_CHANGE_ATTEMPTS {
            assert_eq!(after.status, SeatChangeStatus::Pending);
            assert_eq!(after.message.as_deref(), Some("vendor API is down"));
        } else {
            assert_eq!(after.status, SeatChangeStatus::Failed);
            let message = after.message.unwrap_or_default();
            assert!(
                message.contains("gave up after 5") && message.contains("vendor API is down"),
                "{message}"
            );
        }
    }
    assert!(
        f.store
            .claim_due_seat_changes("worker", LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.store
            .seat_change_operation(f.tenant, op.id)
            .await
            .unwrap()
            .status,
        SeatChangeStatus::Failed
    );
    assert_eq!(f.seats(app).await.purchased, 2);

    // A retry waits for its time.
    f.request(app, 5, "later").await.unwrap();
    let claimed = claim_one(&f.store, "worker").await;
    f.store
        .retry_later(&claimed, "worker", "busy", Duration::from_secs(3600))
        .await
        .unwrap()
        .unwrap();
    assert!(
        f.store
            .claim_due_seat_changes("worker", LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
}

async fn pending_contact_and_rejected_outcomes_are_recorded(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let (first, _) = f.request(app, 10, "async").await.unwrap();

    let claimed = claim_one(&f.store, "worker").await;
    let pending = f
        .store
        .mark_pending(
            &claimed,
            "worker",
            "vendor-42",
            Some("waiting for the vendor"),
            Duration::ZERO,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.status, SeatChangeStatus::InProgress);
    assert_eq!(pending.vendor_ref.as_deref(), Some("vendor-42"));
    assert_eq!(
        pending.lease_owner, None,
        "the lease is given back between polls"
    );
    let err = f
        .store
        .mark_pending(&pending, "worker", "", None, Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::InvalidInput { field, .. } if *field == InputField::VendorRef),
        "{err:?}"
    );

    let polled = claim_one(&f.store, "worker").await;
    assert_eq!(
        polled.vendor_ref.as_deref(),
        Some("vendor-42"),
        "the reference survives for polling"
    );
    let contact = VendorContactDetails {
        name: "Fabrikam sales".into(),
        email: "sales@fabrikam.example".into(),
        website: "https://fabrikam.example/sales".into(),
        phone: None,
        message: "Ten seats need a new contract.".into(),
    };
    let settled = f
        .store
        .mark_contact_vendor(&polled, "worker", &contact)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settled.status, SeatChangeStatus::ContactVendor);
    assert_eq!(settled.contact.as_ref(), Some(&contact));
    assert!(settled.completed_at.is_some());

    let (second, _) = f.request(app, 1_000, "too-many").await.unwrap();
    let claimed = claim_one(&f.store, "worker").await;
    assert_eq!(claimed.id, second.id);
    let rejected = f
        .store
        .mark_rejected(&claimed, "worker", "above the contract's maximum")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.status, SeatChangeStatus::Rejected);
    assert_eq!(
        rejected.message.as_deref(),
        Some("above the contract's maximum")
    );
    assert_eq!(
        f.seats(app).await.purchased,
        2,
        "no outcome changed the seats"
    );

    // Newest first, one page at a time.
    let page = f
        .store
        .seat_change_operations(f.tenant, app, &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!((page.total_count, page.has_next_page), (Some(2), true));
    assert_eq!(page.items[0].1.id, second.id);
    let next = PageRequest::first(1).after(Some(page.items[0].0.clone()));
    let page = f
        .store
        .seat_change_operations(f.tenant, app, &next)
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|(_, op)| op.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    assert!(!page.has_next_page);

    let audit = f.audit_actions(app).await;
    for action in [
        "SEAT_CHANGE_ACCEPTED",
        "SEAT_CHANGE_CONTACT_VENDOR",
        "SEAT_CHANGE_REJECTED",
    ] {
        assert!(
            audit.iter().any(|a| a == action),
            "{action} missing from {audit:?}"
        );
    }
}

async fn a_decrease_below_seats_in_use_at_completion_fails(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let users = f.users(4).await;
    f.assign(app, &[u(users[0]), u(users[1])]).await.unwrap();
    f.request(app, 3, "shrink").await.unwrap();
    // Seats are assigned while the vendor works on the decrease.
    f.assign(app, &[u(users[2]), u(users[3])]).await.unwrap();

    let claimed = claim_one(&f.store, "worker").await;
    let done = f
        .store
        .complete_seat_change(&claimed, "worker", 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.operation.status, SeatChangeStatus::Failed);
    let message = done.operation.message.unwrap_or_default();
    assert!(message.contains("4 seat(s) are in use"), "{message}");
    assert_eq!(f.seats(app).await.purchased, 5, "seats left alone");
    f.assert_seats_consistent(app).await;
}

async fn changes_of_one_app_run_one_at_a_time_in_order(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let (first, _) = f.request(app, 4, "first").await.unwrap();
    let (second, _) = f.request(app, 6, "second").await.unwrap();

    let claimed = f
        .store
        .claim_due_seat_changes("worker", LEASE, 10)
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|op| op.id).collect::<Vec<_>>(),
        vec![first.id],
        "the second waits"
    );
    f.store
        .complete_seat_change(&claimed[0], "worker", 4)
        .await
        .unwrap()
        .unwrap();
    let next = claim_one(&f.store, "worker").await;
    assert_eq!(next.id, second.id);
    f.store
        .complete_seat_change(&next, "worker", 6)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.seats(app).await.purchased, 6, "the last request wins");
}

async fn replicas_claiming_concurrently_process_each_operation_once(db: &TestDatabase) {
    const APPS: usize = 10;
    const PER_APP: i64 = 2;
    let f = Fixture::new(db).await;
    let mut expected = BTreeMap::new();
    for i in 0..APPS {
        let app = f.app(1).await;
        for n in 1..=PER_APP {
            f.request(app, 1 + n, &format!("app-{i}-change-{n}"))
                .await
                .unwrap();
        }
        expected.insert(app, 1 + PER_APP);
    }

    let processed: Arc<Mutex<Vec<SeatChangeOperationId>>> = Arc::default();
    let mut replicas = tokio::task::JoinSet::new();
    for r in 0..2 {
        let store = f.replica(db).await.store;
        let processed = processed.clone();
        replicas.spawn(async move {
            let owner = format!("replica-{r}");
            let mut idle_rounds = 0;
            while idle_rounds < 20 {
                let claimed = store
                    .claim_due_seat_changes(&owner, LEASE, 3)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    idle_rounds += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                idle_rounds = 0;
                for op in claimed {
                    processed.lock().unwrap().push(op.id);
                    let done = store
                        .complete_seat_change(&op, &owner, op.requested_quantity)
                        .await
                        .unwrap();
                    assert!(done.is_some(), "the claimant always holds its operation");
                }
            }
        });
    }
    while let Some(joined) = replicas.join_next().await {
        joined.expect("replica task");
    }

    let mut processed = processed.lock().unwrap().clone();
    assert_eq!(
        processed.len(),
        APPS * PER_APP as usize,
        "every operation processed exactly once"
    );
    processed.sort();
    processed.dedup();
    assert_eq!(
        processed.len(),
        APPS * PER_APP as usize,
        "no operation processed twice"
    );
    for (app, quantity) in expected {
        assert_eq!(
            f.seats(app).await.purchased,
            quantity,
            "changes applied in request order"
        );
        assert!(
            f.operations(app)
                .await
                .iter()
                .all(|op| op.status == SeatChangeStatus::Succeeded)
        );
    }
}

/// A worker whose adapter is busy gives the claim back: the operation is due
/// again after the delay, with no attempt counted and nothing audited, and
/// only the lease holder can release it.
async fn a_released_claim_is_due_again_without_counting_an_attempt(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let (op, _) = f.request(app, 4, "busy-adapter").await.unwrap();
    let audit_before = f.audit_actions(app).await;

    let claimed = claim_one(&f.store, "worker").await;
    assert!(
        f.store
            .release_seat_change(&claimed, "someone-else", Duration::ZERO)
            .await
            .unwrap()
            .is_none(),
        "only the lease holder releases"
    );
    f.store
        .release_seat_change(&claimed, "worker", Duration::ZERO)
        .await
        .unwrap()
        .expect("held by the worker");

    // Due again at once, as it was: same operation, no attempt counted.
    let again = claim_one(&f.store, "worker").await;
    assert_eq!(again.id, op.id);
    assert_eq!(again.attempts, 0);
    assert_eq!(again.status, SeatChangeStatus::Pending);

    // A later release waits for its time.
    let released = f
        .store
        .release_seat_change(&again, "worker", Duration::from_secs(3600))
        .await
        .unwrap()
        .expect("held by the worker");
    assert_eq!(released.attempts, 0);
    assert!(
        f.store
            .claim_due_seat_changes("worker", LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due before the delay"
    );
    assert_eq!(f.audit_actions(app).await, audit_before, "nothing audited");
}

/// How long a watcher that should stay asleep is given to wake wrongly.
const QUIET: Duration = Duration::from_millis(500);
/// Generous: a notice crosses PostgreSQL in milliseconds.
const SOON: Duration = Duration::from_secs(10);

/// On PostgreSQL a new store's first watcher starts the listener, which
/// tells every watcher to re-read once it listens; wait for that.
async fn listening(db: &TestDatabase, store: &Store, op: &SeatChangeOperation) {
    if db.url().backend() == Backend::Postgres {
        let mut watcher = store.watch_seat_changes();
        let woke = tokio::time::timeout(SOON, watcher.changed(op.tenant_id, op.id)).await;
        assert_eq!(woke, Ok(Wake::ReadAgain), "the listener never started");
    }
}

async fn watchers_wake_only_for_committed_changes_of_their_operation(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let (watched, _) = f.request(f.app(2).await, 10, "watched").await.unwrap();
    let (other, _) = f.request(f.app(2).await, 10, "other").await.unwrap();
    let replica = f.replica(db).await;
    listening(db, &f.store, &watched).await;
    listening(db, &replica.store, &watched).await;
    let mut here = f.store.watch_seat_changes();
    let mut there = replica.store.watch_seat_changes();

    // Both operations are claimed; the other one's vendor answers.
    let mut claimed = f
        .store
        .claim_due_seat_changes("worker", LEASE, 10)
        .await
        .unwrap();
    claimed.sort_by_key(|op| op.id != watched.id);
    let (watched_claim, other_claim) = (&claimed[0], &claimed[1]);
    assert_eq!(other_claim.id, other.id);
    f.store
        .mark_pending(other_claim, "worker", "vendor-1", None, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    // A late answer from a worker that lost the lease changes nothing.
    let late = f
        .store
        .mark_failed(watched_claim, "someone-else", "too late")
        .await
        .unwrap();
    assert_eq!(late, None);
    // Neither touched the watched operation: its watcher sleeps.
    let asleep = tokio::time::timeout(QUIET, here.changed(watched.tenant_id, watched.id)).await;
    assert!(asleep.is_err(), "woke for another operation: {asleep:?}");

    // The vendor accepts the watched operation: its watcher wakes, and on
    // PostgreSQL so does the one of the other replica (another process in
    // production), through LISTEN/NOTIFY.
    f.store
        .mark_pending(watched_claim, "worker", "vendor-2", None, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    let woke = tokio::time::timeout(SOON, here.changed(watched.tenant_id, watched.id)).await;
    assert_eq!(woke, Ok(Wake::ReadAgain));
    if db.url().backend() == Backend::Postgres {
        let woke = tokio::time::timeout(SOON, there.changed(watched.tenant_id, watched.id)).await;
        assert_eq!(woke, Ok(Wake::ReadAgain), "the other replica did not hear");
    }
}

/// PostgreSQL only (SQLite has no listening connection): when the
/// listener's connection is killed, it reconnects and tells every watcher
/// to re-read, since notices sent in between are lost; later changes are
/// heard again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_listener_reconnects_and_watchers_read_again() {
    use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    let f = Fixture::new(&db).await;
    let (op, _) = f.request(f.app(2).await, 10, "watched").await.unwrap();
    listening(&db, &f.store, &op).await;
    let mut watcher = f.store.watch_seat_changes();

    let mut admin = AsyncPgConnection::establish(db.url().as_str())
        .await
        .unwrap();
    let killed = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN seatwise_seat_changes'",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    assert_eq!(killed, 1, "one listening connection per store");

    let woke = tokio::time::timeout(SOON, watcher.changed(op.tenant_id, op.id)).await;
    assert_eq!(woke, Ok(Wake::ReadAgain), "no re-read after the reconnect");
    let claimed = claim_one(&f.store, "worker").await;
    f.store
        .mark_pending(&claimed, "worker", "vendor-1", None, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    let woke = tokio::time::timeout(SOON, watcher.changed(op.tenant_id, op.id)).await;
    assert_eq!(
        woke,
        Ok(Wake::ReadAgain),
        "a change after the reconnect was not heard"
    );
}
