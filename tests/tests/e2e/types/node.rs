//! `node` and `nodes`: any object refetched by its global id.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

async fn nodes_refetch_by_global_id(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let group = app
        .create_group(&admin, "Engineering", std::slice::from_ref(&ada))
        .await;
    let response = app
        .gql("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on App { name } ... on User { email } ... on Group { memberCount } } }")
        .var("ids", json!([whiteboard, ada, group]))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("nodes_refetch", response.redacted());
    // The placeholders hide the ids: each node is the one asked for, in order.
    let ids: Vec<&str> = response.data()["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|node| node["id"].as_str())
        .collect();
    assert_eq!(ids, [&whiteboard, &ada, &group]);
}

e2e_on_both_backends!(nodes_refetch_by_global_id);
