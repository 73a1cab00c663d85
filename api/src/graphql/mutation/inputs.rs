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
