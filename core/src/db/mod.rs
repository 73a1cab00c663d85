//! Storage: one set of diesel queries over two backends.
//!
//! [`Store`] owns a connection pool for either PostgreSQL or SQLite. Domain
//! code never names a backend: it receives a [`Conn`], an enum over a borrowed
//! connection of either kind, and runs queries through [`on_conn!`], which
//! expands the same diesel expression once per backend. Queries that differ
//! (row locks exist only on PostgreSQL) say so explicitly with a `match`.

pub mod sql_types;

mod custom_plan;
pub(crate) mod fixed_text;
mod instrumentation;
pub(crate) mod listed_once;
mod migrate;
pub(crate) mod one_statement;
pub mod sqlite_runtime;
#[cfg(test)]
mod tests;
pub(crate) mod unnest;
mod url;

pub(crate) use custom_plan::custom_plan;
pub use instrumentation::StatementCounter;
pub(crate) use one_statement::OneStatement;
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

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::seat_changes::notices::SeatChangeNotices;

/// An async SQLite connection: diesel's synchronous connection run on
/// tokio's blocking pool, or inline for a bounded read
/// ([`sqlite_runtime`]).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, sqlite_runtime::SqliteRuntime>;

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

/// Load every row of `$query` as `$row` on whichever backend `$conn` is,
/// for a hot read with many rows: `load_rows!(conn, query => (String, i64))`
/// evaluates to `QueryResult<Vec<$row>>`.
///
/// Why not [`on_conn!`] with diesel-async's `load`: on SQLite that copies
/// every value of every row into an owned row on the blocking thread, then
/// decodes the copy again on the async side, so each text column costs two
/// allocations and two copies. Here the rows are decoded on the blocking
/// thread straight from the statement, as the synchronous connection does.
/// The statement cache, the statement counter and the transaction state are
/// the wrapped connection's own either way. The query must own its bound
/// values (`Send + 'static`); PostgreSQL is unchanged.
macro_rules! load_rows {
    ($conn:expr, $query:expr => $row:ty) => {{
        let query = $query;
        let loaded: diesel::QueryResult<Vec<$row>> = match $conn {
            $crate::db::Conn::Pg(c) => diesel_async::RunQueryDsl::load(query, *c).await,
            $crate::db::Conn::Sqlite(c) => {
                $crate::db::sqlite_runtime::inline(|| {
                    c.spawn_blocking(move |c| diesel::RunQueryDsl::load(query, c))
                })
                .await
            }
        };
        loaded
    }};
}
pub(crate) use load_rows;

/// Insert many rows in one statement (per chunk) on either backend.
///
/// diesel-async cannot run diesel's SQLite multi-row INSERT (diesel
/// implements it for the synchronous connection only), so on SQLite the
/// insert runs on the wrapped synchronous connection via `spawn_blocking`.
/// Row types must derive `Insertable` with `treat_none_as_default_value =
/// false`: without it diesel's derive makes *every* field defaultable (not
/// only the `Option` ones), and SQLite then gets one INSERT per row inside
/// a savepoint (a 100-member group PATCH was 100 statements). Tuples of
/// `column.eq(value)` need nothing.
///
/// One row (a single-user write, the common case) goes as a one-row
/// INSERT: its text is fixed, so diesel prepares it once per connection
/// and reuses it, where it prepares a multi-row INSERT anew every time
/// (PostgreSQL parses and plans it again; measured in the server's log at
/// about 0.1 ms a statement).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows: Vec<_> = $rows;
        let inserted: diesel::QueryResult<usize> = match $conn {
            $crate::db::Conn::Pg(c) => match <[_; 1]>::try_from(rows) {
                Ok([row]) => {
                    diesel_async::RunQueryDsl::execute(diesel::insert_into($table).values(row), *c)
                        .await
                }
                Err(rows) => {
                    diesel_async::RunQueryDsl::execute(diesel::insert_into($table).values(rows), *c)
                        .await
                }
            },
            $crate::db::Conn::Sqlite(c) => {
                c.spawn_blocking(move |c| match <[_; 1]>::try_from(rows) {
                    Ok([row]) => {
                        diesel::RunQueryDsl::execute(diesel::insert_into($table).values(&row), c)
                    }
                    Err(rows) => {
                        diesel::RunQueryDsl::execute(diesel::insert_into($table).values(&rows), c)
                    }
                })
                .await
            }
        };
        inserted
    }};
}
pub(crate) use insert_rows;

