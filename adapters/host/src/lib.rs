//! Host side of Seatwise vendor adapter plugins.
//!
//! [`PluginRegistry::load_dir`] loads every shared library in a directory,
//! checks the ABI handshake, asks each plugin for its [`AdapterInfo`] and
//! produces one [`LoadReport`] per file. Apps then reach their adapter by key
//! through [`PluginRegistry::adapter`], whose [`AdapterHandle`] offers an async
//! API: every call runs on a dedicated thread with a timeout, a panicking or
//! misbehaving plugin yields a typed [`CallError`], and a plugin whose calls
//! keep hanging is quarantined (see [`HostConfig::max_abandoned_calls`]).
//!
//! Libraries are never unloaded; see `library.rs` for why.

#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

mod adapter;
mod config;
mod error;
mod ffi_call;
mod library;
mod loader;
pub mod redact;
mod registry;
mod report;
#[cfg(feature = "testing")]
pub mod testing;
mod worker;

pub use adapter::{
    AdapterHandle, AdapterHealth, MAX_USAGE_RECORDS, MAX_USAGE_REPORT_BYTES,
    MAX_USAGE_REPORT_RECORDS, MAX_WEBHOOK_REPORTS,
};
pub use config::HostConfig;
pub use error::CallError;
pub use registry::{PluginRegistry, RegistryError, inspect};
pub use report::{LoadOutcome, LoadRefusal, LoadReport};

/// The SDK types that appear in this crate's API, re-exported so the server
/// needs only this crate.
pub use seatwise_adapter::{
    ABI_VERSION, AdapterError, AdapterInfo, AssignmentNotice, CallContext, Capabilities, ErrorKind,
    FinishedSeatChange, InstallRedirect, InstallRequest, MAX_WEBHOOK_HEADERS, SeatChangeMode,
    SeatChangeOutcome, SeatChangeRequest, UsageRecord, UsageReport, UsageReportRecord,
    UsageReportRequest, UserRef, VendorContact, WebhookReport, WebhookReports, WebhookRequest,
};
