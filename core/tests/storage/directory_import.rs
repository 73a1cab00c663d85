//! Directory imports (CSV): upserts are idempotent, match by externalId
//! then email, report every bad row by line and then write nothing, and add
//! group members through the seat engine.

use seatwise_core::directory_import::{
    DirectoryGroup, DirectoryUser, ImportColumn, ImportMode, RejectedRow, UpsertSummary,
};
use seatwise_core::model::DirectorySource;
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{AuditAction, LicenseFilter, Recorded, test_on_both_backends};

use crate::support::{Fixture, g};

fn user(line: u64, name: &str, email: &str, external_id: Option<&str>) -> DirectoryUser {
    DirectoryUser {
        line,
        display_name: name.into(),
        email: email.into(),
        external_id: external_id.map(str::to_owned),
    }
}

fn people(n: usize) -> Vec<DirectoryUser> {
    (0..n)
        .map(|i| {
            user(
                i as u64 + 2,
                &format!("Person {i}"),
                &format!("p{i}@contoso.example"),
                Some(&format!("ext-{i}")),
            )
        })
        .collect()
}

async fn upsert(f: &Fixture, rows: Vec<DirectoryUser>, mode: ImportMode) -> UpsertSummary {
    f.store
        .upsert_directory_users(f.tenant, &f.actor, DirectorySource::Csv, rows, mode)
        .await
        .expect("upsert users")
}

fn counts(s: &UpsertSummary) -> (usize, usize, usize, usize) {
    (s.created, s.updated, s.unchanged, s.rejected.len())
}

async fn user_count(f: &Fixture) -> i64 {
    f.store
        .list_users(f.tenant, None, &PageRequest::first(1))
        .await
        .unwrap()
        .total_count
        .unwrap()
}

test_on_both_backends!(
    a_second_run_changes_nothing,
    a_row_updates_the_user_with_its_external_id,
    bad_rows_are_all_reported_by_line_and_nothing_is_written,
    group_members_are_added_through_the_seat_engine,
);

async fn a_second_run_changes_nothing(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    // More than one INSERT chunk.
    let first = upsert(&f, people(2_500), ImportMode::Apply).await;
    assert_eq!(counts(&first), (2_500, 0, 0, 0));
    let again = upsert(&f, people(2_500), ImportMode::Apply).await;
    assert_eq!(counts(&again), (0, 0, 2_500, 0));
    assert_eq!(user_count(&f).await, 2_500);
    let users = f
        .store
        .list_users(f.tenant, Some("p42@"), &PageRequest::first(5))
        .await
        .unwrap();
    let imported = &users.items[0].1;
    assert_eq!(imported.directory.source, DirectorySource::Csv);
    assert_eq!(imported.directory.external_id.as_deref(), Some("ext-42"));
    let hits = f
        .store
        .search_principals(f.tenant, "person 2499", 5)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1, "imported users are searchable");
    let log = f
        .store
        .audit_log(f.tenant, None, &PageRequest::first(10))
        .await
        .unwrap();
    let imports = log
        .items
        .iter()
        .filter(|(_, e)| e.action == Recorded::Known(AuditAction::UserImported))
        .count();
    assert_eq!(imports, 1, "a run that changes nothing is not audited");
}

async fn a_row_updates_the_user_with_its_external_id(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    upsert(
        &f,
        vec![
            user(2, "Ada", "ada@contoso.example", Some("e-ada")),
            user(3, "Grace", "grace@contoso.example", None),
        ],
        ImportMode::Apply,
    )
    .await;
    let summary = upsert(
        &f,
        vec![
            // New email and name, same externalId: the same user.
            user(2, "Ada King", "ada.king@contoso.example", Some("e-ada")),
            // Matched by email, case-insensitively; gains an externalId.
            user(3, "Grace", "GRACE@contoso.example", Some("e-grace")),
        ],
        ImportMode::Apply,
    )
    .await;
    assert_eq!(counts(&summary), (0, 2, 0, 0));
    assert_eq!(user_count(&f).await, 2);
    let page = f
        .store
        .list_users(f.tenant, None, &PageRequest::first(10))
        .await
        .unwrap();
    let seen: Vec<(String, String, Option<String>, i64)> = page
        .items
        .into_iter()
        .map(|(_, u)| {
            (
                u.display_name,
                u.email,
                u.directory.external_id,
                u.directory.version,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "Ada King".into(),
                "ada.king@contoso.example".into(),
                Some("e-ada".into()),
                2
            ),
            (
                "Grace".into(),
                "GRACE@contoso.example".into(),
                Some("e-grace".into()),
                2
            ),
        ]
    );
    let hits = f
        .store
        .search_principals(f.tenant, "ada.king@", 5)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1, "the new email is searchable");
    let old = f
        .store
        .search_principals(f.tenant, "ada@", 5)
        .await
        .unwrap();
    assert!(old.is_empty(), "the old email is forgotten");
}

