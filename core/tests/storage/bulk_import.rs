//! Bulk import is all or nothing, and a group of 12,000 members is assigned
//! set-based, in a bounded number of statements.

use seatwise_core::CoreError;
use seatwise_core::ids::UserId;
use seatwise_core::model::NewUser;
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;

use crate::support::{Fixture, g};
use seatwise_core::test_on_both_backends;

test_on_both_backends!(bulk_import_is_all_or_nothing_and_large_groups_assign_set_based);

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
    assert_eq!(change.license_changes.gained_count(), 12_000);
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
