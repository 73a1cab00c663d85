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
