//! One backend's whole run: a fresh database, seeding, the real server,
//! the scenarios, the baseline, the seat check and the start-up timing.

use std::sync::Arc;
use std::time::Duration;

use seatwise_core::ids::{AppId, TenantId};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, LicenseFilter, Store, paging::PageRequest};
use serde_json::json;
use tokio::process::Command;

use crate::discover::discover;
use crate::load::Http;
use crate::scenarios::{self, BulkResult, Fixture, ScenarioResult};
use crate::seed::{ROLLOUT_APPS_PER_RUN, Scale, Seeded, seed};
use crate::server::{self, ServerProcess};

/// Settings shared by every backend's run.
pub struct Settings {
    /// The `seatwise` binary.
    pub server_bin: std::path::PathBuf,
    /// Data set size.
    pub scale: Scale,
    /// Measured time per load scenario.
    pub duration: Duration,
    /// Concurrent clients.
    pub clients: usize,
    /// Leave the database in place when done.
    pub keep_database: bool,
    /// Servers for the hot-app scenario's replica run (1: no replica run).
    pub replicas: usize,
}

/// The seeded data set, in figures.
pub struct SeedSummary {
    pub users: usize,
    pub apps: usize,
    pub groups: usize,
    pub memberships: usize,
    pub assignments: usize,
    pub licensed: usize,
    pub took: Duration,
}

/// Everything measured on one backend.
pub struct BackendReport {
    pub backend: Backend,
    pub seed: SeedSummary,
    /// Scenarios 1, 2, 3 and 5, in that order.
    pub scenarios: Vec<ScenarioResult>,
    /// The hot app on one server, then (with `--replicas`) on several.
    pub hot: Vec<ScenarioResult>,
    /// The hot app as an assign-only rollout, on one server, then (with
    /// `--replicas`) on several.
    pub rollout: Vec<ScenarioResult>,
    pub baseline: ScenarioResult,
    /// (page size, SQL statements per scenario-1 request).
    pub page_sizes: Vec<(i64, f64)>,
    pub bulk: BulkResult,
    /// Apps checked, or what was wrong.
    pub seats_check: Result<usize, String>,
    /// Each restart's time to ready.
    pub startup: Vec<Duration>,
}

