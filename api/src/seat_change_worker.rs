//! The seat-change worker: carries recorded seat-change operations forward.
//!
//! Each replica runs one. Every tick it claims due operations from the
//! store (leases keep two replicas off the same operation), asks the app's
//! vendor adapter, and records the answer:
//!
//! | vendor answer                     | operation becomes                           |
//! |-----------------------------------|---------------------------------------------|
//! | completed with N seats            | `SUCCEEDED`, purchased seats set to N       |
//! | pending with a reference          | `IN_PROGRESS`, polled again with backoff    |
//! | rejected                          | `REJECTED` with the vendor's reason         |
//! | contact the vendor                | `CONTACT_VENDOR` with the vendor's details  |
//! | retryable failure (timeout, …)    | retried with backoff, `FAILED` after a few  |
//! | any other failure                 | `FAILED` with the error's message           |
//!
//! An app without an adapter, whose adapter is not loaded, or whose adapter
//! cannot change seats gets the built-in answer: `CONTACT_VENDOR` with the
//! vendor's support e-mail and website.
//!
//! Operations survive restarts: they live in the database, and a replica
//! that dies mid-call loses its lease, after which any replica resumes them.
//!
//! ## No head-of-line blocking
//!
//! Each claimed operation advances on its own task, and the worker claims
//! more as soon as a task ends, up to [`SeatChangeWorker::with_max_in_flight`]
//! operations at once. So a slow or hung adapter delays only its own
//! operations:
//! - each adapter runs at most `per_adapter_concurrency` seat-change calls
//!   at once (`SEATWISE_PLUGIN_CONCURRENCY`); an operation claimed while its
//!   adapter is at that limit is released at once, due again shortly, with
//!   no attempt counted, so a saturated adapter holds at most that many of
//!   the worker's slots and never the claim batch;
//! - apps without an adapter get their built-in answer straight away;
//! - a call that times out keeps running inside the plugin: the host counts
//!   those abandoned threads and quarantines the adapter past a bound (see
//!   `HostConfig::max_abandoned_calls`), so threads stay bounded too.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::FutureExt as _;
use seatwise_adapter_host::{
    AdapterHandle, CallContext, CallError, PluginRegistry, SeatChangeMode, SeatChangeOutcome,
    SeatChangeRequest, VendorContact,
};
use seatwise_core::model::App;
use seatwise_core::seat_changes::{SeatChangeOperation, VendorContactDetails};
use seatwise_core::{CoreError, CoreResult, Store, StoredEnum as _};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::plugins::{DEFAULT_CONCURRENCY, DEFAULT_WORKER_LEASE};
use crate::vendor_effects::VendorEffects;

/// Polling for pending changes starts at this interval…
const MIN_POLL_DELAY: Duration = Duration::from_secs(1);
/// …and never waits longer than this.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// First wait after a retryable failure; doubles with every failure.
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);
/// Longest an operation released for a busy adapter waits before it is due
/// again (shorter when the worker polls more often).
const MAX_BUSY_DELAY: Duration = Duration::from_secs(1);
/// Operations in flight at once, by default.
const DEFAULT_MAX_IN_FLIGHT: usize = 32;

/// Claims due seat-change operations and carries them forward through the
/// vendor adapters. Build with [`SeatChangeWorker::new`], start with
/// [`SeatChangeWorker::run`]. Cheap to clone; clones share the adapters'
/// concurrency limits.
#[derive(Clone)]
pub struct SeatChangeWorker {
    store: Store,
    /// The adapters (seat changes are called here) and where the license
    /// changes of a completed seat change go.
    vendor_effects: Arc<VendorEffects>,
    owner: String,
    poll_interval: Duration,
    lease: Duration,
    max_in_flight: usize,
    adapter_slots: Arc<AdapterSlots>,
    /// Operations given back because their adapter was at its limit.
    released: Arc<AtomicUsize>,
}

