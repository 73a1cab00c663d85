//! Apps bought from vendors: registering them, reading them, and changing
//! their purchased seats.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::ids::*;
use crate::licensing::{LicenseChanges, engine};
use crate::locks;
use crate::model::{Actor, App, NewApp, Seats, Vendor, now, utc};
use crate::paging::{Cursor, Page, PageRequest, after_name_key};
use crate::schema::apps;
use crate::validate;

/// Largest seat count an app may have.
pub const MAX_SEATS: i64 = 10_000_000;

#[derive(Insertable, Queryable)]
#[diesel(table_name = apps)]
pub(crate) struct AppRow {
    tenant_id: TenantId,
    id: AppId,
    name: String,
    name_key: String,
    description: String,
    vendor_name: String,
    vendor_website: String,
    vendor_support_email: String,
    purchased_seats: i64,
    assigned_seats: i64,
    adapter_key: Option<String>,
    adapter_settings: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

impl From<AppRow> for App {
    fn from(r: AppRow) -> Self {
        App {
            id: r.id,
            name: r.name,
            description: r.description,
            vendor: Vendor {
                name: r.vendor_name,
                website: r.vendor_website,
                support_email: r.vendor_support_email,
            },
            seats: Seats {
                purchased: r.purchased_seats,
                assigned: r.assigned_seats,
            },
            adapter_key: r.adapter_key,
            adapter_settings: serde_json::from_str(&r.adapter_settings)
                .unwrap_or(serde_json::Value::Null),
            created_at: utc(r.created_at),
        }
    }
}

/// One app by id, inside a transaction or not.
pub(crate) async fn load(conn: &mut Conn<'_>, tenant: TenantId, app: AppId) -> CoreResult<App> {
    let query = apps::table
        .filter(apps::tenant_id.eq(tenant))
        .filter(apps::id.eq(app))
        .select(apps::all_columns);
    let row: Option<AppRow> = on_conn!(conn, c => query.first(c).await.optional())?;
    row.map(App::from)
        .ok_or_else(|| CoreError::not_found(EntityKind::App, app))
}

/// Set an app's purchased seats inside the caller's write transaction:
/// [`Store::set_purchased_seats`] and a completed seat-change operation
/// share it, so the seat rule has one implementation.
///
/// Fails with [`CoreError::SeatsInUse`] (or `INVALID_INPUT` for a quantity
/// out of range) before writing anything, so a caller may turn that error
/// into another outcome and still commit.
pub(crate) async fn apply_purchased_seats(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    actor: &Actor,
    app: AppId,
    quantity: i64,
) -> CoreResult<(App, LicenseChanges)> {
    let quantity = check_seats(InputField::Quantity, quantity)?;
    locks::apps(conn, tenant, &[app]).await?;
    let seats = engine::seats(conn, tenant, app).await?;
    if quantity < seats.assigned {
        return Err(CoreError::SeatsInUse {
            requested: quantity,
            in_use: seats.assigned,
        });
    }
    let update = diesel::update(
        apps::table
            .filter(apps::tenant_id.eq(tenant))
            .filter(apps::id.eq(app)),
    )
    .set((
        apps::purchased_seats.eq(quantity),
        apps::updated_at.eq(now()),
    ));
    on_conn!(conn, c => update.execute(c).await)?;
    let resolved = engine::resolve_waiting(conn, tenant, app).await?;
    audit::record(
        conn,
        tenant,
        actor,
        AuditAction::AppSeatsChanged,
        Target::app(app),
        serde_json::json!({
            "previous": seats.purchased, "quantity": quantity, "waitingResolved": resolved.len(),
        }),
    )
    .await?;
    let mut changes = LicenseChanges::new();
    changes.record_gained(app, resolved);
    Ok((load(conn, tenant, app).await?, changes))
}

pub(crate) fn check_seats(field: InputField, seats: i64) -> CoreResult<i64> {
    if !(0..=MAX_SEATS).contains(&seats) {
        return Err(CoreError::invalid(
            field,
            format!("must be between 0 and {MAX_SEATS}"),
        ));
    }
    Ok(seats)
}

impl Store {
    /// Register an app the tenant bought.
    pub async fn register_app(
        &self,
        tenant: TenantId,
        actor: &Actor,
        new: NewApp,
    ) -> CoreResult<App> {
        let name = validate::required(InputField::Name, &new.name, validate::MAX_NAME_LEN)?;
        let adapter_settings =
            validate::adapter_settings(InputField::AdapterSettings, &new.adapter_settings)?;
        let adapter_key = match new.adapter_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(key) => Some(validate::required(
                InputField::AdapterKey,
                key,
                validate::MAX_NAME_LEN,
            )?),
        };
        let at = now();
        let row = AppRow {
            tenant_id: tenant,
            id: AppId::new(),
            name_key: validate::sort_key(&name),
            name,
            description: validate::optional(
                InputField::Description,
                &new.description,
                validate::MAX_DESCRIPTION_LEN,
            )?,
            vendor_name: validate::required(
                InputField::VendorName,
                &new.vendor.name,
                validate::MAX_NAME_LEN,
            )?,
            vendor_website: validate::http_url(InputField::VendorWebsite, &new.vendor.website)?,
            vendor_support_email: validate::email(
                InputField::VendorSupportEmail,
                &new.vendor.support_email,
            )?,
            purchased_seats: check_seats(InputField::Seats, new.seats)?,
            assigned_seats: 0,
            adapter_key,
            adapter_settings,
            created_at: at,
            updated_at: at,
        };
        write_txn!(self, conn => {
            self.require_tenant(conn, tenant).await?;
            on_conn!(conn, c => diesel::insert_into(apps::table).values(&row).execute(c).await)?;
            audit::record(conn, tenant, actor, AuditAction::AppRegistered, Target::app(row.id), serde_json::json!({
                "name": row.name, "seats": row.purchased_seats, "adapterKey": row.adapter_key,
            })).await?;
            Ok(())
        })?;
        Ok(row.into())
    }

