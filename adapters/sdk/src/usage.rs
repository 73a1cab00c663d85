//! Usage reports: when the vendor last saw each user active in the app.

use serde::{Deserialize, Serialize};

/// Request of `report_usage`: `{"since": 1700000000}` or `{"since": null}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReportRequest {
    /// Unix seconds (UTC) of the last report the host applied for this app;
    /// `None` on the first poll. Users active since then are enough; a
    /// plugin may always answer more (the host keeps the latest time).
    #[serde(default)]
    pub since: Option<u64>,
}

/// Answer of `report_usage`: `{"records": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    /// One record per user (the host keeps the latest if a user repeats).
    /// The host takes at most 10,000 records per answer.
    #[serde(default)]
    pub records: Vec<UsageReportRecord>,
}

/// One user's last activity as the vendor knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReportRecord {
    /// The user's email address (the vendor does not know Seatwise's ids);
    /// matched case-insensitively against the organisation's users.
    pub user_email: String,
    /// Unix seconds (UTC) of the user's last activity in the app.
    pub last_active_at: u64,
}
