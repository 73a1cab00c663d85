//! Contoso's webhooks: Contoso's billing system POSTs JSON events to the
//! server's `/vendors/contoso/webhook?app=…`, signed with the app's
//! `webhook_secret` setting.
//!
//! Signature: header `x-contoso-signature: sha256=<hex>`, the lowercase hex
//! HMAC-SHA256 of the exact body bytes, keyed with `webhook_secret`;
//! compared in constant time. Body:
//!
//! ```json
//! {"events": [
//!   {"type": "subscription.renewed", "term_end": "2027-12-31", "auto_renew": true},
//!   {"type": "usage", "users": [{"email": "a@x.example", "last_active_at": "2026-12-19T08:00:00Z"}]}
//! ]}
//! ```
//!
//! Contoso changes seats at once, so it never reports a finished seat
//! change. Unknown event types are skipped (Contoso may add some).

use seatwise_adapter::json_fields::{optional_bool, required_array, required_str};
use seatwise_adapter::{
    AdapterError, CallContext, UsageRecord, WebhookReport, WebhookReports, WebhookRequest,
};
use serde_json::Value;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-contoso-signature";

/// Verifies `req` with the app's `webhook_secret` and reads its events.
pub fn handle(ctx: &CallContext, req: &WebhookRequest) -> Result<WebhookReports, AdapterError> {
    req.verify_hmac_sha256_with_setting(ctx, "webhook_secret", SIGNATURE_HEADER, "sha256=")?;
    let body = req.json_body()?;
    let mut reports = Vec::new();
    for event in required_array(&body, "events")? {
        match event.get("type").and_then(Value::as_str) {
            Some("subscription.renewed") => reports.push(WebhookReport::Renewal {
                term_end: required_str(event, "term_end")?,
                auto_renew: optional_bool(event, "auto_renew")?,
            }),
            Some("usage") => {
                let records = required_array(event, "users")?
                    .iter()
                    .map(|user| {
                        Ok(UsageRecord {
                            user_email: required_str(user, "email")?,
                            last_active_at: required_str(user, "last_active_at")?,
                        })
                    })
                    .collect::<Result<_, AdapterError>>()?;
                reports.push(WebhookReport::Usage { records });
            }
            Some(_) => {}
            None => return Err(AdapterError::malformed("an event has no `type`")),
        }
    }
    Ok(WebhookReports { reports })
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, KeyInit, Mac};
    use serde_json::json;
    use sha2::Sha256;

    use super::*;

    fn request(body: &str, signature: &str) -> WebhookRequest {
        WebhookRequest {
            headers: vec![(SIGNATURE_HEADER.into(), signature.into())],
            body: body.into(),
            received_at: "2026-12-20T10:00:00Z".into(),
        }
    }

    fn sign(body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(body.as_bytes());
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn ctx() -> CallContext {
        CallContext {
            tenant_id: "t".into(),
            app_id: "a".into(),
            settings: json!({"webhook_secret": "s3cret"}),
        }
    }

    #[test]
    fn a_signed_renewal_is_read() {
        let body = r#"{"events":[{"type":"subscription.renewed","term_end":"2027-12-31"}]}"#;
        let reports = handle(&ctx(), &request(body, &sign(body))).unwrap();
        assert_eq!(
            reports.reports,
            vec![WebhookReport::Renewal {
                term_end: "2027-12-31".into(),
                auto_renew: None
            }]
        );
    }

    #[test]
    fn a_bad_signature_is_unauthorized_and_a_bad_body_malformed() {
        let body = r#"{"events":[]}"#;
        let error = handle(&ctx(), &request(body, &sign("other"))).unwrap_err();
        assert_eq!(error.kind, seatwise_adapter::ErrorKind::Unauthorized);
        let error = handle(&ctx(), &request("nope", &sign("nope"))).unwrap_err();
        assert_eq!(error.kind, seatwise_adapter::ErrorKind::Malformed);
    }
}
