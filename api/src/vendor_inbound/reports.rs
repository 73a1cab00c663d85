//! What a plugin's `handle_webhook` answer means, as typed values.
//!
//! Plugin output is hostile: every report is checked here before anything
//! is written. A report that does not check out (a date that is not one, a
//! quantity out of range, a reference too long to be ours) is dropped and
//! logged, and the others still apply.

use chrono::{DateTime, NaiveDate, Utc};
use seatwise_adapter_host::{FinishedSeatChange, UsageRecord, WebhookReport};
use seatwise_core::MAX_SEATS;
use seatwise_core::seat_changes::MAX_VENDOR_REF_LEN;

/// Longest e-mail address accepted in a usage record.
const MAX_EMAIL_LEN: usize = 320;

/// One checked report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundReport {
    /// The app's seat change with reference `vendor_ref` is done.
    SeatChangeFinished {
        /// The reference of the adapter's `pending` answer.
        vendor_ref: String,
        /// How it ended.
        outcome: Finished,
    },
    /// The subscription's term now ends on `term_end`.
    Renewal {
        /// The new last day of the term.
        term_end: NaiveDate,
        /// Whether it renews itself from now on (unchanged when `None`).
        auto_renew: Option<bool>,
    },
    /// When users last used the app.
    Usage(UsageReport),
}

/// How a seat change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// The app now has this many purchased seats.
    Completed(i64),
    /// The vendor refused, with its reason.
    Rejected(String),
}

/// A usage report: when each user last used the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    /// One entry per record, in the vendor's order.
    pub records: Vec<UserActivity>,
}

/// When one user (by e-mail) last used the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserActivity {
    /// The e-mail address the vendor knows the user by (trimmed).
    pub user_email: String,
    /// When the user was last active.
    pub last_active_at: DateTime<Utc>,
}

/// The reports that check out; each one that does not is logged (with the
/// adapter key, never the settings) and left out.
pub fn checked(adapter: &str, reports: Vec<WebhookReport>) -> Vec<InboundReport> {
    reports
        .into_iter()
        .filter_map(|report| match check(report) {
            Ok(report) => Some(report),
            Err(why) => {
                tracing::warn!(adapter, "vendor webhook report ignored: {why}");
                None
            }
        })
        .collect()
}

fn check(report: WebhookReport) -> Result<InboundReport, String> {
    match report {
        WebhookReport::SeatChangeFinished {
            vendor_ref,
            outcome,
        } => {
            if vendor_ref.trim().is_empty() || vendor_ref.chars().count() > MAX_VENDOR_REF_LEN {
                return Err(format!(
                    "a vendor_ref must be 1 to {MAX_VENDOR_REF_LEN} characters"
                ));
            }
            let outcome = match outcome {
                FinishedSeatChange::Completed { quantity } => {
                    let quantity = i64::from(quantity);
                    if quantity > MAX_SEATS {
                        return Err(format!("{quantity} seats is above {MAX_SEATS}"));
                    }
                    Finished::Completed(quantity)
                }
                FinishedSeatChange::Rejected { message } => Finished::Rejected(message),
            };
            Ok(InboundReport::SeatChangeFinished {
                vendor_ref,
                outcome,
            })
        }
        WebhookReport::Renewal {
            term_end,
            auto_renew,
        } => {
            let term_end = NaiveDate::parse_from_str(term_end.trim(), "%Y-%m-%d")
                .map_err(|_| format!("term_end {term_end:?} is not a YYYY-MM-DD date"))?;
            Ok(InboundReport::Renewal {
                term_end,
                auto_renew,
            })
        }
        WebhookReport::Usage { records } => Ok(InboundReport::Usage(UsageReport {
            records: records
                .into_iter()
                .map(activity)
                .collect::<Result<_, _>>()?,
        })),
    }
}

fn activity(record: UsageRecord) -> Result<UserActivity, String> {
    let user_email = record.user_email.trim().to_owned();
    if user_email.is_empty() || user_email.len() > MAX_EMAIL_LEN || !user_email.contains('@') {
        return Err("a usage record has no usable user_email".into());
    }
    let last_active_at = DateTime::parse_from_rfc3339(record.last_active_at.trim())
        .map_err(|_| {
            format!(
                "last_active_at {:?} is not an RFC 3339 time",
                record.last_active_at
            )
        })?
        .with_timezone(&Utc);
    Ok(UserActivity {
        user_email,
        last_active_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_dates_and_references_are_dropped_and_good_reports_kept() {
        let reports = vec![
            WebhookReport::Renewal {
                term_end: "2027-02-30".into(),
                auto_renew: None,
            },
            WebhookReport::SeatChangeFinished {
                vendor_ref: "x".repeat(MAX_VENDOR_REF_LEN + 1),
                outcome: FinishedSeatChange::Completed { quantity: 3 },
            },
            WebhookReport::Usage {
                records: vec![UsageRecord {
                    user_email: "a@x.example".into(),
                    last_active_at: "yesterday".into(),
                }],
            },
            WebhookReport::Renewal {
                term_end: "2027-12-31".into(),
                auto_renew: Some(false),
            },
        ];
        assert_eq!(
            checked("acme", reports),
            vec![InboundReport::Renewal {
                term_end: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
                auto_renew: Some(false),
            }]
        );
    }
}
