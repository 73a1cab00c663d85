//! `Adapter`: the vendor adapter plugin loaded for an app.

use async_graphql::{Enum, SimpleObject};
use seatwise_adapter_host::{AdapterInfo, SeatChangeMode};

/// A vendor adapter plugin loaded by the server.
#[derive(SimpleObject, Clone)]
pub struct Adapter {
    /// The key apps use to name it (their `adapterKey`).
    pub key: String,
    /// Name shown to administrators.
    pub display_name: String,
    /// The plugin's own version.
    pub version: String,
    /// Whether and how it changes seats.
    pub seat_changes: AdapterSeatChanges,
    /// Whether it sends admins to the vendor's site to install the product.
    pub install_redirect: bool,
    /// Whether it is told which users gained or lost the app's license.
    pub assignment_notices: bool,
    /// Whether the vendor can call this server back through it (finished
    /// seat changes, renewals, usage): see `App.vendorWebhookUrl`.
    pub vendor_webhooks: bool,
}

/// How an adapter carries out seat changes.
// `remote` generates both conversions with exhaustive matches, so a mode
// added to the adapter host does not compile until it is mirrored here.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "SeatChangeMode")]
pub enum AdapterSeatChanges {
    /// Seats cannot be changed through the adapter: seat changes end in
    /// `CONTACT_VENDOR`.
    None,
    /// The vendor answers at once.
    Immediate,
    /// The vendor accepts the change and completes it later.
    Asynchronous,
}

impl From<&AdapterInfo> for Adapter {
    fn from(info: &AdapterInfo) -> Self {
        Self {
            key: info.key.clone(),
            display_name: info.display_name.clone(),
            version: info.version.clone(),
            seat_changes: info.capabilities.seat_changes.into(),
            install_redirect: info.capabilities.install_redirect,
            assignment_notices: info.capabilities.assignment_notices,
            vendor_webhooks: info.capabilities.vendor_webhooks,
        }
    }
}