impl SeatChangeWorker {
    /// A worker with a unique owner name, polling every second, with up to
    /// 32 operations in flight, 4 calls per adapter, and a 5-minute lease.
    ///
    /// The lease must outlast the longest adapter call (the host's call
    /// timeout, 30 s by default; `seatwise serve` refuses to start
    /// otherwise): a claim whose lease ran out may be taken over by another
    /// replica, which would call the vendor again (vendors deduplicate by
    /// operation id, and only one answer is ever recorded).
    ///
    /// Seat changes go to the adapters of `vendor_effects`, and so do the
    /// license changes of a completed one (users who were waiting got a
    /// seat).
    pub fn new(store: Store, vendor_effects: Arc<VendorEffects>) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "seatwise".to_owned());
        let adapter_slots = Arc::new(AdapterSlots::new(
            vendor_effects.plugins(),
            DEFAULT_CONCURRENCY,
        ));
        Self {
            store,
            vendor_effects,
            owner: format!(
                "{host}/{}/{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
            poll_interval: Duration::from_secs(1),
            lease: DEFAULT_WORKER_LEASE,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            adapter_slots,
            released: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How long to sleep when nothing was due.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// How long a claim lasts; see [`SeatChangeWorker::new`].
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How many operations may be in flight at once, all adapters together.
    pub fn with_max_in_flight(mut self, max_in_flight: usize) -> Self {
        self.max_in_flight = max_in_flight.max(1);
        self
    }

    /// How many seat-change calls one adapter may have in flight at once.
    pub fn with_per_adapter_concurrency(mut self, limit: usize) -> Self {
        self.adapter_slots = Arc::new(AdapterSlots::new(self.vendor_effects.plugins(), limit));
        self
    }

    /// This worker's lease name.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Work until `shutdown` completes. Then no more operations are claimed
    /// and those in flight are finished (each within one adapter call
    /// timeout), so every vendor answer received is recorded; operations not
    /// reached stay due for the next start or another replica.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tracing::info!(owner = %self.owner, "seat-change worker started");
        let worker = Arc::new(self);
        let mut in_flight = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let claimed = worker.claim_into(&mut in_flight).await;
            let full = in_flight.len() >= worker.max_in_flight;
            if claimed > 0 && !full {
                // More may be due right now.
                if shutdown.as_mut().now_or_never().is_some() {
                    break;
                }
                continue;
            }
            tokio::select! {
                () = shutdown.as_mut() => break,
                // A slot freed, or the app's next change may be due.
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                () = tokio::time::sleep(worker.poll_interval), if !full => {}
            }
        }
        let finishing = in_flight.len();
        if finishing > 0 {
            tracing::info!(owner = %worker.owner, finishing, "seat-change worker finishing the operations in flight");
        }
        while in_flight.join_next().await.is_some() {}
        tracing::info!(owner = %worker.owner, "seat-change worker stopped");
    }

    /// Carry every due operation forward until nothing is due, nothing is
    /// in flight and nothing was given back for a busy adapter; returns how
    /// many claims were made. For tests and benchmarks that want the
    /// worker's full behaviour without a loop.
    pub async fn drain(&self) -> usize {
        let worker = Arc::new(self.clone());
        let mut in_flight = JoinSet::new();
        let mut steps = 0;
        let mut released = worker.released.load(Ordering::Acquire);
        loop {
            let claimed = worker.claim_into(&mut in_flight).await;
            steps += claimed;
            if claimed > 0 && in_flight.len() < worker.max_in_flight {
                continue;
            }
            if in_flight.join_next().await.is_some() {
                continue;
            }
            let now_released = worker.released.load(Ordering::Acquire);
            if now_released == released {
                return steps;
            }
            // Given back for a busy adapter: due again after the delay.
            released = now_released;
            tokio::time::sleep(worker.busy_delay()).await;
        }
    }

    /// How long an operation given back for a busy adapter waits.
    fn busy_delay(&self) -> Duration {
        self.poll_interval.min(MAX_BUSY_DELAY)
    }

    /// Claims as many due operations as there are free slots and starts a
    /// task for each; returns how many were claimed. A failed claim is
    /// logged: it is tried again at the next wake-up.
    async fn claim_into(self: &Arc<Self>, in_flight: &mut JoinSet<()>) -> usize {
        // Reap finished tasks first so their slots count as free.
        while in_flight.try_join_next().is_some() {}
        let free = self.max_in_flight.saturating_sub(in_flight.len());
        if free == 0 {
            return 0;
        }
        let claimed = match self
            .store
            .claim_due_seat_changes(&self.owner, self.lease, free)
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(owner = %self.owner, %error, "claiming seat changes failed");
                return 0;
            }
        };
        let count = claimed.len();
        for op in claimed {
            let worker = Arc::clone(self);
            in_flight.spawn(async move {
                let id = op.id;
                if let Err(error) = worker.advance(op).await {
                    tracing::warn!(operation = %id, %error, "recording a seat-change outcome failed; retried after the lease");
                }
            });
        }
        count
    }

    /// One step for one claimed operation.
    async fn advance(&self, op: SeatChangeOperation) -> CoreResult<()> {
        let app = match self.store.app(op.tenant_id, op.app_id).await {
            Ok(app) => app,
            Err(CoreError::NotFound { .. }) => {
                return self.failed(&op, "the app no longer exists").await;
            }
            Err(error) => return Err(error),
        };
        let adapter = match self.seat_adapter(&app) {
            Ok(adapter) => adapter,
            Err(why) => return self.contact_vendor(&op, built_in_contact(&app, &why)).await,
        };
        // Held until the answer is recorded; see the module docs.
        let Some(_slot) = self.adapter_slots.try_take(adapter.key()) else {
            let delay = self.busy_delay();
            self.released.fetch_add(1, Ordering::AcqRel);
            tracing::debug!(
                operation = %op.id, adapter = adapter.key(), retry_in = ?delay,
                "adapter at its concurrency limit; operation released"
            );
            return self
                .store
                .release_seat_change(&op, &self.owner, delay)
                .await
                .map(drop);
        };
        let ctx = CallContext {
            tenant_id: op.tenant_id.to_string(),
            app_id: op.app_id.to_string(),
            settings: app.adapter_settings.clone(),
        };
        let answer = match op.vendor_ref.as_deref() {
            Some(vendor_ref) => adapter.poll_seat_change(&ctx, vendor_ref).await,
            None => {
                let (Ok(previous_quantity), Ok(requested_quantity)) = (
                    u32::try_from(app.seats.purchased),
                    u32::try_from(op.requested_quantity),
                ) else {
                    return self
                        .failed(&op, "the seat counts do not fit the adapter protocol")
                        .await;
                };
                let request = SeatChangeRequest {
                    operation_id: op.id.to_string(),
                    previous_quantity,
                    requested_quantity,
                };
                adapter.change_seats(&ctx, &request).await
            }
        };
        match answer {
            Ok(outcome) => self.record(&op, outcome).await,
            Err(error) if error.is_retryable() => self.retry(&op, &error).await,
            Err(error) => self.failed(&op, &error.to_string()).await,
        }
    }

    /// The adapter that changes this app's seats, or why there is none.
    fn seat_adapter(&self, app: &App) -> Result<AdapterHandle, String> {
        let key = app
            .adapter_key
            .as_deref()
            .ok_or("the app has no vendor adapter")?;
        let adapter = self.vendor_effects.plugins().get(key).ok_or_else(|| {
            tracing::warn!(adapter = key, app = %app.id, "seat change for an adapter that is not loaded");
            format!("its adapter `{key}` is not loaded")
        })?;
        match adapter.info().capabilities.seat_changes {
            SeatChangeMode::None => Err(format!("its adapter `{key}` does not change seats")),
            SeatChangeMode::Immediate | SeatChangeMode::Asynchronous => Ok(adapter.clone()),
        }
    }

    async fn record(&self, op: &SeatChangeOperation, outcome: SeatChangeOutcome) -> CoreResult<()> {
        match outcome {
            SeatChangeOutcome::Completed { quantity } => {
                let done = self
                    .store
                    .complete_seat_change(op, &self.owner, i64::from(quantity))
                    .await?;
                if let Some(done) = done {
                    // Users who were waiting got a seat: tell the vendor.
                    self.vendor_effects
                        .license_changes_committed(op.tenant_id, &done.license_changes);
                    tracing::info!(
                        operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, quantity,
                        status = done.operation.status.stored(),
                        waiting_resolved = done.license_changes.gained_count(),
                        "seat change completed by the vendor"
                    );
                }
                Ok(())
            }
            SeatChangeOutcome::Pending {
                vendor_ref,
                message,
            } => {
                let delay = poll_delay(op);
                match self
                    .store
                    .mark_pending(op, &self.owner, &vendor_ref, message.as_deref(), delay)
                    .await
                {
                    Ok(updated) => {
                        if updated.is_some() {
                            tracing::info!(
                                operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, %vendor_ref,
                                next_poll_in = ?delay, "seat change pending at the vendor"
                            );
                        }
                        Ok(())
                    }
                    // The plugin's reference is unusable: polling could never work.
                    Err(CoreError::InvalidInput { message, .. }) => {
                        self.failed(
                            op,
                            &format!(
                                "the adapter returned an unusable vendor reference: it {message}"
                            ),
                        )
                        .await
                    }
                    Err(error) => Err(error),
                }
            }
            SeatChangeOutcome::Rejected { reason } => {
                if self
                    .store
                    .mark_rejected(op, &self.owner, &reason)
                    .await?
                    .is_some()
                {
                    tracing::info!(operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, %reason, "seat change rejected by the vendor");
                }
                Ok(())
            }
            SeatChangeOutcome::ContactVendor { contact } => {
                self.contact_vendor(op, from_sdk(contact)).await
            }
        }
    }

    async fn contact_vendor(
        &self,
        op: &SeatChangeOperation,
        contact: VendorContactDetails,
    ) -> CoreResult<()> {
        if self
            .store
            .mark_contact_vendor(op, &self.owner, &contact)
            .await?
            .is_some()
        {
            tracing::info!(
                operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, email = %contact.email,
                "seat change must be arranged with the vendor"
            );
        }
        Ok(())
    }

    async fn retry(&self, op: &SeatChangeOperation, error: &CallError) -> CoreResult<()> {
        let delay = retry_delay(op.attempts);
        if let Some(after) = self
            .store
            .retry_later(op, &self.owner, &error.to_string(), delay)
            .await?
        {
            tracing::warn!(
                operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, %error,
                attempts = after.attempts, status = after.status.stored(), retry_in = ?delay,
                "seat change attempt failed"
            );
        }
        Ok(())
    }

    async fn failed(&self, op: &SeatChangeOperation, reason: &str) -> CoreResult<()> {
        if self
            .store
            .mark_failed(op, &self.owner, reason)
            .await?
            .is_some()
        {
            tracing::warn!(operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, reason, "seat change failed");
        }
        Ok(())
    }
}

