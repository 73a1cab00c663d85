//! JSON envelopes carried in the ABI's byte buffers.
//!
//! Every call except `info` sends a [`CallInput`]; every call answers with a
//! [`CallResponse`]. Both sides use these exact types, so the plugin's encoder
//! and the host's decoder cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::{AdapterError, CallContext};

/// Input of every method except `info` (whose input is empty):
/// `{"context": {...}, "request": {...}}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallInput<R> {
    /// Who the call is for, and the app's adapter settings.
    pub context: CallContext,
    /// The method's own request.
    pub request: R,
}

/// Request of `poll_seat_change`: `{"vendor_ref": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollRequest {
    /// The reference the plugin returned in a `pending` outcome.
    pub vendor_ref: String,
}

/// Output of every method, externally tagged: exactly one of
/// `{"ok": value}`, `{"error": {...}}`, `{"panic": {...}}`, `{"bad_call": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallResponse<T> {
    /// The method succeeded; the value's shape depends on the method.
    Ok(T),
    /// The adapter reported an error.
    Error(AdapterError),
    /// The plugin's code panicked; the panic was caught at the boundary.
    Panic {
        /// The panic message, when it was a string.
        message: String,
    },
    /// The plugin could not understand the call: unknown method id or input
    /// that does not match the method's schema (a host/plugin version skew).
    BadCall {
        /// What was wrong with the call.
        message: String,
    },
}
