//! `/scim/v2/Users` as Okta and Entra ID use it.

use reqwest::Method;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

use super::{Scim, send};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A user as Okta's "Create User" request sends it.
fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "displayName": format!("{given} {family}"),
        "active": true
    })
}

/// The user's GraphQL id, found by email.
async fn graphql_id(app: &TestApp, email: &str) -> String {
    let found = app
        .gql("query($q: String) { users(first: 5, search: $q) { nodes { id email } } }")
        .var("q", email)
        .token(&app.admin_token())
        .send()
        .await;
    found.data()["users"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["email"] == email))
        .and_then(|n| n["id"].as_str())
        .unwrap_or_else(|| panic!("no user {email}"))
        .to_owned()
}

/// An app's assigned seats and users waiting for one.
async fn seats_and_waiting(app: &TestApp, id: &str) -> (i64, i64) {
    let answer = app
        .gql("query($id: ID!) { app(id: $id) { seats { assigned } licenseErrorCount } }")
        .var("id", id)
        .token(&app.admin_token())
        .send()
        .await;
    let app = &answer.data()["app"];
    (
        app["seats"]["assigned"].as_i64().expect("assigned"),
        app["licenseErrorCount"].as_i64().expect("waiting"),
    )
}

async fn discovery_needs_a_token_and_answers_scim_json(app: TestApp) {
    let anonymous = send(
        &app,
        None,
        Method::GET,
        "/scim/v2/ServiceProviderConfig",
        None,
        &[],
    )
    .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let forged = send(
        &app,
        Some("swscim_00"),
        Method::GET,
        "/scim/v2/Users",
        None,
        &[],
    )
    .await;
    assert_eq!(forged.status, 401);

    let scim = Scim::connect(&app, "Okta").await;
    let config = scim.get("/scim/v2/ServiceProviderConfig").await;
    assert_eq!(config.status, 200);
    assert_eq!(config.content_type, "application/scim+json");
    assert_eq!(config.body["patch"]["supported"], true);
    assert_eq!(config.body["etag"]["supported"], true);
    let types = scim.get("/scim/v2/ResourceTypes").await;
    assert_eq!(types.body["Resources"][0]["endpoint"], "/Users");
    let schemas = scim.get("/scim/v2/Schemas").await;
    assert_eq!(schemas.body["Resources"][0]["id"], USER_SCHEMA);
}

/// Okta: look the user up with `userName eq`, create, page with
/// `startIndex`/`count`.
async fn okta_looks_up_creates_and_pages(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    let lookup =
        r#"/scim/v2/Users?filter=userName%20eq%20%22ada%40example.com%22&startIndex=1&count=100"#;
    let none = scim.get(lookup).await;
    assert_eq!(none.status, 200);
    assert_eq!(none.body["totalResults"], 0);
    assert_eq!(none.body["Resources"], json!([]));

    let created = scim
        .post(
            "/scim/v2/Users",
            okta_user("ada@example.com", "Ada", "Lovelace"),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.etag.as_deref(), Some("W/\"1\""));
    assert_eq!(created.body["userName"], "ada@example.com");
    assert_eq!(created.body["displayName"], "Ada Lovelace");
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["meta"]["version"], "W/\"1\"");
    let again = scim
        .post("/scim/v2/Users", okta_user("ADA@example.com", "Ada", "L"))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["scimType"], "uniqueness");

    let found = scim.get(lookup).await;
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["id"], created.body["id"]);

    for (user, given) in [("grace@example.com", "Grace"), ("alan@example.com", "Alan")] {
        let made = scim
            .post("/scim/v2/Users", okta_user(user, given, "Test"))
            .await;
        assert_eq!(made.status, 201);
    }
    let page = scim.get("/scim/v2/Users?startIndex=2&count=2").await;
    assert_eq!(page.body["totalResults"], 3);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["itemsPerPage"], 2);
    let last = scim.get("/scim/v2/Users?startIndex=3&count=2").await;
    assert_eq!(last.body["itemsPerPage"], 1);

    let filtered = scim
        .get("/scim/v2/Users?filter=displayName%20sw%20%22a%22%20and%20not%20(emails.value%20co%20%22grace%22)&attributes=userName")
        .await;
    let names: Vec<&str> = filtered.body["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["userName"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{:#}", filtered.body);
    assert!(names.contains(&"ada@example.com") && names.contains(&"alan@example.com"));
    assert!(
        filtered.body["Resources"][0].get("emails").is_none(),
        "attributes= keeps only what was asked"
    );
}

