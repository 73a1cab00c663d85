//! `addGroupMembers`: a group id that names no group is NOT_FOUND on
//! `groupId`. What members gain is in `types/group.rs`; the limit on ids
//! per call in `limits.rs`.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

async fn a_user_id_as_the_group_is_not_found(app: TestApp) {
    let admin = app.admin_token();
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;

    let members = app
        .gql("mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { group { id } userErrors { field code } } }")
        .var("input", json!({ "groupId": ada, "userIds": [ada] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        members.data()["addGroupMembers"]["userErrors"],
        json!([{ "field": "groupId", "code": "NOT_FOUND" }])
    );
}

e2e_on_both_backends!(a_user_id_as_the_group_is_not_found);
