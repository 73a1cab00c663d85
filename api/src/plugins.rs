//! Loading vendor adapter plugins for `seatwise serve` and `seatwise plugins`.
//!
//! Tunables come from the environment so operators (and tests) can adjust
//! them without new flags:
//! - `SEATWISE_PLUGIN_TIMEOUT_MS`: longest an adapter call may take
//!   (default 30 000);
//! - `SEATWISE_WORKER_POLL_MS`: how long the seat-change worker sleeps when
//!   nothing is due (default 1 000).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use seatwise_adapter_host::{HostConfig, LoadReport, PluginRegistry};

/// Environment variable: adapter call timeout in milliseconds.
pub const TIMEOUT_ENV: &str = "SEATWISE_PLUGIN_TIMEOUT_MS";
/// Environment variable: seat-change worker poll interval in milliseconds.
pub const WORKER_POLL_ENV: &str = "SEATWISE_WORKER_POLL_MS";

/// Milliseconds from `var`, or `default` when unset; garbage is an error
/// naming the variable.
pub fn millis_from_env(var: &str, default: Duration) -> Result<Duration, String> {
    match std::env::var(var) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| format!("{var}={text:?}: expected a positive number of milliseconds")),
        Err(_) => Ok(default),
    }
}

/// The host configuration, with the call timeout from `SEATWISE_PLUGIN_TIMEOUT_MS`.
pub fn host_config() -> Result<HostConfig, String> {
    let defaults = HostConfig::default();
    Ok(HostConfig {
        call_timeout: millis_from_env(TIMEOUT_ENV, defaults.call_timeout)?,
        ..defaults
    })
}

/// Every plugin in `dir` (none without a directory). A plugin that cannot
/// be used is reported and skipped; only an unreadable directory fails.
pub fn load(dir: Option<&Path>, config: &HostConfig) -> Result<Arc<PluginRegistry>, String> {
    let Some(dir) = dir else {
        tracing::info!(
            "no plugin directory (--plugins / SEATWISE_PLUGIN_DIR): apps get the built-in vendor behaviour"
        );
        return Ok(Arc::new(PluginRegistry::empty()));
    };
    let registry = PluginRegistry::load_dir(dir, config).map_err(|e| e.to_string())?;
    let refused = registry
        .reports()
        .iter()
        .filter(|r| r.refusal().is_some())
        .count();
    tracing::info!(
        dir = %dir.display(),
        loaded = registry.adapters().count(),
        refused,
        "adapter plugins loaded"
    );
    Ok(Arc::new(registry))
}

/// `seatwise plugins list`: one line per plugin file.
pub fn list_lines(registry: &PluginRegistry) -> Vec<String> {
    registry
        .reports()
        .iter()
        .map(LoadReport::to_string)
        .collect()
}
