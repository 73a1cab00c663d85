//! `updateUser`: a rename, new email and disabled sign-in are saved (and
//! the typeahead follows), a disabled user keeps their licenses, a taken
//! email or bad value is a user error that changes nothing, a user the
//! identity provider deactivated is told apart from a disabled one and
//! cannot be enabled here (DIRECTORY_MANAGED), and another tenant's user
//! is NOT_FOUND.

use seatwise_e2e::{GraphqlResponse, TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

use crate::scim::Scim;

const UPDATE_USER: &str = "mutation($input: UpdateUserInput!) {
    updateUser(input: $input) {
        user { id displayName email accountEnabled licenses { nodes { state app { name } } } }
        userErrors { field message code }
    }
}";

async fn send(app: &TestApp, token: &str, input: Value) -> GraphqlResponse {
    app.gql(UPDATE_USER)
        .var("input", input)
        .token(token)
        .send()
        .await
}

async fn update(app: &TestApp, token: &str, input: Value) -> Value {
    send(app, token, input).await.data()["updateUser"].clone()
}

async fn a_disabled_renamed_user_keeps_their_licenses(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 2).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&ada))
        .await;

    let payload = update(
        &app,
        &admin,
        json!({ "userId": ada, "displayName": "Ada King", "email": "countess@example.com", "accountEnabled": false }),
    )
    .await;
    assert_eq!(
        payload,
        json!({
            "user": {
                "id": ada, "displayName": "Ada King", "email": "countess@example.com", "accountEnabled": false,
                "licenses": { "nodes": [{ "state": "ACTIVE", "app": { "name": "Whiteboard" } }] },
            },
            "userErrors": [],
        })
    );
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 1, "available": 1 })
    );
    let search = app
        .gql("{ king: searchPrincipals(query: \"king\") { ... on User { id } } old: searchPrincipals(query: \"lovelace\") { ... on User { id } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        search.data(),
        &json!({ "king": [{ "id": ada }], "old": [] })
    );
    let log = app
        .gql("{ auditLog(first: 1) { nodes { action } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(log.data()["auditLog"]["nodes"][0]["action"], "USER_UPDATED");
}

async fn bad_values_and_a_taken_email_change_nothing(app: TestApp) {
    let admin = app.admin_token();
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    app.create_user(&admin, "Grace Hopper", "grace@example.com")
        .await;
    let cases = [
        (
            send(
                &app,
                &admin,
                json!({ "userId": ada, "displayName": "Ada King", "email": "GRACE@example.com" }),
            )
            .await,
            "email",
            "ALREADY_EXISTS",
        ),
        (
            send(&app, &admin, json!({ "userId": ada, "displayName": "  " })).await,
            "displayName",
            "INVALID_INPUT",
        ),
        (
            send(
                &app,
                &admin,
                json!({ "userId": ada, "email": "not-an-email" }),
            )
            .await,
            "email",
            "INVALID_INPUT",
        ),
    ];
    let redacted: Vec<Value> = cases
        .iter()
        .map(|(response, _, _)| response.redacted())
        .collect();
    insta::assert_json_snapshot!("refused", redacted);
    for (response, field, code) in &cases {
        let payload = &response.data()["updateUser"];
        assert_eq!(payload["user"], json!(null));
        assert_eq!(payload["userErrors"][0]["field"], *field, "{payload:#}");
        assert_eq!(payload["userErrors"][0]["code"], *code, "{payload:#}");
    }
    let user = app
        .gql("query($id: ID!) { user(id: $id) { displayName email accountEnabled } }")
        .var("id", ada.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        user.data()["user"],
        json!({ "displayName": "Ada Lovelace", "email": "ada@example.com", "accountEnabled": true })
    );
}

/// How admins see a user: sign-in, the directory's verdict and licenses.
const USER_STATE: &str = "query($id: ID!) { user(id: $id) {
    displayName accountEnabled directoryStatus licenses { nodes { state app { name } } }
} }";

async fn user_state(app: &TestApp, id: &str) -> Value {
    let answer = app
        .gql(USER_STATE)
        .var("id", id)
        .token(&app.admin_token())
        .send()
        .await;
    answer.data()["user"].clone()
}

/// A user provisioned over SCIM as Entra ID sends one: their SCIM path
/// and GraphQL id.
async fn provision(app: &TestApp, scim: &Scim<'_>, email: &str, name: &str) -> (String, String) {
    let created = scim
        .post(
            "/scim/v2/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": email,
                "displayName": name,
                "emails": [{ "primary": true, "type": "work", "value": email }],
                "active": true
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let path = format!(
        "/scim/v2/Users/{}",
        created.body["id"].as_str().expect("a SCIM id")
    );
    let found = app
        .gql("query($q: String) { users(first: 5, search: $q) { nodes { id } } }")
        .var("q", email)
        .token(&app.admin_token())
        .send()
        .await;
    let id = found.data()["users"]["nodes"][0]["id"]
        .as_str()
        .expect("the user's id")
        .to_owned();
    (path, id)
}

/// Entra ID's PATCH of `active`, with its capitalised op and string
/// boolean (`"True"` / `"False"`).
async fn set_active(scim: &Scim<'_>, path: &str, value: &str) {
    let patched = scim
        .patch(
            path,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "Replace", "path": "active", "value": value }]
            }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);
}

