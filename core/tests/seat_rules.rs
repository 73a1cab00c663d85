//! The seat rules, each on SQLite and on PostgreSQL.

mod support;

use seatwise_core::ids::{AppId, UserId};
use seatwise_core::model::{LicenseErrorCode, LicenseState};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, LicenseChanges, LicenseFilter, test_on_both_backends};
use support::{Fixture, g, u};

/// Who took a seat of `app`, by id.
fn gained(changes: &LicenseChanges, app: AppId) -> Vec<UserId> {
    changes
        .app(app)
        .map(|c| c.gained().iter().copied().collect())
        .unwrap_or_default()
}

/// Who lost `app`'s license, by id.
fn lost(changes: &LicenseChanges, app: AppId) -> Vec<UserId> {
    changes
        .app(app)
        .map(|c| c.lost().iter().copied().collect())
        .unwrap_or_default()
}

test_on_both_backends!(
    one_seat_per_user_however_many_paths,
    unassigning_a_group_keeps_members_of_another_assigned_group,
    assigning_is_all_or_nothing,
    assigning_twice_is_a_no_op,
    unassigning_keeps_other_paths,
    group_member_beyond_seats_waits_in_count_violation,
    waiting_users_get_freed_seats_oldest_first,
    more_purchased_seats_resolve_waiting_users,
    removing_a_member_frees_their_seat,
    deleting_a_user_frees_their_seats,
    seats_cannot_drop_below_seats_in_use,
    licensed_users_show_every_path,
);

async fn one_seat_per_user_however_many_paths(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(10).await;
    let ada = f.user("Ada Lovelace").await;
    let grace = f.user("Grace Hopper").await;
    let design = f.group("Design", &[ada, grace]).await;
    let eng = f.group("Engineering", &[ada]).await;

    let change = f.assign(app, &[u(ada), g(design), g(eng)]).await.unwrap();
    assert_eq!(change.assignments.len(), 3);
    assert_eq!(
        change.app.seats.assigned, 2,
        "Ada holds three paths but one seat"
    );
    assert_eq!(change.app.seats.available(), 8);
    f.assert_seats_consistent(app).await;
}

async fn assigning_is_all_or_nothing(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(3).await;
    let first = f.user("First").await;
    f.assign(app, &[u(first)]).await.unwrap();
    let team = f.users(3).await;
    let group = f.group("Team", &team).await;
    let extra = f.user("Extra").await;

    let err = f.assign(app, &[g(group), u(extra)]).await.unwrap_err();
    match err {
        CoreError::NotEnoughSeats { needed, available } => assert_eq!((needed, available), (4, 2)),
        other => panic!("expected NotEnoughSeats, got {other:?}"),
    }
    assert!(err_message_says_nothing_changed(
        &f.assign(app, &[g(group)]).await.unwrap_err()
    ));
    assert_eq!(f.seats(app).await.assigned, 1, "nothing changed");
    assert!(f.license(extra, app).await.is_none());
    let assignments = f
        .store
        .assignments(
            f.tenant,
            app,
            &seatwise_core::paging::PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        assignments.total_count,
        Some(1),
        "no assignment row was written"
    );
    f.assert_seats_consistent(app).await;
}

fn err_message_says_nothing_changed(err: &CoreError) -> bool {
    matches!(err, CoreError::NotEnoughSeats { .. })
        && err.to_string().contains("nothing was changed")
}

async fn assigning_twice_is_a_no_op(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(1).await;
    let ada = f.user("Ada").await;
    f.assign(app, &[u(ada)]).await.unwrap();
    let again = f.assign(app, &[u(ada)]).await.unwrap();
    assert!(again.assignments.is_empty());
    assert_eq!(again.app.seats.assigned, 1);
    f.assert_seats_consistent(app).await;
}

