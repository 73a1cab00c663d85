//! `seatwise-bench webhooks`: the outbound webhooks' two figures.
//!
//! 1. **Delivery throughput**: a group of N members is assigned in one
//!    transaction (N `license.assigned` events in the outbox), then the
//!    server's own delivery worker (`seatwise_api::webhooks::WebhookWorker`)
//!    makes their deliveries and carries them to a local receiver (axum,
//!    answering 200 and counting); events/s from the worker's start to the
//!    last delivery recorded.
//! 2. **Added latency of an assignment**: assign + unassign one user,
//!    through the core, for two tenants of one store: one without an
//!    endpoint, one with an endpoint subscribed to both events (so each of
//!    its rounds also writes two outbox events; the deliveries are made
//!    later by the worker, which this half does not run); the
//!    difference of the medians. Measured at the core, without HTTP and
//!    GraphQL, where the outbox's share is largest.
//!
//!    The same again **through the API**, as an admin's assignment goes:
//!    the `assignLicenses` and `unassignLicenses` mutations of the
//!    benchmark's scenarios, sent over HTTP to the server's own router
//!    (`seatwise_api::server::build_router`, served in this process on a
//!    local port) with each tenant's admin token.
//!
//!    The two tenants' rounds are interleaved (one of each, the order
//!    swapped every pair) rather than run one set after the other: on a
//!    shared machine the load changes within seconds, and a change then
//!    hits both sets alike instead of being read as the outbox's cost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use seatwise_api::auth::{Role, TokenKeys, TokenRequest};
use seatwise_api::graphql::ids::{Kind, encode};
use seatwise_api::server::{AppState, HttpConfig, build_router};
use seatwise_api::webhooks::{UrlPolicy, WebhookSettings, WebhookWorker};
use seatwise_core::events::{EventKind, NewWebhookEndpoint};
use seatwise_core::ids::{AppId, PrincipalId, TenantId};
use seatwise_core::model::{Actor, NewApp, NewGroup, NewUser, Vendor};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, Store};

use crate::scenarios::{ASSIGN, UNASSIGN};

/// One backend's figures.
pub struct Report {
    backend: Backend,
    events: usize,
    delivery_secs: f64,
    assignments: usize,
    without_ms: f64,
    with_ms: f64,
    api_without_ms: f64,
    api_with_ms: f64,
}

async fn database(backend: Backend) -> Option<TestDatabase> {
    match backend {
        Backend::Sqlite => Some(TestDatabase::sqlite().await),
        Backend::Postgres => TestDatabase::postgres().await,
    }
}

