//! `WebhookEndpoint` and `WebhookDelivery`: where a tenant's events go,
//! and the log of sending each one. An endpoint's signing secret is shown
//! once, in `createWebhookEndpoint`'s answer, and never here.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use seatwise_core::events;

use crate::auth::Permission;
use crate::graphql::connection::{connection, page_cost, page_request, selects_total_count};
use crate::graphql::context::{authorize, store};
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::{Kind, encode};

/// The kinds of event a webhook endpoint can receive. Each is sent with
/// the `type` named below in its body.
// `remote` generates both conversions with exhaustive matches, so a kind
// added to the core does not compile until it is mirrored here.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "events::EventKind")]
pub enum WebhookEventType {
    /// `license.assigned`: a user took a seat of an app, with the path
    /// (direct, and the assigned groups) they hold it by.
    LicenseAssigned,
    /// `license.unassigned`: a user no longer holds an app's license.
    LicenseUnassigned,
    /// `license.error`: a user started (`RAISED`) or stopped (`RESOLVED`)
    /// waiting for a seat in `COUNT_VIOLATION`.
    LicenseError,
    /// `seats.low`: an app's available seats fell to its low-seat
    /// threshold; sent once per crossing.
    SeatsLow,
    /// `subscription.expiring`: a subscription entered its notice period.
    SubscriptionExpiring,
    /// `subscription.expired`: a subscription passed its end date.
    SubscriptionExpired,
    /// `subscription.disabled`: a subscription's grace period ended.
    SubscriptionDisabled,
    /// `seatChange.finished`: a seat-change operation reached a final
    /// state.
    SeatChangeFinished,
}

/// Where one delivery stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "events::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet; tried (again) at `nextAttemptAt`.
    Pending,
    /// The endpoint answered with a 2xx status.
    Delivered,
    /// Retries ran out (after about 24 hours); `redeliverWebhook` sends it
    /// again.
    Failed,
}

/// An outbound webhook endpoint: an https URL the organisation's events
/// are POSTed to, signed as the Standard Webhooks specification says.
#[derive(Clone)]
pub struct WebhookEndpoint(pub events::WebhookEndpoint);

/// One event's delivery to one webhook endpoint.
#[derive(Clone)]
pub struct WebhookDelivery(pub events::WebhookDelivery);

connection!(
    WebhookEndpointConnection,
    WebhookEndpointEdge,
    WebhookEndpoint,
    "A page of webhook endpoints, oldest first.",
    "A webhook endpoint in a page, with its cursor."
);

connection!(
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDelivery,
    "A page of an endpoint's deliveries, newest event first.",
    "A delivery in a page, with its cursor."
);

/// An outbound webhook endpoint.
#[Object]
impl WebhookEndpoint {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::WebhookEndpoint, self.0.id.0)
    }

    /// Where events are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// What the admin noted about it.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The event types it receives.
    async fn events(&self) -> Vec<WebhookEventType> {
        self.0.events.iter().copied().map(Into::into).collect()
    }

    /// Whether events are sent to it. A disabled endpoint receives no new
    /// events; what it had queued waits until it is enabled again.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Who registered it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Its deliveries, newest event first: the delivery log.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many deliveries to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the deliveries after this cursor.")] after: Option<String>,
    ) -> ApiResult<WebhookDeliveryConnection> {
        let caller = authorize(ctx, Permission::ManageWebhooks)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .webhook_deliveries(caller.tenant, self.0.id, &page)
            .await?;
        Ok(WebhookDeliveryConnection::from_page(page, WebhookDelivery))
    }
}

/// One event's delivery to one webhook endpoint.
#[Object]
impl WebhookDelivery {
    /// Opaque global id (pass it to `redeliverWebhook`).
    async fn id(&self) -> ID {
        encode(Kind::WebhookDelivery, self.0.id.0)
    }

    /// The event's id, sent as the `webhook-id` header: the same for every
    /// attempt and every endpoint, so receivers can deduplicate by it.
    async fn event_id(&self) -> String {
        self.0.event_id.to_string()
    }

    /// The event's type.
    async fn event_type(&self) -> WebhookEventType {
        self.0.kind.into()
    }

    /// Where it stands.
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The status code of the endpoint's last answer; null when it did not
    /// answer (or has not been tried).
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    /// Why the last attempt failed; null when it did not.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When it will be tried next; null unless it is `PENDING`.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == events::DeliveryStatus::Pending).then_some(self.0.next_attempt_at)
    }

    /// When the endpoint accepted it; null until it did.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }

    /// When the event happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
