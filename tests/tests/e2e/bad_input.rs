//! Bad input gets a clear, typed error and changes nothing.

use seatwise_e2e::{GraphqlResponse, TestApp, e2e_on_both_backends};
use serde_json::json;

async fn not_enough_seats_changes_nothing(app: TestApp) {
    let admin = app.admin_token();
    let analytics = app.register_app(&admin, "Northwind Analytics", 2).await;
    let users = app.create_users(&admin, "Analyst", 3).await;
    let group = app.create_group(&admin, "Analysts", &users[1..]).await;

    let refused = app
        .assign(&admin, &analytics, &[users[0].clone(), group])
        .await;
    assert_eq!(refused["app"], json!(null));
    assert_eq!(refused["assignments"], json!([]));
    let error = &refused["userErrors"][0];
    assert_eq!(error["code"], "NOT_ENOUGH_SEATS");
    assert_eq!(
        (error["needed"].as_i64(), error["available"].as_i64()),
        (Some(3), Some(2))
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains('3') && message.contains('2'), "{message}");

    let after = app
        .gql("query($id: ID!) { app(id: $id) { seats { purchased assigned available } assignments { totalCount } licensedUsers { totalCount } } }")
        .var("id", analytics.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        after.data()["app"],
        json!({ "seats": { "purchased": 2, "assigned": 0, "available": 2 }, "assignments": { "totalCount": 0 }, "licensedUsers": { "totalCount": 0 } })
    );
}

