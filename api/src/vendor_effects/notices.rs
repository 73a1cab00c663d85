//! Telling vendor adapters which users gained or lost an app's license
//! (`assignments_changed`), for adapters that ask for it.
//!
//! Notices are fire-and-forget: a change that committed hands its
//! [`LicenseChanges`] to [`AssignmentNotices`] and returns, so a slow or
//! broken plugin never delays or fails an admin's request, and a failure is
//! only logged (the vendor's service can always reconcile from its own view).
//!
//! Bounded, with one consumer per adapter, so a hung vendor costs a fixed
//! amount of memory and no other vendor's notices:
//! - one routing task reads the apps and users a change concerns (database
//!   work only, never a plugin call) and puts one notice per app into the
//!   queue of that app's adapter;
//! - each adapter has its own queue of
//!   [`DEFAULT_NOTICE_QUEUE`](crate::plugins::DEFAULT_NOTICE_QUEUE) notices
//!   (`SEATWISE_NOTICE_QUEUE`) and one task that delivers them in order;
//! - a notice that finds its queue full is dropped, counted per adapter
//!   (`seatwise_assignment_notices_dropped_total`) and logged.
//!
//! When no loaded adapter wants notices, nothing is started and no extra SQL
//! runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use seatwise_adapter_host::{
    AdapterHandle, AssignmentNotice, CallContext, PluginRegistry, UserRef,
};
use seatwise_core::ids::{AppId, TenantId, UserId};
use seatwise_core::{LicenseChanges, Store};
use tokio::sync::mpsc;

/// The label of notices dropped before their adapter was known (the routing
/// queue itself was full).
const UNROUTED: &str = "(routing)";

/// One app's notice, ready for its adapter.
struct Delivery {
    app: AppId,
    ctx: CallContext,
    notice: AssignmentNotice,
}

/// The notice queues of every adapter that wants notices. Dropping it lets
/// the delivery tasks finish their queues and end.
pub(super) struct AssignmentNotices {
    routing: Option<mpsc::Sender<(TenantId, LicenseChanges)>>,
    dropped: Arc<DropCounts>,
}

impl AssignmentNotices {
    /// No adapter wants notices: everything handed over is ignored.
    pub(super) fn disabled() -> Self {
        Self {
            routing: None,
            dropped: Arc::default(),
        }
    }

    /// Starts one delivery task per adapter of `registry` that wants notices,
    /// each with a queue of `capacity` notices, and the routing task in front
    /// of them. Must run inside the tokio runtime unless no adapter wants
    /// notices.
    pub(super) fn start(store: Store, registry: &PluginRegistry, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let wanting: Vec<AdapterHandle> = registry
            .adapters()
            .filter(|adapter| adapter.info().capabilities.assignment_notices)
            .cloned()
            .collect();
        if wanting.is_empty() {
            return Self::disabled();
        }
        let dropped = Arc::new(DropCounts::default());
        let mut queues = HashMap::new();
        for adapter in &wanting {
            let (sender, receiver) = mpsc::channel(capacity);
            tokio::spawn(deliver_in_order(adapter.clone(), receiver));
            queues.insert(adapter.key().to_owned(), (adapter.clone(), sender));
        }
        let (routing, receiver) = mpsc::channel(capacity);
        tokio::spawn(route(store, queues, receiver, Arc::clone(&dropped)));
        Self {
            routing: Some(routing),
            dropped,
        }
    }

    /// Notices dropped so far because a queue was full, per adapter key
    /// ([`UNROUTED`] for the routing queue).
    pub(super) fn dropped(&self) -> Vec<(String, u64)> {
        self.dropped.snapshot()
    }

    /// Queue the notices of `changes` for routing (see the module docs);
    /// costs nothing when no adapter wants notices.
    pub(super) fn enqueue(&self, tenant: TenantId, changes: &LicenseChanges) {
        let Some(routing) = &self.routing else { return };
        if changes.is_empty() {
            return;
        }
        match routing.try_send((tenant, changes.clone())) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full((_, changes))) => {
                self.dropped.add(UNROUTED, changes.app_count() as u64);
            }
            // The routing task only ends with the runtime.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// Dropped notices per queue. Logged when a queue's total reaches 1, 10,
/// 100, … so a long outage writes a handful of lines, not one per notice.
#[derive(Default)]
struct DropCounts(Mutex<BTreeMap<String, u64>>);

impl DropCounts {
    fn add(&self, queue: &str, count: u64) {
        let total = {
            let mut counts = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let total = counts.entry(queue.to_owned()).or_default();
            let before = *total;
            *total += count;
            let crossed = (0..20)
                .map(|power| 10u64.pow(power))
                .any(|mark| before < mark && *total >= mark);
            crossed.then_some(*total)
        };
        if let Some(total) = total {
            tracing::warn!(
                adapter = queue,
                dropped_total = total,
                "assignment notices dropped: the adapter's queue is full (it is slow or hung)"
            );
        }
    }

