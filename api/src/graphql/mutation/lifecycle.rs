//! The lifecycle mutations: changing users, groups and apps after they
//! were created, deleting groups and removing apps. Each runs one core
//! operation; those that change who holds seats (`deleteGroup`,
//! `removeApp`) hand the committed `LicenseChanges` to the vendor effects
//! service like every other such mutation.

use async_graphql::Context;
use seatwise_core::model::{AppUpdate, GroupUpdate, UserUpdate, Vendor};
use seatwise_core::{EntityKind, InputField};

use super::committed;
use super::inputs::{
    DeleteGroupInput, RemoveAppInput, UpdateAppInput, UpdateGroupInput, UpdateUserInput,
};
use super::payloads::{
    DeleteGroupPayload, RemoveAppPayload, UpdateAppPayload, UpdateGroupPayload, UpdateUserPayload,
};
use crate::auth::Permission;
use crate::graphql::context::{authorize, store};
use crate::graphql::errors::{ApiResult, outcome};
use crate::graphql::ids;
use crate::graphql::types::{App, Group, User};

/// The input field that held the id of a missing entity of `kind`.
fn id_field(kind: EntityKind, field: InputField) -> impl Fn(EntityKind) -> Option<InputField> {
    move |entity| (entity == kind).then_some(field)
}

pub(super) async fn update_user(
    ctx: &Context<'_>,
    input: UpdateUserInput,
) -> ApiResult<UpdateUserPayload> {
    let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
    let store = store(ctx)?;
    let result = async {
        let user = ids::user_id(InputField::UserId, &input.user_id)?;
        let update = UserUpdate {
            display_name: input.display_name,
            email: input.email,
            account_enabled: input.account_enabled,
        };
        store
            .update_user(caller.tenant, &caller.actor(), user, update)
            .await
    }
    .await;
    let (user, user_errors) = outcome(result, id_field(EntityKind::User, InputField::UserId))?;
    Ok(UpdateUserPayload {
        user: user.map(User),
        user_errors,
    })
}

pub(super) async fn update_group(
    ctx: &Context<'_>,
    input: UpdateGroupInput,
) -> ApiResult<UpdateGroupPayload> {
    let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
    let store = store(ctx)?;
    let result = async {
        let group = ids::group_id(InputField::GroupId, &input.group_id)?;
        let update = GroupUpdate {
            display_name: input.display_name,
            description: input.description,
        };
        store
            .update_group(caller.tenant, &caller.actor(), group, update)
            .await
    }
    .await;
    let (group, user_errors) = outcome(result, id_field(EntityKind::Group, InputField::GroupId))?;
    Ok(UpdateGroupPayload {
        group: group.map(Group),
        user_errors,
    })
}

pub(super) async fn delete_group(
    ctx: &Context<'_>,
    input: DeleteGroupInput,
) -> ApiResult<DeleteGroupPayload> {
    let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
    let store = store(ctx)?;
    let result = async {
        let group = ids::group_id(InputField::GroupId, &input.group_id)?;
        store
            .delete_group(caller.tenant, &caller.actor(), group)
            .await
    }
    .await;
    let (deleted, user_errors) = outcome(result, id_field(EntityKind::Group, InputField::GroupId))?;
    if let Some(deleted) = &deleted {
        committed(ctx, caller, &deleted.license_changes)?;
    }
    Ok(DeleteGroupPayload {
        deleted_group_id: deleted.map(|_| input.group_id),
        user_errors,
    })
}

pub(super) async fn update_app(
    ctx: &Context<'_>,
    input: UpdateAppInput,
) -> ApiResult<UpdateAppPayload> {
    let caller = authorize(ctx, Permission::ManageApps)?;
    let store = store(ctx)?;
    let result = async {
        let app = ids::app_id(InputField::AppId, &input.app_id)?;
        let update = AppUpdate {
            name: input.name,
            description: input.description,
            vendor: input.vendor.map(|v| Vendor {
                name: v.name,
                website: v.website,
                support_email: v.support_email,
            }),
            adapter_key: input.adapter_key,
            // A JSON null is sent as the GraphQL null: both leave the
            // settings as they are.
            adapter_settings: input.adapter_settings.map(|json| json.0),
        };
        store
            .update_app(caller.tenant, &caller.actor(), app, update)
            .await
    }
    .await;
    let (app, user_errors) = outcome(result, id_field(EntityKind::App, InputField::AppId))?;
    Ok(UpdateAppPayload {
        app: app.map(App),
        user_errors,
    })
}

pub(super) async fn remove_app(
    ctx: &Context<'_>,
    input: RemoveAppInput,
) -> ApiResult<RemoveAppPayload> {
    let caller = authorize(ctx, Permission::ManageApps)?;
    let store = store(ctx)?;
    let result = async {
        let app = ids::app_id(InputField::AppId, &input.app_id)?;
        store
            .remove_app(caller.tenant, &caller.actor(), app, input.unassign_all)
            .await
    }
    .await;
    let (removed, user_errors) = outcome(result, id_field(EntityKind::App, InputField::AppId))?;
    if let Some(removed) = &removed {
        committed(ctx, caller, &removed.license_changes)?;
    }
    Ok(RemoveAppPayload {
        removed_app_id: removed.map(|_| input.app_id),
        user_errors,
    })
}
