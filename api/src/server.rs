//! The HTTP server: routes, middleware, start and graceful stop.
//!
//! [`build_router`] turns an [`AppState`] into the whole axum [`Router`].
//! Later features extend it there: the vendor-adapter work adds its
//! mutations to the schema, a websocket route for subscriptions and a
//! worker that shares the state; the admin console will be served at `/`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use seatwise_core::Store;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::TokenKeys;
use crate::graphql::errors::code;
use crate::graphql::{AppSchema, Session};
use crate::metrics::{Metrics, record_request};

/// Largest request body accepted, in bytes. GraphQL documents are small;
/// this stops a client from making the server buffer megabytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins allowed by CORS (`SEATWISE_CORS_ORIGINS`); empty means no
    /// cross-origin access, `*` means any origin.
    pub cors_origins: Vec<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl HttpConfig {
    /// Settings from the environment (`SEATWISE_CORS_ORIGINS`, a comma
    /// list).
    pub fn from_env() -> Self {
        let cors_origins = std::env::var("SEATWISE_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Self {
            cors_origins,
            ..Self::default()
        }
    }
}

/// Everything request handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The GraphQL schema (holds its own clone of the store).
    pub schema: AppSchema,
    /// Keys that verify (and mint) tokens.
    pub tokens: TokenKeys,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// HTTP settings.
    pub http: Arc<HttpConfig>,
}

impl AppState {
    /// State for serving `store` with tokens signed by `tokens`.
    pub fn new(
        store: Store,
        tokens: TokenKeys,
        http: HttpConfig,
    ) -> Result<Self, prometheus::Error> {
        Ok(Self {
            schema: crate::graphql::build_schema(store.clone()),
            store,
            tokens,
            metrics: Arc::new(Metrics::new()?),
            http: Arc::new(http),
        })
    }
}

/// The whole HTTP application.
pub fn build_router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphiql", get(graphiql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::console::router());
    // `route_layer` runs after routing, so the metrics middleware sees the
    // matched route pattern.
    let mut router = routes
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            record_request,
        ))
        .layer(RequestBodyLimitLayer::new(state.http.max_body_bytes));
    if let Some(cors) = cors_layer(&state.http.cors_origins) {
        router = router.layer(cors);
    }
    router.with_state(state)
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let parsed: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| match HeaderValue::from_str(o) {
                Ok(v) => Some(v),
                Err(_) => {
                    tracing::warn!(origin = %o, "ignoring an invalid CORS origin");
                    None
                }
            })
            .collect();
        AllowOrigin::list(parsed)
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600)),
    )
}

/// A request that is not GraphQL at all (bad JSON, too large, …), answered
/// in GraphQL's error shape so clients need one error path.
pub struct BadRequest {
    status: StatusCode,
    message: String,
}

impl BadRequest {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<async_graphql::ParseRequestError> for BadRequest {
    fn from(e: async_graphql::ParseRequestError) -> Self {
        let status = match e {
            async_graphql::ParseRequestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, e.to_string())
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": code::BAD_REQUEST } }]
        });
        (self.status, axum::Json(body)).into_response()
    }
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<BadRequest>, BadRequest>,
) -> Response {
    match request {
        Ok(request) => execute(&state, &headers, request.into_inner()).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET /graphql`: GraphiQL for a browser, else a query in the URL.
/// Mutations are refused over GET, so a link or an image tag cannot change
/// anything.
async fn graphql_get(State(state): State<AppState>, request: Request) -> Response {
    if wants_html(request.headers()) {
        return graphiql().await.into_response();
    }
    let headers = request.headers().clone();
    let mut request = match GraphQLRequest::<BadRequest>::from_request(request, &state).await {
        Ok(request) => request.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    let is_mutation = request.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .any(|(_, op)| op.node.ty == async_graphql::parser::types::OperationType::Mutation)
    });
    if is_mutation {
        return BadRequest::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        )
        .into_response();
    }
    execute(&state, &headers, request).await
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let session = Session::from_auth(&state.store, state.tokens.authenticate(authorization));
    let mut response = state.schema.execute(request.data(session)).await;
    label_request_errors(&mut response);
    state.metrics.record_graphql_errors(&response);
    GraphQLResponse::from(response).into_response()
}

/// Errors raised by async-graphql itself (syntax, validation, depth and
/// complexity limits) carry no code; give them one so every error a client
/// sees has `extensions.code`.
fn label_request_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code::GRAPHQL_VALIDATION_FAILED);
        }
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Seatwise GraphiQL")
            .finish(),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&state.store),
    )
        .into_response()
}

/// Serve on `listener` until SIGTERM or ctrl-c, then finish the requests in
/// flight.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = build_router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
