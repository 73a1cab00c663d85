//! A write transaction whose future is dropped half way (its client hung up,
//! a timeout fired) leaves nothing behind: the next writer to the same rows
//! proceeds at once, and what the dropped transaction wrote is gone.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::{Store, StoreOptions, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult};
use crate::model::Actor;
use crate::schema::tenants;
use crate::test_on_both_backends;
use crate::testing::TestDatabase;

/// Rename `tenant` inside a write transaction, then wait forever: the
/// transaction is open, holding its locks, when the caller drops it.
async fn rename_and_hang(store: Store, tenant: crate::ids::TenantId) -> CoreResult<()> {
    write_txn!(store, conn => {
        on_conn!(conn, c => diesel::update(tenants::table.filter(tenants::tenant_id.eq(tenant)))
            .set(tenants::name.eq("Renamed by a dropped request"))
            .execute(c)
            .await)?;
        std::future::pending::<()>().await;
        Ok(())
    })
}

async fn rename(store: &Store, tenant: crate::ids::TenantId, name: &str) -> CoreResult<()> {
    write_txn!(store, conn => {
        on_conn!(conn, c => diesel::update(tenants::table.filter(tenants::tenant_id.eq(tenant)))
            .set(tenants::name.eq(name))
            .execute(c)
            .await)?;
        Ok(())
    })
}

