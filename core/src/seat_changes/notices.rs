//! Telling watchers that a seat-change operation changed, without polling.
//!
//! Every process keeps one [`SeatChangeNotices`] (inside its [`Store`]) that
//! fans notices out to any number of [`SeatChangeWatcher`]s through a
//! `tokio::sync::broadcast` channel. A watcher re-reads its operation only
//! when a notice names it, so an idle watcher costs the database nothing.
//!
//! Where notices come from depends on the backend:
//!
//! - **PostgreSQL** (several replicas share the database): every transition
//!   sends `pg_notify` inside its own transaction ([`within`]), so the notice
//!   is delivered exactly when the change commits and never for a rollback.
//!   Each process holds one dedicated connection (outside the pool) that
//!   `LISTEN`s on [`CHANNEL`] and feeds the broadcast, so a change made by
//!   any replica's worker reaches the watchers of every replica, this one
//!   included. The listener starts with the first watcher, reconnects when
//!   its connection drops, and after every (re)connect sends
//!   [`SeatChangeNotice::ReadAgain`]: notices sent while it was not listening
//!   are lost, so every watcher re-reads once.
//! - **SQLite** (one process): the transition publishes to the broadcast
//!   after its transaction committed ([`SeatChangeNotices::committed`]).
//!
//! A watcher that falls more than the channel's capacity behind is told to
//! re-read too, so a burst of changes can delay a watcher but never make it
//! miss the last state.
//!
//! The same connection also `LISTEN`s on the outbox's channel
//! ([`OUTBOX_CHANNEL`]), on which every process announces its commits that
//! wrote webhook events (`events/announce.rs`): another process's notice
//! wakes this process's delivery worker ([`OutboxWake`]), so an event
//! committed by any replica is claimed at once, not at the next poll; this
//! process's own notices are ignored (its commits woke the worker
//! in-process). A (re)connect wakes it too (notices may have been missed);
//! while the connection is down the worker polls. The delivery worker
//! starts the listener ([`SeatChangeNotices::listen`]).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::StreamExt as _;
use tokio::sync::{broadcast, watch};

use super::{SeatChangeOperation, SeatChangeOperationId};
use crate::db::{Conn, Store};
use crate::error::CoreResult;
use crate::events::announce::Origin;
use crate::events::wake::{OUTBOX_CHANNEL, OutboxWake};
use crate::ids::TenantId;

/// The PostgreSQL channel seat-change notices travel on.
pub const CHANNEL: &str = "seatwise_seat_changes";

/// Notices a slow watcher may fall behind by before it is told to re-read.
const CAPACITY: usize = 1_024;

/// Longest wait between two attempts to re-open the listening connection.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(5);

/// What a watcher is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatChangeNotice {
    /// This operation changed (the change is committed).
    Changed {
        /// Its tenant.
        tenant: TenantId,
        /// The operation.
        id: SeatChangeOperationId,
    },
    /// Notices may have been missed: every watcher re-reads its operation.
    ReadAgain,
}

/// The process's fan-out of seat-change notices. Cheap to clone.
#[derive(Clone)]
pub(crate) struct SeatChangeNotices {
    inner: Arc<Inner>,
}

struct Inner {
    sender: broadcast::Sender<SeatChangeNotice>,
    /// Set on PostgreSQL: the connection that `LISTEN`s for other replicas'
    /// changes (and this one's).
    listener: Option<Listener>,
}

struct Listener {
    url: String,
    /// Woken by other processes' outbox notices (and by every (re)connect).
    outbox: OutboxWake,
    /// This process's outbox notices, which do not wake it.
    origin: Origin,
    started: OnceLock<()>,
    /// Dropped with the last clone of the store, which stops the listener
    /// and closes its connection.
    stop: watch::Sender<()>,
}

impl SeatChangeNotices {
    /// Notices published in this process only (SQLite).
    pub(crate) fn in_process() -> Self {
        Self::new(None)
    }

    /// Notices received by `LISTEN` on a connection of its own to `url`
    /// (PostgreSQL); outbox notices not sent by `origin` wake `outbox`.
    /// The connection sends nothing but its `LISTEN`, which is set-up, not
    /// a request's statement: it is not counted in the store's statements
    /// (it may start at any time, e.g. with the delivery worker).
    pub(crate) fn postgres(url: String, outbox: OutboxWake, origin: Origin) -> Self {
        Self::new(Some(Listener {
            url,
            outbox,
            origin,
            started: OnceLock::new(),
            stop: watch::channel(()).0,
        }))
    }

    fn new(listener: Option<Listener>) -> Self {
        Self {
            inner: Arc::new(Inner {
                sender: broadcast::channel(CAPACITY).0,
                listener,
            }),
        }
    }

    /// A new watcher. It sees every notice published from now on; on
    /// PostgreSQL the first watcher starts the listener.
    pub(crate) fn watch(&self) -> SeatChangeWatcher {
        let receiver = self.inner.sender.subscribe();
        if let Some(listener) = &self.inner.listener {
            listener.start_once(&self.inner.sender);
        }
        SeatChangeWatcher { receiver }
    }

    /// Start the PostgreSQL listener if it is not running yet, so outbox
    /// notices from every replica wake this process's delivery worker (a
    /// no-op on SQLite: one process, woken by its own commits).
    pub(crate) fn listen(&self) {
        if let Some(listener) = &self.inner.listener {
            listener.start_once(&self.inner.sender);
        }
    }

    /// `op`'s change has committed. On SQLite this is where watchers hear
    /// of it; on PostgreSQL the `pg_notify` sent in the transaction does it.
    pub(crate) fn committed(&self, op: &SeatChangeOperation) {
        if self.inner.listener.is_none() {
            // An error only means nobody is watching.
            let _ = self.inner.sender.send(SeatChangeNotice::Changed {
                tenant: op.tenant_id,
                id: op.id,
            });
        }
    }
}

