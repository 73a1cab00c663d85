//! `updateApp`: name, description, vendor and adapter are saved without
//! touching seats; bad values (an ftp website, settings over 16 KiB or not
//! an object) are user errors that change nothing; another tenant's app is
//! NOT_FOUND and a role without the permission is FORBIDDEN.

use seatwise_e2e::{GraphqlResponse, TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

const UPDATE_APP: &str = "mutation($input: UpdateAppInput!) {
    updateApp(input: $input) {
        app { id name description vendor { name website supportEmail } adapterKey seats { purchased assigned } }
        userErrors { field message code }
    }
}";

async fn send(app: &TestApp, token: &str, input: Value) -> GraphqlResponse {
    app.gql(UPDATE_APP)
        .var("input", input)
        .token(token)
        .send()
        .await
}

async fn changes_are_saved_and_seats_untouched(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 3).await;
    let updated = send(
        &app,
        &admin,
        json!({
            "appId": whiteboard,
            "name": "Whiteboard Pro",
            "description": "Draw together",
            "vendor": { "name": "Fabrikam", "website": "https://fabrikam.example", "supportEmail": "help@fabrikam.example" },
            "adapterKey": "fabrikam-async",
            "adapterSettings": { "region": "eu" },
        }),
    )
    .await;
    assert_eq!(
        updated.data()["updateApp"],
        json!({
            "app": {
                "id": whiteboard, "name": "Whiteboard Pro", "description": "Draw together",
                "vendor": { "name": "Fabrikam", "website": "https://fabrikam.example", "supportEmail": "help@fabrikam.example" },
                "adapterKey": "fabrikam-async", "seats": { "purchased": 3, "assigned": 0 },
            },
            "userErrors": [],
        })
    );
    // An empty key removes the adapter; fields left out stay.
    let cleared = send(
        &app,
        &admin,
        json!({ "appId": whiteboard, "adapterKey": "" }),
    )
    .await;
    let app_after = &cleared.data()["updateApp"]["app"];
    assert_eq!(app_after["adapterKey"], json!(null));
    assert_eq!(app_after["name"], "Whiteboard Pro");
    let log = app
        .gql("{ auditLog(first: 1) { nodes { action } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(log.data()["auditLog"]["nodes"][0]["action"], "APP_UPDATED");
}

async fn bad_values_change_nothing(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 3).await;
    let oversized = json!({ "blob": "x".repeat(16 * 1024) });
    let cases = [
        (
            send(&app, &admin, json!({ "appId": whiteboard, "name": "Renamed", "vendor": { "name": "V", "website": "ftp://v.example", "supportEmail": "s@v.example" } })).await,
            "vendor.website",
        ),
        (
            send(&app, &admin, json!({ "appId": whiteboard, "name": "Renamed", "adapterSettings": oversized })).await,
            "adapterSettings",
        ),
        (
            send(&app, &admin, json!({ "appId": whiteboard, "name": "Renamed", "adapterSettings": ["not", "an", "object"] })).await,
            "adapterSettings",
        ),
        (
            send(&app, &admin, json!({ "appId": whiteboard, "name": "" })).await,
            "name",
        ),
    ];
    let redacted: Vec<Value> = cases.iter().map(|(r, _)| r.redacted()).collect();
    insta::assert_json_snapshot!("refused", redacted);
    for (response, field) in &cases {
        let payload = &response.data()["updateApp"];
        assert_eq!(payload["app"], json!(null));
        assert_eq!(payload["userErrors"][0]["field"], *field, "{payload:#}");
        assert_eq!(payload["userErrors"][0]["code"], "INVALID_INPUT");
    }
    let after = app
        .gql("query($id: ID!) { app(id: $id) { name vendor { website } } }")
        .var("id", whiteboard.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        after.data()["app"],
        json!({ "name": "Whiteboard", "vendor": { "website": "https://contoso.example" } })
    );
}

async fn roles_and_tenants_are_enforced(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 3).await;
    let user_admin = app.token(&["USER_ADMIN"]);
    let refused = send(
        &app,
        &user_admin,
        json!({ "appId": whiteboard, "name": "Mine" }),
    )
    .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let foreign = send(
        &app,
        &other_admin,
        json!({ "appId": whiteboard, "name": "Mine" }),
    )
    .await;
    let payload = &foreign.data()["updateApp"];
    assert_eq!(payload["userErrors"][0]["field"], "appId");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
}

e2e_on_both_backends!(
    changes_are_saved_and_seats_untouched,
    bad_values_change_nothing,
    roles_and_tenants_are_enforced,
);
