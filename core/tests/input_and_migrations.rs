//! Migrations, bad input, tenant isolation and the typeahead, on both
//! backends. Bad input gets a typed error and writes nothing.

mod support;

use seatwise_core::ids::*;
use seatwise_core::model::{Actor, NewGroup, NewUser, Principal};
use seatwise_core::paging::{Cursor, PageRequest};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, EntityKind, InputField, Store, test_on_both_backends};
use support::{Fixture, g, u};

test_on_both_backends!(
    migrations_apply_once,
    bad_input_is_refused_and_writes_nothing,
    other_tenants_ids_are_not_found,
    typeahead_finds_users_and_groups_by_prefix,
    pages_follow_cursors,
    audit_trail_records_changes,
    bulk_import_is_all_or_nothing_and_large_groups_assign_set_based,
);

async fn migrations_apply_once(db: &TestDatabase) {
    // TestDatabase already migrated the empty database; a second run is a no-op.
    let again = Store::migrate(db.url()).await.unwrap();
    assert!(again.is_empty(), "second run applied {again:?}");
    db.store().await.ping().await.unwrap();
}

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

async fn typeahead_finds_users_and_groups_by_prefix(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let store = &f.store;
    let adele = store
        .create_user(
            f.tenant,
            &f.actor,
            NewUser {
                display_name: "Adele Vance".into(),
                email: "adelev@contoso.example".into(),
            },
        )
        .await
        .unwrap();
    let alex = store
        .create_user(
            f.tenant,
            &f.actor,
            NewUser {
                display_name: "Alex Wilber".into(),
                email: "alexw@contoso.example".into(),
            },
        )
        .await
        .unwrap();
    let group = store
        .create_group(
            f.tenant,
            &f.actor,
            NewGroup {
                display_name: "Sales Advisors".into(),
                description: String::new(),
                member_ids: vec![],
            },
        )
        .await
        .unwrap();
    let names = |hits: Vec<Principal>| {
        hits.into_iter()
            .map(|p| match p {
                Principal::User(u) => u.display_name,
                Principal::Group(g) => g.display_name,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.search_principals(f.tenant, "AD", 10).await.unwrap()),
        vec!["Adele Vance", "Sales Advisors"],
        "name start before later word"
    );
    assert_eq!(
        names(store.search_principals(f.tenant, "wil", 10).await.unwrap()),
        vec!["Alex Wilber"]
    );
    assert_eq!(
        names(
            store
                .search_principals(f.tenant, "alexw@", 10)
                .await
                .unwrap()
        ),
        vec!["Alex Wilber"]
    );
    assert_eq!(
        names(store.search_principals(f.tenant, "a", 1).await.unwrap()).len(),
        1,
        "bounded"
    );
    assert!(
        store
            .search_principals(f.tenant, "  ", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .search_principals(f.tenant, "%", 10)
            .await
            .unwrap()
            .is_empty(),
        "no wildcards"
    );
    let _ = (adele, alex, group);
}

async fn pages_follow_cursors(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    for name in ["Carol", "alice", "Bob", "dave", "Eve"] {
        f.user(name).await;
    }
    let first = f
        .store
        .list_users(f.tenant, None, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(first.total_count, Some(5));
    assert!(first.has_next_page);
    let names: Vec<_> = first
        .items
        .iter()
        .map(|(_, u)| u.display_name.as_str())
        .collect();
    assert_eq!(names, ["alice", "Bob"], "case-insensitive name order");
    let after: Cursor = Cursor::decode(&first.items[1].0.encode()).unwrap();
    let rest = f
        .store
        .list_users(f.tenant, None, &PageRequest::first(10).after(Some(after)))
        .await
        .unwrap();
    let names: Vec<_> = rest
        .items
        .iter()
        .map(|(_, u)| u.display_name.as_str())
        .collect();
    assert_eq!(names, ["Carol", "dave", "Eve"]);
    assert!(!rest.has_next_page);
    assert!(matches!(
        PageRequest::new(Some(101), None),
        Err(CoreError::InvalidInput { .. })
    ));
    assert!(Cursor::decode("garbage").is_err());
    let searched = f
        .store
        .list_users(f.tenant, Some("AV"), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(searched.items.len(), 1, "substring search on names");
}

async fn audit_trail_records_changes(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let ada = f.user("Ada").await;
    let actor = Actor::named("license-admin@contoso");
    f.store
        .assign_licenses(f.tenant, &actor, app, &[u(ada)])
        .await
        .unwrap();
    f.store
        .unassign_licenses(f.tenant, &actor, app, &[u(ada)])
        .await
        .unwrap();
    let log = f
        .store
        .audit_log(f.tenant, Some(app), &PageRequest::first(10))
        .await
        .unwrap();
    let actions: Vec<_> = log.items.iter().map(|(_, e)| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["LICENSE_UNASSIGNED", "LICENSE_ASSIGNED", "APP_REGISTERED"],
        "newest first"
    );
    assert_eq!(log.items[0].1.actor, "license-admin@contoso");
}

async fn bulk_import_is_all_or_nothing_and_large_groups_assign_set_based(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let people = |n: usize, tag: &str| -> Vec<NewUser> {
        (0..n)
            .map(|i| NewUser {
                display_name: format!("Person {tag}{i}"),
                email: format!("p{tag}{i}@contoso.example"),
            })
            .collect()
    };
    let mut with_duplicate = people(3, "d");
    with_duplicate.push(NewUser {
        display_name: "Twin".into(),
        email: "PD0@contoso.example".into(),
    });
    assert!(matches!(
        f.store
            .import_users(f.tenant, &f.actor, with_duplicate)
            .await,
        Err(CoreError::AlreadyExists { .. })
    ));
    assert_eq!(
        f.store
            .list_users(f.tenant, None, &PageRequest::first(1))
            .await
            .unwrap()
            .total_count,
        Some(0)
    );

    // More members than one bind list may hold on SQLite: chunking is exercised.
    let imported = f
        .store
        .import_users(f.tenant, &f.actor, people(12_000, ""))
        .await
        .unwrap();
    let ids: Vec<UserId> = imported.iter().map(|u| u.id).collect();
    let group = f.group("Everyone", &ids).await;
    let app = f.app(12_000).await;
    let before = f.store.statements().get();
    let change = f.assign(app, &[g(group)]).await.unwrap();
    let statements = f.store.statements().get() - before;
    assert_eq!(change.gained.len(), 12_000);
    assert!(
        statements < 40,
        "assigning a 12,000-member group took {statements} statements"
    );
    f.assert_seats_consistent(app).await;
    let again = f
        .store
        .import_users(f.tenant, &f.actor, people(1, ""))
        .await;
    assert!(
        matches!(again, Err(CoreError::AlreadyExists { .. })),
        "email already in the tenant"
    );
    let hits = f
        .store
        .search_principals(f.tenant, "person 1199", 20)
        .await
        .unwrap();
    assert_eq!(hits.len(), 11, "imported users are searchable");
}
