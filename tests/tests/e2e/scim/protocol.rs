//! RFC 7644's edges as identity providers meet them: PATCH on attributes
//! Seatwise does not keep (Entra ID's default mappings), error bodies for
//! requests refused before a handler runs, discovery by id,
//! `attributes`/`excludedAttributes` projection, and `/Users` filters.

use reqwest::Method;
use seatwise_e2e::snapshot::redact;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

use super::Scim;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// An answer with the headers a refusal is judged by.
struct Raw {
    status: u16,
    content_type: String,
    allow: Option<String>,
    body: Value,
}

/// A request with a raw body (bad JSON, an oversized one).
async fn raw(scim: &Scim<'_>, method: Method, path: &str, body: Option<Vec<u8>>) -> Raw {
    let mut request = scim
        .app
        .http()
        .request(method, scim.app.url(path))
        .bearer_auth(&scim.secret);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body);
    }
    let response = request.send().await.expect("SCIM request");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let allow = header("allow");
    let text = response.text().await.expect("SCIM body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    Raw {
        status,
        content_type,
        allow,
        body,
    }
}

/// `text` as a query value (the few characters filters use).
fn encoded(text: &str) -> String {
    text.replace('%', "%25")
        .replace(' ', "%20")
        .replace('"', "%22")
        .replace('+', "%2B")
        .replace('#', "%23")
        .replace('&', "%26")
}

/// The user names of a list answer, sorted.
fn user_names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list:#}"))
        .iter()
        .filter_map(|r| r["userName"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// A user as Entra ID's "Create User" request sends it (Microsoft's
/// "Develop and plan provisioning for a SCIM endpoint"), with the phone
/// numbers, address and title of its default mappings.
fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": true,
        "displayName": "Adele Vance",
        "title": "Retail Manager",
        "emails": [{ "primary": true, "type": "work", "value": user_name }],
        "phoneNumbers": [{ "type": "work", "value": "+1 425 555 0109" }],
        "addresses": [{ "type": "work", "locality": "Bellevue", "country": "US", "primary": false }],
        "meta": { "resourceType": "User" },
        "name": { "formatted": "Adele Vance", "familyName": "Vance", "givenName": "Adele" },
        "roles": [],
        ENTERPRISE: { "department": "Retail" }
    })
}

/// Entra ID's PATCH after a profile change touches attributes Seatwise
/// does not keep (phone numbers, addresses, title): they are ignored, and
/// what Seatwise keeps in the same request applies. Malformed paths and
/// bad values of kept attributes are still refused, changing nothing.
async fn entra_patch_of_attributes_seatwise_does_not_keep(app: TestApp) {
    let scim = Scim::connect(&app, "Entra ID").await;
    let created = scim
        .post("/scim/v2/Users", entra_user("adele@contoso.example"))
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let path = format!(
        "/scim/v2/Users/{}",
        created.body["id"].as_str().expect("id")
    );

    let patched = scim
        .patch(
            &path,
            json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 425 555 0100" },
                { "op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 425 555 0101" },
                { "op": "Replace", "path": "phoneNumbers[type eq \"fax\"].value", "value": "+1 425 555 0102" },
                { "op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Microsoft Way" },
                { "op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Redmond" },
                { "op": "Replace", "path": "addresses[type eq \"work\"].postalCode", "value": "98052" },
                { "op": "Replace", "path": "title", "value": "Sales Lead" },
                { "op": "Replace", "path": "preferredLanguage", "value": "en-US" },
                { "op": "Replace", "path": "name.familyName", "value": "Vance" },
                { "op": "Add", "path": "emails[type eq \"work\"].value", "value": "adele.vance@contoso.example" },
                { "op": "Replace", "path": "displayName", "value": "Adele V." },
                { "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales" }
            ] }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);
    // The work email changed; the userName Entra ID sent stays its own.
    assert_eq!(patched.body["userName"], "adele@contoso.example");
    assert_eq!(
        patched.body["emails"][0]["value"],
        "adele.vance@contoso.example"
    );
    assert_eq!(patched.body["displayName"], "Adele V.");
    assert_eq!(patched.body[ENTERPRISE]["department"], "Sales");
    for unkept in ["phoneNumbers", "addresses", "title", "preferredLanguage"] {
        assert!(patched.body.get(unkept).is_none(), "{unkept} is not kept");
    }
    assert_eq!(patched.etag.as_deref(), Some("W/\"2\""));

    // Removing what is not there is a no-op.
    let removed = scim
        .patch(
            &path,
            json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "Remove", "path": "phoneNumbers[type eq \"work\"].value" },
                { "op": "Remove", "path": "addresses[type eq \"work\"]" },
                { "op": "Remove", "path": "name.middleName" }
            ] }),
        )
        .await;
    assert_eq!(removed.status, 200, "{:#}", removed.body);
    assert_eq!(removed.body["displayName"], "Adele V.");
    let version = removed.body["meta"]["version"].clone();

    for (operation, scim_type) in [
        (
            json!({ "op": "Add", "path": "phoneNumbers[type eq \"work\".value", "value": "1" }),
            "invalidPath",
        ),
        (
            json!({ "op": "Add", "path": "phoneNumbers[type zz \"work\"].value", "value": "1" }),
            "invalidFilter",
        ),
        (
            json!({ "op": "Replace", "path": "active", "value": "sometimes" }),
            "invalidValue",
        ),
    ] {
        let refused = scim
            .patch(
                &path,
                json!({ "schemas": [PATCH_OP], "Operations": [
                    { "op": "Replace", "path": "displayName", "value": "Changed" },
                    operation.clone()
                ] }),
            )
            .await;
        assert_eq!(refused.status, 400, "{operation}: {:#}", refused.body);
        assert_eq!(refused.content_type, "application/scim+json");
        assert_eq!(refused.body["scimType"], scim_type, "{operation}");
    }
    let unchanged = scim.get(&path).await;
    assert_eq!(unchanged.body["displayName"], "Adele V.");
    assert_eq!(unchanged.body["meta"]["version"], version);
}

