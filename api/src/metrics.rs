//! Prometheus metrics, served as text at `/metrics`.
//!
//! Request counts and latencies are recorded by a middleware
//! ([`record_request`]); GraphQL errors by the GraphQL handler; database
//! pool and statement figures are read from the store at scrape time, and
//! so are the adapters' health (abandoned calls, quarantine) and the
//! assignment notices dropped because an adapter's queue was full.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};
use seatwise_core::Store;

use crate::plugin_status::{ABANDONED_METRIC, QUARANTINED_METRIC};
use crate::server::AppState;
use crate::usage_worker::UsagePollCounts;
use crate::vendor_effects::VendorEffects;

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    graphql_errors: IntCounterVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    statements: IntCounter,
    adapter_quarantined: IntGaugeVec,
    adapter_abandoned: IntGaugeVec,
    adapter_running: IntGaugeVec,
    notices_dropped: IntCounterVec,
    /// Usage polls by adapter and outcome.
    usage_polls: IntCounterVec,
}

impl Metrics {
    /// Register every metric in a new registry.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("seatwise".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status.",
            ),
            &["path", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route.",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["path"],
        )?;
        let graphql_errors = IntCounterVec::new(
            Opts::new(
                "graphql_errors_total",
                "GraphQL errors returned, by extensions.code.",
            ),
            &["code"],
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections by state (open, idle).",
            ),
            &["state"],
        )?;
        let pool_max = IntGauge::new("db_pool_max_connections", "Largest database pool size.")?;
        let statements = IntCounter::new(
            "db_statements_total",
            "SQL statements sent to the database.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(graphql_errors.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        // The registry adds the `seatwise_` prefix back; `plugin_status`
        // reads these by their full names.
        let adapter_quarantined = IntGaugeVec::new(
            Opts::new(
                QUARANTINED_METRIC.trim_start_matches("seatwise_"),
                "1 while the adapter is quarantined: too many timed-out calls are still running \
                 inside it, so its calls fail at once.",
            ),
            &["adapter"],
        )?;
        let adapter_abandoned = IntGaugeVec::new(
            Opts::new(
                ABANDONED_METRIC.trim_start_matches("seatwise_"),
                "Adapter calls that timed out and are still running inside the plugin.",
            ),
            &["adapter"],
        )?;
        let adapter_running = IntGaugeVec::new(
            Opts::new(
                "adapter_calls_running",
                "Adapter calls running inside the plugin now, timed-out ones included.",
            ),
            &["adapter"],
        )?;
        let notices_dropped = IntCounterVec::new(
            Opts::new(
                "assignment_notices_dropped_total",
                "Assignment notices dropped because the adapter's queue was full.",
            ),
            &["adapter"],
        )?;
        registry.register(Box::new(statements.clone()))?;
        registry.register(Box::new(adapter_quarantined.clone()))?;
        registry.register(Box::new(adapter_abandoned.clone()))?;
        registry.register(Box::new(adapter_running.clone()))?;
        registry.register(Box::new(notices_dropped.clone()))?;
        let usage_polls = IntCounterVec::new(
            Opts::new(
                "usage_polls_total",
                "Usage polls of vendor adapters, by adapter and outcome (ok, failed).",
            ),
            &["adapter", "outcome"],
        )?;
        registry.register(Box::new(usage_polls.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            graphql_errors,
            pool_connections,
            pool_max,
            statements,
            adapter_quarantined,
            adapter_abandoned,
            adapter_running,
            notices_dropped,
            usage_polls,
        })
    }

    /// Count the errors of a GraphQL response by code.
    pub fn record_graphql_errors(&self, response: &async_graphql::Response) {
        for error in &response.errors {
            let code = error
                .extensions
                .as_ref()
                .and_then(|ext| ext.get("code"))
                .and_then(|value| match value {
                    async_graphql::Value::String(s) => Some(s.as_str()),
                    async_graphql::Value::Enum(e) => Some(e.as_str()),
                    _ => None,
                })
                .unwrap_or("NONE");
            self.graphql_errors.with_label_values(&[code]).inc();
        }
    }

    /// The metrics as Prometheus text, with the store's, the adapters' and
    /// the notice queues' figures refreshed.
    pub fn render(
        &self,
        store: &Store,
        vendor_effects: &VendorEffects,
        usage_polls: &UsagePollCounts,
    ) -> String {
        for ((adapter, outcome), total) in usage_polls.snapshot() {
            let counter = self
                .usage_polls
                .with_label_values(&[adapter.as_str(), outcome]);
            if total > counter.get() {
                counter.inc_by(total - counter.get());
            }
        }
        for adapter in vendor_effects.plugins().adapters() {
            let health = adapter.health();
            self.adapter_quarantined
                .with_label_values(&[adapter.key()])
                .set(i64::from(health.quarantined));
            self.adapter_abandoned
                .with_label_values(&[adapter.key()])
                .set(to_i64(health.abandoned_calls));
            self.adapter_running
                .with_label_values(&[adapter.key()])
                .set(to_i64(health.running_calls));
        }
        for (queue, total) in vendor_effects.dropped_notices() {
            let counter = self.notices_dropped.with_label_values(&[queue.as_str()]);
            if total > counter.get() {
                counter.inc_by(total - counter.get());
            }
        }
        let pool = store.pool_status();
        self.pool_connections
            .with_label_values(&["open"])
            .set(to_i64(pool.size));
        self.pool_connections
            .with_label_values(&["idle"])
            .set(to_i64(pool.available));
        self.pool_max.set(to_i64(pool.max_size));
        // The store counts statements itself; bring the counter up to it.
        let total = store.statements().get();
        let seen = self.statements.get();
        if total > seen {
            self.statements.inc_by(total - seen);
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "encoding metrics failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The `method` label of a request: the standard methods by name, and
/// every other (extension) method as `OTHER`. A client can send any token
/// as a method, so naming it would let clients create label series without
/// bound.
pub fn method_label(method: &Method) -> &'static str {
    // Method names are case-sensitive: `get` is an extension method.
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "PATCH" => "PATCH",
        "TRACE" => "TRACE",
        _ => "OTHER",
    }
}

/// Middleware: count each request and time it, labelled by its route
/// pattern (not the raw path, which would let clients create labels).
pub async fn record_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .with_label_values(&[path.as_str()])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[path.as_str(), method, response.status().as_str()])
        .inc();
    response
}