/// Run everything on `backend`; `None` when PostgreSQL is unreachable.
pub async fn run(backend: Backend, settings: &Settings) -> Option<BackendReport> {
    eprintln!("== {backend}: creating a fresh database");
    let db = match backend {
        Backend::Sqlite => TestDatabase::sqlite().await,
        Backend::Postgres => TestDatabase::postgres().await?,
    };
    let store = db.store().await;
    eprintln!("== {backend}: seeding");
    let seeded = seed(&store, settings.scale).await;
    eprintln!("== {backend}: seeded in {:.1?}", seeded.took);
    if let Err(e) = analyze(&db).await {
        eprintln!("   ANALYZE after seeding failed: {e}");
    }
    let url = db.url().as_str().to_owned();
    crate::cpu::watch_database(&url);
    let secret = server::random_secret();

    let address = server::free_address();
    let command = server::seatwise_serve(&settings.server_bin, &url, &secret, address);
    let log = std::env::temp_dir().join(format!("seatwise-bench-{backend}-server.log"));
    let (server, _) = ServerProcess::start(command, address, log)
        .await
        .expect("start seatwise serve");
    let token = server::mint_token(&settings.server_bin, &url, &secret, seeded.tenant.0)
        .await
        .expect("mint an admin token");
    let http = Http::new(server.base_url(), Some(token));
    let ids = discover(&http, &seeded)
        .await
        .expect("find the seeded objects through the API");
    check_details_page(&http, &ids.apps[0]).await;
    let fx = Arc::new(Fixture {
        http,
        ids,
        holders: seeded.apps.iter().map(|a| a.holders.clone()).collect(),
        names: seeded.user_names.clone(),
    });
    let (clients, duration) = (settings.clients, settings.duration);

    eprintln!("== {backend}: scenario 1");
    let details = scenarios::license_details(&fx, &server, clients, duration).await;
    let page_sizes = scenarios::statements_by_page_size(&fx, &[10, 50, 100])
        .await
        .unwrap_or_else(|e| {
            eprintln!("   page-size check failed: {e}");
            Vec::new()
        });

    eprintln!("== {backend}: baseline");
    let baseline = run_baseline(&url, &seeded, clients, duration).await;

    eprintln!("== {backend}: scenario 2");
    let typeahead = scenarios::typeahead(&fx, &server, clients, duration).await;
    eprintln!("== {backend}: scenario 3");
    let mutations = scenarios::assign_unassign(&fx, &server, clients, duration).await;
    eprintln!("== {backend}: scenario 4");
    let bulk = scenarios::bulk_assign(&fx, &server, settings.scale.bulk_group as i64, 3).await;
    eprintln!("== {backend}: scenario 5");
    let apps = scenarios::apps_list(&fx, &server, clients, duration).await;

    // The hot-app runs come last: the rollouts leave their apps with
    // thousands of new licenses, which earlier scenarios should not see
    // before the statistics catch up (see bench/README.md, 2026-12-04).
    eprintln!("== {backend}: hot app");
    let mut hot =
        vec![scenarios::hot_app(&fx, &[&server], vec![fx.http.clone()], clients, duration).await];
    // The rollout assigns each user once: a smaller data set runs out.
    let rollout_runs = fx.ids.users.len() >= scenarios::ROLLOUT_USERS;
    let mut rollout = Vec::new();
    if rollout_runs {
        eprintln!("== {backend}: hot app rollout");
        rollout.push(
            scenarios::hot_app_rollout(
                &fx,
                &fx.ids.rollout_apps[..ROLLOUT_APPS_PER_RUN],
                &[&server],
                vec![fx.http.clone()],
                clients,
                duration,
            )
            .await,
        );
    } else {
        eprintln!(
            "== {backend}: hot app rollout skipped: it needs {} users (--scale default)",
            scenarios::ROLLOUT_USERS
        );
    }
    if settings.replicas > 1 {
        let mut replicas = Vec::new();
        for _ in 1..settings.replicas {
            let address = server::free_address();
            let command = server::seatwise_serve(&settings.server_bin, &url, &secret, address);
            let log = std::env::temp_dir().join(format!("seatwise-bench-{backend}-replica.log"));
            let (replica, _) = ServerProcess::start(command, address, log)
                .await
                .expect("start a replica");
            replicas.push(replica);
        }
        let servers: Vec<&ServerProcess> = std::iter::once(&server).chain(&replicas).collect();
        let https: Vec<Http> = std::iter::once(fx.http.clone())
            .chain(replicas.iter().map(|r| fx.http.with_base(r.base_url())))
            .collect();
        eprintln!("== {backend}: hot app on {} replicas", servers.len());
        hot.push(scenarios::hot_app(&fx, &servers, https.clone(), clients, duration).await);
        if rollout_runs {
            eprintln!(
                "== {backend}: hot app rollout on {} replicas",
                servers.len()
            );
            rollout.push(
                scenarios::hot_app_rollout(
                    &fx,
                    &fx.ids.rollout_apps[ROLLOUT_APPS_PER_RUN..],
                    &servers,
                    https,
                    clients,
                    duration,
                )
                .await,
            );
        }
        for replica in replicas {
            replica.stop().await;
        }
    }
    let seats_check = check_seats(&store, &seeded, &rollout).await;
    eprintln!("== {backend}: start-up on the existing database");
    server.stop().await;
    let mut startup = Vec::new();
    for _ in 0..3 {
        let address = server::free_address();
        let command = server::seatwise_serve(&settings.server_bin, &url, &secret, address);
        let log = std::env::temp_dir().join(format!("seatwise-bench-{backend}-restart.log"));
        let (restarted, took) = ServerProcess::start(command, address, log)
            .await
            .expect("restart seatwise serve");
        startup.push(took);
        restarted.stop().await;
    }
    for scenario in [&details, &baseline, &typeahead, &mutations, &apps]
        .into_iter()
        .chain(&hot)
        .chain(&rollout)
    {
        for e in &scenario.load.error_examples {
            eprintln!("   error in {}: {e}", scenario.name);
        }
    }
    for e in &bulk.errors {
        eprintln!("   error in scenario 4: {e}");
    }
    drop(store);
    if settings.keep_database {
        eprintln!("== {backend}: kept the database at {url}");
        // Skips TestDatabase's drop, which would remove it.
        std::mem::forget(db);
    }
    Some(BackendReport {
        backend,
        seed: SeedSummary {
            users: seeded.user_emails.len(),
            apps: seeded.apps.len(),
            groups: seeded.groups,
            memberships: seeded.memberships,
            assignments: seeded.assignments,
            licensed: seeded.licensed,
            took: seeded.took,
        },
        scenarios: vec![details, typeahead, mutations, apps],
        hot,
        rollout,
        baseline,
        page_sizes,
        bulk,
        seats_check,
        startup,
    })
}

/// On PostgreSQL, gather the planner's statistics once after seeding, as
/// autovacuum would after a bulk load on any server that runs it (this
/// machine's PostgreSQL runs with `autovacuum = off`). Without any, the
/// planner guesses one row for every equality on an unanalysed table and
/// may pick, of two indexes leading with the same columns, the one that
/// filters an app's every assignment; see bench/README.md, "2026-12-04
/// (evening)". SQLite gets none: the server never runs `ANALYZE` there, so
/// its planner works from the schema alone, as it does for users.
async fn analyze(db: &TestDatabase) -> Result<(), String> {
    use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
    if db.url().backend() != Backend::Postgres {
        return Ok(());
    }
    let mut conn = AsyncPgConnection::establish(db.url().as_str())
        .await
        .map_err(|e| e.to_string())?;
    conn.batch_execute("ANALYZE")
        .await
        .map_err(|e| e.to_string())
}

