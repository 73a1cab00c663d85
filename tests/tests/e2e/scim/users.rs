//! `/scim/v2/Users` as Okta and Entra ID use it.

use reqwest::Method;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

use super::{Scim, graphql_id, send};

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
    assert_eq!(renamed.body["emails"][0]["value"], "lee.gu@example.com");
    assert_eq!(
        renamed.body["userName"], "lee@example.com",
        "userName is the provider's, not the email"
    );
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
    // The provider sends what is already there: nothing changes, so the
    // ETag the client holds still matches.
    let again = scim
        .send(
            Method::PATCH,
            &path,
            Some(json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "replace", "path": "displayName", "value": "Lee Gu" }
            ] })),
            &[("If-Match", "W/\"2\"")],
        )
        .await;
    assert_eq!(again.status, 200, "{:#}", again.body);
    assert_eq!(again.body["meta"]["version"], "W/\"2\"");

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

/// The path of a SCIM resource from its answer.
fn path_of(answer: &super::ScimAnswer) -> String {
    format!("/scim/v2/Users/{}", answer.body["id"].as_str().expect("id"))
}

/// `GET /Users?filter=userName eq "…"`: the ids found.
async fn by_user_name(scim: &Scim<'_>, user_name: &str) -> Vec<String> {
    let filter = format!("userName eq \"{user_name}\"");
    let encoded: String = filter
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    let found = scim.get(&format!("/scim/v2/Users?filter={encoded}")).await;
    assert_eq!(found.status, 200, "{:#}", found.body);
    found.body["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Entra ID's default mapping (userPrincipalName -> userName, mail ->
/// the work email), and an Okta login that is not an email: the userName
/// is kept as sent, found again by `userName eq` in any letter case, kept
/// through PATCH, replaced by PUT, and unique without regard to case.
async fn user_name_is_kept_apart_from_the_email(app: TestApp) {
    let scim = Scim::connect(&app, "Entra ID").await;
    let upn = "AdeleV@contoso.onmicrosoft.example";
    let created = scim
        .post(
            "/scim/v2/Users",
            json!({
                "schemas": [USER_SCHEMA],
                "externalId": "8a1f",
                "userName": upn,
                "active": true,
                "displayName": "Adele Vance",
                "emails": [{ "primary": true, "type": "work", "value": "adele.vance@contoso.example" }]
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["userName"], upn);
    assert_eq!(
        created.body["emails"][0]["value"],
        "adele.vance@contoso.example"
    );
    let id = created.body["id"].as_str().expect("id").to_owned();
    let path = path_of(&created);

    // Entra ID looks the user up by the value it sent before each write.
    assert_eq!(by_user_name(&scim, upn).await, vec![id.clone()]);
    assert_eq!(
        by_user_name(&scim, "adelev@CONTOSO.onmicrosoft.example").await,
        vec![id.clone()],
        "userName is caseExact=false"
    );
    assert!(
        by_user_name(&scim, "adele.vance@contoso.example")
            .await
            .is_empty(),
        "the email is not this user's userName"
    );
    let starts = scim
        .get("/scim/v2/Users?filter=userName%20sw%20%22adelev%40%22")
        .await;
    assert_eq!(starts.body["totalResults"], 1, "{:#}", starts.body);
    assert_eq!(scim.get(&path).await.body["userName"], upn);

    // PATCH without userName keeps it, whatever else changes.
    let patched = scim
        .patch(
            &path,
            json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "adele@contoso.example" },
                { "op": "Replace", "path": "displayName", "value": "Adele V." }
            ] }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);
    assert_eq!(patched.body["userName"], upn);
    assert_eq!(patched.body["emails"][0]["value"], "adele@contoso.example");

    // An Okta login that is no email, on a second user.
    let login = scim
        .post(
            "/scim/v2/Users",
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "jdoe",
                "displayName": "Jo Doe",
                "emails": [{ "primary": true, "type": "work", "value": "jo.doe@contoso.example" }]
            }),
        )
        .await;
    assert_eq!(login.status, 201, "{:#}", login.body);
    assert_eq!(login.body["userName"], "jdoe");
    let jdoe = login.body["id"].as_str().expect("id").to_owned();
    assert_eq!(by_user_name(&scim, "JDOE").await, vec![jdoe.clone()]);

    // A taken userName, in another case, with another email: 409, nothing
    // written, by POST, PUT and PATCH.
    let duplicate = scim
        .post(
            "/scim/v2/Users",
            okta_user("ADELEV@contoso.onmicrosoft.example", "Other", "Person"),
        )
        .await;
    assert_eq!(duplicate.status, 409, "{:#}", duplicate.body);
    assert_eq!(duplicate.body["scimType"], "uniqueness");
    assert!(
        duplicate.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("userName")),
        "{:#}",
        duplicate.body
    );
    let login_path = path_of(&login);
    let put = scim
        .send(
            Method::PUT,
            &login_path,
            Some(json!({
                "schemas": [USER_SCHEMA],
                "userName": "adelev@contoso.onmicrosoft.example",
                "displayName": "Jo Doe",
                "emails": [{ "primary": true, "type": "work", "value": "jo.doe@contoso.example" }]
            })),
            &[],
        )
        .await;
    assert_eq!(put.status, 409, "{:#}", put.body);
    assert_eq!(put.body["scimType"], "uniqueness");
    let patch = scim
        .patch(
            &login_path,
            json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "replace", "path": "userName", "value": upn }
            ] }),
        )
        .await;
    assert_eq!(patch.status, 409, "{:#}", patch.body);
    let all = scim.get("/scim/v2/Users?count=0").await;
    assert_eq!(all.body["totalResults"], 2);
    let unchanged = scim.get(&login_path).await;
    assert_eq!(unchanged.body["userName"], "jdoe");
    assert_eq!(unchanged.body["meta"]["version"], "W/\"1\"");

    // PUT replaces the userName: the old one finds nothing, and is free.
    let put = scim
        .send(
            Method::PUT,
            &login_path,
            Some(json!({
                "schemas": [USER_SCHEMA],
                "userName": "jo.doe",
                "displayName": "Jo Doe",
                "emails": [{ "primary": true, "type": "work", "value": "jo.doe@contoso.example" }]
            })),
            &[],
        )
        .await;
    assert_eq!(put.status, 200, "{:#}", put.body);
    assert_eq!(put.body["userName"], "jo.doe");
    assert!(by_user_name(&scim, "jdoe").await.is_empty());
    assert_eq!(by_user_name(&scim, "Jo.Doe").await, vec![jdoe]);
}

