//! Query and input limits stay explicit: a query's depth and complexity,
//! lists of ids, adapter settings, `nodes`, the per-parent lists and the metrics' labels are bounded, and
//! input over a limit is refused with a typed error that changes nothing.

use seatwise_e2e::{Backend, TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

/// The most users or groups one call may name (core `MAX_IDS_PER_CALL`).
const MAX_IDS: usize = 1_000;

async fn one_id_too_many_is_refused_and_changes_nothing(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let team = app.create_group(&admin, "Team", &[]).await;

    // A script sends the same user 1,001 times: over the limit, refused
    // before anything is looked up.
    let refused = app
        .assign(&admin, &whiteboard, &vec![ada.clone(); MAX_IDS + 1])
        .await;
    insta::assert_json_snapshot!("too_many_principal_ids", refused);
    let refused = app
        .unassign(&admin, &whiteboard, &vec![ada.clone(); MAX_IDS + 1])
        .await;
    assert_eq!(refused["userErrors"][0]["code"], "INVALID_INPUT");
    assert_eq!(refused["userErrors"][0]["field"], "principalIds");

    let members = |mutation: &str| {
        let query = format!(
            "mutation($input: {}Input!) {{ {mutation}(input: $input) {{ group {{ id }} userErrors {{ field code }} }} }}",
            capitalised(mutation)
        );
        app.gql(&query)
            .var(
                "input",
                json!({ "groupId": team, "userIds": vec![ada.clone(); MAX_IDS + 1] }),
            )
            .token(&admin)
            .send()
    };
    for mutation in ["addGroupMembers", "removeGroupMembers"] {
        let response = members(mutation).await;
        assert_eq!(
            response.data()[mutation],
            json!({ "group": null, "userErrors": [{ "field": "userIds", "code": "INVALID_INPUT" }] }),
            "{mutation}"
        );
    }
    let create = app
        .gql("mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { field code } } }")
        .var("input", json!({ "displayName": "Everyone", "description": "", "memberIds": vec![ada.clone(); MAX_IDS + 1] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        create.data()["createGroup"],
        json!({ "group": null, "userErrors": [{ "field": "memberIds", "code": "INVALID_INPUT" }] })
    );

    // Nothing changed: no seat taken, no member added, no group created.
    let after = app
        .gql("query($app: ID!, $group: ID!) { app(id: $app) { seats { assigned } assignments { totalCount } } node(id: $group) { ... on Group { memberCount } } groups { totalCount } }")
        .var("app", whiteboard.as_str())
        .var("group", team.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        after.data(),
        &json!({
            "app": { "seats": { "assigned": 0 }, "assignments": { "totalCount": 0 } },
            "node": { "memberCount": 0 },
            "groups": { "totalCount": 1 }
        })
    );

    // Exactly at the limit is accepted.
    let accepted = app.assign(&admin, &whiteboard, &vec![ada; MAX_IDS]).await;
    assert_eq!(accepted["userErrors"], json!([]));
    assert_eq!(accepted["app"]["seats"]["assigned"], 1);
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn oversized_adapter_settings_are_refused(app: TestApp) {
    let admin = app.admin_token();
    let register = |settings: Value| {
        app.gql("mutation($input: RegisterAppInput!) { registerApp(input: $input) { app { name } userErrors { field message code } } }")
            .var("input", json!({
                "name": "Fabrikam Forms",
                "seats": 3,
                "vendor": { "name": "Fabrikam", "website": "https://fabrikam.example", "supportEmail": "help@fabrikam.example" },
                "adapterKey": "fabrikam-async",
                "adapterSettings": settings,
            }))
            .token(&admin)
            .send()
    };
    // 17 KiB of settings: over the 16 KiB limit.
    let refused = register(json!({ "tenantCode": "x".repeat(17 * 1024) })).await;
    insta::assert_json_snapshot!("oversized_adapter_settings", refused.data());
    let apps = app
        .gql("{ apps { totalCount } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(apps.data()["apps"]["totalCount"], 0, "nothing registered");

    let accepted = register(json!({ "tenantCode": "x".repeat(15 * 1024) })).await;
    assert_eq!(
        accepted.data()["registerApp"],
        json!({ "app": { "name": "Fabrikam Forms" }, "userErrors": [] })
    );
}

/// Read every page of the connection at `path` (below `data`) of `query`,
/// `first` items at a time; the `field` of each item, page by page.
async fn pages(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: &[(&str, &str)],
    path: &[&str],
    field: &[&str],
) -> (Vec<Vec<Value>>, i64) {
    let mut after: Option<String> = None;
    let mut pages = Vec::new();
    let mut total = None;
    loop {
        let mut call = app.gql(query).token(token);
        for (name, value) in variables {
            call = call.var(name, *value);
        }
        let response = call
            .var("after", after.clone().map_or(Value::Null, Value::from))
            .send()
            .await;
        let mut connection = response.data().clone();
        for step in path {
            connection = match step.parse::<usize>() {
                Ok(index) => connection[index].clone(),
                Err(_) => connection[*step].clone(),
            };
        }
        total.get_or_insert(connection["totalCount"].as_i64().expect("totalCount"));
        let items = connection["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| field.iter().fold(node.clone(), |v, f| v[*f].clone()))
            .collect();
        pages.push(items);
        if connection["pageInfo"]["hasNextPage"] != true {
            return (pages, total.unwrap_or_default());
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
        assert!(pages.len() < 10, "paging does not end");
    }
}

async fn per_parent_lists_are_paged(app: TestApp) {
    let admin = app.admin_token();
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    // Ada is in three teams; each team holds the Whiteboard, and the
    // first team also holds two more apps.
    let mut teams = Vec::new();
    for name in ["Alpha", "Beta", "Gamma"] {
        teams.push(
            app.create_group(&admin, name, std::slice::from_ref(&ada))
                .await,
        );
    }
    let mut apps = Vec::new();
    for name in ["Whiteboard", "Forms", "Planner"] {
        apps.push(app.register_app(&admin, name, 5).await);
    }
    for (n, app_id) in apps.iter().enumerate() {
        let holders = if n == 0 { &teams[..] } else { &teams[..1] };
        let done = app.assign(&admin, app_id, holders).await;
        assert_eq!(done["userErrors"], json!([]));
    }

    // The team's apps, oldest assignment first, two at a time.
    let (assigned, total) = pages(
        &app,
        &admin,
        "query($id: ID!, $after: String) { node(id: $id) { ... on Group { assignedApps(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { name } } } } }",
        &[("id", &teams[0])],
        &["node", "assignedApps"],
        &["name"],
    )
    .await;
    assert_eq!(
        (assigned, total),
        (
            vec![
                vec![json!("Whiteboard"), json!("Forms")],
                vec![json!("Planner")]
            ],
            3
        )
    );

    // Ada's licenses, in the order the apps were registered.
    let (licenses, total) = pages(
        &app,
        &admin,
        "query($id: ID!, $after: String) { user(id: $id) { licenses(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { app { name } } } } }",
        &[("id", &ada)],
        &["user", "licenses"],
        &["app", "name"],
    )
    .await;
    assert_eq!(
        (licenses, total),
        (
            vec![
                vec![json!("Whiteboard"), json!("Forms")],
                vec![json!("Planner")]
            ],
            3
        )
    );

    // How Ada holds the Whiteboard: through three teams, oldest first,
    // seen from the app and from Ada.
    let (via, total) = pages(
        &app,
        &admin,
        "query($id: ID!, $after: String) { app(id: $id) { licensedUsers { nodes { viaGroups(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { displayName } } } } } }",
        &[("id", &apps[0])],
        &["app", "licensedUsers", "nodes", "0", "viaGroups"],
        &["displayName"],
    )
    .await;
    assert_eq!(
        (via, total),
        (
            vec![vec![json!("Alpha"), json!("Beta")], vec![json!("Gamma")]],
            3
        )
    );
    let (via, _) = pages(
        &app,
        &admin,
        "query($id: ID!, $after: String) { user(id: $id) { licenses(first: 1) { nodes { viaGroups(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { displayName } } } } } }",
        &[("id", &ada)],
        &["user", "licenses", "nodes", "0", "viaGroups"],
        &["displayName"],
    )
    .await;
    assert_eq!(
        via,
        vec![vec![json!("Alpha"), json!("Beta")], vec![json!("Gamma")]]
    );

    // A page over the limit is refused like every connection's.
    let response = app
        .gql("query($id: ID!) { user(id: $id) { licenses(first: 101) { totalCount } } }")
        .var("id", ada.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(response.error_code(), "INVALID_INPUT");
}

async fn depth_and_complexity_are_limited(app: TestApp) {
    let admin = app.admin_token();
    // Cheap (one item per level) but deep.
    let deep = "{ groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { members(first: 1) { nodes { groups(first: 1) { nodes { displayName } } } } } } } } } } } } } } } } } } }";
    let response = app.gql(deep).token(&admin).send().await;
    assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
    insta::assert_json_snapshot!("query_too_deep", response.redacted());
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
    insta::assert_json_snapshot!("query_too_complex", response.redacted());
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("complex")),
        "{:#}",
        response.body
    );
}

e2e_on_both_backends!(
    depth_and_complexity_are_limited,
    one_id_too_many_is_refused_and_changes_nothing,
    oversized_adapter_settings_are_refused,
    per_parent_lists_are_paged,
);

/// `nodes` costs its selection once per id: the same selection that fits
/// for 10 ids is refused for 100, with the usual complexity error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_complexity_grows_with_the_ids() {
    let app = TestApp::start(Backend::Sqlite)
        .await
        .expect("SQLite starts");
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on App { name assignments(first: 100) { nodes { id } } } } }";
    let ask = |count: usize| {
        app.gql(query)
            .var("ids", vec![whiteboard.clone(); count])
            .token(&admin)
            .send()
    };
    let fits = ask(10).await;
    assert_eq!(
        fits.data()["nodes"].as_array().map(Vec::len),
        Some(10),
        "10 ids fit"
    );
    let refused = ask(100).await;
    insta::assert_json_snapshot!("nodes_too_complex", refused.body);

    // Many ids with a small selection stay cheap; past 100 ids is refused.
    let cheap = app
        .gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }")
        .var("ids", vec![whiteboard.clone(); 100])
        .token(&admin)
        .send()
        .await;
    assert_eq!(cheap.data()["nodes"].as_array().map(Vec::len), Some(100));
    let too_many = app
        .gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }")
        .var("ids", vec![whiteboard; 101])
        .token(&admin)
        .send()
        .await;
    assert_eq!(too_many.error_code(), "INVALID_INPUT");
}

/// A client inventing HTTP methods cannot create metric series: every
/// extension method is counted under `OTHER`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strange_http_methods_share_one_metrics_label() {
    let app = TestApp::start(Backend::Sqlite)
        .await
        .expect("SQLite starts");
    for method in ["FROBNICATE", "BREW", "get"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method token");
        let response = app
            .http()
            .request(method, app.url("/healthz"))
            .send()
            .await
            .expect("a response");
        assert_eq!(response.status().as_u16(), 405);
    }
    let metrics = app.metrics_text().await;
    let requests: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("seatwise_http_requests_total{"))
        .collect();
    assert!(
        requests.iter().any(|l| l.contains(r#"method="OTHER""#)
            && l.contains(r#"path="/healthz""#)
            && l.ends_with(" 3")),
        "{requests:#?}"
    );
    assert!(
        !metrics.contains("FROBNICATE") && !metrics.contains("BREW"),
        "{metrics}"
    );
}
