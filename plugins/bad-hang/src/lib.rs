//! Test plugin: `change_seats`, `assignments_changed` and `handle_webhook`
//! never return, to prove the host's timeout and quarantine, the worker's
//! per-adapter limits, the bounded notice queues and the inbound webhooks'
//! per-adapter limit. `report_usage` never returns for an app whose
//! settings say `"hang_usage_report": true` (the usage worker calls it on
//! its own for every app, so other tests' apps answer an empty report at
//! once). `poll_seat_change` answers at once so tests can show the plugin
//! still serves other calls until it is quarantined. Key `bad-hang`.

#![warn(missing_docs)]

use std::time::Duration;

use seatwise_adapter::{
    AdapterError, AdapterInfo, AssignmentNotice, CallContext, Capabilities, SeatChangeMode,
    SeatChangeOutcome, SeatChangeRequest, UsageReport, UsageReportRequest, VendorAdapter,
    WebhookReports, WebhookRequest,
};

struct BadHang;

impl VendorAdapter for BadHang {
    fn info(&self) -> AdapterInfo {
        AdapterInfo {
            key: "bad-hang".into(),
            display_name: "Bad plugin: hangs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                seat_changes: SeatChangeMode::Asynchronous,
                install_redirect: false,
                assignment_notices: true,
                vendor_webhooks: true,
                usage_reports: true,
            },
        }
    }

    fn change_seats(
        &self,
        _ctx: &CallContext,
        _req: &SeatChangeRequest,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        hang()
    }

    fn poll_seat_change(
        &self,
        _ctx: &CallContext,
        _vendor_ref: &str,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        Ok(SeatChangeOutcome::Completed { quantity: 1 })
    }

    fn assignments_changed(
        &self,
        _ctx: &CallContext,
        _notice: &AssignmentNotice,
    ) -> Result<(), AdapterError> {
        hang()
    }

    fn handle_webhook(
        &self,
        _ctx: &CallContext,
        _req: &WebhookRequest,
    ) -> Result<WebhookReports, AdapterError> {
        hang()
    }

    fn report_usage(
        &self,
        ctx: &CallContext,
        _req: &UsageReportRequest,
    ) -> Result<UsageReport, AdapterError> {
        let hangs = ctx
            .settings
            .get("hang_usage_report")
            .and_then(|v| v.as_bool());
        if hangs == Some(true) {
            hang()
        }
        Ok(UsageReport::default())
    }
}

/// Never returns: the call holds its thread until the process ends.
fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

seatwise_adapter::export_adapter!(BadHang);
