//! The schema's object types, one module per area.

mod adapter;
mod app;
mod audit;
mod directory;
mod group;
mod license;
mod node;
mod seat_change;
mod user;
mod viewer;

pub use adapter::{Adapter, AdapterSeatChanges};
pub use app::{App, AppConnection, Seats, Vendor};
pub use audit::{AuditEvent, AuditEventConnection};
pub use directory::DirectorySource;
pub use group::{Group, GroupConnection};
pub use license::{
    LicenseAssignment, LicenseAssignmentConnection, LicenseErrorCode, LicenseState, LicensedUser,
    LicensedUserConnection, Principal, UserLicense,
};
pub(crate) use license::{prime_group_page, prime_user_page};
pub use node::Node;
pub use seat_change::{
    SeatChangeOperation, SeatChangeOperationConnection, SeatChangeStatus, VendorContact,
};
pub use user::{User, UserConnection};
pub use viewer::{Tenant, Viewer};