/// What axum and the body limit refuse before a handler runs is a SCIM
/// error too: a malformed query, bad JSON, a wrong method, an unknown
/// path, an oversized body.
async fn refusals_are_scim_errors(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    let created = scim
        .post("/scim/v2/Users", entra_user("megan@contoso.example"))
        .await;
    let user = format!(
        "/scim/v2/Users/{}",
        created.body["id"].as_str().expect("id")
    );
    let mut seen = serde_json::Map::new();
    for (name, method, path, body, status, scim_type) in [
        (
            "startIndex",
            Method::GET,
            "/scim/v2/Users?startIndex=abc".to_owned(),
            None,
            400,
            Some("invalidValue"),
        ),
        (
            "count",
            Method::GET,
            "/scim/v2/Groups?count=x".to_owned(),
            None,
            400,
            Some("invalidValue"),
        ),
        (
            "count on a read",
            Method::GET,
            format!("{user}?count=-x"),
            None,
            400,
            Some("invalidValue"),
        ),
        (
            "bad JSON",
            Method::POST,
            "/scim/v2/Users".to_owned(),
            Some(b"{\"userName\": ".to_vec()),
            400,
            Some("invalidSyntax"),
        ),
        (
            "wrong method",
            Method::DELETE,
            "/scim/v2/Users".to_owned(),
            None,
            405,
            None,
        ),
        (
            "unknown path",
            Method::GET,
            "/scim/v2/Devices".to_owned(),
            None,
            404,
            None,
        ),
        (
            "unknown resource type",
            Method::GET,
            "/scim/v2/ResourceTypes/Device".to_owned(),
            None,
            404,
            None,
        ),
        (
            "unknown schema",
            Method::GET,
            "/scim/v2/Schemas/urn:example:device".to_owned(),
            None,
            404,
            None,
        ),
        (
            "oversized body",
            Method::POST,
            "/scim/v2/Users".to_owned(),
            Some(vec![b' '; 300 * 1024]),
            413,
            None,
        ),
    ] {
        let answer = raw(&scim, method, &path, body).await;
        assert_eq!(answer.status, status, "{name}: {:#}", answer.body);
        assert_eq!(answer.content_type, "application/scim+json", "{name}");
        assert_eq!(answer.body["schemas"], json!([ERROR]), "{name}");
        assert_eq!(answer.body["status"], status.to_string(), "{name}");
        assert_eq!(
            answer.body["scimType"].as_str(),
            scim_type,
            "{name}: {:#}",
            answer.body
        );
        if status == 405 {
            let allow = answer.allow.unwrap_or_default();
            assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        }
        seen.insert(name.to_owned(), answer.body);
    }
    // The details an admin reads in the provider's log (ids redacted; the
    // query errors quote serde's reason).
    insta::assert_json_snapshot!("refusals", redact(&Value::Object(seen)));
}

/// `/ResourceTypes/{id}` and `/Schemas/{urn}` answer what the lists'
/// `meta.location`s point at.
async fn discovery_by_id_answers_each_location(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    for list in ["/scim/v2/ResourceTypes", "/scim/v2/Schemas"] {
        let listed = scim.get(list).await;
        let resources = listed.body["Resources"].as_array().expect("resources");
        assert!(!resources.is_empty());
        for resource in resources {
            let location = resource["meta"]["location"].as_str().expect("location");
            let one = scim.get(location).await;
            assert_eq!(one.status, 200, "{location}: {:#}", one.body);
            assert_eq!(one.content_type, "application/scim+json");
            assert_eq!(&one.body, resource, "{location}");
        }
    }
    let user = scim.get("/scim/v2/ResourceTypes/user").await;
    assert_eq!(user.body["endpoint"], "/Users", "ids compared without case");
    let enterprise = scim
        .get(&format!("/scim/v2/Schemas/{}", ENTERPRISE.to_lowercase()))
        .await;
    assert_eq!(enterprise.body["id"], ENTERPRISE);
    let schema = scim.get(&format!("/scim/v2/Schemas/{USER_SCHEMA}")).await;
    let names: Vec<&str> = schema.body["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(
        names.contains(&"name") && !names.contains(&"phoneNumbers"),
        "{names:?}"
    );
}

