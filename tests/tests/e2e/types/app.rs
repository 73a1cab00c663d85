//! `App` as a query answers it; its details screen is in
//! `model_product_flow.rs`, its seat rules under `mutation/`.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

/// A malformed id is INVALID_INPUT; a well-formed id of another kind (a
/// user's) names no app, so the answer is null.
async fn malformed_and_other_kinds_of_ids(app: TestApp) {
    let admin = app.admin_token();
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;

    let response = app
        .gql("{ app(id: \"%%%\") { name } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(response.error_code(), "INVALID_INPUT");
    insta::assert_json_snapshot!("malformed_app_id", response.redacted());
    let response = app
        .gql("query($id: ID!) { app(id: $id) { name } }")
        .var("id", ada.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(response.data()["app"], json!(null));
}

e2e_on_both_backends!(malformed_and_other_kinds_of_ids);
