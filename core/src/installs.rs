//! "Install this product": the redirect itself is the vendor adapter's job
//! (in the API crate); the core only records that an admin was sent away.

use crate::audit::{self, AuditAction, Target};
use crate::db::{Store, write_txn};
use crate::error::CoreResult;
use crate::ids::{AppId, TenantId};
use crate::model::Actor;

impl Store {
    /// Record in the audit trail (`APP_INSTALL_REDIRECTED`) that `actor` was
    /// handed an install URL for `app` by adapter `adapter_key`. The URL
    /// itself is not stored: it carries a signed token.
    pub async fn record_install_redirect(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        adapter_key: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<()> {
        write_txn!(self, conn => {
            audit::record(conn, tenant, actor, AuditAction::AppInstallRedirected, Target::app(app), serde_json::json!({
                "adapter": adapter_key,
                "expiresAt": expires_at,
            }))
            .await
        })
    }
}
