//! The root `Mutation` type.
//!
//! Each mutation checks the caller's permission first (`FORBIDDEN` as a
//! top-level error, nothing changed), then runs one core operation. Input
//! the core refuses (unknown ids, empty names, no free seats, …) comes back
//! in the payload's `userErrors`, with nothing changed.

mod directory;
mod inputs;
mod lifecycle;
mod payloads;
mod subscriptions;
mod usage;
mod vendor;
mod webhooks;

use async_graphql::{Context, Object};
use seatwise_core::ids::UserId;
use seatwise_core::model::{NewApp, NewGroup, NewUser, Vendor};
use seatwise_core::{CoreError, EntityKind, InputField, LicenseChanges};

pub use inputs::*;
pub use payloads::*;

use super::context::{authorize, loaders, store, vendor_effects};
use super::errors::{ApiResult, outcome};
use super::ids;
use super::types::{App, Group, LicenseAssignment, User};
use crate::auth::{Caller, Permission};

/// Everything a client can change.
pub struct MutationRoot;

/// Input fields that carry the ids of each kind of entity, for
/// `UserError.field`.
fn licensing_fields(entity: EntityKind) -> Option<InputField> {
    match entity {
        EntityKind::App => Some(InputField::AppId),
        EntityKind::User | EntityKind::Group | EntityKind::Principal => {
            Some(InputField::PrincipalIds)
        }
        EntityKind::Tenant
        | EntityKind::SeatChangeOperation
        | EntityKind::ScimToken
        | EntityKind::WebhookEndpoint
        | EntityKind::WebhookDelivery => None,
    }
}

fn membership_fields(entity: EntityKind) -> Option<InputField> {
    match entity {
        EntityKind::Group => Some(InputField::GroupId),
        EntityKind::User => Some(InputField::UserIds),
        EntityKind::Tenant
        | EntityKind::App
        | EntityKind::Principal
        | EntityKind::SeatChangeOperation
        | EntityKind::ScimToken
        | EntityKind::WebhookEndpoint
        | EntityKind::WebhookDelivery => None,
    }
}

/// A write of the caller's tenant committed with `changes`: hand them to
/// the vendor effects service (which tells vendors in the background).
fn committed(ctx: &Context<'_>, caller: &Caller, changes: &LicenseChanges) -> ApiResult<()> {
    vendor_effects(ctx)?.license_changes_committed(caller.tenant, changes);
    Ok(())
}

async fn users_in_order(ctx: &Context<'_>, ids: &[UserId]) -> ApiResult<Vec<User>> {
    let mut found = loaders(ctx)?.users.load_many(ids.iter().copied()).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.remove(id))
        .map(User)
        .collect())
}

/// Everything a client can change.
#[Object(name = "Mutation")]
impl MutationRoot {
    /// Register an app the organisation bought. Needs `GLOBAL_ADMIN` or
    /// `BILLING_ADMIN`.
    async fn register_app(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app to register.")] input: RegisterAppInput,
    ) -> ApiResult<RegisterAppPayload> {
        let caller = authorize(ctx, Permission::ManageApps)?;
        let new = NewApp {
            name: input.name,
            description: input.description,
            vendor: Vendor {
                name: input.vendor.name,
                website: input.vendor.website,
                support_email: input.vendor.support_email,
            },
            seats: i64::from(input.seats),
            adapter_key: input.adapter_key,
            adapter_settings: input
                .adapter_settings
                .map_or(serde_json::Value::Null, |json| json.0),
        };
        let result = store(ctx)?
            .register_app(caller.tenant, &caller.actor(), new)
            .await;
        let (app, user_errors) = outcome(result, |_| None)?;
        Ok(RegisterAppPayload {
            app: app.map(App),
            user_errors,
        })
    }

