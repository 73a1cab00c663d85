//! The domain's public types, as handed to the API. Rows as stored live
//! beside the queries that read them.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::ids::*;

/// Who performs a change: recorded as `assigned_by` and in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A stable name for the caller (the token's subject, or `system`).
    pub subject: String,
    /// The caller's user in the tenant, when the caller is one.
    pub user_id: Option<UserId>,
}

impl Actor {
    /// The server itself (demo seeding, the seat-change worker).
    pub fn system() -> Self {
        Self {
            subject: "system".into(),
            user_id: None,
        }
    }

    /// A caller known by subject only.
    pub fn named(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            user_id: None,
        }
    }
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// How to reach the vendor of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    /// The vendor's name.
    pub name: String,
    /// The vendor's website (http or https).
    pub website: String,
    /// Where admins ask for help or for more seats.
    pub support_email: String,
}

/// Seat counts of an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seats {
    /// Seats bought from the vendor.
    pub purchased: i64,
    /// Distinct users holding an active license.
    pub assigned: i64,
}

impl Seats {
    /// Seats still free.
    pub fn available(&self) -> i64 {
        (self.purchased - self.assigned).max(0)
    }
}

/// An app bought from a vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its id.
    pub id: AppId,
    /// The product's name.
    pub name: String,
    /// What the product does.
    pub description: String,
    /// Who sells it.
    pub vendor: Vendor,
    /// Purchased and assigned seats.
    pub seats: Seats,
    /// Key of the vendor adapter plugin that manages seats and installs.
    pub adapter_key: Option<String>,
    /// Adapter settings (JSON). May hold secrets: never show in full.
    pub adapter_settings: serde_json::Value,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// What registering an app needs.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// The product's name.
    pub name: String,
    /// What the product does.
    pub description: String,
    /// Who sells it.
    pub vendor: Vendor,
    /// Seats bought.
    pub seats: i64,
    /// Adapter plugin key, if a vendor adapter manages this app.
    pub adapter_key: Option<String>,
    /// Adapter settings: a JSON object.
    pub adapter_settings: serde_json::Value,
}

/// A person in the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Name shown to admins.
    pub display_name: String,
    /// Email, unique in the tenant (case-insensitively).
    pub email: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Where it came from, and the identity provider's id for it.
    pub directory: DirectoryRecord,
    /// Whether the account may sign in. A disabled user keeps their
    /// licenses, as in the model product.
    pub account_enabled: bool,
    /// False once the identity provider deactivated the user (SCIM
    /// `active: false`): such a user holds no seat; their assignments and
    /// group memberships stay, and count again when they are reactivated.
    pub directory_active: bool,
    /// Department (SCIM enterprise extension).
    pub department: Option<String>,
    /// The manager's id at the identity provider (SCIM enterprise
    /// extension), as sent.
    pub manager_external_id: Option<String>,
    /// The identity provider's userName for the user (SCIM), as sent;
    /// `None` when no directory named one (SCIM then answers the email).
    pub user_name: Option<String>,
}

/// Where a user or group came from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum DirectorySource {
    /// Created by an admin (GraphQL or the console).
    Manual,
    /// Provisioned by an identity provider over SCIM.
    Scim,
    /// Imported from a CSV file.
    Csv,
}

crate::stored::stored_enum!(DirectorySource {
    Manual => "MANUAL",
    Scim => "SCIM",
    Csv => "CSV",
});

/// The directory side of a user or group: its source, the identity
/// provider's id, and a version that counts every change (SCIM ETags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryRecord {
    /// Where it came from.
    pub source: DirectorySource,
    /// The identity provider's id for it, unique in the tenant.
    pub external_id: Option<String>,
    /// 1 at creation, one more at every change.
    pub version: i64,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What creating a user needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Name shown to admins.
    pub display_name: String,
    /// Email, unique in the tenant.
    pub email: String,
}

