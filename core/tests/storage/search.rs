//! The typeahead finds users and groups by name or email prefix, bounded and
//! without wildcards.

use seatwise_core::model::{NewGroup, NewUser, Principal};
use seatwise_core::testing::TestDatabase;

use crate::support::Fixture;
use seatwise_core::test_on_both_backends;

test_on_both_backends!(typeahead_finds_users_and_groups_by_prefix);

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
