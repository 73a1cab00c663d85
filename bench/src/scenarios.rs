//! The five scenarios and the baseline, each a closed-loop run (or, for the
//! bulk assignment, a few sequential requests) against a running server.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::cpu;
use crate::discover::Ids;
use crate::load::{Http, LoadReport, Sample, closed_loop, timed};
use crate::server::{ServerProcess, statements_total};

/// Warm-up before each measured run: connection pools fill, caches and
/// query plans settle. Its requests are checked for errors but not timed.
const WARM_UP: Duration = Duration::from_secs(1);

/// What one scenario measured.
pub struct ScenarioResult {
    /// Scenario name, for the table.
    pub name: &'static str,
    /// Concurrent clients.
    pub clients: usize,
    /// Throughput, latency, errors (the warm-up's errors included).
    pub load: LoadReport,
    /// Requests sent during the warm-up (errors included), which are not
    /// in `load.requests`.
    pub warm_up_requests: u64,
    /// Server SQL statements per request (None for the baseline, which
    /// does not count them: it sends two by construction).
    pub sql_per_request: Option<f64>,
    /// Peak server RSS during the measured run, MB.
    pub peak_rss_mb: Option<f64>,
    /// Server CPU (user + system) per request over the measured run, µs
    /// (all servers together when there are replicas).
    pub server_cpu_us: Option<f64>,
    /// CPU of the PostgreSQL processes serving this run per request, µs
    /// (None on SQLite).
    pub pg_cpu_us: Option<f64>,
}

/// Shared inputs of the load scenarios.
pub struct Fixture {
    /// The GraphQL client with an admin token.
    pub http: Http,
    /// Global ids.
    pub ids: Ids,
    /// Users holding each seeded app (by app index), for scenario 3.
    pub holders: Vec<HashSet<u32>>,
    /// Seeded display names, for typeahead prefixes.
    pub names: Vec<String>,
}

pub const LICENSE_DETAILS: &str = "query LicenseDetails($id: ID!, $first: Int!) { app(id: $id) { \
    id name description vendor { name website supportEmail } seats { purchased assigned available } \
    assignments(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { \
    id assignedAt assignedBy principal { __typename ... on User { id displayName email } \
    ... on Group { id displayName } } } } } } }";

const SEARCH: &str = "query Typeahead($q: String!) { searchPrincipals(query: $q, first: 10) { \
    __typename ... on User { id displayName email } ... on Group { id displayName } } }";

pub const ASSIGN: &str = "mutation Assign($app: ID!, $principals: [ID!]!) { \
    assignLicenses(input: { appId: $app, principalIds: $principals }) { \
    app { id seats { purchased assigned available } } assignments { id } userErrors { code message } } }";

pub const UNASSIGN: &str = "mutation Unassign($app: ID!, $principals: [ID!]!) { \
    unassignLicenses(input: { appId: $app, principalIds: $principals }) { \
    app { id seats { purchased assigned available } } assignments { id } userErrors { code message } } }";

const APPS_LIST: &str = "query AppsList($after: String) { apps(first: 50, after: $after) { totalCount \
    pageInfo { hasNextPage endCursor } edges { cursor node { id name vendor { name website } \
    seats { purchased assigned available } } } } }";

