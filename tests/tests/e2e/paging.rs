//! Connections page with opaque cursors; `pageInfo` says where a page
//! starts and ends and what lies on either side; oversize pages are refused.

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

const PAGE_INFO: &str = "query($first: Int, $after: String) {
    users(first: $first, after: $after) {
        edges { cursor node { displayName } }
        pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    }
}";

/// One page of users and its `pageInfo`.
async fn users_page(app: &TestApp, token: &str, first: i32, after: Option<&str>) -> Value {
    let mut call = app.gql(PAGE_INFO).var("first", first).token(token);
    if let Some(cursor) = after {
        call = call.var("after", cursor);
    }
    call.send().await.data()["users"].clone()
}

fn display_names(page: &Value) -> Vec<&str> {
    page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["displayName"].as_str())
        .collect()
}

/// A client paging forward learns from `pageInfo` where each page starts
/// and ends: the first page has nothing before it, a later page (read
/// `after` a cursor) has, and a page past the end is empty with no cursors.
async fn page_info_says_where_a_page_starts_and_what_lies_around_it(app: TestApp) {
    let admin = app.admin_token();
    app.create_users(&admin, "Person", 5).await;

    let first = users_page(&app, &admin, 2, None).await;
    insta::assert_json_snapshot!("first_page", seatwise_e2e::snapshot::redact(&first));
    assert_eq!(display_names(&first), ["Person 0", "Person 1"]);
    let info = &first["pageInfo"];
    assert_eq!(info["hasPreviousPage"], false);
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["startCursor"], first["edges"][0]["cursor"]);
    assert_eq!(info["endCursor"], first["edges"][1]["cursor"]);

    let end = info["endCursor"].as_str().expect("endCursor");
    let last = users_page(&app, &admin, 3, Some(end)).await;
    insta::assert_json_snapshot!("last_page", seatwise_e2e::snapshot::redact(&last));
    assert_eq!(display_names(&last), ["Person 2", "Person 3", "Person 4"]);
    let info = &last["pageInfo"];
    assert_eq!(info["hasPreviousPage"], true);
    assert_eq!(info["hasNextPage"], false);
    assert_eq!(info["startCursor"], last["edges"][0]["cursor"]);
    assert_eq!(info["endCursor"], last["edges"][2]["cursor"]);

    // Reading on from the start cursor of a page skips just its first item.
    let start = info["startCursor"].as_str().expect("startCursor");
    let shifted = users_page(&app, &admin, 3, Some(start)).await;
    assert_eq!(display_names(&shifted), ["Person 3", "Person 4"]);

    let end = info["endCursor"].as_str().expect("endCursor");
    let beyond = users_page(&app, &admin, 3, Some(end)).await;
    insta::assert_json_snapshot!("page_past_the_end", seatwise_e2e::snapshot::redact(&beyond));
    assert_eq!(display_names(&beyond), Vec::<&str>::new());
    let info = &beyond["pageInfo"];
    assert_eq!(info["hasPreviousPage"], true);
    assert_eq!(info["hasNextPage"], false);
    assert_eq!(info["startCursor"], Value::Null);
    assert_eq!(info["endCursor"], Value::Null);
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
    insta::assert_json_snapshot!("page_over_the_limit", response.redacted());
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
    page_info_says_where_a_page_starts_and_what_lies_around_it,
    oversize_or_bad_pages_are_invalid_input
);
