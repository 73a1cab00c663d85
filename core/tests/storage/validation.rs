//! Bad input gets a typed error (naming the field or the missing entity) and
//! writes nothing: no row, no audit entry.

use seatwise_core::ids::*;
use seatwise_core::model::{NewGroup, NewUser};
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, EntityKind, InputField};

use crate::support::{Fixture, g, u};
use seatwise_core::test_on_both_backends;

test_on_both_backends!(bad_input_is_refused_and_writes_nothing);

async fn bad_input_is_refused_and_writes_nothing(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let ada = f.user("Ada").await;
    let audit_before = f
        .store
        .audit_log(f.tenant, None, &PageRequest::first(100))
        .await
        .unwrap()
        .total_count;

    let unknown_user = UserId::new();
    let err = f.assign(app, &[u(ada), u(unknown_user)]).await.unwrap_err();
    assert!(
        matches!(&err, CoreError::NotFound { entity: EntityKind::User, id } if *id == unknown_user.to_string()),
        "{err:?}"
    );
    assert!(
        f.license(ada, app).await.is_none(),
        "Ada was not assigned either"
    );
    assert!(matches!(
        f.assign(AppId::new(), &[u(ada)]).await,
        Err(CoreError::NotFound {
            entity: EntityKind::App,
            ..
        })
    ));
    assert!(matches!(
        f.assign(app, &[g(GroupId::new())]).await,
        Err(CoreError::NotFound {
            entity: EntityKind::Group,
            ..
        })
    ));
    assert!(matches!(
        f.assign(app, &[]).await,
        Err(CoreError::InvalidInput { .. })
    ));

    let empty = NewUser {
        display_name: "  ".into(),
        email: "x@contoso.example".into(),
    };
    assert!(
        matches!(f.store.create_user(f.tenant, &f.actor, empty).await, Err(CoreError::InvalidInput { field, .. }) if field == InputField::DisplayName)
    );
    let bad_email = NewUser {
        display_name: "X".into(),
        email: "not-an-email".into(),
    };
    assert!(
        matches!(f.store.create_user(f.tenant, &f.actor, bad_email).await, Err(CoreError::InvalidInput { field, .. }) if field == InputField::Email)
    );
    let taken = f
        .store
        .user(f.tenant, ada)
        .await
        .unwrap()
        .email
        .to_uppercase();
    let dup = NewUser {
        display_name: "Ada Again".into(),
        email: taken,
    };
    assert!(
        matches!(f.store.create_user(f.tenant, &f.actor, dup).await, Err(CoreError::AlreadyExists { field, .. }) if field == InputField::Email)
    );
    let bad_group = NewGroup {
        display_name: "G".into(),
        description: String::new(),
        member_ids: vec![UserId::new()],
    };
    assert!(matches!(
        f.store.create_group(f.tenant, &f.actor, bad_group).await,
        Err(CoreError::NotFound { .. })
    ));
    let mut bad_app = Fixture::new_app("", 1);
    assert!(
        f.store
            .register_app(f.tenant, &f.actor, bad_app.clone())
            .await
            .is_err()
    );
    bad_app.name = "Ok".into();
    bad_app.seats = -1;
    assert!(
        matches!(f.store.register_app(f.tenant, &f.actor, bad_app).await, Err(CoreError::InvalidInput { field, .. }) if field == InputField::Seats)
    );

    assert_eq!(
        f.store
            .list_users(f.tenant, None, &PageRequest::first(100))
            .await
            .unwrap()
            .total_count,
        Some(1)
    );
    assert_eq!(
        f.store
            .list_groups(f.tenant, None, &PageRequest::first(100))
            .await
            .unwrap()
            .total_count,
        Some(0)
    );
    assert_eq!(
        f.store
            .list_apps(f.tenant, None, &PageRequest::first(100))
            .await
            .unwrap()
            .total_count,
        Some(1)
    );
    let audit_after = f
        .store
        .audit_log(f.tenant, None, &PageRequest::first(100))
        .await
        .unwrap()
        .total_count;
    assert_eq!(
        audit_before, audit_after,
        "failed changes leave no audit entries"
    );
}
