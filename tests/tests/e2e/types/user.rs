//! `User`: a person's details, groups and licenses, held directly or
//! through groups.

use seatwise_e2e::{TestApp, e2e_on_both_backends};

async fn a_users_groups_and_licenses(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let timesheets = app.register_app(&admin, "Fabrikam Timesheets", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let team = app
        .create_group(&admin, "Team", std::slice::from_ref(&ada))
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&ada))
        .await;
    app.assign(&admin, &timesheets, std::slice::from_ref(&team))
        .await;

    let response = app
        .gql("query($id: ID!) { user(id: $id) { id displayName email createdAt
            groups { totalCount nodes { displayName memberCount } }
            licenses { totalCount nodes { app { name } state errorCode assignedDirectly viaGroups { totalCount nodes { displayName } } } } } }")
        .var("id", ada.as_str())
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("user_details", response.redacted());
    let user = &response.data()["user"];
    assert_eq!(user["id"], ada.as_str());
    assert_eq!(user["licenses"]["totalCount"], 2);
}

e2e_on_both_backends!(a_users_groups_and_licenses);
