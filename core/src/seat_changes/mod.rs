//! Seat changes as durable operations.
//!
//! Adding or removing seats is the vendor's business, and vendors may answer
//! slowly, fail for a while, or take days. So a request is first *recorded*
//! ([`Store::request_seat_change`](crate::Store::request_seat_change)) and
//! answered at once; a worker (in the API crate, one per replica) then
//! carries it forward:
//!
//! 1. [`claim_due_seat_changes`](crate::Store::claim_due_seat_changes) leases
//!    due operations across tenants. Two replicas never hold the same
//!    operation: PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, SQLite's
//!    `BEGIN IMMEDIATE` serialises claims. A replica that dies mid-call loses
//!    its claim when the lease runs out and another picks the operation up.
//! 2. The worker calls the vendor, then records the outcome with one of the
//!    transitions in `transitions.rs`. Each checks that the caller still holds
//!    the lease, so a late answer from a replica that lost its claim changes
//!    nothing, and each writes an audit event in the same transaction.
//!
//! A vendor's webhook may finish an `IN_PROGRESS` operation before the next
//! poll: [`claim_seat_change_by_vendor_ref`](crate::Store::claim_seat_change_by_vendor_ref)
//! leases it by the vendor's reference (within its app), and the answer is
//! recorded with the same transitions.
//!
//! Every transition also tells watchers (the `seatChangeOperationUpdated`
//! subscription) that the operation changed: see `notices.rs`.
//!
//! Operations of one app are carried forward one at a time, oldest first:
//! vendors receive absolute totals ("set 15 seats"), so two changes racing
//! for one app would leave whichever answered last.
//!
//! Statuses: `PENDING` (recorded, the vendor has not accepted it yet),
//! `IN_PROGRESS` (the vendor accepted it and is working on it; polled with
//! the vendor's reference), then one final status: `SUCCEEDED`, `FAILED`,
//! `REJECTED` (by the vendor) or `CONTACT_VENDOR` (arrange it with the vendor
//! directly).

mod claim;
mod id;
pub(crate) mod notices;
mod reads;
mod request;
mod row;
mod transitions;

pub use claim::{MAX_CLAIM, VendorRefClaim};
pub use id::SeatChangeOperationId;
pub use notices::{CHANNEL as NOTICE_CHANNEL, SeatChangeNotice, SeatChangeWatcher, Wake};
pub use transitions::MAX_VENDOR_REF_LEN;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AppId, TenantId};
use crate::licensing::LicenseChanges;

/// Longest idempotency key accepted, in characters.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 200;

/// Vendor calls that may fail with a retryable error before an operation
/// is given up as `FAILED`.
pub const MAX_SEAT_CHANGE_ATTEMPTS: i32 = 5;

/// Where a seat-change operation stands. Stored (and named in GraphQL) as
/// its [`StoredEnum`](crate::stored::StoredEnum) form, e.g. `IN_PROGRESS`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeatChangeStatus {
    /// Recorded; the vendor has not accepted it yet (first call due, or a
    /// retry after a transient failure).
    Pending,
    /// The vendor accepted it and is working on it; the worker polls.
    InProgress,
    /// Done: the app's purchased seats were updated.
    Succeeded,
    /// Gave up: a permanent error, too many transient ones, or a result that
    /// could not be applied. `message` says why.
    Failed,
    /// The change must be arranged with the vendor; `contact` says how.
    ContactVendor,
    /// The vendor refused; `message` carries its reason.
    Rejected,
}

// In lifecycle order (`ALL` follows it).
crate::stored::stored_enum!(SeatChangeStatus {
    Pending => "PENDING",
    InProgress => "IN_PROGRESS",
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
    ContactVendor => "CONTACT_VENDOR",
    Rejected => "REJECTED",
});

impl SeatChangeStatus {
    /// True once the operation will not change any more.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::InProgress)
    }
}

/// How to reach a vendor about a seat change (stored as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContactDetails {
    /// Person or team to contact.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Web site, e.g. a sales or support page.
    pub website: String,
    /// Phone number, when the vendor offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// What to tell the vendor or what to expect.
    pub message: String,
}

/// A request to set an app's purchased seats, and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatChangeOperation {
    /// Its id; also the operation id vendors use to deduplicate retries.
    pub id: SeatChangeOperationId,
    /// The tenant (the worker handles operations of every tenant).
    pub tenant_id: TenantId,
    /// The app whose seats change.
    pub app_id: AppId,
    /// The client's idempotency key, unique in the tenant.
    pub idempotency_key: String,
    /// Where it stands.
    pub status: SeatChangeStatus,
    /// Purchased seats when it was requested.
    pub previous_quantity: i64,
    /// Purchased seats asked for.
    pub requested_quantity: i64,
    /// The vendor's reference while it works on the change.
    pub vendor_ref: Option<String>,
    /// Progress note, last error, or reason, for administrators.
    pub message: Option<String>,
    /// Set when the status is `CONTACT_VENDOR`.
    pub contact: Option<VendorContactDetails>,
    /// Vendor calls that failed with a retryable error so far.
    pub attempts: i32,
    /// When the worker should next call the vendor (while a worker holds
    /// it: when its lease ends).
    pub next_attempt_at: DateTime<Utc>,
    /// The worker holding it, if any.
    pub lease_owner: Option<String>,
    /// Until when that worker holds it (stored as `next_attempt_at`: the
    /// operation is due again when the lease ends).
    pub lease_until: Option<DateTime<Utc>>,
    /// Who asked for it (the actor's subject).
    pub requested_by: String,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it reached a final status (its last update).
    pub completed_at: Option<DateTime<Utc>>,
}

/// What completing an operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatChangeCompletion {
    /// The operation after the change: `SUCCEEDED`, or `FAILED` when the
    /// vendor's quantity could not be applied (e.g. below seats in use).
    pub operation: SeatChangeOperation,
    /// Users waiting in `COUNT_VIOLATION` who got a seat from the change
    /// (gained; nobody loses a license to a seat change).
    pub license_changes: LicenseChanges,
}
