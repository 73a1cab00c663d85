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
use crate::model::{Actor, App, AppUpdate, NewApp, Seats, Vendor, now, utc};
use crate::paging::{Cursor, Page, PageRequest, after_name_key};
use crate::schema::{apps, license_assignments, seat_change_operations, user_licenses};
use crate::seat_changes::SeatChangeStatus;
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

/// What removing an app released.
#[derive(Debug, Clone, Default)]
pub struct AppRemoved {
    /// Assignments (to users and groups) removed with it.
    pub assignments_removed: usize,
    /// Every user who held the app's license (or waited for a seat) lost
    /// it.
    pub license_changes: LicenseChanges,
}

/// An adapter key as stored: trimmed, and none when empty.
fn adapter_key(key: Option<&str>) -> CoreResult<Option<String>> {
    match key.map(str::trim) {
        None | Some("") => Ok(None),
        Some(key) => Ok(Some(validate::required(
            InputField::AdapterKey,
            key,
            validate::MAX_NAME_LEN,
        )?)),
    }
}

/// The vendor's contact details, checked as registering an app checks them.
fn vendor(vendor: &Vendor) -> CoreResult<Vendor> {
    Ok(Vendor {
        name: validate::required(InputField::VendorName, &vendor.name, validate::MAX_NAME_LEN)?,
        website: validate::http_url(InputField::VendorWebsite, &vendor.website)?,
        support_email: validate::email(InputField::VendorSupportEmail, &vendor.support_email)?,
    })
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
    let resolved_count = resolved.len() as i64;
    let mut changes = LicenseChanges::new();
    changes.record_gained(app, resolved);
    crate::events::record_license_changes(conn, tenant, &changes).await?;
    // The seats after the change, known without reading them back.
    let after = Seats {
        purchased: quantity,
        assigned: seats.assigned + resolved_count,
    };
    crate::events::seats_changed(conn, tenant, app, after).await?;
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
        let adapter_key = adapter_key(new.adapter_key.as_deref())?;
        let vendor = vendor(&new.vendor)?;
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
            vendor_name: vendor.name,
            vendor_website: vendor.website,
            vendor_support_email: vendor.support_email,
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

    /// Change an app's name, description, vendor contact or adapter, with
    /// the checks of [`Store::register_app`] (adapter settings: a JSON
    /// object of at most 16 KiB). Seats are not changed here. When nothing
    /// changes, nothing is written (no audit event).
    pub async fn update_app(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        update: AppUpdate,
    ) -> CoreResult<App> {
        let name = update
            .name
            .map(|n| validate::required(InputField::Name, &n, validate::MAX_NAME_LEN))
            .transpose()?;
        let description = update
            .description
            .map(|d| validate::optional(InputField::Description, &d, validate::MAX_DESCRIPTION_LEN))
            .transpose()?;
        let vendor = update.vendor.as_ref().map(vendor).transpose()?;
        let adapter_key = update
            .adapter_key
            .as_deref()
            .map(|k| adapter_key(Some(k)))
            .transpose()?;
        let adapter_settings = update
            .adapter_settings
            .as_ref()
            .map(|s| validate::adapter_settings(InputField::AdapterSettings, s))
            .transpose()?;
        write_txn!(self, conn => {
            locks::apps(conn, tenant, &[app]).await?;
            let query = apps::table
                .filter(apps::tenant_id.eq(tenant))
                .filter(apps::id.eq(app))
                .select(apps::all_columns);
            let mut row: AppRow = on_conn!(conn, c => query.first(c).await)?;
            let mut changed: Vec<&str> = Vec::new();
            if let Some(name) = name.filter(|n| *n != row.name) {
                row.name_key = validate::sort_key(&name);
                row.name = name;
                changed.push("name");
            }
            if let Some(description) = description.filter(|d| *d != row.description) {
                row.description = description;
                changed.push("description");
            }
            let current = (&row.vendor_name, &row.vendor_website, &row.vendor_support_email);
            if let Some(vendor) = vendor.filter(|v| (&v.name, &v.website, &v.support_email) != current) {
                row.vendor_name = vendor.name;
                row.vendor_website = vendor.website;
                row.vendor_support_email = vendor.support_email;
                changed.push("vendor");
            }
            if let Some(key) = adapter_key.filter(|k| *k != row.adapter_key) {
                row.adapter_key = key;
                changed.push("adapterKey");
            }
            if let Some(settings) = adapter_settings.filter(|s| *s != row.adapter_settings) {
                row.adapter_settings = settings;
                changed.push("adapterSettings");
            }
            if changed.is_empty() {
                return Ok(App::from(row));
            }
            row.updated_at = now();
            let write = diesel::update(apps::table.filter(apps::tenant_id.eq(tenant)).filter(apps::id.eq(app)))
                .set((
                    apps::name.eq(&row.name),
                    apps::name_key.eq(&row.name_key),
                    apps::description.eq(&row.description),
                    apps::vendor_name.eq(&row.vendor_name),
                    apps::vendor_website.eq(&row.vendor_website),
                    apps::vendor_support_email.eq(&row.vendor_support_email),
                    apps::adapter_key.eq(&row.adapter_key),
                    apps::adapter_settings.eq(&row.adapter_settings),
                    apps::updated_at.eq(row.updated_at),
                ));
            on_conn!(conn, c => write.execute(c).await)?;
            // Settings may carry account ids: the trail names the fields
            // that changed, not the settings' values.
            audit::record(conn, tenant, actor, AuditAction::AppUpdated, Target::app(app), serde_json::json!({
                "changed": changed, "name": row.name, "adapterKey": row.adapter_key,
            })).await?;
            Ok(App::from(row))
        })
    }

    /// Remove an app the tenant no longer uses.
    ///
    /// Refused with [`CoreError::AppHasAssignments`] while it has any
    /// assignment, unless `unassign_all`: then every assignment and license
    /// goes in the same transaction (every holder, and every user waiting
    /// for a seat, loses it). Refused with [`CoreError::SeatChangeUnderWay`]
    /// while a seat change is `PENDING` or `IN_PROGRESS`, whatever
    /// `unassign_all` says: the vendor is acting on it and the worker must
    /// be able to record the answer. Finished seat changes go with the app;
    /// the audit trail keeps their history.
    pub async fn remove_app(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        unassign_all: bool,
    ) -> CoreResult<AppRemoved> {
        write_txn!(self, conn => {
            locks::apps(conn, tenant, &[app]).await?;
            let under_way = seat_change_operations::table
                .filter(seat_change_operations::tenant_id.eq(tenant))
                .filter(seat_change_operations::app_id.eq(app))
                .filter(seat_change_operations::status.eq_any([SeatChangeStatus::Pending, SeatChangeStatus::InProgress]))
                .count();
            let operations: i64 = on_conn!(conn, c => under_way.get_result(c).await)?;
            if operations > 0 {
                return Err(CoreError::SeatChangeUnderWay { operations });
            }
            let assigned = license_assignments::table
                .filter(license_assignments::tenant_id.eq(tenant))
                .filter(license_assignments::app_id.eq(app))
                .count();
            let assignments: i64 = on_conn!(conn, c => assigned.get_result(c).await)?;
            if assignments > 0 && !unassign_all {
                return Err(CoreError::AppHasAssignments { assignments });
            }
            let name = load(conn, tenant, app).await?.name;
            let delete_licenses = diesel::delete(
                user_licenses::table
                    .filter(user_licenses::tenant_id.eq(tenant))
                    .filter(user_licenses::app_id.eq(app)),
            )
            .returning(user_licenses::user_id);
            let lost: Vec<UserId> = on_conn!(conn, c => delete_licenses.load(c).await)?;
            let delete_assignments = diesel::delete(
                license_assignments::table
                    .filter(license_assignments::tenant_id.eq(tenant))
                    .filter(license_assignments::app_id.eq(app)),
            );
            let assignments_removed = on_conn!(conn, c => delete_assignments.execute(c).await)?;
            let delete_operations = diesel::delete(
                seat_change_operations::table
                    .filter(seat_change_operations::tenant_id.eq(tenant))
                    .filter(seat_change_operations::app_id.eq(app)),
            );
            on_conn!(conn, c => delete_operations.execute(c).await)?;
            let delete_app = diesel::delete(apps::table.filter(apps::tenant_id.eq(tenant)).filter(apps::id.eq(app)));
            on_conn!(conn, c => delete_app.execute(c).await)?;
            audit::record(conn, tenant, actor, AuditAction::AppRemoved, Target::app(app), serde_json::json!({
                "name": name, "assignmentsRemoved": assignments_removed, "licensesReleased": lost.len(),
            })).await?;
            let mut license_changes = LicenseChanges::new();
            license_changes.record_lost(app, lost);
            crate::events::record_license_changes(conn, tenant, &license_changes).await?;
            Ok(AppRemoved { assignments_removed, license_changes })
        })
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
