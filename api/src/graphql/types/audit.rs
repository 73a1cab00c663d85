//! `AuditEvent`: the trail of every change.

use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use seatwise_core::{EntityKind, model};

use super::app::App;
use crate::graphql::connection::connection;
use crate::graphql::context::loaders;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::{Kind, encode};

/// One change in the organisation: who did what to which object, and when.
#[derive(Clone)]
pub struct AuditEvent(pub model::AuditEvent);

connection!(
    AuditEventConnection,
    AuditEventEdge,
    AuditEvent,
    "A page of audit events, newest first.",
    "An audit event in a page, with its cursor."
);

/// One change in the organisation: who did what to which object, and when.
#[Object]
impl AuditEvent {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::AuditEvent, self.0.id.0)
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Who did it (a token subject, or `system`).
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// What was done, as the server stores it: a SCREAMING_SNAKE_CASE name
    /// such as `LICENSE_ASSIGNED`, `APP_SEATS_CHANGED` or
    /// `SEAT_CHANGE_SUCCEEDED`. A string rather than an enum because the list
    /// grows with new releases; a released name never changes.
    async fn action(&self) -> &str {
        self.0.action.as_str()
    }

    /// The kind of the changed object, as the server stores it: `APP`,
    /// `USER`, `GROUP`, `TENANT` or `SEAT_CHANGE_OPERATION`.
    async fn target_kind(&self) -> &str {
        self.0.target_kind.as_str()
    }

    /// The changed object's id: a global id for apps, users, groups,
    /// seat-change operations (usable with `node`) and SCIM tokens, the
    /// tenant id for tenants.
    async fn target_id(&self) -> ID {
        let uuid = self.0.target_id.0;
        match self.0.target_kind.known() {
            Some(EntityKind::App) => encode(Kind::App, uuid),
            Some(EntityKind::User) => encode(Kind::User, uuid),
            Some(EntityKind::Group) => encode(Kind::Group, uuid),
            Some(EntityKind::SeatChangeOperation) => encode(Kind::SeatChangeOperation, uuid),
            Some(EntityKind::ScimToken) => encode(Kind::ScimToken, uuid),
            _ => ID(uuid.to_string()),
        }
    }

    /// The app concerned, if any and if it still exists.
    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        let Some(app) = self.0.app_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.apps.load_one(app).await?.map(App))
    }

    /// Details of the change, as a JSON object.
    async fn details(&self) -> Json<serde_json::Value> {
        Json(self.0.details.clone())
    }
}
