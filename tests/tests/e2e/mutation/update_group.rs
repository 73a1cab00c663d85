//! `updateGroup`: a rename and new description are saved and the typeahead
//! follows; an empty name is a user error that changes nothing; another
//! tenant's group is NOT_FOUND and a role without the permission is
//! FORBIDDEN.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

const UPDATE_GROUP: &str = "mutation($input: UpdateGroupInput!) {
    updateGroup(input: $input) {
        group { id displayName description }
        userErrors { field message code }
    }
}";

async fn update(app: &TestApp, token: &str, input: Value) -> Value {
    let response = app
        .gql(UPDATE_GROUP)
        .var("input", input)
        .token(token)
        .send()
        .await;
    response.data()["updateGroup"].clone()
}

async fn a_rename_is_saved_and_searchable(app: TestApp) {
    let admin = app.admin_token();
    let group = app.create_group(&admin, "Design", &[]).await;
    let payload = update(
        &app,
        &admin,
        json!({ "groupId": group, "displayName": "Product Design", "description": "Makes things look right" }),
    )
    .await;
    assert_eq!(
        payload,
        json!({
            "group": { "id": group, "displayName": "Product Design", "description": "Makes things look right" },
            "userErrors": [],
        })
    );
    let search = app
        .gql("{ searchPrincipals(query: \"product\") { ... on Group { id } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(search.data()["searchPrincipals"], json!([{ "id": group }]));
}

async fn an_empty_name_changes_nothing(app: TestApp) {
    let admin = app.admin_token();
    let group = app.create_group(&admin, "Design", &[]).await;
    let refused = app
        .gql(UPDATE_GROUP)
        .var(
            "input",
            json!({ "groupId": group, "displayName": " ", "description": "new" }),
        )
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("empty_name", refused.redacted());
    let payload = &refused.data()["updateGroup"];
    assert_eq!(payload["userErrors"][0]["field"], "displayName");
    assert_eq!(payload["userErrors"][0]["code"], "INVALID_INPUT");
    let after = app
        .gql("query($id: ID!) { group(id: $id) { displayName description } }")
        .var("id", group.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        after.data()["group"],
        json!({ "displayName": "Design", "description": "" })
    );
}

async fn roles_and_tenants_are_enforced(app: TestApp) {
    let admin = app.admin_token();
    let group = app.create_group(&admin, "Design", &[]).await;
    let license_admin = app.token(&["LICENSE_ADMIN"]);
    let refused = app
        .gql(UPDATE_GROUP)
        .var("input", json!({ "groupId": group, "displayName": "Mine" }))
        .token(&license_admin)
        .send()
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let payload = update(
        &app,
        &other_admin,
        json!({ "groupId": group, "displayName": "Mine" }),
    )
    .await;
    assert_eq!(payload["userErrors"][0]["field"], "groupId", "{payload:#}");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
}

e2e_on_both_backends!(
    a_rename_is_saved_and_searchable,
    an_empty_name_changes_nothing,
    roles_and_tenants_are_enforced,
);