/// Per adapter, the seat-change calls it may still start.
struct AdapterSlots {
    by_key: HashMap<String, Arc<Semaphore>>,
}

impl AdapterSlots {
    fn new(registry: &PluginRegistry, per_adapter: usize) -> Self {
        let per_adapter = per_adapter.max(1);
        Self {
            by_key: registry
                .adapters()
                .map(|adapter| {
                    (
                        adapter.key().to_owned(),
                        Arc::new(Semaphore::new(per_adapter)),
                    )
                })
                .collect(),
        }
    }

    /// A slot of `key`'s adapter, or `None` while it is at its limit.
    fn try_take(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        match self.by_key.get(key) {
            Some(slots) => Arc::clone(slots).try_acquire_owned().ok(),
            // Registered after start: impossible today (the registry is
            // fixed), but never block a call on it.
            None => Arc::new(Semaphore::new(1)).try_acquire_owned().ok(),
        }
    }
}

/// The built-in answer when no adapter can change the app's seats.
fn built_in_contact(app: &App, why: &str) -> VendorContactDetails {
    VendorContactDetails {
        name: app.vendor.name.clone(),
        email: app.vendor.support_email.clone(),
        website: app.vendor.website.clone(),
        phone: None,
        message: format!(
            "Seats of {} cannot be changed through Seatwise ({why}). Contact {} to buy or remove seats.",
            app.name, app.vendor.name
        ),
    }
}

fn from_sdk(contact: VendorContact) -> VendorContactDetails {
    VendorContactDetails {
        name: contact.name,
        email: contact.email,
        website: contact.website,
        phone: contact.phone,
        message: contact.message,
    }
}

/// Poll about half as long as the change has been running (1 s, 1 s,
/// 1.5 s, 2.3 s, … at most a minute): quick for vendors that settle in
/// seconds, few calls for those that take days, and nothing to store.
fn poll_delay(op: &SeatChangeOperation) -> Duration {
    let running = (chrono::Utc::now() - op.created_at)
        .to_std()
        .unwrap_or_default();
    (running / 2).clamp(MIN_POLL_DELAY, MAX_DELAY)
}

/// 1 s, 2 s, 4 s, … at most a minute, by failures so far.
fn retry_delay(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts).unwrap_or(0).min(6);
    (FIRST_RETRY_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_minute() {
        let delays: Vec<u64> = (0..8).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(retry_delay(-1), FIRST_RETRY_DELAY);
    }
}
