//! The load generator: a closed loop of N clients, each sending its next
//! request as soon as the previous one answered, for a fixed time.
//!
//! A closed loop measures the server's capacity at a given concurrency
//! (what 32 busy admin consoles would see); latencies go into an HDR
//! histogram so p99 is exact to 3 significant digits.

use std::future::Future;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::Value;

/// An HTTP client for one server, carrying the bearer token.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Http {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: String, token: Option<String>) -> Self {
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("build the HTTP client");
        Self {
            client,
            base,
            token,
        }
    }

    /// The same client and token for another server (a replica).
    pub fn with_base(&self, base: String) -> Self {
        Self {
            client: self.client.clone(),
            base,
            token: self.token.clone(),
        }
    }

    /// POST a GraphQL request; `Ok(data)` only when the status is 200, there
    /// are no `errors` and no non-empty `userErrors` anywhere in the data.
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value, String> {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| format!("send: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("read body: {e}"))?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        let mut json: Value =
            serde_json::from_slice(&body).map_err(|e| format!("bad JSON: {e}"))?;
        if let Some(errors) = json.get("errors").and_then(Value::as_array)
            && !errors.is_empty()
        {
            return Err(format!("GraphQL errors: {}", Value::Array(errors.clone())));
        }
        let data = json.get_mut("data").map(Value::take).unwrap_or(Value::Null);
        if data.is_null() {
            return Err("no data".into());
        }
        if let Some(user_errors) = find_user_errors(&data) {
            return Err(format!("userErrors: {user_errors}"));
        }
        Ok(data)
    }

    /// GET `path`, expecting 200 and a JSON body.
    pub async fn get_json(&self, path: &str) -> Result<Value, String> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("read body: {e}"))?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("bad JSON: {e}"))
    }

    /// GET `path` and return its body as text when the status is 200.
    pub async fn get_text(&self, path: &str) -> Result<String, String> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| format!("send: {e}"))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(format!("HTTP {}", response.status()));
        }
        response.text().await.map_err(|e| format!("read body: {e}"))
    }
}

/// The first non-empty `userErrors` list in a mutation's data, if any.
fn find_user_errors(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, v)| match v {
            Value::Array(a) if key == "userErrors" && !a.is_empty() => Some(v),
            _ => find_user_errors(v),
        }),
        Value::Array(items) => items.iter().find_map(find_user_errors),
        _ => None,
    }
}

/// One timed request.
#[derive(Debug)]
pub struct Sample {
    /// Time from sending to the whole body being read and checked.
    pub latency: Duration,
    /// Why it counts as an error, if it does.
    pub error: Option<String>,
}

/// Time one request.
pub async fn timed<T>(request: impl Future<Output = Result<T, String>>) -> (Sample, Option<T>) {
    let started = Instant::now();
    let result = request.await;
    let latency = started.elapsed();
    match result {
        Ok(value) => (
            Sample {
                latency,
                error: None,
            },
            Some(value),
        ),
        Err(error) => (
            Sample {
                latency,
                error: Some(error),
            },
            None,
        ),
    }
}

/// What one load run measured.
pub struct LoadReport {
    /// Requests answered (errors included).
    pub requests: u64,
    /// Requests that failed.
    pub errors: u64,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Latencies in microseconds.
    pub histogram: Histogram<u64>,
    /// A few error messages, to say what went wrong.
    pub error_examples: Vec<String>,
}

impl LoadReport {
    fn empty() -> Self {
        Self {
            requests: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            histogram: new_histogram(),
            error_examples: Vec::new(),
        }
    }

    fn record(&mut self, sample: Sample) {
        self.requests += 1;
        // Saturate rather than fail: a latency beyond the bound is still a
        // (very bad) latency.
        let micros = (sample.latency.as_micros() as u64).clamp(1, MAX_MICROS);
        self.histogram.saturating_record(micros);
        if let Some(error) = sample.error {
            self.errors += 1;
            if self.error_examples.len() < 3 {
                self.error_examples.push(error);
            }
        }
    }

    fn merge(&mut self, other: LoadReport) {
        self.requests += other.requests;
        self.errors += other.errors;
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
        for e in other.error_examples {
            if self.error_examples.len() < 3 {
                self.error_examples.push(e);
            }
        }
    }

    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A latency quantile in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1_000.0
    }
}

const MAX_MICROS: u64 = 120_000_000;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

/// Run `clients` closed-loop clients for `duration`. `step(client, n)` does
/// one iteration (one or more requests) and returns its samples; a client
/// starts no new iteration after the deadline.
pub async fn closed_loop<F, Fut>(clients: usize, duration: Duration, step: F) -> LoadReport
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Vec<Sample>> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let step = step.clone();
        tasks.spawn(async move {
            let mut report = LoadReport::empty();
            let mut n = 0;
            while Instant::now() < deadline {
                for sample in step(client, n).await {
                    report.record(sample);
                }
                n += 1;
            }
            report
        });
    }
    let mut total = LoadReport::empty();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(report) => total.merge(report),
            Err(e) => {
                total.errors += 1;
                total
                    .error_examples
                    .push(format!("client task failed: {e}"));
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Do `items` pieces of work with `clients` concurrent clients, each taking
/// the next item as soon as its previous one is answered (a closed loop
/// over a fixed amount of work rather than a fixed time). `step(item)`
/// does one request.
pub async fn work_queue<F, Fut>(clients: usize, items: usize, step: F) -> LoadReport
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Sample> + Send + 'static,
{
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let step = step.clone();
        let next = next.clone();
        tasks.spawn(async move {
            let mut report = LoadReport::empty();
            loop {
                let item = next.fetch_add(1, Ordering::Relaxed);
                if item >= items {
                    break;
                }
                report.record(step(item).await);
            }
            report
        });
    }
    let mut total = LoadReport::empty();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(report) => total.merge(report),
            Err(e) => {
                total.errors += 1;
                total
                    .error_examples
                    .push(format!("client task failed: {e}"));
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}
