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
        migrate_until(url, None).await
    }

    /// Apply the pending migrations up to and including `version` (as
    /// [`Store::migrate`] reports it, e.g. `20261202000001`) only: a test of
    /// a migration first fills the schema it starts from.
    #[cfg(any(test, feature = "testing"))]
    pub async fn migrate_through(url: &DatabaseUrl, version: &str) -> CoreResult<Vec<String>> {
        migrate_until(url, Some(version.to_owned())).await
    }

    /// Revert the last applied migration (its `down.sql`); returns its
    /// version. For tests that a migration can be undone.
    #[cfg(any(test, feature = "testing"))]
    pub async fn revert_last_migration(url: &DatabaseUrl) -> CoreResult<String> {
        let url = url.clone();
        let failed = |e| CoreError::Internal(format!("reverting a migration failed: {e}"));
        tokio::task::spawn_blocking(move || match url.backend() {
            Backend::Postgres => {
                let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url.as_str())
                    .map_err(|e| {
                        CoreError::Unavailable(format!("connecting to PostgreSQL: {e}"))
                    })?;
                let version = conn.revert_last_migration(POSTGRES).map_err(failed)?;
                Ok(version.to_string())
            }
            Backend::Sqlite => {
                let mut conn =
                    super::open_sqlite(url.sqlite_path()?, super::SqliteSettings::default())
                        .map_err(|e| CoreError::Unavailable(format!("opening SQLite: {e}")))?;
                let version = conn.revert_last_migration(SQLITE).map_err(failed)?;
                Ok(version.to_string())
            }
        })
        .await
        .map_err(|e| CoreError::Internal(format!("migration task failed: {e}")))?
    }
}

async fn migrate_until(url: &DatabaseUrl, last: Option<String>) -> CoreResult<Vec<String>> {
    let url = url.clone();
    tokio::task::spawn_blocking(move || match url.backend() {
        Backend::Postgres => {
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url.as_str())
                .map_err(|e| CoreError::Unavailable(format!("connecting to PostgreSQL: {e}")))?;
            conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let applied = run(&mut conn, POSTGRES, last.as_deref());
            conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            applied
        }
        Backend::Sqlite => {
            let mut conn = super::open_sqlite(url.sqlite_path()?, super::SqliteSettings::default())
                .map_err(|e| CoreError::Unavailable(format!("opening SQLite: {e}")))?;
            run(&mut conn, SQLITE, last.as_deref())
        }
    })
    .await
    .map_err(|e| CoreError::Internal(format!("migration task failed: {e}")))?
}

/// Every pending migration, or (with `last`) those up to `last` one by one.
fn run<C>(
    conn: &mut C,
    migrations: EmbeddedMigrations,
    last: Option<&str>,
) -> CoreResult<Vec<String>>
where
    C: MigrationHarness<C::Backend> + diesel::Connection,
{
    let failed = |e| CoreError::Internal(format!("migration failed: {e}"));
    let Some(last) = last else {
        let applied = conn.run_pending_migrations(migrations).map_err(failed)?;
        return Ok(applied.iter().map(|v| v.to_string()).collect());
    };
    let mut applied = Vec::new();
    for migration in conn.pending_migrations(migrations).map_err(failed)? {
        let version = conn.run_migration(&*migration).map_err(failed)?;
        applied.push(version.to_string());
        if applied.last().is_some_and(|v| v == last) {
            return Ok(applied);
        }
    }
    Err(CoreError::Internal(format!(
        "no pending migration {last}; applied {applied:?}"
    )))
}