/// `attributes` and `excludedAttributes` reach sub-attributes and the
/// enterprise extension by its URN.
async fn attributes_and_excluded_attributes_project(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    let mut user = entra_user("isaiah@contoso.example");
    user[ENTERPRISE]["manager"] = json!({ "value": "manager-ext-7" });
    let created = scim.post("/scim/v2/Users", user).await;
    let path = format!(
        "/scim/v2/Users/{}",
        created.body["id"].as_str().expect("id")
    );

    let selected = scim
        .get(&format!(
            "{path}?attributes=userName,emails.value,{ENTERPRISE}:manager.value"
        ))
        .await;
    assert_eq!(selected.status, 200, "{:#}", selected.body);
    insta::assert_json_snapshot!("projection_attributes", redact(&selected.body));

    let excluded = scim
        .get(&format!(
            "{path}?excludedAttributes=emails.value,name,meta,{ENTERPRISE}:department"
        ))
        .await;
    assert_eq!(excluded.status, 200, "{:#}", excluded.body);
    insta::assert_json_snapshot!("projection_excluded", redact(&excluded.body));

    let list = scim
        .get("/scim/v2/Users?attributes=userName&filter=userName%20eq%20%22isaiah%40contoso.example%22")
        .await;
    assert_eq!(
        list.body["Resources"][0],
        json!({
            "schemas": [USER_SCHEMA],
            "id": created.body["id"],
            "userName": "isaiah@contoso.example"
        }),
        "attributes=userName: no extension, no meta"
    );
    let whole_extension = scim
        .get(&format!("{path}?excludedAttributes={ENTERPRISE}"))
        .await;
    assert!(whole_extension.body.get(ENTERPRISE).is_none());
    assert_eq!(whole_extension.body["schemas"], json!([USER_SCHEMA]));
    assert_eq!(whole_extension.body["id"], created.body["id"]);
}

/// `/Users` filters beyond the providers' lookups: `co`, `ew`, `pr`, `or`
/// and `meta.lastModified` compared as instants (and refused against no
/// date).
async fn user_filters(app: TestApp) {
    let scim = Scim::connect(&app, "Okta").await;
    for (user_name, display_name, external_id) in [
        ("ada@example.com", "Ada Lovelace", Some("ext-ada")),
        ("grace@example.org", "Grace Hopper", None),
        ("alan@example.com", "Alan Turing", Some("ext-alan")),
    ] {
        let mut body = json!({
            "schemas": [USER_SCHEMA],
            "userName": user_name,
            "displayName": display_name,
            "emails": [{ "primary": true, "type": "work", "value": user_name }]
        });
        if let Some(external_id) = external_id {
            body["externalId"] = external_id.into();
        }
        let created = scim.post("/scim/v2/Users", body).await;
        assert_eq!(created.status, 201, "{:#}", created.body);
    }
    let all = ["ada@example.com", "alan@example.com", "grace@example.org"];
    for (filter, expected) in [
        (r#"userName co "EXAMPLE.com""#, vec![all[0], all[1]]),
        (r#"emails.value ew ".org""#, vec![all[2]]),
        (r#"externalId pr"#, vec![all[0], all[1]]),
        (r#"not (externalId pr)"#, vec![all[2]]),
        (
            r#"displayName eq "Grace Hopper" or userName sw "alan""#,
            vec![all[1], all[2]],
        ),
        (
            r#"meta.lastModified gt "2000-01-01T00:00:00Z""#,
            all.to_vec(),
        ),
        (
            r#"meta.lastModified gt "2999-01-01T02:00:00+02:00""#,
            vec![],
        ),
        (
            r#"meta.lastModified lt "2999-01-01T00:00:00Z" and (userName ew ".org" or externalId eq "ext-ada")"#,
            vec![all[0], all[2]],
        ),
    ] {
        let answer = scim
            .get(&format!("/scim/v2/Users?filter={}", encoded(filter)))
            .await;
        assert_eq!(answer.status, 200, "{filter}: {:#}", answer.body);
        assert_eq!(user_names(&answer.body), expected, "{filter}");
        assert_eq!(answer.body["totalResults"], expected.len(), "{filter}");
    }
    // A date compared with something that is no date is the provider's
    // mistake, not an empty answer.
    let filter = r#"meta.lastModified gt "yesterday""#;
    let refused = scim
        .get(&format!("/scim/v2/Users?filter={}", encoded(filter)))
        .await;
    assert_eq!(refused.status, 400, "{:#}", refused.body);
    assert_eq!(refused.body["scimType"], "invalidFilter");
}

e2e_on_both_backends!(
    entra_patch_of_attributes_seatwise_does_not_keep,
    refusals_are_scim_errors,
    discovery_by_id_answers_each_location,
    attributes_and_excluded_attributes_project,
    user_filters
);
