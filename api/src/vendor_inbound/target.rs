//! The `app=` parameter of a vendor webhook URL: which tenant's app a
//! request is for.
//!
//! The signing secret lives in the app's adapter settings and every query
//! names its tenant, so the URL must carry both. It is opaque to vendors:
//! base64url (no padding) of `VendorWebhook:{tenant}:{app}`. It is not a
//! secret (the vendor's signature is what authenticates a request); any
//! text that does not decode is simply an unknown app.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use seatwise_core::ids::{AppId, TenantId};

const PREFIX: &str = "VendorWebhook:";
/// Longest `app=` value looked at; a real one is under 100 characters.
const MAX_LEN: usize = 200;

/// The tenant and app a vendor webhook is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The app's tenant.
    pub tenant: TenantId,
    /// The app.
    pub app: AppId,
}

impl WebhookTarget {
    /// The `app=` value for this app.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{PREFIX}{}:{}", self.tenant.0, self.app.0))
    }

    /// The target in an `app=` value; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() > MAX_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (tenant, app) = text.strip_prefix(PREFIX)?.split_once(':')?;
        Some(Self {
            tenant: TenantId(uuid::Uuid::parse_str(tenant).ok()?),
            app: AppId(uuid::Uuid::parse_str(app).ok()?),
        })
    }

    /// The path (with query) a vendor posts to for this app through the
    /// adapter `key`, relative to the server's public address.
    pub fn path(&self, key: &str) -> String {
        format!("/vendors/{key}/webhook?app={}", self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_anything_else() {
        let target = WebhookTarget {
            tenant: TenantId(uuid::Uuid::now_v7()),
            app: AppId(uuid::Uuid::now_v7()),
        };
        assert_eq!(WebhookTarget::decode(&target.encode()), Some(target));
        assert_eq!(WebhookTarget::decode(""), None);
        assert_eq!(WebhookTarget::decode("QXBwOjEyMw"), None);
        assert_eq!(WebhookTarget::decode(&"A".repeat(500)), None);
    }
}
