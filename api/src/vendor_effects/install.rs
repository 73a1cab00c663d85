//! "Install this product": which adapter can send an admin to the vendor's
//! install page, asking it for the URL, and auditing that the admin was
//! sent (the URL carries a signed token and is never stored).

use chrono::{DateTime, Utc};
use seatwise_adapter_host::{
    AdapterHandle, CallContext, CallError, InstallRequest, PluginRegistry, UserRef,
};
use seatwise_core::ids::TenantId;
use seatwise_core::model::{Actor, App};
use seatwise_core::{CoreError, Store};

/// Why "Install this product" cannot work for an app. The text is shown to
/// administrators as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallUnavailable {
    /// The app names no vendor adapter.
    #[error(
        "{app} has no vendor adapter, so Seatwise cannot start its installation; install it from {website}"
    )]
    NoAdapter {
        /// The app's name.
        app: String,
        /// The vendor's website, where the admin can install it by hand.
        website: String,
    },
    /// The app's adapter is not loaded on this server.
    #[error(
        "the vendor adapter `{key}` of {app} is not loaded on this server; ask your operator to install the plugin, or install it from {website}"
    )]
    NotLoaded {
        /// The adapter the app names.
        key: String,
        /// The app's name.
        app: String,
        /// The vendor's website.
        website: String,
    },
    /// The app's adapter does not offer installation.
    #[error("the vendor adapter `{key}` does not offer installation; install {app} from {website}")]
    NotOffered {
        /// The adapter the app names.
        key: String,
        /// The app's name.
        app: String,
        /// The vendor's website.
        website: String,
    },
}

/// Why an install redirect was not handed out.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// No adapter can install the app.
    #[error(transparent)]
    Unavailable(#[from] InstallUnavailable),
    /// The adapter failed or answered something unusable.
    #[error("the vendor adapter `{adapter}` failed: {error}")]
    Adapter {
        /// The adapter's key.
        adapter: String,
        /// How it failed (already redacted by the host).
        error: CallError,
    },
    /// Recording the audit entry failed; the URL was not handed out.
    #[error(transparent)]
    Audit(#[from] CoreError),
}

/// A URL to send the admin's browser to, and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRedirect {
    /// The vendor's install page (with its signed token).
    pub url: String,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}

/// The adapter that can send an admin to install `app`, or why none can.
pub(super) fn install_adapter<'r>(
    registry: &'r PluginRegistry,
    app: &App,
) -> Result<&'r AdapterHandle, InstallUnavailable> {
    let Some(key) = app.adapter_key.as_deref() else {
        return Err(InstallUnavailable::NoAdapter {
            app: app.name.clone(),
            website: app.vendor.website.clone(),
        });
    };
    let Some(adapter) = registry.get(key) else {
        return Err(InstallUnavailable::NotLoaded {
            key: key.to_owned(),
            app: app.name.clone(),
            website: app.vendor.website.clone(),
        });
    };
    if !adapter.info().capabilities.install_redirect {
        return Err(InstallUnavailable::NotOffered {
            key: key.to_owned(),
            app: app.name.clone(),
            website: app.vendor.website.clone(),
        });
    }
    Ok(adapter)
}

/// Ask `app`'s adapter for an install URL for `admin`, then audit that
/// `actor` was sent to the vendor. An adapter failure is logged here.
pub(super) async fn redirect(
    store: &Store,
    registry: &PluginRegistry,
    tenant: TenantId,
    actor: &Actor,
    app: &App,
    admin: UserRef,
    return_url: String,
) -> Result<InstallRedirect, InstallError> {
    let adapter = install_adapter(registry, app)?;
    let call = CallContext {
        tenant_id: tenant.to_string(),
        app_id: app.id.to_string(),
        settings: app.adapter_settings.clone(),
    };
    let request = InstallRequest {
        admin_user: admin,
        return_url,
    };
    let failed = |error: CallError| InstallError::Adapter {
        adapter: adapter.key().to_owned(),
        error,
    };
    let redirect = match adapter.install_redirect(&call, &request).await {
        Ok(redirect) => redirect,
        Err(error) => {
            tracing::warn!(adapter = adapter.key(), tenant = %tenant, app = %app.id, %error, "install redirect failed");
            return Err(failed(error));
        }
    };
    let expires_at = i64::try_from(redirect.expires_at)
        .ok()
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        .ok_or_else(|| {
            failed(CallError::MalformedOutput(format!(
                "expiry {} is not a valid time",
                redirect.expires_at
            )))
        })?;
    store
        .record_install_redirect(tenant, actor, app.id, adapter.key(), expires_at)
        .await?;
    Ok(InstallRedirect {
        url: redirect.url,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use seatwise_core::ids::AppId;
    use seatwise_core::model::{Seats, Vendor};

    fn app(adapter_key: Option<&str>) -> App {
        App {
            id: AppId::new(),
            name: "Contoso Draw".into(),
            description: String::new(),
            vendor: Vendor {
                name: "Contoso".into(),
                website: "https://contoso.example".into(),
                support_email: "help@contoso.example".into(),
            },
            seats: Seats {
                purchased: 1,
                assigned: 0,
            },
            adapter_key: adapter_key.map(str::to_owned),
            adapter_settings: serde_json::Value::Null,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn admins_are_told_why_an_app_cannot_be_installed_and_where_to_go_instead() {
        let registry = PluginRegistry::empty();
        let why = |app: &App| match install_adapter(&registry, app) {
            Ok(adapter) => panic!("no adapter is loaded, yet got {}", adapter.key()),
            Err(why) => why.to_string(),
        };
        assert_eq!(
            why(&app(None)),
            "Contoso Draw has no vendor adapter, so Seatwise cannot start its installation; \
             install it from https://contoso.example"
        );
        assert_eq!(
            why(&app(Some("contoso"))),
            "the vendor adapter `contoso` of Contoso Draw is not loaded on this server; ask your \
             operator to install the plugin, or install it from https://contoso.example"
        );
    }
}
