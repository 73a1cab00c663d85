//! `importUsage`: records by user id or email set `UserLicense.lastActiveAt`,
//! the latest time wins, unknown users and future times are listed in
//! `rejected` while the rest apply, a record naming its user twice (or not
//! at all) is a user error that changes nothing, and only GLOBAL_ADMIN and
//! LICENSE_ADMIN may import.

use chrono::{Duration, Utc};
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

async fn last_active_at(app: &TestApp, token: &str, user: &str) -> Value {
    let response = app
        .gql("query($id: ID!) { user(id: $id) { licenses { nodes { lastActiveAt } } } }")
        .var("id", user)
        .token(token)
        .send()
        .await;
    response.data()["user"]["licenses"]["nodes"][0]["lastActiveAt"].clone()
}

async fn records_apply_by_id_or_email_and_bad_ones_are_listed(app: TestApp) {
    app.manual_clock().set_today(Utc::now().date_naive());
    let now = app.manual_clock().clock().now();
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 5).await;
    let ann = app.create_user(&admin, "Ann", "ann@example.com").await;
    let bob = app.create_user(&admin, "Bob", "bob@example.com").await;
    app.assign(&admin, &whiteboard, &[ann.clone(), bob.clone()])
        .await;
    assert_eq!(last_active_at(&app, &admin, &ann).await, json!(null));

    let yesterday = now - Duration::days(1);
    let imported = app
        .import_usage(
            &app.token(&["LICENSE_ADMIN"]),
            &whiteboard,
            json!([
                { "userId": ann, "lastActiveAt": yesterday },
                { "email": "BOB@example.com", "lastActiveAt": now },
                { "email": "nobody@example.com", "lastActiveAt": now },
                { "userId": whiteboard, "lastActiveAt": now },
                { "userId": ann, "lastActiveAt": now + Duration::days(1) },
            ]),
        )
        .await;
    insta::assert_json_snapshot!("imported", imported.redacted());
    let payload = &imported.data()["importUsage"];
    assert_eq!(
        (payload["applied"].clone(), payload["usersUpdated"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(
        payload["rejected"],
        json!([
            { "index": 2, "reason": "UNKNOWN_USER" },
            { "index": 3, "reason": "UNKNOWN_USER" },
            { "index": 4, "reason": "IN_FUTURE" },
        ])
    );
    assert_eq!(
        last_active_at(&app, &admin, &ann).await,
        json!(yesterday.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
    );

    // An older report never moves the time back.
    let older = app
        .import_usage(
            &admin,
            &whiteboard,
            json!([{ "email": "bob@example.com", "lastActiveAt": yesterday }]),
        )
        .await;
    assert_eq!(older.data()["importUsage"]["usersUpdated"], 0);
    assert_eq!(
        last_active_at(&app, &admin, &bob).await,
        json!(now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
    );
}

async fn ambiguous_records_and_other_roles_change_nothing(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 5).await;
    let ann = app.create_user(&admin, "Ann", "ann@example.com").await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&ann))
        .await;
    let at = app.manual_clock().clock().now() - Duration::days(2);
    let both = app
        .import_usage(
            &admin,
            &whiteboard,
            json!([
                { "userId": ann, "lastActiveAt": at },
                { "userId": ann, "email": "ann@example.com", "lastActiveAt": at },
            ]),
        )
        .await;
    insta::assert_json_snapshot!("ambiguous_record", both.redacted());
    assert_eq!(
        both.data()["importUsage"]["userErrors"][0]["field"],
        "records"
    );
    assert_eq!(last_active_at(&app, &admin, &ann).await, json!(null));
    for role in ["USER_ADMIN", "BILLING_ADMIN", "GLOBAL_READER"] {
        let refused = app
            .import_usage(
                &app.token(&[role]),
                &whiteboard,
                json!([{ "userId": ann, "lastActiveAt": at }]),
            )
            .await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{role}");
    }
    assert_eq!(last_active_at(&app, &admin, &ann).await, json!(null));
}

e2e_on_both_backends!(
    manual_clock: records_apply_by_id_or_email_and_bad_ones_are_listed,
    ambiguous_records_and_other_roles_change_nothing,
);
