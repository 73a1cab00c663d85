//! Shared test helpers. Building the plugin crates and laying out private
//! plugin directories is the crate's `testing` module (also used by the
//! end-to-end tests and the benchmarks); this adds what only these tests use.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use seatwise_adapter_host::{CallContext, HostConfig};

#[allow(unused_imports)] // As above: not every test binary names both.
pub use seatwise_adapter_host::testing::{Plugin, PluginDir};

/// A host configuration with short timeouts, for tests.
pub fn fast_config() -> HostConfig {
    HostConfig {
        call_timeout: Duration::from_secs(10),
        load_timeout: Duration::from_secs(10),
        max_abandoned_calls: 2,
    }
}

/// A call context for tenant `tenant-1`, app `app-1`.
pub fn context(settings: serde_json::Value) -> CallContext {
    CallContext {
        tenant_id: "tenant-1".into(),
        app_id: "app-1".into(),
        settings,
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