/// Insert rows into several tables, all or nothing, in as few statements
/// as the backend allows, for a write that is nothing but these INSERTs
/// (no read, no lock, no seat rule: those need [`write_txn!`]).
///
/// `insert_together!(store, users::table => vec![user], audit_events::table
/// => vec![event])`: each `$rows` is an owned `Vec` of `Insertable` rows
/// (an empty one is skipped). PostgreSQL gets one statement, joined by
/// [`OneStatement`], outside any transaction (a single statement is
/// atomic); SQLite gets `BEGIN IMMEDIATE`, one INSERT per table (see
/// [`insert_rows!`]) and COMMIT. Evaluates to `CoreResult<()>`; a
/// constraint violation is the `CoreError::Database` it was.
macro_rules! insert_together {
    ($store:expr, $($table:expr => $rows:expr),+ $(,)?) => {{
        let store: &$crate::db::Store = $store;
        let inserted: $crate::error::CoreResult<()> = match store.backend() {
            $crate::db::Backend::Postgres => {
                let mut pooled = store.checkout().await?;
                match pooled.as_conn() {
                    $crate::db::Conn::Pg(c) => {
                        let mut parts: Vec<$crate::db::one_statement::Part<'_>> = Vec::new();
                        $(
                            let rows = $rows;
                            if !rows.is_empty() {
                                parts.push(Box::new(diesel::insert_into($table).values(rows)));
                            }
                        )+
                        diesel_async::RunQueryDsl::execute($crate::db::OneStatement::new(parts), c)
                            .await
                            .map(|_| ())
                            .map_err($crate::error::CoreError::from)
                    }
                    $crate::db::Conn::Sqlite(_) => Err($crate::error::CoreError::Internal(
                        "a PostgreSQL store handed out a SQLite connection".into(),
                    )),
                }
            }
            $crate::db::Backend::Sqlite => $crate::db::write_txn!(store, conn => {
                $(
                    let rows = $rows;
                    if !rows.is_empty() {
                        $crate::db::insert_rows!(conn, $table, rows)?;
                    }
                )+
                Ok(())
            }),
        };
        inserted
    }};
}
pub(crate) use insert_together;

