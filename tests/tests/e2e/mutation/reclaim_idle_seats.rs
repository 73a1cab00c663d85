//! `reclaimIdleSeats`: a dry run lists the direct assignments of users idle
//! for `idleDays` and changes nothing; the real run removes them, and a
//! user waiting in COUNT_VIOLATION takes the freed seat. A license held
//! through a group is never touched. `idleDays` out of range is a user
//! error; only GLOBAL_ADMIN and LICENSE_ADMIN may reclaim, and another
//! tenant's app is NOT_FOUND.

use chrono::Utc;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

/// Two seats held directly by Ann (never seen) and Bob (seen today), and
/// Cleo waiting for a seat through a group; the clock 40 days after the
/// seats were taken, Bob's activity imported then. Returns (app, token).
async fn idle_ann_active_bob_waiting_cleo(app: &TestApp) -> (String, String) {
    app.manual_clock().set_today(Utc::now().date_naive());
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 2).await;
    let ann = app.create_user(&admin, "Ann", "ann@example.com").await;
    let bob = app.create_user(&admin, "Bob", "bob@example.com").await;
    let cleo = app.create_user(&admin, "Cleo", "cleo@example.com").await;
    app.assign(&admin, &whiteboard, &[ann, bob.clone()]).await;
    // The app is full: Cleo, joining a group that holds it, waits.
    let team = app.create_group(&admin, "Team", &[]).await;
    let assigned = app
        .assign(&admin, &whiteboard, std::slice::from_ref(&team))
        .await;
    assert_eq!(assigned["userErrors"], json!([]), "{assigned:#}");
    assert_eq!(
        app.add_group_members(&admin, &team, &[cleo]).await,
        json!([])
    );
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 2, "available": 0 })
    );
    app.manual_clock().advance_days(40);
    let imported = app
        .import_usage(
            &admin,
            &whiteboard,
            json!([{ "userId": bob, "lastActiveAt": app.manual_clock().clock().now() }]),
        )
        .await;
    assert_eq!(imported.data()["importUsage"]["applied"], 1);
    (whiteboard, admin)
}

async fn a_dry_run_lists_and_the_reclaim_frees_seats_for_waiting_users(app: TestApp) {
    let (whiteboard, admin) = idle_ann_active_bob_waiting_cleo(&app).await;
    let licenses = app.token(&["LICENSE_ADMIN"]);

    let dry = app
        .reclaim_idle_seats(&licenses, &whiteboard, 30, true)
        .await;
    insta::assert_json_snapshot!("dry_run", dry.redacted());
    let payload = &dry.data()["reclaimIdleSeats"];
    assert_eq!(
        (payload["count"].clone(), payload["seatsFreed"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(payload["seats"][0]["user"]["displayName"], "Ann");
    assert_eq!(
        payload["app"]["licenseErrorCount"], 1,
        "Cleo waits for a seat"
    );
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 2, "available": 0 }),
        "a dry run changes nothing"
    );

    let done = app
        .reclaim_idle_seats(&licenses, &whiteboard, 30, false)
        .await;
    insta::assert_json_snapshot!("reclaimed", done.redacted());
    let payload = &done.data()["reclaimIdleSeats"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["count"], 1);
    assert_eq!(
        payload["app"],
        json!({ "seats": { "purchased": 2, "assigned": 2, "available": 0 }, "licenseErrorCount": 0 }),
        "Cleo took Ann's seat"
    );
    let audit = app
        .gql("{ auditLog(first: 2) { nodes { action } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        audit.data()["auditLog"]["nodes"],
        json!([{ "action": "IDLE_SEATS_RECLAIMED" }, { "action": "LICENSE_UNASSIGNED" }])
    );

    // Nothing idle any more, and Bob, active, was never listed.
    let again = app
        .reclaim_idle_seats(&licenses, &whiteboard, 30, false)
        .await;
    assert_eq!(again.data()["reclaimIdleSeats"]["count"], 0);
}

async fn bad_windows_roles_and_tenants_change_nothing(app: TestApp) {
    let (whiteboard, admin) = idle_ann_active_bob_waiting_cleo(&app).await;
    for days in [0, 3651] {
        let refused = app
            .reclaim_idle_seats(&admin, &whiteboard, days, false)
            .await;
        let payload = &refused.data()["reclaimIdleSeats"];
        assert_eq!(payload["userErrors"][0]["field"], "idleDays", "{days}");
        assert_eq!(payload["userErrors"][0]["code"], "INVALID_INPUT", "{days}");
        if days == 0 {
            insta::assert_json_snapshot!("idle_days_out_of_range", refused.redacted());
        }
    }
    for role in ["USER_ADMIN", "BILLING_ADMIN", "GLOBAL_READER"] {
        let refused = app
            .reclaim_idle_seats(&app.token(&[role]), &whiteboard, 30, false)
            .await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{role}");
    }
    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let foreign = app
        .reclaim_idle_seats(&other_admin, &whiteboard, 30, false)
        .await;
    let payload = &foreign.data()["reclaimIdleSeats"];
    assert_eq!(payload["userErrors"][0]["field"], "appId");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 2, "available": 0 }),
        "nothing was reclaimed"
    );
}

e2e_on_both_backends!(
    manual_clock: a_dry_run_lists_and_the_reclaim_frees_seats_for_waiting_users,
    bad_windows_roles_and_tenants_change_nothing,
);
