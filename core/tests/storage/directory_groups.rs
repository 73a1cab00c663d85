//! Groups written by the directory (SCIM): member changes in one
//! transaction through the seat engine, versions, `If-Match`, uniqueness of
//! external ids, and unknown member ids refused without a trace.

use seatwise_core::directory_groups::{DirectoryGroup, GroupPatch, MembersPatch};
use seatwise_core::ids::{AppId, GroupId, UserId};
use seatwise_core::model::{DirectorySource, LicenseErrorCode, LicenseState};
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, EntityKind, InputField, LicenseChanges, test_on_both_backends};

use crate::support::{Fixture, g};

test_on_both_backends!(
    a_patch_adds_and_removes_members_through_the_seat_engine_in_one_version,
    a_replacement_removes_before_it_adds_so_a_swap_keeps_the_seat_in_the_group,
    stale_versions_unknown_members_and_taken_external_ids_change_nothing,
    lookups_by_external_id_name_member_and_offset,
);

fn users_of(changes: &LicenseChanges, app: AppId) -> (Vec<UserId>, Vec<UserId>) {
    changes.app(app).map_or((Vec::new(), Vec::new()), |c| {
        (
            c.gained().iter().copied().collect(),
            c.lost().iter().copied().collect(),
        )
    })
}

async fn provision(f: &Fixture, name: &str, external_id: &str, members: &[UserId]) -> GroupId {
    f.store
        .provision_group(
            f.tenant,
            &f.actor,
            DirectorySource::Scim,
            DirectoryGroup {
                display_name: name.into(),
                external_id: Some(external_id.into()),
                members: members.to_vec(),
            },
        )
        .await
        .expect("provision group")
        .group
        .id
}

async fn member_ids(f: &Fixture, group: GroupId) -> Vec<UserId> {
    let refs = f
        .store
        .group_member_refs(f.tenant, &[group])
        .await
        .expect("members");
    refs.get(&group)
        .map(|m| m.iter().map(|r| r.id).collect())
        .unwrap_or_default()
}

fn change(add: &[UserId], remove: &[UserId]) -> GroupPatch {
    GroupPatch {
        members: MembersPatch::Change {
            add: add.to_vec(),
            remove: remove.to_vec(),
        },
        ..GroupPatch::default()
    }
}

async fn a_patch_adds_and_removes_members_through_the_seat_engine_in_one_version(
    db: &TestDatabase,
) {
    let f = Fixture::new(db).await;
    let app = f.app(2).await;
    let [ada, bob, cy] = f.users(3).await[..] else {
        panic!("three users")
    };
    let stranger = f.user("Not A Member").await;
    let sales = provision(&f, "Sales", "ext-sales", &[ada]).await;
    f.assign(app, &[g(sales)]).await.expect("assign");
    assert_eq!(f.seats(app).await.assigned, 1);

    // Bob takes the second seat, Cy waits for one.
    let added = f
        .store
        .patch_directory_group(f.tenant, &f.actor, sales, change(&[bob, cy], &[]), None)
        .await
        .expect("add");
    assert_eq!(added.group.directory.version, 2, "one write, one version");
    assert_eq!(added.waiting_for_seat, 1);
    let gained = users_of(&added.license_changes, app).0;
    assert_eq!(gained.len(), 1);
    let waiting = if gained == [bob] { cy } else { bob };
    let license = f.license(waiting, app).await.expect("a waiting license");
    assert_eq!(license.error_code, Some(LicenseErrorCode::CountViolation));

    // Ada leaves and the waiting member takes her seat; adding a member
    // twice and removing a non-member change nothing more.
    let holder = gained[0];
    let removed = f
        .store
        .patch_directory_group(
            f.tenant,
            &f.actor,
            sales,
            change(&[holder], &[ada, stranger]),
            None,
        )
        .await
        .expect("remove");
    assert_eq!(removed.group.directory.version, 3);
    assert_eq!(
        users_of(&removed.license_changes, app),
        (vec![waiting], vec![ada])
    );
    assert_eq!(
        f.license(waiting, app).await.map(|l| l.state),
        Some(LicenseState::Active)
    );
    f.assert_seats_consistent(app).await;

    // A write that changes nothing leaves the version alone.
    let same = f
        .store
        .patch_directory_group(f.tenant, &f.actor, sales, change(&[bob], &[ada]), None)
        .await
        .expect("no-op");
    assert_eq!(same.group.directory.version, 3);
    assert!(same.license_changes.is_empty());

    let log = f
        .store
        .audit_log(f.tenant, None, &PageRequest::first(3))
        .await
        .expect("audit");
    let actions: Vec<&str> = log.items.iter().map(|(_, e)| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "GROUP_MEMBERS_REMOVED",
            "GROUP_MEMBERS_ADDED",
            "LICENSE_ASSIGNED"
        ],
        "the no-op wrote no event"
    );
}

