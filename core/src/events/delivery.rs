//! Deliveries: the worker's side of the outbox (claiming endpoints,
//! reading their queues in event order, recording attempts) and the
//! tenant's side (the delivery log, asking for a redelivery).
//!
//! One worker at a time delivers to an endpoint: it holds the endpoint
//! under a lease (`lease_owner`, `lease_until`), claimed with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL so replicas take disjoint
//! endpoints without waiting (SQLite: one process, `BEGIN IMMEDIATE`).
//! An endpoint is claimable when the head of its queue (its oldest
//! `PENDING` delivery, by sequence) is due, so an event is never sent
//! before the one before it was delivered or failed for good.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, min};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::BTreeMap;

use super::DeliveryStatus;
use super::endpoints::WebhookSecret;
use super::event::EventKind;
use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::ids::{EventId, TenantId, WebhookDeliveryId, WebhookEndpointId};
use crate::lease::{Lease, by_tenant, load_skip_locked};
use crate::model::{Actor, now, utc};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::{outbox_events, webhook_deliveries as wd, webhook_endpoints as we};

/// Most endpoints one claim may take.
pub const MAX_CLAIM: usize = 100;
/// Longest error text kept on a delivery.
const MAX_ERROR_LEN: usize = 500;

/// What becomes of a worker's lease on an endpoint once its attempts are
/// recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRecording {
    /// More of the queue follows: hold the endpoint this much longer.
    Renew(Duration),
    /// The worker is done with the endpoint for now: give it back.
    Release,
}

/// An endpoint leased to a worker, with what it needs to send.
pub struct ClaimedEndpoint {
    /// The endpoint's tenant.
    pub tenant: TenantId,
    /// The endpoint.
    pub id: WebhookEndpointId,
    /// Where to POST.
    pub url: String,
    /// What to sign with.
    pub secret: WebhookSecret,
}

/// A `PENDING` delivery at the front of an endpoint's queue.
#[derive(Debug, Clone)]
pub struct QueuedDelivery {
    /// The delivery.
    pub id: WebhookDeliveryId,
    /// The event: the `webhook-id`.
    pub event_id: EventId,
    /// Its type.
    pub kind: EventKind,
    /// Attempts made so far.
    pub attempts: i32,
    /// When it may be sent.
    pub next_attempt_at: DateTime<Utc>,
    /// The body to send, as stored.
    pub payload: String,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    /// The endpoint answered 2xx.
    Delivered {
        /// Its status code.
        status_code: i32,
    },
    /// Failed; try again at `at`.
    Retry {
        /// The status code, if the endpoint answered.
        status_code: Option<i32>,
        /// Why it failed.
        error: String,
        /// When to try again.
        at: DateTime<Utc>,
    },
    /// Failed for good (out of retries): `FAILED`, and the queue moves on.
    GaveUp {
        /// The status code, if the endpoint answered.
        status_code: Option<i32>,
        /// Why it failed.
        error: String,
    },
}

/// One delivery of an event to an endpoint, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The delivery.
    pub id: WebhookDeliveryId,
    /// The endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// The event (its `webhook-id`).
    pub event_id: EventId,
    /// The event's type.
    pub kind: EventKind,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When it will be tried next (meaningful while `PENDING`).
    pub next_attempt_at: DateTime<Utc>,
    /// The last answer's status code, if any.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the event was recorded.
    pub created_at: DateTime<Utc>,
}

type DeliveryColumns = (
    wd::id,
    wd::endpoint_id,
    wd::event_id,
    outbox_events::kind,
    wd::status,
    wd::attempts,
    wd::next_attempt_at,
    wd::last_status_code,
    wd::last_error,
    wd::delivered_at,
    wd::created_at,
    wd::seq,
);
const DELIVERY_COLUMNS: DeliveryColumns = (
    wd::id,
    wd::endpoint_id,
    wd::event_id,
    outbox_events::kind,
    wd::status,
    wd::attempts,
    wd::next_attempt_at,
    wd::last_status_code,
    wd::last_error,
    wd::delivered_at,
    wd::created_at,
    wd::seq,
);
type DeliveryTuple = (
    WebhookDeliveryId,
    WebhookEndpointId,
    EventId,
    EventKind,
    DeliveryStatus,
    i32,
    chrono::NaiveDateTime,
    Option<i32>,
    Option<String>,
    Option<chrono::NaiveDateTime>,
    chrono::NaiveDateTime,
    i64,
);