/// A cheap, well-mixed pseudo-random number from a client and iteration
/// (splitmix64), so steps need no shared or per-task RNG state.
pub fn mix(client: usize, n: u64, salt: u64) -> u64 {
    let mut z = ((client as u64) << 40 ^ n ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick(client: usize, n: u64, salt: u64, len: usize) -> usize {
    (mix(client, n, salt) % len.max(1) as u64) as usize
}

/// Warm up, then measure `step` on `server` with `clients` for `duration`,
/// counting the server's SQL statements and peak memory over the measured
/// part only.
pub async fn measure<F, Fut>(
    name: &'static str,
    server: &ServerProcess,
    metrics: &Http,
    clients: usize,
    duration: Duration,
    step: F,
) -> ScenarioResult
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Vec<Sample>> + Send + 'static,
{
    measure_on(
        name,
        &[server],
        std::slice::from_ref(metrics),
        clients,
        duration,
        step,
    )
    .await
}

/// [`measure`] across several servers (replicas on one database): SQL
/// statements and CPU are summed over all of them, peak RSS is the largest.
pub async fn measure_on<F, Fut>(
    name: &'static str,
    servers: &[&ServerProcess],
    metrics: &[Http],
    clients: usize,
    duration: Duration,
    step: F,
) -> ScenarioResult
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Vec<Sample>> + Send + 'static,
{
    let warm = closed_loop(clients, WARM_UP, step.clone()).await;
    let before = statements_of(metrics).await;
    for server in servers {
        server.reset_peak_rss();
    }
    let pids: Vec<Option<u32>> = servers.iter().map(|s| s.pid()).collect();
    let cpu_before = cpu::mark(&pids);
    let mut load = closed_loop(clients, duration, step).await;
    let cpu_after = cpu::mark(&pids);
    let after = statements_of(metrics).await;
    // Warm-up errors count too: zero errors means zero anywhere.
    load.errors += warm.errors;
    load.error_examples.extend(warm.error_examples);
    let sql_per_request = match (before, after) {
        (Some(b), Some(a)) if load.requests > 0 => {
            Some(a.saturating_sub(b) as f64 / load.requests as f64)
        }
        _ => None,
    };
    let (server_cpu_us, pg_cpu_us) = cpu::per_request(&cpu_before, &cpu_after, load.requests);
    ScenarioResult {
        name,
        clients,
        load,
        warm_up_requests: warm.requests,
        sql_per_request,
        peak_rss_mb: servers
            .iter()
            .filter_map(|s| s.peak_rss_mb())
            .reduce(f64::max),
        server_cpu_us,
        pg_cpu_us,
    }
}

/// The statement counters of all `metrics` endpoints, summed.
async fn statements_of(metrics: &[Http]) -> Option<u64> {
    let mut total = 0;
    for http in metrics {
        total += statements_total(http).await.ok()?;
    }
    Some(total)
}

/// Scenario 1: an app's license details with its first 50 assignments.
pub async fn license_details(
    fx: &Arc<Fixture>,
    server: &ServerProcess,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let fx = fx.clone();
    measure(
        "1. license details (first 50 assignments)",
        server,
        &fx.http.clone(),
        clients,
        duration,
        move |c, n| {
            let fx = fx.clone();
            async move {
                let app = &fx.ids.apps[pick(c, n, 1, fx.ids.apps.len())];
                let (sample, _) = timed(
                    fx.http
                        .graphql(LICENSE_DETAILS, json!({ "id": app, "first": 50 })),
                )
                .await;
                vec![sample]
            }
        },
    )
    .await
}

/// SQL statements per scenario-1 request for each page size, on the probe
/// app (whose pages all hold a group and users), with one client so
/// nothing else runs meanwhile.
pub async fn statements_by_page_size(
    fx: &Fixture,
    sizes: &[i64],
) -> Result<Vec<(i64, f64)>, String> {
    const REQUESTS: u64 = 40;
    let mut out = Vec::new();
    for &first in sizes {
        let vars = json!({ "id": fx.ids.probe_app, "first": first });
        let before = statements_total(&fx.http).await?;
        for _ in 0..REQUESTS {
            let data = fx.http.graphql(LICENSE_DETAILS, vars.clone()).await?;
            let edges = data["app"]["assignments"]["edges"]
                .as_array()
                .map_or(0, Vec::len);
            if edges as i64 != first {
                return Err(format!("asked for {first} assignments, got {edges}"));
            }
        }
        let after = statements_total(&fx.http).await?;
        out.push((first, after.saturating_sub(before) as f64 / REQUESTS as f64));
    }
    Ok(out)
}

/// The baseline for scenario 1, same apps, same concurrency.
pub async fn baseline(
    baseline: &ServerProcess,
    app_uuids: Arc<Vec<uuid::Uuid>>,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let http = Http::new(baseline.base_url(), None);
    let step = move |c: usize, n: u64| {
        let (http, apps) = (http.clone(), app_uuids.clone());
        async move {
            let app = apps[pick(c, n, 1, apps.len())];
            let (sample, _) =
                timed(http.get_json(&format!("/apps/{app}/license-details?first=50"))).await;
            vec![sample]
        }
    };
    let warm = closed_loop(clients, WARM_UP, step.clone()).await;
    baseline.reset_peak_rss();
    let pids = [baseline.pid()];
    let cpu_before = cpu::mark(&pids);
    let mut load = closed_loop(clients, duration, step).await;
    let cpu_after = cpu::mark(&pids);
    load.errors += warm.errors;
    load.error_examples.extend(warm.error_examples);
    let (server_cpu_us, pg_cpu_us) = cpu::per_request(&cpu_before, &cpu_after, load.requests);
    ScenarioResult {
        name: "baseline: license details (axum + diesel, no GraphQL)",
        clients,
        load,
        warm_up_requests: warm.requests,
        sql_per_request: Some(2.0),
        peak_rss_mb: baseline.peak_rss_mb(),
        server_cpu_us,
        pg_cpu_us,
    }
}

/// Scenario 2: typeahead with 2–3 letter prefixes of seeded names.
pub async fn typeahead(
    fx: &Arc<Fixture>,
    server: &ServerProcess,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let fx = fx.clone();
    measure(
        "2. searchPrincipals (2-3 letter prefix)",
        server,
        &fx.http.clone(),
        clients,
        duration,
        move |c, n| {
            let fx = fx.clone();
            async move {
                let name = &fx.names[pick(c, n, 2, fx.names.len())];
                let words: Vec<&str> = name.split_whitespace().collect();
                let word = words[pick(c, n, 3, words.len())];
                let len = 2 + pick(c, n, 4, 2);
                let prefix: String = word.chars().take(len).collect::<String>().to_lowercase();
                let (sample, _) = timed(fx.http.graphql(SEARCH, json!({ "q": prefix }))).await;
                vec![sample]
            }
        },
    )
    .await
}

/// Scenario 3: assign an app to one user, then unassign it. Each client
/// owns the users whose index ≡ client (mod clients), so no two clients
/// touch the same (app, user) pair and every request must succeed.
pub async fn assign_unassign(
    fx: &Arc<Fixture>,
    server: &ServerProcess,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let fx = fx.clone();
    measure(
        "3. assignLicenses + unassignLicenses (1 user)",
        server,
        &fx.http.clone(),
        clients,
        duration,
        move |c, n| {
            let fx = fx.clone();
            async move {
                let a = pick(c, n, 5, fx.ids.apps.len());
                let owned = fx.ids.users.len().div_ceil(clients);
                // A user of this client who does not hold the app yet.
                let user = (0..64u64)
                    .map(|k| c + clients * pick(c, n * 64 + k, 6, owned))
                    .find(|&u| u < fx.ids.users.len() && !fx.holders[a].contains(&(u as u32)));
                let Some(user) = user else {
                    return Vec::new();
                };
                let vars = json!({ "app": fx.ids.apps[a], "principals": [fx.ids.users[user]] });
                let (assigned, _) = timed(fx.http.graphql(ASSIGN, vars.clone())).await;
                let (unassigned, _) = timed(fx.http.graphql(UNASSIGN, vars)).await;
                vec![assigned, unassigned]
            }
        },
    )
    .await
}

/// The hot app: every client assigns one of its own users to the same app
/// (the first seeded app), then unassigns it, so every assignment queues on
/// that app. With several servers (replicas on one database), client `c`
/// talks to server `c mod N`. Both mutations count as requests; the goal
/// counts assignments (half of them).
pub async fn hot_app(
    fx: &Arc<Fixture>,
    servers: &[&ServerProcess],
    https: Vec<Http>,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let name = if servers.len() > 1 {
        "hot app: assign + unassign on ONE app (2 replicas)"
    } else {
        "hot app: assign + unassign on ONE app"
    };
    let fx = fx.clone();
    let https = Arc::new(https);
    let metrics = https.as_ref().clone();
    measure_on(name, servers, &metrics, clients, duration, move |c, n| {
        let fx = fx.clone();
        let https = https.clone();
        async move {
            let http = &https[c % https.len()];
            let owned = fx.ids.users.len().div_ceil(clients);
            // A user of this client who does not hold the hot app.
            let user = (0..64u64)
                .map(|k| c + clients * pick(c, n * 64 + k, 9, owned))
                .find(|&u| u < fx.ids.users.len() && !fx.holders[0].contains(&(u as u32)));
            let Some(user) = user else {
                return Vec::new();
            };
            let vars = json!({ "app": fx.ids.apps[0], "principals": [fx.ids.users[user]] });
            let (assigned, _) = timed(http.graphql(ASSIGN, vars.clone())).await;
            let (unassigned, _) = timed(http.graphql(UNASSIGN, vars)).await;
            vec![assigned, unassigned]
        }
    })
    .await
}

/// The rollout's measured window is at most this long: each user is
/// assigned once to each of the run's apps, and at 10,000 assignments/s
/// the 1 s warm-up and 3 s measured take all [`ROLLOUT_USERS`] twice (a
/// client out of users records errors, so a run that outpaced them shows).
const ROLLOUT_WINDOW: Duration = Duration::from_secs(3);

/// Users the rollout needs: the default scale's.
pub const ROLLOUT_USERS: usize = 20_000;

/// The hot app as a rollout: every client assigns users, one request per
/// user, to the same app (a rollout app nobody holds, with a seat for
/// every user), and undoes nothing. This is the goal's workload as stated
/// (single-user assignments on one app), where the assign + unassign run
/// above spends half its requests on unassignments. The clients take users
/// in turn from one shared counter, across the warm-up and the measured
/// run; once every user has the first of `apps`, they go on with the next
/// (a company rolling out one app, then another). With several servers,
/// client `c` talks to server `c mod S`. A client out of users records an
/// error, so a run that ran out cannot pass unnoticed.
pub async fn hot_app_rollout(
    fx: &Arc<Fixture>,
    apps: &[String],
    servers: &[&ServerProcess],
    https: Vec<Http>,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let name = if servers.len() > 1 {
        "hot app rollout: assign only, ONE app (2 replicas)"
    } else {
        "hot app rollout: assign only, ONE app"
    };
    let fx = fx.clone();
    let apps = Arc::new(apps.to_vec());
    let https = Arc::new(https);
    let metrics = https.as_ref().clone();
    let next = Arc::new(AtomicUsize::new(0));
    measure_on(
        name,
        servers,
        &metrics,
        clients,
        duration.min(ROLLOUT_WINDOW),
        move |c, _| {
            let (fx, apps, https, next) = (fx.clone(), apps.clone(), https.clone(), next.clone());
            async move {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let users = fx.ids.users.len().max(1);
                let (Some(app), Some(user)) = (apps.get(k / users), fx.ids.users.get(k % users))
                else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return vec![Sample {
                        latency: Duration::ZERO,
                        error: Some(format!("client {c} ran out of users to assign")),
                    }];
                };
                let http = &https[c % https.len()];
                let vars = json!({ "app": app, "principals": [user] });
                let (assigned, _) = timed(http.graphql(ASSIGN, vars)).await;
                vec![assigned]
            }
        },
    )
    .await
}

/// Scenario 4's figures.
pub struct BulkResult {
    /// Each assignment's latency.
    pub assign: Vec<Duration>,
    /// Each unassignment's latency.
    pub unassign: Vec<Duration>,
    /// SQL statements per assignment.
    pub sql_per_assign: Option<f64>,
    /// Peak server RSS over the runs, MB.
    pub peak_rss_mb: Option<f64>,
    /// Failures (must be none).
    pub errors: Vec<String>,
}

/// Scenario 4: assign a group of `members` users in one request, then
/// unassign it, `runs` times.
pub async fn bulk_assign(
    fx: &Fixture,
    server: &ServerProcess,
    members: i64,
    runs: usize,
) -> BulkResult {
    let vars = json!({ "app": fx.ids.bulk_app, "principals": [fx.ids.bulk_group] });
    let mut result = BulkResult {
        assign: Vec::new(),
        unassign: Vec::new(),
        sql_per_assign: None,
        peak_rss_mb: None,
        errors: Vec::new(),
    };
    server.reset_peak_rss();
    let mut statements = 0;
    for _ in 0..runs {
        let before = statements_total(&fx.http).await.ok();
        let (sample, data) = timed(fx.http.graphql(ASSIGN, vars.clone())).await;
        let after = statements_total(&fx.http).await.ok();
        if let (Some(b), Some(a)) = (before, after) {
            statements += a.saturating_sub(b);
        }
        result.assign.push(sample.latency);
        result.errors.extend(sample.error);
        let assigned = data
            .as_ref()
            .and_then(|d| d["assignLicenses"]["app"]["seats"]["assigned"].as_i64());
        if data.is_some() && assigned != Some(members) {
            result.errors.push(format!(
                "after assigning the group, {assigned:?} seats are assigned, expected {members}"
            ));
        }
        let (sample, _) = timed(fx.http.graphql(UNASSIGN, vars.clone())).await;
        result.unassign.push(sample.latency);
        result.errors.extend(sample.error);
    }
    // The statements counted include one /metrics scrape's worth of nothing:
    // scraping reads counters only.
    result.sql_per_assign = Some(statements as f64 / runs.max(1) as f64);
    result.peak_rss_mb = server.peak_rss_mb();
    result
}

/// Scenario 5: a page of 50 apps with seats (any of the pages).
pub async fn apps_list(
    fx: &Arc<Fixture>,
    server: &ServerProcess,
    clients: usize,
    duration: Duration,
) -> ScenarioResult {
    let fx = fx.clone();
    measure(
        "5. apps list with seats (50 per page)",
        server,
        &fx.http.clone(),
        clients,
        duration,
        move |c, n| {
            let fx = fx.clone();
            async move {
                let after = &fx.ids.app_pages[pick(c, n, 8, fx.ids.app_pages.len())];
                let (sample, _) =
                    timed(fx.http.graphql(APPS_LIST, json!({ "after": after }))).await;
                vec![sample]
            }
        },
    )
    .await
}