async fn a_replacement_removes_before_it_adds_so_a_swap_keeps_the_seat_in_the_group(
    db: &TestDatabase,
) {
    let f = Fixture::new(db).await;
    let app = f.app(1).await;
    let [ada, bob] = f.users(2).await[..] else {
        panic!("two users")
    };
    let team = provision(&f, "Team", "ext-team", &[ada]).await;
    f.assign(app, &[g(team)]).await.expect("assign");

    let replaced = f
        .store
        .replace_directory_group(
            f.tenant,
            &f.actor,
            team,
            DirectoryGroup {
                display_name: "Team Renamed".into(),
                external_id: Some("ext-team".into()),
                members: vec![bob],
            },
            Some(1),
        )
        .await
        .expect("replace");
    assert_eq!(replaced.group.display_name, "Team Renamed");
    assert_eq!(replaced.group.directory.version, 2);
    assert_eq!(
        users_of(&replaced.license_changes, app),
        (vec![bob], vec![ada]),
        "Ada's seat went to Bob: nobody waits"
    );
    assert_eq!(replaced.waiting_for_seat, 0);
    assert_eq!(member_ids(&f, team).await, vec![bob]);
    f.assert_seats_consistent(app).await;

    // Replacing with no members frees the seat; deleting at a stale
    // version is refused.
    let emptied = f
        .store
        .patch_directory_group(
            f.tenant,
            &f.actor,
            team,
            GroupPatch {
                members: MembersPatch::Replace(Vec::new()),
                ..GroupPatch::default()
            },
            None,
        )
        .await
        .expect("empty");
    assert_eq!(users_of(&emptied.license_changes, app), (vec![], vec![bob]));
    assert_eq!(f.seats(app).await.assigned, 0);
    let stale = f
        .store
        .delete_group_at_version(f.tenant, &f.actor, team, Some(2))
        .await
        .expect_err("stale delete");
    assert!(matches!(
        stale,
        CoreError::VersionMismatch {
            entity: EntityKind::Group,
            current: 3
        }
    ));
    f.store
        .delete_group_at_version(f.tenant, &f.actor, team, Some(3))
        .await
        .expect("delete");
}