/// Entra ID: `"op": "Replace"` with `"False"` deactivates; the seat goes to
/// the user waiting for it; reactivating queues the user again.
async fn entra_deactivation_frees_seats_for_waiting_users(app: TestApp) {
    let admin = app.admin_token();
    let scim = Scim::connect(&app, "Entra ID").await;
    let created = scim
        .post(
            "/scim/v2/Users",
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "adele@contoso.example",
                "active": true,
                "displayName": "Adele Vance",
                "emails": [{ "primary": true, "type": "work", "value": "adele@contoso.example" }],
                ENTERPRISE: { "department": "Retail", "manager": { "value": "manager-ext-1" } }
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body[ENTERPRISE]["department"], "Retail");
    let scim_id = created.body["id"].as_str().expect("id").to_owned();

    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 1).await;
    let adele = graphql_id(&app, "adele@contoso.example").await;
    let alex = app
        .create_user(&admin, "Alex Wilber", "alex@contoso.example")
        .await;
    let sales = app
        .create_group(&admin, "Sales", std::slice::from_ref(&adele))
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&sales))
        .await;
    // Alex joins the licensed group when no seat is left: he waits.
    let joined = app
        .gql("mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { userErrors { code } } }")
        .var("input", json!({ "groupId": sales, "userIds": [alex] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(joined.data()["addGroupMembers"]["userErrors"], json!([]));
    let seats = seats_and_waiting(&app, &whiteboard).await;
    assert_eq!(seats, (1, 1), "Alex waits for the one seat");

    let deactivated = scim
        .patch(
            &format!("/scim/v2/Users/{scim_id}"),
            json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] }),
        )
        .await;
    assert_eq!(deactivated.status, 200, "{:#}", deactivated.body);
    assert_eq!(deactivated.body["active"], false);
    assert_eq!(deactivated.etag.as_deref(), Some("W/\"2\""));
    let holders = app
        .gql("query($id: ID!) { app(id: $id) { seats { assigned } licenseErrorCount licensedUsers { nodes { user { email } state } } } }")
        .var("id", whiteboard.as_str())
        .token(&admin)
        .send()
        .await;
    let details = &holders.data()["app"];
    assert_eq!(details["seats"]["assigned"], 1);
    assert_eq!(details["licenseErrorCount"], 0);
    assert_eq!(
        details["licensedUsers"]["nodes"],
        json!([{ "user": { "email": "alex@contoso.example" }, "state": "ACTIVE" }]),
        "Alex took Adele's seat"
    );

    let reactivated = scim
        .patch(
            &format!("/scim/v2/Users/{scim_id}"),
            json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": true } }] }),
        )
        .await;
    assert_eq!(reactivated.body["active"], true);
    let seats = seats_and_waiting(&app, &whiteboard).await;
    assert_eq!(seats, (1, 1), "Adele waits now: the seat is Alex's");

    let audit = app
        .gql("{ auditLog(first: 10) { nodes { action actor } } }")
        .token(&admin)
        .send()
        .await;
    let scim_events = audit.data()["auditLog"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["actor"] == "scim:Entra ID")
        .count();
    assert_eq!(
        scim_events, 3,
        "create, deactivate and reactivate are audited as the token"
    );
}

