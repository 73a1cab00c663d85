//! Tunables of the plugin host.

use std::time::Duration;

/// How the host loads and calls plugins.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// Longest an adapter call may take before it fails with
    /// [`CallError::Timeout`](crate::CallError::Timeout). Default 30 s.
    pub call_timeout: Duration,
    /// Longest a plugin's `info()` may take at load before the plugin is
    /// refused. Default 5 s.
    pub load_timeout: Duration,
    /// How many timed-out calls may still be running inside one plugin before
    /// it is quarantined. Default 4; values below 1 count as 1.
    ///
    /// A call that times out cannot be cancelled: its thread keeps running
    /// inside the plugin. Counting those abandoned threads, rather than
    /// timeouts, bounds exactly what piles up. While the count is at the
    /// limit, calls fail at once with
    /// [`CallError::Quarantined`](crate::CallError::Quarantined) without
    /// starting a thread; when abandoned calls eventually return, the count
    /// drops and the plugin is used again, so a vendor that was merely slow
    /// recovers by itself while a hung one stays fenced off until restart.
    /// A call whose future the caller drops before it settles counts as
    /// abandoned too.
    pub max_abandoned_calls: usize,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(30),
            load_timeout: Duration::from_secs(5),
            max_abandoned_calls: 4,
        }
    }
}
