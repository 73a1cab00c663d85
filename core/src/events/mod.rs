//! Events for outbound webhooks, recorded in a transactional outbox.
//!
//! - `event.rs`: [`EventKind`] and the JSON body every event is sent as.
//! - `outbox.rs`: writing events in the transaction of the change that
//!   caused them (events only, each with its place in the tenant's
//!   sequence).
//! - `fan_out.rs`: the delivery worker making one delivery per subscribed
//!   endpoint from those events, in sequence order.
//! - `endpoints.rs`: a tenant's endpoints and their signing secrets.
//! - `delivery.rs`: the delivery worker's queue, and the delivery log.
//! - `prune.rs`: deleting delivered rows past their retention.
//! - `wake.rs`, `announce.rs`: waking delivery workers when events commit,
//!   this process's in-process, other replicas' by a notice sent after the
//!   commit.
//!
//! The hooks below are what the rest of the core calls, from inside its
//! write transactions: [`record_license_changes`] with the
//! [`LicenseChanges`] a write built, [`license_errors`] from the seat
//! engine, [`seat_change_finished`] from the seat-change transitions and
//! [`seats_changed`] where an app's seats move. Each costs one indexed
//! read when the tenant has no endpoint for its events, and nothing more.

pub(crate) mod announce;
mod delivery;
mod endpoints;
mod event;
mod fan_out;
mod outbox;
mod prune;
pub mod wake;

pub use delivery::{
    AfterRecording, AttemptOutcome, ClaimedEndpoint, MAX_CLAIM, QueuedDelivery, WebhookDelivery,
};
pub use endpoints::{
    MAX_ENDPOINTS_PER_TENANT, MAX_URL_LEN, NewWebhookEndpoint, SECRET_PREFIX, WebhookEndpoint,
    WebhookEndpointUpdate, WebhookSecret,
};
pub use event::{EventKind, PAYLOAD_VERSION};
pub use fan_out::{FAN_OUT_BATCH, FAN_OUT_ENDPOINTS};
pub use prune::{PRUNE_BATCH, Pruned};

pub(crate) use outbox::{
    Pending, WithParts, pg_carrying_parts, write_pending, write_sqlite as write_pending_sqlite,
};

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::{Conn, on_conn};
use crate::error::CoreResult;
use crate::ids::{AnyId, AppId, GroupId, TenantId, UserId};
use crate::licensing::LicenseChanges;
use crate::model::Seats;
use crate::schema::{app_subscriptions, group_members, license_assignments, seat_alerts};
use crate::seat_changes::SeatChangeOperation;
use crate::stored::{StoredEnum, stored_enum};
use crate::subscriptions::{SubscriptionState, SubscriptionStatus};
use event::Event;

/// Where one delivery stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum DeliveryStatus {
    /// Not delivered yet; tried (again) at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Out of retries; sent again only by a redelivery.
    Failed,
}

stored_enum!(DeliveryStatus {
    Pending => "PENDING",
    Delivered => "DELIVERED",
    Failed => "FAILED",
});

/// Ids per `IN (…)` list on SQLite.
const ID_CHUNK: usize = 10_000;

/// Record `license.assigned` (with each user's path to the license) and
/// `license.unassigned` events for a write's [`LicenseChanges`], in its
/// transaction. Called once per write, where the write builds them.
pub(crate) async fn record_license_changes(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    changes: &LicenseChanges,
) -> CoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let subscribers = outbox::subscribers(conn, tenant).await?;
    record_license_changes_to(conn, tenant, &subscribers, changes).await
}

/// The tenant's webhook subscriptions, read once so a write can pass them
/// to the `*_to` hooks: the batched seat engine reads them before it takes
/// the app's lock, so the hooks add no statement under it when nobody
/// listens.
pub(crate) type Subscribers = BTreeMap<EventKind, Vec<crate::ids::WebhookEndpointId>>;

/// Read the tenant's [`Subscribers`] (one indexed read).
pub(crate) async fn subscribers(conn: &mut Conn<'_>, tenant: TenantId) -> CoreResult<Subscribers> {
    outbox::subscribers(conn, tenant).await
}

/// [`record_license_changes`] with subscriptions read earlier in the same
/// transaction: nothing is read or written when none wants these events.
pub(crate) async fn record_license_changes_to(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    subscribers: &Subscribers,
    changes: &LicenseChanges,
) -> CoreResult<()> {
    record_license_changes_known(conn, tenant, subscribers, changes, &KnownPaths::new()).await
}

/// How a user holds an app's license: directly, and through which
/// assigned groups (by id, in id order). The `path` of `license.assigned`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LicensePath {
    pub direct: bool,
    pub groups: Vec<GroupId>,
}

impl LicensePath {
    /// Assigned directly and through no group.
    pub(crate) fn direct_only() -> Self {
        Self {
            direct: true,
            groups: Vec::new(),
        }
    }
}

/// Paths a write already knows for users it gave a seat, so
/// `license.assigned` need not read them back. Users not in it are read.
pub(crate) type KnownPaths = BTreeMap<UserId, LicensePath>;

