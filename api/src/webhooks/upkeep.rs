//! The outbox's upkeep, beside the delivery worker on every replica:
//!
//! - every `subscription_watch_interval` (`SEATWISE_SUBSCRIPTION_WATCH_MS`,
//!   15 min), `Store::announce_subscription_states` writes
//!   `subscription.expiring` / `.expired` / `.disabled` once per
//!   transition (exactly once across replicas: see the core's
//!   `subscriptions/notices.rs`);
//! - every hour, `Store::prune_webhook_outbox` deletes delivered events
//!   older than `retention` (`SEATWISE_WEBHOOK_RETENTION`, 7 days), in
//!   batches, until a batch comes back short.
//!
//! Both run once at start, so a server that was down catches up at once.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use seatwise_core::Store;
use seatwise_core::events::PRUNE_BATCH;

use super::WebhookSettings;

/// How often the outbox is pruned.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// Most batches one prune deletes, so a huge backlog is worked off over
/// several passes instead of one long one.
const MAX_PRUNE_BATCHES: usize = 100;

/// Runs the subscription watcher and the outbox pruning.
pub struct Upkeep {
    store: Store,
    settings: WebhookSettings,
}

impl Upkeep {
    /// Upkeep of `store`'s outbox with `settings`.
    pub fn new(store: Store, settings: WebhookSettings) -> Self {
        Self { store, settings }
    }

    /// Run until `stop` completes.
    pub async fn run(self, stop: impl Future<Output = ()> + Send + 'static) {
        let mut stop = Box::pin(stop);
        let mut watch = tokio::time::interval(self.settings.subscription_watch_interval);
        let mut prune = tokio::time::interval(PRUNE_INTERVAL);
        watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = watch.tick() => self.watch_subscriptions().await,
                _ = prune.tick() => self.prune().await,
            }
        }
    }

    /// Announce subscription states that changed.
    pub async fn watch_subscriptions(&self) {
        match self.store.announce_subscription_states().await {
            Ok(0) => {}
            Ok(events) => tracing::info!(events, "subscription lifecycle events recorded"),
            Err(error) => tracing::warn!(%error, "cannot check subscription states"),
        }
    }

    /// Delete delivered events past the retention.
    pub async fn prune(&self) {
        let retention =
            chrono::Duration::from_std(self.settings.retention).unwrap_or(chrono::Duration::MAX);
        let Some(cutoff) = Utc::now().checked_sub_signed(retention) else {
            return;
        };
        let (mut deliveries, mut events) = (0, 0);
        for _ in 0..MAX_PRUNE_BATCHES {
            match self.store.prune_webhook_outbox(cutoff, PRUNE_BATCH).await {
                Ok(pruned) => {
                    deliveries += pruned.deliveries;
                    events += pruned.events;
                    let full = PRUNE_BATCH as usize;
                    if pruned.deliveries < full && pruned.events < full {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot prune the webhook outbox");
                    break;
                }
            }
        }
        if deliveries + events > 0 {
            tracing::info!(deliveries, events, "pruned delivered webhook events");
        }
    }
}
