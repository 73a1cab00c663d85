//! `removeApp`: refused with APP_HAS_ASSIGNMENTS while the app is assigned
//! (nothing changes), allowed with `unassignAll: true`, which unassigns
//! everyone in the same change; another tenant's app is NOT_FOUND and a
//! role without the permission is FORBIDDEN. SEAT_CHANGE_UNDER_WAY is pinned
//! in the core's storage tests (`lifecycle.rs`): here the seat-change worker
//! would race the refusal.

use seatwise_e2e::{GraphqlResponse, TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

const REMOVE_APP: &str = "mutation($input: RemoveAppInput!) {
    removeApp(input: $input) { removedAppId userErrors { field message code } }
}";

async fn send(app: &TestApp, token: &str, input: Value) -> GraphqlResponse {
    app.gql(REMOVE_APP)
        .var("input", input)
        .token(token)
        .send()
        .await
}

async fn refused_while_assigned_then_removed_with_unassign_all(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let team = app
        .create_group(&admin, "Team", std::slice::from_ref(&ada))
        .await;
    app.assign(&admin, &whiteboard, &[ada.clone(), team]).await;

    let refused = send(&app, &admin, json!({ "appId": whiteboard })).await;
    insta::assert_json_snapshot!("has_assignments", refused.redacted());
    assert_eq!(
        refused.data()["removeApp"]["userErrors"][0]["code"],
        "APP_HAS_ASSIGNMENTS"
    );
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 5, "assigned": 1, "available": 4 }),
        "nothing changed"
    );

    let removed = send(
        &app,
        &admin,
        json!({ "appId": whiteboard, "unassignAll": true }),
    )
    .await;
    assert_eq!(
        removed.data()["removeApp"],
        json!({ "removedAppId": whiteboard, "userErrors": [] })
    );
    let after = app
        .gql("query($app: ID!, $user: ID!) { app(id: $app) { id } user(id: $user) { licenses { totalCount } } apps { totalCount } auditLog(first: 1) { nodes { action } } }")
        .var("app", whiteboard.as_str())
        .var("user", ada.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        after.data(),
        &json!({
            "app": null,
            "user": { "licenses": { "totalCount": 0 } },
            "apps": { "totalCount": 0 },
            "auditLog": { "nodes": [{ "action": "APP_REMOVED" }] },
        })
    );
}

async fn roles_and_tenants_are_enforced(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 5).await;
    let user_admin = app.token(&["USER_ADMIN"]);
    let refused = send(&app, &user_admin, json!({ "appId": whiteboard })).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let foreign = send(
        &app,
        &other_admin,
        json!({ "appId": whiteboard, "unassignAll": true }),
    )
    .await;
    let payload = &foreign.data()["removeApp"];
    assert_eq!(payload["userErrors"][0]["field"], "appId");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(
        app.seats(&admin, &whiteboard).await["purchased"],
        5,
        "still there"
    );
}

e2e_on_both_backends!(
    refused_while_assigned_then_removed_with_unassign_all,
    roles_and_tenants_are_enforced,
);