impl Listener {
    fn start_once(&self, sender: &broadcast::Sender<SeatChangeNotice>) {
        crate::background::spawn_once(
            &self.started,
            "seat-change notices are not received",
            || {
                listen(
                    self.url.clone(),
                    self.outbox.clone(),
                    self.origin.clone(),
                    sender.clone(),
                    self.stop.subscribe(),
                )
            },
        );
    }
}

/// Send the notice for `op` inside the transaction that changes it
/// (PostgreSQL; a no-op on SQLite, which publishes after the commit).
pub(crate) async fn within(conn: &mut Conn<'_>, op: &SeatChangeOperation) -> CoreResult<()> {
    if let Conn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(payload(op.tenant_id, op.id))
            .execute(*c)
            .await?;
    }
    Ok(())
}

fn payload(tenant: TenantId, id: SeatChangeOperationId) -> String {
    format!("{}/{}", tenant.0, id.0)
}

fn parse(payload: &str) -> Option<SeatChangeNotice> {
    let (tenant, id) = payload.split_once('/')?;
    Some(SeatChangeNotice::Changed {
        tenant: TenantId(uuid::Uuid::parse_str(tenant).ok()?),
        id: SeatChangeOperationId(uuid::Uuid::parse_str(id).ok()?),
    })
}

/// The listener: `LISTEN` on a dedicated connection, forward each notice,
/// reconnect (with a growing delay) when the connection fails, until the
/// store is dropped.
async fn listen(
    url: String,
    outbox: OutboxWake,
    origin: Origin,
    sender: broadcast::Sender<SeatChangeNotice>,
    mut stop: watch::Receiver<()>,
) {
    let mut delay = Duration::from_millis(100);
    loop {
        let connected = tokio::select! {
            connected = connect(&url) => connected,
            _ = stop.changed() => return,
        };
        match connected {
            Ok(mut conn) => {
                delay = Duration::from_millis(100);
                tracing::debug!("listening for seat-change and outbox notices");
                // Changes committed before LISTEN took effect sent no notice
                // we could receive.
                let _ = sender.send(SeatChangeNotice::ReadAgain);
                outbox.committed();
                let mut notices = std::pin::pin!(conn.notifications_stream());
                loop {
                    let next = tokio::select! {
                        next = notices.next() => next,
                        _ = stop.changed() => return,
                    };
                    match next {
                        Some(Ok(notice)) if notice.channel == OUTBOX_CHANNEL => {
                            if !origin.sent(&notice.payload) {
                                outbox.committed();
                            }
                        }
                        Some(Ok(notice)) => match parse(&notice.payload) {
                            Some(notice) => {
                                let _ = sender.send(notice);
                            }
                            None => tracing::warn!(
                                payload = %notice.payload,
                                "ignoring a malformed seat-change notice"
                            ),
                        },
                        Some(Err(error)) => {
                            tracing::warn!(%error, "lost the seat-change notice connection; reconnecting");
                            break;
                        }
                        None => {
                            tracing::warn!(
                                "the seat-change notice connection closed; reconnecting"
                            );
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?delay, "cannot listen for seat-change notices");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = stop.changed() => return,
                }
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
            }
        }
    }
}

async fn connect(url: &str) -> Result<AsyncPgConnection, diesel::ConnectionError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    // One LISTEN each, the seat changes' last: `pg_stat_activity` shows a
    // connection's last statement, and operators (and a test) find the
    // listener by it.
    for channel in [OUTBOX_CHANNEL, CHANNEL] {
        conn.batch_execute(&format!("LISTEN {channel}"))
            .await
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    }
    Ok(conn)
}

/// One watcher's view of the notices (see the module docs).
pub struct SeatChangeWatcher {
    receiver: broadcast::Receiver<SeatChangeNotice>,
}

/// Why a watcher should look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The operation changed, or notices may have been missed: re-read it.
    ReadAgain,
    /// The store is gone; no notice will ever come.
    Closed,
}

impl SeatChangeWatcher {
    /// Wait until operation `id` of `tenant` may have changed. Notices for
    /// other operations are skipped without touching the database.
    pub async fn changed(&mut self, tenant: TenantId, id: SeatChangeOperationId) -> Wake {
        loop {
            match self.receiver.recv().await {
                Ok(SeatChangeNotice::Changed { tenant: t, id: i }) if t == tenant && i == id => {
                    return Wake::ReadAgain;
                }
                Ok(SeatChangeNotice::Changed { .. }) => {}
                Ok(SeatChangeNotice::ReadAgain) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Wake::ReadAgain;
                }
                Err(broadcast::error::RecvError::Closed) => return Wake::Closed,
            }
        }
    }
}

impl Store {
    /// Start watching seat-change operations: the watcher wakes when one
    /// changes, whichever replica changed it. Create it *before* reading the
    /// operation's current state, so no change slips in between.
    pub fn watch_seat_changes(&self) -> SeatChangeWatcher {
        self.seat_change_notices().watch()
    }

    /// Have [`Store::outbox_wake`] woken by every replica's commits that
    /// wrote webhook events, not only this process's: on PostgreSQL this
    /// starts the listening connection (once; see the module docs). The
    /// delivery worker calls it when it starts. A no-op on SQLite.
    pub fn listen_for_outbox_commits(&self) {
        self.seat_change_notices().listen();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let tenant = TenantId(uuid::Uuid::now_v7());
        let id = SeatChangeOperationId::new();
        assert_eq!(
            parse(&payload(tenant, id)),
            Some(SeatChangeNotice::Changed { tenant, id })
        );
        assert_eq!(parse("not/a-notice"), None);
        assert_eq!(parse(""), None);
    }
}
