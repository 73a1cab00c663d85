//! The lifecycle of users, groups and apps after creation: updates keep
//! their uniqueness rules and the typeahead, deleting a group frees exactly
//! the seats held only through it, and removing an app is refused while it
//! is assigned unless everyone is unassigned with it.

use seatwise_core::ids::{AppId, UserId};
use seatwise_core::model::{
    AppUpdate, LicenseErrorCode, LicenseState, NewUser, Principal, UserUpdate,
};
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, InputField, LicenseChanges, test_on_both_backends};

use crate::support::{Fixture, g, u};

test_on_both_backends!(
    deleting_a_group_frees_only_seats_held_through_it_and_promotes_a_waiting_user,
    removing_an_app_is_refused_while_assigned_then_allowed_with_unassign_all,
    removing_an_app_is_refused_while_a_seat_change_is_under_way,
    a_duplicate_email_is_refused_and_nothing_changes,
    a_disabled_user_keeps_their_licenses_and_a_rename_is_searchable,
    an_oversized_adapter_settings_update_changes_nothing,
);

fn users_of(changes: &LicenseChanges, app: AppId) -> (Vec<UserId>, Vec<UserId>) {
    changes.app(app).map_or((Vec::new(), Vec::new()), |c| {
        (
            c.gained().iter().copied().collect(),
            c.lost().iter().copied().collect(),
        )
    })
}

async fn last_action(f: &Fixture) -> String {
    let log = f
        .store
        .audit_log(f.tenant, None, &PageRequest::first(1))
        .await
        .unwrap();
    log.items[0].1.action.as_str().to_owned()
}

async fn deleting_a_group_frees_only_seats_held_through_it_and_promotes_a_waiting_user(
    db: &TestDatabase,
) {
    let f = Fixture::new(db).await;
    let app = f.app(3).await;
    let only = f.user("Only Member").await;
    let direct = f.user("Also Direct").await;
    let other = f.user("Also Engineering").await;
    let design = f.group("Design", &[only, direct, other]).await;
    let eng = f.group("Engineering", &[other]).await;
    f.assign(app, &[g(design), u(direct), g(eng)])
        .await
        .unwrap();
    assert_eq!(f.seats(app).await.assigned, 3, "all seats taken");
    // A fourth user waits for a seat in COUNT_VIOLATION.
    let waiting = f.user("Waiting").await;
    let late = f.group("Late", &[]).await;
    f.assign(app, &[g(late)]).await.unwrap();
    f.store
        .add_group_members(f.tenant, &f.actor, late, &[waiting])
        .await
        .unwrap();
    let license = f.license(waiting, app).await.expect("waiting license");
    assert_eq!(license.error_code, Some(LicenseErrorCode::CountViolation));

    let deleted = f
        .store
        .delete_group(f.tenant, &f.actor, design)
        .await
        .unwrap();

    assert_eq!(deleted.apps, vec![app]);
    assert_eq!(
        users_of(&deleted.license_changes, app),
        (vec![waiting], vec![only]),
        "only the member without another path lost the app; the waiting user took the seat"
    );
    assert!(f.license(only, app).await.is_none());
    for keeper in [direct, other, waiting] {
        let license = f.license(keeper, app).await.expect("still licensed");
        assert_eq!(license.state, LicenseState::Active);
    }
    assert_eq!(f.seats(app).await.assigned, 3);
    f.assert_seats_consistent(app).await;
    assert!(matches!(
        f.store.group(f.tenant, design).await,
        Err(CoreError::NotFound { .. })
    ));
    let assignments = f
        .store
        .assignments(f.tenant, app, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(assignments.items.len(), 3, "Design's assignment is gone");
    assert!(
        f.store
            .search_principals(f.tenant, "design", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(last_action(&f).await, "GROUP_DELETED");
}

async fn removing_an_app_is_refused_while_assigned_then_allowed_with_unassign_all(
    db: &TestDatabase,
) {
    let f = Fixture::new(db).await;
    let app = f.app(1).await;
    let ada = f.user("Ada").await;
    let grace = f.user("Grace").await;
    let team = f.group("Team", &[grace]).await;
    f.assign(app, &[u(ada)]).await.unwrap();
    f.assign(app, &[g(team)]).await.unwrap_err(); // no seat left: refused
    let late = f.group("Late", &[]).await;
    f.assign(app, &[g(late)]).await.unwrap();
    f.store
        .add_group_members(f.tenant, &f.actor, late, &[grace])
        .await
        .unwrap(); // Grace waits in COUNT_VIOLATION

    let refused = f
        .store
        .remove_app(f.tenant, &f.actor, app, false)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CoreError::AppHasAssignments { assignments: 2 }),
        "{refused:?}"
    );
    assert_eq!(f.seats(app).await.assigned, 1, "nothing changed");
    assert!(f.license(ada, app).await.is_some());

    let removed = f
        .store
        .remove_app(f.tenant, &f.actor, app, true)
        .await
        .unwrap();
    assert_eq!(removed.assignments_removed, 2);
    assert_eq!(
        users_of(&removed.license_changes, app),
        (Vec::new(), {
            let mut both = vec![ada, grace];
            both.sort();
            both
        })
    );
    assert!(matches!(
        f.store.app(f.tenant, app).await,
        Err(CoreError::NotFound { .. })
    ));
    assert!(f.license(ada, app).await.is_none());
    assert!(f.license(grace, app).await.is_none());
    assert_eq!(last_action(&f).await, "APP_REMOVED");
    // An app without assignments goes without asking.
    let unused = f.app(5).await;
    f.store
        .remove_app(f.tenant, &f.actor, unused, false)
        .await
        .unwrap();
}

async fn removing_an_app_is_refused_while_a_seat_change_is_under_way(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(1).await;
    f.store
        .request_seat_change(f.tenant, &f.actor, app, 5, "more-seats")
        .await
        .unwrap();
    let refused = f
        .store
        .remove_app(f.tenant, &f.actor, app, true)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CoreError::SeatChangeUnderWay { operations: 1 }),
        "{refused:?}"
    );
    assert!(f.store.app(f.tenant, app).await.is_ok());
}

