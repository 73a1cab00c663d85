//! `createGroup`: a group with its first members; an unknown member is a
//! user error and creates no group.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

async fn creates_a_group_with_members(app: TestApp) {
    let admin = app.admin_token();
    let users = app.create_users(&admin, "Member", 2).await;
    let response = app
        .gql("mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id displayName description memberCount members { nodes { displayName } } } userErrors { field message code } } }")
        .var("input", json!({ "displayName": "Engineering", "description": "Builds things", "memberIds": users }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("group_created", response.redacted());
    assert_eq!(response.data()["createGroup"]["group"]["memberCount"], 2);
}

async fn an_app_id_as_a_member_creates_nothing(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let response = app
        .gql("mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { field code } } }")
        .var("input", json!({ "displayName": "Engineering", "memberIds": [whiteboard] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        response.data()["createGroup"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    let groups = app
        .gql("{ groups { totalCount } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(groups.data()["groups"]["totalCount"], 0);
}

e2e_on_both_backends!(
    creates_a_group_with_members,
    an_app_id_as_a_member_creates_nothing
);
