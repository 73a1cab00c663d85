//! The stored row of an operation, and helpers every transition shares.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{SeatChangeOperation, SeatChangeOperationId, SeatChangeStatus, VendorContactDetails};
use crate::audit::Target;
use crate::db::{Conn, on_conn};
use crate::error::{CoreError, CoreResult, EntityKind};
use crate::ids::{AnyId, AppId, TenantId};
use crate::model::utc;
use crate::schema::seat_change_operations as ops;

#[derive(Insertable, Queryable, Debug, Clone)]
#[diesel(table_name = ops, treat_none_as_default_value = false)]
pub(super) struct OperationRow {
    pub tenant_id: TenantId,
    pub id: SeatChangeOperationId,
    pub app_id: AppId,
    pub idempotency_key: String,
    pub status: SeatChangeStatus,
    pub previous_quantity: i64,
    pub requested_quantity: i64,
    pub vendor_ref: Option<String>,
    pub message: Option<String>,
    pub contact: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: chrono::NaiveDateTime,
    pub lease_owner: Option<String>,
    pub requested_by: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl OperationRow {
    /// The public form. Fails only on a row this code could not have written.
    pub fn into_operation(self) -> CoreResult<SeatChangeOperation> {
        let status = self.status;
        let contact = self
            .contact
            .as_deref()
            .map(serde_json::from_str::<VendorContactDetails>)
            .transpose()
            .map_err(|e| {
                CoreError::Internal(format!(
                    "seat change {} has unreadable contact: {e}",
                    self.id
                ))
            })?;
        Ok(SeatChangeOperation {
            id: self.id,
            tenant_id: self.tenant_id,
            app_id: self.app_id,
            idempotency_key: self.idempotency_key,
            status,
            previous_quantity: self.previous_quantity,
            requested_quantity: self.requested_quantity,
            vendor_ref: self.vendor_ref,
            message: self.message,
            contact,
            attempts: self.attempts,
            next_attempt_at: utc(self.next_attempt_at),
            // A held operation is due again exactly when its lease ends.
            lease_until: self
                .lease_owner
                .is_some()
                .then(|| utc(self.next_attempt_at)),
            lease_owner: self.lease_owner,
            requested_by: self.requested_by,
            created_at: utc(self.created_at),
            // Final operations are never written again.
            completed_at: status.is_final().then(|| utc(self.updated_at)),
            updated_at: utc(self.updated_at),
        })
    }
}

/// Statuses the worker still carries forward (the partial index
/// `seat_change_operations_due` covers exactly these).
pub(super) const OPEN: [SeatChangeStatus; 2] =
    [SeatChangeStatus::Pending, SeatChangeStatus::InProgress];

/// The audit target of an operation: the operation itself, tagged with its
/// app so it shows in the app's audit trail.
pub(super) fn target(op: &SeatChangeOperation) -> Target {
    Target {
        kind: EntityKind::SeatChangeOperation,
        id: AnyId(op.id.0),
        app: Some(op.app_id),
    }
}

/// One operation by id, in the tenant.
pub(super) async fn find(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: SeatChangeOperationId,
) -> CoreResult<Option<SeatChangeOperation>> {
    let query = ops::table
        .filter(ops::tenant_id.eq(tenant))
        .filter(ops::id.eq(id))
        .select(ops::all_columns);
    let row: Option<OperationRow> = on_conn!(conn, c => query.first(c).await.optional())?;
    row.map(OperationRow::into_operation).transpose()
}

/// The operation if `owner` still holds its lease and it is still open,
/// locked for the rest of the transaction on PostgreSQL (SQLite's write
/// transaction already excludes other writers). `None` means another worker
/// took it over or it was settled meanwhile: the caller must change nothing.
///
/// Only the owner is compared, not the lease's end: a lease that ran out is
/// still ours until another worker actually claims the operation, and that
/// claim replaces `lease_owner` atomically.
pub(super) async fn owned(
    conn: &mut Conn<'_>,
    op: &SeatChangeOperation,
    owner: &str,
) -> CoreResult<Option<SeatChangeOperation>> {
    let query = ops::table
        .filter(ops::tenant_id.eq(op.tenant_id))
        .filter(ops::id.eq(op.id))
        .filter(ops::lease_owner.eq(owner))
        .filter(ops::status.eq_any(OPEN))
        .select(ops::all_columns);
    let row: Option<OperationRow> = match conn {
        Conn::Pg(c) => query.for_update().first(*c).await.optional()?,
        Conn::Sqlite(c) => query.first(*c).await.optional()?,
    };
    let current = row.map(OperationRow::into_operation).transpose()?;
    if current.is_none() {
        tracing::info!(operation = %op.id, owner, "seat change no longer held by this worker; outcome dropped");
    }
    Ok(current)
}
