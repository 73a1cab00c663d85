//! Mutation payloads: the changed objects plus `userErrors`, which is empty
//! when the mutation did what was asked.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::errors::UserError;
use crate::graphql::types::{App, Group, LicenseAssignment, SeatChangeOperation, User};

/// Result of `registerApp`.
#[derive(SimpleObject)]
pub struct RegisterAppPayload {
    /// The new app (null when `userErrors` is not empty).
    pub app: Option<App>,
    /// Why the app was not registered.
    pub user_errors: Vec<UserError>,
}

/// Result of `createUser`.
#[derive(SimpleObject)]
pub struct CreateUserPayload {
    /// The new user (null when `userErrors` is not empty).
    pub user: Option<User>,
    /// Why the user was not created.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteUser`.
#[derive(SimpleObject)]
pub struct DeleteUserPayload {
    /// The global id of the deleted user (null when `userErrors` is not
    /// empty).
    pub deleted_user_id: Option<ID>,
    /// Apps whose license the user held and released.
    pub released_apps: Vec<App>,
    /// Why the user was not deleted.
    pub user_errors: Vec<UserError>,
}

macro_rules! group_payload {
    ($name:ident, $doc:tt) => {
        #[doc = $doc]
        #[derive(SimpleObject)]
        pub struct $name {
            /// The group after the change (null when `userErrors` is not empty).
            pub group: Option<Group>,
            /// Users whose membership changed (users already in the asked
            /// state are not listed).
            pub changed_users: Vec<User>,
            /// Why nothing was changed.
            pub user_errors: Vec<UserError>,
        }
    };
}

group_payload!(CreateGroupPayload, "Result of `createGroup`.");
group_payload!(AddGroupMembersPayload, "Result of `addGroupMembers`.");
group_payload!(RemoveGroupMembersPayload, "Result of `removeGroupMembers`.");

macro_rules! licenses_payload {
    ($name:ident, $doc:tt) => {
        #[doc = $doc]
        #[derive(SimpleObject)]
        pub struct $name {
            /// The app after the change, with its new seat counts (null when
            /// `userErrors` is not empty).
            pub app: Option<App>,
            /// Assignments created (assign) or removed (unassign);
            /// principals already in the asked state are not listed.
            pub assignments: Vec<LicenseAssignment>,
            /// Why nothing was changed.
            pub user_errors: Vec<UserError>,
        }
    };
}

licenses_payload!(AssignLicensesPayload, "Result of `assignLicenses`.");
licenses_payload!(UnassignLicensesPayload, "Result of `unassignLicenses`.");

/// Result of `requestSeatChange`.
#[derive(SimpleObject)]
pub struct RequestSeatChangePayload {
    /// The recorded operation (the existing one when the idempotency key was
    /// used before); it is carried out in the background. Null when
    /// `userErrors` is not empty.
    pub operation: Option<SeatChangeOperation>,
    /// Why the change was not recorded (e.g. `SEATS_IN_USE`).
    pub user_errors: Vec<UserError>,
}

/// Result of `installApp`.
#[derive(SimpleObject)]
pub struct InstallAppPayload {
    /// Where to send the admin's browser: the vendor's install page, usually
    /// carrying a signed, short-lived token. Null when `userErrors` is not
    /// empty.
    pub redirect_url: Option<String>,
    /// When `redirectUrl` stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Why no redirect is available (`INSTALL_UNAVAILABLE`, `ADAPTER_ERROR`,
    /// `INVALID_INPUT`, `NOT_FOUND`).
    pub user_errors: Vec<UserError>,
}

/// Result of `updateUser`.
#[derive(SimpleObject)]
pub struct UpdateUserPayload {
    /// The user after the change (null when `userErrors` is not empty).
    pub user: Option<User>,
    /// Why the user was not changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `updateGroup`.
#[derive(SimpleObject)]
pub struct UpdateGroupPayload {
    /// The group after the change (null when `userErrors` is not empty).
    pub group: Option<Group>,
    /// Why the group was not changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteGroup`.
#[derive(SimpleObject)]
pub struct DeleteGroupPayload {
    /// The global id of the deleted group (null when `userErrors` is not
    /// empty).
    pub deleted_group_id: Option<ID>,
    /// Why the group was not deleted.
    pub user_errors: Vec<UserError>,
}

/// Result of `updateApp`.
#[derive(SimpleObject)]
pub struct UpdateAppPayload {
    /// The app after the change (null when `userErrors` is not empty).
    pub app: Option<App>,
    /// Why the app was not changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `removeApp`.
#[derive(SimpleObject)]
pub struct RemoveAppPayload {
    /// The global id of the removed app (null when `userErrors` is not
    /// empty).
    pub removed_app_id: Option<ID>,
    /// Why the app was not removed (`APP_HAS_ASSIGNMENTS`,
    /// `SEAT_CHANGE_UNDER_WAY`, `NOT_FOUND`).
    pub user_errors: Vec<UserError>,
}
