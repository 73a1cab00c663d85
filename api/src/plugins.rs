//! Loading vendor adapter plugins for `seatwise serve` and `seatwise plugins`.
//!
//! Tunables come from the environment (parsed in [`crate::settings`]) so
//! operators can adjust them without new flags:
//! - `SEATWISE_PLUGIN_TIMEOUT_MS`: longest an adapter call may take
//!   (default 30 000); must be shorter than the worker lease;
//! - `SEATWISE_PLUGIN_CONCURRENCY`: seat-change calls one adapter may have
//!   in flight at once (default 4);
//! - `SEATWISE_PLUGIN_MAX_ABANDONED`: timed-out calls that may still be
//!   running inside one adapter before it is quarantined (default 4);
//! - `SEATWISE_WORKER_LEASE_MS`: how long the seat-change worker holds a
//!   claimed operation (default 300 000);
//! - `SEATWISE_WORKER_POLL_MS`: how long the seat-change worker sleeps when
//!   nothing is due (default 1 000);
//! - `SEATWISE_NOTICE_QUEUE`: assignment notices waiting per adapter before
//!   new ones are dropped (default 1 000).
//!
//! `seatwise serve --demo` without `--plugins` loads exactly the two example
//! vendors by file name from beside the binary ([`demo_plugin_files`]), so
//! the misbehaving test plugins a workspace build leaves there never load.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use seatwise_adapter_host::{HostConfig, LoadReport, PluginRegistry};

/// Environment variable: adapter call timeout in milliseconds.
pub const TIMEOUT_ENV: &str = "SEATWISE_PLUGIN_TIMEOUT_MS";
/// Environment variable: seat-change worker poll interval in milliseconds.
pub const WORKER_POLL_ENV: &str = "SEATWISE_WORKER_POLL_MS";
/// Environment variable: seat-change worker lease in milliseconds.
pub const WORKER_LEASE_ENV: &str = "SEATWISE_WORKER_LEASE_MS";
/// Environment variable: seat-change calls in flight per adapter.
pub const CONCURRENCY_ENV: &str = "SEATWISE_PLUGIN_CONCURRENCY";
/// Environment variable: abandoned (timed-out) calls per adapter before quarantine.
pub const MAX_ABANDONED_ENV: &str = "SEATWISE_PLUGIN_MAX_ABANDONED";
/// Environment variable: assignment notices queued per adapter.
pub const NOTICE_QUEUE_ENV: &str = "SEATWISE_NOTICE_QUEUE";

/// Default lease of a claimed seat-change operation.
pub const DEFAULT_WORKER_LEASE: Duration = Duration::from_secs(300);
/// Default seat-change calls in flight per adapter.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default assignment notices queued per adapter.
pub const DEFAULT_NOTICE_QUEUE: usize = 1_000;

/// The example vendors `serve --demo` loads from beside the binary, by
/// package name (the file name is derived per platform).
const DEMO_PLUGIN_PACKAGES: [&str; 2] = ["plugin_contoso_immediate", "plugin_fabrikam_async"];

/// How the seat-change worker runs (read by [`crate::settings`]).
#[derive(Clone, Copy, Debug)]
pub struct WorkerSettings {
    /// How long a claim lasts.
    pub lease: Duration,
    /// Sleep when nothing is due.
    pub poll_interval: Duration,
    /// Seat-change calls in flight per adapter.
    pub per_adapter_concurrency: usize,
}

/// A timeout at or above the lease is a start-up error, with the fix.
pub fn check_timeout_below_lease(timeout: Duration, lease: Duration) -> Result<(), String> {
    if timeout >= lease {
        return Err(format!(
            "the adapter call timeout ({TIMEOUT_ENV}={} ms) must be shorter than the seat-change \
             worker lease ({WORKER_LEASE_ENV}={} ms): a vendor call could otherwise outlive its \
             claim and be started again by another replica; lower the timeout or raise the lease",
            timeout.as_millis(),
            lease.as_millis()
        ));
    }
    Ok(())
}

/// The example plugins `serve --demo` loads: fixed file names beside the
/// running binary, where `cargo build --release` puts them.
pub fn demo_plugin_files() -> Result<Vec<PathBuf>, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find the running binary to load the demo plugins: {e}"))?;
    let dir = exe
        .parent()
        .ok_or("the running binary has no parent directory")?;
    Ok(DEMO_PLUGIN_PACKAGES
        .iter()
        .map(|package| {
            dir.join(format!(
                "{}{package}{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            ))
        })
        .collect())
}

/// Exactly the demo's example plugins (see [`demo_plugin_files`]).
pub fn load_demo(config: &HostConfig) -> Result<Arc<PluginRegistry>, String> {
    let files = demo_plugin_files()?;
    let registry = PluginRegistry::load_files(&files, config);
    for report in registry.reports() {
        if report.refusal().is_some() {
            tracing::warn!(
                path = %report.path.display(),
                "demo plugin not loaded; build it with `cargo build --release -p seatwise-api \
                 -p plugin-contoso-immediate -p plugin-fabrikam-async`"
            );
        }
    }
    tracing::info!(
        loaded = registry.adapters().count(),
        "demo: example vendor plugins loaded from beside the binary"
    );
    Ok(Arc::new(registry))
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

/// `seatwise plugins list`: one line per plugin file. With `status` (the
/// running server's view, from [`crate::plugin_status`]), each loaded
/// adapter's line ends with its health there.
pub fn list_lines(
    registry: &PluginRegistry,
    status: Option<&crate::plugin_status::ServerStatus>,
) -> Vec<String> {
    registry
        .reports()
        .iter()
        .map(|report| match (status, report.info()) {
            (Some(status), Some(info)) => format!("{report}; {}", status.describe(&info.key)),
            _ => LoadReport::to_string(report),
        })
        .collect()
}
