//! Recording what the vendor answered. Every transition runs in one write
//! transaction that first checks the caller still holds the lease (else it
//! returns `Ok(None)` and changes nothing), then updates the operation,
//! releases the lease and writes an audit event.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::time::Duration;

use super::notices;
use super::row::{OperationRow, owned, target};
use super::{
    MAX_SEAT_CHANGE_ATTEMPTS, SeatChangeCompletion, SeatChangeOperation, SeatChangeStatus,
    VendorContactDetails,
};
use crate::apps::apply_purchased_seats;
use crate::audit::{self, AuditAction};
use crate::db::{Conn, Store, on_conn, write_txn};
use crate::error::{CoreError, CoreResult, InputField};
use crate::licensing::LicenseChanges;
use crate::locks;
use crate::model::{Actor, now};
use crate::schema::seat_change_operations as ops;
use crate::stored::StoredEnum;

/// Longest vendor reference stored; a longer one is refused, since a
/// shortened reference could not be polled.
pub const MAX_VENDOR_REF_LEN: usize = 1_024;
/// Longest message stored; longer vendor text is shortened (display only).
const MAX_MESSAGE_LEN: usize = 2_000;

/// The columns a transition may change.
#[derive(AsChangeset)]
#[diesel(table_name = ops, treat_none_as_null = true)]
struct Transition {
    status: SeatChangeStatus,
    vendor_ref: Option<String>,
    message: Option<String>,
    contact: Option<String>,
    attempts: i32,
    next_attempt_at: chrono::NaiveDateTime,
    lease_owner: Option<String>,
    updated_at: chrono::NaiveDateTime,
}

impl Transition {
    /// Unchanged but for the lease, which every transition gives back, and
    /// `next_attempt_at`, which held the lease's end: a final operation keeps
    /// it as is (nothing is due again), others set their own.
    fn from(op: &SeatChangeOperation) -> Self {
        Self {
            status: op.status,
            vendor_ref: op.vendor_ref.clone(),
            message: op.message.clone(),
            contact: None,
            attempts: op.attempts,
            next_attempt_at: op.next_attempt_at.naive_utc(),
            lease_owner: None,
            updated_at: now(),
        }
    }

    fn finish(&mut self, status: SeatChangeStatus, message: Option<String>) {
        self.status = status;
        self.message = message;
    }
}

async fn apply(
    conn: &mut Conn<'_>,
    op: &SeatChangeOperation,
    change: Transition,
) -> CoreResult<SeatChangeOperation> {
    let update = diesel::update(
        ops::table
            .filter(ops::tenant_id.eq(op.tenant_id))
            .filter(ops::id.eq(op.id)),
    )
    .set(change)
    .returning(ops::all_columns);
    let row: OperationRow = on_conn!(conn, c => update.get_result(c).await)?;
    let done = row.into_operation()?;
    notices::within(conn, &done).await?;
    crate::events::seat_change_finished(conn, &done).await?;
    Ok(done)
}

async fn audit_event(
    conn: &mut Conn<'_>,
    op: &SeatChangeOperation,
    action: AuditAction,
    mut details: serde_json::Value,
) -> CoreResult<()> {
    if let Some(map) = details.as_object_mut() {
        map.insert("operationId".into(), serde_json::json!(op.id));
        map.insert("status".into(), serde_json::json!(op.status.stored()));
        map.insert("requestedBy".into(), serde_json::json!(op.requested_by));
    }
    audit::record(
        conn,
        op.tenant_id,
        &Actor::system(),
        action,
        target(op),
        details,
    )
    .await
}

