//! `updateUser`: a rename, new email and disabled sign-in are saved (and
//! the typeahead follows), a disabled user keeps their licenses, a taken
//! email or bad value is a user error that changes nothing, and another
//! tenant's user is NOT_FOUND.

use seatwise_e2e::{GraphqlResponse, TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

const UPDATE_USER: &str = "mutation($input: UpdateUserInput!) {
    updateUser(input: $input) {
        user { id displayName email accountEnabled licenses { nodes { state app { name } } } }
        userErrors { field message code }
    }
}";

async fn send(app: &TestApp, token: &str, input: Value) -> GraphqlResponse {
    app.gql(UPDATE_USER)
        .var("input", input)
        .token(token)
        .send()
        .await
}

async fn update(app: &TestApp, token: &str, input: Value) -> Value {
    send(app, token, input).await.data()["updateUser"].clone()
}

async fn a_disabled_renamed_user_keeps_their_licenses(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 2).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&ada))
        .await;

    let payload = update(
        &app,
        &admin,
        json!({ "userId": ada, "displayName": "Ada King", "email": "countess@example.com", "accountEnabled": false }),
    )
    .await;
    assert_eq!(
        payload,
        json!({
            "user": {
                "id": ada, "displayName": "Ada King", "email": "countess@example.com", "accountEnabled": false,
                "licenses": { "nodes": [{ "state": "ACTIVE", "app": { "name": "Whiteboard" } }] },
            },
            "userErrors": [],
        })
    );
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 1, "available": 1 })
    );
    let search = app
        .gql("{ king: searchPrincipals(query: \"king\") { ... on User { id } } old: searchPrincipals(query: \"lovelace\") { ... on User { id } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        search.data(),
        &json!({ "king": [{ "id": ada }], "old": [] })
    );
    let log = app
        .gql("{ auditLog(first: 1) { nodes { action } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(log.data()["auditLog"]["nodes"][0]["action"], "USER_UPDATED");
}

async fn bad_values_and_a_taken_email_change_nothing(app: TestApp) {
    let admin = app.admin_token();
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    app.create_user(&admin, "Grace Hopper", "grace@example.com")
        .await;
    let cases = [
        (
            send(
                &app,
                &admin,
                json!({ "userId": ada, "displayName": "Ada King", "email": "GRACE@example.com" }),
            )
            .await,
            "email",
            "ALREADY_EXISTS",
        ),
        (
            send(&app, &admin, json!({ "userId": ada, "displayName": "  " })).await,
            "displayName",
            "INVALID_INPUT",
        ),
        (
            send(
                &app,
                &admin,
                json!({ "userId": ada, "email": "not-an-email" }),
            )
            .await,
            "email",
            "INVALID_INPUT",
        ),
    ];
    let redacted: Vec<Value> = cases
        .iter()
        .map(|(response, _, _)| response.redacted())
        .collect();
    insta::assert_json_snapshot!("refused", redacted);
    for (response, field, code) in &cases {
        let payload = &response.data()["updateUser"];
        assert_eq!(payload["user"], json!(null));
        assert_eq!(payload["userErrors"][0]["field"], *field, "{payload:#}");
        assert_eq!(payload["userErrors"][0]["code"], *code, "{payload:#}");
    }
    let user = app
        .gql("query($id: ID!) { user(id: $id) { displayName email accountEnabled } }")
        .var("id", ada.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        user.data()["user"],
        json!({ "displayName": "Ada Lovelace", "email": "ada@example.com", "accountEnabled": true })
    );
}

async fn roles_and_tenants_are_enforced(app: TestApp) {
    let admin = app.admin_token();
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let billing = app.token(&["BILLING_ADMIN"]);
    let refused = app
        .gql(UPDATE_USER)
        .var("input", json!({ "userId": ada, "accountEnabled": false }))
        .token(&billing)
        .send()
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let payload = update(
        &app,
        &other_admin,
        json!({ "userId": ada, "displayName": "Mallory" }),
    )
    .await;
    assert_eq!(payload["user"], json!(null));
    assert_eq!(payload["userErrors"][0]["field"], "userId");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
}

e2e_on_both_backends!(
    a_disabled_renamed_user_keeps_their_licenses,
    bad_values_and_a_taken_email_change_nothing,
    roles_and_tenants_are_enforced,
);
