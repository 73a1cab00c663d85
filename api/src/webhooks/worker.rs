//! The delivery worker: carries the outbox to the endpoints.
//!
//! Each replica runs one. Each claim first turns the events committed
//! since the last one into deliveries (the outbox holds events only; see
//! `seatwise_core::events`' `fan_out.rs`), then leases endpoints whose next
//! event is due (`Store::claim_webhook_endpoints`: `FOR UPDATE SKIP LOCKED`
//! on PostgreSQL, so replicas share the endpoints), and for each, on its own
//! task, sends the endpoint's queue in event order over one keep-alive
//! connection:
//!
//! - a 2xx answer delivers the event, and the next one is sent;
//! - anything else (an error status, a timeout, a refused address) counts
//!   a failed attempt: the event is due again after the [`RetryPolicy`]'s
//!   backoff and the endpoint waits for it (events are never sent out of
//!   order), or, once retries have gone on for `give_up_after`, it is
//!   `FAILED` and the queue moves on.
//!
//! Idle, it sleeps for the poll interval, or until a transaction that
//! wrote events commits (`Store::outbox_wake`): in this process, or, on
//! PostgreSQL, in any replica (the commit's `NOTIFY`, heard through
//! `Store::listen_for_outbox_commits`). While the listening connection is
//! down the poll interval is the fallback.
//!
//! Outcomes are recorded in batches, which also renew the lease; the last
//! batch of a pass gives the endpoint back in the same transaction. An
//! event sent whose outcome was not recorded yet (the process died) is
//! sent again once the dead worker's lease runs out: delivery is at least
//! once, and receivers deduplicate by `webhook-id`.
//!
//! [`RetryPolicy`]: super::RetryPolicy

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use seatwise_core::Store;
use seatwise_core::events::{AfterRecording, AttemptOutcome, ClaimedEndpoint, QueuedDelivery};
use standardwebhooks::Webhook;
use tokio::task::JoinSet;

use super::WebhookSettings;
use super::url_policy::GuardedResolver;

/// Endpoints delivered to at once.
const MAX_ENDPOINTS_IN_FLIGHT: usize = 32;
/// Queue entries read per round trip.
const QUEUE_BATCH: i64 = 200;
/// Outcomes recorded per write.
const RECORD_BATCH: usize = 100;
/// How long an endpoint is leased; renewed by every recorded batch, and
/// well above one request's timeout.
const MIN_LEASE: Duration = Duration::from_secs(60);
/// Bytes of a response read (then dropped) so the connection can be reused.
const MAX_RESPONSE_BYTES: usize = 4 * 1024;
/// Longest error text kept.
const MAX_ERROR_CHARS: usize = 300;

/// Delivers the outbox. Build with [`WebhookWorker::new`], run with
/// [`WebhookWorker::run`].
#[derive(Clone)]
pub struct WebhookWorker {
    store: Store,
    settings: WebhookSettings,
    client: reqwest::Client,
    owner: String,
    lease: Duration,
}

