//! The mutations that involve the app's vendor: recording a seat change
//! (carried out later by the seat-change worker) and "Install this product"
//! (a redirect URL from the vendor adapter, asked for synchronously through
//! `vendor_effects`).

use async_graphql::Context;
use seatwise_adapter_host::UserRef;
use seatwise_core::{CoreError, EntityKind, InputField};

use super::inputs::{InstallAppInput, RequestSeatChangeInput};
use super::payloads::{InstallAppPayload, RequestSeatChangePayload};
use crate::auth::{Caller, Permission};
use crate::graphql::context::{authorize, loaders, store, vendor_effects};
use crate::graphql::errors::{ApiResult, UserError, outcome};
use crate::graphql::ids;
use crate::graphql::types::SeatChangeOperation;

fn app_field(entity: EntityKind) -> Option<InputField> {
    (entity == EntityKind::App).then_some(InputField::AppId)
}

pub(super) async fn request_seat_change(
    ctx: &Context<'_>,
    input: RequestSeatChangeInput,
) -> ApiResult<RequestSeatChangePayload> {
    let caller = authorize(ctx, Permission::ManageApps)?;
    let store = store(ctx)?;
    let result = async {
        let app = ids::app_id(InputField::AppId, &input.app_id)?;
        store
            .request_seat_change(
                caller.tenant,
                &caller.actor(),
                app,
                i64::from(input.quantity),
                &input.idempotency_key,
            )
            .await
    }
    .await;
    let (recorded, user_errors) = outcome(result, app_field)?;
    if let Some((op, true)) = &recorded {
        tracing::info!(
            operation = %op.id, tenant = %op.tenant_id, app = %op.app_id,
            requested = op.requested_quantity, "seat change requested"
        );
    }
    Ok(RequestSeatChangePayload {
        operation: recorded.map(|(op, _)| SeatChangeOperation(op)),
        user_errors,
    })
}

pub(super) async fn install_app(
    ctx: &Context<'_>,
    input: InstallAppInput,
) -> ApiResult<InstallAppPayload> {
    let caller = authorize(ctx, Permission::InstallApps)?;
    let failed = |error: UserError| InstallAppPayload {
        redirect_url: None,
        expires_at: None,
        user_errors: vec![error],
    };
    let store = store(ctx)?;
    let checked = async {
        let return_url =
            seatwise_core::validate::http_url(InputField::ReturnUrl, &input.return_url)?;
        let app_id = ids::app_id(InputField::AppId, &input.app_id)?;
        let app = store.app(caller.tenant, app_id).await?;
        Ok::<_, CoreError>((return_url, app))
    }
    .await;
    let (return_url, app) = match checked {
        Ok(checked) => checked,
        Err(e) => return Ok(failed(UserError::from_core(e, app_field)?)),
    };
    let effects = vendor_effects(ctx)?;
    // Checked before the admin is looked up, so an app that cannot be
    // installed costs no read.
    if let Some(why) = effects.install_unavailable(&app) {
        return Ok(failed(UserError::from_install(why.into())?));
    }
    let admin = admin_ref(ctx, caller).await?;
    match effects
        .install_redirect(caller.tenant, &caller.actor(), &app, admin, return_url)
        .await
    {
        Ok(redirect) => Ok(InstallAppPayload {
            redirect_url: Some(redirect.url),
            expires_at: Some(redirect.expires_at),
            user_errors: Vec::new(),
        }),
        Err(e) => Ok(failed(UserError::from_install(e)?)),
    }
}

/// Who the vendor is told is installing: the caller's user when the token
/// names one (with name and e-mail), else the token's subject.
async fn admin_ref(ctx: &Context<'_>, caller: &Caller) -> ApiResult<UserRef> {
    let user = match caller.user {
        Some(id) => loaders(ctx)?.users.load_one(id).await?,
        None => None,
    };
    Ok(match user {
        Some(user) => UserRef {
            id: user.id.to_string(),
            name: Some(user.display_name),
            email: Some(user.email),
        },
        None => UserRef {
            id: caller.subject.clone(),
            name: None,
            email: None,
        },
    })
}
