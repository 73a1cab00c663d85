//! What a resolver knows about its request: the caller (or why there is
//! none), the store, the vendor effects service (with the loaded adapter
//! plugins), and the request's loaders.

use std::sync::Arc;
use std::time::SystemTime;

use async_graphql::Context;
use seatwise_adapter_host::PluginRegistry;
use seatwise_core::Store;
use seatwise_core::ids::UserId;

use super::errors::{ApiError, ApiResult};
use super::loaders::Loaders;
use crate::auth::{AuthError, Caller, Permission};
use crate::vendor_effects::VendorEffects;

/// Per-request data, attached by the HTTP handler (or a test).
pub struct Session {
    auth: Result<Caller, AuthError>,
    loaders: Option<Loaders>,
    /// When the caller's token expires, for sessions that outlive their
    /// request (websocket connections); `None` for requests over HTTP, which
    /// are checked once, and for tokens without a representable expiry.
    expires_at: Option<SystemTime>,
}

impl Session {
    /// A session for an authenticated caller.
    pub fn authenticated(store: Store, caller: Caller) -> Self {
        let loaders = Loaders::new(store, caller.tenant);
        Self {
            auth: Ok(caller),
            loaders: Some(loaders),
            expires_at: None,
        }
    }

    /// A session for a request that failed authentication. Only fields
    /// that need no caller (introspection) work.
    pub fn unauthenticated(why: AuthError) -> Self {
        Self {
            auth: Err(why),
            loaders: None,
            expires_at: None,
        }
    }

    /// A session for a websocket connection: it lives as long as the
    /// connection, so its loaders do not cache, and it knows when the
    /// token expires (subscriptions end then).
    pub fn for_subscription(
        store: &Store,
        auth: Result<(Caller, Option<SystemTime>), AuthError>,
    ) -> Self {
        match auth {
            Ok((caller, expires_at)) => Self {
                loaders: Some(Loaders::uncached(store.clone(), caller.tenant)),
                auth: Ok(caller),
                expires_at,
            },
            Err(why) => Self::unauthenticated(why),
        }
    }

    /// From the outcome of authentication.
    pub fn from_auth(store: &Store, auth: Result<Caller, AuthError>) -> Self {
        match auth {
            Ok(caller) => Self::authenticated(store.clone(), caller),
            Err(why) => Self::unauthenticated(why),
        }
    }
}

fn session<'a>(ctx: &Context<'a>) -> ApiResult<&'a Session> {
    ctx.data_opt::<Session>()
        .ok_or(ApiError::Unauthenticated(AuthError::MissingToken))
}

/// The caller, whatever their roles.
pub fn caller<'a>(ctx: &Context<'a>) -> ApiResult<&'a Caller> {
    match &session(ctx)?.auth {
        Ok(caller) => Ok(caller),
        Err(why) => Err(ApiError::Unauthenticated(why.clone())),
    }
}

/// The caller, if their roles grant `permission`.
pub fn authorize<'a>(ctx: &Context<'a>, permission: Permission) -> ApiResult<&'a Caller> {
    let caller = caller(ctx)?;
    if caller.may(permission) {
        Ok(caller)
    } else {
        Err(ApiError::Forbidden(permission))
    }
}

/// The caller, if they may read the tenant or `user` is the caller.
pub fn authorize_self_or_reader<'a>(ctx: &Context<'a>, user: UserId) -> ApiResult<&'a Caller> {
    let caller = caller(ctx)?;
    if caller.user == Some(user) || caller.may(Permission::ReadTenant) {
        Ok(caller)
    } else {
        Err(ApiError::Forbidden(Permission::ReadTenant))
    }
}

/// When the caller's token expires, if the session outlives its request
/// (see [`Session::for_subscription`]).
pub fn token_expiry(ctx: &Context<'_>) -> Option<SystemTime> {
    session(ctx).ok()?.expires_at
}

/// The request's loaders (present whenever [`caller`] succeeds).
pub fn loaders<'a>(ctx: &Context<'a>) -> ApiResult<&'a Loaders> {
    caller(ctx)?;
    session(ctx)?
        .loaders
        .as_ref()
        .ok_or(ApiError::Unauthenticated(AuthError::MissingToken))
}

/// The store.
pub fn store<'a>(ctx: &Context<'a>) -> ApiResult<&'a Store> {
    ctx.data_opt::<Store>().ok_or_else(|| {
        seatwise_core::CoreError::Internal("the schema was built without a store".into()).into()
    })
}

/// The service every vendor side effect goes through.
pub fn vendor_effects<'a>(ctx: &Context<'a>) -> ApiResult<&'a VendorEffects> {
    ctx.data_opt::<Arc<VendorEffects>>()
        .map(Arc::as_ref)
        .ok_or_else(|| {
            seatwise_core::CoreError::Internal("the schema was built without vendor effects".into())
                .into()
        })
}

/// The vendor adapter plugins loaded at start, to read what they are (calls
/// to them go through [`vendor_effects`]).
pub fn plugins<'a>(ctx: &Context<'a>) -> ApiResult<&'a PluginRegistry> {
    Ok(vendor_effects(ctx)?.plugins())
}
