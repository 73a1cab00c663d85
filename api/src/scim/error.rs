//! SCIM errors (RFC 7644 §3.12): `status`, `scimType` and `detail` in an
//! `application/scim+json` body, with the status as the HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatwise_core::CoreError;

use super::filter::FilterError;
use super::patch::PatchError;

/// The media type of every SCIM body.
pub const SCIM_JSON: &str = "application/scim+json";

/// An error answer.
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    /// An error with `status`, an optional `scimType` and a detail.
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    /// 401: no token, or one that is unknown or revoked.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            None,
            "a valid SCIM bearer token is required (Authorization: Bearer swscim_…)",
        )
    }

    /// The `scimType`, if any.
    pub fn scim_type(&self) -> Option<&'static str> {
        self.scim_type
    }

    /// 404 for a resource of this tenant that does not exist.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            None,
            format!("{what} {id} not found"),
        )
    }
}

impl From<FilterError> for ScimError {
    fn from(e: FilterError) -> Self {
        Self::bad_request("invalidFilter", e.to_string())
    }
}

impl From<PatchError> for ScimError {
    fn from(e: PatchError) -> Self {
        Self::bad_request(e.scim_type, e.detail)
    }
}

impl From<CoreError> for ScimError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { entity, id } => Self::not_found(entity.as_str(), &id),
            CoreError::AlreadyExists { message, .. } => {
                Self::new(StatusCode::CONFLICT, Some("uniqueness"), message)
            }
            CoreError::InvalidInput { message, .. } => Self::bad_request("invalidValue", message),
            CoreError::NotEnoughSeats { needed, available } => Self::new(
                StatusCode::CONFLICT,
                None,
                format!("not enough seats: {needed} needed, {available} available"),
            ),
            CoreError::VersionMismatch { current, .. } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                format!("the resource changed; its version is now W/\"{current}\""),
            ),
            CoreError::Unavailable(_) | CoreError::TimedOut(_) => {
                tracing::warn!(error = %e, "SCIM request failed: database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    "the database is unavailable; retry later",
                )
            }
            other => {
                tracing::error!(error = %other, "SCIM request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
            }
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = scim_type.into();
        }
        let mut response = (self.status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
