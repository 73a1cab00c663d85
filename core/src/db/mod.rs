//! Storage: one set of diesel queries over two backends.
//!
//! [`Store`] owns a connection pool for either PostgreSQL or SQLite. Domain
//! code never names a backend: it receives a [`Conn`], an enum over a borrowed
//! connection of either kind, and runs queries through [`on_conn!`], which
//! expands the same diesel expression once per backend. Queries that differ
//! (row locks exist only on PostgreSQL) say so explicitly with a `match`.

pub mod sql_types;

mod instrumentation;
mod migrate;
mod url;

pub use instrumentation::StatementCounter;
pub use url::{Backend, DatabaseUrl};

use diesel::SqliteConnection;
use diesel::connection::SimpleConnection as _;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AnsiTransactionManager, AsyncConnection, AsyncPgConnection, SimpleAsyncConnection,
    TransactionManager,
};
use futures::FutureExt;
use std::time::Duration;

use crate::error::{CoreError, CoreResult};
use crate::seat_changes::notices::SeatChangeNotices;

/// An async SQLite connection: diesel's synchronous connection run on
/// tokio's blocking pool.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// A borrowed connection of either backend, inside or outside a transaction.
pub enum Conn<'a> {
    /// PostgreSQL.
    Pg(&'a mut AsyncPgConnection),
    /// SQLite.
    Sqlite(&'a mut SqliteConn),
}

/// Run one diesel expression on whichever backend `$conn` is.
///
/// `on_conn!(conn, c => users::table.count().get_result::<i64>(c).await)`
/// type-checks the expression separately for each backend, so a query that
/// one backend does not support fails to compile rather than at run time.
/// Build boxed queries inside the arm: boxing fixes the backend.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg($c) => $body,
            $crate::db::Conn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_conn;

/// Insert many rows in one statement (per chunk) on either backend.
///
/// diesel-async cannot run diesel's SQLite multi-row INSERT (diesel
/// implements it for the synchronous connection only), so on SQLite the
/// insert runs on the wrapped synchronous connection via `spawn_blocking`.
/// Row types must not contain defaultable `Option` fields (use
/// `treat_none_as_default_value = false`) so SQLite gets one statement.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        let inserted: diesel::QueryResult<usize> = match $conn {
            $crate::db::Conn::Pg(c) => {
                diesel_async::RunQueryDsl::execute(diesel::insert_into($table).values(rows), *c)
                    .await
            }
            $crate::db::Conn::Sqlite(c) => {
                c.spawn_blocking(move |c| {
                    diesel::RunQueryDsl::execute(diesel::insert_into($table).values(&rows), c)
                })
                .await
            }
        };
        inserted
    }};
}
pub(crate) use insert_rows;

/// Run `$body` (an expression that may use `?`) inside a write transaction,
/// with `$conn: &mut Conn`. Commits when it returns `Ok`, rolls back on `Err`.
///
/// PostgreSQL uses a normal (READ COMMITTED) transaction: writers serialise on
/// the row locks they take (see `crate::locks`). SQLite uses `BEGIN IMMEDIATE`,
/// which takes the database write lock up front, so two writers never
/// interleave and a read-then-write transaction cannot fail half way with
/// `SQLITE_BUSY`. If the future is dropped mid-way, the connection still has
/// an open transaction; the pool sees that and discards it instead of reusing.
macro_rules! write_txn {
    ($store:expr, $conn:ident => $body:expr) => {{
        let mut pooled = $store.checkout().await?;
        let $conn = &mut pooled.as_conn();
        $conn.begin_write().await?;
        let result: $crate::error::CoreResult<_> = async { $body }.await;
        $conn.finish(result).await
    }};
}
pub(crate) use write_txn;

/// Run `$body` with a pooled connection `$conn: &mut Conn`, outside any
/// explicit transaction (each statement sees committed data).
macro_rules! read_conn {
    ($store:expr, $conn:ident => $body:expr) => {{
        let mut pooled = $store.checkout().await?;
        let $conn = &mut pooled.as_conn();
        let result: $crate::error::CoreResult<_> = async { $body }.await;
        result
    }};
}
pub(crate) use read_conn;

impl Conn<'_> {
    pub(crate) async fn begin_write(&mut self) -> CoreResult<()> {
        match self {
            Conn::Pg(c) => AnsiTransactionManager::begin_transaction(*c).await?,
            Conn::Sqlite(c) => {
                c.spawn_blocking(|c| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                        c,
                        "BEGIN IMMEDIATE",
                    )
                })
                .await?
            }
        }
        Ok(())
    }

    pub(crate) async fn finish<T>(&mut self, result: CoreResult<T>) -> CoreResult<T> {
        match result {
            Ok(value) => {
                match self {
                    Conn::Pg(c) => AnsiTransactionManager::commit_transaction(*c).await?,
                    Conn::Sqlite(c) => {
                        <SqliteConn as AsyncConnection>::TransactionManager::commit_transaction(*c)
                            .await?
                    }
                }
                Ok(value)
            }
            Err(error) => {
                let rolled_back = match self {
                    Conn::Pg(c) => AnsiTransactionManager::rollback_transaction(*c).await,
                    Conn::Sqlite(c) => {
                        <SqliteConn as AsyncConnection>::TransactionManager::rollback_transaction(
                            *c,
                        )
                        .await
                    }
                };
                if let Err(rollback_error) = rolled_back {
                    // The pool discards a connection left inside a transaction;
                    // the caller needs the original error, not this one.
                    tracing::warn!(%rollback_error, "rollback failed");
                }
                Err(error)
            }
        }
    }
}

