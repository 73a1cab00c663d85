//! Fan-out: the delivery worker turns the outbox's events into deliveries,
//! one per enabled endpoint subscribed to the event's kind, off the
//! writer's path (a change writes only its events: `outbox.rs`).
//!
//! - Each endpoint keeps `fanned_out_seq`, the last number of its tenant's
//!   event sequence it has made deliveries for. A tenant's committed events
//!   are always a gap-free prefix of its sequence (the sequence row stays
//!   locked until the writer commits), so reading the events after that
//!   number, in order, and moving it to the last one read never skips an
//!   event and never makes one twice.
//! - One fan-out per endpoint at a time: its row is locked for the pass
//!   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a replica busy with it is
//!   skipped; on SQLite the write lock serialises).
//! - An endpoint starts at its tenant's current number when it is created
//!   and again when it is enabled after being disabled
//!   ([`current_seq`]): it receives the events recorded while it exists
//!   and is enabled.
//! - An event is matched against the endpoint's subscriptions when it is
//!   fanned out, which the worker does as soon as it is woken by the
//!   commit (or at its next poll). Before an endpoint is disabled or its
//!   events change, what it is owed so far is fanned out in that
//!   transaction ([`catch_up`]), so each event goes by the subscriptions
//!   in force when it was recorded.
//! - A pass takes at most [`FAN_OUT_ENDPOINTS`] endpoints and
//!   [`FAN_OUT_BATCH`] events of each, so a backlog never makes one huge
//!   transaction; the worker's next pass goes on.

use std::collections::BTreeSet;

use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::DeliveryStatus;
use super::event::EventKind;
use crate::db::{Conn, Store, insert_rows, on_conn, write_txn};
use crate::error::CoreResult;
use crate::ids::{EventId, TenantId, WebhookDeliveryId, WebhookEndpointId};
use crate::lease::load_skip_locked;
use crate::model::now;
use crate::schema::{
    outbox_events as oe, outbox_sequences, webhook_deliveries as wd, webhook_endpoints as we,
    webhook_subscriptions,
};

/// Most endpoints one pass fans out.
pub const FAN_OUT_ENDPOINTS: i64 = 16;
/// Most events of one endpoint one pass fans out (12 binds a delivery: one
/// INSERT stays well under both backends' bind limits).
pub const FAN_OUT_BATCH: i64 = 1_000;

#[derive(Insertable)]
#[diesel(table_name = wd, treat_none_as_default_value = false)]
struct DeliveryRow {
    tenant_id: TenantId,
    id: WebhookDeliveryId,
    endpoint_id: WebhookEndpointId,
    event_id: EventId,
    seq: i64,
    status: DeliveryStatus,
    attempts: i32,
    next_attempt_at: chrono::NaiveDateTime,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    delivered_at: Option<chrono::NaiveDateTime>,
    created_at: chrono::NaiveDateTime,
}

/// The last number the tenant's event sequence has handed out (0 before
/// its first event): where a new or re-enabled endpoint starts.
pub(crate) async fn current_seq(conn: &mut Conn<'_>, tenant: TenantId) -> CoreResult<i64> {
    let query = outbox_sequences::table
        .filter(outbox_sequences::tenant_id.eq(tenant))
        .select(outbox_sequences::next_seq);
    let next: Option<i64> = on_conn!(conn, c => query.first(c).await.optional())?;
    Ok(next.map_or(0, |n| n - 1))
}

/// Make the deliveries of events written since the last pass, for up to
/// [`FAN_OUT_ENDPOINTS`] endpoints; how many deliveries were made. Runs
/// inside the caller's write transaction.
pub(crate) async fn fan_out(conn: &mut Conn<'_>) -> CoreResult<usize> {
    let newer = oe::table
        .filter(oe::tenant_id.eq(we::tenant_id))
        .filter(oe::seq.gt(we::fanned_out_seq.nullable()));
    let query = we::table
        .filter(we::enabled.eq(true))
        .filter(exists(newer))
        .order((we::tenant_id, we::id))
        .limit(FAN_OUT_ENDPOINTS)
        .select((we::tenant_id, we::id, we::fanned_out_seq));
    let behind: Vec<(TenantId, WebhookEndpointId, i64)> = load_skip_locked!(conn, query)?;
    let mut made = 0;
    for (tenant, endpoint, from) in behind {
        made += fan_out_endpoint(conn, tenant, endpoint, from).await?.made;
    }
    Ok(made)
}

