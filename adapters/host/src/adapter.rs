//! A loaded adapter and its async call API.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use seatwise_adapter::abi::Method;
use seatwise_adapter::wire::{CallInput, PollRequest};
use seatwise_adapter::{
    AdapterInfo, AssignmentNotice, CallContext, InstallRedirect, InstallRequest, SeatChangeMode,
    SeatChangeOutcome, SeatChangeRequest, UsageReport, UsageReportRequest, WebhookReport,
    WebhookReports, WebhookRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CallError;
use crate::ffi_call::decode_response;
use crate::redact::redact_url;
use crate::worker::PluginWorker;

/// A loaded adapter plugin. Cheap to clone; clones share health tracking.
#[derive(Clone, Debug)]
pub struct AdapterHandle {
    inner: Arc<LoadedAdapter>,
}

#[derive(Debug)]
struct LoadedAdapter {
    info: AdapterInfo,
    path: PathBuf,
    worker: PluginWorker,
    call_timeout: Duration,
}

/// How an adapter's calls are faring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdapterHealth {
    /// Calls that timed out and are still running inside the plugin.
    pub abandoned_calls: usize,
    /// Calls running inside the plugin now: awaited and abandoned ones.
    pub running_calls: usize,
    /// Whether new calls are refused until some abandoned calls return.
    pub quarantined: bool,
}

