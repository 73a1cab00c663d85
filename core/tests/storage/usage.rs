//! App usage on a manual clock: recording keeps the latest time, bad
//! records are rejected one by one, idle seats follow the clock, and
//! reclaiming removes only direct assignments, handing freed seats to
//! waiting users with the usual audit and webhook events.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use seatwise_core::clock::ManualClock;
use seatwise_core::events::{EventKind, NewWebhookEndpoint};
use seatwise_core::ids::{AppId, UserId};
use seatwise_core::model::{LicenseErrorCode, LicenseState};
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;
use seatwise_core::usage::{
    ActivitySource, MAX_USAGE_RECORDS, UsageRecord, UsageRejection, UsageRejectionReason, UsageUser,
};
use seatwise_core::{AuditAction, CoreError, InputField, LicenseFilter, test_on_both_backends};

use crate::support::{Fixture, g, u};

test_on_both_backends!(
    the_latest_report_wins_and_an_older_one_never_moves_it_back,
    unknown_users_and_future_times_are_rejected_one_by_one,
    too_many_records_or_a_bad_window_change_nothing,
    idle_seats_follow_the_clock_and_never_seen_counts_from_the_seat,
    a_reclaim_frees_direct_seats_only_and_waiting_users_take_them,
    a_dry_run_lists_and_writes_nothing,
);

/// Today, by the system clock: licenses record when they were taken by the
/// system time, so the manual clock starts there and moves forward.
async fn fixture(db: &TestDatabase) -> (Fixture, ManualClock) {
    let clock = ManualClock::on(Utc::now().date_naive());
    let mut f = Fixture::new(db).await;
    f.store = f.store.clone().with_clock(clock.clock());
    (f, clock)
}

fn by_id(user: UserId, at: DateTime<Utc>) -> UsageRecord {
    UsageRecord {
        user: UsageUser::Id(user),
        last_active_at: at,
    }
}

async fn record(
    f: &Fixture,
    app: AppId,
    records: &[UsageRecord],
) -> seatwise_core::usage::UsageRecorded {
    f.store
        .record_usage(f.tenant, &f.actor, app, records, ActivitySource::Import)
        .await
        .expect("record usage")
}

async fn last_active(f: &Fixture, app: AppId, user: UserId) -> Option<DateTime<Utc>> {
    f.store
        .last_activity(f.tenant, &[(app, user)])
        .await
        .expect("last activity")
        .remove(&(app, user))
}

async fn idle_users(f: &Fixture, app: AppId, days: i32) -> Vec<UserId> {
    f.store
        .idle_seats(f.tenant, app, days, &PageRequest::first(100))
        .await
        .expect("idle seats")
        .items
        .into_iter()
        .map(|(_, s)| s.user_id)
        .collect()
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, 0, 0).expect("a time").and_utc()
}

async fn the_latest_report_wins_and_an_older_one_never_moves_it_back(db: &TestDatabase) {
    let (f, clock) = fixture(db).await;
    let app = f.app(10).await;
    let ann = f.user("Ann").await;
    let email = f.store.user(f.tenant, ann).await.expect("ann").email;
    let today = clock.clock().today();
    let yesterday = today - Duration::days(1);

    let first = record(&f, app, &[by_id(ann, at(yesterday, 9))]).await;
    assert_eq!((first.applied, first.users_updated), (1, 1));
    assert_eq!(last_active(&f, app, ann).await, Some(at(yesterday, 9)));

    // By email (any case), later: moves forward.
    let later = UsageRecord {
        user: UsageUser::Email(email.to_uppercase()),
        last_active_at: at(today, 8),
    };
    assert_eq!(record(&f, app, &[later]).await.users_updated, 1);
    assert_eq!(last_active(&f, app, ann).await, Some(at(today, 8)));

    // Older: read, applied, and changes nothing.
    let older = record(&f, app, &[by_id(ann, at(yesterday, 23))]).await;
    assert_eq!((older.applied, older.users_updated), (1, 0));
    assert_eq!(last_active(&f, app, ann).await, Some(at(today, 8)));

    // Several records of one user in one call keep the latest.
    let many = record(
        &f,
        app,
        &[
            by_id(ann, at(today, 10)),
            by_id(ann, at(today, 11)),
            by_id(ann, at(today, 9)),
        ],
    )
    .await;
    assert_eq!((many.applied, many.users_updated), (3, 1));
    assert_eq!(last_active(&f, app, ann).await, Some(at(today, 11)));
}