/// A user no directory named (created in the console, or over SCIM before
/// userName was kept) answers its email as userName and is found by it;
/// a PATCH that leaves that answer alone keeps it following the email.
async fn a_user_without_user_name_answers_its_email(app: TestApp) {
    let admin = app.admin_token();
    app.create_user(&admin, "Megan Bowen", "megan@contoso.example")
        .await;
    let scim = Scim::connect(&app, "Okta").await;
    let found = by_user_name(&scim, "Megan@Contoso.example").await;
    assert_eq!(found.len(), 1, "found by the email");
    let path = format!("/scim/v2/Users/{}", found[0]);
    assert_eq!(
        scim.get(&path).await.body["userName"],
        "megan@contoso.example"
    );
    let moved = scim
        .patch(
            &path,
            json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "megan.bowen@contoso.example" }
            ] }),
        )
        .await;
    assert_eq!(moved.status, 200, "{:#}", moved.body);
    assert_eq!(moved.body["userName"], "megan.bowen@contoso.example");
    assert_eq!(
        by_user_name(&scim, "megan.bowen@contoso.example").await,
        found
    );
    assert!(
        by_user_name(&scim, "megan@contoso.example")
            .await
            .is_empty()
    );
}

/// Concurrent PATCHes without `If-Match`, each changing one attribute:
/// none is refused (RFC 7644 §3.14 gives 412 only to a failed `If-Match`)
/// and none is lost: each is applied to the user as the others left it.
async fn patches_without_if_match_are_never_refused_nor_lost(app: TestApp) {
    let scim = Scim::connect(&app, "Entra ID").await;
    let created = scim
        .post(
            "/scim/v2/Users",
            okta_user("racer@example.com", "Ray", "Cer"),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let path = path_of(&created);
    let operations = [
        json!({ "op": "replace", "path": "displayName", "value": "Ray C." }),
        json!({ "op": "replace", "path": "externalId", "value": "ext-racer" }),
        json!({ "op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Research" }),
        json!({ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "ray@example.com" }),
    ];
    for round in 0..3 {
        let answers = futures::future::join_all(
            operations
                .iter()
                .map(|op| scim.patch(&path, json!({ "schemas": [PATCH_OP], "Operations": [op] }))),
        )
        .await;
        for answer in &answers {
            assert_eq!(answer.status, 200, "round {round}: {:#}", answer.body);
        }
    }
    let user = scim.get(&path).await.body;
    assert_eq!(user["displayName"], "Ray C.");
    assert_eq!(user["externalId"], "ext-racer");
    assert_eq!(user[ENTERPRISE]["department"], "Research");
    assert_eq!(user["emails"][0]["value"], "ray@example.com");
    assert_eq!(user["userName"], "racer@example.com");
}

e2e_on_both_backends!(
    user_name_is_kept_apart_from_the_email,
    a_user_without_user_name_answers_its_email,
    patches_without_if_match_are_never_refused_nor_lost,
    discovery_needs_a_token_and_answers_scim_json,
    okta_looks_up_creates_and_pages,
    entra_deactivation_frees_seats_for_waiting_users,
    value_filter_paths_versions_and_errors,
    tokens_are_per_tenant_and_revocable
);
