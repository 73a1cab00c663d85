//! The server's tunables, read once at start from environment variables.
//!
//! Every `SEATWISE_*` setting of `seatwise serve` is parsed here, from a
//! [`Vars`] source: the process environment in production, a plain map in
//! the in-process test harness (which cannot change the environment of a
//! process that runs many servers at once). A malformed value is an error
//! naming the variable, so the server refuses to start rather than run
//! without a limit.
//!
//! Architecture invariant: nothing else in `api/src` reads a `SEATWISE_*`
//! serve setting from the environment; code takes the typed
//! [`ServeSettings`] (or the part of it it needs).

use std::collections::HashMap;
use std::time::Duration;

use seatwise_adapter_host::HostConfig;

use crate::plugins::{
    CONCURRENCY_ENV, DEFAULT_CONCURRENCY, DEFAULT_NOTICE_QUEUE, DEFAULT_WORKER_LEASE,
    MAX_ABANDONED_ENV, NOTICE_QUEUE_ENV, TIMEOUT_ENV, WORKER_LEASE_ENV, WORKER_POLL_ENV,
    WorkerSettings, check_timeout_below_lease,
};
use crate::server::HttpConfig;
use crate::usage_worker::{DEFAULT_USAGE_POLL_INTERVAL, UsagePollSettings};
use crate::webhooks::WebhookSettings;

/// Time between two usage polls of one app, e.g. `1h`, `15m`, `30s`,
/// `500ms` (default `1h`).
pub const USAGE_POLL_INTERVAL_ENV: &str = "SEATWISE_USAGE_POLL_INTERVAL";

/// Where settings come from.
pub trait Vars {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Vars for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Vars for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// A positive count from `var`, or `default` when unset.
pub fn count(vars: &dyn Vars, var: &str, default: usize) -> Result<usize, String> {
    match vars.var(var) {
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{var}={text:?}: expected a positive whole number")),
        None => Ok(default),
    }
}

/// A positive number of milliseconds from `var`, or `default` when unset.
pub fn millis(vars: &dyn Vars, var: &str, default: Duration) -> Result<Duration, String> {
    match vars.var(var) {
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| format!("{var}={text:?}: expected a positive number of milliseconds")),
        None => Ok(default),
    }
}

/// A positive duration from `var` with a unit (`ms`, `s`, `m`, `h`), or
/// `default` when unset.
pub fn duration(vars: &dyn Vars, var: &str, default: Duration) -> Result<Duration, String> {
    let Some(text) = vars.var(var) else {
        return Ok(default);
    };
    let bad =
        || format!("{var}={text:?}: expected a positive duration such as 1h, 15m, 30s or 500ms");
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(bad)?;
    let (number, unit) = trimmed.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let millis_per = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    number
        .checked_mul(millis_per)
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .ok_or_else(bad)
}

/// Everything `seatwise serve` reads from the environment besides the
/// database options (which are command-line flags with `env` fallbacks).
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// How adapter calls are bounded (`SEATWISE_PLUGIN_TIMEOUT_MS`,
    /// `SEATWISE_PLUGIN_MAX_ABANDONED`).
    pub host: HostConfig,
    /// How the seat-change worker runs.
    pub worker: WorkerSettings,
    /// Assignment notices queued per adapter (`SEATWISE_NOTICE_QUEUE`).
    pub notice_queue: usize,
    /// The HTTP layer: CORS, GraphiQL assets, websocket limits.
    pub http: HttpConfig,
    /// Outbound webhooks (`SEATWISE_WEBHOOK_*`).
    pub webhooks: WebhookSettings,
    /// How often adapters are asked for usage
    /// (`SEATWISE_USAGE_POLL_INTERVAL`).
    pub usage_polls: UsagePollSettings,
}

impl ServeSettings {
    /// Read and check every setting; the first bad one is the error.
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, String> {
        let host = host_config(vars)?;
        let worker = WorkerSettings {
            lease: millis(vars, WORKER_LEASE_ENV, DEFAULT_WORKER_LEASE)?,
            poll_interval: millis(vars, WORKER_POLL_ENV, Duration::from_secs(1))?,
            per_adapter_concurrency: count(vars, CONCURRENCY_ENV, DEFAULT_CONCURRENCY)?,
        };
        // A call that may outlast its lease could be started a second time
        // by another replica.
        check_timeout_below_lease(host.call_timeout, worker.lease)?;
        Ok(Self {
            host,
            worker,
            notice_queue: count(vars, NOTICE_QUEUE_ENV, DEFAULT_NOTICE_QUEUE)?,
            http: HttpConfig::from_vars(vars)?,
            webhooks: WebhookSettings::from_vars(vars)?,
            usage_polls: UsagePollSettings {
                interval: duration(vars, USAGE_POLL_INTERVAL_ENV, DEFAULT_USAGE_POLL_INTERVAL)?,
                lease: worker.lease,
            },
        })
    }
}

/// The adapter host's bounds (`SEATWISE_PLUGIN_TIMEOUT_MS`,
/// `SEATWISE_PLUGIN_MAX_ABANDONED`); also used by `seatwise plugins`.
pub fn host_config(vars: &dyn Vars) -> Result<HostConfig, String> {
    let defaults = HostConfig::default();
    Ok(HostConfig {
        call_timeout: millis(vars, TIMEOUT_ENV, defaults.call_timeout)?,
        max_abandoned_calls: count(vars, MAX_ABANDONED_ENV, defaults.max_abandoned_calls)?,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let settings = ServeSettings::from_vars(&vars(&[])).expect("defaults are valid");
        assert_eq!(settings.notice_queue, DEFAULT_NOTICE_QUEUE);
        assert_eq!(settings.worker.lease, DEFAULT_WORKER_LEASE);
        assert!(settings.http.cors_origins.is_empty());
        assert_eq!(settings.usage_polls.interval, Duration::from_secs(3600));
    }

    #[test]
    fn the_usage_poll_interval_takes_a_unit() {
        for (text, expected) in [
            ("1h", Duration::from_secs(3600)),
            ("15m", Duration::from_secs(900)),
            (" 30s ", Duration::from_secs(30)),
            ("250ms", Duration::from_millis(250)),
        ] {
            let settings = ServeSettings::from_vars(&vars(&[(USAGE_POLL_INTERVAL_ENV, text)]))
                .expect("a valid interval");
            assert_eq!(settings.usage_polls.interval, expected, "{text}");
        }
        for text in ["0s", "10", "1d", "h", "-1h", "99999999999999999h"] {
            let error = ServeSettings::from_vars(&vars(&[(USAGE_POLL_INTERVAL_ENV, text)]))
                .expect_err("refused");
            assert!(
                error.starts_with("SEATWISE_USAGE_POLL_INTERVAL="),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn a_malformed_value_names_its_variable() {
        let error = ServeSettings::from_vars(&vars(&[(NOTICE_QUEUE_ENV, "lots")]))
            .expect_err("garbage is refused");
        assert_eq!(
            error,
            "SEATWISE_NOTICE_QUEUE=\"lots\": expected a positive whole number"
        );
    }

    #[test]
    fn a_timeout_at_the_lease_is_refused() {
        let error =
            ServeSettings::from_vars(&vars(&[(TIMEOUT_ENV, "5000"), (WORKER_LEASE_ENV, "5000")]))
                .expect_err("timeout must be below the lease");
        assert!(
            error.contains("SEATWISE_WORKER_LEASE_MS=5000 ms"),
            "{error}"
        );
    }
}