/// Fan out everything `endpoint` is owed so far, in the caller's
/// transaction, which must hold the endpoint's row lock.
pub(crate) async fn catch_up(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    endpoint: WebhookEndpointId,
) -> CoreResult<()> {
    let query = we::table
        .filter(we::tenant_id.eq(tenant))
        .filter(we::id.eq(endpoint))
        .select(we::fanned_out_seq);
    let mut from: i64 = on_conn!(conn, c => query.first(c).await)?;
    loop {
        let pass = fan_out_endpoint(conn, tenant, endpoint, from).await?;
        match pass.through {
            Some(through) if pass.read == FAN_OUT_BATCH as usize => from = through,
            _ => return Ok(()),
        }
    }
}

/// What one endpoint's pass did.
struct Pass {
    /// Events read.
    read: usize,
    /// Deliveries made.
    made: usize,
    /// The endpoint's `fanned_out_seq` after it (`None`: nothing was read).
    through: Option<i64>,
}

/// One endpoint's deliveries for up to [`FAN_OUT_BATCH`] events after
/// `from`, in sequence order; its `fanned_out_seq` moves past every event
/// read, whether it wanted it or not.
async fn fan_out_endpoint(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    endpoint: WebhookEndpointId,
    from: i64,
) -> CoreResult<Pass> {
    let events = oe::table
        .filter(oe::tenant_id.eq(tenant))
        .filter(oe::seq.gt(from))
        .order(oe::seq)
        .limit(FAN_OUT_BATCH)
        .select((oe::id, oe::seq.assume_not_null(), oe::kind, oe::created_at));
    let events: Vec<(EventId, i64, EventKind, chrono::NaiveDateTime)> =
        on_conn!(conn, c => events.load(c).await)?;
    let Some(&(_, last, _, _)) = events.last() else {
        return Ok(Pass {
            read: 0,
            made: 0,
            through: None,
        });
    };
    let read = events.len();
    let wanted = webhook_subscriptions::table
        .filter(webhook_subscriptions::tenant_id.eq(tenant))
        .filter(webhook_subscriptions::endpoint_id.eq(endpoint))
        .select(webhook_subscriptions::kind);
    let wanted: BTreeSet<EventKind> = on_conn!(conn, c => wanted.load::<EventKind>(c).await)?
        .into_iter()
        .collect();
    let at = now();
    let rows: Vec<DeliveryRow> = events
        .into_iter()
        .filter(|(_, _, kind, _)| wanted.contains(kind))
        .map(|(event_id, seq, _, created_at)| DeliveryRow {
            tenant_id: tenant,
            id: WebhookDeliveryId::new(),
            endpoint_id: endpoint,
            event_id,
            seq,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: at,
            last_status_code: None,
            last_error: None,
            delivered_at: None,
            created_at,
        })
        .collect();
    let made = rows.len();
    if made > 0 {
        insert_rows!(conn, wd::table, rows)?;
    }
    let advance = diesel::update(
        we::table
            .filter(we::tenant_id.eq(tenant))
            .filter(we::id.eq(endpoint)),
    )
    .set(we::fanned_out_seq.eq(last));
    on_conn!(conn, c => advance.execute(c).await)?;
    Ok(Pass {
        read,
        made,
        through: Some(last),
    })
}

impl Store {
    /// Make the deliveries of the events written since the last pass (the
    /// delivery worker does this in every claim; see the module's
    /// documentation); how many deliveries were made.
    pub async fn fan_out_webhook_events(&self) -> CoreResult<usize> {
        write_txn!(self, conn => fan_out(conn).await)
    }
}
