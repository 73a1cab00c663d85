//! Tenants are isolated: another tenant's id behaves exactly like an id
//! that does not exist.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

/// A well-formed id of `kind` that names nothing.
fn unknown_id(kind: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{kind}:{}", uuid::Uuid::now_v7()))
}

/// A response with an id (global or its raw UUID, as messages quote it)
/// blanked out, so two answers can be compared for what they reveal beyond
/// the id asked about.
fn without(response: &Value, id: &str) -> String {
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .expect("a global id");
    let decoded = String::from_utf8(decoded).expect("UTF-8");
    let raw = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(_, uuid)| uuid);
    response
        .to_string()
        .replace(id, "<id>")
        .replace(raw, "<id>")
}

async fn another_tenants_ids_behave_like_unknown_ids(app: TestApp) {
    let admin_a = app.admin_token();
    let app_a = app.register_app(&admin_a, "Contoso Whiteboard", 5).await;
    let user_a = app
        .create_user(&admin_a, "Ada Lovelace", "ada@example.com")
        .await;

    let tenant_b = app.create_tenant("Other Organisation").await;
    let admin_b = app.token_for(&tenant_b, &["GLOBAL_ADMIN"], None);
    let app_b = app.register_app(&admin_b, "Fabrikam Timesheets", 5).await;
    let user_b = app
        .create_user(&admin_b, "Bob Builder", "bob@example.com")
        .await;

    // Lists show only the caller's tenant.
    let lists = app.gql("{ apps { nodes { id } } users { nodes { id } } searchPrincipals(query: \"ada\") { __typename } }").token(&admin_b).send().await;
    assert_eq!(
        lists.data(),
        &json!({ "apps": { "nodes": [{ "id": app_b }] }, "users": { "nodes": [{ "id": user_b }] }, "searchPrincipals": [] })
    );

    // Reads: null, as for an unknown id.
    for (query, foreign, unknown) in [
        (
            "query($id: ID!) { app(id: $id) { name } }",
            &app_a,
            unknown_id("App"),
        ),
        (
            "query($id: ID!) { user(id: $id) { email } }",
            &user_a,
            unknown_id("User"),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            &app_a,
            unknown_id("App"),
        ),
    ] {
        let foreign_answer = app
            .gql(query)
            .var("id", foreign.as_str())
            .token(&admin_b)
            .send()
            .await;
        let unknown_answer = app
            .gql(query)
            .var("id", unknown.as_str())
            .token(&admin_b)
            .send()
            .await;
        assert_eq!(foreign_answer.data(), unknown_answer.data(), "{query}");
        assert!(
            foreign_answer
                .data()
                .as_object()
                .is_some_and(|o| o.values().all(Value::is_null))
        );
    }

    // Writes: NOT_FOUND, word for word as for an unknown id.
    let foreign = app
        .assign(&admin_b, &app_a, std::slice::from_ref(&user_b))
        .await;
    let unknown_app = unknown_id("App");
    let unknown = app
        .assign(&admin_b, &unknown_app, std::slice::from_ref(&user_b))
        .await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(foreign["userErrors"][0]["field"], "appId");
    assert_eq!(without(&foreign, &app_a), without(&unknown, &unknown_app));

    let foreign = app
        .assign(&admin_b, &app_b, std::slice::from_ref(&user_a))
        .await;
    let unknown_user = unknown_id("User");
    let unknown = app
        .assign(&admin_b, &app_b, std::slice::from_ref(&unknown_user))
        .await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(foreign["userErrors"][0]["field"], "principalIds");
    assert_eq!(without(&foreign, &user_a), without(&unknown, &unknown_user));

    // Tenant A saw nothing change.
    assert_eq!(
        app.seats(&admin_a, &app_a).await,
        json!({ "purchased": 5, "assigned": 0, "available": 5 })
    );
    assert_eq!(app.seats(&admin_b, &app_b).await["assigned"], 0);
}

e2e_on_both_backends!(another_tenants_ids_behave_like_unknown_ids);
