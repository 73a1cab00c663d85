//! The HTTP server: routes, middleware, start and graceful stop.
//!
//! [`build_router`] turns an [`AppState`] into the whole axum [`Router`]:
//! GraphQL over HTTP at `/graphql`, subscriptions over websocket at
//! `/graphql/ws`, GraphiQL, probes, metrics and the admin console at `/`.
//! [`serve`] runs it together with the seat-change worker and the webhook
//! delivery worker, and stops them on
//! SIGTERM or ctrl-c.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::ErrorExtensions as _;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use seatwise_adapter_host::PluginRegistry;
use seatwise_core::Store;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::{Permission, TokenKeys};
use crate::graphiql::AssetBase;
use crate::graphql::compiled::{self, CompiledPlans, PlanKey};
use crate::graphql::documents::ParsedDocuments;
use crate::graphql::errors::code;
use crate::graphql::{AppSchema, Session};
use crate::metrics::{Metrics, record_request};
use crate::seat_change_worker::SeatChangeWorker;
use crate::settings::ServeSettings;
use crate::usage_worker::{UsagePollCounts, UsagePollSettings, UsageWorker};
use crate::vendor_effects::VendorEffects;
use crate::vendor_inbound::VendorInbound;
use crate::webhooks::{Upkeep, WebhookSettings, WebhookWorker};
use crate::websocket::WebsocketConfig;

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
    /// Where the GraphiQL page loads its pinned assets from
    /// (`SEATWISE_GRAPHIQL_ASSET_BASE`).
    pub graphiql_assets: AssetBase,
    /// Limits of the GraphQL websocket (`/graphql/ws`).
    pub websocket: WebsocketConfig,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            graphiql_assets: AssetBase::default(),
            websocket: WebsocketConfig::default(),
        }
    }
}

impl HttpConfig {
    /// Settings from `vars` (`SEATWISE_CORS_ORIGINS`, a comma list;
    /// `SEATWISE_GRAPHIQL_ASSET_BASE`; the websocket limits). An unusable
    /// value is an error.
    pub fn from_vars(vars: &dyn crate::settings::Vars) -> Result<Self, String> {
        let cors_origins = vars
            .var("SEATWISE_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            cors_origins,
            graphiql_assets: AssetBase::from_vars(vars).map_err(|e| e.to_string())?,
            websocket: WebsocketConfig::from_vars(vars)?,
            ..Self::default()
        })
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
    /// The vendor adapter plugins loaded at start (never unloaded), with
    /// their notice queues: every vendor side effect goes through it.
    pub vendor_effects: Arc<VendorEffects>,
    /// Outbound webhooks: which URLs may receive them, and how the
    /// delivery worker (started by [`serve_until`]) retries.
    pub webhooks: WebhookSettings,
    /// Inbound vendor webhooks: which adapters take them, with their
    /// concurrency limits.
    pub vendor_inbound: Arc<VendorInbound>,
    /// How often the usage worker (started by [`serve_until`]) polls.
    pub usage_polls: UsagePollSettings,
    /// The usage worker's polls so far, for `/metrics`.
    pub usage_poll_counts: Arc<UsagePollCounts>,
    /// Parsed GraphQL documents by query text, so a repeated query is not
    /// parsed again.
    pub documents: Arc<ParsedDocuments>,
    /// Compiled plans of the license-details screen by query text (see
    /// [`crate::graphql::compiled`]).
    pub compiled: Arc<CompiledPlans>,
}

impl AppState {
    /// State for serving `store` with tokens signed by `tokens`, without
    /// adapter plugins (see [`AppState::with_plugins`]).
    pub fn new(
        store: Store,
        tokens: TokenKeys,
        http: HttpConfig,
    ) -> Result<Self, prometheus::Error> {
        let plugins = Arc::new(PluginRegistry::empty());
        let vendor_inbound = Arc::new(VendorInbound::new(plugins.clone()));
        let vendor_effects = Arc::new(VendorEffects::new(store.clone(), plugins));
        Ok(Self {
            schema: crate::graphql::build_schema_with_vendor_effects(
                store.clone(),
                vendor_effects.clone(),
            ),
            store,
            tokens,
            metrics: Arc::new(Metrics::new()?),
            http: Arc::new(http),
            vendor_effects,
            webhooks: WebhookSettings::default(),
            vendor_inbound,
            usage_polls: UsagePollSettings::default(),
            usage_poll_counts: Arc::new(UsagePollCounts::default()),
            documents: Arc::new(ParsedDocuments::default()),
            compiled: Arc::new(CompiledPlans::default()),
        })
    }

