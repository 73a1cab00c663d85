//! Claiming due operations for a worker, across tenants, under a lease
//! (`crate::lease`).

use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::time::Duration;

use super::row::{OPEN, OperationRow};
use super::{SeatChangeOperation, SeatChangeOperationId};
use crate::db::{Conn, Store, on_conn, write_txn};
use crate::error::{CoreError, CoreResult, InputField};
use crate::ids::{AppId, TenantId};
use crate::lease::{Lease, by_tenant, load_skip_locked};
use crate::model::now;
use crate::schema::seat_change_operations as ops;

/// Most operations one claim may take, so one replica cannot hoard the
/// queue while others idle.
pub const MAX_CLAIM: usize = 100;

impl Store {
    /// Lease up to `limit` due operations to the worker `owner` for `lease`,
    /// oldest due first, across all tenants.
    ///
    /// Due means: open (`PENDING` or `IN_PROGRESS`), `next_attempt_at` has
    /// passed, no live lease, and no older open operation for the same app
    /// (changes of one app run one at a time, in request order).
    ///
    /// Two workers never receive the same operation while its lease runs:
    /// on PostgreSQL the candidates are locked `FOR UPDATE SKIP LOCKED`, so
    /// concurrent claims take disjoint rows without waiting; on SQLite the
    /// `BEGIN IMMEDIATE` transaction serialises claims. `lease` must exceed
    /// the longest vendor call, or another worker may call the vendor again
    /// (vendors deduplicate by operation id, and only the lease holder can
    /// record an outcome). `owner` must be unique per worker.
    pub async fn claim_due_seat_changes(
        &self,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> CoreResult<Vec<SeatChangeOperation>> {
        let Some(lease) = Lease::check(owner, lease, limit, MAX_CLAIM)? else {
            return Ok(Vec::new());
        };
        write_txn!(self, conn => {
            let at = now();
            let due = due(conn, at, lease.limit).await?;
            let mut claimed = Vec::new();
            for (tenant, ids) in by_tenant(due) {
                let update = diesel::update(ops::table.filter(ops::tenant_id.eq(tenant)).filter(ops::id.eq_any(ids)))
                    .set((ops::lease_owner.eq(lease.owner), ops::next_attempt_at.eq(at + lease.duration)))
                    .returning(ops::all_columns);
                let rows: Vec<OperationRow> = on_conn!(conn, c => update.load(c).await)?;
                for row in rows {
                    claimed.push(row.into_operation()?);
                }
            }
            claimed.sort_by_key(|op| (op.next_attempt_at, op.id));
            Ok(claimed)
        })
    }
}

/// Tenant and id of up to `limit` due operations, locked on PostgreSQL
/// (skipping rows another claim holds).
async fn due(
    conn: &mut Conn<'_>,
    at: chrono::NaiveDateTime,
    limit: i64,
) -> CoreResult<Vec<(TenantId, SeatChangeOperationId)>> {
    let earlier = diesel::alias!(crate::schema::seat_change_operations as earlier);
    let older_open = earlier
        .filter(earlier.field(ops::tenant_id).eq(ops::tenant_id))
        .filter(earlier.field(ops::app_id).eq(ops::app_id))
        .filter(earlier.field(ops::status).eq_any(OPEN))
        .filter(earlier.field(ops::id).lt(ops::id));
    let query = ops::table
        .filter(ops::status.eq_any(OPEN))
        // A held operation's `next_attempt_at` is its lease's end, so this
        // also takes over operations of workers that died mid-call.
        .filter(ops::next_attempt_at.le(at))
        .filter(not(exists(older_open)))
        .order((ops::next_attempt_at, ops::id))
        .limit(limit)
        .select((ops::tenant_id, ops::id));
    Ok(load_skip_locked!(conn, query)?)
}

/// What [`Store::claim_seat_change_by_vendor_ref`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorRefClaim {
    /// The open operation with that reference, now leased to the caller:
    /// record the vendor's answer with a transition, as the worker does.
    /// (Boxed: the other variants carry nothing.)
    Claimed(Box<SeatChangeOperation>),
    /// A worker holds it right now (it is polling the vendor); its answer
    /// will be recorded, or the caller may try again shortly.
    Busy,
    /// No open operation of that app has that reference.
    NoMatch,
}

impl Store {
    /// Lease the open seat change of `app` whose vendor reference is
    /// `vendor_ref` to `owner` for `lease`, so a vendor's webhook can
    /// finish it at once through the same transitions the worker uses
    /// (`complete_seat_change`, `mark_rejected`, …), which check the lease.
    ///
    /// The reference is matched within the tenant's app only: a reference
    /// of another app, a finished operation or an unknown one is
    /// [`VendorRefClaim::NoMatch`]. One held by a live worker lease is
    /// [`VendorRefClaim::Busy`] and is left alone.
    pub async fn claim_seat_change_by_vendor_ref(
        &self,
        tenant: TenantId,
        app: AppId,
        vendor_ref: &str,
        owner: &str,
        lease: Duration,
    ) -> CoreResult<VendorRefClaim> {
        if owner.trim().is_empty() {
            return Err(CoreError::invalid(
                InputField::WorkerOwner,
                "must not be empty",
            ));
        }
        let lease = chrono::Duration::from_std(lease)
            .map_err(|_| CoreError::invalid(InputField::Lease, "is too long"))?;
        write_txn!(self, conn => {
            let at = now();
            let query = ops::table
                .filter(ops::tenant_id.eq(tenant))
                .filter(ops::app_id.eq(app))
                .filter(ops::vendor_ref.eq(vendor_ref))
                .filter(ops::status.eq_any(OPEN))
                .select(ops::all_columns);
            let row: Option<OperationRow> = match conn {
                Conn::Pg(c) => query.for_update().first(*c).await.optional()?,
                Conn::Sqlite(c) => query.first(*c).await.optional()?,
            };
            let Some(row) = row else { return Ok(VendorRefClaim::NoMatch) };
            // A held operation's `next_attempt_at` is its lease's end.
            if row.lease_owner.is_some() && row.next_attempt_at > at {
                return Ok(VendorRefClaim::Busy);
            }
            let update = diesel::update(
                ops::table.filter(ops::tenant_id.eq(tenant)).filter(ops::id.eq(row.id)),
            )
            .set((ops::lease_owner.eq(owner), ops::next_attempt_at.eq(at + lease)))
            .returning(ops::all_columns);
            let claimed: OperationRow = on_conn!(conn, c => update.get_result(c).await)?;
            Ok(VendorRefClaim::Claimed(Box::new(claimed.into_operation()?)))
        })
    }
}
