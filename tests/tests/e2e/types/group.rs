//! `Group`: its members and the apps it holds; members gain and lose the
//! group's apps as they join and leave.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

async fn group_members_gain_and_lose_the_groups_apps(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 1).await;
    let users = app.create_users(&admin, "Member", 2).await;
    let group = app.create_group(&admin, "Team", &[]).await;
    assert_eq!(
        app.assign(&admin, &whiteboard, std::slice::from_ref(&group))
            .await["userErrors"],
        json!([])
    );

    let add = app
        .gql("mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { group { memberCount assignedApps { nodes { name } } } changedUsers { displayName } userErrors { code } } }")
        .var("input", json!({ "groupId": group, "userIds": users }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("members_added", add.redacted());
    let add = &add.data()["addGroupMembers"];
    assert_eq!(add["group"]["memberCount"], 2);
    assert_eq!(
        add["group"]["assignedApps"]["nodes"],
        json!([{ "name": "Contoso Whiteboard" }])
    );
    // One seat, two members: the second waits in COUNT_VIOLATION.
    let errors = app
        .gql("query($id: ID!) { app(id: $id) { seats { assigned } licenseErrorCount licenseErrors { nodes { state errorCode } } } }")
        .var("id", whiteboard.as_str())
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("second_member_waits_for_a_seat", errors.redacted());
    assert_eq!(errors.data()["app"]["seats"]["assigned"], 1);
    assert_eq!(errors.data()["app"]["licenseErrorCount"], 1);

    let remove = app
        .gql("mutation($input: RemoveGroupMembersInput!) { removeGroupMembers(input: $input) { group { memberCount } userErrors { code } } }")
        .var("input", json!({ "groupId": group, "userIds": users }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        remove.data()["removeGroupMembers"]["group"]["memberCount"],
        0
    );
    assert_eq!(app.seats(&admin, &whiteboard).await["assigned"], 0);

    let delete = app
        .gql("mutation($input: DeleteUserInput!) { deleteUser(input: $input) { deletedUserId userErrors { code } } }")
        .var("input", json!({ "userId": users[0] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        delete.data()["deleteUser"],
        json!({ "deletedUserId": users[0], "userErrors": [] })
    );
}

e2e_on_both_backends!(group_members_gain_and_lose_the_groups_apps);
