//! What users and groups share about the directory they came from.

use async_graphql::Enum;

/// Where a user or group came from.
// `remote` generates both conversions with exhaustive matches, so a source
// added to the core does not compile until it is mirrored here.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "seatwise_core::model::DirectorySource")]
pub enum DirectorySource {
    /// Created by an admin in the console or through the API.
    Manual,
    /// Provisioned by the organisation's identity provider over SCIM.
    Scim,
    /// Imported from a CSV file.
    Csv,
}

/// Whether the organisation's identity provider counts a user as active.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryStatus {
    /// Active, as every user created in Seatwise is: the user can hold
    /// seats.
    Active,
    /// Deactivated by the identity provider (SCIM `active: false`): the
    /// user's seats were released and they cannot sign in. Their
    /// assignments and group memberships stay, and they take seats again
    /// (or wait for one) when the identity provider reactivates them. An
    /// admin cannot enable them in Seatwise.
    Deactivated,
}

impl DirectoryStatus {
    /// The status of a user whose `directory_active` flag is `active`.
    pub fn of(active: bool) -> Self {
        if active {
            Self::Active
        } else {
            Self::Deactivated
        }
    }
}
