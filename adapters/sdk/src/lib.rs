//! SDK for writing Seatwise vendor adapter plugins.
//!
//! A vendor ships an *adapter plugin*: a shared library (`cdylib`) that the
//! Seatwise server loads at start. The plugin carries out seat changes for the
//! vendor's apps and builds their "Install this product" redirect URLs.
//!
//! Writing one takes three steps:
//!
//! 1. implement [`VendorAdapter`] for a type of yours;
//! 2. call [`export_adapter!`] once with a value of that type;
//! 3. build the crate with `crate-type = ["cdylib"]`.
//!
//! ```
//! use seatwise_adapter::{
//!     AdapterError, AdapterInfo, CallContext, Capabilities, SeatChangeMode,
//!     SeatChangeOutcome, SeatChangeRequest, VendorAdapter,
//! };
//!
//! struct Acme;
//!
//! impl VendorAdapter for Acme {
//!     fn info(&self) -> AdapterInfo {
//!         AdapterInfo {
//!             key: "acme".into(),
//!             display_name: "Acme Apps".into(),
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             capabilities: Capabilities {
//!                 seat_changes: SeatChangeMode::Immediate,
//!                 install_redirect: false,
//!                 assignment_notices: false,
//!                 vendor_webhooks: false,
//!                 usage_reports: false,
//!             },
//!         }
//!     }
//!
//!     fn change_seats(
//!         &self,
//!         _ctx: &CallContext,
//!         req: &SeatChangeRequest,
//!     ) -> Result<SeatChangeOutcome, AdapterError> {
//!         Ok(SeatChangeOutcome::Completed { quantity: req.requested_quantity })
//!     }
//! }
//!
//! seatwise_adapter::export_adapter!(Acme);
//! ```
//!
//! Everything that crosses the library boundary is described in [`abi`]; the
//! JSON envelopes are in [`wire`]. `adapters/ABI.md` in the repository is the
//! language-neutral specification of the same contract.

#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

pub mod abi;
mod adapter;
mod assignments;
mod context;
mod error;
#[doc(hidden)]
pub mod export;
mod info;
mod install;
pub mod json_fields;
mod seats;
mod usage;
mod webhook;
#[cfg(feature = "webhook-signature")]
mod webhook_signature;
pub mod wire;

pub use abi::{ABI_VERSION, ENTRY_SYMBOL};

/// Compiles the examples of `adapters/README.md` as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
pub use adapter::VendorAdapter;
pub use assignments::AssignmentNotice;
pub use context::{CallContext, UserRef};
pub use error::{AdapterError, ErrorKind};
pub use info::{AdapterInfo, Capabilities, SeatChangeMode};
pub use install::{InstallRedirect, InstallRequest};
pub use seats::{SeatChangeOutcome, SeatChangeRequest, VendorContact};
pub use usage::{UsageReport, UsageReportRecord, UsageReportRequest};
pub use webhook::{
    FinishedSeatChange, MAX_WEBHOOK_HEADERS, UsageRecord, WebhookReport, WebhookReports,
    WebhookRequest,
};
