//! Notices about users gaining or losing a seat.

use serde::{Deserialize, Serialize};

use crate::UserRef;

/// Request of `assignments_changed`: who gained and who lost a seat of the app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentNotice {
    /// Users who were just assigned a seat.
    #[serde(default)]
    pub gained: Vec<UserRef>,
    /// Users whose seat was just taken away.
    #[serde(default)]
    pub lost: Vec<UserRef>,
}
