//! `createUser`: invalid values and a taken email are user errors naming
//! the field, and create nothing.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

async fn invalid_values_are_user_errors(app: TestApp) {
    let admin = app.admin_token();
    app.create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let create_user = |name: &'static str, email: &'static str| {
        app.gql("mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { field message code } } }")
            .var("input", json!({ "displayName": name, "email": email }))
            .token(&admin)
            .send()
    };
    let cases = [
        (
            create_user("   ", "x@example.com").await,
            "displayName",
            "INVALID_INPUT",
        ),
        (
            create_user("X", "not-an-email").await,
            "email",
            "INVALID_INPUT",
        ),
        (
            create_user("Ada Again", "ADA@example.com").await,
            "email",
            "ALREADY_EXISTS",
        ),
    ];
    let payloads: Vec<Value> = cases
        .iter()
        .map(|(response, _, _)| response.redacted())
        .collect();
    insta::assert_json_snapshot!("invalid_values", payloads);
    for (response, field, code) in cases {
        let payload = &response.data()["createUser"];
        assert_eq!(payload["user"], json!(null));
        assert_eq!(payload["userErrors"][0]["field"], field, "{payload:#}");
        assert_eq!(payload["userErrors"][0]["code"], code, "{payload:#}");
    }

    let totals = app
        .gql("{ users { totalCount } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(totals.data(), &json!({ "users": { "totalCount": 1 } }));
}

e2e_on_both_backends!(invalid_values_are_user_errors);
