//! The root `Subscription` type, served over websocket at `/graphql/ws`.
//!
//! `seatChangeOperationUpdated` polls the store instead of listening to an
//! in-process event: the worker that advances an operation may run on
//! another replica, and replicas share nothing but the database. Polling one
//! row by primary key every half second per open subscription is cheap, needs
//! no message bus, and sees every change whichever replica made it.

use std::time::Duration;

use async_graphql::{Context, ID, Subscription};
use futures::Stream;
use seatwise_core::Store;
use seatwise_core::ids::TenantId;
use seatwise_core::seat_changes::{self, SeatChangeOperationId};

use super::context::{authorize, store};
use super::errors::ApiResult;
use super::ids;
use super::types::SeatChangeOperation;
use crate::auth::Permission;

/// How often an open subscription re-reads its operation.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

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
    /// (`SUCCEEDED`, `FAILED`, `CONTACT_VENDOR` or `REJECTED`).
    async fn seat_change_operation_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The operation's global id.")] id: ID,
    ) -> Result<impl Stream<Item = SeatChangeOperation> + use<>, async_graphql::Error> {
        Ok(updates(start_watch(ctx, &id).await?))
    }
}

/// Check the caller and the id, and read the operation's current state.
async fn start_watch(ctx: &Context<'_>, id: &ID) -> ApiResult<Watch> {
    let caller = authorize(ctx, Permission::ReadTenant)?;
    let op_id = ids::seat_change_operation_id("id", id)?;
    let store = store(ctx)?.clone();
    let first = store.seat_change_operation(caller.tenant, op_id).await?;
    Ok(Watch {
        store,
        tenant: caller.tenant,
        id: op_id,
        next: Some(first),
        last: None,
    })
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
    tenant: TenantId,
    id: SeatChangeOperationId,
    /// The state to emit next (the first one is emitted at once).
    next: Option<seat_changes::SeatChangeOperation>,
    /// The last state emitted.
    last: Option<seat_changes::SeatChangeOperation>,
}

/// The operation's states: the current one, then each visible change, until
/// a final status.
fn updates(watch: Watch) -> impl Stream<Item = SeatChangeOperation> {
    futures::stream::unfold(watch, |mut watch| async move {
        loop {
            if let Some(op) = watch.next.take() {
                watch.last = Some(op.clone());
                return Some((SeatChangeOperation(op), watch));
            }
            if watch.last.as_ref().is_some_and(|op| op.status.is_final()) {
                return None;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
            match watch
                .store
                .seat_change_operation(watch.tenant, watch.id)
                .await
            {
                Ok(op) => {
                    let changed = watch
                        .last
                        .as_ref()
                        .is_none_or(|last| visible(last) != visible(&op));
                    if changed {
                        watch.next = Some(op);
                    }
                }
                // A database hiccup: keep the subscription and try again.
                Err(error) => {
                    tracing::warn!(operation = %watch.id, %error, "subscription poll failed")
                }
            }
        }
    })
}