/// [`record_license_changes_to`] with the `known` paths of some gained
/// users (every other user's path is read: two indexed reads per app).
pub(crate) async fn record_license_changes_known(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    subscribers: &Subscribers,
    changes: &LicenseChanges,
    known: &KnownPaths,
) -> CoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let kinds = [EventKind::LicenseAssigned, EventKind::LicenseUnassigned];
    if !outbox::wanted(subscribers, &kinds) {
        return Ok(());
    }
    let want_assigned = subscribers.contains_key(&EventKind::LicenseAssigned);
    let mut events = Vec::new();
    for (app, change) in changes.apps() {
        for user in change.lost() {
            events.push(Event::new(
                EventKind::LicenseUnassigned,
                serde_json::json!({ "appId": app, "userId": user }),
            ));
        }
        if want_assigned && !change.gained().is_empty() {
            let gained: Vec<UserId> = change.gained().iter().copied().collect();
            let unknown: Vec<UserId> = gained
                .iter()
                .filter(|u| !known.contains_key(u))
                .copied()
                .collect();
            let read = if unknown.is_empty() {
                KnownPaths::new()
            } else {
                paths(conn, tenant, app, &unknown).await?
            };
            for user in gained {
                let path = known
                    .get(&user)
                    .or_else(|| read.get(&user))
                    .cloned()
                    .unwrap_or_default();
                events.push(Event::new(
                    EventKind::LicenseAssigned,
                    serde_json::json!({
                        "appId": app,
                        "userId": user,
                        "path": { "direct": path.direct, "groupIds": path.groups },
                    }),
                ));
            }
        }
    }
    outbox::enqueue(conn, tenant, subscribers, events).await
}

/// How each of `users` holds `app` now: directly, and through which
/// assigned groups (by id).
async fn paths(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    users: &[UserId],
) -> CoreResult<KnownPaths> {
    let mut out = KnownPaths::new();
    for chunk in users.chunks(ID_CHUNK) {
        let principals: Vec<AnyId> = chunk.iter().map(|u| AnyId(u.0)).collect();
        let direct = license_assignments::table
            .filter(license_assignments::tenant_id.eq(tenant))
            .filter(license_assignments::app_id.eq(app))
            .filter(license_assignments::principal_id.eq_any(&principals))
            .select(license_assignments::principal_id);
        let direct: Vec<AnyId> = on_conn!(conn, c => direct.load(c).await)?;
        for user in direct {
            out.entry(UserId(user.0)).or_default().direct = true;
        }
        let via = group_members::table
            .inner_join(
                license_assignments::table.on(license_assignments::tenant_id
                    .eq(group_members::tenant_id)
                    .and(license_assignments::principal_id.eq(group_members::group_id))),
            )
            .filter(group_members::tenant_id.eq(tenant))
            .filter(group_members::user_id.eq_any(chunk))
            .filter(license_assignments::app_id.eq(app))
            .order((group_members::user_id, group_members::group_id))
            .select((group_members::user_id, group_members::group_id));
        let via: Vec<(UserId, GroupId)> = on_conn!(conn, c => via.load(c).await)?;
        for (user, group) in via {
            out.entry(user).or_default().groups.push(group);
        }
    }
    Ok(out)
}

/// Record `license.error` events: `raised` users started waiting for a
/// seat of `app` in `COUNT_VIOLATION`, `resolved` users stopped waiting
/// (they took a seat). Called by the seat engine, which decides both.
pub(crate) async fn license_errors(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    raised: &[UserId],
    resolved: &[UserId],
) -> CoreResult<()> {
    if raised.is_empty() && resolved.is_empty() {
        return Ok(());
    }
    let subscribers = outbox::subscribers(conn, tenant).await?;
    license_errors_to(conn, tenant, &subscribers, app, raised, resolved).await
}

/// [`license_errors`] with subscriptions read earlier in the transaction.
pub(crate) async fn license_errors_to(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    subscribers: &Subscribers,
    app: AppId,
    raised: &[UserId],
    resolved: &[UserId],
) -> CoreResult<()> {
    if raised.is_empty() && resolved.is_empty() {
        return Ok(());
    }
    if !outbox::wanted(subscribers, &[EventKind::LicenseError]) {
        return Ok(());
    }
    let event = |user: &UserId, state: &str| {
        Event::new(
            EventKind::LicenseError,
            serde_json::json!({
                "appId": app, "userId": user, "code": "COUNT_VIOLATION", "state": state,
            }),
        )
    };
    // The engine never raises and resolves one user in one call.
    let events: Vec<Event> = resolved
        .iter()
        .map(|u| event(u, "RESOLVED"))
        .chain(raised.iter().map(|u| event(u, "RAISED")))
        .collect();
    outbox::enqueue(conn, tenant, subscribers, events).await
}

