//! Finding the seeded objects' global ids through the API, as a client
//! would (global ids are opaque: the harness never builds one itself).

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::load::Http;
use crate::seed::Seeded;

/// Global ids of the seeded data, index-aligned with [`Seeded`].
pub struct Ids {
    /// By seeded app index.
    pub apps: Vec<String>,
    /// By seeded user index.
    pub users: Vec<String>,
    /// The scenario-4 app.
    pub bulk_app: String,
    /// The app with 151 assignments for the page-size check.
    pub probe_app: String,
    /// The scenario-4 group.
    pub bulk_group: String,
    /// The hot-app rollout apps, as seeded.
    pub rollout_apps: Vec<String>,
    /// `after` values that reach each page of 50 apps (`None`: the first).
    pub app_pages: Vec<Option<String>>,
}

const APPS: &str = "query Apps($after: String) { apps(first: 100, after: $after) { \
    pageInfo { hasNextPage endCursor } nodes { id name } } }";
const APP_PAGES: &str = "query AppPages($after: String) { apps(first: 50, after: $after) { \
    pageInfo { hasNextPage endCursor } } }";
const USERS: &str = "query Users($after: String) { users(first: 100, after: $after) { \
    pageInfo { hasNextPage endCursor } nodes { id email } } }";
const GROUPS: &str = "query Groups($search: String) { groups(first: 5, search: $search) { \
    nodes { id displayName } } }";

/// Look everything up.
pub async fn discover(http: &Http, seeded: &Seeded) -> Result<Ids, String> {
    let apps_by_name = walk(http, APPS, "apps", "name").await?;
    let users_by_email = walk(http, USERS, "users", "email").await?;
    let app_id = |name: &str| {
        apps_by_name
            .get(name)
            .cloned()
            .ok_or(format!("app {name} not listed"))
    };
    let apps = seeded
        .apps
        .iter()
        .map(|a| app_id(&a.name))
        .collect::<Result<Vec<_>, _>>()?;
    let users = seeded
        .user_emails
        .iter()
        .map(|e| {
            users_by_email
                .get(e)
                .cloned()
                .ok_or(format!("user {e} not listed"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bulk_app = app_id(&seeded.bulk_app_name)?;
    let probe_app = app_id(&seeded.probe_app_name)?;
    let rollout_apps = seeded
        .rollout_apps
        .iter()
        .map(|a| app_id(&a.name))
        .collect::<Result<Vec<_>, _>>()?;
    let groups = http
        .graphql(GROUPS, json!({ "search": "All Staff" }))
        .await?;
    let bulk_group = groups["groups"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["displayName"] == seeded.bulk_group_name.as_str())
        .and_then(|g| g["id"].as_str())
        .ok_or("the bulk group is not found")?
        .to_owned();
    let mut app_pages = vec![None];
    loop {
        let after = app_pages.last().cloned().flatten();
        let data = http.graphql(APP_PAGES, json!({ "after": after })).await?;
        let info = &data["apps"]["pageInfo"];
        if info["hasNextPage"] != Value::Bool(true) {
            break;
        }
        app_pages.push(info["endCursor"].as_str().map(str::to_owned));
    }
    Ok(Ids {
        apps,
        users,
        bulk_app,
        probe_app,
        bulk_group,
        rollout_apps,
        app_pages,
    })
}

/// Page through a connection and map `key` → global id.
async fn walk(
    http: &Http,
    query: &str,
    field: &str,
    key: &str,
) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let data = http.graphql(query, json!({ "after": after })).await?;
        let connection = &data[field];
        for node in connection["nodes"].as_array().into_iter().flatten() {
            if let (Some(k), Some(id)) = (node[key].as_str(), node["id"].as_str()) {
                out.insert(k.to_owned(), id.to_owned());
            }
        }
        let info = &connection["pageInfo"];
        if info["hasNextPage"] != Value::Bool(true) {
            return Ok(out);
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
}
