//! `assignLicenses`: seats are taken for every distinct user a call names
//! (directly or through groups), or for none.

use seatwise_e2e::snapshot::redact;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

async fn not_enough_seats_changes_nothing(app: TestApp) {
    let admin = app.admin_token();
    let analytics = app.register_app(&admin, "Northwind Analytics", 2).await;
    let users = app.create_users(&admin, "Analyst", 3).await;
    let group = app.create_group(&admin, "Analysts", &users[1..]).await;

    let refused = app
        .assign(&admin, &analytics, &[users[0].clone(), group])
        .await;
    insta::assert_json_snapshot!("not_enough_seats", redact(&refused));
    assert_eq!(refused["app"], json!(null));
    assert_eq!(refused["assignments"], json!([]));
    let error = &refused["userErrors"][0];
    assert_eq!(error["code"], "NOT_ENOUGH_SEATS");
    assert_eq!(
        (error["needed"].as_i64(), error["available"].as_i64()),
        (Some(3), Some(2))
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains('3') && message.contains('2'), "{message}");

    let after = app
        .gql("query($id: ID!) { app(id: $id) { seats { purchased assigned available } assignments { totalCount } licensedUsers { totalCount } } }")
        .var("id", analytics.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        after.data()["app"],
        json!({ "seats": { "purchased": 2, "assigned": 0, "available": 2 }, "assignments": { "totalCount": 0 }, "licensedUsers": { "totalCount": 0 } })
    );
}

/// An id of the wrong kind names no principal (NOT_FOUND); a malformed id
/// or an empty list is INVALID_INPUT; no seat is taken.
async fn unknown_and_malformed_principal_ids(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;

    // An app id where a principal is expected: not found, nothing assigned.
    let wrong_kind = app
        .assign(&admin, &whiteboard, &[ada.clone(), whiteboard.clone()])
        .await;
    assert_eq!(wrong_kind["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(wrong_kind["userErrors"][0]["field"], "principalIds");
    let malformed = app.assign(&admin, &whiteboard, &["%%%".to_owned()]).await;
    assert_eq!(malformed["userErrors"][0]["code"], "INVALID_INPUT");
    insta::assert_json_snapshot!("malformed_principal_id", redact(&malformed));
    let empty = app.assign(&admin, &whiteboard, &[]).await;
    assert_eq!(empty["userErrors"][0]["code"], "INVALID_INPUT");
    insta::assert_json_snapshot!("no_principals", redact(&empty));
    assert_eq!(app.seats(&admin, &whiteboard).await["assigned"], 0);
}

e2e_on_both_backends!(
    not_enough_seats_changes_nothing,
    unknown_and_malformed_principal_ids,
);
