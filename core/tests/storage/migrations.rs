//! Migrations apply once: a second run on a migrated database is a no-op.

use seatwise_core::Store;
use seatwise_core::test_on_both_backends;
use seatwise_core::testing::TestDatabase;

test_on_both_backends!(migrations_apply_once);

async fn migrations_apply_once(db: &TestDatabase) {
    // TestDatabase already migrated the empty database; a second run is a no-op.
    let again = Store::migrate(db.url()).await.unwrap();
    assert!(again.is_empty(), "second run applied {again:?}");
    db.store().await.ping().await.unwrap();
}
