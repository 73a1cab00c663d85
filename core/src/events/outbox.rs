//! The transactional outbox: events are written in the transaction of the
//! change that caused them, so they commit (or vanish) with it, and
//! survive any crash after the commit.
//!
//! Writing is cheap when nobody listens: one indexed read of the tenant's
//! subscriptions, and nothing else when no enabled endpoint wants any of
//! the events. Otherwise each event gets an outbox row and one delivery row
//! per subscribed endpoint (fan-out at write time, so the worker reads one
//! queue per endpoint), and a sequence number from the tenant's
//! `outbox_sequences` row. That row is locked last in the transaction
//! (after users, groups and apps: see `crate::locks`), so sequence order is
//! commit order, and every endpoint gets the tenant's events in the order
//! their changes committed.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::event::{Event, EventKind};
use crate::db::{Conn, insert_rows, on_conn};
use crate::error::CoreResult;
use crate::ids::{EventId, TenantId, WebhookDeliveryId, WebhookEndpointId};
use crate::model::{now, utc};
use crate::schema::{
    outbox_events, outbox_sequences, webhook_deliveries, webhook_endpoints, webhook_subscriptions,
};

use super::DeliveryStatus;

/// Rows per INSERT: at most 12 binds each, well under SQLite's limit.
const INSERT_CHUNK: usize = 1_000;

#[derive(Insertable)]
#[diesel(table_name = outbox_events, treat_none_as_default_value = false)]
struct EventRow {
    tenant_id: TenantId,
    id: EventId,
    kind: EventKind,
    payload: String,
    created_at: chrono::NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
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

/// Per event kind, the tenant's enabled endpoints that receive it. One
/// indexed read; empty for a tenant without endpoints.
pub(crate) async fn subscribers(
    conn: &mut Conn<'_>,
    tenant: TenantId,
) -> CoreResult<BTreeMap<EventKind, Vec<WebhookEndpointId>>> {
    let query = webhook_subscriptions::table
        .inner_join(
            webhook_endpoints::table.on(webhook_endpoints::tenant_id
                .eq(webhook_subscriptions::tenant_id)
                .and(webhook_endpoints::id.eq(webhook_subscriptions::endpoint_id))),
        )
        .filter(webhook_subscriptions::tenant_id.eq(tenant))
        .filter(webhook_endpoints::enabled.eq(true))
        .select((
            webhook_subscriptions::kind,
            webhook_subscriptions::endpoint_id,
        ));
    let rows: Vec<(EventKind, WebhookEndpointId)> = on_conn!(conn, c => query.load(c).await)?;
    let mut out: BTreeMap<EventKind, Vec<WebhookEndpointId>> = BTreeMap::new();
    for (kind, endpoint) in rows {
        out.entry(kind).or_default().push(endpoint);
    }
    for endpoints in out.values_mut() {
        endpoints.sort();
    }
    Ok(out)
}

/// Whether any enabled endpoint of the tenant receives one of `kinds`
/// (so callers can skip building events nobody receives).
pub(crate) fn wanted(
    subscribers: &BTreeMap<EventKind, Vec<WebhookEndpointId>>,
    kinds: &[EventKind],
) -> bool {
    kinds.iter().any(|k| subscribers.contains_key(k))
}

/// Write `events` to the outbox with a delivery per subscribed endpoint,
/// in this order. Events no endpoint receives are dropped.
pub(crate) async fn enqueue(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    subscribers: &BTreeMap<EventKind, Vec<WebhookEndpointId>>,
    events: Vec<Event>,
) -> CoreResult<()> {
    let events: Vec<Event> = events
        .into_iter()
        .filter(|e| subscribers.contains_key(&e.kind))
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    // Wakes this process's delivery worker once the transaction commits.
    super::wake::written();
    let count = events.len() as i64;
    // Upsert: the first event of a tenant creates its sequence row; later
    // ones lock and advance it. Either way the row stays locked until
    // commit, which is what orders concurrent writers.
    let advance = diesel::insert_into(outbox_sequences::table)
        .values((
            outbox_sequences::tenant_id.eq(tenant),
            outbox_sequences::next_seq.eq(count + 1),
        ))
        .on_conflict(outbox_sequences::tenant_id)
        .do_update()
        .set(
            outbox_sequences::next_seq
                .eq(outbox_sequences::next_seq + excluded(outbox_sequences::next_seq) - 1),
        )
        .returning(outbox_sequences::next_seq);
    let next: i64 = on_conn!(conn, c => advance.get_result(c).await)?;
    let first_seq = next - count;

    let at = now();
    let sent_at = utc(at);
    let mut event_rows = Vec::with_capacity(events.len());
    let mut delivery_rows = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let id = EventId::new();
        let seq = first_seq + i as i64;
        for endpoint in subscribers.get(&event.kind).into_iter().flatten() {
            delivery_rows.push(DeliveryRow {
                tenant_id: tenant,
                id: WebhookDeliveryId::new(),
                endpoint_id: *endpoint,
                event_id: id,
                seq,
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: at,
                last_status_code: None,
                last_error: None,
                delivered_at: None,
                created_at: at,
            });
        }
        event_rows.push(EventRow {
            tenant_id: tenant,
            id,
            kind: event.kind,
            payload: event.body(tenant, sent_at),
            created_at: at,
        });
    }
    let mut event_rows = event_rows.into_iter().peekable();
    while event_rows.peek().is_some() {
        let chunk: Vec<EventRow> = event_rows.by_ref().take(INSERT_CHUNK).collect();
        insert_rows!(conn, outbox_events::table, chunk)?;
    }
    let mut delivery_rows = delivery_rows.into_iter().peekable();
    while delivery_rows.peek().is_some() {
        let chunk: Vec<DeliveryRow> = delivery_rows.by_ref().take(INSERT_CHUNK).collect();
        insert_rows!(conn, webhook_deliveries::table, chunk)?;
    }
    Ok(())
}
