//! Mutation inputs: one `<Mutation>Input` per mutation.

use async_graphql::{ID, InputObject, Json};

/// How to reach the vendor of a new app.
#[derive(InputObject)]
pub struct VendorInput {
    /// The vendor's name.
    pub name: String,
    /// The vendor's website (http or https).
    pub website: String,
    /// Where admins ask for help or for more seats.
    pub support_email: String,
}

/// An app the organisation bought.
#[derive(InputObject)]
pub struct RegisterAppInput {
    /// The product's name.
    pub name: String,
    /// What the product does.
    #[graphql(default)]
    pub description: String,
    /// Who sells it.
    pub vendor: VendorInput,
    /// Seats bought (0 to 10,000,000).
    pub seats: i32,
    /// Key of the vendor adapter plugin that manages the app's seats, if any.
    pub adapter_key: Option<String>,
    /// Settings for the adapter: a JSON object, at most 16 KiB as JSON.
    pub adapter_settings: Option<Json<serde_json::Value>>,
}

/// A new user.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Name shown to admins.
    pub display_name: String,
    /// Email address; must be unused in the organisation.
    pub email: String,
}

/// The user to delete.
#[derive(InputObject)]
pub struct DeleteUserInput {
    /// The user's global id.
    pub user_id: ID,
}

/// A new group.
#[derive(InputObject)]
pub struct CreateGroupInput {
    /// Name shown to admins.
    pub display_name: String,
    /// What the group is for.
    #[graphql(default)]
    pub description: String,
    /// Users to add as members right away (at most 1,000).
    #[graphql(default)]
    pub member_ids: Vec<ID>,
}

/// Users to add to a group.
#[derive(InputObject)]
pub struct AddGroupMembersInput {
    /// The group's global id.
    pub group_id: ID,
    /// Global ids of the users to add (at most 1,000); users already in
    /// the group are left as they are.
    pub user_ids: Vec<ID>,
}

/// Users to remove from a group.
#[derive(InputObject)]
pub struct RemoveGroupMembersInput {
    /// The group's global id.
    pub group_id: ID,
    /// Global ids of the users to remove (at most 1,000).
    pub user_ids: Vec<ID>,
}

/// Users and groups to give an app's license to.
#[derive(InputObject)]
pub struct AssignLicensesInput {
    /// The app's global id.
    pub app_id: ID,
    /// Global ids of users and groups (mixed freely, at most 1,000). All
    /// are assigned, or none if there are not enough seats.
    pub principal_ids: Vec<ID>,
}

/// Users and groups to take an app's license from.
#[derive(InputObject)]
pub struct UnassignLicensesInput {
    /// The app's global id.
    pub app_id: ID,
    /// Global ids of users and groups whose assignment to remove (at most
    /// 1,000).
    pub principal_ids: Vec<ID>,
}

/// A request to set an app's purchased seats through its vendor.
#[derive(InputObject)]
pub struct RequestSeatChangeInput {
    /// The app's global id.
    pub app_id: ID,
    /// The total number of purchased seats wanted (not a difference); at
    /// least the seats in use.
    pub quantity: i32,
    /// A key the client chooses (e.g. a UUID), unique per change: sending
    /// the same key again returns the operation it first created instead of
    /// asking the vendor twice. At most 200 characters.
    pub idempotency_key: String,
}

/// An app to install from its vendor's site.
#[derive(InputObject)]
pub struct InstallAppInput {
    /// The app's global id.
    pub app_id: ID,
    /// Where the vendor should send the admin back when done (http or
    /// https).
    pub return_url: String,
}

/// Changes to a user; fields left out (or null) stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// The user's global id.
    pub user_id: ID,
    /// A new name shown to admins.
    pub display_name: Option<String>,
    /// A new email address; must be unused in the organisation (compared
    /// case-insensitively).
    pub email: Option<String>,
    /// Whether the user may sign in. A disabled user keeps their licenses
    /// and seats. `true` is refused (`DIRECTORY_MANAGED`) for a user the
    /// identity provider deactivated: reactivate them there.
    pub account_enabled: Option<bool>,
}

/// Changes to a group; fields left out (or null) stay as they are.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    /// The group's global id.
    pub group_id: ID,
    /// A new name shown to admins.
    pub display_name: Option<String>,
    /// A new description (empty to clear it).
    pub description: Option<String>,
}

/// The group to delete.
#[derive(InputObject)]
pub struct DeleteGroupInput {
    /// The group's global id.
    pub group_id: ID,
}

/// Changes to an app; fields left out (or null) stay as they are. Seats
/// change through `requestSeatChange`.
#[derive(InputObject)]
pub struct UpdateAppInput {
    /// The app's global id.
    pub app_id: ID,
    /// A new product name.
    pub name: Option<String>,
    /// A new description (empty to clear it).
    pub description: Option<String>,
    /// New vendor contact details (all three together).
    pub vendor: Option<VendorInput>,
    /// A new vendor adapter plugin key; an empty string removes the
    /// adapter.
    pub adapter_key: Option<String>,
    /// New settings for the adapter: a JSON object, at most 16 KiB as JSON.
    pub adapter_settings: Option<Json<serde_json::Value>>,
}

/// The app to remove.
#[derive(InputObject)]
pub struct RemoveAppInput {
    /// The app's global id.
    pub app_id: ID,
    /// Unassign everyone in the same change. Without it, an app that still
    /// has assignments is not removed (`APP_HAS_ASSIGNMENTS`).
    #[graphql(default = false)]
    pub unassign_all: bool,
}