    /// Create a user. Needs `GLOBAL_ADMIN` or `USER_ADMIN`.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to create.")] input: CreateUserInput,
    ) -> ApiResult<CreateUserPayload> {
        let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
        let new = NewUser {
            display_name: input.display_name,
            email: input.email,
        };
        let result = store(ctx)?
            .create_user(caller.tenant, &caller.actor(), new)
            .await;
        let (user, user_errors) = outcome(result, |_| None)?;
        Ok(CreateUserPayload {
            user: user.map(User),
            user_errors,
        })
    }

    /// Delete a user. Their licenses are released and the freed seats go to
    /// users waiting for one. Needs `GLOBAL_ADMIN` or `USER_ADMIN`.
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to delete.")] input: DeleteUserInput,
    ) -> ApiResult<DeleteUserPayload> {
        let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
        let store = store(ctx)?;
        let result = async {
            let user = ids::user_id(InputField::UserId, &input.user_id)?;
            // The core deletes idempotently; say NOT_FOUND for an unknown id
            // like every other mutation does.
            store.user(caller.tenant, user).await?;
            store
                .delete_user(caller.tenant, &caller.actor(), user)
                .await
        }
        .await;
        let (deleted, user_errors) = outcome(result, |entity| {
            (entity == EntityKind::User).then_some(InputField::UserId)
        })?;
        if let Some(deleted) = &deleted {
            committed(ctx, caller, &deleted.license_changes)?;
        }
        let released: Vec<_> = deleted
            .map(|d| d.released.into_iter().map(|(app, _)| app).collect())
            .unwrap_or_default();
        let mut apps = loaders(ctx)?
            .apps
            .load_many(released.iter().copied())
            .await?;
        Ok(DeleteUserPayload {
            deleted_user_id: user_errors.is_empty().then(|| input.user_id.clone()),
            released_apps: released
                .iter()
                .filter_map(|id| apps.remove(id))
                .map(App)
                .collect(),
            user_errors,
        })
    }

    /// Create a group, optionally with members. Needs `GLOBAL_ADMIN` or
    /// `USER_ADMIN`.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to create.")] input: CreateGroupInput,
    ) -> ApiResult<CreateGroupPayload> {
        let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
        let store = store(ctx)?;
        let result = async {
            let member_ids = ids::many(InputField::MemberIds, &input.member_ids, ids::user_id)?;
            let new = NewGroup {
                display_name: input.display_name,
                description: input.description,
                member_ids: member_ids.clone(),
            };
            Ok::<_, CoreError>((
                store
                    .create_group(caller.tenant, &caller.actor(), new)
                    .await?,
                member_ids,
            ))
        }
        .await;
        let (created, user_errors) = outcome(result, |entity| {
            (entity == EntityKind::User).then_some(InputField::MemberIds)
        })?;
        let (group, members) = created.map_or((None, Vec::new()), |(g, m)| (Some(Group(g)), m));
        Ok(CreateGroupPayload {
            group,
            changed_users: users_in_order(ctx, &members).await?,
            user_errors,
        })
    }

    /// Add users to a group; they gain the group's apps (or wait for a seat
    /// in `COUNT_VIOLATION` when none is free). Needs `GLOBAL_ADMIN` or
    /// `USER_ADMIN`.
    async fn add_group_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group and the users to add.")] input: AddGroupMembersInput,
    ) -> ApiResult<AddGroupMembersPayload> {
        let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
        let store = store(ctx)?;
        let result = async {
            let group = ids::group_id(InputField::GroupId, &input.group_id)?;
            let users = ids::many(InputField::UserIds, &input.user_ids, ids::user_id)?;
            store
                .add_group_members(caller.tenant, &caller.actor(), group, &users)
                .await
        }
        .await;
        let (change, user_errors) = outcome(result, membership_fields)?;
        if let Some(change) = &change {
            committed(ctx, caller, &change.license_changes)?;
        }
        let (group, changed) =
            change.map_or((None, Vec::new()), |c| (c.group.map(Group), c.changed));
        Ok(AddGroupMembersPayload {
            group,
            changed_users: users_in_order(ctx, &changed).await?,
            user_errors,
        })
    }

    /// Remove users from a group; they lose the group's apps unless they
    /// hold them another way. Needs `GLOBAL_ADMIN` or `USER_ADMIN`.
    async fn remove_group_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group and the users to remove.")] input: RemoveGroupMembersInput,
    ) -> ApiResult<RemoveGroupMembersPayload> {
        let caller = authorize(ctx, Permission::ManageUsersAndGroups)?;
        let store = store(ctx)?;
        let result = async {
            let group = ids::group_id(InputField::GroupId, &input.group_id)?;
            let users = ids::many(InputField::UserIds, &input.user_ids, ids::user_id)?;
            store
                .remove_group_members(caller.tenant, &caller.actor(), group, &users)
                .await
        }
        .await;
        let (change, user_errors) = outcome(result, membership_fields)?;
        if let Some(change) = &change {
            committed(ctx, caller, &change.license_changes)?;
        }
        let (group, changed) =
            change.map_or((None, Vec::new()), |c| (c.group.map(Group), c.changed));
        Ok(RemoveGroupMembersPayload {
            group,
            changed_users: users_in_order(ctx, &changed).await?,
            user_errors,
        })
    }

    /// Give an app's license to users and groups, all or nothing: when the
    /// users who would newly take a seat outnumber the free seats, nothing
    /// changes and `userErrors` says `NOT_ENOUGH_SEATS`. An app whose
    /// subscription is `DISABLED` takes no new assignment
    /// (`SUBSCRIPTION_INACTIVE`, nothing changed). Needs `GLOBAL_ADMIN`,
    /// `LICENSE_ADMIN` or `USER_ADMIN`.
    async fn assign_licenses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app and who gets its license.")] input: AssignLicensesInput,
    ) -> ApiResult<AssignLicensesPayload> {
        let caller = authorize(ctx, Permission::AssignLicenses)?;
        let store = store(ctx)?;
        let result = async {
            let app = ids::app_id(InputField::AppId, &input.app_id)?;
            let principals = ids::many(
                InputField::PrincipalIds,
                &input.principal_ids,
                ids::principal_id,
            )?;
            store
                .assign_licenses(caller.tenant, &caller.actor(), app, &principals)
                .await
        }
        .await;
        let (change, user_errors) = outcome(result, licensing_fields)?;
        if let Some(change) = &change {
            committed(ctx, caller, &change.license_changes)?;
        }
        let (app, assignments) =
            change.map_or((None, Vec::new()), |c| (Some(App(c.app)), c.assignments));
        Ok(AssignLicensesPayload {
            app,
            assignments: assignments.into_iter().map(LicenseAssignment).collect(),
            user_errors,
        })
    }

    /// Take an app's license from users and groups. Users who still hold it
    /// another way keep it; freed seats go to users waiting for one. Needs
    /// `GLOBAL_ADMIN`, `LICENSE_ADMIN` or `USER_ADMIN`.
    async fn unassign_licenses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app and whose assignment to remove.")] input: UnassignLicensesInput,
    ) -> ApiResult<UnassignLicensesPayload> {
        let caller = authorize(ctx, Permission::AssignLicenses)?;
        let store = store(ctx)?;
        let result = async {
            let app = ids::app_id(InputField::AppId, &input.app_id)?;
            let principals = ids::many(
                InputField::PrincipalIds,
                &input.principal_ids,
                ids::principal_id,
            )?;
            store
                .unassign_licenses(caller.tenant, &caller.actor(), app, &principals)
                .await
        }
        .await;
        let (change, user_errors) = outcome(result, licensing_fields)?;
        if let Some(change) = &change {
            committed(ctx, caller, &change.license_changes)?;
        }
        let (app, assignments) =
            change.map_or((None, Vec::new()), |c| (Some(App(c.app)), c.assignments));
        Ok(UnassignLicensesPayload {
            app,
            assignments: assignments.into_iter().map(LicenseAssignment).collect(),
            user_errors,
        })
    }

    /// Change a user's display name, email or sign-in (`accountEnabled`). A
    /// disabled user keeps their licenses and seats. A user the identity
    /// provider deactivated (`directoryStatus: DEACTIVATED`) cannot be
    /// enabled here: that is a `DIRECTORY_MANAGED` user error and nothing
    /// changes. Needs `GLOBAL_ADMIN` or `USER_ADMIN`.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and the fields to change.")] input: UpdateUserInput,
    ) -> ApiResult<UpdateUserPayload> {
        lifecycle::update_user(ctx, input).await
    }

    /// Change a group's display name or description. Needs `GLOBAL_ADMIN`
    /// or `USER_ADMIN`.
    async fn update_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group and the fields to change.")] input: UpdateGroupInput,
    ) -> ApiResult<UpdateGroupPayload> {
        lifecycle::update_group(ctx, input).await
    }

    /// Delete a group with its memberships and assignments. Members who
    /// held an app only through the group lose it (those who also hold it
    /// directly or through another group keep their seat), and freed seats
    /// go to users waiting for one. Needs `GLOBAL_ADMIN` or `USER_ADMIN`.
    async fn delete_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to delete.")] input: DeleteGroupInput,
    ) -> ApiResult<DeleteGroupPayload> {
        lifecycle::delete_group(ctx, input).await
    }

    /// Change an app's name, description, vendor contact or adapter (with
    /// the checks of `registerApp`). Needs `GLOBAL_ADMIN` or
    /// `BILLING_ADMIN`.
    async fn update_app(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app and the fields to change.")] input: UpdateAppInput,
    ) -> ApiResult<UpdateAppPayload> {
        lifecycle::update_app(ctx, input).await
    }

    /// Remove an app. Refused with `APP_HAS_ASSIGNMENTS` while it has
    /// assignments, unless `unassignAll` is true, which unassigns everyone
    /// in the same change; refused with `SEAT_CHANGE_UNDER_WAY` while a
    /// seat change is `PENDING` or `IN_PROGRESS`. Needs `GLOBAL_ADMIN` or
    /// `BILLING_ADMIN`.
    async fn remove_app(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app to remove, and whether to unassign everyone.")]
        input: RemoveAppInput,
    ) -> ApiResult<RemoveAppPayload> {
        lifecycle::remove_app(ctx, input).await
    }

    /// Ask the app's vendor to set its purchased seats to `quantity`. The
    /// request is recorded as a `SeatChangeOperation` and returned at once;
    /// the server then carries it out through the app's vendor adapter
    /// (apps without one end in `CONTACT_VENDOR` with the vendor's contact
    /// details). A decrease below the seats in use is refused with
    /// `SEATS_IN_USE` before any vendor is asked. Sending the same
    /// `idempotencyKey` again returns the same operation. Needs
    /// `GLOBAL_ADMIN` or `BILLING_ADMIN`.
    async fn request_seat_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app, the seats wanted and an idempotency key.")]
        input: RequestSeatChangeInput,
    ) -> ApiResult<RequestSeatChangePayload> {
        vendor::request_seat_change(ctx, input).await
    }

    /// "Install this product": get the URL of the vendor's install page for
    /// the app, to send the admin's browser to. Needs `GLOBAL_ADMIN`.
    async fn install_app(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app and where the vendor should send the admin back.")]
        input: InstallAppInput,
    ) -> ApiResult<InstallAppPayload> {
        vendor::install_app(ctx, input).await
    }

    /// Set an app's subscription terms: its term, the price of a seat and
    /// the renewal settings; they replace any it had. A later `termEnd`
    /// is a renewal: a `DISABLED` app takes new assignments again. Setting
    /// the terms it already has changes nothing. Needs `GLOBAL_ADMIN` or
    /// `BILLING_ADMIN`.
    async fn set_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app and its subscription terms.")]
        input: subscriptions::SetSubscriptionInput,
    ) -> ApiResult<subscriptions::SetSubscriptionPayload> {
        subscriptions::set_subscription(ctx, input).await
    }

    /// Record when users were last active in an app, for apps whose vendor
    /// adapter reports no usage. The latest time per user is kept; records
    /// naming no user of the organisation, or a time in the future, are
    /// listed in `rejected` and the others applied. Needs `GLOBAL_ADMIN` or
    /// `LICENSE_ADMIN`.
    async fn import_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app and its users' last activity.")] input: usage::ImportUsageInput,
    ) -> ApiResult<usage::ImportUsagePayload> {
        usage::import_usage(ctx, input).await
    }

    /// Give back the seats of users idle for `idleDays`: removes their
    /// direct assignments of the app (licenses held through groups are
    /// never touched), freed seats going to users waiting for one. With
    /// `dryRun`, only lists them. Audited. Needs `GLOBAL_ADMIN` or
    /// `LICENSE_ADMIN`.
    async fn reclaim_idle_seats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app, the idle window and whether to only list.")]
        input: usage::ReclaimIdleSeatsInput,
    ) -> ApiResult<usage::ReclaimIdleSeatsPayload> {
        usage::reclaim_idle_seats(ctx, input).await
    }

    /// Create a SCIM token for the organisation's identity provider to
    /// sync users and groups with (`/scim/v2`). The secret is in this
    /// answer only. Needs `GLOBAL_ADMIN` or `USER_ADMIN`.
    async fn create_scim_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's name.")] input: directory::CreateScimTokenInput,
    ) -> ApiResult<directory::CreateScimTokenPayload> {
        directory::create_scim_token(ctx, input).await
    }

    /// Revoke a SCIM token: it authenticates nothing from now on (revoking
    /// twice changes nothing). Needs `GLOBAL_ADMIN` or `USER_ADMIN`.
    async fn revoke_scim_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to revoke.")] input: directory::RevokeScimTokenInput,
    ) -> ApiResult<directory::RevokeScimTokenPayload> {
        directory::revoke_scim_token(ctx, input).await
    }

    /// Register an outbound webhook endpoint for the organisation's events.
    /// The signing secret is in this answer only. Needs `GLOBAL_ADMIN`.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's URL and the events it receives.")]
        input: webhooks::CreateWebhookEndpointInput,
    ) -> ApiResult<webhooks::CreateWebhookEndpointPayload> {
        webhooks::create_webhook_endpoint(ctx, input).await
    }

    /// Change a webhook endpoint's URL, events, description, or turn it on
    /// or off. Needs `GLOBAL_ADMIN`.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint and the fields to change.")]
        input: webhooks::UpdateWebhookEndpointInput,
    ) -> ApiResult<webhooks::UpdateWebhookEndpointPayload> {
        webhooks::update_webhook_endpoint(ctx, input).await
    }

    /// Delete a webhook endpoint, with its queue and delivery log. Needs
    /// `GLOBAL_ADMIN`.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint to delete.")] input: webhooks::DeleteWebhookEndpointInput,
    ) -> ApiResult<webhooks::DeleteWebhookEndpointPayload> {
        webhooks::delete_webhook_endpoint(ctx, input).await
    }

    /// Send a delivery again, whatever its status (typically `FAILED`): it
    /// is `PENDING` again, due now, with its attempts reset. Needs
    /// `GLOBAL_ADMIN`.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The delivery to send again.")] input: webhooks::RedeliverWebhookInput,
    ) -> ApiResult<webhooks::RedeliverWebhookPayload> {
        webhooks::redeliver_webhook(ctx, input).await
    }
}
