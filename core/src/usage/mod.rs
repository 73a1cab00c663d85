//! App usage: when each user was last active in an app, who holds a seat
//! without using it, and giving those seats back.
//!
//! Activity arrives from three sources ([`ActivitySource`]): an admin's
//! import, a vendor adapter the worker polls, and (later) the vendor's own
//! webhooks. All of them go through [`Store::record_usage`](crate::Store::record_usage)
//! (`record.rs`), which keeps the *latest* time per (tenant, app, user):
//! a report older than the stored time never moves it back.
//!
//! `reads.rs` answers "who is idle": a seat holder (an `ACTIVE` license) is
//! idle for `idle_days` when their last activity is at least that old, or,
//! never seen, when they took the seat at least that long ago — a user
//! never seen is idle *since the license was assigned*, not since ever.
//! `reclaim.rs` unassigns the direct assignments of idle users through the
//! ordinary unassign path; licenses held through a group are never touched
//! (the fix for those is the group).
//!
//! Time comes from the store's [`Clock`](crate::Clock), so tests move it.

mod polls;
mod reads;
mod reclaim;
mod record;

pub use polls::{DueUsagePoll, MAX_USAGE_POLL_CLAIM};
pub use reads::{IdleSeat, UsageSummary};
pub use reclaim::{IdleSeatsReclaimed, ReclaimedSeat};
pub use record::{
    MAX_FUTURE_SKEW, MAX_USAGE_RECORDS, UsageRecord, UsageRecorded, UsageRejection,
    UsageRejectionReason, UsageUser,
};

use crate::error::{CoreError, CoreResult, InputField};
use crate::stored::stored_enum;

/// Where a user's last activity was learnt. Stored in
/// `app_user_activity.source`: the source of the time kept (the latest).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ActivitySource {
    /// An admin imported it (`importUsage`).
    Import,
    /// The app's vendor adapter reported it when the worker polled.
    Adapter,
    /// The vendor pushed it to Seatwise's inbound webhook.
    VendorWebhook,
}

stored_enum!(ActivitySource {
    Import => "IMPORT",
    Adapter => "ADAPTER",
    VendorWebhook => "VENDOR_WEBHOOK",
});

/// Fewest days a user must be inactive to count as idle.
pub const MIN_IDLE_DAYS: i32 = 1;
/// Most days (ten years): further back than any licence term.
pub const MAX_IDLE_DAYS: i32 = 3650;

/// `idle_days` checked against [`MIN_IDLE_DAYS`]..=[`MAX_IDLE_DAYS`].
pub fn check_idle_days(idle_days: i32) -> CoreResult<i32> {
    if (MIN_IDLE_DAYS..=MAX_IDLE_DAYS).contains(&idle_days) {
        Ok(idle_days)
    } else {
        Err(CoreError::invalid(
            InputField::IdleDays,
            format!("must be between {MIN_IDLE_DAYS} and {MAX_IDLE_DAYS} days"),
        ))
    }
}

/// The instant before which (inclusive) a user counts as idle: `idle_days`
/// before the clock's now.
fn idle_cutoff(now: chrono::DateTime<chrono::Utc>, idle_days: i32) -> chrono::NaiveDateTime {
    (now - chrono::Duration::days(i64::from(idle_days))).naive_utc()
}
