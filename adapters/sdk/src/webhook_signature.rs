//! Verifying a vendor's webhook signature: the lowercase or uppercase hex
//! HMAC-SHA256 of the exact body bytes, keyed with a secret from the app's
//! settings, carried in one header (optionally behind a prefix such as
//! `sha256=`). Many vendors sign this way; one constant-time check here
//! saves every plugin from hand-rolling it (and from comparing with `==`,
//! which leaks how much of a forged signature was right).
//!
//! Behind the `webhook-signature` feature, so plugins that do not need it
//! do not build `hmac`, `sha2` and `hex`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use serde_json::Value;

use crate::{AdapterError, CallContext, WebhookRequest};

impl WebhookRequest {
    /// Checks that header `header` holds `prefix` followed by the hex
    /// HMAC-SHA256 of [`body`](Self::body) keyed with `secret`, comparing
    /// in constant time. Surrounding white space is ignored.
    ///
    /// On failure the error is [`AdapterError::unauthorized`] (the host
    /// answers the vendor 401) and says which check failed — a missing
    /// header, not hex, or not matching — never the expected value.
    ///
    /// ```
    /// # use seatwise_adapter::WebhookRequest;
    /// let req = WebhookRequest {
    ///     headers: vec![("x-acme-signature".into(),
    ///         "sha256=00ff".into())],
    ///     body: "{}".into(),
    ///     received_at: "2026-12-20T10:00:00Z".into(),
    /// };
    /// // In `handle_webhook`, with the secret from the app's settings;
    /// // `?` hands a refusal to the host, which answers the vendor 401.
    /// // (This signature is not the body's: refused.)
    /// assert!(req.verify_hmac_sha256("x-acme-signature", "sha256=", "a secret").is_err());
    /// ```
    pub fn verify_hmac_sha256(
        &self,
        header: &str,
        prefix: &str,
        secret: &str,
    ) -> Result<(), AdapterError> {
        let signature = self
            .header(header)
            .and_then(|value| value.trim().strip_prefix(prefix))
            .ok_or_else(|| AdapterError::unauthorized(format!("missing {header}")))?;
        let signature = hex::decode(signature.trim())
            .map_err(|_| AdapterError::unauthorized(format!("{header} is not hex")))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|_| AdapterError::unauthorized("unusable webhook secret"))?;
        mac.update(self.body.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&signature)
            .map_err(|_| AdapterError::unauthorized("the signature does not verify"))
    }

    /// [`verify_hmac_sha256`](Self::verify_hmac_sha256) keyed with the
    /// app's string setting `setting` (such as `webhook_secret`). An app
    /// without it, or with an empty one, can verify nothing, so every
    /// request is refused as [`AdapterError::unauthorized`].
    pub fn verify_hmac_sha256_with_setting(
        &self,
        ctx: &CallContext,
        setting: &str,
        header: &str,
        prefix: &str,
    ) -> Result<(), AdapterError> {
        match ctx.settings.get(setting) {
            Some(Value::String(secret)) if !secret.is_empty() => {
                self.verify_hmac_sha256(header, prefix, secret)
            }
            _ => Err(AdapterError::unauthorized(format!(
                "the app has no `{setting}` setting"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn signed(body: &str, secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn request(header: Option<String>, body: &str) -> WebhookRequest {
        WebhookRequest {
            headers: header
                .map(|value| ("x-acme-signature".to_owned(), value))
                .into_iter()
                .collect(),
            body: body.to_owned(),
            received_at: "2026-12-20T10:00:00Z".to_owned(),
        }
    }

    fn refusal(req: &WebhookRequest, prefix: &str) -> (ErrorKind, String) {
        let error = req
            .verify_hmac_sha256("x-acme-signature", prefix, "s3cret")
            .expect_err("refused");
        (error.kind, error.message)
    }

    #[test]
    fn accepts_the_body_signed_with_the_secret_with_or_without_a_prefix() {
        let body = r#"{"events": []}"#;
        let hex = signed(body, "s3cret");
        let with_prefix = request(Some(format!(" sha256={hex} ")), body);
        assert_eq!(
            with_prefix.verify_hmac_sha256("x-acme-signature", "sha256=", "s3cret"),
            Ok(())
        );
        let bare_upper = request(Some(hex.to_uppercase()), body);
        assert_eq!(
            bare_upper.verify_hmac_sha256("X-Acme-Signature", "", "s3cret"),
            Ok(())
        );
    }

    #[test]
    fn the_secret_comes_from_the_app_setting_and_without_one_all_is_refused() {
        let body = r#"{"events": []}"#;
        let req = request(Some(signed(body, "s3cret")), body);
        let ctx = |settings| CallContext {
            tenant_id: "t".into(),
            app_id: "a".into(),
            settings,
        };
        let verify = |settings| {
            req.verify_hmac_sha256_with_setting(
                &ctx(settings),
                "webhook_secret",
                "x-acme-signature",
                "",
            )
            .map_err(|e| (e.kind, e.message))
        };
        assert_eq!(
            verify(serde_json::json!({ "webhook_secret": "s3cret" })),
            Ok(())
        );
        let refused = Err((
            ErrorKind::Unauthorized,
            "the app has no `webhook_secret` setting".to_owned(),
        ));
        assert_eq!(verify(serde_json::json!({})), refused);
        assert_eq!(verify(serde_json::json!({ "webhook_secret": "" })), refused);
        assert_eq!(verify(serde_json::json!({ "webhook_secret": 7 })), refused);
    }

    #[test]
    fn refuses_a_missing_unreadable_or_wrong_signature_as_unauthorized() {
        let body = r#"{"events": []}"#;
        let cases = [
            (request(None, body), "missing x-acme-signature"),
            (
                request(Some(signed(body, "s3cret")), body),
                "missing x-acme-signature",
            ),
            (
                request(Some("sha256=zz".to_owned()), body),
                "x-acme-signature is not hex",
            ),
            (
                request(Some(format!("sha256={}", signed(body, "other"))), body),
                "the signature does not verify",
            ),
            (
                request(Some(format!("sha256={}", signed(body, "s3cret"))), "{}"),
                "the signature does not verify",
            ),
        ];
        for (req, message) in cases {
            assert_eq!(
                refusal(&req, "sha256="),
                (ErrorKind::Unauthorized, message.to_owned())
            );
        }
    }
}
