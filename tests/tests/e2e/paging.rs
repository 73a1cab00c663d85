//! Connections page with opaque cursors; oversize pages are refused.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::Value;

const USERS_PAGE: &str = "query($first: Int, $after: String) {
    users(first: $first, after: $after) {
        totalCount
        edges { cursor node { displayName } }
        nodes { id }
        pageInfo { hasNextPage endCursor }
    }
}";

async fn cursors_walk_every_item_once(app: TestApp) {
    let admin = app.admin_token();
    app.create_users(&admin, "Person", 7).await;

    let mut names = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut call = app.gql(USERS_PAGE).var("first", 3).token(&admin);
        if let Some(cursor) = &after {
            call = call.var("after", cursor.as_str());
        }
        let response = call.send().await;
        let page = &response.data()["users"];
        assert_eq!(page["totalCount"], 7);
        let edges = page["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), page["nodes"].as_array().map_or(0, Vec::len));
        names.extend(
            edges
                .iter()
                .filter_map(|e| e["node"]["displayName"].as_str().map(str::to_owned)),
        );
        assert_eq!(
            page["pageInfo"]["endCursor"],
            edges.last().map_or(Value::Null, |e| e["cursor"].clone())
        );
        pages += 1;
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|n| format!("Person {n}")).collect();
    assert_eq!(names, expected);
}

async fn oversize_or_bad_pages_are_invalid_input(app: TestApp) {
    let admin = app.admin_token();
    for (first, after) in [
        (Some(101), None),
        (Some(-1), None),
        (None, Some("not-a-cursor")),
    ] {
        let mut call = app.gql(USERS_PAGE).token(&admin);
        if let Some(first) = first {
            call = call.var("first", first);
        }
        if let Some(after) = after {
            call = call.var("after", after);
        }
        let response = call.send().await;
        assert_eq!(
            response.error_code(),
            "INVALID_INPUT",
            "first={first:?} after={after:?}"
        );
    }
    let response = app
        .gql("{ apps(first: 101) { totalCount } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(response.body["errors"][0]["extensions"]["field"], "first");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("100"))
    );
    let response = app
        .gql("{ apps(first: 100) { totalCount } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(response.data()["apps"]["totalCount"], 0);
}

e2e_on_both_backends!(
    cursors_walk_every_item_once,
    oversize_or_bad_pages_are_invalid_input
);
