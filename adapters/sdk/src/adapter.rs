//! The trait a vendor implements.

use crate::{
    AdapterError, AdapterInfo, AssignmentNotice, CallContext, InstallRedirect, InstallRequest,
    SeatChangeOutcome, SeatChangeRequest, UsageReport, UsageReportRequest, WebhookReports,
    WebhookRequest,
};

/// A vendor's adapter: carries out seat changes and builds install URLs.
///
/// One value lives for the whole life of the host process and is called from
/// several threads at once, hence `Send + Sync + 'static`. Keep no state that
/// must survive a restart in memory: the host may be restarted at any time,
/// and pending seat changes must still be answerable afterwards.
///
/// The host only calls the optional methods that [`AdapterInfo::capabilities`]
/// announces; their default bodies answer a permanent "not supported" error
/// in case a host calls them anyway. A panic in any method is caught at the
/// library boundary and reported to the host as a failed call.
pub trait VendorAdapter: Send + Sync + 'static {
    /// Describes the adapter: key, names, version and capabilities. Called once
    /// when the host loads the plugin; must be cheap and must not fail.
    fn info(&self) -> AdapterInfo;

    /// Sets the app's purchased seats to `req.requested_quantity`.
    ///
    /// Must be idempotent per `req.operation_id`: the host retries transient
    /// errors and timeouts with the same id.
    fn change_seats(
        &self,
        ctx: &CallContext,
        req: &SeatChangeRequest,
    ) -> Result<SeatChangeOutcome, AdapterError>;

    /// Reports on a change previously answered with
    /// [`SeatChangeOutcome::Pending`]. May be called by a host process other
    /// than the one that started the change.
    fn poll_seat_change(
        &self,
        ctx: &CallContext,
        vendor_ref: &str,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        let _ = (ctx, vendor_ref);
        Err(AdapterError::permanent(
            "this adapter does not support polling seat changes",
        ))
    }

    /// Builds the "Install this product" URL (must be `https://`) that the
    /// administrator's browser is redirected to.
    fn install_redirect(
        &self,
        ctx: &CallContext,
        req: &InstallRequest,
    ) -> Result<InstallRedirect, AdapterError> {
        let _ = (ctx, req);
        Err(AdapterError::permanent(
            "this adapter does not support install redirects",
        ))
    }

    /// Told which users gained or lost a seat. Does nothing by default.
    fn assignments_changed(
        &self,
        ctx: &CallContext,
        notice: &AssignmentNotice,
    ) -> Result<(), AdapterError> {
        let _ = (ctx, notice);
        Ok(())
    }

    /// Verifies and reads a request the vendor sent to the server's
    /// `/vendors/{key}/webhook` endpoint (capability
    /// [`Capabilities::vendor_webhooks`](crate::Capabilities::vendor_webhooks)).
    ///
    /// Check the vendor's signature first (with a secret from `ctx.settings`,
    /// in constant time) and answer [`AdapterError::unauthorized`] when it
    /// does not verify, [`AdapterError::malformed`] when the body cannot be
    /// read; the host then answers 401 or 400 and changes nothing. Otherwise
    /// say what the vendor reported: finished seat changes, a renewal, usage.
    fn handle_webhook(
        &self,
        ctx: &CallContext,
        req: &WebhookRequest,
    ) -> Result<WebhookReports, AdapterError> {
        let _ = (ctx, req);
        Err(AdapterError::permanent(
            "this adapter does not support vendor webhooks",
        ))
    }

    /// Reports when users were last active in the app (announce it with
    /// [`Capabilities::usage_reports`](crate::Capabilities::usage_reports)).
    /// The host's worker calls it on a schedule.
    fn report_usage(
        &self,
        ctx: &CallContext,
        req: &UsageReportRequest,
    ) -> Result<UsageReport, AdapterError> {
        let _ = (ctx, req);
        Err(AdapterError::permanent(
            "this adapter does not report usage",
        ))
    }
}
