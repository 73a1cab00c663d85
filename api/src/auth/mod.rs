//! Who is calling and what they may do.
//!
//! A request carries a JWT ([`token`]); verifying it yields a [`Caller`]:
//! a tenant, a set of [`Role`]s and optionally the caller's own user. What a
//! role allows is the [`Permission`] matrix below, taken from the model
//! product (Microsoft 365 admin roles).

pub mod secret;
pub mod token;

use std::collections::BTreeSet;

use seatwise_core::ids::{TenantId, UserId};
use seatwise_core::model::Actor;

pub use token::{AuthError, Claims, TokenKeys, TokenRequest};

/// An administrator role, named as in the model product.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Everything: licenses, users and groups, apps, installs.
    GlobalAdmin,
    /// Assigns and unassigns licenses.
    LicenseAdmin,
    /// Manages users and groups, and assigns licenses.
    UserAdmin,
    /// Registers apps and requests seat changes from vendors.
    BillingAdmin,
    /// Reads everything in the tenant, changes nothing.
    GlobalReader,
}

impl Role {
    /// Every role, in the order the docs list them.
    pub const ALL: [Role; 5] = [
        Role::GlobalAdmin,
        Role::LicenseAdmin,
        Role::UserAdmin,
        Role::BillingAdmin,
        Role::GlobalReader,
    ];

    /// The name used in tokens and on the command line, e.g. `GLOBAL_ADMIN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GlobalAdmin => "GLOBAL_ADMIN",
            Role::LicenseAdmin => "LICENSE_ADMIN",
            Role::UserAdmin => "USER_ADMIN",
            Role::BillingAdmin => "BILLING_ADMIN",
            Role::GlobalReader => "GLOBAL_READER",
        }
    }

    /// Parse a role name (case-insensitive); `None` for unknown names.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::from_name(s).ok_or_else(|| {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("unknown role {s:?}; known roles: {}", known.join(", "))
        })
    }
}

/// Something a caller may be allowed to do. `viewer.permissions` lists the
/// caller's, so clients decide what to offer from the server's own matrix.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// Read the tenant's apps, users, groups, licenses and audit log.
    ReadTenant,
    /// Assign and unassign licenses.
    AssignLicenses,
    /// Create and delete users and groups, change group members.
    ManageUsersAndGroups,
    /// Register apps and request seat changes.
    ManageApps,
    /// Install apps from their vendor.
    InstallApps,
    /// Create, list and revoke the SCIM tokens identity providers sync
    /// the directory with.
    ManageDirectorySync,
    /// Set apps' subscription terms: term, price per seat, renewal.
    ManageSubscriptions,
    /// Register, change and delete outbound webhook endpoints, read their
    /// delivery logs and ask for redeliveries.
    ManageWebhooks,
    /// Import apps' per-user activity and reclaim idle seats (which
    /// removes licenses, hence the license administrators' roles).
    ManageUsage,
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 9] = [
        Permission::ReadTenant,
        Permission::AssignLicenses,
        Permission::ManageUsersAndGroups,
        Permission::ManageApps,
        Permission::InstallApps,
        Permission::ManageDirectorySync,
        Permission::ManageSubscriptions,
        Permission::ManageWebhooks,
        Permission::ManageUsage,
    ];

    /// The roles that grant this permission.
    pub fn granted_by(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::ReadTenant => &[
                GlobalAdmin,
                LicenseAdmin,
                UserAdmin,
                BillingAdmin,
                GlobalReader,
            ],
            Permission::AssignLicenses => &[GlobalAdmin, LicenseAdmin, UserAdmin],
            Permission::ManageUsersAndGroups => &[GlobalAdmin, UserAdmin],
            Permission::ManageApps => &[GlobalAdmin, BillingAdmin],
            Permission::InstallApps => &[GlobalAdmin],
            Permission::ManageDirectorySync => &[GlobalAdmin, UserAdmin],
            Permission::ManageSubscriptions => &[GlobalAdmin, BillingAdmin],
            Permission::ManageWebhooks => &[GlobalAdmin],
            Permission::ManageUsage => &[GlobalAdmin, LicenseAdmin],
        }
    }

    /// A phrase for error messages: "read the tenant", …
    pub fn describe(self) -> &'static str {
        match self {
            Permission::ReadTenant => "read the tenant",
            Permission::AssignLicenses => "assign or unassign licenses",
            Permission::ManageUsersAndGroups => "manage users and groups",
            Permission::ManageApps => "register apps or change seats",
            Permission::InstallApps => "install apps",
            Permission::ManageDirectorySync => "manage directory sync",
            Permission::ManageSubscriptions => "manage subscriptions",
            Permission::ManageWebhooks => "manage webhooks",
            Permission::ManageUsage => "import usage or reclaim idle seats",
        }
    }
}

/// An authenticated caller, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant the token is for (`tid`).
    pub tenant: TenantId,
    /// The token's subject (`sub`): recorded as who made each change.
    pub subject: String,
    /// Known roles from the token (unknown names are ignored).
    pub roles: BTreeSet<Role>,
    /// The caller's own user in the tenant (`uid`), if any.
    pub user: Option<UserId>,
}

impl Caller {
    /// True when one of the caller's roles grants `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        permission
            .granted_by()
            .iter()
            .any(|role| self.roles.contains(role))
    }

    /// Everything the caller's roles allow, in [`Permission::ALL`] order.
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|&permission| self.may(permission))
            .collect()
    }

    /// Who to record as the author of a change.
    pub fn actor(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            user_id: self.user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(roles: &[Role]) -> Caller {
        Caller {
            tenant: TenantId::new(),
            subject: "t".into(),
            roles: roles.iter().copied().collect(),
            user: None,
        }
    }

    #[test]
    fn the_permission_matrix_matches_the_model_product() {
        use Permission::*;
        use Role::*;
        let expect = [
            (
                GlobalAdmin,
                [true, true, true, true, true, true, true, true, true],
            ),
            (
                LicenseAdmin,
                [true, true, false, false, false, false, false, false, true],
            ),
            (
                UserAdmin,
                [true, true, true, false, false, true, false, false, false],
            ),
            (
                BillingAdmin,
                [true, false, false, true, false, false, true, false, false],
            ),
            (
                GlobalReader,
                [true, false, false, false, false, false, false, false, false],
            ),
        ];
        for (role, allowed) in expect {
            let c = caller(&[role]);
            let got = [
                ReadTenant,
                AssignLicenses,
                ManageUsersAndGroups,
                ManageApps,
                InstallApps,
                ManageDirectorySync,
                ManageSubscriptions,
                ManageWebhooks,
                ManageUsage,
            ]
            .map(|p| c.may(p));
            assert_eq!(got, allowed, "{role}");
            let listed: Vec<Permission> = Permission::ALL
                .into_iter()
                .zip(allowed)
                .filter_map(|(p, allowed)| allowed.then_some(p))
                .collect();
            assert_eq!(c.permissions(), listed, "{role}");
        }
        assert!(!caller(&[]).may(ReadTenant));
        assert!(caller(&[]).permissions().is_empty());
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("global_reader".parse::<Role>(), Ok(Role::GlobalReader));
        assert!("ROOT".parse::<Role>().is_err());
    }
}
