//! Recording a seat-change request.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::row::{OperationRow, target};
use super::{
    MAX_IDEMPOTENCY_KEY_LEN, SeatChangeOperation, SeatChangeOperationId, SeatChangeStatus,
};
use crate::apps::{self, check_seats};
use crate::audit::{self, AuditAction};
use crate::db::{Conn, Store, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, InputField};
use crate::ids::{AppId, TenantId};
use crate::locks;
use crate::model::{Actor, now};
use crate::schema::seat_change_operations as ops;

impl Store {
    /// Record a request to set `app`'s purchased seats to `quantity`, to be
    /// carried out by the seat-change worker. Returns the operation and
    /// whether this call created it.
    ///
    /// Idempotency keys are unique per tenant: the same key again returns
    /// the operation it first created (`created == false`), whatever became
    /// of it. The same key for a different app or quantity is a client bug
    /// and fails with [`CoreError::AlreadyExists`] on `idempotencyKey`.
    ///
    /// Refused before anything is stored: a quantity outside
    /// `0..=MAX_SEATS` or equal to the current purchased seats
    /// (`INVALID_INPUT`), an empty or over-long key (`INVALID_INPUT`), an
    /// unknown app (`NOT_FOUND`), and a decrease below the seats in use
    /// ([`CoreError::SeatsInUse`]), so no vendor is ever asked for it.
    pub async fn request_seat_change(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        quantity: i64,
        idempotency_key: &str,
    ) -> CoreResult<(SeatChangeOperation, bool)> {
        let quantity = check_seats(InputField::Quantity, quantity)?;
        let key = check_key(idempotency_key)?;
        let recorded = write_txn!(self, conn => {
            // Locking the app orders this request after concurrent seat
            // changes, so the seats-in-use check below reads settled numbers.
            locks::apps(conn, tenant, &[app]).await?;
            if let Some(existing) = by_key(conn, tenant, &key).await? {
                return same_request(existing, app, quantity).map(|op| (op, false));
            }
            let seats = apps::load(conn, tenant, app).await?.seats;
            if quantity < seats.assigned {
                return Err(CoreError::SeatsInUse { requested: quantity, in_use: seats.assigned });
            }
            if quantity == seats.purchased {
                return Err(CoreError::invalid(InputField::Quantity, format!("the app already has {quantity} seats")));
            }
            let at = now();
            let row = OperationRow {
                tenant_id: tenant,
                id: SeatChangeOperationId::new(),
                app_id: app,
                idempotency_key: key.clone(),
                status: SeatChangeStatus::Pending,
                previous_quantity: seats.purchased,
                requested_quantity: quantity,
                vendor_ref: None,
                message: None,
                contact: None,
                attempts: 0,
                next_attempt_at: at,
                lease_owner: None,
                requested_by: actor.subject.clone(),
                created_at: at,
                updated_at: at,
            };
            on_conn!(conn, c => diesel::insert_into(ops::table).values(&row).execute(c).await)?;
            let op = row.into_operation()?;
            audit::record(conn, tenant, actor, AuditAction::SeatChangeRequested, target(&op), serde_json::json!({
                "operationId": op.id,
                "previous": op.previous_quantity,
                "requested": op.requested_quantity,
            }))
            .await?;
            Ok((op, true))
        });
        match recorded {
            // A concurrent request with the same key (for another app, so not
            // serialised by the app lock) committed first: answer as a replay.
            Err(CoreError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _,
            ))) => {
                let existing = read_conn!(self, conn => by_key(conn, tenant, &key).await)?
                    .ok_or_else(|| {
                        CoreError::Internal(
                            "idempotency key clash without a stored operation".into(),
                        )
                    })?;
                same_request(existing, app, quantity).map(|op| (op, false))
            }
            other => other,
        }
    }
}

/// Keys are opaque: kept exactly as given, only bounded.
fn check_key(key: &str) -> CoreResult<String> {
    if key.trim().is_empty() {
        return Err(CoreError::invalid(
            InputField::IdempotencyKey,
            "must not be empty",
        ));
    }
    if key.chars().count() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(CoreError::invalid(
            InputField::IdempotencyKey,
            format!("must be at most {MAX_IDEMPOTENCY_KEY_LEN} characters"),
        ));
    }
    Ok(key.to_owned())
}

async fn by_key(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    key: &str,
) -> CoreResult<Option<SeatChangeOperation>> {
    let query = ops::table
        .filter(ops::tenant_id.eq(tenant))
        .filter(ops::idempotency_key.eq(key))
        .select(ops::all_columns);
    let row: Option<OperationRow> = on_conn!(conn, c => query.first(c).await.optional())?;
    row.map(OperationRow::into_operation).transpose()
}

/// A replayed key must name the same request it named the first time.
fn same_request(
    existing: SeatChangeOperation,
    app: AppId,
    quantity: i64,
) -> CoreResult<SeatChangeOperation> {
    if existing.app_id == app && existing.requested_quantity == quantity {
        Ok(existing)
    } else {
        Err(CoreError::AlreadyExists {
            field: InputField::IdempotencyKey,
            message: format!(
                "was already used for another seat change (operation {}: app {}, {} seats)",
                existing.id, existing.app_id, existing.requested_quantity
            ),
        })
    }
}
