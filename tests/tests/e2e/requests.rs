//! Requests that are not valid GraphQL (or not JSON, or too large, or a
//! mutation over GET) get a coded error in GraphQL's shape.

use seatwise_e2e::{GraphqlResponse, TestApp, e2e_on_both_backends};
use serde_json::json;

async fn malformed_requests_get_graphql_errors(app: TestApp) {
    let admin = app.admin_token();
    // Syntax error, unknown field, wrong variable type: 200 with a coded error.
    for (snapshot, query) in [
        ("syntax_error", "{ apps { "),
        ("unknown_field", "{ apps { nope } }"),
        (
            "wrong_variable_type",
            "query($n: Int) { apps(first: $n, search: 3) { totalCount } }",
        ),
    ] {
        let response = app.gql(query).token(&admin).send().await;
        assert_eq!(response.status, 200, "{query}");
        assert_eq!(
            response.error_codes().first().map(String::as_str),
            Some("GRAPHQL_VALIDATION_FAILED"),
            "{query}"
        );
        insta::assert_json_snapshot!(snapshot, response.redacted());
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
    // The server answers 413 without reading the body, and says it closes
    // the connection, so the shared client's pool never hands it out again.
    let raw = app
        .http()
        .post(app.url("/graphql"))
        .json(&json!({ "query": huge }))
        .send()
        .await
        .expect("POST");
    assert_eq!(raw.status().as_u16(), 413);
    assert_eq!(raw.headers()["connection"], "close");

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

e2e_on_both_backends!(malformed_requests_get_graphql_errors);