/// The baseline in its own process, on the same database.
async fn run_baseline(
    url: &str,
    seeded: &Seeded,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let address = server::free_address();
    let exe = std::env::current_exe().expect("find this executable");
    let mut command = Command::new(exe);
    command
        .arg("baseline-serve")
        .arg("--database")
        .arg(url)
        .arg("--tenant")
        .arg(seeded.tenant.0.to_string())
        .arg("--listen")
        .arg(address.to_string());
    let log = std::env::temp_dir().join("seatwise-bench-baseline.log");
    let (process, _) = ServerProcess::start(command, address, log)
        .await
        .expect("start the baseline server");
    let apps = Arc::new(seeded.apps.iter().map(|a| a.id.0).collect::<Vec<_>>());
    check_baseline_page(&process, apps[0]).await;
    let result = scenarios::baseline(&process, apps, clients, duration).await;
    process.stop().await;
    result
}

/// Scenario 1 must be the real thing: a full page of 50 assignments.
async fn check_details_page(http: &Http, app: &str) {
    let data = http
        .graphql(
            scenarios::LICENSE_DETAILS,
            json!({ "id": app, "first": 50 }),
        )
        .await
        .expect("scenario 1 query");
    let edges = data["app"]["assignments"]["edges"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(
        edges, 50,
        "scenario 1 should return a full page of 50 assignments"
    );
}

/// The baseline must answer what scenario 1 does: a full page of 50
/// assignments, each with its principal's name. (Its joins once matched
/// the stored kinds' old lower-case spelling, found no principal, and
/// answered nameless pages, measured from 2026-12-02 to 2026-12-04.)
async fn check_baseline_page(baseline: &ServerProcess, app: uuid::Uuid) {
    let page = Http::new(baseline.base_url(), None)
        .get_json(&format!("/apps/{app}/license-details?first=50"))
        .await
        .expect("baseline license details");
    let edges = page["assignments"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let named = edges
        .iter()
        .filter(|e| e["principal"]["displayName"].is_string())
        .count();
    assert_eq!(
        (edges.len(), named),
        (50, 50),
        "the baseline should return 50 assignments, each with its principal's name"
    );
}

/// No over-assignment: on every app, assigned ≤ purchased and assigned
/// equals the users with an ACTIVE license; since scenario 3 and the hot
/// app undo each assignment, every app is back to its seeded holders; and
/// each rollout run's apps hold exactly the assignments it made.
async fn check_seats(
    store: &Store,
    seeded: &Seeded,
    rollout: &[ScenarioResult],
) -> Result<usize, String> {
    for (apps, run) in seeded
        .rollout_apps
        .chunks(ROLLOUT_APPS_PER_RUN)
        .zip(rollout)
    {
        let mut active = 0;
        for app in apps {
            active += active_licenses(store, seeded.tenant, app.id, &app.name).await?;
        }
        let made = run.load.requests + run.warm_up_requests - run.load.errors;
        if active != made as i64 {
            return Err(format!(
                "{}: {active} active licenses after {made} assignments",
                run.name
            ));
        }
    }
    for app in &seeded.apps {
        let active = active_licenses(store, seeded.tenant, app.id, &app.name).await?;
        if active != app.holders.len() as i64 {
            return Err(format!(
                "{}: {active} active licenses after scenario 3, {} seeded",
                app.name,
                app.holders.len()
            ));
        }
    }
    Ok(seeded.apps.len() + ROLLOUT_APPS_PER_RUN * rollout.len())
}

/// The users holding an ACTIVE license of `app`, after checking that its
/// assigned seats count exactly them and do not exceed its purchased seats.
async fn active_licenses(
    store: &Store,
    tenant: TenantId,
    app: AppId,
    name: &str,
) -> Result<i64, String> {
    let one = PageRequest::first(1);
    let read = |e: seatwise_core::CoreError| format!("{name}: {e}");
    let seats = store.app(tenant, app).await.map_err(read)?.seats;
    let all = store
        .licensed_users(tenant, app, LicenseFilter::All, &one)
        .await
        .map_err(read)?
        .total_count
        .unwrap_or_default();
    let waiting = store
        .licensed_users(tenant, app, LicenseFilter::Errors, &one)
        .await
        .map_err(read)?
        .total_count
        .unwrap_or_default();
    let active = all - waiting;
    if seats.assigned > seats.purchased || seats.assigned != active {
        return Err(format!(
            "{name}: {} assigned, {} purchased, {active} active licenses",
            seats.assigned, seats.purchased
        ));
    }
    Ok(active)
}