/// A connection checked out of the pool.
// One lives per in-flight operation, on the stack of its future; boxing the
// larger PostgreSQL variant would add an allocation to every checkout.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Pooled {
    Pg(Object<AsyncPgConnection>),
    Sqlite(Object<SqliteConn>),
}

impl Pooled {
    pub(crate) fn as_conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Pg(c) => Conn::Pg(c),
            Pooled::Sqlite(c) => Conn::Sqlite(c),
        }
    }
}

#[derive(Clone)]
enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// Settings for opening a [`Store`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Largest number of pooled connections.
    pub max_connections: usize,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// Pool statistics, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolStatus {
    /// Connections open now.
    pub size: usize,
    /// Connections open and idle.
    pub available: usize,
    /// Largest number of connections.
    pub max_size: usize,
}

/// The database: a connection pool plus the domain operations (implemented
/// in the sibling modules as `impl Store` blocks). Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    statements: StatementCounter,
    acquire_timeout: Duration,
    seat_change_notices: SeatChangeNotices,
}

impl Store {
    /// Open a pool for `url`. Does not touch the schema: call
    /// [`Store::migrate`] (the server does so at start).
    pub async fn connect(url: &DatabaseUrl, options: StoreOptions) -> CoreResult<Self> {
        let statements = StatementCounter::default();
        let pools = match url.backend() {
            Backend::Postgres => {
                let counter = statements.clone();
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                // No `SELECT 1` on every checkout: a broken connection fails its
                // first query and the pool drops it (`is_broken`), which costs
                // less than doubling the round trips of one-statement reads.
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(move |url| {
                    let counter = counter.clone();
                    async move {
                        let mut conn = AsyncPgConnection::establish(url).await?;
                        conn.set_instrumentation(counter.instrumentation());
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(url.as_str(), config);
                Pools::Pg(
                    Pool::builder(manager)
                        .max_size(options.max_connections)
                        .build()
                        .map_err(pool_error)?,
                )
            }
            Backend::Sqlite => {
                let counter = statements.clone();
                let mut config = ManagerConfig::<SqliteConn>::default();
                // No `SELECT 1` on every checkout: a broken connection fails its
                // first query and the pool drops it (`is_broken`), which costs
                // less than doubling the round trips of one-statement reads.
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(move |path| {
                    let counter = counter.clone();
                    let path = path.to_owned();
                    async move {
                        let conn = tokio::task::spawn_blocking(move || open_sqlite(&path))
                            .await
                            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
                        let mut conn = SyncConnectionWrapper::new(conn);
                        conn.set_instrumentation(counter.instrumentation());
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager =
                    AsyncDieselConnectionManager::new_with_config(url.sqlite_path()?, config);
                Pools::Sqlite(
                    Pool::builder(manager)
                        .max_size(options.max_connections)
                        .build()
                        .map_err(pool_error)?,
                )
            }
        };
        let seat_change_notices = match url.backend() {
            Backend::Postgres => {
                SeatChangeNotices::postgres(url.as_str().to_owned(), statements.clone())
            }
            Backend::Sqlite => SeatChangeNotices::in_process(),
        };
        Ok(Self {
            pools,
            statements,
            acquire_timeout: options.acquire_timeout,
            seat_change_notices,
        })
    }

    /// Which backend this store talks to.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Pg(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Counts every SQL statement sent through this store's connections.
    pub fn statements(&self) -> &StatementCounter {
        &self.statements
    }

    /// The process's fan-out of seat-change notices.
    pub(crate) fn seat_change_notices(&self) -> &SeatChangeNotices {
        &self.seat_change_notices
    }

    /// Pool size and idle connections, for metrics.
    pub fn pool_status(&self) -> PoolStatus {
        let status = match &self.pools {
            Pools::Pg(p) => p.status(),
            Pools::Sqlite(p) => p.status(),
        };
        PoolStatus {
            size: status.size,
            available: status.available,
            max_size: status.max_size,
        }
    }

    /// A cheap round trip to the database, for readiness probes.
    pub async fn ping(&self) -> CoreResult<()> {
        read_conn!(self, conn => Ok(on_conn!(conn, c => c.batch_execute("SELECT 1").await)?))?;
        Ok(())
    }

    pub(crate) async fn checkout(&self) -> CoreResult<Pooled> {
        let timeout = self.acquire_timeout;
        let pooled = match &self.pools {
            Pools::Pg(p) => tokio::time::timeout(timeout, p.get())
                .await
                .map_err(|_| {
                    CoreError::Unavailable("timed out waiting for a database connection".into())
                })?
                .map(Pooled::Pg),
            Pools::Sqlite(p) => tokio::time::timeout(timeout, p.get())
                .await
                .map_err(|_| {
                    CoreError::Unavailable("timed out waiting for a database connection".into())
                })?
                .map(Pooled::Sqlite),
        };
        pooled.map_err(|e| CoreError::Unavailable(format!("database connection: {e}")))
    }
}

fn pool_error(e: impl std::fmt::Display) -> CoreError {
    CoreError::Unavailable(format!("building the connection pool: {e}"))
}

/// Open one SQLite connection with the settings every connection needs:
/// WAL so readers never block the writer, a busy timeout so concurrent
/// writers queue instead of failing, and enforced foreign keys.
fn open_sqlite(path: &str) -> Result<SqliteConnection, diesel::ConnectionError> {
    use diesel::Connection as _;
    let mut conn = SqliteConnection::establish(path)?;
    conn.batch_execute(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA busy_timeout = 30000;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}