    /// One app.
    pub async fn app(&self, tenant: TenantId, app: AppId) -> CoreResult<App> {
        read_conn!(self, conn => load(conn, tenant, app).await)
    }

    /// Apps by id, in no particular order; unknown ids are left out.
    pub async fn apps_by_ids(&self, tenant: TenantId, ids: &[AppId]) -> CoreResult<Vec<App>> {
        read_conn!(self, conn => {
            let query = apps::table
                .filter(apps::tenant_id.eq(tenant))
                .filter(apps::id.eq_any(ids))
                .select(apps::all_columns);
            let rows: Vec<AppRow> = on_conn!(conn, c => query.load(c).await)?;
            Ok(rows.into_iter().map(App::from).collect())
        })
    }

    /// The tenant's apps by name; `search` matches any part of the name.
    pub async fn list_apps(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: &PageRequest,
    ) -> CoreResult<Page<App>> {
        let pattern = search
            .filter(|s| !s.trim().is_empty())
            .map(validate::contains_pattern);
        read_conn!(self, conn => {
            let rows: Vec<AppRow> = on_conn!(conn, c => {
                let mut q = apps::table.filter(apps::tenant_id.eq(tenant)).into_boxed();
                if let Some(p) = &pattern {
                    q = q.filter(apps::name_key.like(p.clone()).escape('\\'));
                }
                let q = after_name_key!(q, apps, &page.after, AppId);
                q.order((apps::name_key, apps::id))
                    .limit(page.fetch_limit())
                    .select(apps::all_columns)
                    .load(c)
                    .await
            })?;
            let total = if page.count_total {
                Some(on_conn!(conn, c => {
                    let mut q = apps::table.filter(apps::tenant_id.eq(tenant)).into_boxed();
                    if let Some(p) = &pattern {
                        q = q.filter(apps::name_key.like(p.clone()).escape('\\'));
                    }
                    q.count().get_result(c).await
                })?)
            } else {
                None
            };
            Ok(Page::from_rows(page, rows, total, |r| Cursor::new(r.name_key.clone(), r.id.0)).map(App::from))
        })
    }

    /// Set the purchased seats of an app (after the vendor confirmed the
    /// change). Refuses to go below the seats in use; extra seats go to users
    /// waiting in `COUNT_VIOLATION`, oldest first (they are the returned
    /// changes' gained users).
    pub async fn set_purchased_seats(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        quantity: i64,
    ) -> CoreResult<(App, LicenseChanges)> {
        write_txn!(self, conn => apply_purchased_seats(conn, tenant, actor, app, quantity).await)
    }

    pub(crate) async fn require_tenant(
        &self,
        conn: &mut Conn<'_>,
        tenant: TenantId,
    ) -> CoreResult<()> {
        use crate::schema::tenants;
        let query = tenants::table.filter(tenants::tenant_id.eq(tenant)).count();
        let n: i64 = on_conn!(conn, c => query.get_result(c).await)?;
        if n == 0 {
            return Err(CoreError::not_found(EntityKind::Tenant, tenant));
        }
        Ok(())
    }
}
