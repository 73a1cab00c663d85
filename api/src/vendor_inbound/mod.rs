//! Inbound vendor webhooks: `POST /vendors/{adapterKey}/webhook?app=…`.
//!
//! A vendor tells Seatwise that a seat change finished, that a
//! subscription was renewed, or when users last used its app. The request
//! goes to the app's adapter plugin (method `handle_webhook`), which
//! verifies the vendor's signature with a secret from the app's adapter
//! settings and says what was reported; this module checks that answer
//! (`reports.rs`) and applies it (`apply.rs`).
//!
//! | answer | when | changes |
//! |--------|------|---------|
//! | 404 | unknown `app` (`target.rs`), adapter not loaded or without the capability, app not bound to that adapter | nothing |
//! | 413 | body over [`MAX_BODY_BYTES`] | nothing |
//! | 429 | the adapter already handles [`CONCURRENCY_PER_ADAPTER`] webhooks | nothing |
//! | 400 | body not UTF-8, or the plugin says `malformed` | nothing |
//! | 401 | the plugin says `unauthorized` (signature) | nothing |
//! | 503 | the plugin timed out, is quarantined or said `transient`; or a worker's poll has held the same seat change for 10 s | nothing (the vendor retries) |
//! | 502 | the plugin failed otherwise (panic, malformed output, other error kinds) | nothing |
//! | 200 | applied | what the reports say |
//!
//! All failures of the first row answer the same body, so a request learns
//! nothing about apps it cannot name. Re-sending a request is harmless: a
//! finished seat change no longer matches, and a renewal to the same date
//! writes nothing.

mod apply;
pub mod reports;
pub mod target;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{SecondsFormat, Utc};
use seatwise_adapter_host::{
    AdapterHandle, CallContext, CallError, ErrorKind, MAX_WEBHOOK_HEADERS, PluginRegistry,
    WebhookRequest,
};
use seatwise_core::CoreError;
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::server::AppState;

pub use apply::{Applied, apply_usage_report};
pub use target::WebhookTarget;

/// Largest webhook body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Webhooks one adapter handles at once; more are answered 429, so one
/// noisy vendor cannot take the threads and connections others need.
pub const CONCURRENCY_PER_ADAPTER: usize = 8;
/// Longest header value forwarded to the plugin.
const MAX_HEADER_VALUE: usize = 2 * 1024;

/// The inbound side of the vendor adapters: which ones take webhooks, and
/// how many each may handle at once. Built once per server.
pub struct VendorInbound {
    plugins: Arc<PluginRegistry>,
    /// One semaphore per adapter that announced `vendor_webhooks`.
    slots: HashMap<String, Arc<Semaphore>>,
}

impl VendorInbound {
    /// Limits for every adapter in `plugins` that takes vendor webhooks.
    pub fn new(plugins: Arc<PluginRegistry>) -> Self {
        let slots = plugins
            .adapters()
            .filter(|adapter| adapter.info().capabilities.vendor_webhooks)
            .map(|adapter| {
                (
                    adapter.key().to_owned(),
                    Arc::new(Semaphore::new(CONCURRENCY_PER_ADAPTER)),
                )
            })
            .collect();
        Self { plugins, slots }
    }

    /// The adapter `key` if it is loaded and takes vendor webhooks.
    fn adapter(&self, key: &str) -> Option<(AdapterHandle, &Arc<Semaphore>)> {
        let slots = self.slots.get(key)?;
        Some((self.plugins.get(key)?.clone(), slots))
    }

    /// Where the vendor of an app managed by adapter `key` sends webhooks
    /// (a path on this server), or `None` when that adapter does not take
    /// them (or is not loaded).
    pub fn webhook_path(&self, key: &str, target: WebhookTarget) -> Option<String> {
        self.slots.contains_key(key).then(|| target.path(key))
    }
}

/// `/vendors/{adapterKey}/webhook`.
pub fn router() -> Router<AppState> {
    Router::new().route("/vendors/{adapter_key}/webhook", post(receive))
}

#[derive(Deserialize)]
struct WebhookQuery {
    app: Option<String>,
}

/// An answer to the vendor: a status and a short JSON body.
fn answer(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "message": message })),
    )
        .into_response()
}

fn not_found() -> Response {
    answer(StatusCode::NOT_FOUND, "no such webhook")
}

async fn receive(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<WebhookQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(target) = query.app.as_deref().and_then(WebhookTarget::decode) else {
        return not_found();
    };
    let Some((adapter, slots)) = state.vendor_inbound.adapter(&key) else {
        return not_found();
    };
    let app = match state.store.app(target.tenant, target.app).await {
        Ok(app) if app.adapter_key.as_deref() == Some(key.as_str()) => app,
        Ok(_) | Err(CoreError::NotFound { .. }) => return not_found(),
        Err(error) => {
            tracing::warn!(adapter = %key, %error, "vendor webhook: cannot read the app");
            return answer(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
    };
    // Held until the request is answered, reports applied included.
    let Ok(_slot) = slots.clone().try_acquire_owned() else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            axum::Json(serde_json::json!({ "message": "too many webhooks at once" })),
        )
            .into_response();
    };
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return answer(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large"),
    };
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return answer(StatusCode::BAD_REQUEST, "the body must be UTF-8");
    };
    let request = WebhookRequest {
        headers: forwarded_headers(&headers),
        body,
        received_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    };
    let context = CallContext {
        tenant_id: target.tenant.0.to_string(),
        app_id: app.id.0.to_string(),
        settings: app.adapter_settings.clone(),
    };
    let reports = match adapter.handle_webhook(&context, &request).await {
        Ok(reports) => reports,
        Err(error) => return refused(&key, &error),
    };
    let reports = reports::checked(&key, reports.reports);
    let applied = apply::apply(&state.store, &state.vendor_effects, &key, target, reports).await;
    match applied {
        Ok(applied) => applied.into_response(),
        Err(apply::ApplyError::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            axum::Json(
                serde_json::json!({ "message": "the seat change is being updated; try again" }),
            ),
        )
            .into_response(),
        Err(apply::ApplyError::Store(error)) => {
            tracing::warn!(adapter = %key, %error, "vendor webhook: cannot apply the reports");
            answer(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
    }
}

/// The headers a plugin may need for a signature: lowercased names, at
/// most [`MAX_WEBHOOK_HEADERS`], values up to 2 KiB and text; never the
/// caller's credentials or cookies.
fn forwarded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "authorization" | "proxy-authorization" | "cookie"
            )
        })
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            (value.len() <= MAX_HEADER_VALUE).then(|| (name.as_str().to_owned(), value.to_owned()))
        })
        .take(MAX_WEBHOOK_HEADERS)
        .collect()
}

/// The answer to a webhook the plugin did not accept.
fn refused(key: &str, error: &CallError) -> Response {
    match error {
        CallError::Adapter(error) if error.kind == ErrorKind::Unauthorized => {
            answer(StatusCode::UNAUTHORIZED, "the signature does not verify")
        }
        CallError::Adapter(error) if error.kind == ErrorKind::Malformed => {
            answer(StatusCode::BAD_REQUEST, "the request is malformed")
        }
        error if error.is_retryable() => answer(StatusCode::SERVICE_UNAVAILABLE, "try again later"),
        _ => {
            tracing::warn!(adapter = key, "vendor webhook refused: the adapter failed");
            answer(StatusCode::BAD_GATEWAY, "the adapter failed")
        }
    }
}
