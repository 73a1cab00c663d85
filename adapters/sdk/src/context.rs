//! Values that accompany calls: who the call is for, and user references.

use serde::{Deserialize, Serialize};

/// Given to every adapter call: which tenant and app it is about, and the
/// app's adapter settings.
///
/// `settings` is the JSON object an administrator configured for the app; it
/// may contain secrets, which is why `Debug` does not print it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CallContext {
    /// The organisation (tenant) that owns the app.
    pub tenant_id: String,
    /// The app within that tenant.
    pub app_id: String,
    /// The app's adapter settings, free-form JSON defined by the vendor.
    #[serde(default)]
    pub settings: serde_json::Value,
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Settings may hold API keys or signing secrets; keep them out of logs.
        f.debug_struct("CallContext")
            .field("tenant_id", &self.tenant_id)
            .field("app_id", &self.app_id)
            .field("settings", &"<redacted>")
            .finish()
    }
}

/// A user as the host knows them. Only `id` is always present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    /// The host's stable identifier of the user.
    pub id: String,
    /// Display name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E-mail address, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}