async fn a_dropped_transaction_leaves_no_lock_behind(db: &TestDatabase) {
    // A small pool, so the next writers are likely to be handed the very
    // connections the dropped transactions used.
    let options = StoreOptions {
        max_connections: 2,
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    let actor = Actor::named("test");
    let tenant = store
        .create_tenant(&actor, "Contoso")
        .await
        .expect("tenant");

    // A first request takes the write lock and hangs inside its
    // transaction; a second queues behind it (SQLite: in `BEGIN IMMEDIATE`,
    // PostgreSQL: waiting for the row lock). Both are dropped, the second
    // while still waiting: its BEGIN may complete after it is gone.
    let holder = tokio::spawn(rename_and_hang(store.clone(), tenant.id));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let queued = tokio::spawn(rename_and_hang(store.clone(), tenant.id));
    tokio::time::sleep(Duration::from_millis(200)).await;
    queued.abort();
    holder.abort();

    // Both are gone, and the next writer to the same row proceeds: the
    // default lock and busy timeouts are 10 s, so all of it finishing
    // within 5 s proves no one waited for a lock the dropped ones left.
    let next = async {
        assert!(queued.await.is_err_and(|e| e.is_cancelled()));
        assert!(holder.await.is_err_and(|e| e.is_cancelled()));
        rename(&store, tenant.id, "Fabrikam").await
    };
    tokio::time::timeout(Duration::from_secs(5), next)
        .await
        .expect("the next writer is not blocked by the dropped transactions")
        .expect("the next writer succeeds");
    assert_eq!(
        store.tenant(tenant.id).await.expect("tenant").name,
        "Fabrikam"
    );

    // Writers keep working afterwards, on every pooled connection.
    for n in 0..4 {
        tokio::time::timeout(
            Duration::from_secs(5),
            store.create_tenant(&actor, &format!("Tenant {n}")),
        )
        .await
        .expect("not blocked")
        .expect("created");
    }
}

async fn a_dropped_transaction_keeps_none_of_its_writes(db: &TestDatabase) {
    let store = db.store().await;
    let actor = Actor::named("test");
    let tenant = store
        .create_tenant(&actor, "Contoso")
        .await
        .expect("tenant");

    let dropped = tokio::time::timeout(
        Duration::from_millis(300),
        rename_and_hang(store.clone(), tenant.id),
    )
    .await;
    assert!(dropped.is_err());

    // Seen through another pool, as another replica would.
    let other = db.store().await;
    assert_eq!(
        other.tenant(tenant.id).await.expect("tenant").name,
        "Contoso"
    );
    assert_eq!(
        store.tenant(tenant.id).await.expect("tenant").name,
        "Contoso"
    );
}

test_on_both_backends!(
    a_dropped_transaction_leaves_no_lock_behind,
    a_dropped_transaction_keeps_none_of_its_writes
);

async fn a_writer_stuck_behind_a_lock_gets_a_clear_timeout(db: &TestDatabase) {
    // Short limits, so the test waits less than a second for them.
    let options = StoreOptions {
        lock_timeout: Duration::from_millis(300),
        sqlite_busy_timeout: Duration::from_millis(300),
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    let tenant = store
        .create_tenant(&Actor::named("test"), "Contoso")
        .await
        .expect("tenant");
    let holder = tokio::spawn(rename_and_hang(store.clone(), tenant.id));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let blocked = tokio::time::timeout(
        Duration::from_secs(5),
        rename(&store, tenant.id, "Fabrikam"),
    )
    .await
    .expect("the lock wait is bounded");
    assert!(
        matches!(blocked, Err(CoreError::TimedOut(_))),
        "{blocked:?}"
    );

    holder.abort();
    let _ = holder.await;
    rename(&store, tenant.id, "Fabrikam")
        .await
        .expect("writes work once the lock is free");
}

test_on_both_backends!(a_writer_stuck_behind_a_lock_gets_a_clear_timeout);

/// PostgreSQL only: SQLite has no statement time limit (a statement there
/// runs on the server's own CPU, not behind other sessions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_the_postgres_limit_times_out_clearly() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    let options = StoreOptions {
        statement_timeout: Duration::from_millis(200),
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    async fn sleep_two_seconds(store: &Store) -> CoreResult<()> {
        read_conn!(store, conn => {
            on_conn!(conn, c => diesel_async::SimpleAsyncConnection::batch_execute(c, "SELECT pg_sleep(2)").await)?;
            Ok(())
        })
    }
    let slow = sleep_two_seconds(&store).await;
    assert!(matches!(slow, Err(CoreError::TimedOut(_))), "{slow:?}");
    store
        .ping()
        .await
        .expect("the connection serves the next request");
}

#[derive(diesel::QueryableByName)]
struct CacheSize {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    cache_size: i64,
}

#[derive(diesel::QueryableByName)]
struct WalAutocheckpoint {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    wal_autocheckpoint: i64,
}

#[derive(diesel::QueryableByName)]
struct MmapSize {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    mmap_size: i64,
}

/// What every connection of `store` reports for its page cache (KiB, as
/// SQLite's negative `cache_size`), checkpoint threshold and memory map
/// (bytes); SQLite only.
async fn sqlite_settings(store: &Store) -> CoreResult<(i64, i64, i64)> {
    read_conn!(store, conn => match conn {
        crate::db::Conn::Sqlite(c) => {
            let cache = diesel::sql_query("PRAGMA cache_size")
                .get_result::<CacheSize>(*c)
                .await?;
            let checkpoint = diesel::sql_query("PRAGMA wal_autocheckpoint")
                .get_result::<WalAutocheckpoint>(*c)
                .await?;
            let mmap = diesel::sql_query("PRAGMA mmap_size")
                .get_result::<MmapSize>(*c)
                .await?;
            Ok((cache.cache_size, checkpoint.wal_autocheckpoint, mmap.mmap_size))
        }
        crate::db::Conn::Pg(_) => Err(CoreError::Internal("not SQLite".into())),
    })
}

async fn the_pool_and_sqlite_connections_follow_the_options(db: &TestDatabase) {
    let options = StoreOptions {
        max_connections: 8,
        sqlite_max_connections: 3,
        sqlite_cache_kib: 4_096,
        sqlite_checkpoint_pages: 5_000,
        sqlite_mmap_mib: 64,
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    match store.backend() {
        crate::db::Backend::Sqlite => {
            // SQLite: the smaller limit, and each connection's pragmas.
            assert_eq!(store.pool_status().max_size, 3);
            assert_eq!(
                sqlite_settings(&store).await.expect("pragmas"),
                (-4_096, 5_000, 64 << 20)
            );
        }
        crate::db::Backend::Postgres => assert_eq!(store.pool_status().max_size, 8),
    }
    store.ping().await.expect("the store works");
}

async fn a_bulk_import_store_imports_the_same_users(db: &TestDatabase) {
    use crate::directory_import::{DirectoryUser, ImportMode};
    use crate::model::DirectorySource;
    let options = StoreOptions::default().bulk_import();
    let store = db.store_with(options).await;
    assert_eq!(store.pool_status().max_size, 1);
    if store.backend() == crate::db::Backend::Sqlite {
        assert_eq!(
            sqlite_settings(&store).await.expect("pragmas"),
            (
                -i64::from(StoreOptions::BULK_IMPORT_SQLITE_CACHE_KIB),
                i64::from(StoreOptions::BULK_IMPORT_SQLITE_CHECKPOINT_PAGES),
                i64::from(StoreOptions::DEFAULT_SQLITE_MMAP_MIB) << 20
            )
        );
    }
    let actor = Actor::named("test");
    let tenant = store
        .create_tenant(&actor, "Contoso")
        .await
        .expect("tenant");
    // Rows out of email order: the import writes them sorted, and every
    // one is found again by its email.
    let users: Vec<DirectoryUser> = ["zoe", "adam", "maria", "bob"]
        .iter()
        .enumerate()
        .map(|(i, name)| DirectoryUser {
            line: i as u64 + 2,
            display_name: format!("{name} Tester"),
            email: format!("{name}@contoso.example"),
            external_id: Some(format!("ext-{name}")),
        })
        .collect();
    let summary = store
        .upsert_directory_users(
            tenant.id,
            &actor,
            DirectorySource::Csv,
            users.clone(),
            ImportMode::Apply,
        )
        .await
        .expect("import");
    assert_eq!((summary.created, summary.rejected.len()), (4, 0));
    let again = store
        .upsert_directory_users(
            tenant.id,
            &actor,
            DirectorySource::Csv,
            users,
            ImportMode::Apply,
        )
        .await
        .expect("import again");
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4));
    assert_eq!(store.user_count(tenant.id).await.expect("count"), 4);
}

