//! Throw-away databases for this workspace's tests (core storage tests and
//! the end-to-end tests). Not used by the server.
//!
//! Every test gets its own database: a fresh SQLite file in a temporary
//! folder, or a fresh PostgreSQL database created on the server named by
//! `SEATWISE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Both are removed when the
//! [`TestDatabase`] is dropped, so tests run in parallel and leave nothing.
//!
//! When PostgreSQL cannot be reached, [`TestDatabase::postgres`] returns
//! `None` and prints why, so the test passes as skipped on a laptop without
//! PostgreSQL; with `SEATWISE_REQUIRE_POSTGRES=1` (CI) it panics instead.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::path::PathBuf;

use crate::db::{Backend, DatabaseUrl, Store, StoreOptions};

/// Where PostgreSQL tests create their databases.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// A database that exists for one test.
pub struct TestDatabase {
    url: DatabaseUrl,
    cleanup: Cleanup,
}

impl TestDatabase {
    /// A new, migrated SQLite database in its own temporary folder.
    pub async fn sqlite() -> Self {
        Self::sqlite_migrated(None).await
    }

    /// A new SQLite database migrated only through `version` (see
    /// [`Store::migrate_through`]), to test the migrations after it.
    pub async fn sqlite_through(version: &str) -> Self {
        Self::sqlite_migrated(Some(version)).await
    }

    async fn sqlite_migrated(through: Option<&str>) -> Self {
        let dir =
            std::env::temp_dir().join(format!("seatwise-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create a temporary folder for the test database");
        let url: DatabaseUrl = format!("sqlite://{}", dir.join("seatwise.db").display())
            .parse()
            .expect("valid SQLite URL");
        let db = Self {
            url,
            cleanup: Cleanup::Sqlite(dir),
        };
        db.migrate(through).await;
        db
    }

    async fn migrate(&self, through: Option<&str>) {
        match through {
            None => Store::migrate(&self.url).await,
            Some(version) => Store::migrate_through(&self.url, version).await,
        }
        .expect("migrate the test database");
    }

    /// A new, migrated PostgreSQL database, or `None` (with a message) when
    /// PostgreSQL is not reachable and `SEATWISE_REQUIRE_POSTGRES` is not 1.
    pub async fn postgres() -> Option<Self> {
        Self::postgres_migrated(None).await
    }

    /// A new PostgreSQL database migrated only through `version`, or `None`
    /// as [`TestDatabase::postgres`].
    pub async fn postgres_through(version: &str) -> Option<Self> {
        Self::postgres_migrated(Some(version)).await
    }

    /// A new database on this one's backend, migrated only through
    /// `version`: a test run on both backends that upgrades from an earlier
    /// schema starts from it.
    pub async fn same_backend_through(&self, version: &str) -> Self {
        match self.url.backend() {
            Backend::Sqlite => Self::sqlite_through(version).await,
            Backend::Postgres => Self::postgres_through(version)
                .await
                .expect("PostgreSQL is reachable: this database is on it"),
        }
    }

    async fn postgres_migrated(through: Option<&str>) -> Option<Self> {
        let admin_url = std::env::var("SEATWISE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let required = std::env::var("SEATWISE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let mut admin = match AsyncPgConnection::establish(&admin_url).await {
            Ok(conn) => conn,
            Err(e) if !required => {
                eprintln!(
                    "SKIPPED: PostgreSQL test: cannot connect to {admin_url} ({e}); \
                     set SEATWISE_TEST_POSTGRES_URL, or SEATWISE_REQUIRE_POSTGRES=1 to fail instead"
                );
                return None;
            }
            Err(e) => panic!(
                "SEATWISE_REQUIRE_POSTGRES=1 but PostgreSQL at {admin_url} is unreachable: {e}"
            ),
        };
        Some(Self::postgres_with(&mut admin, admin_url, through).await)
    }

    /// A new, migrated PostgreSQL database on the server at `admin_url` (a
    /// throwaway cluster a test starts and stops, say). Panics when the
    /// server cannot be reached.
    pub async fn postgres_at(admin_url: &str) -> Self {
        let mut admin = AsyncPgConnection::establish(admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is unreachable: {e}"));
        Self::postgres_with(&mut admin, admin_url.to_owned(), None).await
    }

    async fn postgres_with(
        admin: &mut AsyncPgConnection,
        admin_url: String,
        through: Option<&str>,
    ) -> Self {
        let name = format!("seatwise_test_{}", uuid::Uuid::new_v4().simple());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        let url = replace_database(&admin_url, &name)
            .parse()
            .expect("valid PostgreSQL URL");
        let db = Self {
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        };
        db.migrate(through).await;
        db
    }

    /// Its URL, e.g. to start a server on it.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A new connection pool on it (each call is an independent pool, as a
    /// separate server replica would have).
    pub async fn store(&self) -> Store {
        self.store_with(StoreOptions::default()).await
    }

    /// A new connection pool on it with `options` (e.g. one connection, so
    /// a test can read what that connection keeps prepared).
    pub async fn store_with(&self, options: StoreOptions) -> Store {
        Store::connect(&self.url, options)
            .await
            .expect("connect to the test database")
    }
}

/// `postgres://u@h:5432/postgres?x=y` with its database replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime, which may be shutting
                // down; a separate thread with its own runtime always works.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(mut admin) = AsyncPgConnection::establish(&admin_url).await {
                            let _ = admin
                                .batch_execute(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Declare storage tests that run once on SQLite and once on PostgreSQL.
///
/// Each name is an `async fn name(db: &TestDatabase)` in scope; the macro
/// makes a module `name` with the tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! test_on_both_backends {
    // On one thread: for tests that count statements through DataLoaders.
    // A loader's batch is sent by a task woken 1 ms after its first key; on
    // a multi-thread runtime that task may run on the other worker while a
    // loaded machine is still resolving the page's fields, and split the
    // batch. On one thread it runs only once the resolvers wait, so a batch
    // is one resolver pass, which is what a statement budget pins.
    (one_thread: $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "current_thread")]
                async fn sqlite() {
                    let db = $crate::testing::TestDatabase::sqlite().await;
                    super::$name(&db).await;
                }

                #[tokio::test(flavor = "current_thread")]
                async fn postgres() {
                    let Some(db) = $crate::testing::TestDatabase::postgres().await else {
                        return;
                    };
                    super::$name(&db).await;
                }
            }
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = $crate::testing::TestDatabase::sqlite().await;
                    super::$name(&db).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(db) = $crate::testing::TestDatabase::postgres().await else {
                        return;
                    };
                    super::$name(&db).await;
                }
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            super::replace_database("postgres://h?sslmode=disable", "t1"),
            "postgres://h/t1?sslmode=disable"
        );
    }
}
