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
