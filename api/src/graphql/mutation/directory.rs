//! The mutations of directory sync: SCIM tokens for identity providers.
//! A token's secret appears once, in `createScimToken`'s answer.

use async_graphql::{Context, ID, InputObject, SimpleObject};
use seatwise_core::{EntityKind, InputField};

use crate::auth::Permission;
use crate::graphql::context::{authorize, store};
use crate::graphql::errors::{ApiResult, UserError, outcome};
use crate::graphql::ids;
use crate::graphql::types::ScimToken;

/// A new SCIM token.
#[derive(InputObject)]
pub struct CreateScimTokenInput {
    /// What to call it, e.g. the identity provider ("Entra ID"); changes
    /// it makes are audited under `scim:<name>`.
    pub name: String,
}

/// Result of `createScimToken`.
#[derive(SimpleObject)]
pub struct CreateScimTokenPayload {
    /// The new token (null when `userErrors` is not empty).
    pub token: Option<ScimToken>,
    /// The secret to paste into the identity provider, as the bearer
    /// token of `/scim/v2`. Shown this once: the server keeps only a hash.
    pub secret: Option<String>,
    /// Why the token was not created.
    pub user_errors: Vec<UserError>,
}

/// The SCIM token to revoke.
#[derive(InputObject)]
pub struct RevokeScimTokenInput {
    /// The token's global id.
    pub token_id: ID,
}

/// Result of `revokeScimToken`.
#[derive(SimpleObject)]
pub struct RevokeScimTokenPayload {
    /// The revoked token (null when `userErrors` is not empty).
    pub token: Option<ScimToken>,
    /// Why the token was not revoked.
    pub user_errors: Vec<UserError>,
}

fn token_field(entity: EntityKind) -> Option<InputField> {
    (entity == EntityKind::ScimToken).then_some(InputField::TokenId)
}

pub(super) async fn create_scim_token(
    ctx: &Context<'_>,
    input: CreateScimTokenInput,
) -> ApiResult<CreateScimTokenPayload> {
    let caller = authorize(ctx, Permission::ManageDirectorySync)?;
    let result = store(ctx)?
        .create_scim_token(caller.tenant, &caller.actor(), &input.name)
        .await;
    let (created, user_errors) = outcome(result, |_| None)?;
    let (token, secret) = match created {
        Some((token, secret)) => {
            tracing::info!(tenant = %caller.tenant, token = %token.id, name = %token.name, "SCIM token created");
            (Some(ScimToken(token)), Some(secret.expose().to_owned()))
        }
        None => (None, None),
    };
    Ok(CreateScimTokenPayload {
        token,
        secret,
        user_errors,
    })
}

pub(super) async fn revoke_scim_token(
    ctx: &Context<'_>,
    input: RevokeScimTokenInput,
) -> ApiResult<RevokeScimTokenPayload> {
    let caller = authorize(ctx, Permission::ManageDirectorySync)?;
    let store = store(ctx)?;
    let result = async {
        let id = ids::scim_token_id(InputField::TokenId, &input.token_id)?;
        store
            .revoke_scim_token(caller.tenant, &caller.actor(), id)
            .await
    }
    .await;
    let (token, user_errors) = outcome(result, token_field)?;
    Ok(RevokeScimTokenPayload {
        token: token.map(ScimToken),
        user_errors,
    })
}