fn delivery(
    (id, endpoint_id, event_id, kind, status, attempts, next, code, error, delivered, created, _): DeliveryTuple,
) -> WebhookDelivery {
    WebhookDelivery {
        id,
        endpoint_id,
        event_id,
        kind,
        status,
        attempts,
        next_attempt_at: utc(next),
        last_status_code: code,
        last_error: error,
        delivered_at: delivered.map(utc),
        created_at: utc(created),
    }
}

fn bounded(text: &str) -> String {
    text.chars().take(MAX_ERROR_LEN).collect()
}

/// Endpoints (tenant, id) whose queue head is due and whose lease is free,
/// locked on PostgreSQL (skipping rows another claim holds).
async fn claimable(
    conn: &mut Conn<'_>,
    at: chrono::NaiveDateTime,
    limit: i64,
) -> CoreResult<Vec<(TenantId, WebhookEndpointId)>> {
    let (due, head) = diesel::alias!(
        crate::schema::webhook_deliveries as due,
        crate::schema::webhook_deliveries as head
    );
    let head_seq = head
        .filter(head.field(wd::tenant_id).eq(due.field(wd::tenant_id)))
        .filter(head.field(wd::endpoint_id).eq(due.field(wd::endpoint_id)))
        .filter(head.field(wd::status).eq(DeliveryStatus::Pending))
        .select(min(head.field(wd::seq)))
        .single_value();
    let due_head = due
        .filter(due.field(wd::tenant_id).eq(we::tenant_id))
        .filter(due.field(wd::endpoint_id).eq(we::id))
        .filter(due.field(wd::status).eq(DeliveryStatus::Pending))
        .filter(due.field(wd::next_attempt_at).le(at))
        .filter(due.field(wd::seq).nullable().eq(head_seq));
    let query = we::table
        .filter(we::enabled.eq(true))
        .filter(we::lease_until.is_null().or(we::lease_until.le(at)))
        .filter(exists(due_head))
        .order((we::tenant_id, we::id))
        .limit(limit)
        .select((we::tenant_id, we::id));
    Ok(load_skip_locked!(conn, query)?)
}

