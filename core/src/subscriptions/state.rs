//! A subscription's state on a given day: pure calendar arithmetic, no
//! database, so every boundary is unit-tested here and the store only
//! supplies "today" from its clock.
//!
//! The rules (all days are whole UTC days, `termEnd` is the term's last
//! day, `d` = days from today to the current term's end):
//!
//! | state      | when                                   |
//! |------------|----------------------------------------|
//! | `ACTIVE`   | `d > noticeDays` (before `termStart` too) |
//! | `EXPIRING` | `0 <= d <= noticeDays`: from `noticeDays` days before the end through the end day |
//! | `EXPIRED`  | `-graceDays <= d < 0`: the grace period after the end |
//! | `DISABLED` | `d < -graceDays`                        |
//!
//! **Auto-renew.** With `autoRenew` on, a term that ends is rolled forward
//! by its own length, as the vendor would bill it, so the subscription
//! never lapses: the current term's end ("renews on") moves to the next
//! renewal date and the state is `ACTIVE` or `EXPIRING` before each one
//! (the notice window is when the admin may still cancel). A term of whole
//! calendar months (`termStart` 2026-03-15, `termEnd` 2027-03-14: 12
//! months) rolls by months, so yearly terms stay on their anniversary
//! across leap years; any other term rolls by its number of days. The
//! stored terms are not rewritten: the roll is computed on read.

use chrono::{Datelike, Days, Months, NaiveDate};

/// Where a subscription stands on a day. Stored only as the state last
/// announced to webhook endpoints (`app_subscriptions.notified_state`).
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
pub enum SubscriptionState {
    /// In its term, more than `noticeDays` from the end.
    Active,
    /// Within `noticeDays` of the end of its term; everything works.
    Expiring,
    /// The term ended, within `graceDays`; everything works, with a
    /// warning.
    Expired,
    /// The term ended more than `graceDays` ago: new assignments are
    /// refused (`SUBSCRIPTION_INACTIVE`); existing ones stay, inactive.
    Disabled,
}

crate::stored::stored_enum!(SubscriptionState {
    Active => "ACTIVE",
    Expiring => "EXPIRING",
    Expired => "EXPIRED",
    Disabled => "DISABLED",
});

impl SubscriptionState {
    /// Whether new assignments of the app are accepted.
    pub fn takes_new_assignments(self) -> bool {
        self != SubscriptionState::Disabled
    }
}

/// A subscription's state on one day, with the date it counts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionStatus {
    /// The state.
    pub state: SubscriptionState,
    /// The last day of the current term: `termEnd`, or with auto-renew the
    /// end of the term that today falls in once `termEnd` has passed.
    pub renews_on: NaiveDate,
    /// Days from today to `renews_on`: 0 on that day, negative after it
    /// (days since the term ended).
    pub days_to_renewal: i64,
}

/// The calendar part of a subscription's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Term {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub auto_renew: bool,
    pub notice_days: i32,
    pub grace_days: i32,
}

impl Term {
    /// The state on `today`.
    pub fn status(&self, today: NaiveDate) -> SubscriptionStatus {
        let renews_on = self.current_end(today);
        let days = (renews_on - today).num_days();
        let state = if days > i64::from(self.notice_days) {
            SubscriptionState::Active
        } else if days >= 0 {
            SubscriptionState::Expiring
        } else if days >= -i64::from(self.grace_days) {
            SubscriptionState::Expired
        } else {
            SubscriptionState::Disabled
        };
        SubscriptionStatus {
            state,
            renews_on,
            days_to_renewal: days,
        }
    }

    /// The last day of the term `today` falls in: `end` unless auto-renew
    /// rolled it forward (see the module docs).
    fn current_end(&self, today: NaiveDate) -> NaiveDate {
        if !self.auto_renew || today <= self.end {
            return self.end;
        }
        let rolled = match self.whole_months() {
            Some(months) => self.rolled_by_months(months, today),
            None => self.rolled_by_days(today),
        };
        // Only dates beyond chrono's range (year 262,143) fail to roll.
        rolled.unwrap_or(self.end)
    }

    /// The term's length in calendar months, when it is a whole number of
    /// them (the day after `end` is `start`'s day of the month).
    fn whole_months(&self) -> Option<u32> {
        let next = self.end.succ_opt()?;
        let months = (next.year() - self.start.year()) * 12 + next.month0() as i32
            - self.start.month0() as i32;
        let months = u32::try_from(months).ok().filter(|m| *m > 0)?;
        (self.start.checked_add_months(Months::new(months)) == Some(next)).then_some(months)
    }

