//! `registerApp`: invalid values are user errors naming the field, and
//! register nothing. Oversized adapter settings are in `limits.rs`.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

async fn invalid_values_are_user_errors(app: TestApp) {
    let admin = app.admin_token();
    let register = app
        .gql("mutation($input: RegisterAppInput!) { registerApp(input: $input) { app { id } userErrors { field message code } } }")
        .var("input", json!({ "name": "", "seats": 1, "vendor": { "name": "V", "website": "https://v.example", "supportEmail": "s@v.example" } }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("without_a_name", register.redacted());
    assert_eq!(
        register.data()["registerApp"]["userErrors"][0]["code"],
        "INVALID_INPUT"
    );
    let register = app
        .gql("mutation($input: RegisterAppInput!) { registerApp(input: $input) { app { id } userErrors { field message code } } }")
        .var("input", json!({ "name": "App", "seats": -1, "vendor": { "name": "V", "website": "ftp://v.example", "supportEmail": "s@v.example" } }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        register.data()["registerApp"]["userErrors"][0]["code"],
        "INVALID_INPUT"
    );
    insta::assert_json_snapshot!("ftp_website_and_negative_seats", register.redacted());

    let totals = app
        .gql("{ apps { totalCount } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(totals.data(), &json!({ "apps": { "totalCount": 0 } }));
}

e2e_on_both_backends!(invalid_values_are_user_errors);