    /// The same state with the usage worker polling per `usage_polls`.
    pub fn with_usage_polls(mut self, usage_polls: UsagePollSettings) -> Self {
        self.usage_polls = usage_polls;
        self
    }

    /// The same state with these webhook settings (the schema accepts
    /// endpoints their policy allows).
    pub fn with_webhooks(mut self, webhooks: WebhookSettings) -> Self {
        self.schema = crate::graphql::build_schema_with(
            self.store.clone(),
            self.vendor_effects.clone(),
            webhooks.policy,
        );
        self.webhooks = webhooks;
        self
    }

    /// The same state calling the adapters in `plugins`, with a queue of
    /// `notice_queue` assignment notices per adapter that wants them (the
    /// delivery tasks start here, so call this inside the runtime).
    pub fn with_plugins(mut self, plugins: Arc<PluginRegistry>, notice_queue: usize) -> Self {
        self.vendor_inbound = Arc::new(VendorInbound::new(plugins.clone()));
        let vendor_effects = Arc::new(VendorEffects::start(
            self.store.clone(),
            plugins,
            notice_queue,
        ));
        self.schema = crate::graphql::build_schema_with(
            self.store.clone(),
            vendor_effects.clone(),
            self.webhooks.policy,
        );
        self.vendor_effects = vendor_effects;
        self
    }
}

/// A server over `store` with `plugins`, configured by `settings`: the
/// state its requests share and the seat-change worker to run beside them.
/// `seatwise serve` and the in-process test harness both start here, so
/// tests run the server production runs. Call it inside the runtime (the
/// notice delivery tasks start here).
pub fn assemble(
    store: Store,
    tokens: TokenKeys,
    plugins: Arc<PluginRegistry>,
    settings: &ServeSettings,
) -> Result<(AppState, SeatChangeWorker), String> {
    let state = AppState::new(store.clone(), tokens, settings.http.clone())
        .map_err(|e| format!("cannot register the metrics: {e}"))?
        .with_plugins(plugins, settings.notice_queue)
        .with_webhooks(settings.webhooks.clone())
        .with_usage_polls(settings.usage_polls);
    let worker = SeatChangeWorker::new(store, state.vendor_effects.clone())
        .with_poll_interval(settings.worker.poll_interval)
        .with_lease(settings.worker.lease)
        .with_per_adapter_concurrency(settings.worker.per_adapter_concurrency);
    Ok((state, worker))
}

/// The whole HTTP application.
pub fn build_router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/graphiql", get(graphiql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::scim::router())
        .merge(crate::vendor_inbound::router())
        .merge(crate::console::router());
    // `route_layer` runs after routing, so the metrics middleware sees the
    // matched route pattern.
    let mut router = routes
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            record_request,
        ))
        .layer(RequestBodyLimitLayer::new(state.http.max_body_bytes))
        // Outside the body limit, so its 413 under /scim/v2 is a SCIM error
        // too; it also covers unknown SCIM paths and wrong methods.
        .layer(axum::middleware::from_fn(
            crate::scim::rejections::scim_errors,
        ))
        .layer(axum::middleware::map_response(close_after_unread_body));
    if let Some(cors) = cors_layer(&state.http.cors_origins) {
        router = router.layer(cors);
    }
    router.with_state(state)
}

/// A `413` is answered before the request body has been read to its end,
/// so the connection cannot carry another request and hyper drops it. Say
/// so with `Connection: close`: without it a client returns the connection
/// to its pool and its next request races the close (and fails with
/// "connection closed before message completed").
async fn close_after_unread_body(mut response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
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
        return crate::graphiql::page(&state.http.graphiql_assets);
    }
    let headers = request.headers().clone();
    let mut request = match GraphQLRequest::<BadRequest>::from_request(request, &state).await {
        Ok(request) => request.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    state.documents.prepare(&mut request);
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
    mut request: async_graphql::Request,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let auth = state.tokens.authenticate(authorization);
    let plan_key = PlanKey::of(&request);
    if let Ok(caller) = &auth
        && caller.may(Permission::ReadTenant)
        && let Some(proven) = plan_key.as_ref().and_then(|key| state.compiled.proven(key))
        && let Some(body) = compiled::answer(&proven, &state.store, caller, &request).await
    {
        return (
            [(header::CONTENT_TYPE, GRAPHQL_RESPONSE_CONTENT_TYPE)],
            body,
        )
            .into_response();
    }
    // The compiled path needs no parsed document; the executor does.
    // Parsed by GET already; kept documents make this a lookup.
    state.documents.prepare(&mut request);
    let to_prove = plan_key.and_then(|key| state.compiled.to_prove(key, &mut request));
    let session = Session::from_auth(&state.store, auth);
    let mut response = state.schema.execute(request.data(session)).await;
    if let Some(to_prove) = to_prove {
        state.compiled.settle(to_prove, &response);
    }
    label_request_errors(&mut response);
    state.metrics.record_graphql_errors(&response);
    GraphQLResponse::from(response).into_response()
}

