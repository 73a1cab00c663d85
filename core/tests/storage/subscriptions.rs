//! Subscription terms and states, with the store's clock set by the test:
//! every state boundary, a `DISABLED` app refusing new assignments and
//! changing nothing, a renewal bringing it back, costs and the tenant's
//! spend per currency, and bad terms refused without a write.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seatwise_core::clock::ManualClock;
use seatwise_core::ids::{AppId, UserId};
use seatwise_core::model::Seats;
use seatwise_core::paging::PageRequest;
use seatwise_core::subscriptions::{
    CurrencySpend, Subscription, SubscriptionInput, SubscriptionState,
};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreError, EntityKind, InputField, test_on_both_backends};

use crate::support::{Fixture, g, u};

test_on_both_backends!(
    each_state_boundary_follows_the_injected_clock,
    a_disabled_app_refuses_new_assignments_and_changes_nothing,
    a_renewal_brings_a_disabled_app_back,
    costs_and_spend_per_currency_are_exact,
    bad_terms_are_refused_and_change_nothing,
    setting_the_same_terms_again_writes_nothing,
    removing_an_app_removes_its_subscription,
);

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a test date")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("a test decimal")
}

/// A year's term, 2026, at 12.50 EUR a seat, default notice and grace.
fn year_2026() -> SubscriptionInput {
    SubscriptionInput {
        term_start: day("2026-01-01"),
        term_end: day("2026-12-31"),
        auto_renew: false,
        price_per_seat: dec("12.50"),
        currency: "EUR".into(),
        notice_days: None,
        grace_days: None,
        low_seat_threshold: None,
    }
}

/// A fixture whose store reads the date from a manual clock set to `today`.
async fn on_day(db: &TestDatabase, today: &str) -> (Fixture, ManualClock) {
    let clock = ManualClock::on(day(today));
    let mut f = Fixture::new(db).await;
    f.store = f.store.clone().with_clock(clock.clock());
    (f, clock)
}

async fn subscription(f: &Fixture, app: AppId) -> Option<Subscription> {
    f.store
        .subscriptions_of_apps(f.tenant, &[app])
        .await
        .expect("subscriptions")
        .remove(&app)
}

async fn set(f: &Fixture, app: AppId, input: SubscriptionInput) -> Result<Subscription, CoreError> {
    f.store
        .set_subscription(f.tenant, &f.actor, app, input)
        .await
        .map(|set| set.subscription)
}

async fn audit_count(f: &Fixture) -> Option<i64> {
    f.store
        .audit_log(f.tenant, None, &PageRequest::first(1).counting_total(true))
        .await
        .expect("audit log")
        .total_count
}

async fn each_state_boundary_follows_the_injected_clock(db: &TestDatabase) {
    let (f, clock) = on_day(db, "2026-06-01").await;
    let app = f.app(20).await;
    let set_on = set(&f, app, year_2026()).await.expect("set");
    assert_eq!(set_on.status.state, SubscriptionState::Active);
    assert_eq!(
        (set_on.terms.notice_days, set_on.terms.grace_days),
        (30, 30),
        "defaults"
    );
    // Each boundary: the state, the days to the term end, and whether a
    // new assignment is taken (a fresh user each day).
    let boundaries = [
        ("2026-11-30", SubscriptionState::Active, 31, true),
        ("2026-12-01", SubscriptionState::Expiring, 30, true),
        ("2026-12-31", SubscriptionState::Expiring, 0, true),
        ("2027-01-01", SubscriptionState::Expired, -1, true),
        ("2027-01-30", SubscriptionState::Expired, -30, true),
        ("2027-01-31", SubscriptionState::Disabled, -31, false),
    ];
    for (today, state, days, assignable) in boundaries {
        clock.set_today(day(today));
        let s = subscription(&f, app).await.expect("a subscription");
        assert_eq!(
            (s.status.state, s.status.days_to_renewal, s.status.renews_on),
            (state, days, day("2026-12-31")),
            "{today}"
        );
        let user = f.user(&format!("New on {today}")).await;
        let assigned = f.assign(app, &[u(user)]).await;
        assert_eq!(assigned.is_ok(), assignable, "{today}: {assigned:?}");
    }
    assert_eq!(f.seats(app).await.assigned, 5, "five days took a seat");
}

