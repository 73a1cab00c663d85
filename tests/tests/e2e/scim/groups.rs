//! `/scim/v2/Groups` as Okta and Entra ID push groups, with the seat rules
//! applied to members added and removed over SCIM.
//!
//! Request shapes follow the providers' public documentation: Okta's SCIM
//! 2.0 reference ("Create Groups", "Update Group Name", "Update Group
//! Membership") and Microsoft's "Tutorial: Develop a sample SCIM endpoint"
//! / "Known issues" pages for Entra ID ("Create Group", "Update Group [Add
//! Members]", "Update Group [Remove Members]", `excludedAttributes=members`).

use base64::Engine as _;
use reqwest::Method;
use seatwise_e2e::snapshot::redact;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

use super::{Scim, ScimAnswer};

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A user created over SCIM; its SCIM id.
async fn scim_user(scim: &Scim<'_>, email: &str, name: &str) -> String {
    let created = scim
        .post(
            "/scim/v2/Users",
            json!({
                "schemas": [USER_SCHEMA],
                "userName": email,
                "displayName": name,
                "emails": [{ "primary": true, "value": email, "type": "work" }],
                "active": true
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    created.body["id"].as_str().expect("id").to_owned()
}

/// The GraphQL id of an object whose SCIM id is `id`.
fn graphql_id(kind: &str, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

fn patch_body(operations: Value) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": operations })
}

/// The SCIM ids of a group's members, sorted.
fn member_values(resource: &Value) -> Vec<String> {
    let mut values: Vec<String> = resource["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .filter_map(|m| m["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    values.sort();
    values
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
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

/// Who holds an app, and in which state, by email.
async fn holders(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let answer = app
        .gql("query($id: ID!) { app(id: $id) { licensedUsers(first: 50) { nodes { user { email } state } } } }")
        .var("id", id)
        .token(&app.admin_token())
        .send()
        .await;
    let mut holders: Vec<(String, String)> = answer.data()["app"]["licensedUsers"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["user"]["email"].as_str().unwrap_or_default().to_owned(),
                n["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    holders.sort();
    holders
}

fn held(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .map(|(e, s)| (e.to_string(), s.to_string()))
        .collect();
    out.sort();
    out
}

fn assert_no_content(answer: &ScimAnswer, etag: &str) {
    assert_eq!(answer.status, 204, "{:#}", answer.body);
    assert_eq!(answer.etag.as_deref(), Some(etag));
}

async fn discovery_serves_the_group_resource_type(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    let types = scim.get("/scim/v2/ResourceTypes").await;
    let endpoints: Vec<&str> = types.body["Resources"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["endpoint"].as_str())
        .collect();
    assert_eq!(endpoints, ["/Users", "/Groups"]);
    let schemas = scim.get("/scim/v2/Schemas").await;
    let group = schemas.body["Resources"]
        .as_array()
        .expect("schemas")
        .iter()
        .find(|s| s["id"] == GROUP_SCHEMA)
        .expect("the Group schema");
    let attributes: Vec<&str> = group["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(attributes, ["displayName", "externalId", "members"]);
}

/// Okta: look the group up by name, create it, PATCH its members in and
/// out, rename it with a pathless replace, page, delete.
async fn okta_pushes_a_group_and_its_members(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    let ada = scim_user(&scim, "ada@example.com", "Ada Lovelace").await;
    let grace = scim_user(&scim, "grace@example.com", "Grace Hopper").await;
    let alan = scim_user(&scim, "alan@example.com", "Alan Turing").await;

    let lookup =
        "/scim/v2/Groups?filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100";
    let none = scim.get(lookup).await;
    assert_eq!(none.status, 200);
    assert_eq!(none.body["totalResults"], 0);
    assert_eq!(none.body["Resources"], json!([]));

    let created = scim
        .post(
            "/scim/v2/Groups",
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Engineering",
                "members": [{ "value": ada, "display": "ada@example.com" }]
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.content_type, "application/scim+json");
    assert_eq!(created.etag.as_deref(), Some("W/\"1\""));
    insta::assert_json_snapshot!("group_resource", redact(&created.body));
    let id = created.body["id"].as_str().expect("id").to_owned();
    let path = format!("/scim/v2/Groups/{id}");
    assert_eq!(created.body["meta"]["location"], path.as_str());

    let found = scim.get(lookup).await;
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["id"], id.as_str());

    // "Update Group Membership": add, then remove with a value filter.
    let added = scim
        .patch(
            &path,
            patch_body(json!([{ "op": "add", "path": "members", "value": [
                { "value": grace, "display": "grace@example.com" },
                { "value": alan, "display": "alan@example.com" }
            ] }])),
        )
        .await;
    assert_no_content(&added, "W/\"2\"");
    let removed = scim
        .patch(
            &path,
            patch_body(json!([{ "op": "remove", "path": format!("members[value eq \"{ada}\"]") }])),
        )
        .await;
    assert_no_content(&removed, "W/\"3\"");
    // "Update Group Name": a pathless replace that carries the id.
    let renamed = scim
        .patch(
            &path,
            patch_body(json!([{ "op": "replace", "value": { "id": id, "displayName": "Engineering EMEA" } }])),
        )
        .await;
    assert_no_content(&renamed, "W/\"4\"");

    let group = scim.get(&path).await;
    assert_eq!(group.status, 200);
    assert_eq!(group.etag.as_deref(), Some("W/\"4\""));
    assert_eq!(group.body["displayName"], "Engineering EMEA");
    assert_eq!(member_values(&group.body), sorted(&[&grace, &alan]));
    let grace_member = group.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["value"] == grace.as_str())
        .expect("Grace is a member");
    assert_eq!(grace_member["display"], "Grace Hopper");
    assert_eq!(grace_member["type"], "User");
    assert_eq!(
        grace_member["$ref"],
        format!("/scim/v2/Users/{grace}").as_str()
    );

    let slim = scim
        .get(&format!("{path}?excludedAttributes=members"))
        .await;
    assert!(slim.body.get("members").is_none(), "{:#}", slim.body);
    assert_eq!(slim.body["displayName"], "Engineering EMEA");

    let second = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "displayName": "Engineering EMEA" }),
        )
        .await;
    assert_eq!(second.status, 201, "display names need not be unique");
    let page = scim.get("/scim/v2/Groups?startIndex=2&count=1").await;
    assert_eq!(page.body["totalResults"], 2);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["itemsPerPage"], 1);
    let by_name = scim
        .get("/scim/v2/Groups?filter=displayName%20eq%20%22engineering%20emea%22&attributes=displayName")
        .await;
    assert_eq!(by_name.body["totalResults"], 2);
    assert!(by_name.body["Resources"][0].get("members").is_none());

    let gone = scim.send(Method::DELETE, &path, None, &[]).await;
    assert_eq!(gone.status, 204);
    assert_eq!(scim.get(&path).await.status, 404);
    assert_eq!(scim.get("/scim/v2/Groups").await.body["totalResults"], 1);
}

/// Entra ID: create with an externalId, look up with
/// `excludedAttributes=members`, capitalised `Add`/`Remove`/`Replace`, a
/// membership check by filter, and PUT; audited as the token.
async fn entra_provisions_groups_with_its_request_shapes(app: TestApp) {
    let scim = Scim::connect(&app, "Entra ID").await;
    let adele = scim_user(&scim, "adele@contoso.example", "Adele Vance").await;
    let alex = scim_user(&scim, "alex@contoso.example", "Alex Wilber").await;

    let lookup =
        "/scim/v2/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Retail%22";
    assert_eq!(scim.get(lookup).await.body["totalResults"], 0);
    let created = scim
        .post(
            "/scim/v2/Groups",
            json!({
                "schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Retail",
                "meta": { "resourceType": "Group" },
                "members": []
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["members"], json!([]));
    let id = created.body["id"].as_str().expect("id").to_owned();
    let path = format!("/scim/v2/Groups/{id}");
    let found = scim.get(lookup).await;
    assert_eq!(found.body["totalResults"], 1);
    assert!(found.body["Resources"][0].get("members").is_none());
    let by_external = scim
        .get("/scim/v2/Groups?filter=externalId%20eq%20%228aa1a0c0-c4c3-4bc0-b4a5-2ef676900159%22")
        .await;
    assert_eq!(by_external.body["Resources"][0]["id"], id.as_str());

    let added = scim
        .patch(
            &path,
            patch_body(json!([{ "op": "Add", "path": "members", "value": [
                { "$ref": null, "value": adele },
                { "$ref": null, "value": alex }
            ] }])),
        )
        .await;
    assert_no_content(&added, "W/\"2\"");
    // The membership check: is Adele in the group?
    let check = format!(
        "/scim/v2/Groups?filter=id%20eq%20%22{id}%22%20and%20members%5Bvalue%20eq%20%22{adele}%22%5D&excludedAttributes=members"
    );
    let member = scim.get(&check).await;
    assert_eq!(member.body["totalResults"], 1, "{:#}", member.body);
    assert!(member.body["Resources"][0].get("members").is_none());
    let of_alex = scim
        .get(&format!(
            "/scim/v2/Groups?filter=members.value%20eq%20%22{alex}%22"
        ))
        .await;
    assert_eq!(of_alex.body["totalResults"], 1);

    let removed = scim
        .patch(
            &path,
            patch_body(json!([{ "op": "Remove", "path": "members", "value": [{ "$ref": null, "value": adele }] }])),
        )
        .await;
    assert_no_content(&removed, "W/\"3\"");
    assert_eq!(scim.get(&check).await.body["totalResults"], 0);
    let renamed = scim
        .patch(
            &path,
            patch_body(json!([{ "op": "Replace", "path": "displayName", "value": "Retail EMEA" }])),
        )
        .await;
    assert_no_content(&renamed, "W/\"4\"");
    // Asked for attributes, a PATCH answers with the group.
    let shown = scim
        .patch(
            &format!("{path}?excludedAttributes=members"),
            patch_body(json!([{ "op": "Replace", "path": "externalId", "value": "retail-emea" }])),
        )
        .await;
    assert_eq!(shown.status, 200, "{:#}", shown.body);
    assert_eq!(shown.body["externalId"], "retail-emea");
    assert!(shown.body.get("members").is_none());

    // PUT replaces the whole member list.
    let put = scim
        .send(
            Method::PUT,
            &path,
            Some(json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Retail EMEA",
                "externalId": "retail-emea",
                "members": [{ "value": adele }]
            })),
            &[("If-Match", "W/\"5\"")],
        )
        .await;
    assert_eq!(put.status, 200, "{:#}", put.body);
    assert_eq!(put.etag.as_deref(), Some("W/\"6\""));
    assert_eq!(member_values(&put.body), sorted(&[&adele]));

    let audit = app
        .gql("{ auditLog(first: 50) { nodes { action actor targetKind } } }")
        .token(&app.admin_token())
        .send()
        .await;
    let mut group_events: Vec<String> = audit.data()["auditLog"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["targetKind"] == "GROUP")
        .map(|e| {
            assert_eq!(e["actor"], "scim:Entra ID", "{e}");
            e["action"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    group_events.reverse();
    assert_eq!(
        group_events,
        [
            "GROUP_CREATED",
            "GROUP_MEMBERS_ADDED",
            "GROUP_MEMBERS_REMOVED",
            "GROUP_UPDATED",
            "GROUP_UPDATED",
            "GROUP_MEMBERS_REMOVED",
            "GROUP_MEMBERS_ADDED",
        ],
        "PUT swapped Alex for Adele: the removal first, then the addition"
    );
}

/// Members added to a licensed group take a seat or wait; members removed
/// and groups deleted give back seats held only through the group, and a
/// waiting user takes one.
async fn seat_rules_apply_to_members_changed_over_scim(app: TestApp) {
    let admin = app.admin_token();
    let scim = Scim::connect(&app, "Entra ID").await;
    let ada = scim_user(&scim, "ada@example.com", "Ada").await;
    let bob = scim_user(&scim, "bob@example.com", "Bob").await;
    let cy = scim_user(&scim, "cy@example.com", "Cy").await;
    let dee = scim_user(&scim, "dee@example.com", "Dee").await;

    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 1).await;
    let created = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{ "value": ada }] }),
        )
        .await;
    let sales = created.body["id"].as_str().expect("id").to_owned();
    let sales_path = format!("/scim/v2/Groups/{sales}");
    let assigned = app
        .assign(&admin, &whiteboard, &[graphql_id("Group", &sales)])
        .await;
    assert_eq!(assigned["userErrors"], json!([]));
    assert_eq!(seats_and_waiting(&app, &whiteboard).await, (1, 0));

    // Bob joins when the one seat is Ada's: he waits in COUNT_VIOLATION.
    let joined = scim
        .patch(
            &sales_path,
            patch_body(json!([{ "op": "Add", "path": "members", "value": [{ "value": bob }] }])),
        )
        .await;
    assert_eq!(joined.status, 204);
    assert_eq!(seats_and_waiting(&app, &whiteboard).await, (1, 1));
    let waiting = app
        .gql("query($id: ID!) { app(id: $id) { licenseErrors(first: 5) { nodes { user { email } errorCode } } } }")
        .var("id", whiteboard.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        waiting.data()["app"]["licenseErrors"]["nodes"],
        json!([{ "user": { "email": "bob@example.com" }, "errorCode": "COUNT_VIOLATION" }])
    );

    // Ada leaves: her seat goes to Bob.
    let left = scim
        .patch(
            &sales_path,
            patch_body(json!([{ "op": "Remove", "path": format!("members[value eq \"{ada}\"]") }])),
        )
        .await;
    assert_eq!(left.status, 204);
    assert_eq!(seats_and_waiting(&app, &whiteboard).await, (1, 0));
    assert_eq!(
        holders(&app, &whiteboard).await,
        held(&[("bob@example.com", "ACTIVE")])
    );

    // Deleting a group frees the seats held only through it: Cy holds the
    // app through Design, Dee joins Legal (assigned too) and waits, Design
    // goes.
    let planner = app.register_app(&admin, "Fabrikam Planner", 1).await;
    let design = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "displayName": "Design", "members": [{ "value": cy }] }),
        )
        .await;
    let design = design.body["id"].as_str().expect("id").to_owned();
    let legal = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "displayName": "Legal" }),
        )
        .await;
    let legal = legal.body["id"].as_str().expect("id").to_owned();
    let assigned = app
        .assign(
            &admin,
            &planner,
            &[graphql_id("Group", &design), graphql_id("Group", &legal)],
        )
        .await;
    assert_eq!(assigned["userErrors"], json!([]));
    let dee_joins = scim
        .patch(
            &format!("/scim/v2/Groups/{legal}"),
            patch_body(json!([{ "op": "add", "path": "members", "value": [{ "value": dee }] }])),
        )
        .await;
    assert_eq!(dee_joins.status, 204);
    assert_eq!(seats_and_waiting(&app, &planner).await, (1, 1));
    let deleted = scim
        .send(
            Method::DELETE,
            &format!("/scim/v2/Groups/{design}"),
            None,
            &[("If-Match", "W/\"1\"")],
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(seats_and_waiting(&app, &planner).await, (1, 0));
    assert_eq!(
        holders(&app, &planner).await,
        held(&[("dee@example.com", "ACTIVE")])
    );

    // A PUT that swaps the members of a licensed group hands the seat over
    // in the same write.
    let swapped = scim
        .send(
            Method::PUT,
            &sales_path,
            Some(json!({ "schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{ "value": cy }] })),
            &[],
        )
        .await;
    assert_eq!(swapped.status, 200, "{:#}", swapped.body);
    assert_eq!(
        holders(&app, &whiteboard).await,
        held(&[("cy@example.com", "ACTIVE")])
    );
}

/// `If-Match`, malformed requests and other tenants: refused with SCIM
/// errors, and nothing changes.
async fn versions_errors_and_tenants_change_nothing(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    let ada = scim_user(&scim, "ada@example.com", "Ada").await;
    let bob = scim_user(&scim, "bob@example.com", "Bob").await;
    let created = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "displayName": "Sales", "externalId": "okta-sales", "members": [{ "value": ada }] }),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let path = format!("/scim/v2/Groups/{id}");
    let rename = patch_body(json!([{ "op": "replace", "path": "displayName", "value": "X" }]));

    let stale_patch = scim
        .send(
            Method::PATCH,
            &path,
            Some(rename.clone()),
            &[("If-Match", "W/\"7\"")],
        )
        .await;
    assert_eq!(stale_patch.status, 412);
    let stale_put = scim
        .send(
            Method::PUT,
            &path,
            Some(json!({ "schemas": [GROUP_SCHEMA], "displayName": "X" })),
            &[("If-Match", "W/\"7\"")],
        )
        .await;
    assert_eq!(stale_put.status, 412);
    let stale_delete = scim
        .send(Method::DELETE, &path, None, &[("If-Match", "W/\"7\"")])
        .await;
    assert_eq!(stale_delete.status, 412);
    let matching = scim
        .send(
            Method::PATCH,
            &path,
            Some(rename),
            &[("If-Match", "W/\"1\"")],
        )
        .await;
    assert_no_content(&matching, "W/\"2\"");

    // Another tenant's user is an unknown user: the whole PATCH (rename
    // included) is refused.
    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let theirs = Scim::connect_as(&app, &other_admin, "Okta").await;
    let their_user = scim_user(&theirs, "zed@example.com", "Zed").await;
    let unknown = scim
        .patch(
            &path,
            patch_body(json!([
                { "op": "replace", "path": "displayName", "value": "Renamed" },
                { "op": "add", "path": "members", "value": [{ "value": bob }, { "value": their_user }] }
            ])),
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["scimType"], "invalidValue");
    insta::assert_json_snapshot!("unknown_member", redact(&unknown.body));

    for (body, scim_type) in [
        (json!({ "Operations": "nope" }), "invalidSyntax"),
        (
            patch_body(
                json!([{ "op": "add", "path": "members", "value": [{ "value": "not-an-id" }] }]),
            ),
            "invalidValue",
        ),
        (
            patch_body(json!([{ "op": "remove", "path": "members[display co \"A\"]" }])),
            "invalidFilter",
        ),
        (
            patch_body(json!([{ "op": "remove", "path": "displayName" }])),
            "invalidValue",
        ),
        (
            patch_body(json!([{ "op": "move", "path": "members" }])),
            "invalidSyntax",
        ),
    ] {
        let refused = scim.patch(&path, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}");
        assert_eq!(refused.body["scimType"], scim_type, "{body}");
    }
    let not_json = scim
        .send(
            Method::POST,
            "/scim/v2/Groups",
            None,
            &[("content-type", "application/scim+json")],
        )
        .await;
    assert_eq!(not_json.status, 400);
    let nameless = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "members": [] }),
        )
        .await;
    assert_eq!(nameless.status, 400);
    assert_eq!(nameless.body["scimType"], "invalidValue");
    let taken = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "displayName": "Sales 2", "externalId": "okta-sales" }),
        )
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["scimType"], "uniqueness");
    let put_unknown = scim
        .send(
            Method::PUT,
            &path,
            Some(json!({ "schemas": [GROUP_SCHEMA], "displayName": "Y", "members": [{ "value": their_user }] })),
            &[],
        )
        .await;
    assert_eq!(put_unknown.status, 400);

    let unchanged = scim.get(&path).await;
    assert_eq!(unchanged.body["displayName"], "X");
    assert_eq!(unchanged.body["meta"]["version"], "W/\"2\"");
    assert_eq!(member_values(&unchanged.body), sorted(&[&ada]));
    assert_eq!(scim.get("/scim/v2/Groups").await.body["totalResults"], 1);

    // Another tenant's group is not found, whatever the method.
    assert_eq!(theirs.get(&path).await.status, 404);
    let their_patch = theirs
        .patch(
            &path,
            patch_body(json!([{ "op": "replace", "path": "displayName", "value": "Mine" }])),
        )
        .await;
    assert_eq!(their_patch.status, 404);
    let their_put = theirs
        .send(
            Method::PUT,
            &path,
            Some(json!({ "schemas": [GROUP_SCHEMA], "displayName": "Mine" })),
            &[],
        )
        .await;
    assert_eq!(their_put.status, 404);
    assert_eq!(
        theirs.send(Method::DELETE, &path, None, &[]).await.status,
        404
    );
    assert_eq!(theirs.get("/scim/v2/Groups").await.body["totalResults"], 0);
    assert_eq!(scim.get(&path).await.body["displayName"], "X");
}

e2e_on_both_backends!(
    discovery_serves_the_group_resource_type,
    okta_pushes_a_group_and_its_members,
    entra_provisions_groups_with_its_request_shapes,
    seat_rules_apply_to_members_changed_over_scim,
    versions_errors_and_tenants_change_nothing
);
