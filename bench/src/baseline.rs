//! The baseline: scenario 1 (an app's license details with its first
//! assignments and their principals' names) answered by a minimal axum
//! endpoint with two hand-written SQL statements and no GraphQL.
//!
//! It is what a careful engineer would write for this one screen, so the
//! ratio to it says what the general machinery (GraphQL parsing and
//! validation, auth, DataLoaders, the domain layer) costs. It runs as a
//! child process (`seatwise-bench baseline-serve`) like the real server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use diesel::QueryResult;
use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{QueryableByName, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures::FutureExt as _;
use seatwise_core::{Backend, DatabaseUrl};
use serde::{Deserialize, Serialize};

/// Same pool size as the server's default, for a like-for-like comparison.
const POOL_SIZE: usize = 16;

/// The server's SQLite settings that change how a read costs, so the
/// baseline reads the file as the server does: its (smaller) pool, and its
/// memory map of the file (`SEATWISE_SQLITE_MMAP_MIB`, as the server reads
/// it, else the server's default).
fn sqlite_like_the_server() -> (usize, u64) {
    let defaults = seatwise_core::StoreOptions::default();
    let server = seatwise_core::StoreOptions {
        sqlite_mmap_mib: std::env::var("SEATWISE_SQLITE_MMAP_MIB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(defaults.sqlite_mmap_mib),
        ..defaults
    };
    (server.sqlite_pool_size(), server.sqlite_mmap_bytes())
}

enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SyncConnectionWrapper<SqliteConnection>>),
}

struct BaselineState {
    pools: Pools,
    tenant: String,
}

/// No `SELECT 1` on every checkout, as the server's pools
/// (`core/src/db/mod.rs`): by default deadpool pings a connection before
/// handing it out, a third round trip per screen.
fn fast_recycling<C: diesel_async::AsyncConnection + 'static>() -> ManagerConfig<C> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config
}

/// Serve the baseline on `listen` until killed.
pub async fn serve(database: &str, tenant: uuid::Uuid, listen: SocketAddr) -> Result<(), String> {
    let url: DatabaseUrl = database.parse().map_err(|e| format!("--database: {e}"))?;
    let pools = match url.backend() {
        Backend::Postgres => Pools::Pg(
            Pool::builder(AsyncDieselConnectionManager::new_with_config(
                url.as_str(),
                fast_recycling(),
            ))
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| e.to_string())?,
        ),
        Backend::Sqlite => {
            let path = url.sqlite_path().map_err(|e| e.to_string())?;
            let (pool_size, mmap_bytes) = sqlite_like_the_server();
            let mut config = fast_recycling::<SyncConnectionWrapper<SqliteConnection>>();
            config.custom_setup = Box::new(move |path| {
                let path = path.to_owned();
                async move {
                    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
                    let mut conn =
                        SyncConnectionWrapper::<SqliteConnection>::establish(&path).await?;
                    conn.batch_execute(&format!("PRAGMA mmap_size = {mmap_bytes};"))
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                    Ok(conn)
                }
                .boxed()
            });
            Pools::Sqlite(
                Pool::builder(AsyncDieselConnectionManager::new_with_config(path, config))
                    .max_size(pool_size)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
        }
    };
    let state = Arc::new(BaselineState {
        pools,
        tenant: tenant.hyphenated().to_string(),
    });
    let router = Router::new()
        .route("/apps/{id}/license-details", get(license_details))
        .route("/readyz", get(|| async { "ready" }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("listen on {listen}: {e}"))?;
    axum::serve(listener, router)
        .await
        .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct PageParams {
    first: Option<i64>,
}

#[derive(QueryableByName)]
struct AppRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Text)]
    vendor_name: String,
    #[diesel(sql_type = Text)]
    vendor_website: String,
    #[diesel(sql_type = Text)]
    vendor_support_email: String,
    #[diesel(sql_type = BigInt)]
    purchased_seats: i64,
    #[diesel(sql_type = BigInt)]
    assigned_seats: i64,
    #[diesel(sql_type = BigInt)]
    assignment_count: i64,
}

#[derive(QueryableByName)]
struct AssignmentRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    assigned_at: String,
    #[diesel(sql_type = Text)]
    assigned_by: String,
    #[diesel(sql_type = Text)]
    principal_kind: String,
    #[diesel(sql_type = Text)]
    principal_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
}

// UUIDs are native `uuid` on PostgreSQL and hyphenated lower-case TEXT on
// SQLite: binding text and casting on PostgreSQL serves both with one Rust
// type. The count rides along in the app query to save a round trip.
const APP_PG: &str = "SELECT a.id::text AS id, a.name, a.description, a.vendor_name, a.vendor_website, \
     a.vendor_support_email, a.purchased_seats, a.assigned_seats, \
     (SELECT count(*) FROM license_assignments l WHERE l.tenant_id = a.tenant_id AND l.app_id = a.id) AS assignment_count \
     FROM apps a WHERE a.tenant_id = $1::uuid AND a.id = $2::uuid";
const APP_SQLITE: &str = "SELECT a.id AS id, a.name, a.description, a.vendor_name, a.vendor_website, \
     a.vendor_support_email, a.purchased_seats, a.assigned_seats, \
     (SELECT count(*) FROM license_assignments l WHERE l.tenant_id = a.tenant_id AND l.app_id = a.id) AS assignment_count \
     FROM apps a WHERE a.tenant_id = ? AND a.id = ?";