async fn a_disabled_app_refuses_new_assignments_and_changes_nothing(db: &TestDatabase) {
    let (f, clock) = on_day(db, "2026-06-01").await;
    let app = f.app(10).await;
    let direct = f.user("Direct").await;
    let member = f.user("Member").await;
    let design = f.group("Design", &[member]).await;
    f.assign(app, &[u(direct), g(design)]).await.unwrap();
    set(&f, app, year_2026()).await.unwrap();

    clock.set_today(day("2027-02-01"));
    assert_eq!(
        subscription(&f, app).await.unwrap().status.state,
        SubscriptionState::Disabled
    );
    let newcomer = f.user("Newcomer").await;
    let late = f.group("Late", &[newcomer]).await;
    let audit_before = audit_count(&f).await;
    for principals in [
        vec![u(newcomer)],
        vec![g(late)],
        vec![u(direct), u(newcomer)],
    ] {
        let refused = f.assign(app, &principals).await.unwrap_err();
        assert!(
            matches!(
                refused,
                CoreError::SubscriptionInactive { term_end, grace_days: 30 }
                    if term_end == day("2026-12-31")
            ),
            "{refused:?}"
        );
    }
    assert_eq!(audit_count(&f).await, audit_before, "nothing audited");
    assert_eq!(
        f.seats(app).await,
        Seats {
            purchased: 10,
            assigned: 2
        }
    );
    assert!(f.license(newcomer, app).await.is_none());
    let assignments = f
        .store
        .assignments(f.tenant, app, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(assignments.items.len(), 2, "no assignment was added");

    // Existing assignments stay; asking again for one changes nothing and
    // is not refused.
    assert!(f.license(direct, app).await.is_some());
    assert!(f.license(member, app).await.is_some());
    let again = f.assign(app, &[u(direct)]).await.unwrap();
    assert!(again.assignments.is_empty());
    // Taking a license away still works.
    f.unassign(app, &[u(direct)]).await.unwrap();
    assert!(f.license(direct, app).await.is_none());
    // Group membership is the directory's business: a member added to a
    // group that holds the app gets it (see `subscriptions`' module docs).
    f.store
        .add_group_members(f.tenant, &f.actor, design, &[newcomer])
        .await
        .unwrap();
    assert!(f.license(newcomer, app).await.is_some());
    f.assert_seats_consistent(app).await;
}

async fn a_renewal_brings_a_disabled_app_back(db: &TestDatabase) {
    let (f, _clock) = on_day(db, "2027-03-01").await;
    let app = f.app(5).await;
    set(&f, app, year_2026()).await.unwrap();
    let user = f.user("Ada").await;
    assert!(matches!(
        f.assign(app, &[u(user)]).await,
        Err(CoreError::SubscriptionInactive { .. })
    ));

    let renewed = set(
        &f,
        app,
        SubscriptionInput {
            term_start: day("2027-01-01"),
            term_end: day("2027-12-31"),
            ..year_2026()
        },
    )
    .await
    .unwrap();
    assert_eq!(renewed.status.state, SubscriptionState::Active);
    assert_eq!(renewed.status.days_to_renewal, 305);
    f.assign(app, &[u(user)]).await.expect("assignable again");

    let log = f
        .store
        .audit_log(f.tenant, Some(app), &PageRequest::first(5))
        .await
        .unwrap();
    let set_event = log
        .items
        .iter()
        .map(|(_, e)| e)
        .find(|e| e.action.as_str() == "SUBSCRIPTION_SET")
        .expect("the renewal is audited");
    assert_eq!(set_event.details["renewed"], true);
    assert_eq!(set_event.details["wasDisabled"], true);
    assert_eq!(set_event.details["previousTermEnd"], "2026-12-31");
    assert_eq!(set_event.details["termEnd"], "2027-12-31");
    assert_eq!(set_event.details["pricePerSeat"], "12.50");

    // Auto-renew keeps a lapsed term rolling instead.
    let rolling = set(
        &f,
        app,
        SubscriptionInput {
            auto_renew: true,
            ..year_2026()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (rolling.status.state, rolling.status.renews_on),
        (SubscriptionState::Active, day("2027-12-31"))
    );
}

async fn costs_and_spend_per_currency_are_exact(db: &TestDatabase) {
    let (f, _clock) = on_day(db, "2026-06-01").await;
    let whiteboard = f.app(10).await;
    let users: Vec<UserId> = f.users(3).await;
    f.assign(
        whiteboard,
        &users.iter().map(|id| u(*id)).collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let s = set(&f, whiteboard, year_2026()).await.unwrap();
    assert_eq!(s.terms.price_per_seat.to_string(), "12.50");
    assert_eq!(s.annual_cost.to_string(), "125.00");
    assert_eq!(s.unused_seat_cost.to_string(), "87.50");

    let tiny = f.app(3).await;
    set(
        &f,
        tiny,
        SubscriptionInput {
            price_per_seat: dec("0.0125"),
            currency: "USD".into(),
            ..year_2026()
        },
    )
    .await
    .unwrap();
    let yen = f.app(7).await;
    set(
        &f,
        yen,
        SubscriptionInput {
            price_per_seat: dec("1200"),
            currency: "JPY".into(),
            ..year_2026()
        },
    )
    .await
    .unwrap();
    // A lapsed subscription is no longer spend.
    let lapsed = f.app(100).await;
    set(
        &f,
        lapsed,
        SubscriptionInput {
            term_start: day("2024-01-01"),
            term_end: day("2024-12-31"),
            price_per_seat: dec("99.99"),
            ..year_2026()
        },
    )
    .await
    .unwrap();
    let other_eur = f.app(2).await;
    set(
        &f,
        other_eur,
        SubscriptionInput {
            price_per_seat: dec("0.10"),
            ..year_2026()
        },
    )
    .await
    .unwrap();

    let spend = f.store.spend(f.tenant).await.unwrap();
    let expected = [
        ("EUR", 2, "125.20", "87.70"),
        ("JPY", 1, "8400", "8400"),
        ("USD", 1, "0.0375", "0.0375"),
    ];
    let seen: Vec<(String, i64, String, String)> = spend
        .iter()
        .map(
            |CurrencySpend {
                 currency,
                 subscriptions,
                 annual_cost,
                 unused_seat_cost,
             }| {
                (
                    currency.clone(),
                    *subscriptions,
                    annual_cost.to_string(),
                    unused_seat_cost.to_string(),
                )
            },
        )
        .collect();
    let expected: Vec<(String, i64, String, String)> = expected
        .iter()
        .map(|(c, n, a, u)| ((*c).into(), *n, (*a).into(), (*u).into()))
        .collect();
    assert_eq!(seen, expected);
}

async fn bad_terms_are_refused_and_change_nothing(db: &TestDatabase) {
    let (f, _clock) = on_day(db, "2026-06-01").await;
    let app = f.app(5).await;
    set(&f, app, year_2026()).await.unwrap();
    let before = subscription(&f, app).await;
    let audit_before = audit_count(&f).await;
    let cases: Vec<(InputField, SubscriptionInput)> = vec![
        (
            InputField::TermEnd,
            SubscriptionInput {
                term_end: day("2026-01-01"),
                ..year_2026()
            },
        ),
        (
            InputField::TermEnd,
            SubscriptionInput {
                term_end: day("2025-12-31"),
                ..year_2026()
            },
        ),
        (
            InputField::PricePerSeat,
            SubscriptionInput {
                price_per_seat: dec("-0.01"),
                ..year_2026()
            },
        ),
        (
            InputField::PricePerSeat,
            SubscriptionInput {
                price_per_seat: dec("1.00001"),
                ..year_2026()
            },
        ),
        (
            InputField::PricePerSeat,
            SubscriptionInput {
                price_per_seat: dec("1000000000.01"),
                ..year_2026()
            },
        ),
        (
            InputField::Currency,
            SubscriptionInput {
                currency: "eur".into(),
                ..year_2026()
            },
        ),
        (
            InputField::Currency,
            SubscriptionInput {
                currency: "ZZZ".into(),
                ..year_2026()
            },
        ),
        (
            InputField::NoticeDays,
            SubscriptionInput {
                notice_days: Some(366),
                ..year_2026()
            },
        ),
        (
            InputField::GraceDays,
            SubscriptionInput {
                grace_days: Some(-1),
                ..year_2026()
            },
        ),
        (
            InputField::LowSeatThreshold,
            SubscriptionInput {
                low_seat_threshold: Some(-1),
                ..year_2026()
            },
        ),
    ];
    for (field, input) in cases {
        let refused = set(&f, app, input.clone()).await.unwrap_err();
        assert!(
            matches!(&refused, CoreError::InvalidInput { field: f, .. } if *f == field),
            "{input:?}: {refused:?}"
        );
    }
    assert!(matches!(
        set(&f, AppId::new(), year_2026()).await,
        Err(CoreError::NotFound {
            entity: EntityKind::App,
            ..
        })
    ));
    // Another tenant's app is as unknown as a made-up id.
    let other = Fixture::new(db).await;
    let theirs = other.app(5).await;
    assert!(matches!(
        set(&f, theirs, year_2026()).await,
        Err(CoreError::NotFound {
            entity: EntityKind::App,
            ..
        })
    ));
    assert!(subscription(&other, theirs).await.is_none());
    assert_eq!(subscription(&f, app).await, before);
    assert_eq!(audit_count(&f).await, audit_before);
}

async fn setting_the_same_terms_again_writes_nothing(db: &TestDatabase) {
    let (f, _clock) = on_day(db, "2026-06-01").await;
    let app = f.app(5).await;
    set(&f, app, year_2026()).await.unwrap();
    let audit_before = audit_count(&f).await;
    // The same terms, the defaults spelled out and the price with more
    // zeros: nothing to write.
    let same = SubscriptionInput {
        notice_days: Some(30),
        grace_days: Some(30),
        low_seat_threshold: Some(0),
        price_per_seat: dec("12.5000"),
        ..year_2026()
    };
    set(&f, app, same).await.unwrap();
    assert_eq!(audit_count(&f).await, audit_before);
}

async fn removing_an_app_removes_its_subscription(db: &TestDatabase) {
    let (f, _clock) = on_day(db, "2026-06-01").await;
    let app = f.app(5).await;
    set(&f, app, year_2026()).await.unwrap();
    f.store
        .remove_app(f.tenant, &f.actor, app, false)
        .await
        .expect("an unassigned app is removed with its subscription");
    assert!(subscription(&f, app).await.is_none());
    assert!(f.store.spend(f.tenant).await.unwrap().is_empty());
}

/// PostgreSQL only: a batched assignment whose seat UPDATE waited for the
/// app's lock while another transaction disabled the app's subscription
/// is refused. The UPDATE's own read of the terms sees the snapshot from
/// before the wait (no terms); the batch's last statement reads them again
/// under the lock, sees they differ, and the write runs on the exact path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_that_waited_for_the_lock_sees_terms_set_meanwhile() {
    use diesel_async::{
        AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _, SimpleAsyncConnection as _,
    };

    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    // 2026's term is DISABLED after its 30 days of grace.
    let (f, _clock) = on_day(&db, "2027-06-01").await;
    let app = f.app(10).await;
    let user = f.user("Ada Lovelace").await;

    // Another writer holds the app's lock and disables it, uncommitted.
    let mut other = AsyncPgConnection::establish(db.url().as_str())
        .await
        .expect("connect");
    other
        .batch_execute(&format!(
            "BEGIN; \
             SELECT id FROM apps WHERE tenant_id = '{tenant}' AND id = '{app}' FOR UPDATE; \
             INSERT INTO app_subscriptions (tenant_id, app_id, term_start, term_end, auto_renew, \
                 price_per_seat_e4, currency, notice_days, grace_days, low_seat_threshold) \
             VALUES ('{tenant}', '{app}', '2026-01-01', '2026-12-31', false, 125000, 'EUR', 30, 30, 0);",
            tenant = f.tenant,
        ))
        .await
        .expect("lock the app and disable it");

    let store = f.store.clone();
    let (tenant, actor) = (f.tenant, f.actor.clone());
    let assigning =
        tokio::spawn(async move { store.assign_licenses(tenant, &actor, app, &[u(user)]).await });
    // Until the assignment waits for the lock (asked on a connection of
    // its own: a transaction sees one snapshot of pg_stat_activity).
    let mut watch = AsyncPgConnection::establish(db.url().as_str())
        .await
        .expect("connect");
    let waiting = diesel::sql_query(
        "SELECT pid FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while waiting
        .clone()
        .execute(&mut watch)
        .await
        .expect("pg_stat_activity")
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the assignment never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    other.batch_execute("COMMIT").await.expect("commit");

    let refused = assigning.await.expect("task");
    assert!(
        matches!(refused, Err(CoreError::SubscriptionInactive { .. })),
        "{refused:?}"
    );
    assert_eq!(f.license(user, app).await, None);
    assert_eq!(
        f.seats(app).await,
        Seats {
            purchased: 10,
            assigned: 0
        }
    );
}
