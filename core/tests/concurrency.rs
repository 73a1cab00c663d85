//! Seats are never over-assigned under concurrent requests from several
//! replicas: independent connection pools on one database race for seats.

mod support;

use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, test_on_both_backends};
use support::{Fixture, u};

test_on_both_backends!(concurrent_single_user_assignments_never_over_assign);

const REPLICAS: usize = 4;
const SEATS: i64 = 50;
const ATTEMPTS: usize = 200;

async fn concurrent_single_user_assignments_never_over_assign(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(SEATS).await;
    let users = f.users(ATTEMPTS).await;
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(f.replica(db).await);
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (i, user) in users.iter().copied().enumerate() {
        let replica = &replicas[i % REPLICAS];
        let (store, tenant, actor) = (replica.store.clone(), replica.tenant, replica.actor.clone());
        tasks.spawn(async move { store.assign_licenses(tenant, &actor, app, &[u(user)]).await });
    }
    let (mut succeeded, mut refused) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task") {
            Ok(_) => succeeded += 1,
            Err(CoreError::NotEnoughSeats { .. }) => refused += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(succeeded, SEATS as usize);
    assert_eq!(refused, ATTEMPTS - SEATS as usize);
    assert_eq!(f.seats(app).await.assigned, SEATS);
    f.assert_seats_consistent(app).await;
}

test_on_both_backends!(
    racing_assignments_and_unassignments_on_one_app_stay_consistent,
    a_batch_gives_each_write_its_own_outcome,
    a_batch_the_seats_cannot_all_fit_gives_each_write_its_own_outcome,
);

/// The hot app: 4 replicas (pools) race assignments and unassignments of
/// one app, some users named by several writes at once, so group commits
/// in each process and row locks across them both come into play.
async fn racing_assignments_and_unassignments_on_one_app_stay_consistent(db: &TestDatabase) {
    const USERS: usize = 80;
    const SEATS: i64 = 30;
    let f = Fixture::new(db).await;
    let app = f.app(SEATS).await;
    let users = f.users(USERS).await;
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(f.replica(db).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..3 {
        for (i, user) in users.iter().copied().enumerate() {
            let replica = &replicas[(i + round) % REPLICAS];
            let (store, tenant, actor) =
                (replica.store.clone(), replica.tenant, replica.actor.clone());
            // Every user is assigned on two replicas at once and unassigned
            // on a third, in each round.
            let assign = (store.clone(), tenant, actor.clone());
            tasks.spawn(async move {
                let (store, tenant, actor) = assign;
                store
                    .assign_licenses(tenant, &actor, app, &[u(user)])
                    .await
                    .map(|_| ())
            });
            let other = &replicas[(i + round + 1) % REPLICAS];
            let (store2, actor2) = (other.store.clone(), other.actor.clone());
            tasks.spawn(async move {
                store2
                    .assign_licenses(tenant, &actor2, app, &[u(user)])
                    .await
                    .map(|_| ())
            });
            if i % 2 == 0 {
                tasks.spawn(async move {
                    store
                        .unassign_licenses(tenant, &actor, app, &[u(user)])
                        .await
                        .map(|_| ())
                });
            }
        }
        while let Some(joined) = tasks.join_next().await {
            match joined.expect("task") {
                Ok(()) | Err(CoreError::NotEnoughSeats { .. }) => {}
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
        f.assert_seats_consistent(app).await;
    }
    // Whoever holds a direct assignment holds the license (seat or wait is
    // not possible here: assignments are all or nothing), and the seats
    // are exactly theirs.
    let held = f.licensed(app, seatwise_core::LicenseFilter::All).await;
    assert_eq!(f.seats(app).await.assigned, held.len() as i64);
    assert!(held.iter().all(|l| l.assigned_directly));
}

/// Writes taken together: a missing user fails only its own write, a user
/// named twice is assigned by the first write, and the rest succeed.
async fn a_batch_gives_each_write_its_own_outcome(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let users = f.users(3).await;
    let missing = seatwise_core::ids::UserId::new();
    let other = seatwise_core::model::Actor::named("other@test");
    let results = f
        .store
        .assign_users_together(
            f.tenant,
            app,
            vec![
                (f.actor.clone(), vec![users[0]]),
                (other.clone(), vec![users[1], missing]),
                (f.actor.clone(), vec![users[0], users[1]]),
                (other.clone(), vec![users[2]]),
            ],
        )
        .await;
    let mut results = results.into_iter();
    let first = results
        .next()
        .expect("first")
        .expect("first write succeeds");
    assert_eq!(first.assignments.len(), 1);
    assert!(matches!(
        results.next().expect("second"),
        Err(CoreError::NotFound { .. })
    ));
    let third = results
        .next()
        .expect("third")
        .expect("third write succeeds");
    assert_eq!(
        third
            .assignments
            .iter()
            .map(|a| a.principal)
            .collect::<Vec<_>>(),
        vec![u(users[1])],
        "users[0] was assigned by the first write"
    );
    let fourth = results
        .next()
        .expect("fourth")
        .expect("fourth write succeeds");
    assert_eq!(fourth.assignments[0].assigned_by, "other@test");
    assert_eq!(f.seats(app).await.assigned, 3);
    assert_eq!(fourth.app.seats.assigned, 3);
    f.assert_seats_consistent(app).await;
    // One audit event per write that assigned someone.
    let audit = f
        .store
        .audit_log(
            f.tenant,
            Some(app),
            &seatwise_core::paging::PageRequest::first(20),
        )
        .await
        .expect("audit");
    let assigned = audit
        .items
        .iter()
        .filter(|(_, e)| e.action.as_str() == "LICENSE_ASSIGNED")
        .count();
    assert_eq!(assigned, 3);
}

/// When the seats cannot take every write, each still gets the answer it
/// would get alone, in order: the write that does not fit fails with
/// NOT_ENOUGH_SEATS and the others keep their seats.
async fn a_batch_the_seats_cannot_all_fit_gives_each_write_its_own_outcome(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let users = f.users(4).await;
    let results = f
        .store
        .assign_users_together(
            f.tenant,
            app,
            vec![
                (f.actor.clone(), vec![users[0]]),
                (f.actor.clone(), vec![users[1], users[2]]),
                (f.actor.clone(), vec![users[3]]),
            ],
        )
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok());
    assert!(matches!(
        results[1],
        Err(CoreError::NotEnoughSeats {
            needed: 2,
            available: 1
        })
    ));
    assert!(results[2].is_ok());
    assert_eq!(f.seats(app).await.assigned, 2);
    assert!(f.license(users[1], app).await.is_none());
    assert!(f.license(users[2], app).await.is_none());
    assert!(f.license(users[3], app).await.is_some());
    f.assert_seats_consistent(app).await;
}
