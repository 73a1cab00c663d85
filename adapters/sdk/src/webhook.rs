//! Vendor webhooks: a request the vendor sent to the server, and what the
//! adapter read in it (method `handle_webhook`).
//!
//! The vendor POSTs to `/vendors/{key}/webhook?app=…` on the server; the
//! host hands the request to the app's adapter, which verifies the vendor's
//! signature with a secret from the app's settings and answers with
//! [`WebhookReports`]. Dates travel as text and are checked by the host.

use serde::{Deserialize, Serialize};

use crate::AdapterError;

/// Most headers the host forwards (lowercased names, a bounded set: see
/// `adapters/ABI.md`).
pub const MAX_WEBHOOK_HEADERS: usize = 32;

/// Request of `handle_webhook`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRequest {
    /// `[name, value]` pairs, names lowercased, in the order received; at
    /// most [`MAX_WEBHOOK_HEADERS`]. Only headers a signature may need are
    /// forwarded (never `authorization` or `cookie`).
    pub headers: Vec<(String, String)>,
    /// The body exactly as received (UTF-8; the host answers 400 to any
    /// other body before calling the plugin). Verify signatures over it.
    pub body: String,
    /// When the host received the request: RFC 3339, UTC.
    pub received_at: String,
}

impl WebhookRequest {
    /// The first value of header `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON; [`AdapterError::malformed`] (the host answers the
    /// vendor 400) when it is not. Verify the signature first: it covers
    /// the exact bytes, not what they parse to.
    pub fn json_body(&self) -> Result<serde_json::Value, AdapterError> {
        serde_json::from_str(&self.body)
            .map_err(|_| AdapterError::malformed("the body is not JSON"))
    }
}

/// `ok` value of `handle_webhook`: what the vendor reported, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookReports {
    /// The reports; may be empty (e.g. a vendor's "ping").
    pub reports: Vec<WebhookReport>,
}

/// One thing a vendor reported, internally tagged by `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WebhookReport {
    /// A seat change the adapter answered `pending` is done.
    SeatChangeFinished {
        /// The `vendor_ref` of that `pending` answer.
        vendor_ref: String,
        /// How it ended.
        outcome: FinishedSeatChange,
    },
    /// The subscription was renewed: its term now ends on `term_end`.
    Renewal {
        /// The new last day of the term, `YYYY-MM-DD`.
        term_end: String,
        /// Whether it renews itself from now on; unchanged when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auto_renew: Option<bool>,
    },
    /// When users last used the app.
    Usage {
        /// One record per user.
        records: Vec<UsageRecord>,
    },
}

/// How a seat change ended, internally tagged by `status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FinishedSeatChange {
    /// Done: the app now has `quantity` purchased seats.
    Completed {
        /// The seat total after the change.
        quantity: u32,
    },
    /// The vendor refused it.
    Rejected {
        /// Why, shown to administrators.
        message: String,
    },
}

/// When one user last used the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// The user's e-mail address, as the vendor knows it.
    pub user_email: String,
    /// RFC 3339 instant.
    pub last_active_at: String,
}
