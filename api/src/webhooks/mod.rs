//! Outbound webhooks: which URLs may receive events (`url_policy.rs`),
//! and the worker that delivers the outbox to them (`worker.rs`).
//!
//! The core records events in the transaction of their change
//! (`seatwise_core::events`); this module only reads the queue, signs each
//! body with the endpoint's secret (Standard Webhooks, through the
//! `standardwebhooks` crate) and records what the endpoint answered.

pub mod upkeep;
pub mod url_policy;
pub mod worker;

use std::time::Duration;

use crate::settings::{Vars, millis};

pub use upkeep::Upkeep;
pub use url_policy::{UrlPolicy, UrlRefusal};
pub use worker::WebhookWorker;

/// `SEATWISE_WEBHOOK_ALLOW_PRIVATE=1`: private, loopback and link-local
/// receivers (and plain http to them) are allowed, for tests and
/// on-premises receivers.
pub const ALLOW_PRIVATE_ENV: &str = "SEATWISE_WEBHOOK_ALLOW_PRIVATE";
/// First retry delay, in ms (doubles with every failure).
pub const RETRY_FIRST_ENV: &str = "SEATWISE_WEBHOOK_RETRY_FIRST_MS";
/// Longest retry delay, in ms.
pub const RETRY_MAX_ENV: &str = "SEATWISE_WEBHOOK_RETRY_MAX_MS";
/// How long, in ms, retries go on before a delivery is `FAILED`.
pub const GIVE_UP_ENV: &str = "SEATWISE_WEBHOOK_GIVE_UP_MS";
/// How often, in ms, the worker looks for due deliveries when idle.
pub const POLL_ENV: &str = "SEATWISE_WEBHOOK_POLL_MS";
/// How long, in ms, one request to an endpoint may take.
pub const TIMEOUT_ENV: &str = "SEATWISE_WEBHOOK_TIMEOUT_MS";
/// How long delivered events are kept: a number with a unit, `7d`, `12h`,
/// `30m` or `45s`.
pub const RETENTION_ENV: &str = "SEATWISE_WEBHOOK_RETENTION";
/// How often, in ms, subscription states are checked for lifecycle events.
pub const SUBSCRIPTION_WATCH_ENV: &str = "SEATWISE_SUBSCRIPTION_WATCH_MS";