test_on_both_backends!(
    the_pool_and_sqlite_connections_follow_the_options,
    a_bulk_import_store_imports_the_same_users
);

#[test]
fn bulk_import_options_only_raise_the_sqlite_limits() {
    let bulk = StoreOptions::default().bulk_import();
    assert_eq!(bulk.max_connections, 1);
    assert_eq!(
        bulk.sqlite_cache_kib,
        StoreOptions::BULK_IMPORT_SQLITE_CACHE_KIB
    );
    assert_eq!(
        bulk.sqlite_checkpoint_pages,
        StoreOptions::BULK_IMPORT_SQLITE_CHECKPOINT_PAGES
    );
    let larger = StoreOptions {
        sqlite_cache_kib: 1 << 20,
        sqlite_checkpoint_pages: 1 << 20,
        ..StoreOptions::default()
    }
    .bulk_import();
    assert_eq!(
        (larger.sqlite_cache_kib, larger.sqlite_checkpoint_pages),
        (1 << 20, 1 << 20)
    );
}

#[derive(diesel::QueryableByName)]
struct OptionUsed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    used: bool,
}

/// Whether the bundled SQLite was compiled with `option`.
async fn sqlite_compiled_with(store: &Store, option: &str) -> CoreResult<bool> {
    read_conn!(store, conn => Ok(on_conn!(conn, c => diesel::sql_query(
        "SELECT sqlite_compileoption_used(?) AS used",
    )
    .bind::<diesel::sql_types::Text, _>(option)
    .get_result::<OptionUsed>(c)
    .await)?
    .used))
}

/// `.cargo/config.toml` compiles SQLite with the query planner stability
/// guarantee on. Without it SQLite plans a bound `LIMIT ?` as a constant
/// and expires the statement whenever the limit is bound again, so every
/// paginated read was parsed and planned anew on each execution (12 % of
/// the server's CPU on the license-details screen, bench/README.md). The
/// global locks switched off there are checked too: nothing else would
/// notice them coming back, but the throughput.
#[tokio::test]
async fn sqlite_is_compiled_without_per_execution_replanning_or_global_locks() {
    let db = TestDatabase::sqlite().await;
    let store = db.store().await;
    assert!(
        sqlite_compiled_with(&store, "ENABLE_QPSG")
            .await
            .expect("query"),
        "SQLITE_ENABLE_QPSG is missing from LIBSQLITE3_FLAGS"
    );
    assert!(
        !sqlite_compiled_with(&store, "ENABLE_MEMORY_MANAGEMENT")
            .await
            .expect("query"),
        "SQLITE_ENABLE_MEMORY_MANAGEMENT is back"
    );
    assert!(
        sqlite_compiled_with(&store, "DEFAULT_MEMSTATUS=0")
            .await
            .expect("query"),
        "SQLITE_DEFAULT_MEMSTATUS=0 is missing from LIBSQLITE3_FLAGS"
    );
}
