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
use crate::db::{Conn, on_conn};
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
///
/// PostgreSQL: one statement (sequence, events, deliveries and the
/// `NOTIFY`; see [`PG_ENQUEUE`]). SQLite: the sequence upsert and one
/// multi-row INSERT per table, in one hop to the blocking pool.
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
    let rows = Rows::new(tenant, subscribers, &events);
    match conn {
        Conn::Pg(c) => enqueue_pg(c, tenant, rows).await,
        Conn::Sqlite(c) => enqueue_sqlite(c, tenant, rows).await,
    }
}

/// An enqueue's rows, before the sequence is known: each delivery's `seq`
/// is its event's position (0, 1, …), made absolute by the first number
/// the tenant's sequence hands out.
struct Rows {
    events: Vec<EventRow>,
    deliveries: Vec<DeliveryRow>,
    at: chrono::NaiveDateTime,
}

impl Rows {
    fn new(
        tenant: TenantId,
        subscribers: &BTreeMap<EventKind, Vec<WebhookEndpointId>>,
        events: &[Event],
    ) -> Self {
        let at = now();
        let sent_at = utc(at);
        let mut event_rows = Vec::with_capacity(events.len());
        let mut deliveries = Vec::new();
        for (position, event) in events.iter().enumerate() {
            let id = EventId::new();
            for endpoint in subscribers.get(&event.kind).into_iter().flatten() {
                deliveries.push(DeliveryRow {
                    tenant_id: tenant,
                    id: WebhookDeliveryId::new(),
                    endpoint_id: *endpoint,
                    event_id: id,
                    seq: position as i64,
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
        Self {
            events: event_rows,
            deliveries,
            at,
        }
    }
}

/// The whole enqueue on PostgreSQL as one statement (one round trip
/// instead of three): data-modifying `WITH` parts run as one atomic
/// statement inside the caller's transaction (see `db/one_statement.rs`).
///
/// - `seq` upserts the tenant's sequence row: the first event of a tenant
///   creates it, later ones lock and advance it; either way it stays
///   locked until commit, which orders concurrent writers (sequence order
///   is commit order).
/// - `events` inserts the outbox rows, `$4`…`$6` as parallel arrays, so
///   the statement's text (and its prepared plan) is the same for any
///   number of events.
/// - `woken` queues a `NOTIFY` on [`OUTBOX_CHANNEL`](super::wake::OUTBOX_CHANNEL): PostgreSQL delivers
///   it at commit, after the rows are visible, and never on rollback.
///   Repeats in one transaction are folded into one.
/// - the main INSERT writes the deliveries, each `seq` made absolute from
///   the sequence's first number (foreign keys are checked at the end of
///   the statement, after `events` wrote the rows they point at).
const PG_ENQUEUE: &str = "\
WITH seq AS ( \
    INSERT INTO outbox_sequences (tenant_id, next_seq) VALUES ($1, $2 + 1) \
    ON CONFLICT (tenant_id) DO UPDATE SET next_seq = outbox_sequences.next_seq + $2 \
    RETURNING next_seq - $2 AS first_seq \
), events AS ( \
    INSERT INTO outbox_events (tenant_id, id, kind, payload, created_at) \
    SELECT $1, e.id, e.kind, e.payload, $3 \
    FROM unnest($4, $5, $6) AS e (id, kind, payload) \
), woken AS ( \
    SELECT pg_notify('seatwise_outbox', '') \
) \
INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, seq, status, attempts, \
    next_attempt_at, last_status_code, last_error, delivered_at, created_at) \
SELECT $1, d.id, d.endpoint_id, d.event_id, seq.first_seq + d.position, $11, 0, \
    $3, NULL, NULL, NULL, $3 \
FROM unnest($7, $8, $9, $10) AS d (id, endpoint_id, event_id, position) \
CROSS JOIN seq CROSS JOIN woken";

async fn enqueue_pg(
    conn: &mut diesel_async::AsyncPgConnection,
    tenant: TenantId,
    rows: Rows,
) -> CoreResult<()> {
    use crate::db::sql_types::Uuid;
    use diesel::sql_types::{Array, BigInt, Text, Timestamp};

    let count = rows.events.len() as i64;
    let (event_ids, (kinds, payloads)): (Vec<EventId>, (Vec<EventKind>, Vec<String>)) = rows
        .events
        .into_iter()
        .map(|e| (e.id, (e.kind, e.payload)))
        .unzip();
    let mut delivery_ids = Vec::with_capacity(rows.deliveries.len());
    let mut endpoint_ids = Vec::with_capacity(rows.deliveries.len());
    let mut delivery_events = Vec::with_capacity(rows.deliveries.len());
    let mut positions = Vec::with_capacity(rows.deliveries.len());
    for d in rows.deliveries {
        delivery_ids.push(d.id);
        endpoint_ids.push(d.endpoint_id);
        delivery_events.push(d.event_id);
        positions.push(d.seq);
    }
    diesel::sql_query(PG_ENQUEUE)
        .bind::<Uuid, _>(tenant)
        .bind::<BigInt, _>(count)
        .bind::<Timestamp, _>(rows.at)
        .bind::<Array<Uuid>, _>(event_ids)
        .bind::<Array<Text>, _>(kinds)
        .bind::<Array<Text>, _>(payloads)
        .bind::<Array<Uuid>, _>(delivery_ids)
        .bind::<Array<Uuid>, _>(endpoint_ids)
        .bind::<Array<Uuid>, _>(delivery_events)
        .bind::<Array<BigInt>, _>(positions)
        .bind::<Text, _>(DeliveryStatus::Pending)
        .execute(conn)
        .await?;
    Ok(())
}

/// The enqueue on SQLite: three statements (SQLite has no data-modifying
/// `WITH`), run together on the blocking pool so they cost one hop, not
/// three. `BEGIN IMMEDIATE` already serialises writers, so the upsert
/// orders them as on PostgreSQL.
async fn enqueue_sqlite(
    conn: &mut crate::db::SqliteConn,
    tenant: TenantId,
    rows: Rows,
) -> CoreResult<()> {
    let count = rows.events.len() as i64;
    let Rows {
        events,
        mut deliveries,
        ..
    } = rows;
    conn.spawn_blocking(move |c| {
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
        let next: i64 = diesel::RunQueryDsl::get_result(advance, c)?;
        let first_seq = next - count;
        for chunk in events.chunks(INSERT_CHUNK) {
            diesel::RunQueryDsl::execute(
                diesel::insert_into(outbox_events::table).values(chunk),
                c,
            )?;
        }
        for d in &mut deliveries {
            d.seq += first_seq;
        }
        for chunk in deliveries.chunks(INSERT_CHUNK) {
            diesel::RunQueryDsl::execute(
                diesel::insert_into(webhook_deliveries::table).values(chunk),
                c,
            )?;
        }
        Ok(())
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enqueue_statement_notifies_the_channel_replicas_listen_on() {
        let notify = format!("pg_notify('{}', '')", super::super::wake::OUTBOX_CHANNEL);
        assert!(PG_ENQUEUE.contains(&notify), "{PG_ENQUEUE}");
    }
}
