//! Embedded migrations, applied at start and by `seatwise migrate`.

use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, DatabaseUrl, Store};
use crate::error::{CoreError, CoreResult};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Serialises migrations of several replicas starting at once on PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x5ea7_0001;

impl Store {
    /// Apply every pending migration; returns the versions applied (empty
    /// when the schema was already current).
    pub async fn migrate(url: &DatabaseUrl) -> CoreResult<Vec<String>> {
        let url = url.clone();
        tokio::task::spawn_blocking(move || match url.backend() {
            Backend::Postgres => {
                let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url.as_str())
                    .map_err(|e| {
                        CoreError::Unavailable(format!("connecting to PostgreSQL: {e}"))
                    })?;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
                let applied = run(&mut conn, POSTGRES);
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
                applied
            }
            Backend::Sqlite => {
                let busy = super::StoreOptions::DEFAULT_SQLITE_BUSY_TIMEOUT;
                let mut conn = super::open_sqlite(url.sqlite_path()?, busy)
                    .map_err(|e| CoreError::Unavailable(format!("opening SQLite: {e}")))?;
                run(&mut conn, SQLITE)
            }
        })
        .await
        .map_err(|e| CoreError::Internal(format!("migration task failed: {e}")))?
    }
}

fn run<C>(conn: &mut C, migrations: EmbeddedMigrations) -> CoreResult<Vec<String>>
where
    C: MigrationHarness<C::Backend> + diesel::Connection,
{
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|e| CoreError::Internal(format!("migration failed: {e}")))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}
