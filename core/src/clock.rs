//! The store's clock: where "now" and "today" come from.
//!
//! Every computation that depends on the calendar (a subscription's state,
//! its days to renewal) asks the [`Clock`] held by the
//! [`Store`](crate::Store) instead of the operating system, so a test can
//! set the date (and move it) without sleeping. Production always runs the
//! [`Clock::System`] clock; the manual one exists only in test builds
//! (feature `testing`).
//!
//! "Today" is the UTC calendar day: tenants have no time zone yet, and one
//! fixed zone keeps every replica's answer the same.
//!
//! Not everything goes through it yet: row timestamps (`created_at`,
//! `updated_at`, audit `occurred_at`, seat-change leases) still read the
//! system time through `model::now`. They record when something happened,
//! which a test has no reason to move.

use chrono::{DateTime, NaiveDate, Utc};

/// Where the store reads the time. Cheap to clone (a manual clock's clones
/// share one time).
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The operating system's clock.
    #[default]
    System,
    /// A clock a test sets and advances.
    #[cfg(any(test, feature = "testing"))]
    Manual(ManualClock),
}

impl Clock {
    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            #[cfg(any(test, feature = "testing"))]
            Clock::Manual(manual) => manual.now(),
        }
    }

    /// The current UTC calendar day.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

#[cfg(any(test, feature = "testing"))]
pub use manual::ManualClock;

#[cfg(any(test, feature = "testing"))]
mod manual {
    use std::sync::{Arc, Mutex};

    use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

    /// A clock that stands still until told otherwise: tests set the date
    /// and step it day by day. Clones share the same time, so a test keeps
    /// one and hands [`ManualClock::clock`] to the store (or the server).
    #[derive(Debug, Clone)]
    pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

    impl ManualClock {
        /// A clock at noon UTC of `day` (noon: a day's middle, far from
        /// either edge of it).
        pub fn on(day: NaiveDate) -> Self {
            Self(Arc::new(Mutex::new(noon(day))))
        }

        /// The clock to give a [`Store`](crate::Store).
        pub fn clock(&self) -> super::Clock {
            super::Clock::Manual(self.clone())
        }

        /// Move to noon UTC of `day` (backwards too).
        pub fn set_today(&self, day: NaiveDate) {
            *self.lock() = noon(day);
        }

        /// Move forward by `days` days.
        pub fn advance_days(&self, days: u64) {
            let mut now = self.lock();
            *now = now
                .checked_add_days(Days::new(days))
                .expect("a test date within chrono's range");
        }

        pub(super) fn now(&self) -> DateTime<Utc> {
            *self.lock()
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
            // A panic elsewhere while holding the lock leaves a valid time.
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    fn noon(day: NaiveDate) -> DateTime<Utc> {
        day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
            .and_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_and_moves_when_told() {
        let day = NaiveDate::from_ymd_opt(2027, 2, 27).unwrap();
        let manual = ManualClock::on(day);
        let clock = manual.clock();
        assert_eq!(clock.today(), day);
        manual.advance_days(2);
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
        manual.set_today(day);
        assert_eq!(clock.clone().today(), day, "clones share the time");
    }
}
