//! Waking this process's delivery worker when an event was committed, so
//! delivery latency is not the worker's poll interval.
//!
//! `outbox::enqueue` counts every event write in a process-wide
//! generation; `write_txn!` reads it before `BEGIN` and, after a
//! successful `COMMIT`, wakes the store's [`OutboxWake`] if it moved. A
//! transaction that wrote no event but overlapped one that did may wake
//! the worker too: a spurious wake costs one claim, a missed one is
//! impossible (the writer itself always sees the generation move). Other
//! replicas still find the event at their next poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The process's count of event writes so far.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// An event is being written (inside its transaction).
pub(crate) fn written() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// What the delivery worker waits on. Cheap to clone (clones share it).
#[derive(Debug, Clone, Default)]
pub struct OutboxWake(Arc<Notify>);

impl OutboxWake {
    /// A transaction that began at generation `before` committed: wake the
    /// worker if events were written since.
    pub fn committed_since(&self, before: u64) {
        if generation() != before {
            // Stores a permit when the worker is busy, so its next wait
            // returns at once.
            self.0.notify_one();
        }
    }

    /// Wait until an event may have been committed.
    pub async fn notified(&self) {
        self.0.notified().await;
    }
}