/// Run `$body` (an expression that may use `?`) inside a write transaction,
/// with `$conn: &mut Conn`. Commits when it returns `Ok`, rolls back on `Err`.
///
/// PostgreSQL uses a normal (READ COMMITTED) transaction: writers serialise on
/// the row locks they take (see `crate::locks`). SQLite uses `BEGIN IMMEDIATE`,
/// which takes the database write lock up front, so two writers never
/// interleave and a read-then-write transaction cannot fail half way with
/// `SQLITE_BUSY`. If the future is dropped mid-way (a client hung up), the
/// [`Pooled`] guard takes the connection out of the pool and closes it, which
/// rolls the transaction back: no one else can check out a connection still
/// inside it (see `Pooled`'s `Drop`).
macro_rules! write_txn {
    ($store:expr, $conn:ident => $body:expr) => {{
        let mut pooled = $store.checkout().await?;
        pooled.begin_write().await?;
        let (result, tracked) = $crate::events::wake::tracking(async {
            let $conn = &mut pooled.as_conn();
            let result: $crate::error::CoreResult<_> = async { $body }.await;
            result
        })
        .await;
        let finished = pooled.finish_writing(result, tracked.pending).await;
        if finished.is_ok() && tracked.wrote_events {
            $store.events_committed();
        }
        finished
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
    async fn begin_write(&mut self) -> CoreResult<()> {
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

    /// Commit or roll back; the outcome, and whether the transaction is
    /// now closed (false when COMMIT or ROLLBACK itself failed). On `Ok`,
    /// the transaction's `pending` outbox rows are written first, inside it
    /// (on SQLite in COMMIT's hop to the blocking pool); if that fails,
    /// nothing commits and the write gets the error.
    async fn finish<T>(
        &mut self,
        result: CoreResult<T>,
        pending: crate::events::Pending,
    ) -> (CoreResult<T>, bool) {
        let error = match result {
            Ok(value) => match self.commit(pending).await {
                Ok(()) => return (Ok(value), true),
                Err(Unfinished::CommitFailed(e)) => return (Err(e), false),
                // Still inside the transaction: roll it back below.
                Err(Unfinished::OutboxFailed(e)) => e,
            },
            Err(error) => error,
        };
        let rolled_back = match self {
            Conn::Pg(c) => AnsiTransactionManager::rollback_transaction(*c).await,
            Conn::Sqlite(c) => {
                <SqliteConn as AsyncConnection>::TransactionManager::rollback_transaction(*c).await
            }
        };
        match rolled_back {
            Ok(()) => (Err(error), true),
            Err(rollback_error) => {
                // The guard discards the connection; the caller
                // needs the original error, not this one.
                tracing::warn!(%rollback_error, "rollback failed");
                (Err(error), false)
            }
        }
    }

    /// Write `pending` outbox rows and COMMIT.
    async fn commit(&mut self, pending: crate::events::Pending) -> Result<(), Unfinished> {
        match self {
            Conn::Pg(c) => {
                if !pending.is_empty() {
                    let mut conn = Conn::Pg(c);
                    crate::events::write_pending(&mut conn, pending)
                        .await
                        .map_err(Unfinished::OutboxFailed)?;
                }
                AnsiTransactionManager::commit_transaction(*c)
                    .await
                    .map_err(|e| Unfinished::CommitFailed(e.into()))
            }
            Conn::Sqlite(c) if pending.is_empty() => {
                <SqliteConn as AsyncConnection>::TransactionManager::commit_transaction(*c)
                    .await
                    .map_err(|e| Unfinished::CommitFailed(e.into()))
            }
            Conn::Sqlite(c) => {
                // One hop for both: the outbox adds no hop of its own.
                let outcome = c
                    .spawn_blocking(move |c| {
                        use diesel::connection::{
                            AnsiTransactionManager as SyncTransactionManager,
                            TransactionManager as _,
                        };
                        if let Err(e) = crate::events::write_pending_sqlite(c, pending) {
                            return Ok(Err(e));
                        }
                        SyncTransactionManager::commit_transaction(c).map(Ok)
                    })
                    .await;
                match outcome {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(outbox)) => Err(Unfinished::OutboxFailed(outbox.into())),
                    Err(commit) => Err(Unfinished::CommitFailed(commit.into())),
                }
            }
        }
    }
}

/// Why a transaction did not commit.
enum Unfinished {
    /// Writing its outbox rows failed: the transaction is still open.
    OutboxFailed(CoreError),
    /// COMMIT itself failed (or its hop did): the transaction may be open.
    CommitFailed(CoreError),
}

/// A connection checked out of the pool, and whether a transaction may be
/// open on it.
///
/// Why a guard: a request future can be dropped at any `.await` (the client
/// hung up, a timeout fired). Without it the connection would go back to the
/// pool inside its transaction, still holding its locks (on SQLite the
/// database write lock of `BEGIN IMMEDIATE`, which the pool's `is_broken`
/// check does not see), and the next request to check it out would stall or
/// fail. On drop with a transaction possibly open, the guard detaches the
/// connection from the pool and closes it; closing rolls the transaction
/// back on both backends.
pub(crate) struct Pooled {
    // `None` only after `Drop` took it.
    object: Option<PooledObject>,
    // Set before `BEGIN` is sent and cleared only once COMMIT or ROLLBACK
    // succeeded, so a drop at any point in between discards the connection.
    transaction_open: bool,
}

// One lives per in-flight operation, on the stack of its future; boxing the
// larger PostgreSQL variant would add an allocation to every checkout.
#[allow(clippy::large_enum_variant)]
enum PooledObject {
    Pg(Object<AsyncPgConnection>),
    Sqlite(Object<SqliteConn>),
}

impl Pooled {
    fn new(object: PooledObject) -> Self {
        Self {
            object: Some(object),
            transaction_open: false,
        }
    }

    pub(crate) fn as_conn(&mut self) -> Conn<'_> {
        match self.object.as_mut() {
            Some(PooledObject::Pg(c)) => Conn::Pg(c),
            Some(PooledObject::Sqlite(c)) => Conn::Sqlite(c),
            None => unreachable!("a Pooled keeps its connection until dropped"),
        }
    }

    /// Open the write transaction (see [`write_txn!`]).
    pub(crate) async fn begin_write(&mut self) -> CoreResult<()> {
        self.transaction_open = true;
        let begun = self.as_conn().begin_write().await;
        if begun.is_err() {
            // BEGIN failed, so no transaction was opened; the connection
            // itself is fine (e.g. SQLite's busy timeout ran out).
            self.transaction_open = false;
        }
        begun
    }

    /// Commit on `Ok`, roll back on `Err`; the caller gets `result` back
    /// (or the commit's error).
    pub(crate) async fn finish<T>(&mut self, result: CoreResult<T>) -> CoreResult<T> {
        self.finish_writing(result, crate::events::Pending::default())
            .await
    }

    /// [`Pooled::finish`] for a transaction that recorded outbox rows
    /// (`pending`, see `events/wake.rs`): they are written inside it, just
    /// before COMMIT.
    pub(crate) async fn finish_writing<T>(
        &mut self,
        result: CoreResult<T>,
        pending: crate::events::Pending,
    ) -> CoreResult<T> {
        let (finished, clean) = self.as_conn().finish(result, pending).await;
        // A failed COMMIT or ROLLBACK may leave the transaction open: keep
        // the flag, so `Drop` discards the connection.
        if clean {
            self.transaction_open = false;
        }
        finished
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if !self.transaction_open {
            return;
        }
        // Detach from the pool (it will open a fresh connection when
        // needed) and close. A SQLite statement still running on the
        // blocking pool keeps the connection alive until it returns; it is
        // closed, and its transaction rolled back, right after.
        match self.object.take() {
            Some(PooledObject::Pg(object)) => drop(Object::take(object)),
            Some(PooledObject::Sqlite(object)) => drop(Object::take(object)),
            None => return,
        }
        tracing::warn!(
            "a request ended inside its database transaction; \
             its connection was closed and the transaction rolled back"
        );
    }
}

#[derive(Clone)]
enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// Settings for opening a [`Store`].
///
/// The time limits keep one stuck statement, lock or client from holding a
/// connection (and what it locked) for longer than a request can wait.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Largest number of pooled connections.
    pub max_connections: usize,
    /// Largest number of pooled SQLite connections (the pool is the smaller
    /// of this and [`StoreOptions::max_connections`]). SQLite has one
    /// writer at a time and its readers run on this process's own CPUs, so
    /// connections beyond a few only queue on the write lock or the cores,
    /// while each keeps its own page cache and prepared statements.
    pub sqlite_max_connections: usize,
    /// SQLite page cache per connection, in KiB (`PRAGMA cache_size =
    /// -N`). The process holds up to this times the pool size; a bulk
    /// import, with one connection, wants far more (see
    /// [`StoreOptions::bulk_import`]).
    pub sqlite_cache_kib: u32,
    /// SQLite `wal_autocheckpoint`: a commit that leaves the write-ahead
    /// log longer than this many pages copies it into the database file
    /// (and waits for two fsyncs).
    pub sqlite_checkpoint_pages: u32,
    /// SQLite `mmap_size`, in MiB: how much of the database file each
    /// connection reads through one shared memory map instead of copying
    /// pages into its own cache with a system call per page. 0 turns it off.
    pub sqlite_mmap_mib: u32,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// How long opening one connection may take (PostgreSQL: TCP, TLS and
    /// start-up), so an unreachable server fails fast instead of hanging.
    pub connect_timeout: Duration,
    /// PostgreSQL `statement_timeout`: the longest one statement may run.
    pub statement_timeout: Duration,
    /// PostgreSQL `lock_timeout`: the longest one statement waits for a
    /// row or table lock another transaction holds.
    pub lock_timeout: Duration,
    /// PostgreSQL `idle_in_transaction_session_timeout`: the server ends a
    /// session that sits idle inside a transaction this long (a stalled
    /// process), releasing its locks.
    pub idle_in_transaction_timeout: Duration,
    /// SQLite `busy_timeout`: how long a writer waits for the database write
    /// lock before failing.
    pub sqlite_busy_timeout: Duration,
    /// Coalesce concurrent users-only (un)assignments of one app into one
    /// transaction (`licensing/group_commit.rs`). Off: each runs alone, as
    /// before group commit (kept to measure it against).
    pub group_commit: bool,
}

