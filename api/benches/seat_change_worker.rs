//! Seat-change operations per second through the seat-change worker, on
//! SQLite and PostgreSQL, against plain `Store::set_purchased_seats` calls
//! for the same apps in the same run.
//!
//! Run with `cargo bench -p seatwise-api --bench seat_change_worker`; it
//! builds the Contoso plugin (release), then prints a Markdown table.
//! PostgreSQL comes from `SEATWISE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and is skipped with a
//! message when unreachable.
//!
//! Per backend: one tenant with [`APPS`] apps on the `contoso` adapter
//! (immediate seat changes). Each round records [`OPS`] operations, spread
//! evenly over the apps, then times `tick()` in a loop with the server's
//! default settings (10 operations per tick) until nothing is due and checks
//! that every operation SUCCEEDED. The baseline then sets the same apps'
//! purchased seats the same number of times with `set_purchased_seats`, 10
//! calls in flight as the worker's batch has, so `worker ÷ plain` shows
//! what the worker adds on top of the seat update itself: claiming, reading
//! the app, the adapter call on its own thread, recording the operation.
//! A second baseline makes the same calls one at a time, which shows what
//! concurrency itself costs or gains on the backend (SQLite has one writer;
//! concurrent `BEGIN IMMEDIATE`s wait in its busy handler).
//! Recording the operations (requests) is not timed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use seatwise_adapter_host::{HostConfig, PluginRegistry};
use seatwise_api::seat_change_worker::SeatChangeWorker;
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
/// Operations the worker claims per tick (its default); the baseline keeps
/// as many `set_purchased_seats` calls in flight.
const BATCH: usize = 10;
/// Seats every app starts with.
const INITIAL_SEATS: i64 = 10;

fn main() {
    let plugins = PluginCopy::of_contoso();
    let registry = PluginRegistry::load_dir(plugins.path(), &HostConfig::default())
        .expect("the plugin directory is readable");
    assert!(
        registry.get("contoso").is_some(),
        "the contoso plugin loads"
    );
    let registry = Arc::new(registry);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");

    let mut rows = Vec::new();
    runtime.block_on(async {
        let sqlite = TestDatabase::sqlite().await;
        rows.push(("SQLite", bench_backend(&sqlite, &registry).await));
        match TestDatabase::postgres().await {
            Some(postgres) => rows.push(("PostgreSQL", bench_backend(&postgres, &registry).await)),
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
    let worker = SeatChangeWorker::new(store.clone(), Arc::clone(registry));
    let per_app = OPS / APPS;
    let mut seats = INITIAL_SEATS;
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let ids = request_changes(&store, &actor, tenant, &apps, seats, round).await;
        let started = Instant::now();
        while worker.tick().await > 0 {}
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

/// A private directory holding a fresh copy of the Contoso plugin, built in
/// this benchmark's profile (as `adapters/host/tests/common` does for the
/// tests), so the registry loads nothing else from the target directory.
struct PluginCopy {
    dir: PathBuf,
}

const CONTOSO_PACKAGE: &str = "plugin-contoso-immediate";

impl PluginCopy {
    fn of_contoso() -> Self {
        let file_name = format!(
            "{}{}{}",
            std::env::consts::DLL_PREFIX,
            CONTOSO_PACKAGE.replace('-', "_"),
            std::env::consts::DLL_SUFFIX
        );
        let built = build_contoso().join(&file_name);
        let dir =
            std::env::temp_dir().join(format!("seatwise-worker-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the plugin directory");
        std::fs::copy(&built, dir.join(&file_name))
            .unwrap_or_else(|error| panic!("copy {}: {error}", built.display()));
        Self { dir }
    }

    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PluginCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Builds the plugin with `$CARGO` into this executable's target directory
/// and profile; returns the directory holding the library.
fn build_contoso() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The bench executable lives in `<target>/<profile>/deps/`.
    let exe = std::env::current_exe().expect("the bench executable's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the bench runs from <target>/<profile>/deps");
    let profile = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .expect("a UTF-8 profile directory name");
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => profile_dir
            .parent()
            .expect("a target directory")
            .to_path_buf(),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "-p", CONTOSO_PACKAGE, "--target-dir"])
        .arg(&target_dir);
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    let output = command.output().expect("run cargo");
    assert!(
        output.status.success(),
        "building the Contoso plugin failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target_dir.join(profile)
}
