//! Test plugin: panics inside `change_seats` and `install_redirect`, to prove
//! the SDK's panic guard turns a panic into a failed call. Key `bad-panic`.

#![warn(missing_docs)]

use seatwise_adapter::{
    AdapterError, AdapterInfo, CallContext, Capabilities, InstallRedirect, InstallRequest,
    SeatChangeMode, SeatChangeOutcome, SeatChangeRequest, VendorAdapter,
};

struct BadPanic;

impl VendorAdapter for BadPanic {
    fn info(&self) -> AdapterInfo {
        AdapterInfo {
            key: "bad-panic".into(),
            display_name: "Bad plugin: panics".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                seat_changes: SeatChangeMode::Immediate,
                install_redirect: true,
                assignment_notices: false,
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
        // A `&'static str` payload.
        panic!("bad-panic exploded in change_seats")
    }

    fn install_redirect(
        &self,
        ctx: &CallContext,
        _req: &InstallRequest,
    ) -> Result<InstallRedirect, AdapterError> {
        // A formatted `String` payload.
        panic!(
            "bad-panic exploded in install_redirect for tenant {}",
            ctx.tenant_id
        )
    }
}

seatwise_adapter::export_adapter!(BadPanic);
