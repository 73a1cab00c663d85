//! Test plugin: `change_seats` and `assignments_changed` never return, to
//! prove the host's timeout and quarantine, the worker's per-adapter limits
//! and the bounded notice queues. `poll_seat_change` answers at once so
//! tests can show the plugin still serves other calls until it is
//! quarantined. Key `bad-hang`.

#![warn(missing_docs)]

use std::time::Duration;

use seatwise_adapter::{
    AdapterError, AdapterInfo, AssignmentNotice, CallContext, Capabilities, SeatChangeMode,
    SeatChangeOutcome, SeatChangeRequest, VendorAdapter,
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
                vendor_webhooks: false,
                usage_reports: false,
            },
        }
    }

    fn change_seats(
        &self,
        _ctx: &CallContext,
        _req: &SeatChangeRequest,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
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
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

seatwise_adapter::export_adapter!(BadHang);