async fn unassigning_keeps_other_paths(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let ada = f.user("Ada").await;
    let bob = f.user("Bob").await;
    let design = f.group("Design", &[ada, bob]).await;
    f.assign(app, &[u(ada), g(design)]).await.unwrap();
    assert_eq!(f.seats(app).await.assigned, 2);

    let change = f.unassign(app, &[g(design)]).await.unwrap();
    assert_eq!(
        lost(&change.license_changes, app),
        vec![bob],
        "only Bob lost the license"
    );
    assert!(gained(&change.license_changes, app).is_empty());
    assert_eq!(change.app.seats.assigned, 1);
    let license = f.license(ada, app).await.expect("Ada keeps it directly");
    assert!(license.assigned_directly && license.via_groups.is_empty());
    assert!(f.license(bob, app).await.is_none());

    let none = f.unassign(app, &[g(design)]).await.unwrap();
    assert!(
        none.assignments.is_empty(),
        "unassigning what is not assigned changes nothing"
    );
    f.assert_seats_consistent(app).await;
}

/// A member of two assigned groups keeps the license when one of them is
/// unassigned; members of that group only lose it.
async fn unassigning_a_group_keeps_members_of_another_assigned_group(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let ada = f.user("Ada").await;
    let bob = f.user("Bob").await;
    let cy = f.user("Cy").await;
    let design = f.group("Design", &[ada, bob]).await;
    let research = f.group("Research", &[bob, cy]).await;
    f.assign(app, &[g(design), g(research)]).await.unwrap();
    assert_eq!(f.seats(app).await.assigned, 3);

    let change = f.unassign(app, &[g(design)]).await.unwrap();
    assert_eq!(lost(&change.license_changes, app), vec![ada]);
    assert_eq!(change.app.seats.assigned, 2);
    let license = f
        .license(bob, app)
        .await
        .expect("Bob keeps it through Research");
    assert_eq!(license.via_groups, vec![research]);
    assert!(!license.assigned_directly);
    f.assert_seats_consistent(app).await;
}

async fn group_member_beyond_seats_waits_in_count_violation(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let members = f.users(2).await;
    let group = f.group("Sales", &members).await;
    f.assign(app, &[g(group)]).await.unwrap();
    let late = f.user("Late Joiner").await;

    let change = f
        .store
        .add_group_members(f.tenant, &f.actor, group, &[late])
        .await
        .unwrap();
    assert_eq!(change.changed, vec![late], "the membership is added anyway");
    assert_eq!(change.waiting.get(&app), Some(&vec![late]));
    let license = f.license(late, app).await.expect("license row exists");
    assert_eq!(license.state, LicenseState::Error);
    assert_eq!(license.error_code, Some(LicenseErrorCode::CountViolation));
    let errors = f.licensed(app, LicenseFilter::Errors).await;
    assert_eq!(
        errors.iter().map(|l| l.user_id).collect::<Vec<_>>(),
        vec![late],
        "visible per app"
    );
    assert_eq!(f.seats(app).await.assigned, 2, "never over-assigned");
    f.assert_seats_consistent(app).await;
}

async fn waiting_users_get_freed_seats_oldest_first(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(1).await;
    let holder = f.user("Holder").await;
    let group = f.group("Group", &[holder]).await;
    f.assign(app, &[g(group)]).await.unwrap();
    let older = f.user("Older").await;
    let newer = f.user("Newer").await;
    f.store
        .add_group_members(f.tenant, &f.actor, group, &[older])
        .await
        .unwrap();
    f.store
        .add_group_members(f.tenant, &f.actor, group, &[newer])
        .await
        .unwrap();

    f.store
        .remove_group_members(f.tenant, &f.actor, group, &[holder])
        .await
        .unwrap();
    assert_eq!(
        f.license(older, app).await.unwrap().state,
        LicenseState::Active,
        "oldest waiter first"
    );
    assert_eq!(
        f.license(newer, app).await.unwrap().state,
        LicenseState::Error
    );
    f.assert_seats_consistent(app).await;

    // An unassign frees seats too.
    let direct = f.app(1).await;
    let solo = f.user("Solo").await;
    f.assign(direct, &[u(solo)]).await.unwrap();
    let waiting_group = f.group("Waiting", &[]).await;
    f.assign(direct, &[g(waiting_group)]).await.unwrap();
    let waiter = f.user("Waiter").await;
    f.store
        .add_group_members(f.tenant, &f.actor, waiting_group, &[waiter])
        .await
        .unwrap();
    assert_eq!(
        f.license(waiter, direct).await.unwrap().state,
        LicenseState::Error
    );
    let change = f.unassign(direct, &[u(solo)]).await.unwrap();
    assert_eq!(gained(&change.license_changes, direct), vec![waiter]);
    assert_eq!(lost(&change.license_changes, direct), vec![solo]);
    assert_eq!(
        f.license(waiter, direct).await.unwrap().state,
        LicenseState::Active
    );
    f.assert_seats_consistent(direct).await;
}

