//! The "Install this product" redirect.

use serde::{Deserialize, Serialize};

use crate::UserRef;

/// Request of `install_redirect`: an administrator clicked "Install this product".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRequest {
    /// The administrator who asked for the install.
    pub admin_user: UserRef,
    /// Where the vendor should send the administrator back when done.
    pub return_url: String,
}

/// Answer of `install_redirect`: where to send the administrator's browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRedirect {
    /// Absolute URL; the host rejects anything that is not `https://`.
    pub url: String,
    /// When the URL stops working, in Unix seconds (UTC). The host does not
    /// hand out the URL after that moment.
    pub expires_at: u64,
}
