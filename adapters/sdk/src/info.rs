//! What an adapter says about itself when loaded.

use serde::{Deserialize, Serialize};

/// Identity and capabilities of an adapter, returned by `info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterInfo {
    /// The key apps use to name this adapter (e.g. `"contoso"`). Must be
    /// non-empty and unique among the plugins a server loads.
    pub key: String,
    /// Name shown to administrators.
    pub display_name: String,
    /// The plugin's own version, free-form (semver recommended).
    pub version: String,
    /// Which methods the host may call.
    pub capabilities: Capabilities,
}

/// Which optional methods an adapter implements. The host only calls the
/// methods announced here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Whether and how `change_seats` works.
    pub seat_changes: SeatChangeMode,
    /// Whether `install_redirect` is implemented.
    pub install_redirect: bool,
    /// Whether the adapter wants `assignments_changed` notices.
    pub assignment_notices: bool,
    /// Whether `handle_webhook` is implemented: the vendor may call the
    /// server's `/vendors/{key}/webhook` endpoint. Absent in the JSON of
    /// plugins built before it existed, which then do not offer it.
    #[serde(default)]
    pub vendor_webhooks: bool,
    /// Whether `report_usage` is implemented: the host's worker polls it
    /// for per-user activity. Absent in plugins built before it existed,
    /// which read as `false` (see "Adding a capability" in `ABI.md`).
    #[serde(default)]
    pub usage_reports: bool,
}

/// How an adapter carries out seat changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatChangeMode {
    /// Seats cannot be changed through the adapter.
    None,
    /// `change_seats` normally answers `completed` (or `rejected`) right away.
    Immediate,
    /// `change_seats` normally answers `pending`; the host then polls with
    /// `poll_seat_change` until the change settles.
    Asynchronous,
}
