//! SCIM 2.0 (RFC 7643, RFC 7644): the `/scim/v2` service provider that
//! identity providers (Entra ID, Okta, …) push the directory to.
//!
//! - [`filter`]: `filter=` expressions, parsed and evaluated on a
//!   resource's JSON.
//! - [`patch`]: PATCH operations, parsed and applied to a resource's JSON.
//! - [`user_resource`]: a user as a SCIM User and back.
//! - [`users`]: the `/Users` endpoints.
//! - [`group_resource`]: a group as a SCIM Group and back, and a PATCH's
//!   operations as the core's change of a group (members added and
//!   removed by id, never the whole member list rewritten).
//! - [`groups`]: the `/Groups` endpoints.
//! - [`discovery`]: `ServiceProviderConfig`, `ResourceTypes`, `Schemas`.
//! - [`error`]: RFC 7644 error bodies.
//! - [`rejections`]: what axum and tower refuse before a handler runs
//!   (unknown path, wrong method, oversized body) as such bodies too.
//! - [`projection`]: `attributes`/`excludedAttributes` (RFC 7644 §3.9).
//!
//! Every request carries a tenant's SCIM token (`Authorization: Bearer
//! swscim_…`, see `seatwise_core::scim_tokens`); the token decides the
//! tenant, so another tenant's ids are simply not found. Bodies are
//! `application/scim+json` both ways (plain `application/json` is accepted
//! too).

pub mod discovery;
pub mod error;
pub mod filter;
pub mod group_resource;
pub mod groups;
pub mod patch;
pub mod projection;
pub mod rejections;
pub mod user_resource;
pub mod users;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use seatwise_core::scim_tokens::ScimToken;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::server::AppState;
use error::{SCIM_JSON, ScimError};

/// The routes under `/scim/v2`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{urn}", get(schema))
        .route("/scim/v2/Users", get(users::list).post(users::create))
        .route(
            "/scim/v2/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/scim/v2/Groups", get(groups::list).post(groups::create))
        .route(
            "/scim/v2/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
}

/// The token a request authenticated with.
pub struct ScimCaller(pub ScimToken);

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(ScimError::unauthorized)?;
        match state.store.authenticate_scim(secret).await? {
            Some(token) => Ok(ScimCaller(token)),
            None => Err(ScimError::unauthorized()),
        }
    }
}

/// The query of a list or read request.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// `filter`.
    pub filter: Option<String>,
    /// `startIndex`, from 1.
    pub start_index: Option<i64>,
    /// `count`.
    pub count: Option<i64>,
    /// `attributes`, comma-separated.
    pub attributes: Option<String>,
    /// `excludedAttributes`, comma-separated.
    pub excluded_attributes: Option<String>,
}

/// The query string as a SCIM request: a malformed one (`startIndex=abc`,
/// `count=x`) is `400 invalidValue` in a SCIM body, not axum's plain-text
/// rejection.
impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ScimError> {
        Query::<ListQuery>::from_request_parts(parts, state)
            .await
            .map(|Query(query)| query)
            .map_err(|rejection| {
                ScimError::bad_request(
                    "invalidValue",
                    format!(
                        "the query is not valid ({}); startIndex and count are integers",
                        rejection.body_text()
                    ),
                )
            })
    }
}

impl ListQuery {
    /// `startIndex` (from 1) and `count` (at most
    /// [`discovery::MAX_RESULTS`], 100 when absent), as a list answers them.
    pub fn page(&self) -> (i64, i64) {
        let start = self.start_index.unwrap_or(1).max(1);
        let count = self
            .count
            .unwrap_or(100)
            .clamp(0, i64::try_from(discovery::MAX_RESULTS).unwrap_or(i64::MAX));
        (start, count)
    }

    /// The parsed `filter`; none when absent or blank, `invalidFilter`
    /// when it does not parse.
    pub fn filter(&self) -> Result<Option<filter::Filter>, ScimError> {
        self.filter
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(filter::Filter::parse)
            .transpose()
            .map_err(ScimError::from)
    }
}

/// The names of a comma-separated attribute list.
pub fn names(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A SCIM JSON answer.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

/// A request body as `T`; malformed JSON is `invalidSyntax`.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ScimError> {
    serde_json::from_slice(body).map_err(|e| {
        ScimError::bad_request(
            "invalidSyntax",
            format!("the body is not a valid request: {e}"),
        )
    })
}

async fn service_provider_config(_caller: ScimCaller) -> Response {
    scim_json(StatusCode::OK, &discovery::service_provider_config())
}

async fn resource_types(_caller: ScimCaller) -> Response {
    scim_json(StatusCode::OK, &discovery::resource_types())
}

async fn schemas(_caller: ScimCaller) -> Response {
    scim_json(StatusCode::OK, &discovery::schemas())
}

async fn resource_type(_caller: ScimCaller, Path(id): Path<String>) -> Response {
    match discovery::resource_type(&id) {
        Some(found) => scim_json(StatusCode::OK, &found),
        None => ScimError::not_found("resource type", &id).into_response(),
    }
}

async fn schema(_caller: ScimCaller, Path(urn): Path<String>) -> Response {
    match discovery::schema(&urn) {
        Some(found) => scim_json(StatusCode::OK, &found),
        None => ScimError::not_found("schema", &urn).into_response(),
    }
}