/// PATCH paths with value filters, `If-Match`, and errors that change
/// nothing.
async fn value_filter_paths_versions_and_errors(app: TestApp) {
    let scim = Scim::connect(&app, "Entra ID").await;
    let created = scim
        .post("/scim/v2/Users", okta_user("lee@example.com", "Lee", "Gu"))
        .await;
    let path = format!(
        "/scim/v2/Users/{}",
        created.body["id"].as_str().expect("id")
    );

    let renamed = scim
        .patch(
            &path,
            json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "lee.gu@example.com" },
                { "op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Legal" }
            ] }),
        )
        .await;
    assert_eq!(renamed.status, 200, "{:#}", renamed.body);
    assert_eq!(renamed.body["userName"], "lee.gu@example.com");
    assert_eq!(renamed.body[ENTERPRISE]["department"], "Legal");

    let stale = scim
        .send(
            Method::PATCH,
            &path,
            Some(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "displayName", "value": "X" }] })),
            &[("If-Match", "W/\"1\"")],
        )
        .await;
    assert_eq!(stale.status, 412);
    let bad_filter = scim
        .get("/scim/v2/Users?filter=userName%20xx%20%22a%22")
        .await;
    assert_eq!(bad_filter.status, 400);
    assert_eq!(bad_filter.body["scimType"], "invalidFilter");
    let bad_op = scim
        .patch(&path, json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "move", "path": "displayName" }] }))
        .await;
    assert_eq!(bad_op.status, 400);
    let unchanged = scim.get(&path).await;
    assert_eq!(unchanged.body["displayName"], "Lee Gu");
    assert_eq!(unchanged.body["meta"]["version"], "W/\"2\"");

    let put = scim
        .send(
            Method::PUT,
            &path,
            Some(okta_user("lee@example.com", "Lee", "Gu-Smith")),
            &[("If-Match", "W/\"2\"")],
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["displayName"], "Lee Gu-Smith");
    let stale_delete = scim
        .send(Method::DELETE, &path, None, &[("If-Match", "W/\"2\"")])
        .await;
    assert_eq!(stale_delete.status, 412);
    assert_eq!(scim.get(&path).await.body["displayName"], "Lee Gu-Smith");
    let gone = scim
        .send(Method::DELETE, &path, None, &[("If-Match", "W/\"3\"")])
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(scim.get(&path).await.status, 404);
}

/// A token sees its own tenant only, and a revoked one nothing.
async fn tokens_are_per_tenant_and_revocable(app: TestApp) {
    let ours = Scim::connect(&app, "Okta").await;
    let created = ours
        .post(
            "/scim/v2/Users",
            okta_user("kim@example.com", "Kim", "Akers"),
        )
        .await;
    let path = format!(
        "/scim/v2/Users/{}",
        created.body["id"].as_str().expect("id")
    );

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let theirs = Scim::connect_as(&app, &other_admin, "Okta").await;
    assert_eq!(theirs.get(&path).await.status, 404);
    assert_eq!(
        theirs.send(Method::DELETE, &path, None, &[]).await.status,
        404
    );
    assert_eq!(theirs.get("/scim/v2/Users").await.body["totalResults"], 0);

    let tokens = app
        .gql("{ scimTokens { nodes { id } } }")
        .token(&app.admin_token())
        .send()
        .await;
    let id = tokens.data()["scimTokens"]["nodes"][0]["id"].clone();
    app.gql("mutation($input: RevokeScimTokenInput!) { revokeScimToken(input: $input) { userErrors { code } } }")
        .var("input", json!({ "tokenId": id }))
        .token(&app.admin_token())
        .send()
        .await;
    assert_eq!(ours.get(&path).await.status, 401);
    let tokens = app
        .gql("{ scimTokens { nodes { lastUsedAt } } }")
        .token(&app.admin_token())
        .send()
        .await;
    assert!(tokens.data()["scimTokens"]["nodes"][0]["lastUsedAt"].is_string());
}

e2e_on_both_backends!(
    discovery_needs_a_token_and_answers_scim_json,
    okta_looks_up_creates_and_pages,
    entra_deactivation_frees_seats_for_waiting_users,
    value_filter_paths_versions_and_errors,
    tokens_are_per_tenant_and_revocable
);
