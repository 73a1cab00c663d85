//! Pruning the outbox: delivered deliveries older than the retention, then
//! the events no delivery refers to any more and every enabled endpoint
//! has fanned out (`fan_out.rs`).
//!
//! Runs in small batches, each its own transaction, so it never holds many
//! locks or a long transaction; several replicas may prune at once (on
//! PostgreSQL the batch's rows are taken `FOR UPDATE SKIP LOCKED`, and
//! deleting a row another replica already deleted deletes nothing).
//! Pending and `FAILED` deliveries are kept whatever their age: the first
//! are still owed, the second may be redelivered by an admin.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::DeliveryStatus;
use crate::db::{Conn, Store, on_conn, write_txn};
use crate::error::CoreResult;
use crate::ids::{EventId, TenantId, WebhookDeliveryId};
use crate::schema::{outbox_events as oe, webhook_deliveries as wd, webhook_endpoints as we};

/// Rows deleted per transaction.
pub const PRUNE_BATCH: i64 = 500;

/// What one pass of [`Store::prune_webhook_outbox`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Delivered deliveries.
    pub deliveries: usize,
    /// Events left without deliveries.
    pub events: usize,
}

fn by_tenant<T>(rows: Vec<(TenantId, T)>) -> BTreeMap<TenantId, Vec<T>> {
    let mut grouped: BTreeMap<TenantId, Vec<T>> = BTreeMap::new();
    for (tenant, id) in rows {
        grouped.entry(tenant).or_default().push(id);
    }
    grouped
}

impl Store {
    /// Delete up to `batch` deliveries `DELIVERED` before `cutoff`, and up
    /// to `batch` events recorded before `cutoff` that no delivery refers
    /// to (all delivered and pruned, or their endpoints deleted). Call
    /// again while it deletes a full batch.
    pub async fn prune_webhook_outbox(
        &self,
        cutoff: DateTime<Utc>,
        batch: i64,
    ) -> CoreResult<Pruned> {
        let cutoff = cutoff.naive_utc();
        let batch = batch.clamp(1, 10_000);
        let deliveries = write_txn!(self, conn => {
            let query = wd::table
                .filter(wd::status.eq(DeliveryStatus::Delivered))
                .filter(wd::delivered_at.lt(cutoff))
                .limit(batch)
                .select((wd::tenant_id, wd::id));
            let rows: Vec<(TenantId, WebhookDeliveryId)> = match conn {
                Conn::Pg(c) => query.for_update().skip_locked().load(*c).await?,
                Conn::Sqlite(c) => query.load(*c).await?,
            };
            let mut deleted = 0;
            for (tenant, ids) in by_tenant(rows) {
                let delete = diesel::delete(wd::table.filter(wd::tenant_id.eq(tenant)).filter(wd::id.eq_any(ids)));
                deleted += on_conn!(conn, c => delete.execute(c).await)?;
            }
            Ok(deleted)
        })?;
        let events = write_txn!(self, conn => {
            let referenced = wd::table
                .filter(wd::tenant_id.eq(oe::tenant_id))
                .filter(wd::event_id.eq(oe::id));
            // An event an enabled endpoint has not fanned out yet is owed.
            let owed = we::table
                .filter(we::tenant_id.eq(oe::tenant_id))
                .filter(we::enabled.eq(true))
                .filter(we::fanned_out_seq.nullable().lt(oe::seq));
            let query = oe::table
                .filter(oe::created_at.lt(cutoff))
                .filter(not(exists(referenced)))
                .filter(not(exists(owed)))
                .limit(batch)
                .select((oe::tenant_id, oe::id));
            let rows: Vec<(TenantId, EventId)> = match conn {
                Conn::Pg(c) => query.for_update().skip_locked().load(*c).await?,
                Conn::Sqlite(c) => query.load(*c).await?,
            };
            let mut deleted = 0;
            for (tenant, ids) in by_tenant(rows) {
                // Re-checked per row: a redelivery may have referred to the
                // event since it was read (it cannot on PostgreSQL, where
                // the row is locked, but SQLite reads without locks).
                let referenced = wd::table
                    .filter(wd::tenant_id.eq(oe::tenant_id))
                    .filter(wd::event_id.eq(oe::id));
                let delete = diesel::delete(
                    oe::table
                        .filter(oe::tenant_id.eq(tenant))
                        .filter(oe::id.eq_any(ids))
                        .filter(not(exists(referenced))),
                );
                deleted += on_conn!(conn, c => delete.execute(c).await)?;
            }
            Ok(deleted)
        })?;
        Ok(Pruned { deliveries, events })
    }
}