async fn app(store: &Store, tenant: TenantId, seats: i64) -> Result<AppId, String> {
    let app = store
        .register_app(
            tenant,
            &Actor::system(),
            NewApp {
                name: format!("App {seats}"),
                description: String::new(),
                vendor: Vendor {
                    name: "Contoso".into(),
                    website: "https://contoso.example".into(),
                    support_email: "sales@contoso.example".into(),
                },
                seats,
                adapter_key: None,
                adapter_settings: serde_json::json!({}),
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(app.id)
}

/// The latency rounds' user of `tenant`.
async fn one_user(store: &Store, tenant: TenantId) -> Result<PrincipalId, String> {
    let imported = store
        .import_users(
            tenant,
            &Actor::system(),
            vec![NewUser {
                display_name: "Latency Rounds".into(),
                email: "latency@bench.example".into(),
            }],
        )
        .await
        .map_err(|e| e.to_string())?;
    let user = imported.first().ok_or("no user imported")?;
    Ok(PrincipalId::User(user.id))
}

/// A receiver on a free local port that answers 200 and counts.
async fn receiver() -> Result<(String, Arc<AtomicUsize>), String> {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://127.0.0.1:{port}/hook"), count))
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples
        .get(samples.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A way to time one assign + unassign round of one tenant.
trait Round {
    /// Assign and unassign the user once; how long both took.
    async fn round(&self) -> Result<Duration, String>;
}

/// One tenant's round through the core: its store, tenant, app and user.
#[derive(Clone)]
struct CoreRound {
    store: Store,
    tenant: TenantId,
    app: AppId,
    user: PrincipalId,
}

impl Round for CoreRound {
    async fn round(&self) -> Result<Duration, String> {
        let actor = Actor::system();
        let started = Instant::now();
        self.store
            .assign_licenses(self.tenant, &actor, self.app, &[self.user])
            .await
            .map_err(|e| e.to_string())?;
        self.store
            .unassign_licenses(self.tenant, &actor, self.app, &[self.user])
            .await
            .map_err(|e| e.to_string())?;
        Ok(started.elapsed())
    }
}

/// One tenant's round through the API: the two mutations over HTTP with
/// the tenant's admin token.
struct ApiRound {
    http: reqwest::Client,
    url: String,
    token: String,
    variables: serde_json::Value,
}

impl ApiRound {
    /// The round of `core`'s tenant, app and user, sent to the server at
    /// `url` with a token signed by `keys`.
    fn new(core: &CoreRound, url: &str, keys: &TokenKeys) -> Result<Self, String> {
        let PrincipalId::User(user) = core.user else {
            return Err("the latency rounds assign a user".into());
        };
        let token = keys
            .mint(&TokenRequest {
                subject: "bench".into(),
                tenant: core.tenant,
                roles: vec![Role::GlobalAdmin],
                user: None,
                ttl: Duration::from_secs(3600),
            })
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            token,
            variables: serde_json::json!({
                "app": encode(Kind::App, core.app.0).0,
                "principals": [encode(Kind::User, user.0).0],
            }),
        })
    }

    /// Send `query`; an error unless it answered without errors.
    async fn mutation(&self, query: &str) -> Result<(), String> {
        let answer: serde_json::Value = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "query": query, "variables": self.variables }))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let data = answer["data"].as_object().and_then(|d| d.values().next());
        let user_errors = data.and_then(|d| d["userErrors"].as_array());
        match (answer.get("errors"), user_errors) {
            (None, Some(e)) if e.is_empty() => Ok(()),
            _ => Err(format!("the mutation failed: {answer}")),
        }
    }
}

impl Round for ApiRound {
    async fn round(&self) -> Result<Duration, String> {
        let started = Instant::now();
        self.mutation(ASSIGN).await?;
        self.mutation(UNASSIGN).await?;
        Ok(started.elapsed())
    }
}

/// The server's router for `store` on a free local port: its GraphQL URL.
async fn api_server(store: &Store, keys: &TokenKeys) -> Result<String, String> {
    let state = AppState::new(store.clone(), keys.clone(), HttpConfig::default())
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let router = build_router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://127.0.0.1:{port}/graphql"))
}

/// `rounds` rounds of each of `a` and `b`, interleaved: a pair at a time,
/// `a` first in even pairs and `b` first in odd ones, so neither always
/// runs right after the other's commit. Each one's durations.
async fn interleaved_rounds<R: Round>(
    a: &R,
    b: &R,
    rounds: usize,
) -> Result<(Vec<Duration>, Vec<Duration>), String> {
    let mut a_samples = Vec::with_capacity(rounds);
    let mut b_samples = Vec::with_capacity(rounds);
    for pair in 0..rounds {
        if pair % 2 == 0 {
            a_samples.push(a.round().await?);
            b_samples.push(b.round().await?);
        } else {
            b_samples.push(b.round().await?);
            a_samples.push(a.round().await?);
        }
    }
    Ok((a_samples, b_samples))
}

/// The medians of interleaved rounds of `without` and `with`, after a
/// tenth as many warm-up rounds.
async fn medians<R: Round>(without: &R, with: &R, rounds: usize) -> Result<(f64, f64), String> {
    interleaved_rounds(without, with, rounds / 10).await?;
    let (a, b) = interleaved_rounds(without, with, rounds).await?;
    Ok((median(a), median(b)))
}

/// Run both measurements on `backend`; `None` when PostgreSQL is not
/// reachable.
pub async fn run(backend: Backend, events: usize, rounds: usize) -> Option<Result<Report, String>> {
    let db = database(backend).await?;
    Some(measure(backend, &db, events, rounds).await)
}