impl AdapterHandle {
    pub(crate) fn new(
        info: AdapterInfo,
        path: PathBuf,
        worker: PluginWorker,
        call_timeout: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(LoadedAdapter {
                info,
                path,
                worker,
                call_timeout,
            }),
        }
    }

    /// The adapter key apps use to name this adapter.
    pub fn key(&self) -> &str {
        &self.inner.info.key
    }

    /// What the plugin said about itself at load.
    pub fn info(&self) -> &AdapterInfo {
        &self.inner.info
    }

    /// The file the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Current health; see [`HostConfig::max_abandoned_calls`](crate::HostConfig::max_abandoned_calls).
    pub fn health(&self) -> AdapterHealth {
        AdapterHealth {
            abandoned_calls: self.inner.worker.abandoned_calls(),
            running_calls: self.inner.worker.running_calls(),
            quarantined: self.inner.worker.is_quarantined(),
        }
    }

    /// Asks the vendor to set the app's seats to `req.requested_quantity`.
    pub async fn change_seats(
        &self,
        ctx: &CallContext,
        req: &SeatChangeRequest,
    ) -> Result<SeatChangeOutcome, CallError> {
        let method = Method::ChangeSeats;
        let result = match self.require_seat_changes() {
            Ok(()) => self
                .invoke(method, ctx, req)
                .await
                .and_then(checked_outcome),
            Err(error) => Err(error),
        };
        self.logged(method, result)
    }

    /// Asks about a change that was answered with
    /// [`SeatChangeOutcome::Pending`]; `vendor_ref` is the one it carried.
    pub async fn poll_seat_change(
        &self,
        ctx: &CallContext,
        vendor_ref: &str,
    ) -> Result<SeatChangeOutcome, CallError> {
        let method = Method::PollSeatChange;
        let request = PollRequest {
            vendor_ref: vendor_ref.to_owned(),
        };
        let result = match self.require_seat_changes() {
            Ok(()) => self
                .invoke(method, ctx, &request)
                .await
                .and_then(checked_outcome),
            Err(error) => Err(error),
        };
        self.logged(method, result)
    }

    /// Asks the vendor for the "Install this product" URL. The answer is
    /// checked: the URL must be `https://` and not expired yet.
    pub async fn install_redirect(
        &self,
        ctx: &CallContext,
        req: &InstallRequest,
    ) -> Result<InstallRedirect, CallError> {
        let method = Method::InstallRedirect;
        let result = if self.inner.info.capabilities.install_redirect {
            self.invoke(method, ctx, req)
                .await
                .and_then(checked_redirect)
        } else {
            Err(self.unsupported("install redirects"))
        };
        self.logged(method, result)
    }

    /// Tells the vendor which users gained or lost a seat.
    pub async fn assignments_changed(
        &self,
        ctx: &CallContext,
        notice: &AssignmentNotice,
    ) -> Result<(), CallError> {
        let method = Method::AssignmentsChanged;
        let result = if self.inner.info.capabilities.assignment_notices {
            self.invoke(method, ctx, notice).await
        } else {
            Err(self.unsupported("assignment notices"))
        };
        self.logged(method, result)
    }

    /// Hands a request the vendor sent to `/vendors/{key}/webhook` to the
    /// plugin. Its answer is checked for shape and size (see
    /// [`MAX_WEBHOOK_REPORTS`], [`MAX_USAGE_RECORDS`]); what the reports
    /// mean (dates, which seat change) is for the caller to check.
    /// `unauthorized` and `malformed` come back as
    /// [`CallError::Adapter`] with those kinds.
    pub async fn handle_webhook(
        &self,
        ctx: &CallContext,
        request: &WebhookRequest,
    ) -> Result<WebhookReports, CallError> {
        let method = Method::HandleWebhook;
        let result = if self.inner.info.capabilities.vendor_webhooks {
            self.invoke(method, ctx, request)
                .await
                .and_then(checked_reports)
        } else {
            Err(self.unsupported("vendor webhooks"))
        };
        self.logged(method, result)
    }

    /// Asks the vendor when users were last active in the app. The answer
    /// is bounded: at most [`MAX_USAGE_REPORT_BYTES`] of JSON and
    /// [`MAX_USAGE_REPORT_RECORDS`] records, else it is malformed output.
    pub async fn report_usage(
        &self,
        ctx: &CallContext,
        req: &UsageReportRequest,
    ) -> Result<UsageReport, CallError> {
        let method = Method::ReportUsage;
        let result = if self.inner.info.capabilities.usage_reports {
            self.invoke_bounded(method, ctx, req, MAX_USAGE_REPORT_BYTES)
                .await
                .and_then(checked_usage_report)
        } else {
            Err(self.unsupported("usage reports"))
        };
        self.logged(method, result)
    }

    /// Encodes the input, runs the call on a worker thread, decodes the answer.
    async fn invoke<R: Serialize + Clone, T: DeserializeOwned>(
        &self,
        method: Method,
        ctx: &CallContext,
        request: &R,
    ) -> Result<T, CallError> {
        self.invoke_bounded(method, ctx, request, usize::MAX).await
    }

    /// [`invoke`](Self::invoke), refusing an answer over `max_bytes` before
    /// decoding it (the worker's own bound is the ABI's 16 MiB).
    async fn invoke_bounded<R: Serialize + Clone, T: DeserializeOwned>(
        &self,
        method: Method,
        ctx: &CallContext,
        request: &R,
        max_bytes: usize,
    ) -> Result<T, CallError> {
        let input = CallInput {
            context: ctx.clone(),
            request: request.clone(),
        };
        // Our own types always serialise; a failure here is a host bug, and
        // reported like a protocol problem rather than with a panic.
        let input = serde_json::to_vec(&input)
            .map_err(|error| CallError::BadCall(format!("cannot encode the input: {error}")))?;
        let output = self
            .inner
            .worker
            .call(method, input, self.inner.call_timeout)
            .await?;
        if output.len() > max_bytes {
            return Err(CallError::MalformedOutput(format!(
                "the answer to `{method}` is {} bytes, over the {max_bytes}-byte limit",
                output.len()
            )));
        }
        decode_response(&output)
    }

    fn require_seat_changes(&self) -> Result<(), CallError> {
        match self.inner.info.capabilities.seat_changes {
            SeatChangeMode::None => Err(self.unsupported("seat changes")),
            SeatChangeMode::Immediate | SeatChangeMode::Asynchronous => Ok(()),
        }
    }

    fn unsupported(&self, capability: &'static str) -> CallError {
        CallError::Unsupported {
            key: self.key().to_owned(),
            capability,
        }
    }

    /// Logs a failed call with the adapter key and method, then passes the
    /// result through. Settings are never logged: they may hold secrets.
    fn logged<T>(&self, method: Method, result: Result<T, CallError>) -> Result<T, CallError> {
        if let Err(error) = &result {
            let health = self.health();
            tracing::warn!(
                adapter = self.key(),
                call = method.name(),
                retryable = error.is_retryable(),
                abandoned_calls = health.abandoned_calls,
                quarantined = health.quarantined,
                "adapter call failed: {error}"
            );
        }
        result
    }
}