impl StoreOptions {
    /// Default [`StoreOptions::statement_timeout`]. Seatwise's statements
    /// are short: bulk writes are chunked, and each statement of a
    /// 10,000-member group assignment takes well under a second.
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default [`StoreOptions::lock_timeout`]: writers to one app queue
    /// behind each other; ten seconds is many queued assignments.
    pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default [`StoreOptions::idle_in_transaction_timeout`]: the server
    /// never waits on anything but the database inside a transaction.
    pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default [`StoreOptions::sqlite_busy_timeout`], the same bound as a
    /// PostgreSQL lock wait.
    pub const DEFAULT_SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default [`StoreOptions::sqlite_max_connections`]. SQLite has one
    /// writer and its readers share this process's cores, so more
    /// connections only queue, each with its own page cache and prepared
    /// statements: a pool of 4 measured 58–81 MB peak RSS with more
    /// requests/s in every scenario, against 97–108 MB with 16
    /// (bench/README.md, "SQLite memory").
    pub const DEFAULT_SQLITE_MAX_CONNECTIONS: usize = 4;
    /// Default [`StoreOptions::sqlite_cache_kib`]: SQLite's own default
    /// (2,000 KiB).
    pub const DEFAULT_SQLITE_CACHE_KIB: u32 = 2_000;
    /// Default [`StoreOptions::sqlite_checkpoint_pages`]: SQLite's own
    /// default (1,000 pages, 4 MB).
    pub const DEFAULT_SQLITE_CHECKPOINT_PAGES: u32 = 1_000;
    /// Default [`StoreOptions::sqlite_mmap_mib`].
    pub const DEFAULT_SQLITE_MMAP_MIB: u32 = 0;
    /// [`StoreOptions::sqlite_cache_kib`] of a bulk import.
    pub const BULK_IMPORT_SQLITE_CACHE_KIB: u32 = 32 * 1024;
    /// [`StoreOptions::sqlite_checkpoint_pages`] of a bulk import.
    pub const BULK_IMPORT_SQLITE_CHECKPOINT_PAGES: u32 = 16 * 1024;

