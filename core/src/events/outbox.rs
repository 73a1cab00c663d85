//! The transactional outbox: events are written in the transaction of the
//! change that caused them, so they commit (or vanish) with it, and
//! survive any crash after the commit.
//!
//! Writing is cheap when nobody listens: one indexed read of the tenant's
//! subscriptions, and nothing else when no enabled endpoint wants any of
//! the events. Otherwise each event gets an outbox row carrying a sequence
//! number from the tenant's `outbox_sequences` row, and nothing more: the
//! delivery worker makes each endpoint's deliveries from the events later
//! (`fan_out.rs`), off the writer's path. The sequence row is locked last
//! in the transaction (after users, groups and apps: see `crate::locks`),
//! so sequence order is commit order: the committed events of a tenant are
//! always a gap-free prefix of its sequence, and every endpoint gets them
//! in the order their changes committed.
//!
//! Inside a write transaction ([`wake::tracking`](super::wake::tracking))
//! the rows are not sent when the event is recorded but kept ([`Pending`])
//! and written at the transaction's end, still inside it, so they commit
//! with the change or not at all:
//!
//! - on PostgreSQL by the transaction's last statement when its author asks
//!   ([`pg_carrying_parts`]: the outbox write becomes a `WITH` part of that
//!   statement, no statement or round trip of its own), else by one
//!   statement just before `COMMIT`;
//! - on SQLite in the same hop to the blocking pool as `COMMIT`.
//!
//! Either way all of a transaction's events get one range of sequence
//! numbers, in the order they were recorded, and the sequence row is
//! locked at the very end of the transaction.

use std::collections::BTreeMap;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::event::{Event, EventKind};
use crate::db::{Conn, on_conn};
use crate::error::CoreResult;
use crate::ids::{EventId, TenantId, WebhookEndpointId};
use crate::model::{now, utc};
use crate::schema::{outbox_events, outbox_sequences, webhook_endpoints, webhook_subscriptions};
use diesel::SqliteConnection;

/// Rows per INSERT: 6 binds each, well under SQLite's limit.
const INSERT_CHUNK: usize = 1_000;

#[derive(Insertable)]
#[diesel(table_name = outbox_events, treat_none_as_default_value = false)]
struct EventRow {
    tenant_id: TenantId,
    id: EventId,
    kind: EventKind,
    payload: String,
    created_at: chrono::NaiveDateTime,
    /// Its position among the write's events (0, 1, …) until the tenant's
    /// sequence makes it absolute.
    seq: i64,
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

/// Write `events` to the outbox, in this order. Events no endpoint
/// receives are dropped.
///
/// Inside a write transaction the rows are kept for its end (see the
/// module's documentation); outside one they are written at once.
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
    let rows = Rows::new(tenant, &events);
    let Err(rows) = super::wake::defer(tenant, rows) else {
        return Ok(());
    };
    let mut pending = Pending::default();
    pending.push(tenant, rows);
    write_pending(conn, pending).await
}

/// Outbox rows recorded in a transaction and not yet sent, per tenant (in
/// the order each first recorded one), each tenant's events in order.
#[derive(Default)]
pub(crate) struct Pending {
    tenants: Vec<(TenantId, Rows)>,
}

impl Pending {
    pub(crate) fn push(&mut self, tenant: TenantId, rows: Rows) {
        match self.tenants.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, earlier)) => earlier.append(rows),
            None => self.tenants.push((tenant, rows)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }
}

/// Write `pending` now: on PostgreSQL one statement per tenant, on SQLite
/// two per tenant in one hop to the blocking pool.
pub(crate) async fn write_pending(conn: &mut Conn<'_>, pending: Pending) -> CoreResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Pg(c) => {
            for (tenant, rows) in pending.tenants {
                let statement = Carrying {
                    outbox: Some(PgOutbox::new(tenant, rows)),
                    query: SelectOne,
                };
                statement.execute(&mut **c).await?;
            }
            Ok(())
        }
        Conn::Sqlite(c) => {
            c.spawn_blocking(move |c| write_sqlite(c, pending)).await?;
            Ok(())
        }
    }
}

/// An enqueue's rows, before the sequence is known: each event's `seq` is
/// its position (0, 1, …), made absolute by the first number the tenant's
/// sequence hands out.
pub(crate) struct Rows {
    events: Vec<EventRow>,
    at: chrono::NaiveDateTime,
}

impl Rows {
    fn new(tenant: TenantId, events: &[Event]) -> Self {
        let at = now();
        let sent_at = utc(at);
        let events = events
            .iter()
            .enumerate()
            .map(|(position, event)| EventRow {
                tenant_id: tenant,
                id: EventId::new(),
                kind: event.kind,
                payload: event.body(tenant, sent_at),
                created_at: at,
                seq: position as i64,
            })
            .collect();
        Self { events, at }
    }

    /// `later`'s events after these (positions continue from here).
    fn append(&mut self, mut later: Rows) {
        let offset = self.events.len() as i64;
        for e in &mut later.events {
            e.seq += offset;
        }
        self.events.append(&mut later.events);
    }
}

