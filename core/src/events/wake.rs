//! Waking the delivery worker when an event was committed, so delivery
//! latency is not the worker's poll interval.
//!
//! - **This process**: `write_txn!` (and the group-commit batch) run their
//!   body inside [`tracking`], a task-local flag that `outbox::enqueue`
//!   sets; after a successful `COMMIT` that wrote events they wake the
//!   store's [`OutboxWake`]. The flag belongs to the task running the
//!   transaction, so another store's (or another test's) events never wake
//!   this worker and the statements a request costs stay its own.
//! - **Other replicas** (PostgreSQL): the statement that writes the events
//!   also sends `pg_notify` on [`OUTBOX_CHANNEL`], delivered at commit
//!   (never before the rows are visible, never on rollback). Each process's
//!   listening connection (`seat_changes/notices.rs`, started by
//!   `Store::listen_for_outbox_commits`) wakes its [`OutboxWake`] on it. A
//!   lost connection falls back to the worker's poll until it reconnects.

use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Notify;

/// The PostgreSQL channel a commit that wrote events notifies.
pub const OUTBOX_CHANNEL: &str = "seatwise_outbox";

tokio::task_local! {
    /// Whether the transaction running in this task wrote an event.
    static EVENTS_WRITTEN: Cell<bool>;
}

/// Run `transaction` and say whether it wrote events.
pub(crate) async fn tracking<F: Future>(transaction: F) -> (F::Output, bool) {
    EVENTS_WRITTEN
        .scope(Cell::new(false), async move {
            let output = transaction.await;
            (output, EVENTS_WRITTEN.with(Cell::get))
        })
        .await
}

/// An event is being written (inside its transaction). Outside
/// [`tracking`] nobody is woken: the worker finds it at its next poll.
pub(crate) fn written() {
    // Err only outside `tracking`, where there is no one to tell.
    let _outside_tracking = EVENTS_WRITTEN.try_with(|wrote| wrote.set(true));
}

/// What the delivery worker waits on. Cheap to clone (clones share it).
#[derive(Debug, Clone, Default)]
pub struct OutboxWake(Arc<Notify>);

impl OutboxWake {
    /// A transaction that wrote events committed: wake the worker.
    pub fn committed(&self) {
        // Stores a permit when the worker is busy, so its next wait
        // returns at once.
        self.0.notify_one();
    }

    /// Wait until an event may have been committed.
    pub async fn notified(&self) {
        self.0.notified().await;
    }
}
