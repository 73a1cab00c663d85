//! Refusals made before a SCIM handler runs, answered as SCIM errors.
//!
//! axum answers an unknown path with a bare `404`, a method a route does
//! not serve with a bare `405`, and an extractor's refusal (a body it
//! could not read) in plain text; tower-http's body limit answers `413`
//! before routing. An identity provider reads every answer under
//! `/scim/v2` as RFC 7644 §3.12 describes (`application/scim+json`,
//! `status`, `scimType`, `detail`), and Entra ID records the `detail` of a
//! failed request for the admin, so [`scim_errors`] rewrites those answers
//! there: same status, same headers (`Allow` stays), a SCIM body. Answers
//! that already are `application/scim+json` pass untouched, and nothing
//! outside `/scim/v2` is changed.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{SCIM_JSON, ScimError};

/// The prefix of every SCIM route.
const SCIM_PREFIX: &str = "/scim/v2";

/// A refusal's own text is kept as the detail up to this many bytes
/// (axum's are one line).
const DETAIL_LIMIT: usize = 4 * 1024;

/// Middleware: every error answer under `/scim/v2` is a SCIM error. Layer
/// it outside the body limit, so its `413` is rewritten too.
pub async fn scim_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if !is_scim(&path) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_scim_body = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(SCIM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_scim_body {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, DETAIL_LIMIT)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .filter(|t| !t.is_empty());
    let error = refusal(status, &method, &path, text);
    let rewritten = error.into_response();
    // The refusal's own headers with the SCIM body's type (axum adds
    // `Allow` to a 405, and the length, outside every layer, after this).
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    let (_, body) = rewritten.into_parts();
    Response::from_parts(parts, body)
}

fn is_scim(path: &str) -> bool {
    path.strip_prefix(SCIM_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The SCIM error for a refusal with `status`; `text` is what axum said.
fn refusal(status: StatusCode, method: &Method, path: &str, text: Option<String>) -> ScimError {
    let detail = match status {
        StatusCode::NOT_FOUND => format!("{path} is no SCIM endpoint of this server"),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{method} is not allowed on {path}; the Allow header lists what is")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than this server accepts".to_owned()
        }
        _ => text.unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("the request was refused")
                .to_owned()
        }),
    };
    // A 400 before the handler is a body or path axum could not read:
    // the request's structure, RFC 7644's invalidSyntax.
    let scim_type = (status == StatusCode::BAD_REQUEST).then_some("invalidSyntax");
    ScimError::new(status, scim_type, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scim_paths_are_rewritten() {
        assert!(is_scim("/scim/v2"));
        assert!(is_scim("/scim/v2/Users"));
        assert!(is_scim("/scim/v2/Nope/deeper"));
        assert!(!is_scim("/scim/v20"));
        assert!(!is_scim("/graphql"));
        assert!(!is_scim("/scim"));
    }

    #[test]
    fn a_refusal_keeps_its_status_and_types_only_a_400() {
        let error = refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            &Method::DELETE,
            "/scim/v2/Users",
            None,
        );
        assert_eq!(error.scim_type(), None);
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let error = refusal(
            StatusCode::BAD_REQUEST,
            &Method::PUT,
            "/scim/v2/Users/x",
            Some("Failed to buffer the request body".to_owned()),
        );
        assert_eq!(error.scim_type(), Some("invalidSyntax"));
    }
}
