//! A webhook receiver for the tests: a small axum server on a free local
//! port that records every request (headers and body, as sent), answers
//! with a status the test chooses, and verifies Standard Webhooks
//! signatures with the `standardwebhooks` crate, as a real receiver would.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body, as sent.
    pub body: Bytes,
    /// The status the receiver answered with.
    pub answered: u16,
    /// When it arrived.
    pub at: Instant,
}

impl Received {
    /// The `webhook-id` header.
    pub fn id(&self) -> &str {
        self.headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    /// The body's `type`.
    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    /// Whether the signature verifies with `secret` (and the timestamp is
    /// recent), as `standardwebhooks::Webhook::verify` checks it.
    pub fn verifies_with(&self, secret: &str) -> bool {
        let Ok(webhook) = standardwebhooks::Webhook::new(secret) else {
            return false;
        };
        webhook.verify(&self.body, &self.headers).is_ok()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Statuses to answer with, in order; 200 once empty (or `always`).
    script: VecDeque<u16>,
    always: Option<u16>,
}

/// The receiver. Dropping it stops the server.
pub struct Receiver {
    /// Where it listens: `http://127.0.0.1:PORT/hook`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut inner = inner.lock().expect("receiver state");
    let answered = match inner.always {
        Some(status) => status,
        None => inner.script.pop_front().unwrap_or(200),
    };
    inner.received.push(Received {
        headers,
        body,
        answered,
        at: Instant::now(),
    });
    StatusCode::from_u16(answered).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl Receiver {
    /// Start one on a free local port.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind the receiver");
        let port = listener.local_addr().expect("its address").port();
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            inner,
            task,
        }
    }

    /// Answer the next requests with these statuses, then 200 again.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.inner.lock().expect("receiver state").script = statuses.iter().copied().collect();
    }

    /// Answer every request with `status` (`None`: back to 200).
    pub fn answer_always(&self, status: Option<u16>) {
        self.inner.lock().expect("receiver state").always = status;
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("receiver state").received.clone()
    }

    /// The requests answered 2xx so far, in arrival order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Wait until `count` requests were accepted (failing the test after
    /// `within`), and return them.
    pub async fn wait_for_accepted(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let accepted = self.accepted();
            if accepted.len() >= count {
                return accepted;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver accepted {} of {count} events within {within:?}: {:?}",
                accepted.len(),
                self.received()
                    .iter()
                    .map(|r| (r.event_type(), r.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