async fn more_purchased_seats_resolve_waiting_users(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(1).await;
    let members = f.users(1).await;
    let group = f.group("Ops", &members).await;
    f.assign(app, &[g(group)]).await.unwrap();
    let waiting = f.users(3).await;
    f.store
        .add_group_members(f.tenant, &f.actor, group, &waiting)
        .await
        .unwrap();
    assert_eq!(f.licensed(app, LicenseFilter::Errors).await.len(), 3);

    let (app_after, resolved) = f
        .store
        .set_purchased_seats(f.tenant, &f.actor, app, 3)
        .await
        .unwrap();
    assert_eq!(gained(&resolved, app).len(), 2);
    assert_eq!(resolved.app_count(), 1);
    assert_eq!(app_after.seats.assigned, 3);
    assert_eq!(f.licensed(app, LicenseFilter::Errors).await.len(), 1);
    f.assert_seats_consistent(app).await;
}

async fn removing_a_member_frees_their_seat(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let members = f.users(3).await;
    let group = f.group("Support", &members).await;
    f.assign(app, &[g(group)]).await.unwrap();
    let change = f
        .store
        .remove_group_members(f.tenant, &f.actor, group, &[members[0]])
        .await
        .unwrap();
    assert_eq!(lost(&change.license_changes, app), vec![members[0]]);
    assert_eq!(f.seats(app).await.assigned, 2);
    f.assert_seats_consistent(app).await;
}

async fn deleting_a_user_frees_their_seats(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let a = f.app(5).await;
    let b = f.app(5).await;
    let ada = f.user("Ada").await;
    let group = f.group("Both", &[ada]).await;
    f.assign(a, &[u(ada)]).await.unwrap();
    f.assign(b, &[g(group)]).await.unwrap();
    let deleted = f.store.delete_user(f.tenant, &f.actor, ada).await.unwrap();
    assert_eq!(deleted.released.len(), 2);
    let mut apps = [a, b];
    apps.sort();
    assert_eq!(
        deleted
            .license_changes
            .apps()
            .map(|(app, c)| (app, c.lost().iter().copied().collect::<Vec<_>>()))
            .collect::<Vec<_>>(),
        apps.iter().map(|app| (*app, vec![ada])).collect::<Vec<_>>(),
        "Ada lost both apps and nobody was waiting"
    );
    assert_eq!(deleted.license_changes.gained_count(), 0);
    assert_eq!(f.seats(a).await.assigned, 0);
    assert_eq!(f.seats(b).await.assigned, 0);
    assert!(matches!(
        f.store.user(f.tenant, ada).await,
        Err(CoreError::NotFound { .. })
    ));
    assert_eq!(
        f.store
            .member_counts(f.tenant, &[group])
            .await
            .unwrap()
            .get(&group),
        None
    );
    f.assert_seats_consistent(a).await;
    f.assert_seats_consistent(b).await;
}

async fn seats_cannot_drop_below_seats_in_use(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(3).await;
    let users = f.users(2).await;
    f.assign(app, &[u(users[0]), u(users[1])]).await.unwrap();
    let err = f
        .store
        .set_purchased_seats(f.tenant, &f.actor, app, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::SeatsInUse {
                requested: 1,
                in_use: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(f.seats(app).await.purchased, 3);
    f.store
        .set_purchased_seats(f.tenant, &f.actor, app, 2)
        .await
        .unwrap();
    assert_eq!(f.seats(app).await.available(), 0);
}

async fn licensed_users_show_every_path(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(10).await;
    let ada = f.user("Ada").await;
    let one = f.group("One", &[ada]).await;
    let two = f.group("Two", &[ada]).await;
    f.assign(app, &[u(ada), g(one), g(two)]).await.unwrap();
    let license = f.license(ada, app).await.unwrap();
    assert!(license.assigned_directly);
    let mut via = license.via_groups.clone();
    via.sort();
    let mut expected = vec![one, two];
    expected.sort();
    assert_eq!(via, expected);
    assert_eq!(license.state, LicenseState::Active);
}
