//! Contoso: an example vendor adapter with immediate seat changes and
//! HMAC-signed install URLs. Adapter key `contoso`.
//!
//! Settings (`CallContext::settings`):
//!
//! | key | type | meaning |
//! | --- | --- | --- |
//! | `signing_secret` | string | required for install URLs: HMAC-SHA256 key |
//! | `install_base_url` | string | `https://host[/path]` or a bare host; default `https://install.contoso.example` |
//! | `max_seats` | integer | seat changes above it are rejected; unlimited when absent |
//! | `reductions_need_contact` | bool | seat reductions must be arranged with Contoso sales |
//! | `webhook_secret` | string | HMAC-SHA256 key of Contoso's webhooks (see `webhook.rs`); without it every webhook is refused |
//! | `usage_report` | list of `{user_email, last_active_at}` | what `report_usage` answers (demo data; `last_active_at` in Unix seconds); empty when absent |

#![warn(missing_docs)]

mod settings;
mod signed_url;
mod webhook;

use std::time::{SystemTime, UNIX_EPOCH};

use seatwise_adapter::{
    AdapterError, AdapterInfo, CallContext, Capabilities, InstallRedirect, InstallRequest,
    SeatChangeMode, SeatChangeOutcome, SeatChangeRequest, UsageReport, UsageReportRequest,
    VendorAdapter, VendorContact, WebhookReports, WebhookRequest,
};

use settings::ContosoSettings;

/// How long an install URL stays valid.
const INSTALL_URL_LIFETIME_SECS: u64 = 10 * 60;

/// The Contoso adapter; stateless, so a unit struct. Public so benchmarks
/// can call it directly, without the library boundary.
pub struct Contoso;

impl VendorAdapter for Contoso {
    fn info(&self) -> AdapterInfo {
        AdapterInfo {
            key: "contoso".into(),
            display_name: "Contoso (immediate seat changes)".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                seat_changes: SeatChangeMode::Immediate,
                install_redirect: true,
                assignment_notices: false,
                vendor_webhooks: true,
                usage_reports: true,
            },
        }
    }

    fn change_seats(
        &self,
        ctx: &CallContext,
        req: &SeatChangeRequest,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        let settings = ContosoSettings::from_context(ctx)?;
        if let Some(max_seats) = settings.max_seats
            && u64::from(req.requested_quantity) > max_seats
        {
            return Ok(SeatChangeOutcome::Rejected {
                reason: format!(
                    "Contoso contract allows at most {max_seats} seats; {} were requested",
                    req.requested_quantity
                ),
            });
        }
        if settings.reductions_need_contact && req.requested_quantity < req.previous_quantity {
            return Ok(SeatChangeOutcome::ContactVendor {
                contact: sales_contact(),
            });
        }
        // Setting an absolute total is naturally idempotent: replaying the
        // same operation lands on the same quantity.
        Ok(SeatChangeOutcome::Completed {
            quantity: req.requested_quantity,
        })
    }

    fn install_redirect(
        &self,
        ctx: &CallContext,
        req: &InstallRequest,
    ) -> Result<InstallRedirect, AdapterError> {
        let settings = ContosoSettings::from_context(ctx)?;
        let secret = settings.signing_secret.ok_or_else(|| {
            AdapterError::invalid_settings("`signing_secret` is required for install URLs")
        })?;
        let expires_at = unix_now()? + INSTALL_URL_LIFETIME_SECS;
        let admin = req
            .admin_user
            .email
            .as_deref()
            .unwrap_or(&req.admin_user.id);
        let url = signed_url::build(
            &settings.install_base_url,
            &[
                ("tenant", &ctx.tenant_id),
                ("app", &ctx.app_id),
                ("admin", admin),
                ("exp", &expires_at.to_string()),
                ("return", &req.return_url),
            ],
            secret.as_bytes(),
        )?;
        Ok(InstallRedirect { url, expires_at })
    }

    fn handle_webhook(
        &self,
        ctx: &CallContext,
        req: &WebhookRequest,
    ) -> Result<WebhookReports, AdapterError> {
        webhook::handle(ctx, req)
    }

    /// The records of the `usage_report` setting active after `since`
    /// (all of them on a first poll): deterministic demo data.
    fn report_usage(
        &self,
        ctx: &CallContext,
        req: &UsageReportRequest,
    ) -> Result<UsageReport, AdapterError> {
        let settings = ContosoSettings::from_context(ctx)?;
        let records = settings
            .usage_report
            .into_iter()
            .filter(|r| req.since.is_none_or(|since| r.last_active_at > since))
            .collect();
        Ok(UsageReport { records })
    }
}

fn sales_contact() -> VendorContact {
    VendorContact {
        name: "Contoso Sales".into(),
        email: "sales@contoso.example".into(),
        website: "https://contoso.example/sales".into(),
        phone: Some("+1 555 0100".into()),
        message: "Seat reductions take effect at renewal; contact Contoso Sales to schedule one."
            .into(),
    }
}

fn unix_now() -> Result<u64, AdapterError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| AdapterError::transient("system clock is before 1970"))
}

seatwise_adapter::export_adapter!(Contoso);
