//! Seat engine benchmark, on SQLite and PostgreSQL:
//!
//! 1. assigning one group of 10,000 members;
//! 2. reading the seat summary of an app with 100,000 licensed users;
//! 3. 1,000 single-user assignments from 16 concurrent tasks.
//!
//! Machines here are shared and noisy, so every figure is also given as a
//! ratio to a baseline measured in the same run on the same database: one
//! `SELECT 1` round trip through the same pool.
//!
//! Run: `cargo bench -p seatwise-core --bench seats` (PostgreSQL from
//! `SEATWISE_TEST_POSTGRES_URL`, skipped with a message when unreachable).
//! `SEATWISE_BENCH_LICENSED=20000` shrinks scenario 2 for a quick look.

use seatwise_core::ids::*;
use seatwise_core::model::{Actor, NewApp, NewGroup, NewUser, Vendor};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, Store};
use std::time::{Duration, Instant};

const GROUP_MEMBERS: usize = 10_000;
const CONCURRENT_TASKS: usize = 16;
const SINGLE_ASSIGNMENTS: usize = 1_000;
const SUMMARY_READS: usize = 500;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let licensed: usize = std::env::var("SEATWISE_BENCH_LICENSED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!("| backend | scenario | result | baseline (SELECT 1) | ratio |");
    println!("|---|---|---|---|---|");
    let sqlite = TestDatabase::sqlite().await;
    run(&sqlite, licensed).await;
    match TestDatabase::postgres().await {
        Some(pg) => run(&pg, licensed).await,
        None => println!("| postgres | skipped: PostgreSQL not reachable | | | |"),
    }
}

async fn run(db: &TestDatabase, licensed: usize) {
    let store = db.store().await;
    let backend = store.backend();
    let actor = Actor::system();
    let tenant = store
        .create_tenant(&actor, "Bench")
        .await
        .expect("tenant")
        .id;
    let ping = median(time_each(SUMMARY_READS, || store.ping()).await);

    // 1. One group of 10,000 members.
    let members = import(&store, tenant, GROUP_MEMBERS, "g").await;
    let group = new_group(&store, tenant, &members).await;
    let app = new_app(&store, tenant, GROUP_MEMBERS as i64).await;
    let started = Instant::now();
    store
        .assign_licenses(tenant, &actor, app, &[PrincipalId::Group(group)])
        .await
        .expect("assign group");
    let assign_group = started.elapsed();
    row(
        backend,
        "assign a group of 10,000 members",
        assign_group,
        ping,
    );

    // 2. Seat summary of an app with `licensed` users.
    let everyone = import(&store, tenant, licensed, "l").await;
    let big_group = new_group(&store, tenant, &everyone).await;
    let big_app = new_app(&store, tenant, licensed as i64).await;
    store
        .assign_licenses(tenant, &actor, big_app, &[PrincipalId::Group(big_group)])
        .await
        .expect("assign big group");
    let read = median(time_each(SUMMARY_READS, || store.app(tenant, big_app)).await);
    row(
        backend,
        &format!("seat summary, {licensed} licensed users (median)"),
        read,
        ping,
    );

    // 3. 1,000 single-user assignments from 16 tasks.
    let single_app = new_app(&store, tenant, SINGLE_ASSIGNMENTS as i64).await;
    let users: Vec<UserId> = everyone.into_iter().take(SINGLE_ASSIGNMENTS).collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in users.chunks(SINGLE_ASSIGNMENTS / CONCURRENT_TASKS + 1) {
        let (store, actor, chunk) = (store.clone(), actor.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for user in chunk {
                store
                    .assign_licenses(tenant, &actor, single_app, &[PrincipalId::User(user)])
                    .await
                    .expect("assign");
            }
        });
    }
    tasks.join_all().await;
    let elapsed = started.elapsed();
    let pings_started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT_TASKS {
        let store = store.clone();
        tasks.spawn(async move {
            for _ in 0..SINGLE_ASSIGNMENTS / CONCURRENT_TASKS {
                store.ping().await.expect("ping");
            }
        });
    }
    tasks.join_all().await;
    let pings_elapsed = pings_started.elapsed();
    let per_sec = SINGLE_ASSIGNMENTS as f64 / elapsed.as_secs_f64();
    let pings_per_sec = (SINGLE_ASSIGNMENTS / CONCURRENT_TASKS * CONCURRENT_TASKS) as f64
        / pings_elapsed.as_secs_f64();
    println!(
        "| {backend} | 1,000 single-user assignments, 16 tasks | {per_sec:.0}/s | {pings_per_sec:.0}/s | {:.3} |",
        per_sec / pings_per_sec
    );
}

fn row(backend: Backend, scenario: &str, took: Duration, ping: Duration) {
    println!(
        "| {backend} | {scenario} | {:.3} ms | {:.3} ms | {:.1}x |",
        took.as_secs_f64() * 1e3,
        ping.as_secs_f64() * 1e3,
        took.as_secs_f64() / ping.as_secs_f64()
    );
}

async fn time_each<F, Fut, T, E>(n: usize, mut f: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        f().await.expect("timed call");
        out.push(started.elapsed());
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn import(store: &Store, tenant: TenantId, n: usize, tag: &str) -> Vec<UserId> {
    let mut ids = Vec::with_capacity(n);
    let batch: usize = 10_000;
    for start in (0..n).step_by(batch) {
        let users = (start..(start + batch).min(n))
            .map(|i| NewUser {
                display_name: format!("User {tag}{i}"),
                email: format!("u{tag}{i}@bench.example"),
            })
            .collect();
        ids.extend(
            store
                .import_users(tenant, &Actor::system(), users)
                .await
                .expect("import")
                .into_iter()
                .map(|u| u.id),
        );
    }
    ids
}

async fn new_group(store: &Store, tenant: TenantId, members: &[UserId]) -> GroupId {
    let new = NewGroup {
        display_name: "Everyone".into(),
        description: String::new(),
        member_ids: members.to_vec(),
    };
    store
        .create_group(tenant, &Actor::system(), new)
        .await
        .expect("group")
        .id
}

async fn new_app(store: &Store, tenant: TenantId, seats: i64) -> AppId {
    let new = NewApp {
        name: "Bench App".into(),
        description: String::new(),
        vendor: Vendor {
            name: "V".into(),
            website: "https://v.example".into(),
            support_email: "s@v.example".into(),
        },
        seats,
        adapter_key: None,
        adapter_settings: serde_json::json!({}),
    };
    store
        .register_app(tenant, &Actor::system(), new)
        .await
        .expect("app")
        .id
}