async fn a_duplicate_email_is_refused_and_nothing_changes(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let new = |name: &str, email: &str| NewUser {
        display_name: name.into(),
        email: email.into(),
    };
    let ada = f
        .store
        .create_user(f.tenant, &f.actor, new("Ada", "ada@contoso.example"))
        .await
        .unwrap();
    f.store
        .create_user(f.tenant, &f.actor, new("Grace", "grace@contoso.example"))
        .await
        .unwrap();

    let refused = f
        .store
        .update_user(
            f.tenant,
            &f.actor,
            ada.id,
            UserUpdate {
                display_name: Some("Ada King".into()),
                email: Some("GRACE@Contoso.example".into()),
                account_enabled: Some(false),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            CoreError::AlreadyExists {
                field: InputField::Email,
                ..
            }
        ),
        "{refused:?}"
    );
    let after = f.store.user(f.tenant, ada.id).await.unwrap();
    assert_eq!(after, ada, "nothing changed, the name included");
    assert_eq!(last_action(&f).await, "USER_CREATED", "nothing audited");

    // A change of case is the same address, not a clash with itself.
    let recased = f
        .store
        .update_user(
            f.tenant,
            &f.actor,
            ada.id,
            UserUpdate {
                email: Some("Ada@Contoso.example".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(recased.email, "Ada@Contoso.example");
    assert_eq!(recased.directory.version, ada.directory.version + 1);
}

async fn a_disabled_user_keeps_their_licenses_and_a_rename_is_searchable(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let ada = f.user("Ada Lovelace").await;
    f.assign(app, &[u(ada)]).await.unwrap();

    let updated = f
        .store
        .update_user(
            f.tenant,
            &f.actor,
            ada,
            UserUpdate {
                display_name: Some("Ada King".into()),
                email: Some("countess@contoso.example".into()),
                account_enabled: Some(false),
            },
        )
        .await
        .unwrap();
    assert!(!updated.account_enabled);
    assert_eq!(
        f.license(ada, app).await.map(|l| l.state),
        Some(LicenseState::Active),
        "a disabled user keeps their license"
    );
    assert_eq!(f.seats(app).await.assigned, 1);
    let found = |q: &'static str| {
        let store = f.store.clone();
        let tenant = f.tenant;
        async move {
            store
                .search_principals(tenant, q, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|p| match p {
                    Principal::User(u) => u.id,
                    Principal::Group(g) => panic!("unexpected group {g:?}"),
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("king").await, vec![ada]);
    assert_eq!(found("countess@").await, vec![ada]);
    assert!(found("lovelace").await.is_empty(), "the old name is gone");
    assert_eq!(last_action(&f).await, "USER_UPDATED");
}

async fn an_oversized_adapter_settings_update_changes_nothing(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let before = f.store.app(f.tenant, app).await.unwrap();
    let refused = f
        .store
        .update_app(
            f.tenant,
            &f.actor,
            app,
            AppUpdate {
                name: Some("Renamed".into()),
                adapter_settings: Some(serde_json::json!({ "blob": "x".repeat(17 * 1024) })),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            CoreError::InvalidInput {
                field: InputField::AdapterSettings,
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(f.store.app(f.tenant, app).await.unwrap(), before);
}
