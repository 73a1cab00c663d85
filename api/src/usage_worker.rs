//! The usage worker: asks every app's vendor adapter that announces
//! `usage_reports` when its users were last active, once per
//! `SEATWISE_USAGE_POLL_INTERVAL` (default 1 hour) per app, and records
//! the answers through the core (`Store::record_usage`, source `ADAPTER`).
//!
//! Each replica runs one. Apps are shared out under leases
//! (`Store::claim_due_usage_polls`), so two replicas never poll one app at
//! once and a replica that dies loses its apps when the lease ends.
//!
//! Faults stay with their app: every poll runs on its own task, each
//! adapter call is bounded by the host (timeout, quarantine, output size
//! and record count), and a failure — any error, a timeout, malformed
//! output — is logged with the adapter and app, counted in
//! `seatwise_usage_polls_total{outcome="failed"}`, and tried again one interval
//! later with the same `since`. Like the seat-change worker, it calls its
//! adapters itself (it owns their schedule), not through `vendor_effects`.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use seatwise_adapter_host::{CallContext, PluginRegistry, UsageReportRequest};
use seatwise_core::model::Actor;
use seatwise_core::usage::{
    ActivitySource, DueUsagePoll, MAX_USAGE_POLL_CLAIM, UsageRecord, UsageUser,
};
use seatwise_core::{CoreError, Store};
use tokio::task::JoinSet;

use crate::plugins::DEFAULT_WORKER_LEASE;

/// The default time between two polls of one app.
pub const DEFAULT_USAGE_POLL_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// The longest the worker sleeps between two looks for due apps, so a
/// long interval still starts new apps' polls soon.
const MAX_CHECK_EVERY: Duration = Duration::from_secs(30);

/// How often the usage worker polls (`SEATWISE_USAGE_POLL_INTERVAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsagePollSettings {
    /// Time between two polls of one app.
    pub interval: Duration,
    /// How long a claim of an app lasts (the seat-change worker's lease,
    /// which the start-up check keeps above the adapter call timeout).
    pub lease: Duration,
}

impl Default for UsagePollSettings {
    fn default() -> Self {
        Self {
            interval: DEFAULT_USAGE_POLL_INTERVAL,
            lease: DEFAULT_WORKER_LEASE,
        }
    }
}

/// Polls per adapter and outcome, for `/metrics`.
#[derive(Debug, Default)]
pub struct UsagePollCounts(Mutex<BTreeMap<(String, &'static str), u64>>);

impl UsagePollCounts {
    fn count(&self, adapter: &str, outcome: &'static str) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry((adapter.to_owned(), outcome)).or_default() += 1;
    }

    /// `((adapter, outcome), polls)` so far; outcome `ok` or `failed`.
    pub fn snapshot(&self) -> Vec<((String, &'static str), u64)> {
        let counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        counts.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// See the module documentation.
#[derive(Clone)]
pub struct UsageWorker {
    store: Store,
    plugins: Arc<PluginRegistry>,
    owner: String,
    settings: UsagePollSettings,
    counts: Arc<UsagePollCounts>,
}

impl UsageWorker {
    /// A worker with a unique owner name over `plugins`, counting its
    /// polls into `counts`.
    pub fn new(
        store: Store,
        plugins: Arc<PluginRegistry>,
        settings: UsagePollSettings,
        counts: Arc<UsagePollCounts>,
    ) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "seatwise".to_owned());
        Self {
            store,
            plugins,
            owner: format!(
                "usage/{host}/{}/{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
            settings,
            counts,
        }
    }

    /// Poll until `stop` completes, then wait for the polls in flight
    /// (each bounded by the adapter call timeout).
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let capable: Vec<String> = self
            .plugins
            .adapters()
            .filter(|adapter| adapter.info().capabilities.usage_reports)
            .map(|adapter| adapter.key().to_owned())
            .collect();
        if capable.is_empty() {
            // Nothing to poll: cost the database nothing.
            return stop.await;
        }
        let check_every = self.settings.interval.min(MAX_CHECK_EVERY);
        let mut in_flight = JoinSet::new();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(check_every) => {}
            }
            while in_flight.try_join_next().is_some() {}
            let due = self
                .store
                .claim_due_usage_polls(
                    &self.owner,
                    self.settings.lease,
                    &capable,
                    MAX_USAGE_POLL_CLAIM,
                )
                .await;
            match due {
                Ok(due) => {
                    for poll in due {
                        let worker = self.clone();
                        in_flight.spawn(async move { worker.poll(poll).await });
                    }
                }
                Err(error) => tracing::warn!(%error, "claiming due usage polls failed"),
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    /// Ask one app's adapter, record the answer, and schedule the next poll.
    async fn poll(&self, poll: DueUsagePoll) {
        let started = self.store.clock().now();
        let outcome = self.report(&poll).await;
        let succeeded_from = match &outcome {
            Ok((applied, rejected)) => {
                tracing::info!(
                    adapter = poll.adapter_key,
                    tenant = %poll.tenant,
                    app = %poll.app,
                    applied,
                    rejected,
                    "usage report recorded"
                );
                self.counts.count(&poll.adapter_key, "ok");
                Some(started)
            }
            Err(error) => {
                tracing::warn!(
                    adapter = poll.adapter_key,
                    tenant = %poll.tenant,
                    app = %poll.app,
                    "usage poll failed, trying again in one interval: {error}"
                );
                self.counts.count(&poll.adapter_key, "failed");
                None
            }
        };
        if let Err(error) = self
            .store
            .finish_usage_poll(
                poll.tenant,
                poll.app,
                &self.owner,
                self.settings.interval,
                succeeded_from,
            )
            .await
        {
            tracing::warn!(%error, app = %poll.app, "recording a usage poll failed");
        }
    }

    /// The adapter's report, recorded: records applied and rejected.
    async fn report(&self, poll: &DueUsagePoll) -> Result<(usize, usize), String> {
        let adapter = self
            .plugins
            .adapter(&poll.adapter_key)
            .map_err(|e| e.to_string())?;
        let ctx = CallContext {
            tenant_id: poll.tenant.to_string(),
            app_id: poll.app.to_string(),
            settings: poll.adapter_settings.clone(),
        };
        let request = UsageReportRequest {
            since: poll
                .since
                .and_then(|since| u64::try_from(since.timestamp()).ok()),
        };
        let report = adapter
            .report_usage(&ctx, &request)
            .await
            .map_err(|e| e.to_string())?;
        // A time no date can hold is skipped like an unknown user.
        let mut unreadable = 0;
        let records: Vec<UsageRecord> = report
            .records
            .into_iter()
            .filter_map(|record| {
                let at = i64::try_from(record.last_active_at)
                    .ok()
                    .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0));
                if at.is_none() {
                    unreadable += 1;
                }
                Some(UsageRecord {
                    user: UsageUser::Email(record.user_email),
                    last_active_at: at?,
                })
            })
            .collect();
        let recorded = self
            .store
            .record_usage(
                poll.tenant,
                &Actor::system(),
                poll.app,
                &records,
                ActivitySource::Adapter,
            )
            .await
            .map_err(|e: CoreError| e.to_string())?;
        Ok((recorded.applied, recorded.rejected.len() + unreadable))
    }
}