/// When to try a failed delivery again: exponential backoff with jitter,
/// from `first_delay` doubling up to `max_delay`, until the delays add up
/// to `give_up_after` (24 h by default); then the delivery is `FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failure.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// How long retries go on.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(60 * 60),
            give_up_after: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1` (attempts count from 0),
    /// without jitter.
    fn base(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// After `attempts` failed attempts in a row (this one included), how
    /// long to wait before the next, jittered to between half and all of
    /// the backoff so receivers that failed together do not get their
    /// retries together; `None` once the delays would pass
    /// `give_up_after`.
    pub fn after_failures(&self, attempts: u32) -> Option<Duration> {
        let attempts = attempts.max(1);
        let total: Duration = (0..attempts).map(|i| self.base(i)).sum();
        if total > self.give_up_after {
            return None;
        }
        let base = self.base(attempts - 1);
        let half = base / 2;
        let jitter = half.mul_f64(rand::random::<f64>());
        Some(half + jitter)
    }
}

/// The settings of outbound webhooks (`SEATWISE_WEBHOOK_*`).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Which URLs may receive events.
    pub policy: UrlPolicy,
    /// When failed deliveries are tried again.
    pub retry: RetryPolicy,
    /// How often the worker looks for due deliveries when idle.
    pub poll_interval: Duration,
    /// How long one request may take (connect included).
    pub request_timeout: Duration,
    /// How long delivered events are kept before they are pruned.
    pub retention: Duration,
    /// How often subscription states are checked for lifecycle events.
    pub subscription_watch_interval: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            policy: UrlPolicy::default(),
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            retention: Duration::from_secs(7 * 24 * 60 * 60),
            subscription_watch_interval: Duration::from_secs(15 * 60),
        }
    }
}

/// A duration written with a unit: `7d`, `12h`, `30m`, `45s`.
fn with_unit(vars: &dyn Vars, var: &str, default: Duration) -> Result<Duration, String> {
    let Some(text) = vars.var(var) else {
        return Ok(default);
    };
    let text = text.trim();
    let bad =
        || format!("{var}={text:?}: expected a whole number with a unit, like 7d, 12h, 30m or 45s");
    let split = text.len().saturating_sub(1);
    let (number, unit) = (
        text.get(..split).ok_or_else(bad)?,
        text.get(split..).ok_or_else(bad)?,
    );
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad()),
    };
    if number == 0 {
        return Err(bad());
    }
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

impl WebhookSettings {
    /// Settings from `vars`; a malformed value is an error naming it.
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, String> {
        let defaults = Self::default();
        let allow_private = match vars.var(ALLOW_PRIVATE_ENV).as_deref().map(str::trim) {
            None | Some("") | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => {
                return Err(format!("{ALLOW_PRIVATE_ENV}={other:?}: expected 1 or 0"));
            }
        };
        let retry = RetryPolicy {
            first_delay: millis(vars, RETRY_FIRST_ENV, defaults.retry.first_delay)?,
            max_delay: millis(vars, RETRY_MAX_ENV, defaults.retry.max_delay)?,
            give_up_after: millis(vars, GIVE_UP_ENV, defaults.retry.give_up_after)?,
        };
        Ok(Self {
            policy: UrlPolicy { allow_private },
            retry,
            poll_interval: millis(vars, POLL_ENV, defaults.poll_interval)?,
            request_timeout: millis(vars, TIMEOUT_ENV, defaults.request_timeout)?,
            retention: with_unit(vars, RETENTION_ENV, defaults.retention)?,
            subscription_watch_interval: millis(
                vars,
                SUBSCRIPTION_WATCH_ENV,
                defaults.subscription_watch_interval,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_gives_up_after_a_day() {
        let policy = RetryPolicy::default();
        for attempts in 1..=5u32 {
            let delay = policy.after_failures(attempts).expect("still retrying");
            let base = Duration::from_secs(5) * 2u32.pow(attempts - 1);
            assert!(delay >= base / 2 && delay <= base, "{attempts}: {delay:?}");
        }
        let capped = policy.after_failures(20).expect("still retrying");
        assert!(capped <= Duration::from_secs(3600));
        let last = (1..200u32)
            .take_while(|n| policy.after_failures(*n).is_some())
            .last()
            .expect("some retries");
        let total: Duration = (0..last).map(|i| policy.base(i)).sum();
        assert!(total <= Duration::from_secs(86_400));
        assert!(total + Duration::from_secs(3600) > Duration::from_secs(86_400));
    }

    #[test]
    fn settings_parse_and_name_a_bad_variable() {
        let vars: std::collections::HashMap<String, String> =
            [(ALLOW_PRIVATE_ENV.to_owned(), "maybe".to_owned())].into();
        let error = WebhookSettings::from_vars(&vars).expect_err("refused");
        assert!(error.starts_with(ALLOW_PRIVATE_ENV), "{error}");
        let vars: std::collections::HashMap<String, String> = [
            (ALLOW_PRIVATE_ENV.to_owned(), "1".to_owned()),
            (RETRY_FIRST_ENV.to_owned(), "20".to_owned()),
        ]
        .into();
        let settings = WebhookSettings::from_vars(&vars).expect("valid");
        assert!(settings.policy.allow_private);
        assert_eq!(settings.retry.first_delay, Duration::from_millis(20));
        assert_eq!(settings.retention, Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn retention_takes_a_unit() {
        let parse = |value: &str| {
            let vars: std::collections::HashMap<String, String> =
                [(RETENTION_ENV.to_owned(), value.to_owned())].into();
            WebhookSettings::from_vars(&vars).map(|s| s.retention)
        };
        assert_eq!(parse("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse("90m"), Ok(Duration::from_secs(90 * 60)));
        for bad in ["7", "d", "0h", "-1d", "1w", ""] {
            let error = parse(bad).expect_err(bad);
            assert!(error.starts_with(RETENTION_ENV), "{error}");
        }
    }
}
