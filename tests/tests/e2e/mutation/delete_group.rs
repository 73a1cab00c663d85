//! `deleteGroup`: members who held an app only through the group lose it,
//! a member who also holds it directly keeps the seat, and a user waiting
//! in COUNT_VIOLATION takes the freed seat; another tenant's group is
//! NOT_FOUND and a role without the permission is FORBIDDEN.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

const DELETE_GROUP: &str = "mutation($input: DeleteGroupInput!) {
    deleteGroup(input: $input) { deletedGroupId userErrors { field message code } }
}";

async fn license_states(app: &TestApp, token: &str, user: &str) -> serde_json::Value {
    let response = app
        .gql("query($id: ID!) { user(id: $id) { licenses { nodes { state errorCode } } } }")
        .var("id", user)
        .token(token)
        .send()
        .await;
    response.data()["user"]["licenses"]["nodes"].clone()
}

async fn frees_only_seats_held_through_it(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 2).await;
    let only = app
        .create_user(&admin, "Only Design", "only@example.com")
        .await;
    let direct = app
        .create_user(&admin, "Also Direct", "direct@example.com")
        .await;
    let waiting = app
        .create_user(&admin, "Waiting", "waiting@example.com")
        .await;
    let design = app
        .create_group(&admin, "Design", &[only.clone(), direct.clone()])
        .await;
    let late = app.create_group(&admin, "Late", &[]).await;
    let assigned = app
        .assign(
            &admin,
            &whiteboard,
            &[design.clone(), direct.clone(), late.clone()],
        )
        .await;
    assert_eq!(assigned["userErrors"], json!([]), "{assigned:#}");
    let added = app
        .gql("mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { userErrors { code } } }")
        .var("input", json!({ "groupId": late, "userIds": [waiting] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(added.data()["addGroupMembers"]["userErrors"], json!([]));
    assert_eq!(
        license_states(&app, &admin, &waiting).await,
        json!([{ "state": "ERROR", "errorCode": "COUNT_VIOLATION" }])
    );

    let deleted = app
        .gql(DELETE_GROUP)
        .var("input", json!({ "groupId": design }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        deleted.data()["deleteGroup"],
        json!({ "deletedGroupId": design, "userErrors": [] })
    );
    assert_eq!(license_states(&app, &admin, &only).await, json!([]));
    for keeper in [&direct, &waiting] {
        assert_eq!(
            license_states(&app, &admin, keeper).await,
            json!([{ "state": "ACTIVE", "errorCode": null }])
        );
    }
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 2, "available": 0 })
    );
    let gone = app
        .gql("query($id: ID!) { group(id: $id) { id } auditLog(first: 1) { nodes { action } } }")
        .var("id", design.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        gone.data(),
        &json!({ "group": null, "auditLog": { "nodes": [{ "action": "GROUP_DELETED" }] } })
    );
}

async fn roles_and_tenants_are_enforced(app: TestApp) {
    let admin = app.admin_token();
    let design = app.create_group(&admin, "Design", &[]).await;
    let billing = app.token(&["BILLING_ADMIN"]);
    let refused = app
        .gql(DELETE_GROUP)
        .var("input", json!({ "groupId": design }))
        .token(&billing)
        .send()
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let foreign = app
        .gql(DELETE_GROUP)
        .var("input", json!({ "groupId": design }))
        .token(&other_admin)
        .send()
        .await;
    let payload = &foreign.data()["deleteGroup"];
    assert_eq!(payload["deletedGroupId"], json!(null));
    assert_eq!(payload["userErrors"][0]["field"], "groupId");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
    let still = app
        .gql("query($id: ID!) { group(id: $id) { displayName } }")
        .var("id", design.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(still.data()["group"], json!({ "displayName": "Design" }));
}

e2e_on_both_backends!(
    frees_only_seats_held_through_it,
    roles_and_tenants_are_enforced
);