/// Most reports one webhook answer may carry.
pub const MAX_WEBHOOK_REPORTS: usize = 100;
/// Most usage records one webhook answer may carry, all reports together.
pub const MAX_USAGE_RECORDS: usize = 10_000;

/// Plugin output is hostile: bounded counts, no empty reference.
fn checked_reports(reports: WebhookReports) -> Result<WebhookReports, CallError> {
    if reports.reports.len() > MAX_WEBHOOK_REPORTS {
        return Err(CallError::MalformedOutput(format!(
            "{} webhook reports, at most {MAX_WEBHOOK_REPORTS} are accepted",
            reports.reports.len()
        )));
    }
    let mut usage_records = 0usize;
    for report in &reports.reports {
        match report {
            WebhookReport::SeatChangeFinished { vendor_ref, .. }
                if vendor_ref.trim().is_empty() =>
            {
                return Err(CallError::MalformedOutput(
                    "a finished seat change has an empty vendor_ref".into(),
                ));
            }
            WebhookReport::Usage { records } => usage_records += records.len(),
            _ => {}
        }
    }
    if usage_records > MAX_USAGE_RECORDS {
        return Err(CallError::MalformedOutput(format!(
            "{usage_records} usage records, at most {MAX_USAGE_RECORDS} are accepted"
        )));
    }
    Ok(reports)
}

/// Most bytes of JSON a `report_usage` answer may have.
pub const MAX_USAGE_REPORT_BYTES: usize = 4 * 1024 * 1024;
/// Most records a `report_usage` answer may carry (the core's cap on one
/// usage write).
pub const MAX_USAGE_REPORT_RECORDS: usize = 10_000;

fn checked_usage_report(report: UsageReport) -> Result<UsageReport, CallError> {
    if report.records.len() > MAX_USAGE_REPORT_RECORDS {
        return Err(CallError::MalformedOutput(format!(
            "the usage report has {} records, over the limit of {MAX_USAGE_REPORT_RECORDS}",
            report.records.len()
        )));
    }
    Ok(report)
}

/// A pending outcome without a reference could never be polled.
fn checked_outcome(outcome: SeatChangeOutcome) -> Result<SeatChangeOutcome, CallError> {
    match &outcome {
        SeatChangeOutcome::Pending { vendor_ref, .. } if vendor_ref.trim().is_empty() => Err(
            CallError::MalformedOutput("a pending outcome has an empty vendor_ref".into()),
        ),
        _ => Ok(outcome),
    }
}

/// Administrators' browsers must only ever be sent to a live https URL.
/// A refused URL is named without its path and query: it may carry the
/// vendor's signed token, and the error is shown to administrators.
fn checked_redirect(redirect: InstallRedirect) -> Result<InstallRedirect, CallError> {
    let scheme_end = "https://".len();
    let is_https = redirect
        .url
        .get(..scheme_end)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    if !is_https || redirect.url.len() == scheme_end {
        return Err(CallError::MalformedOutput(format!(
            "the install URL must be an absolute https URL, got {}",
            redact_url(&redirect.url)
        )));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    if redirect.expires_at <= now {
        return Err(CallError::MalformedOutput(format!(
            "the install URL already expired (expires_at {} is not after now, {now})",
            redirect.expires_at
        )));
    }
    Ok(redirect)
}
