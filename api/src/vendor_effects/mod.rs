//! What vendors are told, and asked, when something changes in Seatwise:
//! the one service between the API's callers (resolvers, the seat-change
//! worker) and the vendor adapter plugins for these side effects.
//!
//! - [`VendorEffects::license_changes_committed`]: after a write committed,
//!   its [`LicenseChanges`] become assignment notices for the adapters that
//!   want them (`notices.rs`: bounded queues, fire-and-forget).
//! - [`VendorEffects::install_redirect`]: "Install this product" asks the
//!   app's adapter for the vendor's URL and audits it (`install.rs`).
//!
//! Callers hand over what the core's writes returned and map the typed
//! answers; they never pick an adapter or call a plugin themselves. A
//! future webhooks outbox hangs off `license_changes_committed` too.
//! (Seat changes are carried through adapters by the seat-change worker,
//! which owns their concurrency limits.)

mod install;
mod notices;

use std::sync::Arc;

use seatwise_adapter_host::{PluginRegistry, UserRef};
use seatwise_core::ids::TenantId;
use seatwise_core::model::{Actor, App};
use seatwise_core::{LicenseChanges, Store};

pub use install::{InstallError, InstallRedirect, InstallUnavailable};
use notices::AssignmentNotices;

/// The loaded vendor adapters and the side effects Seatwise has on them.
/// Shared through an `Arc`; dropping the last one lets the notice delivery
/// tasks finish their queues and end.
pub struct VendorEffects {
    store: Store,
    plugins: Arc<PluginRegistry>,
    notices: AssignmentNotices,
}

impl VendorEffects {
    /// Calls the adapters in `plugins` when asked, but delivers no
    /// assignment notices (for servers without plugins, tests and
    /// benchmarks; see [`VendorEffects::start`]).
    pub fn new(store: Store, plugins: Arc<PluginRegistry>) -> Self {
        Self {
            store,
            plugins,
            notices: AssignmentNotices::disabled(),
        }
    }

    /// Like [`VendorEffects::new`], and starts the notice delivery of every
    /// adapter that wants notices, each with a queue of `notice_queue`
    /// notices. Must run inside the tokio runtime unless no adapter wants
    /// notices.
    pub fn start(store: Store, plugins: Arc<PluginRegistry>, notice_queue: usize) -> Self {
        let notices = AssignmentNotices::start(store.clone(), &plugins, notice_queue);
        Self {
            store,
            plugins,
            notices,
        }
    }

    /// The vendor adapter plugins loaded at start (never unloaded), for
    /// reading what they are and how they are doing.
    pub fn plugins(&self) -> &Arc<PluginRegistry> {
        &self.plugins
    }

    /// A write of `tenant` committed with `changes`: tell the adapters that
    /// want it, in the background. Never waits for a plugin and never fails
    /// (see `notices.rs`).
    pub fn license_changes_committed(&self, tenant: TenantId, changes: &LicenseChanges) {
        self.notices.enqueue(tenant, changes);
    }

    /// Assignment notices dropped so far because a queue was full, per
    /// adapter key (`(routing)` for the queue in front of them).
    pub fn dropped_notices(&self) -> Vec<(String, u64)> {
        self.notices.dropped()
    }

    /// Why "Install this product" cannot work for `app`; `None` when it can.
    pub fn install_unavailable(&self, app: &App) -> Option<InstallUnavailable> {
        install::install_adapter(&self.plugins, app).err()
    }

    /// "Install this product": ask `app`'s adapter where to send `admin`
    /// (who comes back to `return_url`, already validated), and record in
    /// the audit trail that `actor` of `tenant` was sent there. Waits for
    /// the adapter (within the host's call timeout).
    pub async fn install_redirect(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: &App,
        admin: UserRef,
        return_url: String,
    ) -> Result<InstallRedirect, InstallError> {
        install::redirect(
            &self.store,
            &self.plugins,
            tenant,
            actor,
            app,
            admin,
            return_url,
        )
        .await
    }
}