impl Store {
    /// Lease up to `limit` endpoints whose next event is due to the worker
    /// `owner` for `lease`, across tenants. Two workers never hold one
    /// endpoint at once while a lease runs; a worker that dies loses its
    /// endpoints when the lease ends.
    pub async fn claim_webhook_endpoints(
        &self,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> CoreResult<Vec<ClaimedEndpoint>> {
        let Some(lease) = Lease::check(owner, lease, limit, MAX_CLAIM)? else {
            return Ok(Vec::new());
        };
        write_txn!(self, conn => {
            // Events written since the last pass become deliveries first,
            // so an endpoint they make due is claimable in this pass.
            super::fan_out::fan_out(conn).await?;
            let at = now();
            let found = claimable(conn, at, lease.limit).await?;
            let mut claimed = Vec::new();
            for (tenant, ids) in by_tenant(found) {
                let update = diesel::update(we::table.filter(we::tenant_id.eq(tenant)).filter(we::id.eq_any(ids)))
                    .set((we::lease_owner.eq(lease.owner), we::lease_until.eq(at + lease.duration)))
                    .returning((we::tenant_id, we::id, we::url, we::secret));
                let rows: Vec<(TenantId, WebhookEndpointId, String, String)> =
                    on_conn!(conn, c => update.load(c).await)?;
                claimed.extend(rows.into_iter().map(|(tenant, id, url, secret)| ClaimedEndpoint {
                    tenant,
                    id,
                    url,
                    secret: WebhookSecret::from_stored(secret),
                }));
            }
            Ok(claimed)
        })
    }

    /// The front of an endpoint's queue: up to `limit` `PENDING`
    /// deliveries in event order.
    pub async fn webhook_queue(
        &self,
        tenant: TenantId,
        endpoint: WebhookEndpointId,
        limit: i64,
    ) -> CoreResult<Vec<QueuedDelivery>> {
        read_conn!(self, conn => {
            let query = wd::table
                .inner_join(outbox_events::table.on(outbox_events::tenant_id.eq(wd::tenant_id).and(outbox_events::id.eq(wd::event_id))))
                .filter(wd::tenant_id.eq(tenant))
                .filter(wd::endpoint_id.eq(endpoint))
                .filter(wd::status.eq(DeliveryStatus::Pending))
                .order(wd::seq)
                .limit(limit)
                .select((wd::id, wd::event_id, outbox_events::kind, wd::attempts, wd::next_attempt_at, outbox_events::payload));
            let rows: Vec<(WebhookDeliveryId, EventId, EventKind, i32, chrono::NaiveDateTime, String)> =
                on_conn!(conn, c => query.load(c).await)?;
            Ok(rows
                .into_iter()
                .map(|(id, event_id, kind, attempts, next, payload)| QueuedDelivery {
                    id,
                    event_id,
                    kind,
                    attempts,
                    next_attempt_at: utc(next),
                    payload,
                })
                .collect())
        })
    }

    /// Record what attempts came to, and then renew `owner`'s lease on
    /// the endpoint or give the endpoint back, as `then` says, in the same
    /// transaction: a worker that dies after recording never leaves the
    /// endpoint leased to nobody until the lease runs out. Returns false,
    /// writing nothing, when `owner` no longer holds the endpoint (its
    /// lease ran out and another worker took it: that worker will send
    /// those events again, at least once).
    pub async fn record_webhook_attempts(
        &self,
        tenant: TenantId,
        endpoint: WebhookEndpointId,
        owner: &str,
        then: AfterRecording,
        outcomes: &[(WebhookDeliveryId, AttemptOutcome)],
    ) -> CoreResult<bool> {
        let renewed_for = match then {
            AfterRecording::Renew(lease) => Some(
                chrono::Duration::from_std(lease)
                    .map_err(|_| CoreError::invalid(InputField::Lease, "is too long"))?,
            ),
            AfterRecording::Release => None,
        };
        write_txn!(self, conn => {
            let at = now();
            let mine = we::table
                .filter(we::tenant_id.eq(tenant))
                .filter(we::id.eq(endpoint))
                .filter(we::lease_owner.eq(owner));
            let held = match renewed_for {
                Some(lease) => {
                    let renew = diesel::update(mine).set(we::lease_until.eq(at + lease));
                    on_conn!(conn, c => renew.execute(c).await)?
                }
                None => {
                    let release = diesel::update(mine).set((
                        we::lease_owner.eq(None::<String>),
                        we::lease_until.eq(None::<chrono::NaiveDateTime>),
                    ));
                    on_conn!(conn, c => release.execute(c).await)?
                }
            };
            if held == 0 {
                return Ok(false);
            }
            // Successes share one statement per status code.
            let mut delivered: BTreeMap<i32, Vec<WebhookDeliveryId>> = BTreeMap::new();
            for (id, outcome) in outcomes {
                let mine = wd::table.filter(wd::tenant_id.eq(tenant)).filter(wd::endpoint_id.eq(endpoint)).filter(wd::id.eq(*id));
                match outcome {
                    AttemptOutcome::Delivered { status_code } => {
                        delivered.entry(*status_code).or_default().push(*id);
                    }
                    AttemptOutcome::Retry { status_code, error, at: next } => {
                        let update = diesel::update(mine).set((
                            wd::attempts.eq(wd::attempts + 1),
                            wd::next_attempt_at.eq(next.naive_utc()),
                            wd::last_status_code.eq(*status_code),
                            wd::last_error.eq(Some(bounded(error))),
                        ));
                        on_conn!(conn, c => update.execute(c).await)?;
                    }
                    AttemptOutcome::GaveUp { status_code, error } => {
                        let update = diesel::update(mine).set((
                            wd::status.eq(DeliveryStatus::Failed),
                            wd::attempts.eq(wd::attempts + 1),
                            wd::last_status_code.eq(*status_code),
                            wd::last_error.eq(Some(bounded(error))),
                        ));
                        on_conn!(conn, c => update.execute(c).await)?;
                    }
                }
            }
            for (code, ids) in delivered {
                let update = diesel::update(wd::table
                    .filter(wd::tenant_id.eq(tenant))
                    .filter(wd::endpoint_id.eq(endpoint))
                    .filter(wd::id.eq_any(ids)))
                    .set((
                        wd::status.eq(DeliveryStatus::Delivered),
                        wd::attempts.eq(wd::attempts + 1),
                        wd::last_status_code.eq(Some(code)),
                        wd::last_error.eq(None::<String>),
                        wd::delivered_at.eq(Some(at)),
                    ));
                on_conn!(conn, c => update.execute(c).await)?;
            }
            Ok(true)
        })
    }

    /// Give an endpoint back (its queue is empty or its head not due yet).
    pub async fn release_webhook_endpoint(
        &self,
        tenant: TenantId,
        endpoint: WebhookEndpointId,
        owner: &str,
    ) -> CoreResult<()> {
        write_txn!(self, conn => {
            let release = diesel::update(we::table
                .filter(we::tenant_id.eq(tenant))
                .filter(we::id.eq(endpoint))
                .filter(we::lease_owner.eq(owner)))
                .set((we::lease_owner.eq(None::<String>), we::lease_until.eq(None::<chrono::NaiveDateTime>)));
            on_conn!(conn, c => release.execute(c).await)?;
            Ok(())
        })
    }

    /// An endpoint's deliveries, newest event first.
    pub async fn webhook_deliveries(
        &self,
        tenant: TenantId,
        endpoint: WebhookEndpointId,
        page: &PageRequest,
    ) -> CoreResult<Page<WebhookDelivery>> {
        let after_seq = page
            .after
            .as_ref()
            .map(|c| {
                c.key
                    .parse::<i64>()
                    .map_err(|_| CoreError::invalid(InputField::After, "malformed cursor"))
            })
            .transpose()?;
        read_conn!(self, conn => {
            let rows: Vec<DeliveryTuple> = on_conn!(conn, c => {
                let mut q = wd::table
                    .inner_join(outbox_events::table.on(outbox_events::tenant_id.eq(wd::tenant_id).and(outbox_events::id.eq(wd::event_id))))
                    .filter(wd::tenant_id.eq(tenant))
                    .filter(wd::endpoint_id.eq(endpoint))
                    .into_boxed();
                if let Some(seq) = after_seq {
                    q = q.filter(wd::seq.lt(seq));
                }
                q.order(wd::seq.desc()).limit(page.fetch_limit()).select(DELIVERY_COLUMNS).load(c).await
            })?;
            let total = if page.count_total {
                Some(on_conn!(conn, c => wd::table
                    .filter(wd::tenant_id.eq(tenant))
                    .filter(wd::endpoint_id.eq(endpoint))
                    .count()
                    .get_result(c)
                    .await)?)
            } else {
                None
            };
            Ok(Page::from_rows(page, rows, total, |r| Cursor::new(r.11.to_string(), r.0.0)).map(delivery))
        })
    }

    /// Send a delivery again (whatever its status): it becomes `PENDING`,
    /// due now, with its attempts reset. Audited.
    pub async fn redeliver_webhook(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: WebhookDeliveryId,
    ) -> CoreResult<WebhookDelivery> {
        write_txn!(self, conn => {
            let target = wd::table.filter(wd::tenant_id.eq(tenant)).filter(wd::id.eq(id));
            let update = diesel::update(target).set((
                wd::status.eq(DeliveryStatus::Pending),
                wd::attempts.eq(0),
                wd::next_attempt_at.eq(now()),
            ));
            if on_conn!(conn, c => update.execute(c).await)? == 0 {
                return Err(CoreError::not_found(EntityKind::WebhookDelivery, id));
            }
            let found = load_delivery(conn, tenant, id).await?;
            audit::record(conn, tenant, actor, AuditAction::WebhookRedeliveryRequested,
                Target::webhook_endpoint(found.endpoint_id),
                serde_json::json!({ "deliveryId": id, "eventId": found.event_id })).await?;
            Ok(found)
        })
    }

    /// One delivery of the tenant.
    pub async fn webhook_delivery(
        &self,
        tenant: TenantId,
        id: WebhookDeliveryId,
    ) -> CoreResult<WebhookDelivery> {
        read_conn!(self, conn => load_delivery(conn, tenant, id).await)
    }
}

async fn load_delivery(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: WebhookDeliveryId,
) -> CoreResult<WebhookDelivery> {
    let query = wd::table
        .inner_join(
            outbox_events::table.on(outbox_events::tenant_id
                .eq(wd::tenant_id)
                .and(outbox_events::id.eq(wd::event_id))),
        )
        .filter(wd::tenant_id.eq(tenant))
        .filter(wd::id.eq(id))
        .select(DELIVERY_COLUMNS);
    let row: Option<DeliveryTuple> = on_conn!(conn, c => query.first(c).await.optional())?;
    row.map(delivery)
        .ok_or_else(|| CoreError::not_found(EntityKind::WebhookDelivery, id))
}