async fn bad_rows_are_all_reported_by_line_and_nothing_is_written(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    upsert(
        &f,
        vec![user(2, "Taken", "taken@contoso.example", Some("e-taken"))],
        ImportMode::Apply,
    )
    .await;
    let rows = vec![
        user(2, "Good", "good@contoso.example", None),
        user(3, "Twin", "twin@contoso.example", None),
        user(4, "Bad Email", "not-an-email", None),
        user(5, "Twin Again", "TWIN@contoso.example", None),
        user(6, "", "noname@contoso.example", None),
        // The email is another externalId's user.
        user(7, "Clash", "taken@contoso.example", Some("e-other")),
    ];
    for mode in [ImportMode::Check, ImportMode::Apply] {
        let summary = upsert(&f, rows.clone(), mode).await;
        let lines: Vec<(u64, ImportColumn)> = summary
            .rejected
            .iter()
            .map(|r: &RejectedRow| (r.line, r.column))
            .collect();
        assert_eq!(
            lines,
            [
                (4, ImportColumn::Email),
                (5, ImportColumn::Email),
                (6, ImportColumn::DisplayName),
                (7, ImportColumn::ExternalId),
            ],
            "{mode:?}"
        );
        assert!(summary.rejected[1].message.contains("line 3"));
        assert_eq!(user_count(&f).await, 1, "nothing written in {mode:?}");
    }
    // A dry run of good rows writes nothing either.
    let dry = upsert(&f, people(3), ImportMode::Check).await;
    assert_eq!(counts(&dry), (3, 0, 0, 0));
    assert_eq!(user_count(&f).await, 1);
}

async fn group_members_are_added_through_the_seat_engine(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    upsert(&f, people(3), ImportMode::Apply).await;
    let group_row = |members: &[&str]| DirectoryGroup {
        line: 2,
        display_name: "Engineering".into(),
        description: "Builders".into(),
        external_id: Some("g-eng".into()),
        member_emails: members.iter().map(|m| (*m).to_owned()).collect(),
    };
    let groups = |rows: Vec<DirectoryGroup>| {
        f.store.upsert_directory_groups(
            f.tenant,
            &f.actor,
            DirectorySource::Csv,
            rows,
            ImportMode::Apply,
        )
    };
    let created = groups(vec![group_row(&["p0@contoso.example"])])
        .await
        .unwrap();
    assert_eq!(counts(&created), (1, 0, 0, 0));
    let group = f
        .store
        .list_groups(f.tenant, Some("engineering"), &PageRequest::first(1))
        .await
        .unwrap()
        .items[0]
        .1
        .id;
    let app = f.app(2).await;
    f.assign(app, &[g(group)]).await.unwrap();

    // Two new members for one free seat: one takes it, one waits.
    let rows = vec![
        group_row(&[
            "p0@contoso.example",
            "P1@contoso.example",
            "p2@contoso.example",
        ]),
        DirectoryGroup {
            line: 3,
            display_name: "Sales".into(),
            description: String::new(),
            external_id: None,
            member_emails: vec!["nobody@contoso.example".into()],
        },
    ];
    let refused = groups(rows.clone()).await.unwrap();
    assert_eq!(refused.rejected.len(), 1);
    assert_eq!(
        (refused.rejected[0].line, refused.rejected[0].column),
        (3, ImportColumn::Members)
    );
    assert_eq!(f.seats(app).await.assigned, 1, "nothing written");

    let version_before = f
        .store
        .group(f.tenant, group)
        .await
        .unwrap()
        .directory
        .version;
    let added = groups(rows[..1].to_vec()).await.unwrap();
    assert_eq!(counts(&added), (0, 1, 0, 0));
    assert_eq!(
        f.store
            .group(f.tenant, group)
            .await
            .unwrap()
            .directory
            .version,
        version_before + 1,
        "new members make a new version, which SCIM's If-Match sees"
    );
    assert_eq!(added.waiting_for_seat, 1);
    assert_eq!(added.license_changes.gained_count(), 1);
    assert_eq!(f.seats(app).await.assigned, 2);
    assert_eq!(f.licensed(app, LicenseFilter::Errors).await.len(), 1);
    f.assert_seats_consistent(app).await;

    let again = groups(rows[..1].to_vec()).await.unwrap();
    assert_eq!(counts(&again), (0, 0, 1, 0));
}
