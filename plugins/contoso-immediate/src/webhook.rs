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

use seatwise_adapter::{
    AdapterError, CallContext, UsageRecord, WebhookReport, WebhookReports, WebhookRequest,
};
use serde_json::Value;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-contoso-signature";

/// Verifies `req` with the app's `webhook_secret` and reads its events.
pub fn handle(ctx: &CallContext, req: &WebhookRequest) -> Result<WebhookReports, AdapterError> {
    let secret = match ctx.settings.get("webhook_secret") {
        Some(Value::String(secret)) if !secret.is_empty() => secret,
        _ => {
            // Without a secret nothing can be verified: refuse every request.
            return Err(AdapterError::unauthorized(
                "the app has no `webhook_secret` setting",
            ));
        }
    };
    req.verify_hmac_sha256(SIGNATURE_HEADER, "sha256=", secret)?;

    let body: Value = serde_json::from_str(&req.body)
        .map_err(|_| AdapterError::malformed("the body is not JSON"))?;
    let events = body
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| AdapterError::malformed("the body has no `events` list"))?;
    let mut reports = Vec::new();
    for event in events {
        match event.get("type").and_then(Value::as_str) {
            Some("subscription.renewed") => {
                let term_end = text(event, "term_end")?;
                let auto_renew = match event.get("auto_renew") {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(value.as_bool().ok_or_else(|| {
                        AdapterError::malformed("`auto_renew` must be true or false")
                    })?),
                };
                reports.push(WebhookReport::Renewal {
                    term_end,
                    auto_renew,
                });
            }
            Some("usage") => {
                let users = event
                    .get("users")
                    .and_then(Value::as_array)
                    .ok_or_else(|| AdapterError::malformed("a usage event has no `users`"))?;
                let records = users
                    .iter()
                    .map(|user| {
                        Ok(UsageRecord {
                            user_email: text(user, "email")?,
                            last_active_at: text(user, "last_active_at")?,
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

fn text(object: &Value, key: &str) -> Result<String, AdapterError> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| AdapterError::malformed(format!("`{key}` must be a string")))
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