    /// These options made for one process writing a large batch after
    /// another (the CLI's CSV import), one at a time.
    ///
    /// Why: every batch inserts into the users' and search terms' indexes
    /// at random places, so once the indexes outgrow SQLite's 2 MB page
    /// cache nearly every row reads an index page back from the file and
    /// writes it to the log again, and each commit's checkpoint copies the
    /// touched pages into the database file and waits for its fsync (a
    /// 100,000-user import: 1 million page writes, 1 million reads, 61
    /// fsyncs of about half a second each). One connection with a larger,
    /// fixed cache keeps the indexes' hot pages between batches, and a
    /// longer log between checkpoints copies a page touched by several
    /// batches once. Memory stays bounded by the cache, whatever the
    /// file's size. PostgreSQL is unaffected but for the pool size.
    pub fn bulk_import(self) -> Self {
        Self {
            max_connections: 1,
            sqlite_cache_kib: self
                .sqlite_cache_kib
                .max(Self::BULK_IMPORT_SQLITE_CACHE_KIB),
            sqlite_checkpoint_pages: self
                .sqlite_checkpoint_pages
                .max(Self::BULK_IMPORT_SQLITE_CHECKPOINT_PAGES),
            ..self
        }
    }

    /// The SQLite pool's size: the smaller of the two limits, at least 1.
    pub fn sqlite_pool_size(&self) -> usize {
        self.max_connections.min(self.sqlite_max_connections).max(1)
    }

