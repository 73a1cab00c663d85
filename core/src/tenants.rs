//! Tenants: the organisations using Seatwise.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::audit::{self, AuditAction, Target};
use crate::db::{Store, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::ids::TenantId;
use crate::model::{Actor, Tenant, now, utc};
use crate::schema::tenants;
use crate::validate;

#[derive(Insertable, Queryable)]
#[diesel(table_name = tenants)]
struct TenantRow {
    tenant_id: TenantId,
    name: String,
    created_at: chrono::NaiveDateTime,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant {
            id: r.tenant_id,
            name: r.name,
            created_at: utc(r.created_at),
        }
    }
}

impl Store {
    /// Create a tenant.
    pub async fn create_tenant(&self, actor: &Actor, name: &str) -> CoreResult<Tenant> {
        let row = TenantRow {
            tenant_id: TenantId::new(),
            name: validate::required(InputField::Name, name, validate::MAX_NAME_LEN)?,
            created_at: now(),
        };
        write_txn!(self, conn => {
            on_conn!(conn, c => diesel::insert_into(tenants::table).values(&row).execute(c).await)?;
            audit::record(conn, row.tenant_id, actor, AuditAction::TenantCreated, Target::tenant(row.tenant_id),
                serde_json::json!({ "name": row.name })).await?;
            Ok(())
        })?;
        Ok(row.into())
    }

    /// A tenant by id.
    pub async fn tenant(&self, id: TenantId) -> CoreResult<Tenant> {
        read_conn!(self, conn => {
            let query = tenants::table.filter(tenants::tenant_id.eq(id)).select(tenants::all_columns);
            let row: Option<TenantRow> = on_conn!(conn, c => query.first(c).await.optional())?;
            row.map(Tenant::from).ok_or_else(|| CoreError::not_found(EntityKind::Tenant, id))
        })
    }

    /// A tenant by exact name, if any (the demo seeding finds its tenant so).
    pub async fn tenant_named(&self, name: &str) -> CoreResult<Option<Tenant>> {
        read_conn!(self, conn => {
            let query = tenants::table
                .filter(tenants::name.eq(name))
                .order(tenants::tenant_id)
                .select(tenants::all_columns);
            let row: Option<TenantRow> = on_conn!(conn, c => query.first(c).await.optional())?;
            Ok(row.map(Tenant::from))
        })
    }
}