/// PostgreSQL: `query`, which must be the write transaction's last
/// statement before `COMMIT` (nothing after it may record events or take
/// locks), made to also write the events the transaction has recorded so
/// far: the outbox write becomes the first parts of its `WITH` list, so it
/// costs no statement and no round trip of its own. With nothing recorded
/// (or events of several tenants, which keep their own statements) it is
/// `query` unchanged.
///
/// Call it only to run the result on a PostgreSQL connection: the events
/// it takes are no longer written at `COMMIT`.
pub(crate) fn pg_carrying_parts<Q: WithParts>(query: Q) -> CarryingParts<Q> {
    CarryingParts {
        outbox: take_outbox(),
        query,
    }
}

/// The transaction's recorded events as one outbox write, if they are one
/// tenant's; otherwise none (they stay recorded, written at `COMMIT`).
fn take_outbox() -> Option<PgOutbox> {
    let mut pending = super::wake::take_pending();
    if pending.tenants.len() != 1 {
        for (tenant, rows) in pending.tenants {
            // Back where they were, in order (the taking emptied it).
            let _outside_tracking = super::wake::defer(tenant, rows);
        }
        return None;
    }
    pending
        .tenants
        .pop()
        .map(|(tenant, rows)| PgOutbox::new(tenant, rows))
}

/// A PostgreSQL statement made of `WITH` parts and a main statement, for
/// [`pg_carrying_parts`].
pub(crate) trait WithParts: Query {
    /// The parts, `name AS (…), …`, without `WITH`.
    fn walk_parts<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()>;
    /// The main statement after them.
    fn walk_main<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

/// A [`WithParts`] statement whose `WITH` list may start with an outbox
/// write (see [`pg_carrying_parts`]); it returns what the statement returns.
pub(crate) struct CarryingParts<Q> {
    outbox: Option<PgOutbox>,
    query: Q,
}

impl<Q: WithParts> QueryFragment<Pg> for CarryingParts<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match &self.outbox {
            Some(outbox) => {
                outbox.walk_ast(out.reborrow())?;
                out.push_sql(", ");
            }
            None => out.push_sql("WITH "),
        }
        self.query.walk_parts(out.reborrow())?;
        out.push_sql(" ");
        self.query.walk_main(out)
    }
}

// As `Carrying`: cached by the text, which differs with and without the
// outbox.
impl<Q> QueryId for CarryingParts<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for CarryingParts<Q> {
    type SqlType = Q::SqlType;
}

/// A PostgreSQL statement, optionally prefixed by an outbox write (the
/// statement [`write_pending`] sends); it returns what `query` returns.
pub(crate) struct Carrying<Q> {
    outbox: Option<PgOutbox>,
    query: Q,
}

/// `SELECT 1`: the statement an outbox write prefixes when no statement of
/// the transaction carries it.
#[derive(QueryId)]
struct SelectOne;

impl QueryFragment<Pg> for SelectOne {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT 1");
        Ok(())
    }
}

/// One tenant's outbox rows as parallel arrays (`unnest`ed by the SQL), so
/// the statement's text, and its prepared plan, are the same for any
/// number of events.
struct PgOutbox {
    tenant: TenantId,
    count: i64,
    at: chrono::NaiveDateTime,
    event_ids: Vec<EventId>,
    kinds: Vec<EventKind>,
    payloads: Vec<String>,
}

impl PgOutbox {
    fn new(tenant: TenantId, rows: Rows) -> Self {
        let count = rows.events.len() as i64;
        // The SQL numbers the events by their order in the arrays.
        let (event_ids, (kinds, payloads)) = rows
            .events
            .into_iter()
            .map(|e| (e.id, (e.kind, e.payload)))
            .unzip();
        Self {
            tenant,
            count,
            at: rows.at,
            event_ids,
            kinds,
            payloads,
        }
    }
}

/// The outbox write as a `WITH` prefix; data-modifying `WITH` parts run
/// once and to completion whatever the main statement reads, as parts of
/// one atomic statement inside the caller's transaction (see
/// `db/one_statement.rs`).
///
/// - `outbox_p` holds the parameters. (No `NOTIFY` here: other replicas
///   hear of the commit from `announce.rs`, after it, which keeps the
///   notify queue's lock out of the writer's commit.)
/// - `outbox_seq` upserts the tenant's sequence row: the first event of a
///   tenant creates it, later ones lock and advance it; either way it stays
///   locked until commit, which orders concurrent writers (sequence order
///   is commit order).
/// - `outbox_new_events` inserts the outbox rows, numbered from the
///   sequence's first number in array order (`WITH ORDINALITY` counts
///   from 1).
const PG_OUTBOX_PARTS: [&str; 7] = [
    "WITH outbox_p AS (SELECT ",
    "::uuid AS tenant_id, ",
    "::bigint AS n, ",
    "::timestamp AS at), \
     outbox_seq AS (INSERT INTO outbox_sequences (tenant_id, next_seq) \
         SELECT tenant_id, n + 1 FROM outbox_p \
         ON CONFLICT (tenant_id) DO UPDATE \
         SET next_seq = outbox_sequences.next_seq + excluded.next_seq - 1 \
         RETURNING next_seq), \
     outbox_new_events AS (INSERT INTO outbox_events \
         (tenant_id, id, kind, payload, created_at, seq) \
         SELECT p.tenant_id, e.id, e.kind, e.payload, p.at, s.next_seq - p.n + e.position - 1 \
         FROM outbox_p AS p CROSS JOIN outbox_seq AS s CROSS JOIN unnest(",
    "::uuid[], ",
    "::text[], ",
    "::text[]) WITH ORDINALITY AS e (id, kind, payload, position))",
];