async fn stale_versions_unknown_members_and_taken_external_ids_change_nothing(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let [ada, bob] = f.users(2).await[..] else {
        panic!("two users")
    };
    let first = provision(&f, "First", "ext-1", &[ada]).await;
    let second = provision(&f, "Second", "ext-2", &[]).await;
    f.assign(app, &[g(first)]).await.expect("assign");

    let taken = f
        .store
        .provision_group(
            f.tenant,
            &f.actor,
            DirectorySource::Scim,
            DirectoryGroup {
                display_name: "First".into(),
                external_id: Some("ext-1".into()),
                members: vec![],
            },
        )
        .await
        .expect_err("external id taken");
    assert!(matches!(
        taken,
        CoreError::AlreadyExists {
            field: InputField::ExternalId,
            ..
        }
    ));

    let other = Fixture::new(db).await;
    let theirs = other.user("Another Tenant's User").await;
    for unknown in [theirs, UserId(uuid::Uuid::now_v7())] {
        let refused = f
            .store
            .patch_directory_group(
                f.tenant,
                &f.actor,
                first,
                GroupPatch {
                    display_name: Some("Renamed".into()),
                    ..change(&[bob, unknown], &[ada])
                },
                None,
            )
            .await
            .expect_err("unknown member");
        assert!(
            matches!(
                &refused,
                CoreError::InvalidInput {
                    field: InputField::MemberIds,
                    ..
                }
            ),
            "{refused:?}"
        );
    }
    let renamed_to_taken = f
        .store
        .patch_directory_group(
            f.tenant,
            &f.actor,
            second,
            GroupPatch {
                external_id: Some(Some("ext-1".into())),
                ..change(&[bob], &[])
            },
            None,
        )
        .await
        .expect_err("external id taken");
    assert!(matches!(renamed_to_taken, CoreError::AlreadyExists { .. }));
    let stale = f
        .store
        .patch_directory_group(f.tenant, &f.actor, first, change(&[bob], &[ada]), Some(7))
        .await
        .expect_err("stale");
    assert!(matches!(
        stale,
        CoreError::VersionMismatch { current: 1, .. }
    ));

    let group = f.store.group(f.tenant, first).await.expect("group");
    assert_eq!(
        (group.display_name.as_str(), group.directory.version),
        ("First", 1)
    );
    assert_eq!(member_ids(&f, first).await, vec![ada]);
    assert!(member_ids(&f, second).await.is_empty());
    assert_eq!(f.seats(app).await.assigned, 1);
    let not_found = f
        .store
        .patch_directory_group(
            f.tenant,
            &f.actor,
            GroupId(uuid::Uuid::now_v7()),
            change(&[bob], &[]),
            None,
        )
        .await
        .expect_err("unknown group");
    assert!(matches!(
        not_found,
        CoreError::NotFound {
            entity: EntityKind::Group,
            ..
        }
    ));
}

async fn lookups_by_external_id_name_member_and_offset(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let [ada] = f.users(1).await[..] else {
        panic!("one user")
    };
    let a = provision(&f, "Design", "ext-a", &[ada]).await;
    let b = provision(&f, "design", "ext-b", &[]).await;
    let c = provision(&f, "Legal", "ext-c", &[ada]).await;

    let by_external = f
        .store
        .group_by_external_id(f.tenant, "ext-b")
        .await
        .expect("lookup");
    assert_eq!(by_external.map(|g| g.id), Some(b));
    assert!(
        f.store
            .group_by_external_id(f.tenant, "EXT-B")
            .await
            .expect("lookup")
            .is_none()
    );
    let named: Vec<GroupId> = f
        .store
        .groups_by_display_name(f.tenant, " DESIGN ")
        .await
        .expect("by name")
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(named, vec![a, b], "names need not be unique");
    let of_ada: Vec<GroupId> = f
        .store
        .groups_with_member(f.tenant, ada)
        .await
        .expect("of member")
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(of_ada, vec![a, c]);
    assert_eq!(f.store.group_count(f.tenant).await.expect("count"), 3);
    let page: Vec<GroupId> = f
        .store
        .groups_at_offset(f.tenant, 1, 5)
        .await
        .expect("page")
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(page, vec![b, c]);
    let after: Vec<GroupId> = f
        .store
        .groups_in_id_order(f.tenant, Some(a), 1)
        .await
        .expect("walk")
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(after, vec![b]);

    let other = Fixture::new(db).await;
    assert_eq!(
        other.store.group_count(other.tenant).await.expect("count"),
        0
    );
    assert!(
        other
            .store
            .groups_with_member(other.tenant, ada)
            .await
            .expect("none")
            .is_empty()
    );
}
