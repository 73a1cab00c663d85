//! A tenant's webhook endpoints: where events go, and the secret they are
//! signed with.
//!
//! The secret (`whsec_` and 32 random bytes in base64, the Standard
//! Webhooks form) must be usable to sign, so unlike SCIM tokens it cannot
//! be stored hashed: it is stored as-is, like adapter settings, shown once
//! in the answer that creates it, and never again — not in reads, the audit
//! trail or logs ([`WebhookSecret`] is not `Debug`).
//!
//! Whether a URL's host may be reached (https, no private addresses) needs
//! DNS, so the API checks it before calling in here, and again at every
//! delivery; the core checks only shape and size.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rand::RngCore as _;
use std::collections::BTreeSet;

use super::event::EventKind;
use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, insert_rows, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::ids::{TenantId, WebhookEndpointId};
use crate::model::{Actor, now, utc};
use crate::schema::{webhook_endpoints, webhook_subscriptions};
use crate::stored::StoredEnum;
use crate::validate;

/// Every secret starts with this (the Standard Webhooks convention).
pub const SECRET_PREFIX: &str = "whsec_";
/// Endpoints one tenant may register.
pub const MAX_ENDPOINTS_PER_TENANT: usize = 20;
/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2_048;

/// A webhook endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: WebhookEndpointId,
    /// Where events are POSTed.
    pub url: String,
    /// What the admin noted about it.
    pub description: String,
    /// The event types it receives, in declaration order.
    pub events: Vec<EventKind>,
    /// Whether events are sent to it; a disabled endpoint receives no new
    /// events, and what it had queued waits until it is enabled again.
    pub enabled: bool,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhookEndpoint {
    /// Where to POST events (already checked by the API for reachability).
    pub url: String,
    /// Which events to send.
    pub events: Vec<EventKind>,
    /// A note for admins.
    pub description: Option<String>,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookEndpointUpdate {
    /// A new URL (already checked by the API).
    pub url: Option<String>,
    /// A new set of events.
    pub events: Option<Vec<EventKind>>,
    /// Turn sending on or off.
    pub enabled: Option<bool>,
    /// A new note.
    pub description: Option<String>,
}

/// A signing secret. Not `Debug`, so it cannot end up in a log line.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!(
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    pub(crate) fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The secret, `whsec_…`: for the one answer that shows it, and for
    /// signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Insertable, Queryable)]
#[diesel(table_name = webhook_endpoints, treat_none_as_default_value = false)]
pub(crate) struct EndpointRow {
    pub tenant_id: TenantId,
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    pub secret: String,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<chrono::NaiveDateTime>,
    /// The last event of the tenant's sequence fanned out to it
    /// (`fan_out.rs`).
    pub fanned_out_seq: i64,
}

impl EndpointRow {
    fn into_endpoint(self, mut events: Vec<EventKind>) -> WebhookEndpoint {
        events.sort();
        WebhookEndpoint {
            id: self.id,
            url: self.url,
            description: self.description,
            events,
            enabled: self.enabled,
            created_by: self.created_by,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

fn check_url(url: &str) -> CoreResult<String> {
    let url = validate::required(InputField::Url, url, MAX_URL_LEN)?;
    if url.chars().any(char::is_whitespace) {
        return Err(CoreError::invalid(
            InputField::Url,
            "must not contain spaces",
        ));
    }
    Ok(url)
}

fn check_events(events: &[EventKind]) -> CoreResult<Vec<EventKind>> {
    let set: BTreeSet<EventKind> = events.iter().copied().collect();
    if set.is_empty() {
        return Err(CoreError::invalid(
            InputField::Events,
            "name at least one event type",
        ));
    }
    Ok(set.into_iter().collect())
}

async fn load(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: WebhookEndpointId,
) -> CoreResult<WebhookEndpoint> {
    let query = webhook_endpoints::table
        .filter(webhook_endpoints::tenant_id.eq(tenant))
        .filter(webhook_endpoints::id.eq(id))
        .select(webhook_endpoints::all_columns);
    let row: Option<EndpointRow> = on_conn!(conn, c => query.first(c).await.optional())?;
    let row = row.ok_or_else(|| CoreError::not_found(EntityKind::WebhookEndpoint, id))?;
    let events = events_of(conn, tenant, &[id]).await?;
    Ok(row.into_endpoint(events.into_iter().map(|(_, k)| k).collect()))
}

async fn events_of(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    ids: &[WebhookEndpointId],
) -> CoreResult<Vec<(WebhookEndpointId, EventKind)>> {
    let query = webhook_subscriptions::table
        .filter(webhook_subscriptions::tenant_id.eq(tenant))
        .filter(webhook_subscriptions::endpoint_id.eq_any(ids))
        .select((
            webhook_subscriptions::endpoint_id,
            webhook_subscriptions::kind,
        ));
    Ok(on_conn!(conn, c => query.load(c).await)?)
}

async fn subscribe(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: WebhookEndpointId,
    events: &[EventKind],
) -> CoreResult<()> {
    let delete = diesel::delete(
        webhook_subscriptions::table
            .filter(webhook_subscriptions::tenant_id.eq(tenant))
            .filter(webhook_subscriptions::endpoint_id.eq(id)),
    );
    on_conn!(conn, c => delete.execute(c).await)?;
    let rows: Vec<_> = events
        .iter()
        .map(|kind| {
            (
                webhook_subscriptions::tenant_id.eq(tenant),
                webhook_subscriptions::endpoint_id.eq(id),
                webhook_subscriptions::kind.eq(*kind),
            )
        })
        .collect();
    insert_rows!(conn, webhook_subscriptions::table, rows)?;
    Ok(())
}

/// Lock an endpoint for a change (after everything else: it is last in
/// the lock order, see `crate::locks`); `NOT_FOUND` for another tenant's.
async fn lock(conn: &mut Conn<'_>, tenant: TenantId, id: WebhookEndpointId) -> CoreResult<()> {
    let query = webhook_endpoints::table
        .filter(webhook_endpoints::tenant_id.eq(tenant))
        .filter(webhook_endpoints::id.eq(id))
        .select(webhook_endpoints::id);
    let found: Option<WebhookEndpointId> = match conn {
        Conn::Pg(c) => query.for_update().first(*c).await.optional()?,
        Conn::Sqlite(c) => query.first(*c).await.optional()?,
    };
    found
        .map(|_| ())
        .ok_or_else(|| CoreError::not_found(EntityKind::WebhookEndpoint, id))
}

/// Lock the tenant's row (PostgreSQL; SQLite's write lock already
/// serialises writers): `NOT_FOUND` for an unknown tenant.
async fn lock_tenant(conn: &mut Conn<'_>, tenant: TenantId) -> CoreResult<()> {
    use crate::schema::tenants;
    let query = tenants::table
        .filter(tenants::tenant_id.eq(tenant))
        .select(tenants::tenant_id);
    let found: Option<TenantId> = match conn {
        Conn::Pg(c) => query.for_update().first(*c).await.optional()?,
        Conn::Sqlite(c) => query.first(*c).await.optional()?,
    };
    found
        .map(|_| ())
        .ok_or_else(|| CoreError::not_found(EntityKind::Tenant, tenant))
}

impl Store {
    /// Register an endpoint; returns it with its secret, which is never
    /// shown again. At most [`MAX_ENDPOINTS_PER_TENANT`] per tenant.
    pub async fn create_webhook_endpoint(
        &self,
        tenant: TenantId,
        actor: &Actor,
        new: NewWebhookEndpoint,
    ) -> CoreResult<(WebhookEndpoint, WebhookSecret)> {
        let url = check_url(&new.url)?;
        let events = check_events(&new.events)?;
        let description = validate::optional(
            InputField::Description,
            new.description.as_deref().unwrap_or_default(),
            validate::MAX_DESCRIPTION_LEN,
        )?;
        let secret = WebhookSecret::generate();
        write_txn!(self, conn => {
            // The tenant row is the one thing two concurrent creations
            // share: lock it so the count below cannot be raced past.
            lock_tenant(conn, tenant).await?;
            let existing: i64 = on_conn!(conn, c => webhook_endpoints::table
                .filter(webhook_endpoints::tenant_id.eq(tenant))
                .count()
                .get_result(c)
                .await)?;
            if existing >= MAX_ENDPOINTS_PER_TENANT as i64 {
                return Err(CoreError::invalid(
                    InputField::Url,
                    format!("a tenant may register at most {MAX_ENDPOINTS_PER_TENANT} webhook endpoints"),
                ));
            }
            let at = now();
            let row = EndpointRow {
                tenant_id: tenant,
                id: WebhookEndpointId::new(),
                url,
                description,
                secret: secret.expose().to_owned(),
                enabled: true,
                created_by: actor.subject.clone(),
                created_at: at,
                updated_at: at,
                lease_owner: None,
                lease_until: None,
                // Events recorded before it existed are not its own.
                fanned_out_seq: super::fan_out::current_seq(conn, tenant).await?,
            };
            on_conn!(conn, c => diesel::insert_into(webhook_endpoints::table).values(&row).execute(c).await)?;
            subscribe(conn, tenant, row.id, &events).await?;
            audit::record(conn, tenant, actor, AuditAction::WebhookEndpointCreated, Target::webhook_endpoint(row.id),
                serde_json::json!({
                    "url": row.url,
                    "events": events.iter().map(|k| k.stored()).collect::<Vec<_>>(),
                })).await?;
            Ok((row.into_endpoint(events), secret))
        })
    }

    /// Change an endpoint's URL, events, state or note. Nothing given,
    /// nothing written.
    pub async fn update_webhook_endpoint(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: WebhookEndpointId,
        update: WebhookEndpointUpdate,
    ) -> CoreResult<WebhookEndpoint> {
        let url = update.url.as_deref().map(check_url).transpose()?;
        let events = update.events.as_deref().map(check_events).transpose()?;
        let description = update
            .description
            .as_deref()
            .map(|d| validate::optional(InputField::Description, d, validate::MAX_DESCRIPTION_LEN))
            .transpose()?;
        write_txn!(self, conn => {
            lock(conn, tenant, id).await?;
            let before = load(conn, tenant, id).await?;
            let mut changed: Vec<&str> = Vec::new();
            let url = url.filter(|u| *u != before.url);
            let description = description.filter(|d| *d != before.description);
            let enabled = update.enabled.filter(|e| *e != before.enabled);
            let events = events.filter(|e| *e != before.events);
            if url.is_some() { changed.push("url"); }
            if description.is_some() { changed.push("description"); }
            if enabled.is_some() { changed.push("enabled"); }
            if events.is_some() { changed.push("events"); }
            if changed.is_empty() {
                return Ok(before);
            }
            if enabled == Some(false) || events.is_some() {
                // What it is owed under the old settings becomes its
                // deliveries before they change.
                super::fan_out::catch_up(conn, tenant, id).await?;
            }
            let target = webhook_endpoints::table
                .filter(webhook_endpoints::tenant_id.eq(tenant))
                .filter(webhook_endpoints::id.eq(id));
            let write = diesel::update(target).set((
                webhook_endpoints::url.eq(url.clone().unwrap_or(before.url.clone())),
                webhook_endpoints::description.eq(description.clone().unwrap_or(before.description.clone())),
                webhook_endpoints::enabled.eq(enabled.unwrap_or(before.enabled)),
                webhook_endpoints::updated_at.eq(now()),
            ));
            on_conn!(conn, c => write.execute(c).await)?;
            if enabled == Some(true) {
                // Enabled again: it owes nothing recorded while it was off
                // (a disabled endpoint is never fanned out).
                let from = super::fan_out::current_seq(conn, tenant).await?;
                let restart = diesel::update(target).set(webhook_endpoints::fanned_out_seq.eq(from));
                on_conn!(conn, c => restart.execute(c).await)?;
            }
            if let Some(events) = &events {
                subscribe(conn, tenant, id, events).await?;
            }
            let after = load(conn, tenant, id).await?;
            audit::record(conn, tenant, actor, AuditAction::WebhookEndpointUpdated, Target::webhook_endpoint(id),
                serde_json::json!({
                    "changed": changed,
                    "url": after.url,
                    "enabled": after.enabled,
                    "events": after.events.iter().map(|k| k.stored()).collect::<Vec<_>>(),
                })).await?;
            Ok(after)
        })
    }

    /// Delete an endpoint with its delivery log and queue.
    pub async fn delete_webhook_endpoint(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: WebhookEndpointId,
    ) -> CoreResult<WebhookEndpoint> {
        write_txn!(self, conn => {
            lock(conn, tenant, id).await?;
            let before = load(conn, tenant, id).await?;
            // Subscriptions and deliveries go by ON DELETE CASCADE.
            let delete = diesel::delete(webhook_endpoints::table
                .filter(webhook_endpoints::tenant_id.eq(tenant))
                .filter(webhook_endpoints::id.eq(id)));
            on_conn!(conn, c => delete.execute(c).await)?;
            audit::record(conn, tenant, actor, AuditAction::WebhookEndpointDeleted, Target::webhook_endpoint(id),
                serde_json::json!({ "url": before.url })).await?;
            Ok(before)
        })
    }

    /// The tenant's endpoints, oldest first.
    pub async fn webhook_endpoints(&self, tenant: TenantId) -> CoreResult<Vec<WebhookEndpoint>> {
        read_conn!(self, conn => {
            let rows: Vec<EndpointRow> = on_conn!(conn, c => webhook_endpoints::table
                .filter(webhook_endpoints::tenant_id.eq(tenant))
                .order(webhook_endpoints::id)
                .select(webhook_endpoints::all_columns)
                .load(c)
                .await)?;
            let ids: Vec<WebhookEndpointId> = rows.iter().map(|r| r.id).collect();
            let events = events_of(conn, tenant, &ids).await?;
            Ok(rows
                .into_iter()
                .map(|row| {
                    let mine = events.iter().filter(|(e, _)| *e == row.id).map(|(_, k)| *k).collect();
                    row.into_endpoint(mine)
                })
                .collect())
        })
    }

    /// One endpoint of the tenant.
    pub async fn webhook_endpoint(
        &self,
        tenant: TenantId,
        id: WebhookEndpointId,
    ) -> CoreResult<WebhookEndpoint> {
        read_conn!(self, conn => load(conn, tenant, id).await)
    }
}