    /// The end of the first k-month period from `start` that ends on or
    /// after `today`.
    fn rolled_by_months(&self, months: u32, today: NaiveDate) -> Option<NaiveDate> {
        let end_of = |k: u32| {
            self.start
                .checked_add_months(Months::new(k.checked_mul(months)?))?
                .pred_opt()
        };
        // Whole months from start to today bound the periods already over,
        // so counting up from there takes at most two steps.
        let elapsed = (today.year() - self.start.year()) * 12 + today.month0() as i32
            - self.start.month0() as i32;
        let mut k = (u32::try_from(elapsed).ok()? / months).max(1);
        loop {
            let end = end_of(k)?;
            if end >= today {
                return Some(end);
            }
            k = k.checked_add(1)?;
        }
    }

    /// The end of the first period of the term's length in days from
    /// `start` that ends on or after `today`.
    fn rolled_by_days(&self, today: NaiveDate) -> Option<NaiveDate> {
        let length = u64::try_from((self.end - self.start).num_days() + 1).ok()?;
        let elapsed = u64::try_from((today - self.start).num_days()).ok()?;
        let periods = elapsed / length + 1;
        self.start
            .checked_add_days(Days::new(periods.checked_mul(length)?))?
            .pred_opt()
    }
}

#[cfg(test)]
mod tests {
    use super::SubscriptionState::*;
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    fn term(start: &str, end: &str, auto_renew: bool) -> Term {
        Term {
            start: day(start),
            end: day(end),
            auto_renew,
            notice_days: 30,
            grace_days: 30,
        }
    }

    #[test]
    fn each_boundary_of_a_fixed_term() {
        let t = term("2026-01-01", "2026-12-31", false);
        let cases = [
            ("2025-12-01", Active, 395),
            ("2026-11-30", Active, 31),
            ("2026-12-01", Expiring, 30),
            ("2026-12-31", Expiring, 0),
            ("2027-01-01", Expired, -1),
            ("2027-01-30", Expired, -30),
            ("2027-01-31", Disabled, -31),
        ];
        for (today, state, days) in cases {
            let status = t.status(day(today));
            assert_eq!(
                (status.state, status.days_to_renewal, status.renews_on),
                (state, days, day("2026-12-31")),
                "{today}"
            );
        }
    }

    #[test]
    fn zero_notice_and_zero_grace() {
        let t = Term {
            notice_days: 0,
            grace_days: 0,
            ..term("2026-01-01", "2026-12-31", false)
        };
        assert_eq!(t.status(day("2026-12-30")).state, Active);
        assert_eq!(t.status(day("2026-12-31")).state, Expiring);
        assert_eq!(t.status(day("2027-01-01")).state, Disabled);
    }

    #[test]
    fn auto_renew_rolls_a_yearly_term_on_its_anniversary() {
        // 2028 is a leap year: rolling by 365 days would drift a day.
        let t = term("2027-03-01", "2028-02-29", true);
        assert_eq!(t.whole_months(), Some(12));
        let status = t.status(day("2028-03-01"));
        assert_eq!(
            (status.state, status.renews_on),
            (Active, day("2029-02-28"))
        );
        let status = t.status(day("2031-02-01"));
        assert_eq!(
            (status.state, status.renews_on, status.days_to_renewal),
            (Expiring, day("2031-02-28"), 27)
        );
        // On the original end day nothing is rolled yet.
        assert_eq!(t.status(day("2028-02-29")).renews_on, day("2028-02-29"));
    }

    #[test]
    fn auto_renew_rolls_other_terms_by_their_days() {
        // 10 days: 1st–10th, then 11th–20th, …
        let t = term("2026-05-01", "2026-05-10", true);
        assert_eq!(t.whole_months(), None);
        assert_eq!(t.status(day("2026-05-11")).renews_on, day("2026-05-20"));
        assert_eq!(t.status(day("2026-05-20")).renews_on, day("2026-05-20"));
        assert_eq!(t.status(day("2026-05-21")).renews_on, day("2026-05-30"));
        assert_eq!(t.status(day("2027-05-21")).state, Expiring);
        // A monthly term starting on the 31st rolls by calendar months.
        let t = term("2026-01-31", "2026-02-27", true);
        assert_eq!(t.whole_months(), Some(1));
        assert_eq!(t.status(day("2026-03-05")).renews_on, day("2026-03-30"));
        assert_eq!(t.status(day("2026-04-05")).renews_on, day("2026-04-29"));
    }

    #[test]
    fn an_auto_renewing_subscription_is_never_expired_or_disabled() {
        let t = term("2026-01-01", "2026-12-31", true);
        let mut today = day("2026-06-01");
        while today < day("2031-01-01") {
            let status = t.status(today);
            assert!(matches!(status.state, Active | Expiring), "{today}");
            assert!(status.days_to_renewal >= 0, "{today}");
            today = today.succ_opt().unwrap();
        }
    }
}
