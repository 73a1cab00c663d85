//! The schema's object types, one module per area.

mod app;
mod audit;
mod group;
mod license;
mod node;
mod user;
mod viewer;

pub use app::{App, AppConnection, Seats, Vendor};
pub use audit::{AuditEvent, AuditEventConnection};
pub use group::{Group, GroupConnection};
pub use license::{
    LicenseAssignment, LicenseAssignmentConnection, LicenseErrorCode, LicenseState, LicensedUser,
    LicensedUserConnection, Principal, UserLicense,
};
pub use node::Node;
pub use user::{User, UserConnection};
pub use viewer::{Tenant, Viewer};
