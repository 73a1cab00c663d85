//! The root `Subscription` type, served over websocket at `/graphql/ws`.
//!
//! `seatChangeOperationUpdated` re-reads its operation only when told it
//! changed. The worker that advances an operation may run on another
//! replica, so the notice comes from the core's seat-change notifier
//! (`Store::watch_seat_changes`): one per process, fed by PostgreSQL
//! `LISTEN/NOTIFY` (sent in the transaction of every change, so it crosses
//! replicas) or, on SQLite, by the transition itself after it commits. An
//! idle subscription therefore costs the database nothing; before, each
//! one polled its row every 500 ms, so 1,000 idle subscribers cost 2,000
//! statements a second. A subscriber also re-reads once at start, and
//! whenever notices may have been lost (the listening connection
//! reconnected, or the subscriber fell behind a burst).
//!
//! A subscription ends at its token's expiry with `UNAUTHENTICATED`
//! ("the token has expired"): the websocket outlives the check made at
//! `connection_init`, and must not serve a caller longer than their token.
//! The connection limits (subscriptions per connection, init timeout,
//! message size) live in `crate::websocket`.

use std::time::SystemTime;

use async_graphql::{Context, ID, Subscription};
use futures::Stream;
use seatwise_core::ids::TenantId;
use seatwise_core::seat_changes::{self, SeatChangeOperationId, SeatChangeWatcher, Wake};
use seatwise_core::{InputField, Store};

use super::context::{authorize, store, token_expiry};
use super::errors::{ApiError, ApiResult};
use super::ids;
use super::types::SeatChangeOperation;
use crate::auth::{AuthError, Permission};

/// Everything a client can watch, over websocket (`graphql-transport-ws`
/// or `graphql-ws`) at `/graphql/ws`. Authenticate with the
/// `connection_init` payload `{"Authorization": "Bearer <token>"}`.
pub struct SubscriptionRoot;

/// Everything a client can watch, over websocket (`graphql-transport-ws`
/// or `graphql-ws`) at `/graphql/ws`. Authenticate with the
/// `connection_init` payload `{"Authorization": "Bearer <token>"}`.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// A seat-change operation: its current state at once, then each time it
    /// changes; the stream ends after the operation reaches a final status
    /// (`SUCCEEDED`, `FAILED`, `CONTACT_VENDOR` or `REJECTED`), or with an
    /// `UNAUTHENTICATED` error when the token expires.
    async fn seat_change_operation_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The operation's global id.")] id: ID,
    ) -> Result<
        impl Stream<Item = Result<SeatChangeOperation, async_graphql::Error>> + use<>,
        async_graphql::Error,
    > {
        Ok(updates(start_watch(ctx, &id).await?))
    }
}

/// Check the caller and the id, start listening, and read the operation's
/// current state.
async fn start_watch(ctx: &Context<'_>, id: &ID) -> ApiResult<Watch> {
    let caller = authorize(ctx, Permission::ReadTenant)?;
    let expires_at = token_expiry(ctx);
    if expires_at.is_some_and(|at| at <= SystemTime::now()) {
        return Err(ApiError::Unauthenticated(AuthError::Expired));
    }
    let op_id = ids::seat_change_operation_id(InputField::Id, id)?;
    let store = store(ctx)?.clone();
    // Listen before reading, so a change committed in between still wakes us.
    let watcher = store.watch_seat_changes();
    let first = store.seat_change_operation(caller.tenant, op_id).await?;
    Ok(Watch {
        store,
        watcher,
        tenant: caller.tenant,
        id: op_id,
        expiry: expires_at.map(deadline),
        next: Some(first),
        last: None,
        expired: false,
        retry: false,
    })
}

/// The tokio instant of a wall-clock time (now, if it has passed).
fn deadline(at: SystemTime) -> tokio::time::Instant {
    let left = at.duration_since(SystemTime::now()).unwrap_or_default();
    tokio::time::Instant::now()
        .checked_add(left)
        // Centuries ahead: a year from now is as good.
        .unwrap_or_else(|| tokio::time::Instant::now() + std::time::Duration::from_secs(31_536_000))
}

/// What a subscriber sees change (leases and due times are the worker's
/// business and would only cause empty updates).
fn visible(op: &seat_changes::SeatChangeOperation) -> impl PartialEq + use<> {
    (
        op.status,
        op.vendor_ref.clone(),
        op.message.clone(),
        op.contact.clone(),
        op.attempts,
        op.completed_at,
    )
}

struct Watch {
    store: Store,
    watcher: SeatChangeWatcher,
    tenant: TenantId,
    id: SeatChangeOperationId,
    /// When the token expires.
    expiry: Option<tokio::time::Instant>,
    /// The state to emit next (the first one is emitted at once).
    next: Option<seat_changes::SeatChangeOperation>,
    /// The last state emitted.
    last: Option<seat_changes::SeatChangeOperation>,
    /// The expiry error was sent: end.
    expired: bool,
    /// The last re-read failed: try again after [`RETRY_READ_AFTER`] even
    /// without a notice.
    retry: bool,
}

/// How long a subscriber whose re-read failed waits before trying again.
const RETRY_READ_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Resolves when the token expires; never without an expiry.
async fn expiry(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The operation's states: the current one, then each visible change, until
/// a final status or the token's expiry.
fn updates(watch: Watch) -> impl Stream<Item = Result<SeatChangeOperation, async_graphql::Error>> {
    futures::stream::unfold(watch, |mut watch| async move {
        loop {
            if watch.expired {
                return None;
            }
            if let Some(op) = watch.next.take() {
                watch.last = Some(op.clone());
                return Some((Ok(SeatChangeOperation(op)), watch));
            }
            if watch.last.as_ref().is_some_and(|op| op.status.is_final()) {
                return None;
            }
            let wake = tokio::select! {
                wake = watch.watcher.changed(watch.tenant, watch.id) => wake,
                () = tokio::time::sleep(RETRY_READ_AFTER), if watch.retry => Wake::ReadAgain,
                () = expiry(watch.expiry) => {
                    watch.expired = true;
                    let expired = ApiError::Unauthenticated(AuthError::Expired).into();
                    return Some((Err(expired), watch));
                }
            };
            if wake == Wake::Closed {
                return None;
            }
            match watch
                .store
                .seat_change_operation(watch.tenant, watch.id)
                .await
            {
                Ok(op) => {
                    watch.retry = false;
                    let changed = watch
                        .last
                        .as_ref()
                        .is_none_or(|last| visible(last) != visible(&op));
                    if changed {
                        watch.next = Some(op);
                    }
                }
                // A database hiccup: keep the subscription and try again
                // soon (the notice that woke us will not come twice).
                Err(error) => {
                    watch.retry = true;
                    tracing::warn!(operation = %watch.id, %error, "subscription re-read failed");
                }
            }
        }
    })
}
