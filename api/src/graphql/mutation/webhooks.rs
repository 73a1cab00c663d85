//! The mutations of outbound webhooks, for `GLOBAL_ADMIN` only. An
//! endpoint's signing secret appears once, in `createWebhookEndpoint`'s
//! answer. Every URL is checked against the server's policy (https, public
//! addresses: `crate::webhooks::url_policy`) before the core sees it.

use async_graphql::{Context, ID, InputObject, SimpleObject};
use seatwise_core::events::{NewWebhookEndpoint, WebhookEndpointUpdate};
use seatwise_core::{EntityKind, InputField};

use crate::auth::Permission;
use crate::graphql::context::{authorize, store};
use crate::graphql::errors::{ApiResult, UserError, outcome};
use crate::graphql::ids::{self, Kind, encode};
use crate::graphql::types::{WebhookDelivery, WebhookEndpoint, WebhookEventType};
use crate::webhooks::UrlPolicy;

/// A new webhook endpoint.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// Where to POST events: an https URL whose host resolves to public
    /// addresses only.
    pub url: String,
    /// The event types to send (at least one).
    pub events: Vec<WebhookEventType>,
    /// A note for admins, e.g. what receives the events.
    pub description: Option<String>,
}

/// Result of `createWebhookEndpoint`.
#[derive(SimpleObject)]
pub struct CreateWebhookEndpointPayload {
    /// The new endpoint (null when `userErrors` is not empty).
    pub endpoint: Option<WebhookEndpoint>,
    /// The signing secret (`whsec_…`) to verify the `webhook-signature`
    /// header with. Shown this once.
    pub secret: Option<String>,
    /// Why the endpoint was not created.
    pub user_errors: Vec<UserError>,
}

/// Changes to a webhook endpoint; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    /// The endpoint's global id.
    pub endpoint_id: ID,
    /// A new URL (checked like a new endpoint's).
    pub url: Option<String>,
    /// A new set of event types (at least one).
    pub events: Option<Vec<WebhookEventType>>,
    /// Turn sending on or off.
    pub enabled: Option<bool>,
    /// A new note.
    pub description: Option<String>,
}

/// Result of `updateWebhookEndpoint`.
#[derive(SimpleObject)]
pub struct UpdateWebhookEndpointPayload {
    /// The endpoint after the change (null when `userErrors` is not empty).
    pub endpoint: Option<WebhookEndpoint>,
    /// Why nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// The webhook endpoint to delete.
#[derive(InputObject)]
pub struct DeleteWebhookEndpointInput {
    /// The endpoint's global id.
    pub endpoint_id: ID,
}

/// Result of `deleteWebhookEndpoint`.
#[derive(SimpleObject)]
pub struct DeleteWebhookEndpointPayload {
    /// The deleted endpoint's id (null when `userErrors` is not empty).
    pub deleted_endpoint_id: Option<ID>,
    /// Why nothing was deleted.
    pub user_errors: Vec<UserError>,
}

/// The delivery to send again.
#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    /// The delivery's global id (`WebhookEndpoint.deliveries`).
    pub delivery_id: ID,
}

/// Result of `redeliverWebhook`.
#[derive(SimpleObject)]
pub struct RedeliverWebhookPayload {
    /// The delivery, `PENDING` again (null when `userErrors` is not empty).
    pub delivery: Option<WebhookDelivery>,
    /// Why it was not queued again.
    pub user_errors: Vec<UserError>,
}

fn endpoint_field(entity: EntityKind) -> Option<InputField> {
    (entity == EntityKind::WebhookEndpoint).then_some(InputField::EndpointId)
}

fn delivery_field(entity: EntityKind) -> Option<InputField> {
    (entity == EntityKind::WebhookDelivery).then_some(InputField::DeliveryId)
}

/// The server's webhook URL policy (strict when the schema has none).
fn policy(ctx: &Context<'_>) -> UrlPolicy {
    ctx.data_opt::<UrlPolicy>().copied().unwrap_or_default()
}

