//! Telling the other replicas that this process committed webhook events
//! (PostgreSQL), so their delivery workers wake at once instead of at
//! their next poll.
//!
//! The notice is sent *after* the commit, by a task of its own on a
//! dedicated connection, not by the writing transaction. A `NOTIFY` inside
//! the transaction would be delivered at exactly the right moment, but
//! PostgreSQL serialises the commits of all notifying transactions on one
//! database-wide lock, held until each commit is flushed: with pgbench, 16
//! clients each updating a different row and inserting an event row ran
//! 2,613–2,964 transactions/s with a `NOTIFY` in each and 4,816–6,502
//! without (6 interleaved runs of each). A lone writer sees no difference.
//!
//! - **Coalesced**: commits signal a [`Notify`]; the task sends one
//!   `pg_notify` for however many commits signalled while it was busy,
//!   then waits [`SPACING`] before the next, so a burst of writes costs at
//!   most one notice per `SPACING` and a lone commit is announced at once.
//! - **Tagged**: the notice's payload is this process's [`Origin`], and
//!   this process's own listener ignores it (`seat_changes/notices.rs`):
//!   its worker was already woken in-process ([`super::wake::OutboxWake`]).
//! - **A hint, never the record**: the events are committed before the
//!   notice is sent, so a notice lost (this process exits right after the
//!   commit, the connection is down) only delays their delivery to the
//!   workers' next poll. Nothing here is needed for correctness.
//! - The connection is opened on the first announcement and kept; it is
//!   outside the pool and its statements are not counted as a request's
//!   (they run after the request's answer, on a schedule of their own).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::{Notify, watch};

use super::wake::OUTBOX_CHANNEL;

/// Least time between two notices from one process: under a stream of
/// writes, other replicas' workers are woken at most this much later than
/// the commit, and each replica sends at most 100 notices a second.
pub const SPACING: Duration = Duration::from_millis(10);

/// Longest wait before trying to reconnect after the connection failed.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Which process sent an outbox notice: random per store (and shared by its
/// clones), so a process recognises its own notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin(String);

impl Origin {
    pub(crate) fn new() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    /// Whether a notice with this payload came from this process.
    pub(crate) fn sent(&self, payload: &str) -> bool {
        self.0 == payload
    }
}

/// Announces this process's outbox commits to the other replicas. Cheap to
/// clone (clones share the task and its connection).
#[derive(Clone)]
pub(crate) struct OutboxAnnouncer {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    origin: Origin,
    connect_timeout: Duration,
    /// Signalled by each commit; holds one permit while the task is busy,
    /// which is how commits coalesce.
    owed: Arc<Notify>,
    started: OnceLock<()>,
    /// Dropped with the last clone of the store, which stops the task and
    /// closes its connection.
    stop: watch::Sender<()>,
}

impl OutboxAnnouncer {
    pub(crate) fn new(url: String, origin: Origin, connect_timeout: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                url,
                origin,
                connect_timeout,
                owed: Arc::new(Notify::new()),
                started: OnceLock::new(),
                stop: watch::channel(()).0,
            }),
        }
    }

    /// A transaction that wrote events has committed: announce it (soon,
    /// off the caller's path).
    pub(crate) fn committed(&self) {
        let inner = &self.inner;
        crate::background::spawn_once(
            &inner.started,
            "outbox commits are not announced to replicas",
            || {
                announce(
                    inner.url.clone(),
                    inner.origin.clone(),
                    inner.connect_timeout,
                    inner.owed.clone(),
                    inner.stop.subscribe(),
                )
            },
        );
        inner.owed.notify_one();
    }
}

/// The task: wait for a commit, send one notice, pause, repeat; until the
/// store is dropped (an owed notice is still sent first).
async fn announce(
    url: String,
    origin: Origin,
    connect_timeout: Duration,
    owed: Arc<Notify>,
    mut stop: watch::Receiver<()>,
) {
    let mut conn: Option<AsyncPgConnection> = None;
    let mut retry_delay = SPACING;
    loop {
        tokio::select! {
            // A store dropped right after its commit still announces it.
            biased;
            () = owed.notified() => {}
            _ = stop.changed() => return,
        }
        let pause = match send(&mut conn, &url, &origin, connect_timeout).await {
            Ok(()) => {
                retry_delay = SPACING;
                SPACING
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?retry_delay,
                    "cannot announce outbox commits to other replicas; their workers poll");
                conn = None;
                // The events stay owed: the next commit, or this retry,
                // announces them.
                owed.notify_one();
                let pause = retry_delay;
                retry_delay = (retry_delay * 2).min(MAX_RETRY_DELAY);
                pause
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One `pg_notify` on [`OUTBOX_CHANNEL`], connecting first if needed.
async fn send(
    conn: &mut Option<AsyncPgConnection>,
    url: &str,
    origin: &Origin,
    connect_timeout: Duration,
) -> Result<(), String> {
    let c = match conn {
        Some(c) => c,
        None => conn.insert(
            crate::db::establish_pg(url, connect_timeout)
                .await
                .map_err(|e| e.to_string())?,
        ),
    };
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(OUTBOX_CHANNEL)
        .bind::<Text, _>(&origin.0)
        .execute(c)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_recognises_its_own_notices_only() {
        let mine = Origin::new();
        let theirs = Origin::new();
        assert!(mine.sent(&mine.0));
        assert!(!mine.sent(&theirs.0));
        // Older replicas notify with an empty payload.
        assert!(!mine.sent(""));
    }
}