/// The media type async-graphql-axum gives GraphQL responses; the compiled
/// path's answers carry the same.
const GRAPHQL_RESPONSE_CONTENT_TYPE: &str = "application/graphql-response+json";

/// `GET /graphql/ws`: subscriptions over websocket (`graphql-transport-ws`
/// or the older `graphql-ws` protocol), within the limits of
/// [`crate::websocket`]. Browsers cannot set headers on a websocket, so the
/// token comes in the `connection_init` payload as
/// `{"Authorization": "Bearer <token>"}`; a missing or invalid token closes
/// the connection at init with the reason, and the token's expiry ends the
/// subscriptions.
async fn graphql_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = crate::websocket::protocol(&headers) else {
        return BadRequest::new(
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Protocol must be graphql-transport-ws or graphql-ws",
        )
        .into_response();
    };
    let schema = state.schema.clone();
    let http = state.http.clone();
    http.websocket
        .limit(upgrade)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let on_init = move |payload: serde_json::Value| async move {
                let authorization = ["Authorization", "authorization"]
                    .iter()
                    .find_map(|key| payload.get(*key))
                    .and_then(serde_json::Value::as_str);
                let caller = state
                    .tokens
                    .authenticate_until(authorization)
                    .map_err(|why| {
                        async_graphql::Error::new(why.to_string())
                            .extend_with(|_, ext| ext.set("code", code::UNAUTHENTICATED))
                    })?;
                let mut data = async_graphql::Data::default();
                data.insert(Session::for_subscription(&state.store, Ok(caller)));
                Ok(data)
            };
            crate::websocket::serve(socket, schema, protocol, &http.websocket, on_init).await;
        })
        .into_response()
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

async fn graphiql(State(state): State<AppState>) -> Response {
    crate::graphiql::page(&state.http.graphiql_assets)
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
        state.metrics.render(
            &state.store,
            &state.vendor_effects,
            &state.usage_poll_counts,
        ),
    )
        .into_response()
}

/// Serve on `listener` and run `worker` beside it until SIGTERM or ctrl-c;
/// then finish the requests in flight and the worker's tick in flight (so
/// every vendor answer received is recorded).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    worker: SeatChangeWorker,
) -> std::io::Result<()> {
    serve_until(listener, state, worker, shutdown_signal()).await
}

/// [`serve`] until `stop` completes instead of a signal (the in-process
/// test harness runs many servers in one process this way).
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    worker: SeatChangeWorker,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_sender, stopping) = tokio::sync::watch::channel(false);
    let stopped = |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
        // An error means the sender is gone, which also means stop.
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let worker = tokio::spawn(worker.run(stopped(stopping.clone())));
    let webhooks = match WebhookWorker::new(state.store.clone(), state.webhooks.clone()) {
        Ok(webhooks) => Some(tokio::spawn(webhooks.run(stopped(stopping.clone())))),
        Err(error) => {
            tracing::error!(%error, "webhooks will not be delivered");
            None
        }
    };
    let upkeep = tokio::spawn(
        Upkeep::new(state.store.clone(), state.webhooks.clone()).run(stopped(stopping.clone())),
    );
    let usage = tokio::spawn(
        UsageWorker::new(
            state.store.clone(),
            state.vendor_effects.plugins().clone(),
            state.usage_polls,
            state.usage_poll_counts.clone(),
        )
        .run(stopped(stopping.clone())),
    );
    tokio::spawn(async move {
        stop.await;
        let _ = stop_sender.send(true);
    });
    let app = build_router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stopped(stopping))
    .await;
    if let Err(error) = worker.await {
        tracing::error!(%error, "the seat-change worker crashed");
    }
    if let Some(webhooks) = webhooks
        && let Err(error) = webhooks.await
    {
        tracing::error!(%error, "the webhook delivery worker crashed");
    }
    if let Err(error) = upkeep.await {
        tracing::error!(%error, "the webhook upkeep task crashed");
    }
    if let Err(error) = usage.await {
        tracing::error!(%error, "the usage worker crashed");
    }
    served
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