const ASSIGNMENTS_PG: &str = "SELECT l.id::text AS id, l.assigned_at::text AS assigned_at, l.assigned_by, \
     l.principal_kind, l.principal_id::text AS principal_id, \
     COALESCE(u.display_name, g.display_name) AS display_name, u.email AS email \
     FROM license_assignments l \
     LEFT JOIN users u ON l.principal_kind = 'USER' AND u.tenant_id = l.tenant_id AND u.id = l.principal_id \
     LEFT JOIN groups g ON l.principal_kind = 'GROUP' AND g.tenant_id = l.tenant_id AND g.id = l.principal_id \
     WHERE l.tenant_id = $1::uuid AND l.app_id = $2::uuid ORDER BY l.id LIMIT $3";
const ASSIGNMENTS_SQLITE: &str = "SELECT l.id AS id, CAST(l.assigned_at AS TEXT) AS assigned_at, l.assigned_by, \
     l.principal_kind, l.principal_id AS principal_id, \
     COALESCE(u.display_name, g.display_name) AS display_name, u.email AS email \
     FROM license_assignments l \
     LEFT JOIN users u ON l.principal_kind = 'USER' AND u.tenant_id = l.tenant_id AND u.id = l.principal_id \
     LEFT JOIN groups g ON l.principal_kind = 'GROUP' AND g.tenant_id = l.tenant_id AND g.id = l.principal_id \
     WHERE l.tenant_id = ? AND l.app_id = ? ORDER BY l.id LIMIT ?";

async fn license_details(
    State(state): State<Arc<BaselineState>>,
    Path(app): Path<uuid::Uuid>,
    Query(params): Query<PageParams>,
) -> Response {
    let first = params.first.unwrap_or(20).clamp(0, 100);
    match load(&state, app.hyphenated().to_string(), first).await {
        Ok(Some(details)) => Json(details).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such app").into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A hand-written statement kept prepared on its connection. diesel
/// prepares `sql_query` text anew on every call, since it cannot know the
/// text never changes; a careful endpoint keeps its two hot statements
/// prepared, as the server keeps its own (`core/src/db/fixed_text.rs`).
/// Without it the baseline paid a parse and a plan per statement.
struct Prepared<Q>(Q);

impl<Q: QueryFragment<DB>, DB: DieselBackend> QueryFragment<DB> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

// Keyed by the SQL text: each of the four texts is one cache entry.
impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

/// Run both statements on whichever backend, then shape the answer.
async fn load(
    state: &BaselineState,
    app: String,
    first: i64,
) -> Result<Option<Details>, Box<dyn std::error::Error + Send + Sync>> {
    let tenant = state.tenant.clone();
    // One more row than asked tells whether a next page exists.
    let (apps, rows) = match &state.pools {
        Pools::Pg(pool) => {
            let mut c = pool.get().await?;
            let apps: Vec<AppRow> = Prepared(
                diesel::sql_query(APP_PG)
                    .bind::<Text, _>(tenant.clone())
                    .bind::<Text, _>(app.clone()),
            )
            .load(&mut c)
            .await?;
            let rows: Vec<AssignmentRow> = Prepared(
                diesel::sql_query(ASSIGNMENTS_PG)
                    .bind::<Text, _>(tenant)
                    .bind::<Text, _>(app)
                    .bind::<BigInt, _>(first + 1),
            )
            .load(&mut c)
            .await?;
            (apps, rows)
        }
        Pools::Sqlite(pool) => {
            let mut c = pool.get().await?;
            let apps: Vec<AppRow> = Prepared(
                diesel::sql_query(APP_SQLITE)
                    .bind::<Text, _>(tenant.clone())
                    .bind::<Text, _>(app.clone()),
            )
            .load(&mut c)
            .await?;
            let rows: Vec<AssignmentRow> = Prepared(
                diesel::sql_query(ASSIGNMENTS_SQLITE)
                    .bind::<Text, _>(tenant)
                    .bind::<Text, _>(app)
                    .bind::<BigInt, _>(first + 1),
            )
            .load(&mut c)
            .await?;
            (apps, rows)
        }
    };
    let Some(app) = apps.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(Details::new(app, rows, first as usize)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Details {
    id: String,
    name: String,
    description: String,
    vendor: VendorJson,
    seats: SeatsJson,
    assignments: AssignmentsJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VendorJson {
    name: String,
    website: String,
    support_email: String,
}

#[derive(Serialize)]
struct SeatsJson {
    purchased: i64,
    assigned: i64,
    available: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentsJson {
    total_count: i64,
    has_next_page: bool,
    end_cursor: Option<String>,
    edges: Vec<AssignmentJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentJson {
    cursor: String,
    id: String,
    assigned_at: String,
    assigned_by: String,
    principal: PrincipalJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrincipalJson {
    kind: String,
    id: String,
    display_name: Option<String>,
    email: Option<String>,
}

impl Details {
    fn new(app: AppRow, mut rows: Vec<AssignmentRow>, first: usize) -> Self {
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        let edges: Vec<AssignmentJson> = rows
            .into_iter()
            .map(|r| AssignmentJson {
                cursor: r.id.clone(),
                id: r.id,
                assigned_at: r.assigned_at,
                assigned_by: r.assigned_by,
                principal: PrincipalJson {
                    kind: r.principal_kind,
                    id: r.principal_id,
                    display_name: r.display_name,
                    email: r.email,
                },
            })
            .collect();
        Self {
            id: app.id,
            name: app.name,
            description: app.description,
            vendor: VendorJson {
                name: app.vendor_name,
                website: app.vendor_website,
                support_email: app.vendor_support_email,
            },
            seats: SeatsJson {
                purchased: app.purchased_seats,
                assigned: app.assigned_seats,
                available: (app.purchased_seats - app.assigned_seats).max(0),
            },
            assignments: AssignmentsJson {
                total_count: app.assignment_count,
                has_next_page,
                end_cursor: edges.last().map(|e| e.cursor.clone()),
                edges,
            },
        }
    }
}
