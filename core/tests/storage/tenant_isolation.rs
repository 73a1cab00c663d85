//! Another tenant's ids are not found: every read and write filters by tenant.

use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, EntityKind};

use crate::support::{Fixture, u};
use seatwise_core::test_on_both_backends;

test_on_both_backends!(other_tenants_ids_are_not_found);

async fn other_tenants_ids_are_not_found(db: &TestDatabase) {
    let ours = Fixture::new(db).await;
    let theirs = Fixture::new(db).await;
    let their_app = theirs.app(5).await;
    let their_user = theirs.user("Mallory").await;
    let our_user = ours.user("Ada").await;
    let our_app = ours.app(5).await;

    assert!(matches!(
        ours.assign(their_app, &[u(our_user)]).await,
        Err(CoreError::NotFound {
            entity: EntityKind::App,
            ..
        })
    ));
    assert!(matches!(
        ours.assign(our_app, &[u(their_user)]).await,
        Err(CoreError::NotFound {
            entity: EntityKind::User,
            ..
        })
    ));
    assert!(matches!(
        ours.store.app(ours.tenant, their_app).await,
        Err(CoreError::NotFound { .. })
    ));
    assert!(
        ours.store
            .users_by_ids(ours.tenant, &[their_user])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        ours.store
            .search_principals(ours.tenant, "mal", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        ours.store
            .delete_user(ours.tenant, &ours.actor, their_user)
            .await,
        Err(CoreError::NotFound { .. })
    ));
    assert!(theirs.store.user(theirs.tenant, their_user).await.is_ok());
}
