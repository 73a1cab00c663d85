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

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use seatwise_adapter_host::{
    AdapterHandle, CallContext, CallError, PluginRegistry, SeatChangeMode, SeatChangeOutcome,
    SeatChangeRequest, VendorContact,
};
use seatwise_core::model::App;
use seatwise_core::seat_changes::{SeatChangeOperation, VendorContactDetails};
use seatwise_core::{CoreError, CoreResult, Store};

use crate::assignment_notices::AssignmentChanges;

/// Polling for pending changes starts at this interval…
const MIN_POLL_DELAY: Duration = Duration::from_secs(1);
/// …and never waits longer than this.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// First wait after a retryable failure; doubles with every failure.
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Claims due seat-change operations and carries them forward through the
/// vendor adapters. Build with [`SeatChangeWorker::new`], start with
/// [`SeatChangeWorker::run`].
pub struct SeatChangeWorker {
    store: Store,
    registry: Arc<PluginRegistry>,
    owner: String,
    poll_interval: Duration,
    lease: Duration,
    batch_size: usize,
}

impl SeatChangeWorker {
    /// A worker with a unique owner name, polling every second, claiming up
    /// to 10 operations at a time with a 5-minute lease.
    ///
    /// The lease must outlast the longest adapter call (the host's call
    /// timeout, 30 s by default): a claim whose lease ran out may be taken
    /// over by another replica, which would call the vendor again (vendors
    /// deduplicate by operation id, and only one answer is ever recorded).
    pub fn new(store: Store, registry: Arc<PluginRegistry>) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "seatwise".to_owned());
        Self {
            store,
            registry,
            owner: format!(
                "{host}/{}/{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(300),
            batch_size: 10,
        }
    }

    /// Use `owner` as this worker's lease name; it must be unique among
    /// running workers.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
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

    /// How many operations one tick claims (and works on concurrently).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// This worker's lease name.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Tick until `shutdown` completes. A tick in flight is finished first
    /// (at most one adapter call timeout), so every vendor answer received
    /// is recorded; operations not reached stay due for the next start or
    /// another replica.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tracing::info!(owner = %self.owner, "seat-change worker started");
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let handled = self.tick().await;
            if shutdown.as_mut().now_or_never().is_some() {
                break;
            }
            if handled == 0 {
                tokio::select! {
                    () = shutdown.as_mut() => break,
                    () = tokio::time::sleep(self.poll_interval) => {}
                }
            }
        }
        tracing::info!(owner = %self.owner, "seat-change worker stopped");
    }

    /// Claim due operations and carry each one step forward, concurrently.
    /// Returns how many were claimed. Errors are logged, never returned: an
    /// operation whose outcome could not be recorded becomes due again when
    /// its lease ends.
    pub async fn tick(&self) -> usize {
        let claimed = match self
            .store
            .claim_due_seat_changes(&self.owner, self.lease, self.batch_size)
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(owner = %self.owner, %error, "claiming seat changes failed");
                return 0;
            }
        };
        let count = claimed.len();
        futures::future::join_all(claimed.into_iter().map(|op| async move {
            let id = op.id;
            if let Err(error) = self.advance(op).await {
                tracing::warn!(operation = %id, %error, "recording a seat-change outcome failed; retried after the lease");
            }
        }))
        .await;
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
        let adapter = self.registry.get(key).ok_or_else(|| {
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
                    let mut changes = AssignmentChanges::new();
                    changes.add(op.app_id, &done.resolved, &[]);
                    changes.send(&self.store, &self.registry, op.tenant_id);
                    tracing::info!(
                        operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, quantity,
                        status = done.operation.status.as_str(), waiting_resolved = done.resolved.len(),
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
                attempts = after.attempts, status = after.status.as_str(), retry_in = ?delay,
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
