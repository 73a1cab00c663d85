//! Applying a vendor's checked reports, each through the core's own
//! operations: a finished seat change through the seat-change transitions
//! (the ones the worker records a poll's answer with), a renewal through
//! the subscription terms, usage through [`apply_usage_report`].

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use seatwise_core::model::Actor;
use seatwise_core::seat_changes::{SeatChangeOperation, VendorRefClaim};
use seatwise_core::usage::{ActivitySource, UsageRecord, UsageRecorded, UsageUser};
use seatwise_core::{CoreError, Store};

use super::reports::{Finished, InboundReport, UsageReport};
use super::target::WebhookTarget;
use crate::vendor_effects::VendorEffects;

/// How long a webhook holds the seat change it finishes: the transition
/// follows at once, so this only bounds a process dying in between (the
/// worker then takes the operation over and polls).
const LEASE: Duration = Duration::from_secs(30);

/// How long a webhook waits for a worker that is polling the same seat
/// change. A poll holds the operation for one adapter call and a commit,
/// so this is long enough for a poll under load; a vendor is answered 503
/// (and retries) only when a poll is stuck.
const BUSY_WAIT: Duration = Duration::from_secs(10);
/// The first pause before asking again; it doubles up to [`BUSY_PAUSE_MAX`].
const BUSY_PAUSE_FIRST: Duration = Duration::from_millis(20);
const BUSY_PAUSE_MAX: Duration = Duration::from_millis(500);

/// What came of a webhook's reports.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Reports that changed something (or confirmed what is stored).
    pub applied: usize,
    /// Reports that matched nothing of the app (logged).
    pub ignored: usize,
    /// Usage records that named no user of the tenant, or a time too far
    /// ahead (logged; the other records of the report are kept).
    pub usage_records_skipped: usize,
}

impl IntoResponse for Applied {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "applied": self.applied,
            "ignored": self.ignored,
            "usageRecordsSkipped": self.usage_records_skipped,
        });
        (StatusCode::OK, axum::Json(body)).into_response()
    }
}

/// Why the reports could not all be applied; nothing after the failing
/// report was, and re-sending the request is safe.
#[derive(Debug)]
pub enum ApplyError {
    /// A worker holds the seat change right now.
    Busy,
    /// The database failed.
    Store(CoreError),
}

impl From<CoreError> for ApplyError {
    fn from(error: CoreError) -> Self {
        ApplyError::Store(error)
    }
}

/// Apply `reports` for the app `target`, reported through adapter `key`.
pub async fn apply(
    store: &Store,
    vendor_effects: &VendorEffects,
    key: &str,
    target: WebhookTarget,
    reports: Vec<InboundReport>,
) -> Result<Applied, ApplyError> {
    let vendor = Actor::named(format!("vendor:{key}"));
    let mut applied = Applied::default();
    for report in reports {
        match report {
            InboundReport::SeatChangeFinished {
                vendor_ref,
                outcome,
            } => {
                let owner = format!("vendor-webhook/{key}/{}", uuid::Uuid::new_v4().simple());
                match claim_when_free(store, target, &vendor_ref, &owner).await? {
                    VendorRefClaim::Claimed(op) => {
                        finish(store, vendor_effects, &op, &owner, outcome).await?;
                        applied.applied += 1;
                    }
                    VendorRefClaim::Busy => return Err(ApplyError::Busy),
                    VendorRefClaim::NoMatch => {
                        tracing::warn!(
                            adapter = key, tenant = %target.tenant, app = %target.app,
                            "vendor webhook: no open seat change of the app has the reported vendor_ref; ignored"
                        );
                        applied.ignored += 1;
                    }
                }
            }
            InboundReport::Renewal {
                term_end,
                auto_renew,
            } => match store
                .renew_subscription(target.tenant, &vendor, target.app, term_end, auto_renew)
                .await
            {
                Ok(Some(_)) => applied.applied += 1,
                Ok(None) => {
                    tracing::warn!(adapter = key, tenant = %target.tenant, app = %target.app,
                        "vendor webhook: a renewal for an app without subscription terms; ignored");
                    applied.ignored += 1;
                }
                Err(CoreError::InvalidInput { message, .. }) => {
                    tracing::warn!(adapter = key, tenant = %target.tenant, app = %target.app,
                        "vendor webhook: renewal ignored: term end {message}");
                    applied.ignored += 1;
                }
                Err(error) => return Err(error.into()),
            },
            InboundReport::Usage(report) => {
                let recorded = apply_usage_report(store, &vendor, target, &report).await?;
                applied.applied += 1;
                applied.usage_records_skipped += recorded.rejected.len();
                if !recorded.rejected.is_empty() {
                    tracing::warn!(adapter = key, tenant = %target.tenant, app = %target.app,
                        skipped = recorded.rejected.len(),
                        "vendor webhook: usage records of unknown users or future times skipped");
                }
            }
        }
    }
    Ok(applied)
}

/// Claim the open seat change with `vendor_ref`, waiting up to
/// [`BUSY_WAIT`] while a worker's poll holds it: the vendor's answer is as
/// good after the poll as before, and a 503 would only make it send again.
async fn claim_when_free(
    store: &Store,
    target: WebhookTarget,
    vendor_ref: &str,
    owner: &str,
) -> Result<VendorRefClaim, CoreError> {
    let deadline = tokio::time::Instant::now() + BUSY_WAIT;
    let mut pause = BUSY_PAUSE_FIRST;
    loop {
        let claim = store
            .claim_seat_change_by_vendor_ref(target.tenant, target.app, vendor_ref, owner, LEASE)
            .await?;
        let now = tokio::time::Instant::now();
        if !matches!(claim, VendorRefClaim::Busy) || now + pause > deadline {
            return Ok(claim);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(BUSY_PAUSE_MAX);
    }
}

/// Record the vendor's answer on the claimed operation, as the worker
/// records a poll's answer.
async fn finish(
    store: &Store,
    vendor_effects: &VendorEffects,
    op: &SeatChangeOperation,
    owner: &str,
    outcome: Finished,
) -> Result<(), ApplyError> {
    match outcome {
        Finished::Completed(quantity) => {
            if let Some(done) = store.complete_seat_change(op, owner, quantity).await? {
                // Users who were waiting got a seat: tell the vendors.
                vendor_effects.license_changes_committed(op.tenant_id, &done.license_changes);
                tracing::info!(operation = %op.id, tenant = %op.tenant_id, app = %op.app_id, quantity,
                    "seat change finished by the vendor's webhook");
            }
        }
        Finished::Rejected(reason) => {
            store.mark_rejected(op, owner, &reason).await?;
            tracing::info!(operation = %op.id, tenant = %op.tenant_id, app = %op.app_id,
                "seat change rejected by the vendor's webhook");
        }
    }
    Ok(())
}

/// Store a usage report the vendor's webhook carried: each user's latest
/// activity in the app, through the same core write as `importUsage` and
/// the usage worker, attributed to the webhook.
pub async fn apply_usage_report(
    store: &Store,
    vendor: &Actor,
    target: WebhookTarget,
    report: &UsageReport,
) -> Result<UsageRecorded, CoreError> {
    let records: Vec<UsageRecord> = report
        .records
        .iter()
        .map(|r| UsageRecord {
            user: UsageUser::Email(r.user_email.clone()),
            last_active_at: r.last_active_at,
        })
        .collect();
    store
        .record_usage(
            target.tenant,
            vendor,
            target.app,
            &records,
            ActivitySource::VendorWebhook,
        )
        .await
}