async fn unknown_users_and_future_times_are_rejected_one_by_one(db: &TestDatabase) {
    let (f, clock) = fixture(db).await;
    let app = f.app(10).await;
    let ann = f.user("Ann").await;
    let now = clock.clock().now();
    let other = Fixture::new(db).await;
    let stranger = other.user("Stranger").await;
    let stranger_email = other
        .store
        .user(other.tenant, stranger)
        .await
        .expect("s")
        .email;

    let recorded = record(
        &f,
        app,
        &[
            by_id(stranger, now),
            by_id(ann, now - Duration::hours(1)),
            UsageRecord {
                user: UsageUser::Email(stranger_email),
                last_active_at: now,
            },
            UsageRecord {
                user: UsageUser::Email("nobody@contoso.example".into()),
                last_active_at: now,
            },
            by_id(ann, now + Duration::days(2)),
        ],
    )
    .await;
    assert_eq!(recorded.applied, 1);
    assert_eq!(
        recorded.rejected,
        vec![
            UsageRejection {
                index: 0,
                reason: UsageRejectionReason::UnknownUser
            },
            UsageRejection {
                index: 2,
                reason: UsageRejectionReason::UnknownUser
            },
            UsageRejection {
                index: 3,
                reason: UsageRejectionReason::UnknownUser
            },
            UsageRejection {
                index: 4,
                reason: UsageRejectionReason::InFuture
            },
        ]
    );
    assert_eq!(
        last_active(&f, app, ann).await,
        Some((now - Duration::hours(1)).with_timezone(&Utc)),
        "the good record applied, the future one not"
    );
    // Another tenant's app is not found.
    let err = other
        .store
        .record_usage(other.tenant, &other.actor, app, &[], ActivitySource::Import)
        .await
        .expect_err("another tenant's app");
    assert!(matches!(err, CoreError::NotFound { .. }), "{err:?}");
}

