//! Fabrikam's webhooks: when Fabrikam finishes provisioning seats (or
//! renews a subscription, or reports activity) it POSTs JSON events to the
//! server's `/vendors/fabrikam/webhook?app=…`, so a pending seat change
//! finishes at once instead of at the host's next poll.
//!
//! Signature: header `x-fabrikam-signature: <hex>`, the lowercase hex
//! HMAC-SHA256 of the exact body bytes, keyed with the app's
//! `webhook_secret` setting; compared in constant time. Body:
//!
//! ```json
//! {"events": [
//!   {"type": "provisioning.completed", "reference": "fabrikam:v1:…", "seats": 12},
//!   {"type": "provisioning.failed", "reference": "fabrikam:v1:…", "reason": "…"},
//!   {"type": "term.renewed", "ends_on": "2027-12-31", "auto_renew": false},
//!   {"type": "activity", "users": [{"email": "a@x.example", "last_seen": "2026-12-19T08:00:00Z"}]}
//! ]}
//! ```
//!
//! `reference` is the `vendor_ref` the adapter answered `pending` with.
//! Unknown event types are skipped.

use seatwise_adapter::json_fields::{optional_bool, required_array, required_str};
use seatwise_adapter::{
    AdapterError, CallContext, FinishedSeatChange, UsageRecord, WebhookReport, WebhookReports,
    WebhookRequest,
};
use serde_json::Value;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-fabrikam-signature";

/// Verifies `req` with the app's `webhook_secret` and reads its events.
pub fn handle(ctx: &CallContext, req: &WebhookRequest) -> Result<WebhookReports, AdapterError> {
    req.verify_hmac_sha256_with_setting(ctx, "webhook_secret", SIGNATURE_HEADER, "")?;
    let body = req.json_body()?;
    let mut reports = Vec::new();
    for event in required_array(&body, "events")? {
        let report = match event.get("type").and_then(Value::as_str) {
            Some("provisioning.completed") => {
                let seats = event
                    .get("seats")
                    .and_then(Value::as_u64)
                    .and_then(|seats| u32::try_from(seats).ok())
                    .ok_or_else(|| AdapterError::malformed("`seats` must be a seat count"))?;
                WebhookReport::SeatChangeFinished {
                    vendor_ref: required_str(event, "reference")?,
                    outcome: FinishedSeatChange::Completed { quantity: seats },
                }
            }
            Some("provisioning.failed") => WebhookReport::SeatChangeFinished {
                vendor_ref: required_str(event, "reference")?,
                outcome: FinishedSeatChange::Rejected {
                    message: required_str(event, "reason")?,
                },
            },
            Some("term.renewed") => WebhookReport::Renewal {
                term_end: required_str(event, "ends_on")?,
                auto_renew: optional_bool(event, "auto_renew")?,
            },
            Some("activity") => {
                let records = required_array(event, "users")?
                    .iter()
                    .map(|user| {
                        Ok(UsageRecord {
                            user_email: required_str(user, "email")?,
                            last_active_at: required_str(user, "last_seen")?,
                        })
                    })
                    .collect::<Result<_, AdapterError>>()?;
                WebhookReport::Usage { records }
            }
            Some(_) => continue,
            None => return Err(AdapterError::malformed("an event has no `type`")),
        };
        reports.push(report);
    }
    Ok(WebhookReports { reports })
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, KeyInit, Mac};
    use serde_json::json;
    use sha2::Sha256;

    use super::*;

    fn signed(body: &str, secret: &[u8]) -> WebhookRequest {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(body.as_bytes());
        WebhookRequest {
            headers: vec![(
                SIGNATURE_HEADER.into(),
                hex::encode(mac.finalize().into_bytes()),
            )],
            body: body.into(),
            received_at: "2026-12-20T10:00:00Z".into(),
        }
    }

    fn ctx(settings: Value) -> CallContext {
        CallContext {
            tenant_id: "t".into(),
            app_id: "a".into(),
            settings,
        }
    }

    #[test]
    fn a_completed_provisioning_finishes_its_reference() {
        let body = r#"{"events":[{"type":"provisioning.completed","reference":"fabrikam:v1:5:1:op","seats":5}]}"#;
        let reports = handle(&ctx(json!({"webhook_secret": "k"})), &signed(body, b"k")).unwrap();
        assert_eq!(
            reports.reports,
            vec![WebhookReport::SeatChangeFinished {
                vendor_ref: "fabrikam:v1:5:1:op".into(),
                outcome: FinishedSeatChange::Completed { quantity: 5 },
            }]
        );
    }

    #[test]
    fn without_a_secret_or_with_another_key_it_is_unauthorized() {
        let body = r#"{"events":[]}"#;
        for settings in [json!({}), json!({"webhook_secret": "other"})] {
            let error = handle(&ctx(settings), &signed(body, b"k")).unwrap_err();
            assert_eq!(error.kind, seatwise_adapter::ErrorKind::Unauthorized);
        }
    }
}
