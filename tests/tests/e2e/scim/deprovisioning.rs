//! Users leaving through SCIM: `DELETE /Users/{id}` of a seat holder gives
//! the seat to the user waiting for it, and Entra ID's deprovisioning
//! (deactivate with `"op": "Replace"` and `"False"`, then delete) frees the
//! seat at the PATCH, audits both steps as the token, and ends in 204, then
//! 404.

use reqwest::Method;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

use super::{Scim, graphql_id};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// POST a user as Entra ID sends one; its `/scim/v2/Users/{id}` path.
async fn provision(scim: &Scim<'_>, email: &str, name: &str) -> String {
    let created = scim
        .post(
            "/scim/v2/Users",
            json!({
                "schemas": [USER_SCHEMA],
                "externalId": format!("ext-{email}"),
                "userName": email,
                "active": true,
                "displayName": name,
                "emails": [{ "primary": true, "type": "work", "value": email }]
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    format!(
        "/scim/v2/Users/{}",
        created.body["id"].as_str().expect("a SCIM id")
    )
}

/// An app's seats in use, users waiting for one, and who holds a license
/// in which state.
async fn holders(app: &TestApp, id: &str) -> Value {
    let answer = app
        .gql("query($id: ID!) { app(id: $id) { seats { assigned } licenseErrorCount licensedUsers { nodes { user { email } state } } } }")
        .var("id", id)
        .token(&app.admin_token())
        .send()
        .await;
    answer.data()["app"].clone()
}

/// A one-seat app held by `holder` through Sales, and `waiting` added to
/// Sales after it, so they wait in `COUNT_VIOLATION`. Returns the app's id.
async fn full_app_with_a_waiting_user(app: &TestApp, holder: &str, waiting: &str) -> String {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 1).await;
    let sales = app
        .create_group(&admin, "Sales", &[holder.to_owned()])
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&sales))
        .await;
    let joined = app
        .gql("mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { userErrors { code } } }")
        .var("input", json!({ "groupId": sales, "userIds": [waiting] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(joined.data()["addGroupMembers"]["userErrors"], json!([]));
    let before = holders(app, &whiteboard).await;
    assert_eq!(before["seats"]["assigned"], 1);
    assert_eq!(before["licenseErrorCount"], 1, "{before:#}");
    whiteboard
}

/// The actions audited with `actor`, oldest first.
async fn audited_as(app: &TestApp, actor: &str) -> Vec<String> {
    let audit = app
        .gql("{ auditLog(first: 50) { nodes { action actor } } }")
        .token(&app.admin_token())
        .send()
        .await;
    let mut actions: Vec<String> = audit.data()["auditLog"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["actor"] == actor)
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect();
    // The log is newest first.
    actions.reverse();
    actions
}

/// DELETE of a user holding the last seat: the seat goes to the user
/// waiting for it, at once.
async fn deleting_a_seat_holder_gives_the_seat_to_a_waiting_user(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    let path = provision(&scim, "adele@contoso.example", "Adele Vance").await;
    let adele = graphql_id(&app, "adele@contoso.example").await;
    let alex = app
        .create_user(&app.admin_token(), "Alex Wilber", "alex@contoso.example")
        .await;
    let whiteboard = full_app_with_a_waiting_user(&app, &adele, &alex).await;

    let deleted = scim.send(Method::DELETE, &path, None, &[]).await;
    assert_eq!(deleted.status, 204, "{:#}", deleted.body);
    assert_eq!(deleted.body, Value::Null, "no body");
    assert_eq!(
        holders(&app, &whiteboard).await,
        json!({
            "seats": { "assigned": 1 },
            "licenseErrorCount": 0,
            "licensedUsers": { "nodes": [{ "user": { "email": "alex@contoso.example" }, "state": "ACTIVE" }] },
        }),
        "Alex took Adele's seat"
    );
    assert_eq!(scim.get(&path).await.status, 404);
    assert_eq!(
        audited_as(&app, "scim:Okta").await,
        ["USER_CREATED", "USER_DELETED"]
    );
}

/// Entra ID deprovisions in two steps: `active` to `"False"` (the seat is
/// freed here, and the waiting user takes it), then DELETE (204; nothing
/// left to free), and the user is gone (404, also to a second DELETE).
async fn entra_deactivates_then_deletes(app: TestApp) {
    let scim = Scim::connect(&app, "Entra ID").await;
    let path = provision(&scim, "adele@contoso.example", "Adele Vance").await;
    let adele = graphql_id(&app, "adele@contoso.example").await;
    let alex = app
        .create_user(&app.admin_token(), "Alex Wilber", "alex@contoso.example")
        .await;
    let whiteboard = full_app_with_a_waiting_user(&app, &adele, &alex).await;
    let alex_holds = json!({
        "seats": { "assigned": 1 },
        "licenseErrorCount": 0,
        "licensedUsers": { "nodes": [{ "user": { "email": "alex@contoso.example" }, "state": "ACTIVE" }] },
    });

    let deactivated = scim
        .patch(
            &path,
            json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] }),
        )
        .await;
    assert_eq!(deactivated.status, 200, "{:#}", deactivated.body);
    assert_eq!(deactivated.body["active"], false);
    assert_eq!(
        holders(&app, &whiteboard).await,
        alex_holds,
        "the seat is freed at the PATCH, not the DELETE"
    );
    let state = app
        .gql("query($id: ID!) { user(id: $id) { accountEnabled directoryStatus } }")
        .var("id", adele.as_str())
        .token(&app.admin_token())
        .send()
        .await;
    assert_eq!(
        state.data()["user"],
        json!({ "accountEnabled": false, "directoryStatus": "DEACTIVATED" })
    );

    let deleted = scim.send(Method::DELETE, &path, None, &[]).await;
    assert_eq!(deleted.status, 204, "{:#}", deleted.body);
    assert_eq!(holders(&app, &whiteboard).await, alex_holds);
    let gone = scim.get(&path).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.content_type, "application/scim+json");
    assert_eq!(
        scim.send(Method::DELETE, &path, None, &[]).await.status,
        404,
        "a repeated DELETE finds nothing"
    );
    let user = app
        .gql("query($id: ID!) { user(id: $id) { id } }")
        .var("id", adele.as_str())
        .token(&app.admin_token())
        .send()
        .await;
    assert_eq!(user.data()["user"], json!(null));
    assert_eq!(
        audited_as(&app, "scim:Entra ID").await,
        ["USER_CREATED", "USER_UPDATED", "USER_DELETED"],
        "each step is audited as the token"
    );
}

e2e_on_both_backends!(
    deleting_a_seat_holder_gives_the_seat_to_a_waiting_user,
    entra_deactivates_then_deletes,
);