/// Record `seatChange.finished` when a seat-change operation reaches a
/// final state (called from the transition that writes it).
pub(crate) async fn seat_change_finished(
    conn: &mut Conn<'_>,
    op: &SeatChangeOperation,
) -> CoreResult<()> {
    if !op.status.is_final() {
        return Ok(());
    }
    let subscribers = outbox::subscribers(conn, op.tenant_id).await?;
    if !outbox::wanted(&subscribers, &[EventKind::SeatChangeFinished]) {
        return Ok(());
    }
    let event = Event::new(
        EventKind::SeatChangeFinished,
        serde_json::json!({
            "appId": op.app_id,
            "operationId": op.id,
            "status": op.status.stored(),
            "previousQuantity": op.previous_quantity,
            "requestedQuantity": op.requested_quantity,
            "message": op.message,
        }),
    );
    outbox::enqueue(conn, op.tenant_id, &subscribers, vec![event]).await
}

/// Record the event of a subscription's new `status` (`subscription.expiring`,
/// `.expired` or `.disabled`; nothing for `ACTIVE`), called by the
/// subscription watcher in the transaction that remembers it was
/// announced. Whether an event was written.
pub(crate) async fn subscription_state_changed(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    status: &SubscriptionStatus,
    term_end: chrono::NaiveDate,
    auto_renew: bool,
) -> CoreResult<bool> {
    let kind = match status.state {
        SubscriptionState::Active => return Ok(false),
        SubscriptionState::Expiring => EventKind::SubscriptionExpiring,
        SubscriptionState::Expired => EventKind::SubscriptionExpired,
        SubscriptionState::Disabled => EventKind::SubscriptionDisabled,
    };
    let subscribers = outbox::subscribers(conn, tenant).await?;
    if !outbox::wanted(&subscribers, &[kind]) {
        return Ok(false);
    }
    let event = Event::new(
        kind,
        serde_json::json!({
            "appId": app,
            "state": status.state.stored(),
            "termEnd": term_end,
            "renewsOn": status.renews_on,
            "daysToRenewal": status.days_to_renewal,
            "autoRenew": auto_renew,
        }),
    );
    outbox::enqueue(conn, tenant, &subscribers, vec![event]).await?;
    Ok(true)
}

/// An app's low-seat threshold: set with its subscription terms
/// (`app_subscriptions.low_seat_threshold`); an app without terms has
/// none, and [`seats_changed`] returns at once.
async fn low_seat_threshold(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
) -> CoreResult<Option<i64>> {
    let query = app_subscriptions::table
        .filter(app_subscriptions::tenant_id.eq(tenant))
        .filter(app_subscriptions::app_id.eq(app))
        .select(app_subscriptions::low_seat_threshold);
    Ok(on_conn!(conn, c => query.first::<i64>(c).await.optional())?)
}

/// Whether `seats` are low for `threshold`.
fn is_low(seats: Seats, threshold: i64) -> bool {
    seats.available() <= threshold
}

/// Record `seats.low` when `app`'s available seats cross down to its
/// low-seat threshold: once per crossing, remembered in `seat_alerts`
/// (crossing back up re-arms it). Called where an app's seats change,
/// with the app row locked.
pub(crate) async fn seats_changed(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    seats: Seats,
) -> CoreResult<()> {
    let threshold = low_seat_threshold(conn, tenant, app).await?;
    seats_changed_at(conn, tenant, app, seats, threshold).await
}

/// [`seats_changed`] with the app's low-seat threshold already read under
/// its lock (`None`: the app has no subscription terms, nothing to do).
pub(crate) async fn seats_changed_at(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    seats: Seats,
    threshold: Option<i64>,
) -> CoreResult<()> {
    let Some(threshold) = threshold else {
        return Ok(());
    };
    let low = is_low(seats, threshold);
    let was_low: Option<bool> = on_conn!(conn, c => seat_alerts::table
        .filter(seat_alerts::tenant_id.eq(tenant))
        .filter(seat_alerts::app_id.eq(app))
        .select(seat_alerts::below_threshold)
        .first(c)
        .await
        .optional())?;
    if was_low == Some(low) || (was_low.is_none() && !low) {
        return Ok(());
    }
    let upsert = diesel::insert_into(seat_alerts::table)
        .values((
            seat_alerts::tenant_id.eq(tenant),
            seat_alerts::app_id.eq(app),
            seat_alerts::below_threshold.eq(low),
        ))
        .on_conflict((seat_alerts::tenant_id, seat_alerts::app_id))
        .do_update()
        .set(seat_alerts::below_threshold.eq(low));
    on_conn!(conn, c => upsert.execute(c).await)?;
    if !low {
        return Ok(());
    }
    let subscribers = outbox::subscribers(conn, tenant).await?;
    let event = Event::new(
        EventKind::SeatsLow,
        serde_json::json!({
            "appId": app,
            "purchased": seats.purchased,
            "assigned": seats.assigned,
            "available": seats.available(),
            "threshold": threshold,
        }),
    );
    outbox::enqueue(conn, tenant, &subscribers, vec![event]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_are_low_at_and_below_the_threshold() {
        let seats = |purchased, assigned| Seats {
            purchased,
            assigned,
        };
        assert!(!is_low(seats(10, 7), 2));
        assert!(is_low(seats(10, 8), 2));
        assert!(is_low(seats(10, 10), 2));
    }
}
