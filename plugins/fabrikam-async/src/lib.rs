//! Fabrikam: an example vendor adapter whose seat changes complete
//! asynchronously. Adapter key `fabrikam`.
//!
//! A change answers `pending` with a vendor reference; polling answers
//! `pending` until the change is due, then `completed`. The reference encodes
//! everything needed to answer (see [`vendor_ref`]), so a reference issued
//! before a host restart is still answered correctly afterwards: the plugin
//! keeps no memory between calls.
//!
//! Settings (`CallContext::settings`, chosen by whoever registers the app,
//! so tenant input):
//!
//! | key | type | meaning |
//! | --- | --- | --- |
//! | `complete_after_ms` | integer | how long a change stays pending; default 1500 |
//! | `webhook_secret` | string | HMAC-SHA256 key of Fabrikam's webhooks (see `webhook.rs`), which finish a pending change at once; without it every webhook is refused |
//!
//! Assignment notices are appended, one JSON line each, to
//! `$SEATWISE_PLUGIN_DATA_DIR/fabrikam/notices.jsonl` when the operator sets
//! that directory, and are otherwise only acknowledged. The directory is the
//! operator's and the file name the plugin's: no setting names a path (an
//! earlier `notice_log` setting did, which let any tenant's billing admin
//! make the server append to a file of their choosing; it is now ignored).

#![warn(missing_docs)]

mod notice_log;
mod vendor_ref;
mod webhook;

use std::time::{SystemTime, UNIX_EPOCH};

use seatwise_adapter::{
    AdapterError, AdapterInfo, AssignmentNotice, CallContext, Capabilities, SeatChangeMode,
    SeatChangeOutcome, SeatChangeRequest, VendorAdapter, WebhookReports, WebhookRequest,
};
use serde_json::Value;

use vendor_ref::VendorRef;

const DEFAULT_COMPLETE_AFTER_MS: u64 = 1500;

/// The Fabrikam adapter. It only holds a lock for the notice log file.
struct Fabrikam {
    notice_log: notice_log::NoticeLog,
}

impl VendorAdapter for Fabrikam {
    fn info(&self) -> AdapterInfo {
        AdapterInfo {
            key: "fabrikam".into(),
            display_name: "Fabrikam (asynchronous seat changes)".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                seat_changes: SeatChangeMode::Asynchronous,
                install_redirect: false,
                assignment_notices: true,
                vendor_webhooks: true,
                usage_reports: false,
            },
        }
    }

    fn change_seats(
        &self,
        ctx: &CallContext,
        req: &SeatChangeRequest,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        let complete_after_ms = complete_after_ms(&ctx.settings)?;
        // A retry of the same operation gets a fresh reference with a later due
        // time; both settle on the same absolute quantity, so replays are harmless.
        let reference = VendorRef {
            quantity: req.requested_quantity,
            ready_at_ms: unix_now_ms()?.saturating_add(complete_after_ms),
            operation_id: req.operation_id.clone(),
        };
        Ok(SeatChangeOutcome::Pending {
            vendor_ref: reference.encode(),
            message: Some(format!(
                "Fabrikam is provisioning {} seats",
                req.requested_quantity
            )),
        })
    }

    fn poll_seat_change(
        &self,
        _ctx: &CallContext,
        vendor_ref: &str,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        let reference = VendorRef::decode(vendor_ref)?;
        let now_ms = unix_now_ms()?;
        if now_ms >= reference.ready_at_ms {
            return Ok(SeatChangeOutcome::Completed {
                quantity: reference.quantity,
            });
        }
        Ok(SeatChangeOutcome::Pending {
            vendor_ref: vendor_ref.to_owned(),
            message: Some(format!(
                "Fabrikam is provisioning {} seats; about {} ms left",
                reference.quantity,
                reference.ready_at_ms - now_ms
            )),
        })
    }

    fn assignments_changed(
        &self,
        ctx: &CallContext,
        notice: &AssignmentNotice,
    ) -> Result<(), AdapterError> {
        match notice_log::operator_notice_file() {
            Some(path) => self.notice_log.append(&path, ctx, notice),
            None => Ok(()),
        }
    }

    fn handle_webhook(
        &self,
        ctx: &CallContext,
        req: &WebhookRequest,
    ) -> Result<WebhookReports, AdapterError> {
        webhook::handle(ctx, req)
    }
}

fn complete_after_ms(settings: &Value) -> Result<u64, AdapterError> {
    match settings.get("complete_after_ms") {
        None | Some(Value::Null) => Ok(DEFAULT_COMPLETE_AFTER_MS),
        Some(value) => value.as_u64().ok_or_else(|| {
            AdapterError::invalid_settings("`complete_after_ms` must be a non-negative integer")
        }),
    }
}

fn unix_now_ms() -> Result<u64, AdapterError> {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| AdapterError::transient("system clock is before 1970"))?;
    u64::try_from(elapsed.as_millis())
        .map_err(|_| AdapterError::transient("system clock is out of range"))
}

seatwise_adapter::export_adapter!(Fabrikam {
    notice_log: notice_log::NoticeLog::default(),
});