    fn snapshot(&self) -> Vec<(String, u64)> {
        let counts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts
            .iter()
            .map(|(key, count)| (key.clone(), *count))
            .collect()
    }
}

/// Reads what each change concerns and queues one notice per app with its
/// adapter. Database work only: a hung adapter never holds this up.
async fn route(
    store: Store,
    queues: HashMap<String, (AdapterHandle, mpsc::Sender<Delivery>)>,
    mut incoming: mpsc::Receiver<(TenantId, LicenseChanges)>,
    dropped: Arc<DropCounts>,
) {
    while let Some((tenant, changes)) = incoming.recv().await {
        let deliveries = match prepare(&store, &queues, tenant, &changes).await {
            Ok(deliveries) => deliveries,
            Err(error) => {
                tracing::warn!(tenant = %tenant, %error, "assignment notices not sent");
                continue;
            }
        };
        for (key, delivery) in deliveries {
            let Some((_, queue)) = queues.get(&key) else {
                continue;
            };
            if let Err(mpsc::error::TrySendError::Full(delivery)) = queue.try_send(delivery) {
                tracing::debug!(adapter = %key, app = %delivery.app, "assignment notice dropped");
                dropped.add(&key, 1);
            }
        }
    }
}

/// Delivers one adapter's notices, one at a time, in the order queued.
async fn deliver_in_order(adapter: AdapterHandle, mut queue: mpsc::Receiver<Delivery>) {
    while let Some(Delivery { app, ctx, notice }) = queue.recv().await {
        // A failure was already logged by the host, with its reason.
        if adapter.assignments_changed(&ctx, &notice).await.is_ok() {
            tracing::debug!(
                adapter = adapter.key(), app = %app, gained = notice.gained.len(),
                lost = notice.lost.len(), "assignment notice sent"
            );
        }
    }
}

/// The notices of one change, each with the key of the adapter it goes to.
async fn prepare(
    store: &Store,
    queues: &HashMap<String, (AdapterHandle, mpsc::Sender<Delivery>)>,
    tenant: TenantId,
    changes: &LicenseChanges,
) -> seatwise_core::CoreResult<Vec<(String, Delivery)>> {
    let app_ids: Vec<AppId> = changes.apps().map(|(app, _)| app).collect();
    let apps = store.apps_by_ids(tenant, &app_ids).await?;
    let apps: Vec<_> = apps
        .into_iter()
        .filter_map(|app| {
            let key = app.adapter_key.clone()?;
            queues.contains_key(&key).then_some((app, key))
        })
        .collect();
    if apps.is_empty() {
        return Ok(Vec::new());
    }
    let mut user_ids: Vec<UserId> = apps
        .iter()
        .filter_map(|(app, _)| changes.app(app.id))
        .flat_map(|change| change.gained().iter().chain(change.lost()).copied())
        .collect();
    user_ids.sort();
    user_ids.dedup();
    // Deleted users are gone from the store: they are sent by id only.
    let users: HashMap<UserId, _> = store
        .users_by_ids(tenant, &user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let user_ref = |id: &UserId| match users.get(id) {
        Some(user) => UserRef {
            id: id.to_string(),
            name: Some(user.display_name.clone()),
            email: Some(user.email.clone()),
        },
        None => UserRef {
            id: id.to_string(),
            name: None,
            email: None,
        },
    };
    Ok(apps
        .into_iter()
        .filter_map(|(app, key)| {
            let change = changes.app(app.id)?;
            let delivery = Delivery {
                app: app.id,
                ctx: CallContext {
                    tenant_id: tenant.to_string(),
                    app_id: app.id.to_string(),
                    settings: app.adapter_settings.clone(),
                },
                notice: AssignmentNotice {
                    gained: change.gained().iter().map(user_ref).collect(),
                    lost: change.lost().iter().map(user_ref).collect(),
                },
            };
            Some((key, delivery))
        })
        .collect())
}