pub(super) async fn create_webhook_endpoint(
    ctx: &Context<'_>,
    input: CreateWebhookEndpointInput,
) -> ApiResult<CreateWebhookEndpointPayload> {
    let caller = authorize(ctx, Permission::ManageWebhooks)?;
    if let Err(why) = policy(ctx).check(&input.url).await {
        return Ok(CreateWebhookEndpointPayload {
            endpoint: None,
            secret: None,
            user_errors: vec![UserError::from_url_refusal(&why)],
        });
    }
    let new = NewWebhookEndpoint {
        url: input.url,
        events: input.events.into_iter().map(Into::into).collect(),
        description: input.description,
    };
    let result = store(ctx)?
        .create_webhook_endpoint(caller.tenant, &caller.actor(), new)
        .await;
    let (created, user_errors) = outcome(result, |_| None)?;
    let (endpoint, secret) = match created {
        Some((endpoint, secret)) => {
            tracing::info!(tenant = %caller.tenant, endpoint = %endpoint.id, "webhook endpoint created");
            (
                Some(WebhookEndpoint(endpoint)),
                Some(secret.expose().to_owned()),
            )
        }
        None => (None, None),
    };
    Ok(CreateWebhookEndpointPayload {
        endpoint,
        secret,
        user_errors,
    })
}

pub(super) async fn update_webhook_endpoint(
    ctx: &Context<'_>,
    input: UpdateWebhookEndpointInput,
) -> ApiResult<UpdateWebhookEndpointPayload> {
    let caller = authorize(ctx, Permission::ManageWebhooks)?;
    if let Some(url) = &input.url
        && let Err(why) = policy(ctx).check(url).await
    {
        return Ok(UpdateWebhookEndpointPayload {
            endpoint: None,
            user_errors: vec![UserError::from_url_refusal(&why)],
        });
    }
    let store = store(ctx)?;
    let result = async {
        let id = ids::webhook_endpoint_id(InputField::EndpointId, &input.endpoint_id)?;
        let update = WebhookEndpointUpdate {
            url: input.url,
            events: input
                .events
                .map(|events| events.into_iter().map(Into::into).collect()),
            enabled: input.enabled,
            description: input.description,
        };
        store
            .update_webhook_endpoint(caller.tenant, &caller.actor(), id, update)
            .await
    }
    .await;
    let (endpoint, user_errors) = outcome(result, endpoint_field)?;
    Ok(UpdateWebhookEndpointPayload {
        endpoint: endpoint.map(WebhookEndpoint),
        user_errors,
    })
}

pub(super) async fn delete_webhook_endpoint(
    ctx: &Context<'_>,
    input: DeleteWebhookEndpointInput,
) -> ApiResult<DeleteWebhookEndpointPayload> {
    let caller = authorize(ctx, Permission::ManageWebhooks)?;
    let store = store(ctx)?;
    let result = async {
        let id = ids::webhook_endpoint_id(InputField::EndpointId, &input.endpoint_id)?;
        store
            .delete_webhook_endpoint(caller.tenant, &caller.actor(), id)
            .await
    }
    .await;
    let (deleted, user_errors) = outcome(result, endpoint_field)?;
    Ok(DeleteWebhookEndpointPayload {
        deleted_endpoint_id: deleted.map(|e| encode(Kind::WebhookEndpoint, e.id.0)),
        user_errors,
    })
}

pub(super) async fn redeliver_webhook(
    ctx: &Context<'_>,
    input: RedeliverWebhookInput,
) -> ApiResult<RedeliverWebhookPayload> {
    let caller = authorize(ctx, Permission::ManageWebhooks)?;
    let store = store(ctx)?;
    let result = async {
        let id = ids::webhook_delivery_id(InputField::DeliveryId, &input.delivery_id)?;
        store
            .redeliver_webhook(caller.tenant, &caller.actor(), id)
            .await
    }
    .await;
    let (delivery, user_errors) = outcome(result, delivery_field)?;
    Ok(RedeliverWebhookPayload {
        delivery: delivery.map(WebhookDelivery),
        user_errors,
    })
}
