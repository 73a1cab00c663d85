//! Waking the delivery worker when an event was committed, so delivery
//! latency is not the worker's poll interval.
//!
//! - **This process**: `write_txn!` (and the group-commit batch) run their
//!   body inside [`tracking`], a task-local scope that `outbox::enqueue`
//!   marks; after a successful `COMMIT` that wrote events they wake the
//!   store's [`OutboxWake`]. The scope belongs to the task running the
//!   transaction, so another store's (or another test's) events never wake
//!   this worker and the statements a request costs stay its own.
//!
//!   The same scope holds the transaction's events until they are written
//!   ([`Pending`]): by its last statement, or with its `COMMIT`
//!   (see `outbox.rs`), so the outbox adds no round trip of its own.
//! - **Other replicas** (PostgreSQL): after that commit the store's
//!   announcer (`announce.rs`) sends `pg_notify` on [`OUTBOX_CHANNEL`],
//!   coalesced and off the writer's path (never before the rows are
//!   visible, never for a rollback). Each other process's listening
//!   connection (`seat_changes/notices.rs`, started by
//!   `Store::listen_for_outbox_commits`) wakes its [`OutboxWake`] on it. A
//!   lost notice or connection falls back to the worker's poll.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Notify;

use super::outbox::{Pending, Rows};
use crate::ids::TenantId;

/// The PostgreSQL channel a commit that wrote events notifies.
pub const OUTBOX_CHANNEL: &str = "seatwise_outbox";

/// The write transaction running in this task, as the outbox sees it.
#[derive(Default)]
struct Transaction {
    /// Whether it wrote (or will write, at COMMIT) an event.
    wrote: Cell<bool>,
    /// Its events not sent to the database yet.
    pending: RefCell<Pending>,
}

tokio::task_local! {
    static TRANSACTION: Transaction;
}

/// What [`tracking`] saw of a transaction's body.
pub(crate) struct Tracked {
    /// The body wrote events: wake the worker once they are committed.
    pub wrote_events: bool,
    /// Events still to write before `COMMIT`, in the same transaction
    /// (dropped unwritten if it rolls back).
    pub pending: Pending,
}

/// Run `transaction` (a write transaction's body) and say whether it wrote
/// events, and which are still to be written before its `COMMIT`.
pub(crate) async fn tracking<F: Future>(transaction: F) -> (F::Output, Tracked) {
    TRANSACTION
        .scope(Transaction::default(), async move {
            let output = transaction.await;
            let tracked = TRANSACTION.with(|t| Tracked {
                wrote_events: t.wrote.get(),
                pending: t.pending.take(),
            });
            (output, tracked)
        })
        .await
}

/// An event is being written (inside its transaction). Outside
/// [`tracking`] nobody is woken: the worker finds it at its next poll.
pub(crate) fn written() {
    // Err only outside `tracking`, where there is no one to tell.
    let _outside_tracking = TRANSACTION.try_with(|t| t.wrote.set(true));
}

/// Keep `rows` for the transaction's last statement or its `COMMIT`;
/// outside [`tracking`] (no transaction whose end would write them) they
/// come back, for the caller to write at once.
pub(crate) fn defer(tenant: TenantId, rows: Rows) -> Result<(), Rows> {
    let mut rows = Some(rows);
    let _outside_tracking = TRANSACTION.try_with(|t| {
        if let Some(rows) = rows.take() {
            t.pending.borrow_mut().push(tenant, rows);
        }
    });
    rows.map_or(Ok(()), Err)
}

/// The events deferred so far in this task's transaction, taken out for a
/// statement that writes them (empty outside [`tracking`]).
pub(crate) fn take_pending() -> Pending {
    TRANSACTION
        .try_with(|t| t.pending.take())
        .unwrap_or_default()
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
