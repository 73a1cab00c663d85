//! Seatwise core: the licensing domain and its storage.
//!
//! Start at [`Store`]: it opens the database ([`Store::connect`],
//! [`Store::migrate`]) and carries every domain operation as a method. The
//! seat rules live in `licensing::engine`; the lock order that keeps them
//! true under concurrency is described in `locks`.
//!
//! This crate knows nothing of GraphQL or HTTP.

mod apps;
mod audit;
mod background;
pub mod clock;
pub mod db;
pub mod directory;
pub mod directory_groups;
pub mod directory_import;
mod error;
pub mod events;
mod groups;
pub mod ids;
mod installs;
mod lease;
mod licensing;
mod locks;
pub mod model;
pub mod paging;
mod schema;
pub mod scim_tokens;
mod search;
pub mod seat_changes;
pub mod stored;
pub mod subscriptions;
mod tenants;
// Tests and benchmarks only (feature `testing`): not in the server build.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod usage;
mod users;
pub mod validate;

pub use apps::{AppRemoved, MAX_SEATS};
pub use audit::{AuditAction, RecordedAction, UnknownAuditAction};
pub use clock::Clock;
pub use db::{Backend, DatabaseUrl, Store, StoreOptions};
pub use error::{CoreError, CoreResult, EntityKind, ImportedUserField, InputField};
pub use groups::{GroupDeleted, MembershipChange};
pub use licensing::{
    AppHeadline, AppLicenseChanges, AppWithAssignments, AssignmentLine, LicenseChange,
    LicenseChanges, LicenseDetailsScreen, LicenseFilter, PrincipalCard,
};
pub use search::MAX_SEARCH_RESULTS;
pub use stored::{Recorded, StoredEnum};
pub use users::UserDeleted;
