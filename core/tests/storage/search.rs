//! The typeahead finds users and groups by name or email prefix, bounded and
//! without wildcards, in a fixed number of statements.

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
    // Matched by a later word, by an email only, and by both.
    for (name, email) in [
        ("Bob Adams", "bob@contoso.example"),
        ("Carol Diaz", "adc@contoso.example"),
        ("Dan Adder", "adder@contoso.example"),
    ] {
        store
            .create_user(
                f.tenant,
                &f.actor,
                NewUser {
                    display_name: name.into(),
                    email: email.into(),
                },
            )
            .await
            .unwrap();
    }
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
        vec![
            "Adele Vance",
            "Bob Adams",
            "Dan Adder",
            "Sales Advisors",
            "Carol Diaz"
        ],
        "name starts, then later words, then emails, each by name; once each"
    );
    assert_eq!(
        names(store.search_principals(f.tenant, "ad", 3).await.unwrap()),
        vec!["Adele Vance", "Bob Adams", "Dan Adder"],
        "a page that ends among the later words"
    );
    // A page the name starts fill is one statement; one that needs later
    // words or emails adds the grouped query and one per kind of row.
    let before = store.statements().get();
    assert_eq!(
        names(store.search_principals(f.tenant, "adele", 1).await.unwrap()),
        vec!["Adele Vance"],
        "a page filled by name starts"
    );
    assert_eq!(
        store.statements().get() - before,
        1,
        "statements for a full first tier"
    );
    let before = store.statements().get();
    store.search_principals(f.tenant, "ad", 10).await.unwrap();
    assert_eq!(
        store.statements().get() - before,
        4,
        "statements with every tier and both kinds"
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
