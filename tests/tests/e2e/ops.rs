//! Operations endpoints, GraphiQL, CORS and introspection.

use seatwise_e2e::{Backend, StartOptions, TestApp, e2e_on_both_backends};

/// The introspection query GraphiQL sends (abridged to what limits care
/// about: its depth).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

async fn probes_metrics_and_graphiql(app: TestApp) {
    let get = |path: &str, accept: &str| {
        app.http()
            .get(app.url(path))
            .header("accept", accept.to_owned())
            .send()
    };

    let health = get("/healthz", "*/*").await.expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    let ready = get("/readyz", "*/*").await.expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);

    for path in ["/graphiql", "/graphql"] {
        let page = get(path, "text/html,application/xhtml+xml")
            .await
            .expect("GraphiQL");
        assert_eq!(page.status().as_u16(), 200, "{path}");
        let html = page.text().await.expect("HTML");
        assert!(html.contains("graphiql"), "{path} serves GraphiQL");
    }

    // Introspection works without a token, within the depth limit.
    let schema = app.gql(INTROSPECTION).send().await;
    assert!(
        schema.data()["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 20)
    );

    // An error, so the error counter has a sample.
    app.gql("{ apps { totalCount } }").send().await;
    let metrics = get("/metrics", "text/plain")
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for expected in [
        "seatwise_http_requests_total{method=\"POST\",path=\"/graphql\",status=\"200\"}",
        "seatwise_http_request_duration_seconds_bucket",
        "seatwise_graphql_errors_total{code=\"UNAUTHENTICATED\"} 1",
        "seatwise_db_pool_connections{state=\"open\"}",
        "seatwise_db_pool_connections{state=\"idle\"}",
        "seatwise_db_statements_total",
    ] {
        assert!(
            metrics.contains(expected),
            "metrics lack {expected}:\n{metrics}"
        );
    }
}

e2e_on_both_backends!(probes_metrics_and_graphiql);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_configured_origins() {
    let options = StartOptions {
        env: vec![(
            "SEATWISE_CORS_ORIGINS".into(),
            "https://console.example, https://admin.example".into(),
        )],
        ..StartOptions::default()
    };
    let app = TestApp::start_with(Backend::Sqlite, options)
        .await
        .expect("SQLite starts");
    let preflight = |origin: &'static str| {
        app.http()
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("https://admin.example").await.expect("preflight");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://admin.example")
    );
    let refused = preflight("https://evil.example").await.expect("preflight");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// `serve` stops cleanly on SIGTERM.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_gracefully() {
    let mut app = TestApp::start_with(Backend::Sqlite, StartOptions::process(&[]))
        .await
        .expect("SQLite starts");
    let status = app.terminate();
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        app.server_log()
    );
    assert!(app.server_log().contains("shutting down"));
}