impl QueryFragment<Pg> for PgOutbox {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use crate::db::sql_types::Uuid;
        use diesel::sql_types::{Array, BigInt, Text, Timestamp};

        let [p0, p_tenant, p_count, p_at, e_ids, e_kinds, e_payloads] = PG_OUTBOX_PARTS;
        out.push_sql(p0);
        out.push_bind_param::<Uuid, _>(&self.tenant)?;
        out.push_sql(p_tenant);
        out.push_bind_param::<BigInt, _>(&self.count)?;
        out.push_sql(p_count);
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(p_at);
        out.push_bind_param::<Array<Uuid>, _>(&self.event_ids)?;
        out.push_sql(e_ids);
        out.push_bind_param::<Array<Text>, _>(&self.kinds)?;
        out.push_sql(e_kinds);
        out.push_bind_param::<Array<Text>, _>(&self.payloads)?;
        out.push_sql(e_payloads);
        Ok(())
    }
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Carrying<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if let Some(outbox) = &self.outbox {
            outbox.walk_ast(out.reborrow())?;
            out.push_sql(" ");
        }
        self.query.walk_ast(out)
    }
}

// The text differs with and without the prefix: statements are cached by
// their SQL, not by a type.
impl<Q> QueryId for Carrying<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Carrying<Q> {
    type SqlType = Q::SqlType;
}

/// SQLite, on the blocking pool (in `COMMIT`'s hop, or a hop of its own
/// outside a transaction): per tenant the sequence upsert and one
/// multi-row INSERT per table (SQLite has no data-modifying `WITH`).
/// `BEGIN IMMEDIATE` already serialises writers, so the upsert orders them
/// as on PostgreSQL.
pub(crate) fn write_sqlite(c: &mut SqliteConnection, pending: Pending) -> QueryResult<()> {
    for (tenant, rows) in pending.tenants {
        write_sqlite_tenant(c, tenant, rows)?;
    }
    Ok(())
}

/// `rows` into `table`: one row (the usual single-user write) as a
/// one-row INSERT, whose fixed text diesel prepares once per connection
/// and caches; more as multi-row INSERTs of [`INSERT_CHUNK`], which diesel
/// prepares anew each time (their text varies with the count). A macro,
/// as diesel's insert bounds do not name well in a generic function.
macro_rules! insert_sqlite_rows {
    ($c:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        if let [row] = rows {
            diesel::RunQueryDsl::execute(diesel::insert_into($table).values(row), $c)?;
        } else {
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::RunQueryDsl::execute(diesel::insert_into($table).values(chunk), $c)?;
            }
        }
    }};
}

fn write_sqlite_tenant(c: &mut SqliteConnection, tenant: TenantId, rows: Rows) -> QueryResult<()> {
    let count = rows.events.len() as i64;
    let mut events = rows.events;
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
    for e in &mut events {
        e.seq += first_seq;
    }
    insert_sqlite_rows!(c, outbox_events::table, &events[..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_event_rows(tenant: TenantId) -> Rows {
        let event = Event::new(EventKind::LicenseAssigned, serde_json::json!({}));
        Rows::new(tenant, &[event])
    }

    #[test]
    fn the_outbox_write_leaves_notifying_replicas_to_after_the_commit() {
        let tenant = TenantId::new();
        let statement = Carrying {
            outbox: Some(PgOutbox::new(tenant, one_event_rows(tenant))),
            query: SelectOne,
        };
        let sql = diesel::debug_query::<Pg, _>(&statement).to_string();
        assert!(!sql.contains("pg_notify"), "{sql}");
        assert!(sql.contains("INSERT INTO outbox_events"), "{sql}");
        assert!(sql.contains("SELECT 1"), "{sql}");
    }

    #[test]
    fn later_events_of_a_transaction_follow_the_earlier_ones() {
        let tenant = TenantId::new();
        let mut pending = Pending::default();
        pending.push(tenant, one_event_rows(tenant));
        pending.push(tenant, one_event_rows(tenant));
        let [(_, rows)] = &pending.tenants[..] else {
            panic!("one tenant's rows");
        };
        let positions: Vec<i64> = rows.events.iter().map(|e| e.seq).collect();
        assert_eq!(positions, vec![0, 1]);
    }
}