/// Vendor text is shown to administrators: keep it bounded.
fn bounded(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_MESSAGE_LEN {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(MAX_MESSAGE_LEN - 1).collect();
    short.push('…');
    short
}

fn after(delay: Duration) -> chrono::NaiveDateTime {
    let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
    now()
        .checked_add_signed(delay)
        .unwrap_or(chrono::NaiveDateTime::MAX)
}

/// A transition's outcome, as far as watchers care.
trait Announced {
    fn operation(&self) -> &SeatChangeOperation;
}

impl Announced for SeatChangeOperation {
    fn operation(&self) -> &SeatChangeOperation {
        self
    }
}

impl Announced for SeatChangeCompletion {
    fn operation(&self) -> &SeatChangeOperation {
        &self.operation
    }
}

impl Store {
    /// Tell this process's watchers about a committed transition (SQLite;
    /// on PostgreSQL the notice was sent in the transaction).
    fn announce<T: Announced>(&self, changed: CoreResult<Option<T>>) -> CoreResult<Option<T>> {
        if let Ok(Some(done)) = &changed {
            self.seat_change_notices().committed(done.operation());
        }
        changed
    }

    /// The vendor completed the change with `quantity` seats: set the app's
    /// purchased seats (giving new seats to users waiting in
    /// `COUNT_VIOLATION`) and mark the operation `SUCCEEDED`, in one
    /// transaction. A quantity that cannot be applied (below the seats in
    /// use now, or out of range) marks it `FAILED` with the reason instead
    /// and leaves the seats alone.
    pub async fn complete_seat_change(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        quantity: i64,
    ) -> CoreResult<Option<SeatChangeCompletion>> {
        let changed = write_txn!(self, conn => {
            // Apps before operations: the global lock order (see `locks`).
            locks::apps(conn, op.tenant_id, &[op.app_id]).await?;
            let Some(current) = owned(conn, op, owner).await? else { return Ok(None) };
            let mut change = Transition::from(&current);
            match apply_purchased_seats(conn, op.tenant_id, &Actor::system(), op.app_id, quantity).await {
                Ok((_, license_changes)) => {
                    let note = (quantity != current.requested_quantity).then(|| {
                        format!("the vendor set {quantity} seats (requested {})", current.requested_quantity)
                    });
                    change.finish(SeatChangeStatus::Succeeded, note);
                    let done = apply(conn, &current, change).await?;
                    audit_event(conn, &done, AuditAction::SeatChangeSucceeded, serde_json::json!({
                        "quantity": quantity, "waitingResolved": license_changes.gained_count(),
                    }))
                    .await?;
                    tracing::info!(operation = %done.id, quantity, "seat change succeeded");
                    Ok(Some(SeatChangeCompletion { operation: done, license_changes }))
                }
                // Both are refused before anything is written, so the
                // transaction can go on to record the failure.
                Err(error @ (CoreError::SeatsInUse { .. } | CoreError::InvalidInput { .. })) => {
                    let reason = format!("the vendor reported {quantity} seats, which cannot be applied: {error}");
                    change.finish(SeatChangeStatus::Failed, Some(reason.clone()));
                    let done = apply(conn, &current, change).await?;
                    audit_event(conn, &done, AuditAction::SeatChangeFailed, serde_json::json!({ "reason": reason })).await?;
                    tracing::warn!(operation = %done.id, quantity, "seat change failed: {reason}");
                    Ok(Some(SeatChangeCompletion { operation: done, license_changes: LicenseChanges::new() }))
                }
                Err(other) => Err(other),
            }
        });
        self.announce(changed)
    }

    /// The vendor accepted the change and is working on it: the operation
    /// becomes `IN_PROGRESS` with the vendor's reference, to be polled again
    /// after `poll_in`. A reference that is empty or longer than
    /// [`MAX_VENDOR_REF_LEN`] is refused (`INVALID_INPUT` on `vendorRef`).
    pub async fn mark_pending(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        vendor_ref: &str,
        message: Option<&str>,
        poll_in: Duration,
    ) -> CoreResult<Option<SeatChangeOperation>> {
        if vendor_ref.trim().is_empty() || vendor_ref.chars().count() > MAX_VENDOR_REF_LEN {
            return Err(CoreError::invalid(
                InputField::VendorRef,
                format!("must be 1 to {MAX_VENDOR_REF_LEN} characters"),
            ));
        }
        let changed = write_txn!(self, conn => {
            let Some(current) = owned(conn, op, owner).await? else { return Ok(None) };
            let mut change = Transition::from(&current);
            change.status = SeatChangeStatus::InProgress;
            change.vendor_ref = Some(vendor_ref.to_owned());
            change.message = message.map(bounded);
            change.next_attempt_at = after(poll_in);
            let done = apply(conn, &current, change).await?;
            // Audit when the vendor accepts, not on every poll.
            if current.status != SeatChangeStatus::InProgress || current.vendor_ref != done.vendor_ref {
                audit_event(conn, &done, AuditAction::SeatChangeAccepted, serde_json::json!({ "vendorRef": vendor_ref })).await?;
            }
            Ok(Some(done))
        });
        self.announce(changed)
    }

    /// The change must be arranged with the vendor directly: final status
    /// `CONTACT_VENDOR` with the contact details.
    pub async fn mark_contact_vendor(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        contact: &VendorContactDetails,
    ) -> CoreResult<Option<SeatChangeOperation>> {
        let stored = serde_json::to_string(contact)
            .map_err(|e| CoreError::Internal(format!("encoding vendor contact: {e}")))?;
        let changed = write_txn!(self, conn => {
            let Some(current) = owned(conn, op, owner).await? else { return Ok(None) };
            let mut change = Transition::from(&current);
            change.finish(SeatChangeStatus::ContactVendor, Some(bounded(&contact.message)));
            change.contact = Some(stored);
            let done = apply(conn, &current, change).await?;
            audit_event(conn, &done, AuditAction::SeatChangeContactVendor, serde_json::json!({
                "email": contact.email, "website": contact.website,
            }))
            .await?;
            Ok(Some(done))
        });
        self.announce(changed)
    }

    /// The vendor refused the change: final status `REJECTED` with its reason.
    pub async fn mark_rejected(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        reason: &str,
    ) -> CoreResult<Option<SeatChangeOperation>> {
        self.settle(
            op,
            owner,
            SeatChangeStatus::Rejected,
            AuditAction::SeatChangeRejected,
            reason,
        )
        .await
    }

    /// The change can never succeed (a permanent vendor error, a broken
    /// plugin): final status `FAILED` with the reason.
    pub async fn mark_failed(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        reason: &str,
    ) -> CoreResult<Option<SeatChangeOperation>> {
        self.settle(
            op,
            owner,
            SeatChangeStatus::Failed,
            AuditAction::SeatChangeFailed,
            reason,
        )
        .await
    }

    /// A vendor call failed with a retryable error: count the attempt and
    /// try again after `retry_in`, keeping the status. The
    /// [`MAX_SEAT_CHANGE_ATTEMPTS`]th failure marks the operation `FAILED`.
    pub async fn retry_later(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        error: &str,
        retry_in: Duration,
    ) -> CoreResult<Option<SeatChangeOperation>> {
        let changed = write_txn!(self, conn => {
            let Some(current) = owned(conn, op, owner).await? else { return Ok(None) };
            let mut change = Transition::from(&current);
            change.attempts = current.attempts.saturating_add(1);
            let error = bounded(error);
            let action = if change.attempts >= MAX_SEAT_CHANGE_ATTEMPTS {
                change.finish(
                    SeatChangeStatus::Failed,
                    Some(bounded(&format!("gave up after {} failed attempts; last error: {error}", change.attempts))),
                );
                AuditAction::SeatChangeFailed
            } else {
                change.message = Some(error.clone());
                change.next_attempt_at = after(retry_in);
                AuditAction::SeatChangeRetryScheduled
            };
            let done = apply(conn, &current, change).await?;
            audit_event(conn, &done, action, serde_json::json!({
                "attempts": done.attempts, "error": error, "nextAttemptAt": done.next_attempt_at,
            }))
            .await?;
            Ok(Some(done))
        });
        self.announce(changed)
    }

    /// Give a claimed operation back untouched, due again after `retry_in`:
    /// the worker could not start it (its adapter is busy with as many
    /// calls as it may run at once). No attempt is counted and nothing is
    /// audited, because nothing was asked of the vendor.
    pub async fn release_seat_change(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        retry_in: Duration,
    ) -> CoreResult<Option<SeatChangeOperation>> {
        write_txn!(self, conn => {
            let Some(current) = owned(conn, op, owner).await? else { return Ok(None) };
            let mut change = Transition::from(&current);
            change.next_attempt_at = after(retry_in);
            Ok(Some(apply(conn, &current, change).await?))
        })
    }

    async fn settle(
        &self,
        op: &SeatChangeOperation,
        owner: &str,
        status: SeatChangeStatus,
        action: AuditAction,
        reason: &str,
    ) -> CoreResult<Option<SeatChangeOperation>> {
        let changed = write_txn!(self, conn => {
            let Some(current) = owned(conn, op, owner).await? else { return Ok(None) };
            let mut change = Transition::from(&current);
            let reason = bounded(reason);
            change.finish(status, Some(reason.clone()));
            let done = apply(conn, &current, change).await?;
            audit_event(conn, &done, action, serde_json::json!({ "reason": reason })).await?;
            Ok(Some(done))
        });
        self.announce(changed)
    }
}