    /// [`StoreOptions::sqlite_mmap_mib`] in bytes, as `PRAGMA mmap_size`
    /// takes it.
    pub fn sqlite_mmap_bytes(&self) -> u64 {
        mib_to_bytes(self.sqlite_mmap_mib)
    }
}

fn mib_to_bytes(mib: u32) -> u64 {
    u64::from(mib) << 20
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            sqlite_max_connections: Self::DEFAULT_SQLITE_MAX_CONNECTIONS,
            sqlite_cache_kib: Self::DEFAULT_SQLITE_CACHE_KIB,
            sqlite_checkpoint_pages: Self::DEFAULT_SQLITE_CHECKPOINT_PAGES,
            sqlite_mmap_mib: Self::DEFAULT_SQLITE_MMAP_MIB,
            acquire_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Self::DEFAULT_STATEMENT_TIMEOUT,
            lock_timeout: Self::DEFAULT_LOCK_TIMEOUT,
            idle_in_transaction_timeout: Self::DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT,
            sqlite_busy_timeout: Self::DEFAULT_SQLITE_BUSY_TIMEOUT,
            group_commit: true,
        }
    }
}

/// The `SET` statements every PostgreSQL session starts with.
fn postgres_session_settings(options: &StoreOptions) -> String {
    format!(
        "SET statement_timeout = {}; SET lock_timeout = {}; \
         SET idle_in_transaction_session_timeout = {};",
        options.statement_timeout.as_millis(),
        options.lock_timeout.as_millis(),
        options.idle_in_transaction_timeout.as_millis(),
    )
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
    clock: Clock,
    group_commit: std::sync::Arc<crate::licensing::GroupCommit>,
    group_commit_enabled: bool,
    outbox_wake: crate::events::wake::OutboxWake,
    /// PostgreSQL: tells other replicas of this process's outbox commits.
    outbox_announcer: Option<crate::events::announce::OutboxAnnouncer>,
}

