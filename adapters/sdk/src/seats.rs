//! Seat changes: the request and the possible outcomes.

use serde::{Deserialize, Serialize};

/// Request of `change_seats`: set the purchased seats of an app to a new total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatChangeRequest {
    /// Unique id of this change, stable across retries: an adapter that sees
    /// the same id twice must not change seats twice.
    pub operation_id: String,
    /// Seats the host believes the app has now.
    pub previous_quantity: u32,
    /// Seats the app should have after the change (an absolute total, not a delta).
    pub requested_quantity: u32,
}

/// What happened to a seat change, internally tagged by `status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SeatChangeOutcome {
    /// Done: the app now has `quantity` seats.
    Completed {
        /// The seat total after the change.
        quantity: u32,
    },
    /// Accepted but not done yet; the host polls with `vendor_ref`.
    Pending {
        /// Opaque reference the adapter needs to answer `poll_seat_change`.
        /// It must stay meaningful after a host restart.
        vendor_ref: String,
        /// Optional progress note shown to administrators.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The vendor refused the change (e.g. above the contract's maximum).
    Rejected {
        /// Why, shown to administrators.
        reason: String,
    },
    /// The change must be arranged with the vendor directly.
    ContactVendor {
        /// Who to contact.
        contact: VendorContact,
    },
}

/// How to reach a vendor about a seat change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContact {
    /// Person or team to contact.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Web site, e.g. a sales or support page.
    pub website: String,
    /// Phone number, when the vendor offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// What to tell the vendor or what to expect, shown to administrators.
    pub message: String,
}
