//! `viewer`: who is calling.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use seatwise_core::ids::TenantId;

use super::subscription::CurrencySpend;
use super::user::User;
use crate::auth::{Permission, Role};
use crate::graphql::context::{authorize, caller, loaders, store};
use crate::graphql::errors::ApiResult;

/// An organisation using Seatwise.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Tenant {
    /// The tenant id, as printed by `seatwise tenant create` and carried in
    /// tokens as `tid`.
    pub id: ID,
    /// The organisation's name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub tenant_id: TenantId,
}

#[ComplexObject]
impl Tenant {
    /// What the organisation's subscriptions cost a year, one entry per
    /// currency (by code), over the subscriptions that are not `DISABLED`.
    /// Empty when no app has a subscription.
    async fn spend(&self, ctx: &Context<'_>) -> ApiResult<Vec<CurrencySpend>> {
        authorize(ctx, Permission::ReadTenant)?;
        let spend = store(ctx)?.spend(self.tenant_id).await?;
        Ok(spend.into_iter().map(CurrencySpend::from).collect())
    }
}

/// The caller: their organisation, roles and (for a user's token) their
/// own user.
pub struct Viewer;

/// The caller: their organisation, roles, permissions and (for a user's
/// token) their own user.
#[Object]
impl Viewer {
    /// The organisation the token is for.
    async fn tenant(&self, ctx: &Context<'_>) -> ApiResult<Tenant> {
        let caller = caller(ctx)?;
        let tenant = store(ctx)?.tenant(caller.tenant).await?;
        Ok(Tenant {
            id: ID(tenant.id.to_string()),
            name: tenant.name,
            created_at: tenant.created_at,
            tenant_id: tenant.id,
        })
    }

    /// The caller's admin roles (empty for a plain user).
    async fn roles(&self, ctx: &Context<'_>) -> ApiResult<Vec<Role>> {
        Ok(caller(ctx)?.roles.iter().copied().collect())
    }

    /// What the caller's roles allow, from the same matrix the server
    /// enforces: clients decide what to offer from this list rather than
    /// from role names. Empty for a plain user.
    async fn permissions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Permission>> {
        Ok(caller(ctx)?.permissions())
    }

    /// The token's subject, recorded as the author of the caller's changes.
    async fn subject(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(caller(ctx)?.subject.clone())
    }

    /// The caller's own user, for a token that names one (`uid`).
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(user) = caller(ctx)?.user else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.users.load_one(user).await?.map(User))
    }
}