async fn too_many_records_or_a_bad_window_change_nothing(db: &TestDatabase) {
    let (f, clock) = fixture(db).await;
    let app = f.app(10).await;
    let ann = f.user("Ann").await;
    let records = vec![by_id(ann, clock.clock().now()); MAX_USAGE_RECORDS + 1];
    let err = f
        .store
        .record_usage(f.tenant, &f.actor, app, &records, ActivitySource::Import)
        .await
        .expect_err("over the cap");
    assert!(
        matches!(
            err,
            CoreError::InvalidInput {
                field: InputField::UsageRecords,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(last_active(&f, app, ann).await, None);
    for days in [0, -1, 3651] {
        let err = f
            .store
            .usage_summary(f.tenant, app, days)
            .await
            .expect_err("window");
        assert!(
            matches!(
                err,
                CoreError::InvalidInput {
                    field: InputField::IdleDays,
                    ..
                }
            ),
            "{days}: {err:?}"
        );
        let err = f
            .store
            .reclaim_idle_seats(f.tenant, &f.actor, app, days, false)
            .await
            .expect_err("window");
        assert!(
            matches!(
                err,
                CoreError::InvalidInput {
                    field: InputField::IdleDays,
                    ..
                }
            ),
            "{days}: {err:?}"
        );
    }
}

async fn idle_seats_follow_the_clock_and_never_seen_counts_from_the_seat(db: &TestDatabase) {
    let (f, clock) = fixture(db).await;
    let app = f.app(10).await;
    let [active, stale, never] = [
        f.user("Active").await,
        f.user("Stale").await,
        f.user("Never").await,
    ];
    f.assign(app, &[u(active), u(stale), u(never)])
        .await
        .expect("assign");
    let now = clock.clock().now();
    record(
        &f,
        app,
        &[by_id(active, now), by_id(stale, now - Duration::days(20))],
    )
    .await;

    // Day 0: "never" took the seat today, "stale" was seen 20 days ago.
    let summary = f
        .store
        .usage_summary(f.tenant, app, 30)
        .await
        .expect("summary");
    assert_eq!((summary.active_users, summary.idle_seats), (2, 0));
    assert_eq!(idle_users(&f, app, 10).await, vec![stale]);

    // Ten days on: "stale" is 30 days idle; "never" has held the seat
    // for only 10, so is neither active nor idle yet.
    clock.advance_days(10);
    assert_eq!(idle_users(&f, app, 30).await, vec![stale]);
    let summary = f
        .store
        .usage_summary(f.tenant, app, 30)
        .await
        .expect("summary");
    assert_eq!((summary.active_users, summary.idle_seats), (1, 1));

    // Thirty-one days on: "never" too; "active" was seen 31 days ago.
    clock.advance_days(21);
    let mut all = vec![active, stale, never];
    all.sort();
    assert_eq!(idle_users(&f, app, 30).await, all);
    let summary = f
        .store
        .usage_summary(f.tenant, app, 30)
        .await
        .expect("summary");
    assert_eq!((summary.active_users, summary.idle_seats), (0, 3));
    let page = f
        .store
        .idle_seats(f.tenant, app, 30, &PageRequest::first(2))
        .await
        .expect("page");
    assert!(page.has_next_page);
    assert_eq!(page.total_count, Some(3));
    let rest = f
        .store
        .idle_seats(
            f.tenant,
            app,
            30,
            &PageRequest::first(2).after(page.items.last().map(|(c, _)| c.clone())),
        )
        .await
        .expect("page 2");
    assert_eq!(rest.items.len(), 1);
    assert!(!rest.has_next_page);
    let never_seat = rest
        .items
        .iter()
        .chain(page.items.iter())
        .map(|(_, s)| s)
        .find(|s| s.user_id == never)
        .expect("never");
    assert_eq!(never_seat.last_active_at, None);
    assert!(never_seat.assigned_directly);
}

async fn a_reclaim_frees_direct_seats_only_and_waiting_users_take_them(db: &TestDatabase) {
    let (f, clock) = fixture(db).await;
    let app = f.app(3).await;
    let [direct, both, in_group, waiting, busy] = [
        f.user("Direct").await,
        f.user("Both").await,
        f.user("In group").await,
        f.user("Waiting").await,
        f.user("Busy").await,
    ];
    let (_endpoint, _secret) = f
        .store
        .create_webhook_endpoint(
            f.tenant,
            &f.actor,
            NewWebhookEndpoint {
                url: "https://hooks.contoso.example/seatwise".into(),
                events: vec![EventKind::LicenseUnassigned, EventKind::LicenseAssigned],
                description: None,
            },
        )
        .await
        .expect("endpoint");
    f.assign(app, &[u(direct), u(both)]).await.expect("direct");
    let team = f.group("Team", &[both, in_group]).await;
    f.assign(app, &[g(team)]).await.expect("group");
    // The app is full: a new member of the group waits.
    f.store
        .add_group_members(f.tenant, &f.actor, team, &[waiting])
        .await
        .expect("join");
    assert_eq!(
        f.license(waiting, app).await.map(|l| l.error_code),
        Some(Some(LicenseErrorCode::CountViolation))
    );
    f.assign(app, &[u(busy)])
        .await
        .expect_err("no seat for busy");
    clock.advance_days(40);
    record(&f, app, &[by_id(in_group, clock.clock().now())]).await;

    let reclaimed = f
        .store
        .reclaim_idle_seats(f.tenant, &f.actor, app, 30, false)
        .await
        .expect("reclaim");
    let mut expected = vec![(direct, true), (both, false)];
    expected.sort();
    assert_eq!(
        reclaimed
            .seats
            .iter()
            .map(|s| (s.user_id, s.seat_freed))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(reclaimed.seats_freed(), 1);
    assert_eq!(f.license(direct, app).await, None, "direct seat reclaimed");
    let kept = f.license(both, app).await.expect("both keeps the app");
    assert!(!kept.assigned_directly && kept.via_groups == vec![team]);
    assert_eq!(
        f.license(waiting, app).await.map(|l| l.state),
        Some(LicenseState::Active),
        "the waiting user took the freed seat"
    );
    assert_eq!(reclaimed.app.seats.assigned, 3);
    f.assert_seats_consistent(app).await;
    assert!(f.licensed(app, LicenseFilter::Errors).await.is_empty());

    let audit = f
        .store
        .audit_log(f.tenant, Some(app), &PageRequest::first(2))
        .await
        .expect("audit");
    let actions: Vec<_> = audit.items.iter().map(|(_, e)| e.action.known()).collect();
    assert_eq!(
        actions,
        vec![
            Some(AuditAction::IdleSeatsReclaimed),
            Some(AuditAction::LicenseUnassigned)
        ]
    );
    assert_eq!(audit.items[0].1.details["seatsFreed"], 1);
    assert_eq!(audit.items[0].1.details["idleDays"], 30);

    let endpoint = f
        .store
        .webhook_endpoints(f.tenant)
        .await
        .expect("endpoints")[0]
        .id;
    let kinds: Vec<EventKind> = f
        .webhook_queue(endpoint, 100)
        .await
        .into_iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(
        &kinds[kinds.len() - 2..],
        &[EventKind::LicenseUnassigned, EventKind::LicenseAssigned],
        "direct lost the license, waiting gained it: {kinds:?}"
    );

    // Nothing idle any more: a second reclaim writes nothing.
    let again = f
        .store
        .reclaim_idle_seats(f.tenant, &f.actor, app, 30, false)
        .await
        .expect("again");
    assert!(again.seats.is_empty());
    let after = f
        .store
        .audit_log(f.tenant, Some(app), &PageRequest::first(1))
        .await
        .expect("audit");
    assert_eq!(
        after.items[0].1.id, audit.items[0].1.id,
        "no new audit event"
    );
}

async fn a_dry_run_lists_and_writes_nothing(db: &TestDatabase) {
    let (f, clock) = fixture(db).await;
    let app = f.app(5).await;
    let [a, b] = [f.user("A").await, f.user("B").await];
    f.assign(app, &[u(a), u(b)]).await.expect("assign");
    clock.advance_days(90);
    record(
        &f,
        app,
        &[by_id(b, clock.clock().now() - Duration::days(10))],
    )
    .await;
    let dry = f
        .store
        .reclaim_idle_seats(f.tenant, &f.actor, app, 60, true)
        .await
        .expect("dry run");
    assert!(dry.dry_run);
    assert_eq!(
        dry.seats.iter().map(|s| s.user_id).collect::<Vec<_>>(),
        vec![a]
    );
    assert_eq!(dry.app.seats.assigned, 2);
    assert!(dry.license_changes.is_empty());
    assert_eq!(f.seats(app).await.assigned, 2, "nothing unassigned");
    let audit = f
        .store
        .audit_log(f.tenant, Some(app), &PageRequest::first(1))
        .await
        .expect("audit");
    assert_eq!(
        audit.items[0].1.action.known(),
        Some(AuditAction::UsageImported)
    );
}