/// An admin's sign-in block keeps the seat, and survives the identity
/// provider's routine `active: "True"`; the identity provider's
/// deactivation releases the seat, shows as `DEACTIVATED`, and enabling
/// that user here is refused with DIRECTORY_MANAGED and changes nothing
/// (not even the rename sent with it). Reactivating in the identity
/// provider is the way back.
async fn a_directory_deactivated_user_cannot_be_enabled_here(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 2).await;
    let scim = Scim::connect(&app, "Entra ID").await;
    let (scim_path, adele) = provision(&app, &scim, "adele@contoso.example", "Adele Vance").await;
    let (alex_path, alex) = provision(&app, &scim, "alex@contoso.example", "Alex Wilber").await;
    app.assign(&admin, &whiteboard, &[adele.clone(), alex.clone()])
        .await;

    // The admin blocks Alex's sign-in, and the identity provider's next
    // sync still calls him active; it deactivates Adele.
    let blocked = update(
        &app,
        &admin,
        json!({ "userId": alex, "accountEnabled": false }),
    )
    .await;
    assert_eq!(blocked["userErrors"], json!([]), "{blocked:#}");
    set_active(&scim, &alex_path, "True").await;
    set_active(&scim, &scim_path, "False").await;

    assert_eq!(
        user_state(&app, &alex).await,
        json!({
            "displayName": "Alex Wilber", "accountEnabled": false, "directoryStatus": "ACTIVE",
            "licenses": { "nodes": [{ "state": "ACTIVE", "app": { "name": "Whiteboard" } }] },
        }),
        "a sign-in block keeps the seat, and the directory's sync keeps the block"
    );
    let adele_before = user_state(&app, &adele).await;
    assert_eq!(adele_before["accountEnabled"], false);
    assert_eq!(adele_before["directoryStatus"], "DEACTIVATED");
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 1, "available": 1 }),
        "the deactivation released Adele's seat"
    );

    let refused = send(
        &app,
        &admin,
        json!({ "userId": adele, "displayName": "Adele V.", "accountEnabled": true }),
    )
    .await;
    insta::assert_json_snapshot!("directory_managed", refused.redacted());
    let payload = &refused.data()["updateUser"];
    assert_eq!(payload["user"], json!(null));
    assert_eq!(payload["userErrors"][0]["code"], "DIRECTORY_MANAGED");
    assert_eq!(payload["userErrors"][0]["field"], "accountEnabled");
    assert_eq!(
        user_state(&app, &adele).await,
        adele_before,
        "nothing changed"
    );
    assert_eq!(
        scim.get(&scim_path).await.body["meta"]["version"],
        "W/\"2\"",
        "no new version"
    );
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 1, "available": 1 })
    );

    // Alex's block, unlike Adele's, is the admin's to lift.
    let enabled = update(
        &app,
        &admin,
        json!({ "userId": alex, "accountEnabled": true }),
    )
    .await;
    assert_eq!(enabled["user"]["accountEnabled"], true, "{enabled:#}");

    // Reactivating in the identity provider enables Adele and gives her
    // seat back.
    set_active(&scim, &scim_path, "True").await;
    assert_eq!(
        user_state(&app, &adele).await,
        json!({
            "displayName": "Adele Vance", "accountEnabled": true, "directoryStatus": "ACTIVE",
            "licenses": { "nodes": [{ "state": "ACTIVE", "app": { "name": "Whiteboard" } }] },
        })
    );
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 2, "assigned": 2, "available": 0 })
    );
}

async fn roles_and_tenants_are_enforced(app: TestApp) {
    let admin = app.admin_token();
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let billing = app.token(&["BILLING_ADMIN"]);
    let refused = app
        .gql(UPDATE_USER)
        .var("input", json!({ "userId": ada, "accountEnabled": false }))
        .token(&billing)
        .send()
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let payload = update(
        &app,
        &other_admin,
        json!({ "userId": ada, "displayName": "Mallory" }),
    )
    .await;
    assert_eq!(payload["user"], json!(null));
    assert_eq!(payload["userErrors"][0]["field"], "userId");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
}

e2e_on_both_backends!(
    a_disabled_renamed_user_keeps_their_licenses,
    bad_values_and_a_taken_email_change_nothing,
    a_directory_deactivated_user_cannot_be_enabled_here,
    roles_and_tenants_are_enforced,
);