async fn measure(
    backend: Backend,
    db: &TestDatabase,
    events: usize,
    rounds: usize,
) -> Result<Report, String> {
    let store = db.store().await;
    let actor = Actor::system();
    let tenant = store
        .create_tenant(&actor, "Bench")
        .await
        .map_err(|e| e.to_string())?
        .id;
    // 2. Latency: this tenant gets an endpoint, a second one (same store,
    // same tables) none; their rounds interleave. Both hold one user and
    // one app while they do, so they differ in the endpoint only.
    let (url, received) = receiver().await?;
    store
        .create_webhook_endpoint(
            tenant,
            &actor,
            NewWebhookEndpoint {
                url: url.clone(),
                events: vec![EventKind::LicenseAssigned, EventKind::LicenseUnassigned],
                description: None,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let with_endpoint = CoreRound {
        store: store.clone(),
        tenant,
        app: app(&store, tenant, 10).await?,
        user: one_user(&store, tenant).await?,
    };
    let quiet = store
        .create_tenant(&actor, "Bench, no endpoint")
        .await
        .map_err(|e| e.to_string())?
        .id;
    let without_endpoint = CoreRound {
        store: store.clone(),
        tenant: quiet,
        app: app(&store, quiet, 10).await?,
        user: one_user(&store, quiet).await?,
    };
    let (without, with) = medians(&without_endpoint, &with_endpoint, rounds).await?;
    let keys = TokenKeys::from_secret(b"seatwise-bench webhooks: a throw-away signing secret");
    let url = api_server(&store, &keys).await?;
    let (api_without, api_with) = medians(
        &ApiRound::new(&without_endpoint, &url, &keys)?,
        &ApiRound::new(&with_endpoint, &url, &keys)?,
        rounds,
    )
    .await?;
    // Both halves' rounds, warm-up included, queued two events each.
    let queued_by_latency_runs = 2 * (rounds + rounds / 10) * 2;

    // 1. Throughput: one group of `events` members, assigned at once.
    let users = store
        .import_users(
            tenant,
            &actor,
            (0..events)
                .map(|i| NewUser {
                    display_name: format!("User {i}"),
                    email: format!("user{i}@bench.example"),
                })
                .collect(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let group = store
        .create_group(
            tenant,
            &actor,
            NewGroup {
                display_name: "Everyone".into(),
                description: String::new(),
                member_ids: users.iter().map(|u| u.id).collect(),
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let big = app(&store, tenant, events as i64).await?;
    store
        .assign_licenses(tenant, &actor, big, &[PrincipalId::Group(group.id)])
        .await
        .map_err(|e| e.to_string())?;
    let total = queued_by_latency_runs + events;
    let settings = WebhookSettings {
        policy: UrlPolicy {
            allow_private: true,
        },
        poll_interval: Duration::from_millis(20),
        ..WebhookSettings::default()
    };
    let worker = WebhookWorker::new(store.clone(), settings)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let task = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    let deadline = started + Duration::from_secs(600);
    while received.load(Ordering::Relaxed) < total {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {total} events delivered in 10 minutes",
                received.load(Ordering::Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivery_secs = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let _ = task.await;
    Ok(Report {
        backend,
        events: total,
        delivery_secs,
        assignments: rounds,
        without_ms: without,
        with_ms: with,
        api_without_ms: api_without,
        api_with_ms: api_with,
    })
}

/// The reports as a Markdown table.
pub fn render(reports: &[Report]) -> String {
    let mut out = String::from(
        "| backend | events delivered | seconds | events/s | assign+unassign p50, no endpoint | with an endpoint | added (interleaved) | through the API: no endpoint | with an endpoint | added |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in reports {
        let rate = r.events as f64 / r.delivery_secs.max(f64::EPSILON);
        let added = |without: f64, with: f64| (with - without) / without.max(f64::EPSILON) * 100.0;
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.0} | {:.3} ms | {:.3} ms | {:+.1} % ({} rounds) | {:.3} ms | {:.3} ms | {:+.1} % |\n",
            r.backend,
            r.events,
            r.delivery_secs,
            rate,
            r.without_ms,
            r.with_ms,
            added(r.without_ms, r.with_ms),
            r.assignments,
            r.api_without_ms,
            r.api_with_ms,
            added(r.api_without_ms, r.api_with_ms),
        ));
    }
    out
}