/// A new PostgreSQL connection to `url`, or an error once `timeout` has
/// passed (a host that drops packets would otherwise hold the caller for
/// the operating system's TCP timeout).
pub(crate) async fn establish_pg(
    url: &str,
    timeout: Duration,
) -> diesel::ConnectionResult<AsyncPgConnection> {
    tokio::time::timeout(timeout, AsyncPgConnection::establish(url))
        .await
        .map_err(|_| {
            diesel::ConnectionError::BadConnection(format!("no connection within {timeout:?}"))
        })?
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
                let session = postgres_session_settings(&options);
                let connect_timeout = options.connect_timeout;
                config.custom_setup = Box::new(move |url| {
                    let counter = counter.clone();
                    let session = session.clone();
                    async move {
                        let mut conn = establish_pg(url, connect_timeout).await?;
                        // Before instrumenting: set-up is not a request's statement.
                        conn.batch_execute(&session)
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
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
                let settings = SqliteSettings {
                    busy_timeout: options.sqlite_busy_timeout,
                    cache_kib: options.sqlite_cache_kib,
                    checkpoint_pages: options.sqlite_checkpoint_pages,
                    mmap_mib: options.sqlite_mmap_mib,
                };
                config.custom_setup = Box::new(move |path| {
                    let counter = counter.clone();
                    let path = path.to_owned();
                    async move {
                        let conn =
                            tokio::task::spawn_blocking(move || open_sqlite(&path, settings))
                                .await
                                .map_err(|e| {
                                    diesel::ConnectionError::BadConnection(e.to_string())
                                })??;
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
                        // The connection used last goes out first: hot reads run
                        // on the async workers (`sqlite_runtime`), so two or so
                        // connections serve them and their page caches stay
                        // warm, where taking each in turn spread the reads
                        // over every connection's cold cache (bench/README.md,
                        // "2026-12-05 (evening)").
                        .queue_mode(deadpool::managed::QueueMode::Lifo)
                        .max_size(options.sqlite_pool_size())
                        .build()
                        .map_err(pool_error)?,
                )
            }
        };
        let outbox_wake = crate::events::wake::OutboxWake::default();
        let (seat_change_notices, outbox_announcer) = match url.backend() {
            Backend::Postgres => {
                use crate::events::announce::{Origin, OutboxAnnouncer};
                let origin = Origin::new();
                let url = url.as_str().to_owned();
                let notices =
                    SeatChangeNotices::postgres(url.clone(), outbox_wake.clone(), origin.clone());
                let announcer = OutboxAnnouncer::new(url, origin, options.connect_timeout);
                (notices, Some(announcer))
            }
            Backend::Sqlite => (SeatChangeNotices::in_process(), None),
        };
        Ok(Self {
            pools,
            statements,
            acquire_timeout: options.acquire_timeout,
            seat_change_notices,
            clock: Clock::System,
            group_commit: Default::default(),
            group_commit_enabled: options.group_commit,
            outbox_wake,
            outbox_announcer,
        })
    }

    /// This store reading the time from `clock` (see [`Clock`]): tests set
    /// the date with a manual clock; production keeps the system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Where this store reads "now" and "today".
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The queues that coalesce concurrent writes to one app's seats
    /// (`licensing/group_commit.rs`), shared by clones of this store.
    pub(crate) fn group_commit(&self) -> &crate::licensing::GroupCommit {
        &self.group_commit
    }

    /// Whether [`StoreOptions::group_commit`] is on.
    pub(crate) fn group_commit_enabled(&self) -> bool {
        self.group_commit_enabled
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

    /// Woken after this process committed a transaction that wrote
    /// webhook events, and, once [`Store::listen_for_outbox_commits`] ran
    /// (PostgreSQL), after any replica did (the delivery worker waits on it
    /// between polls).
    pub fn outbox_wake(&self) -> &crate::events::wake::OutboxWake {
        &self.outbox_wake
    }

    /// A write transaction that wrote webhook events has committed: wake
    /// this process's delivery worker, and (PostgreSQL) have the other
    /// replicas' woken, after the commit and off the caller's path.
    pub(crate) fn events_committed(&self) {
        self.outbox_wake.committed();
        if let Some(announcer) = &self.outbox_announcer {
            announcer.committed();
        }
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
                .map(|o| Pooled::new(PooledObject::Pg(o))),
            Pools::Sqlite(p) => tokio::time::timeout(timeout, p.get())
                .await
                .map_err(|_| {
                    CoreError::Unavailable("timed out waiting for a database connection".into())
                })?
                .map(|o| Pooled::new(PooledObject::Sqlite(o))),
        };
        pooled.map_err(|e| CoreError::Unavailable(format!("database connection: {e}")))
    }
}

fn pool_error(e: impl std::fmt::Display) -> CoreError {
    CoreError::Unavailable(format!("building the connection pool: {e}"))
}

/// What each SQLite connection is opened with (from [`StoreOptions`]).
#[derive(Debug, Clone, Copy)]
struct SqliteSettings {
    busy_timeout: Duration,
    cache_kib: u32,
    checkpoint_pages: u32,
    mmap_mib: u32,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        Self {
            busy_timeout: StoreOptions::DEFAULT_SQLITE_BUSY_TIMEOUT,
            cache_kib: StoreOptions::DEFAULT_SQLITE_CACHE_KIB,
            checkpoint_pages: StoreOptions::DEFAULT_SQLITE_CHECKPOINT_PAGES,
            mmap_mib: StoreOptions::DEFAULT_SQLITE_MMAP_MIB,
        }
    }
}

/// Open one SQLite connection with the settings every connection needs:
/// WAL so readers never block the writer, a busy timeout so concurrent
/// writers queue instead of failing, enforced foreign keys, and a bounded
/// page cache.
fn open_sqlite(
    path: &str,
    settings: SqliteSettings,
) -> Result<SqliteConnection, diesel::ConnectionError> {
    use diesel::Connection as _;
    let mut conn = SqliteConnection::establish(path)?;
    conn.batch_execute(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA busy_timeout = {};
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -{};
         PRAGMA wal_autocheckpoint = {};
         PRAGMA mmap_size = {};",
        settings.busy_timeout.as_millis(),
        settings.cache_kib.max(1),
        settings.checkpoint_pages.max(1),
        mib_to_bytes(settings.mmap_mib),
    ))
    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}
