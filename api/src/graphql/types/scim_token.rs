//! `ScimToken`: a bearer token an identity provider syncs the directory
//! with. Its secret is shown once, in `createScimToken`'s answer, and never
//! again: the server keeps only a hash.

use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};
use seatwise_core::scim_tokens;

use crate::graphql::connection::connection;
use crate::graphql::ids::{Kind, encode};

/// A SCIM bearer token of the organisation's identity provider.
#[derive(Clone)]
pub struct ScimToken(pub scim_tokens::ScimToken);

connection!(
    ScimTokenConnection,
    ScimTokenEdge,
    ScimToken,
    "A page of SCIM tokens, oldest first.",
    "A SCIM token in a page, with its cursor."
);

/// A SCIM bearer token of the organisation's identity provider.
#[Object]
impl ScimToken {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::ScimToken, self.0.id.0)
    }

    /// What the admin called it (e.g. "Entra ID"); changes it makes are
    /// audited under `scim:<name>`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Who created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last authenticated a request (to the minute); null if never.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// When it was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// Whether it still authenticates requests.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none()
    }
}