/// Changes to a user; a `None` field is left as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// A new name shown to admins.
    pub display_name: Option<String>,
    /// A new email, unique in the tenant (case-insensitively).
    pub email: Option<String>,
    /// Whether the user may sign in. A disabled user keeps their licenses.
    pub account_enabled: Option<bool>,
}

/// A group of users; a license assigned to it reaches every member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// Name shown to admins.
    pub display_name: String,
    /// What the group is for.
    pub description: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Where it came from, and the identity provider's id for it.
    pub directory: DirectoryRecord,
}

/// What creating a group needs.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// Name shown to admins.
    pub display_name: String,
    /// What the group is for.
    pub description: String,
    /// Initial members.
    pub member_ids: Vec<UserId>,
}

/// Changes to a group; a `None` field is left as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupUpdate {
    /// A new name shown to admins.
    pub display_name: Option<String>,
    /// A new description.
    pub description: Option<String>,
}

/// Changes to an app; a `None` field is left as it is. Seats change only
/// through `set_purchased_seats` or a seat-change operation.
#[derive(Debug, Clone, Default)]
pub struct AppUpdate {
    /// A new product name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// New vendor contact details (all three together).
    pub vendor: Option<Vendor>,
    /// A new adapter key; an empty one removes the adapter.
    pub adapter_key: Option<String>,
    /// New adapter settings (a JSON object; null stores `{}`).
    pub adapter_settings: Option<serde_json::Value>,
}

/// One assignment of an app's license to a user or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Its id.
    pub id: AssignmentId,
    /// The app.
    pub app_id: AppId,
    /// Who it is assigned to.
    pub principal: PrincipalId,
    /// Who assigned it.
    pub assigned_by: String,
    /// When.
    pub assigned_at: DateTime<Utc>,
}

/// The state of one user's license for one app.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum LicenseState {
    /// The user holds a seat.
    Active,
    /// The user should hold the license but no seat was free.
    Error,
}

crate::stored::stored_enum!(LicenseState {
    Active => "ACTIVE",
    Error => "ERROR",
});

/// Why a license is in [`LicenseState::Error`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum LicenseErrorCode {
    /// No seat was free when the user gained the license through a group.
    CountViolation,
}

crate::stored::stored_enum!(LicenseErrorCode {
    CountViolation => "COUNT_VIOLATION",
});

/// A user's effective license for an app, with every path by which they
/// hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveLicense {
    /// The app.
    pub app_id: AppId,
    /// The user.
    pub user_id: UserId,
    /// Active, or waiting for a seat.
    pub state: LicenseState,
    /// Set when `state` is `Error`.
    pub error_code: Option<LicenseErrorCode>,
    /// Since when the license has been in this state.
    pub since: DateTime<Utc>,
    /// Assigned to the user directly.
    pub assigned_directly: bool,
    /// Groups through which the user holds it.
    pub via_groups: Vec<GroupId>,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Its id (time-ordered).
    pub id: AuditEventId,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it.
    pub actor: String,
    /// What was done, e.g. `LICENSE_ASSIGNED`.
    pub action: crate::audit::RecordedAction,
    /// Kind of the changed object: `APP`, `USER`, `GROUP`, `TENANT`, …
    pub target_kind: crate::stored::Recorded<crate::error::EntityKind>,
    /// Id of the changed object.
    pub target_id: AnyId,
    /// The app concerned, if any.
    pub app_id: Option<AppId>,
    /// Details as JSON.
    pub details: serde_json::Value,
}

/// Typeahead hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A user.
    User(User),
    /// A group.
    Group(Group),
}

/// The current time, truncated to microseconds (PostgreSQL's precision) so a
/// value read back equals the value written.
pub(crate) fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond_truncated()
}

trait TruncateNanos {
    fn with_nanosecond_truncated(self) -> Self;
}

impl TruncateNanos for NaiveDateTime {
    fn with_nanosecond_truncated(self) -> Self {
        use chrono::Timelike;
        let micros = self.nanosecond() / 1_000 * 1_000;
        self.with_nanosecond(micros).unwrap_or(self)
    }
}

pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}