impl WebhookWorker {
    /// A worker over `store` with `settings`, with a unique owner name.
    pub fn new(store: Store, settings: WebhookSettings) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: settings.policy,
            }))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout)
            .user_agent(concat!("Seatwise-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "seatwise".to_owned());
        Ok(Self {
            store,
            lease: MIN_LEASE.max(settings.request_timeout * 4),
            settings,
            client,
            owner: format!(
                "webhooks/{host}/{}/{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
        })
    }

    /// Deliver until `stop` completes; endpoints in flight then finish the
    /// batch they are sending.
    pub async fn run(self, stop: impl Future<Output = ()> + Send + 'static) {
        let stopping = Arc::new(AtomicBool::new(false));
        let mut stop = Box::pin(stop);
        // Other replicas' events wake this worker too (PostgreSQL).
        self.store.listen_for_outbox_commits();
        let mut in_flight: JoinSet<()> = JoinSet::new();
        loop {
            let free = MAX_ENDPOINTS_IN_FLIGHT.saturating_sub(in_flight.len());
            let mut claimed_any = false;
            if free > 0 {
                match self
                    .store
                    .claim_webhook_endpoints(&self.owner, self.lease, free)
                    .await
                {
                    Ok(claimed) => {
                        for endpoint in claimed {
                            claimed_any = true;
                            let worker = self.clone();
                            let stopping = stopping.clone();
                            in_flight
                                .spawn(async move { worker.deliver(endpoint, &stopping).await });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot claim webhook endpoints"),
                }
            }
            if claimed_any {
                continue;
            }
            // Woken early when any replica commits an event (this process's
            // own commits only on SQLite), so delivery does not wait for
            // the poll.
            tokio::select! {
                () = &mut stop => break,
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                () = self.store.outbox_wake().notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        stopping.store(true, Ordering::Relaxed);
        while in_flight.join_next().await.is_some() {}
    }

    /// Send one endpoint's due queue, in order, until it is empty, its
    /// head must wait, the worker stops, or the lease is lost.
    async fn deliver(&self, endpoint: ClaimedEndpoint, stopping: &AtomicBool) {
        let signer = match Webhook::new(endpoint.secret.expose()) {
            Ok(signer) => signer,
            Err(error) => {
                tracing::error!(endpoint = %endpoint.id, %error, "unusable webhook secret");
                self.release(&endpoint).await;
                return;
            }
        };
        loop {
            if stopping.load(Ordering::Relaxed) {
                break;
            }
            let queue = match self
                .store
                .webhook_queue(endpoint.tenant, endpoint.id, QUEUE_BATCH)
                .await
            {
                Ok(queue) => queue,
                Err(error) => {
                    tracing::warn!(endpoint = %endpoint.id, %error, "cannot read the webhook queue");
                    break;
                }
            };
            if queue.is_empty() {
                break;
            }
            // Checked per batch as well as by the resolver at connect time.
            let refusal = self.settings.policy.check(&endpoint.url).await.err();
            let mut outcomes = Vec::new();
            let mut blocked = false;
            let mut flushed = Instant::now();
            for delivery in &queue {
                if delivery.next_attempt_at > Utc::now() {
                    blocked = true;
                    break;
                }
                let outcome = match &refusal {
                    Some(why) => self.failed(delivery, None, format!("the URL is refused: {why}")),
                    None => self.send(&endpoint, &signer, delivery).await,
                };
                let retrying = matches!(outcome, AttemptOutcome::Retry { .. });
                outcomes.push((delivery.id, outcome));
                if retrying {
                    blocked = true;
                    break;
                }
                if outcomes.len() >= RECORD_BATCH || flushed.elapsed() > self.lease / 4 {
                    let renew = AfterRecording::Renew(self.lease);
                    if !self.record(&endpoint, &mut outcomes, renew).await {
                        return;
                    }
                    flushed = Instant::now();
                }
            }
            // The last outcomes of a pass give the endpoint back in their
            // own transaction: a crash right after them must not leave it
            // leased until the lease runs out.
            let done = blocked || (queue.len() as i64) < QUEUE_BATCH;
            let then = if done {
                AfterRecording::Release
            } else {
                AfterRecording::Renew(self.lease)
            };
            if !self.record(&endpoint, &mut outcomes, then).await || done {
                return;
            }
        }
        self.release(&endpoint).await;
    }

    /// Record and clear `outcomes`, then keep or give back the endpoint as
    /// `then` says; false when the lease was lost (or the write failed), so
    /// the caller stops.
    async fn record(
        &self,
        endpoint: &ClaimedEndpoint,
        outcomes: &mut Vec<(seatwise_core::ids::WebhookDeliveryId, AttemptOutcome)>,
        then: AfterRecording,
    ) -> bool {
        if outcomes.is_empty() {
            if then == AfterRecording::Release {
                self.release(endpoint).await;
            }
            return true;
        }
        let recorded = self
            .store
            .record_webhook_attempts(endpoint.tenant, endpoint.id, &self.owner, then, outcomes)
            .await;
        outcomes.clear();
        match recorded {
            Ok(true) => true,
            Ok(false) => {
                tracing::warn!(endpoint = %endpoint.id, "lost the lease on a webhook endpoint");
                false
            }
            Err(error) => {
                tracing::warn!(endpoint = %endpoint.id, %error, "cannot record webhook attempts");
                false
            }
        }
    }

    async fn release(&self, endpoint: &ClaimedEndpoint) {
        if let Err(error) = self
            .store
            .release_webhook_endpoint(endpoint.tenant, endpoint.id, &self.owner)
            .await
        {
            tracing::warn!(endpoint = %endpoint.id, %error, "cannot release a webhook endpoint");
        }
    }

    /// POST one event, signed; what it came to.
    async fn send(
        &self,
        endpoint: &ClaimedEndpoint,
        signer: &Webhook,
        delivery: &QueuedDelivery,
    ) -> AttemptOutcome {
        let id = delivery.event_id.to_string();
        let timestamp = Utc::now().timestamp();
        let signature = match signer.sign(&id, timestamp, delivery.payload.as_bytes()) {
            Ok(signature) => signature,
            Err(error) => return self.failed(delivery, None, format!("cannot sign: {error}")),
        };
        let sent = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, &id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            Ok(mut response) => {
                let status = response.status();
                // Read a little of the body so the connection can be
                // reused; never more.
                let mut read = 0;
                while read < MAX_RESPONSE_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                let code = i32::from(status.as_u16());
                if status.is_success() {
                    AttemptOutcome::Delivered { status_code: code }
                } else {
                    self.failed(
                        delivery,
                        Some(code),
                        format!("the endpoint answered {status}"),
                    )
                }
            }
            Err(error) => {
                let error = without_url(&error);
                self.failed(delivery, None, error)
            }
        }
    }

    /// A failed attempt: retry after the backoff, or give up.
    fn failed(
        &self,
        delivery: &QueuedDelivery,
        status_code: Option<i32>,
        error: String,
    ) -> AttemptOutcome {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let attempts = u32::try_from(delivery.attempts)
            .unwrap_or(0)
            .saturating_add(1);
        match self.settings.retry.after_failures(attempts) {
            Some(delay) => AttemptOutcome::Retry {
                status_code,
                error,
                at: Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX),
            },
            None => AttemptOutcome::GaveUp { status_code, error },
        }
    }
}

/// A request error's text without the URL (admins see it in the delivery
/// log; the URL is on the endpoint already, and may carry a token).
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "redirected (redirects are not followed)"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(inner) = source {
        detail = inner.to_string();
        source = inner.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}
