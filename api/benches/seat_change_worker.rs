//! Two measures of the seat-change worker, on SQLite and PostgreSQL:
//!
//! 1. **Throughput**: seat-change operations per second through the worker,
//!    against plain `Store::set_purchased_seats` calls for the same apps in
//!    the same run.
//! 2. **Isolation**: the latency of a healthy vendor's seat change (request
//!    recorded → `SUCCEEDED` seen) while a hung vendor holds its full
//!    concurrency, next to the same latency with the hung vendor idle, in
//!    the same run.
//!
//! Run with `cargo bench -p seatwise-api --bench seat_change_worker`; it
//! builds the plugin crates (release, `seatwise_adapter_host::testing`) and
//! loads the Contoso and bad-hang plugins, then prints Markdown
//! tables.
//! PostgreSQL comes from `SEATWISE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and is skipped with a
//! message when unreachable.
//!
//! Per backend: one tenant with [`APPS`] apps on the `contoso` adapter
//! (immediate seat changes). Each round records [`OPS`] operations, spread
//! evenly over the apps, then times `drain()` (the worker's own scheduling,
//! [`BATCH`] operations in flight) until nothing is due and checks that
//! every operation SUCCEEDED. The baseline then sets the same apps'
//! purchased seats the same number of times with `set_purchased_seats`, 10
//! calls in flight as the worker has, so `worker ÷ plain` shows
//! what the worker adds on top of the seat update itself: claiming, reading
//! the app, the adapter call on its own thread, recording the operation.
//! A second baseline makes the same calls one at a time, which shows what
//! concurrency itself costs or gains on the backend (SQLite has one writer;
//! concurrent `BEGIN IMMEDIATE`s wait in its busy handler).
//! Recording the operations (requests) is not timed.
//!
//! Isolation, per backend: the worker runs as in the server (default limits:
//! 4 calls per adapter, 30 s call timeout) polling every
//! [`LATENCY_POLL`]. [`LATENCY_SAMPLES`] changes of Contoso apps are made
//! one after another, each timed from its request until the store shows it
//! `SUCCEEDED`: first with the `bad-hang` plugin loaded but idle (baseline),
//! then while [`HUNG_OPS`] changes of `bad-hang` apps are due, 4 of them
//! hanging inside the plugin (its full concurrency, checked before and after
//! the samples) and the rest claimed and given back. `hung ÷ idle` is the
//! price a healthy vendor pays for a hung neighbour.

use std::sync::Arc;
use std::time::{Duration, Instant};

use seatwise_adapter_host::testing::{Plugin, PluginDir};
use seatwise_adapter_host::{HostConfig, PluginRegistry};
use seatwise_api::seat_change_worker::SeatChangeWorker;
use seatwise_api::vendor_effects::VendorEffects;
use seatwise_core::Store;
use seatwise_core::ids::{AppId, TenantId};
use seatwise_core::model::{Actor, NewApp, Vendor};
use seatwise_core::seat_changes::{SeatChangeOperationId, SeatChangeStatus};
use seatwise_core::testing::TestDatabase;

/// Apps of the tenant, all on the Contoso adapter.
const APPS: usize = 50;
/// Operations requested (and carried out) per round.
const OPS: usize = 500;
/// Rounds per backend; the table shows the median round.
const ROUNDS: usize = 5;
/// Operations the worker has in flight at once; the baseline keeps as many
/// `set_purchased_seats` calls in flight.
const BATCH: usize = 10;
/// Seats every app starts with.
const INITIAL_SEATS: i64 = 10;
/// Healthy seat changes timed per scenario (all within one call timeout).
const LATENCY_SAMPLES: usize = 200;
/// The worker's idle poll in the isolation measure.
const LATENCY_POLL: Duration = Duration::from_millis(50);
/// Changes of hung apps due in the hung scenario: more than the adapter's
/// concurrency, so some are claimed and given back over and over.
const HUNG_OPS: usize = 6;