async fn invalid_values_are_user_errors(app: TestApp) {
    let admin = app.admin_token();
    app.create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let create_user = |name: &'static str, email: &'static str| {
        app.gql("mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { field message code } } }")
            .var("input", json!({ "displayName": name, "email": email }))
            .token(&admin)
            .send()
    };
    let cases = [
        (
            create_user("   ", "x@example.com").await,
            "displayName",
            "INVALID_INPUT",
        ),
        (
            create_user("X", "not-an-email").await,
            "email",
            "INVALID_INPUT",
        ),
        (
            create_user("Ada Again", "ADA@example.com").await,
            "email",
            "ALREADY_EXISTS",
        ),
    ];
    for (response, field, code) in cases {
        let payload = &response.data()["createUser"];
        assert_eq!(payload["user"], json!(null));
        assert_eq!(payload["userErrors"][0]["field"], field, "{payload:#}");
        assert_eq!(payload["userErrors"][0]["code"], code, "{payload:#}");
    }
    let register = app
        .gql("mutation($input: RegisterAppInput!) { registerApp(input: $input) { app { id } userErrors { field code } } }")
        .var("input", json!({ "name": "", "seats": 1, "vendor": { "name": "V", "website": "https://v.example", "supportEmail": "s@v.example" } }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        register.data()["registerApp"]["userErrors"],
        json!([{ "field": "name", "code": "INVALID_INPUT" }])
    );
    let register = app
        .gql("mutation($input: RegisterAppInput!) { registerApp(input: $input) { app { id } userErrors { field code } } }")
        .var("input", json!({ "name": "App", "seats": -1, "vendor": { "name": "V", "website": "ftp://v.example", "supportEmail": "s@v.example" } }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        register.data()["registerApp"]["userErrors"][0]["code"],
        "INVALID_INPUT"
    );

    let totals = app
        .gql("{ users { totalCount } apps { totalCount } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        totals.data(),
        &json!({ "users": { "totalCount": 1 }, "apps": { "totalCount": 0 } })
    );
}

async fn unknown_and_malformed_ids(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;

    // An app id where a principal is expected: not found, nothing assigned.
    let wrong_kind = app
        .assign(&admin, &whiteboard, &[ada.clone(), whiteboard.clone()])
        .await;
    assert_eq!(wrong_kind["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(wrong_kind["userErrors"][0]["field"], "principalIds");
    let malformed = app.assign(&admin, &whiteboard, &["%%%".to_owned()]).await;
    assert_eq!(malformed["userErrors"][0]["code"], "INVALID_INPUT");
    let empty = app.assign(&admin, &whiteboard, &[]).await;
    assert_eq!(empty["userErrors"][0]["code"], "INVALID_INPUT");
    assert_eq!(app.seats(&admin, &whiteboard).await["assigned"], 0);

    // Queries: a malformed id is INVALID_INPUT, a user id asked as an app is null.
    let response = app
        .gql("{ app(id: \"%%%\") { name } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(response.error_code(), "INVALID_INPUT");
    let response = app
        .gql("query($id: ID!) { app(id: $id) { name } }")
        .var("id", ada.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(response.data()["app"], json!(null));

    let members = app
        .gql("mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { group { id } userErrors { field code } } }")
        .var("input", json!({ "groupId": ada, "userIds": [ada] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        members.data()["addGroupMembers"]["userErrors"],
        json!([{ "field": "groupId", "code": "NOT_FOUND" }])
    );
}

async fn malformed_requests_get_graphql_errors(app: TestApp) {
    let admin = app.admin_token();
    // Syntax error, unknown field, wrong variable type: 200 with a coded error.
    for query in [
        "{ apps { ",
        "{ apps { nope } }",
        "query($n: Int) { apps(first: $n, search: 3) { totalCount } }",
    ] {
        let response = app.gql(query).token(&admin).send().await;
        assert_eq!(response.status, 200, "{query}");
        assert_eq!(
            response.error_codes().first().map(String::as_str),
            Some("GRAPHQL_VALIDATION_FAILED"),
            "{query}"
        );
    }
    // Not GraphQL at all: 400 in GraphQL's error shape.
    let raw = app
        .http()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .expect("POST");
    let response = GraphqlResponse::from_http(raw).await;
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (400, "BAD_REQUEST")
    );
    insta::assert_json_snapshot!("not_json", response.body);

    // Too large.
    let huge = format!("{{ apps {{ totalCount }} }} # {}", "x".repeat(512 * 1024));
    // A client of its own: the server answers 413 without reading the body
    // and closes that connection, which a shared pool might hand out again.
    let raw = reqwest::Client::new()
        .post(app.url("/graphql"))
        .json(&json!({ "query": huge }))
        .send()
        .await
        .expect("POST");
    assert_eq!(raw.status().as_u16(), 413);

    // Mutations over GET are refused.
    let raw = app
        .http()
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { createUser(input: { displayName: \"X\", email: \"x@example.com\" }) { user { id } } }")])
        .bearer_auth(&admin)
        .send()
        .await
        .expect("GET");
    assert_eq!(raw.status().as_u16(), 405);
    // Queries over GET work.
    let raw = app
        .http()
        .get(app.url("/graphql"))
        .query(&[("query", "{ users { totalCount } }")])
        .bearer_auth(&admin)
        .send()
        .await
        .expect("GET");
    assert_eq!(
        GraphqlResponse::from_http(raw).await.data()["users"]["totalCount"],
        0
    );
}

async fn depth_and_complexity_are_limited(app: TestApp) {
    let admin = app.admin_token();
    // Cheap (one item per level) but deep.
    let deep = "{ groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { displayName } } } } } } } } } } } } } } } } } } }";
    let response = app.gql(deep).token(&admin).send().await;
    assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested too deep")),
        "{:#}",
        response.body
    );

    let costly = "{ apps(first: 100) { nodes { assignments(first: 100) { nodes { id principal { ... on Group { displayName } } } } } } }";
    let response = app.gql(costly).token(&admin).send().await;
    assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("complex")),
        "{:#}",
        response.body
    );
}

e2e_on_both_backends!(
    not_enough_seats_changes_nothing,
    invalid_values_are_user_errors,
    unknown_and_malformed_ids,
    malformed_requests_get_graphql_errors,
    depth_and_complexity_are_limited,
);