fn main() {
    // A private directory holding only fresh copies of the Contoso and
    // bad-hang plugins, built in this benchmark's profile.
    let plugins = PluginDir::with(&[Plugin::Contoso, Plugin::BadHang]);
    let load = || {
        let registry = PluginRegistry::load_dir(plugins.path(), &HostConfig::default())
            .expect("the plugin directory is readable");
        assert!(
            registry.get("contoso").is_some(),
            "the contoso plugin loads"
        );
        assert!(
            registry.get("bad-hang").is_some(),
            "the bad-hang plugin loads"
        );
        Arc::new(registry)
    };
    let registry = load();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");

    let mut rows = Vec::new();
    let mut latencies = Vec::new();
    runtime.block_on(async {
        let sqlite = TestDatabase::sqlite().await;
        rows.push(("SQLite", bench_backend(&sqlite, &registry).await));
        // A fresh registry per backend: the hung calls of one run stay
        // abandoned in the old handles and must not quarantine the next.
        latencies.push(("SQLite", bench_isolation(&sqlite, load()).await));
        match TestDatabase::postgres().await {
            Some(postgres) => {
                rows.push(("PostgreSQL", bench_backend(&postgres, &registry).await));
                latencies.push(("PostgreSQL", bench_isolation(&postgres, load()).await));
            }
            None => println!("PostgreSQL skipped: not reachable (see the message above).\n"),
        }
    });

    println!("## Seat-change worker throughput (Contoso adapter, release build)\n");
    println!(
        "{APPS} apps, {OPS} operations per round, {ROUNDS} rounds per backend, median round \
         (min–max); worker batch and baseline concurrency {BATCH}.\n"
    );
    println!(
        "| backend | worker ops/s | plain `set_purchased_seats`/s, {BATCH} in flight | worker ÷ plain | \
         plain, 1 in flight /s | worker ÷ plain (1 in flight) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (backend, rounds) in rows {
        let worker = Rates::of(rounds.iter().map(|round| round.worker));
        let plain = Rates::of(rounds.iter().map(|round| round.plain));
        let sequential = Rates::of(rounds.iter().map(|round| round.sequential));
        println!(
            "| {backend} | {} | {} | {:.2} | {} | {:.2} |",
            worker.cell(),
            plain.cell(),
            worker.median / plain.median,
            sequential.cell(),
            worker.median / sequential.median
        );
    }

    println!("\n## Healthy vendor's seat-change latency next to a hung vendor (release build)\n");
    println!(
        "{LATENCY_SAMPLES} Contoso changes one after another per scenario, request → SUCCEEDED; \
         worker polling every {} ms, 4 calls per adapter, 30 s call timeout; hung: {HUNG_OPS} \
         bad-hang changes due, 4 of them hanging inside the plugin throughout.\n",
        LATENCY_POLL.as_millis()
    );
    println!(
        "| backend | idle p50 | idle p99 | hung p50 | hung p99 | hung ÷ idle p50 | hung ÷ idle p99 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (backend, latency) in latencies {
        println!(
            "| {backend} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.2} | {:.2} |",
            ms(latency.idle.p50),
            ms(latency.idle.p99),
            ms(latency.hung.p50),
            ms(latency.hung.p99),
            latency.hung.p50.as_secs_f64() / latency.idle.p50.as_secs_f64(),
            latency.hung.p99.as_secs_f64() / latency.idle.p99.as_secs_f64(),
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

/// p50 and p99 of one scenario's samples.
struct Percentiles {
    p50: Duration,
    p99: Duration,
}

impl Percentiles {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let at = |q: f64| {
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples.get(index).copied().unwrap_or_default()
        };
        Self {
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

struct Isolation {
    idle: Percentiles,
    hung: Percentiles,
}

/// The isolation measure on one backend (see the module docs).
async fn bench_isolation(db: &TestDatabase, registry: Arc<PluginRegistry>) -> Isolation {
    let store = db.store().await;
    let actor = Actor::system();
    let (tenant, apps) = seed(&store, &actor).await;
    let hung_apps = seed_hung(&store, &actor, tenant).await;
    let effects = VendorEffects::new(store.clone(), Arc::clone(&registry));
    let worker =
        SeatChangeWorker::new(store.clone(), Arc::new(effects)).with_poll_interval(LATENCY_POLL);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|stop| *stop).await;
    }));
    let hang = registry.get("bad-hang").expect("bad-hang loaded").clone();
    let mut seats = 1_000;

    let idle = time_changes(&store, &actor, tenant, &apps, &mut seats, "idle").await;
    assert_eq!(hang.health().running_calls, 0, "nothing ran in bad-hang");

    for (index, app) in hung_apps.iter().enumerate() {
        store
            .request_seat_change(tenant, &actor, *app, 20, &format!("hang-{index}"))
            .await
            .expect("record a hung change");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while hang.health().running_calls < 4 {
        assert!(Instant::now() < deadline, "bad-hang never held 4 calls");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let hung = time_changes(&store, &actor, tenant, &apps, &mut seats, "hung").await;
    assert_eq!(
        hang.health().running_calls,
        4,
        "bad-hang held its full concurrency throughout"
    );
    assert_eq!(
        hang.health().abandoned_calls,
        0,
        "no hung call timed out yet"
    );

    // The hung calls would hold a graceful stop for their 30 s timeout;
    // stopping the task abandons them instead, which is all a benchmark needs.
    let _ = stop.send(true);
    running.abort();
    let _ = running.await;
    Isolation {
        idle: Percentiles::of(idle),
        hung: Percentiles::of(hung),
    }
}

/// [`LATENCY_SAMPLES`] Contoso changes, one after another over the apps;
/// each one's time from request to `SUCCEEDED`.
async fn time_changes(
    store: &Store,
    actor: &Actor,
    tenant: TenantId,
    apps: &[AppId],
    seats: &mut i64,
    label: &str,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
    for sample in 0..LATENCY_SAMPLES {
        *seats += 1;
        let app = apps[sample % apps.len()];
        let started = Instant::now();
        let (op, _) = store
            .request_seat_change(tenant, actor, app, *seats, &format!("{label}-{sample}"))
            .await
            .expect("record a healthy change");
        loop {
            let now = store
                .seat_change_operation(tenant, op.id)
                .await
                .expect("read the change");
            if now.status.is_final() {
                assert_eq!(now.status, SeatChangeStatus::Succeeded, "{now:?}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(started.elapsed());
    }
    samples
}

/// [`HUNG_OPS`] apps on the `bad-hang` adapter.
async fn seed_hung(store: &Store, actor: &Actor, tenant: TenantId) -> Vec<AppId> {
    let mut apps = Vec::with_capacity(HUNG_OPS);
    for index in 0..HUNG_OPS {
        let app = NewApp {
            name: format!("Hung app {index}"),
            description: String::new(),
            vendor: Vendor {
                name: "Hung vendor".into(),
                website: "https://hung.example".into(),
                support_email: "support@hung.example".into(),
            },
            seats: INITIAL_SEATS,
            adapter_key: Some("bad-hang".into()),
            adapter_settings: serde_json::json!({}),
        };
        apps.push(
            store
                .register_app(tenant, actor, app)
                .await
                .expect("register a hung app")
                .id,
        );
    }
    apps
}

/// Rates (operations per second) of one round.
struct Round {
    worker: f64,
    /// `set_purchased_seats`, [`BATCH`] calls in flight like the worker.
    plain: f64,
    /// `set_purchased_seats`, one call at a time.
    sequential: f64,
}

async fn bench_backend(db: &TestDatabase, registry: &Arc<PluginRegistry>) -> Vec<Round> {
    let store = db.store().await;
    let actor = Actor::system();
    let (tenant, apps) = seed(&store, &actor).await;
    // One vendor only: let it take all of the worker's slots.
    let effects = VendorEffects::new(store.clone(), Arc::clone(registry));
    let worker = SeatChangeWorker::new(store.clone(), Arc::new(effects))
        .with_max_in_flight(BATCH)
        .with_per_adapter_concurrency(BATCH);
    let per_app = OPS / APPS;
    let mut seats = INITIAL_SEATS;
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let ids = request_changes(&store, &actor, tenant, &apps, seats, round).await;
        let started = Instant::now();
        worker.drain().await;
        let worker_time = started.elapsed();
        check_all_succeeded(&store, tenant, &ids).await;
        seats += per_app as i64;

        let concurrent = set_seats(&store, &actor, tenant, &apps, seats, BATCH).await;
        seats += per_app as i64;
        let sequential = set_seats(&store, &actor, tenant, &apps, seats, 1).await;
        seats += per_app as i64;

        rounds.push(Round {
            worker: rate(ids.len(), worker_time),
            plain: rate(per_app * apps.len(), concurrent),
            sequential: rate(per_app * apps.len(), sequential),
        });
    }
    rounds
}

/// Sets every app's purchased seats to `seats + 1`, `seats + 2`, … as many
/// times as the worker round changed them, `in_flight` calls at a time (on
/// different apps); returns the time taken.
async fn set_seats(
    store: &Store,
    actor: &Actor,
    tenant: TenantId,
    apps: &[AppId],
    seats: i64,
    in_flight: usize,
) -> Duration {
    let started = Instant::now();
    for step in 1..=(OPS / apps.len()) as i64 {
        for chunk in apps.chunks(in_flight) {
            let calls = chunk
                .iter()
                .map(|app| store.set_purchased_seats(tenant, actor, *app, seats + step));
            for result in futures::future::join_all(calls).await {
                result.expect("setting purchased seats succeeds");
            }
        }
    }
    started.elapsed()
}

/// One tenant with [`APPS`] Contoso apps.
async fn seed(store: &Store, actor: &Actor) -> (TenantId, Vec<AppId>) {
    let tenant = store
        .create_tenant(actor, "Benchmark tenant")
        .await
        .expect("create the tenant")
        .id;
    let mut apps = Vec::with_capacity(APPS);
    for index in 0..APPS {
        let app = NewApp {
            name: format!("Benchmark app {index:03}"),
            description: String::new(),
            vendor: Vendor {
                name: "Contoso".into(),
                website: "https://contoso.example".into(),
                support_email: "support@contoso.example".into(),
            },
            seats: INITIAL_SEATS,
            adapter_key: Some("contoso".into()),
            adapter_settings: serde_json::json!({
                "signing_secret": "bench-signing-secret",
                "max_seats": 100_000,
            }),
        };
        let app = store
            .register_app(tenant, actor, app)
            .await
            .expect("register an app");
        apps.push(app.id);
    }
    (tenant, apps)
}

/// Records [`OPS`] operations: app by app in turn, each asking one seat
/// more than the last, so the worker's oldest-first order spreads over all
/// apps. Returns their ids.
async fn request_changes(
    store: &Store,
    actor: &Actor,
    tenant: TenantId,
    apps: &[AppId],
    seats: i64,
    round: usize,
) -> Vec<SeatChangeOperationId> {
    let mut ids = Vec::with_capacity(OPS);
    for step in 1..=(OPS / apps.len()) as i64 {
        for (index, app) in apps.iter().enumerate() {
            let key = format!("bench-{round}-{index}-{step}");
            let (op, created) = store
                .request_seat_change(tenant, actor, *app, seats + step, &key)
                .await
                .expect("record a seat change");
            assert!(created, "a fresh idempotency key creates an operation");
            ids.push(op.id);
        }
    }
    ids
}

async fn check_all_succeeded(store: &Store, tenant: TenantId, ids: &[SeatChangeOperationId]) {
    let ops = store
        .seat_change_operations_by_ids(tenant, ids)
        .await
        .expect("read the operations back");
    let succeeded = ops
        .iter()
        .filter(|op| op.status == SeatChangeStatus::Succeeded)
        .count();
    assert_eq!(
        succeeded,
        ids.len(),
        "every operation SUCCEEDED once the worker had nothing left to claim"
    );
}

fn rate(ops: usize, elapsed: Duration) -> f64 {
    ops as f64 / elapsed.as_secs_f64()
}

/// Median, min and max of one measure over the rounds.
struct Rates {
    median: f64,
    min: f64,
    max: f64,
}

impl Rates {
    fn of(rates: impl Iterator<Item = f64>) -> Self {
        let mut rates: Vec<f64> = rates.collect();
        rates.sort_by(f64::total_cmp);
        Self {
            median: rates.get(rates.len() / 2).copied().unwrap_or(f64::NAN),
            min: rates.first().copied().unwrap_or(f64::NAN),
            max: rates.last().copied().unwrap_or(f64::NAN),
        }
    }

    fn cell(&self) -> String {
        format!("{:.0} ({:.0}–{:.0})", self.median, self.min, self.max)
    }
}
