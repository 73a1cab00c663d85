//! The console's screens cost a fixed number of SQL statements, whatever
//! their page size: every relation goes through a DataLoader. The app
//! details, the licenses list with its subscriptions, and the alert scan
//! above that list (with the organisation's spend) are pinned here.
//!
//! Runs the schema in-process against a real database (SQLite and
//! PostgreSQL) and reads the store's statement counter around each query.

use async_graphql::{Request, Variables};
use seatwise_api::auth::{Caller, Role};
use seatwise_api::graphql::{Session, build_schema, ids};
use seatwise_core::clock::ManualClock;
use seatwise_core::ids::{AppId, PrincipalId, TenantId, UserId};
use seatwise_core::model::{Actor, NewApp, NewGroup, NewUser, Vendor};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Store, StoreOptions, test_on_both_backends};

const APP_DETAILS: &str = r#"
query AppDetails($id: ID!, $first: Int!) {
  app(id: $id) {
    name
    vendor { name website supportEmail }
    seats { purchased assigned available }
    licenseErrorCount
    assignments(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id assignedAt assignedBy
          principal {
            __typename
            ... on User { id displayName email }
            ... on Group { id displayName memberCount }
          }
        }
      }
    }
  }
}"#;

const LICENSED_USERS: &str = r#"
query LicensedUsers($id: ID!, $first: Int!) {
  app(id: $id) {
    licensedUsers(first: $first) {
      totalCount
      nodes {
        state errorCode assignedDirectly
        user { displayName email licenses(first: 5) { totalCount nodes { state } } }
        viaGroups(first: 5) { totalCount nodes { displayName memberCount } }
      }
    }
  }
}"#;

/// Each group with its apps: a per-parent list, one connection each.
const GROUPS_WITH_APPS: &str = r#"
query GroupsWithApps($first: Int!) {
  groups(first: $first) {
    nodes { displayName assignedApps(first: 5) { totalCount nodes { name } } }
  }
}"#;

/// Each user with their licenses and the groups those come through.
const USERS_WITH_LICENSES: &str = r#"
query UsersWithLicenses($first: Int!) {
  users(first: $first) {
    nodes {
      displayName
      licenses(first: 2) {
        totalCount
        nodes { state app { name } viaGroups(first: 2) { totalCount nodes { displayName } } }
      }
    }
  }
}"#;

/// The licenses list as the console asks for it (`ConsoleApps`), with
/// each app's subscription, license error count and idle seats.
const LICENSES_LIST: &str = r#"
query LicensesList($first: Int!) {
  apps(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id name vendor { name } seats { purchased assigned available } licenseErrorCount
      subscription { state renewsOn daysToRenewal currency annualCost unusedSeatCost lowSeatThreshold }
      usage(idleDays: 30) { idleSeatCount idleSeatCost }
    }
  }
}"#;

/// The banner's alert scan (`ConsoleAppAlerts`) with the spend.
const ALERT_SCAN: &str = r#"
query AlertScan($first: Int!) {
  viewer { tenant { id spend { currency subscriptions annualCost unusedSeatCost } } }
  apps(first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes { id name seats { available } licenseErrorCount subscription { state daysToRenewal lowSeatThreshold } }
  }
}"#;

const SET_SUBSCRIPTION: &str = r#"
mutation($input: SetSubscriptionInput!) {
  setSubscription(input: $input) { userErrors { message } }
}"#;

/// The license-details screen's selection, as the console and the
/// benchmark ask for it; written once for both ways of reaching the app.
macro_rules! license_details_fragment {
    () => {
        r#"
fragment Details on App {
  id name description
  vendor { name website supportEmail }
  seats { purchased assigned available }
  assignments(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges {
      cursor
      node {
        id assignedAt assignedBy
        principal { __typename ... on User { id displayName email } ... on Group { id displayName } }
      }
    }
  }
}"#
    };
}

/// The license-details screen, through `app(id:)`: `Query.app`'s
/// look-ahead plan reads it.
const LICENSE_DETAILS: &str = concat!(
    r#"
query LicenseDetails($id: ID!, $first: Int!, $after: String) {
  app(id: $id) { ...Details }
}"#,
    license_details_fragment!()
);

/// The same selection through `node(id:)`, which `Query.app`'s look-ahead
/// plan does not touch: field by field, through the DataLoaders.
const LICENSE_DETAILS_FIELD_BY_FIELD: &str = concat!(
    r#"
query LicenseDetails($id: ID!, $first: Int!, $after: String) {
  app: node(id: $id) { ...Details }
}"#,
    license_details_fragment!()
);

/// A tenant with one app assigned to 45 users directly and 5 groups of 2
/// (other) users each: 50 assignments, groups and users interleaved so
/// that every page holds both kinds.
async fn seed(store: &Store) -> (TenantId, AppId) {
    let actor = Actor::system();
    let tenant = store
        .create_tenant(&actor, "Budget Ltd")
        .await
        .expect("tenant")
        .id;
    let mut users = Vec::new();
    for i in 0..55 {
        let new = NewUser {
            display_name: format!("User {i:02}"),
            email: format!("user{i:02}@budget.example"),
        };
        users.push(
            store
                .create_user(tenant, &actor, new)
                .await
                .expect("user")
                .id,
        );
    }
    // Group members are the users at even positions up to 18, the others
    // are assigned directly, so licensed users (listed by id) mix both.
    let in_a_group = |i: usize| i.is_multiple_of(2) && i < 20;
    let members: Vec<UserId> = users
        .iter()
        .enumerate()
        .filter(|(i, _)| in_a_group(*i))
        .map(|(_, u)| *u)
        .collect();
    let direct: Vec<UserId> = users
        .iter()
        .enumerate()
        .filter(|(i, _)| !in_a_group(*i))
        .map(|(_, u)| *u)
        .collect();
    let mut groups = Vec::new();
    for (n, members) in members.chunks(2).enumerate() {
        let new = NewGroup {
            display_name: format!("Team {n}"),
            description: String::new(),
            member_ids: members.to_vec(),
        };
        groups.push(PrincipalId::Group(
            store
                .create_group(tenant, &actor, new)
                .await
                .expect("group")
                .id,
        ));
    }
    let app = NewApp {
        name: "Budget App".into(),
        description: String::new(),
        vendor: Vendor {
            name: "Vendor".into(),
            website: "https://vendor.example".into(),
            support_email: "help@vendor.example".into(),
        },
        seats: 100,
        adapter_key: None,
        adapter_settings: serde_json::Value::Null,
    };
    let app = store
        .register_app(tenant, &actor, app)
        .await
        .expect("app")
        .id;
    // Assignments list oldest first: a group, then 9 users, and again.
    for (group, direct) in groups.iter().zip(direct.chunks(9)) {
        store
            .assign_licenses(tenant, &actor, app, &[*group])
            .await
            .expect("assign a group");
        let direct: Vec<PrincipalId> = direct.iter().map(|u| PrincipalId::User(*u)).collect();
        store
            .assign_licenses(tenant, &actor, app, &direct)
            .await
            .expect("assign users");
    }
    (tenant, app)
}

/// Run `query` for `first` items; the SQL statements it took and its data.
async fn statements_for(
    store: &Store,
    tenant: TenantId,
    app: AppId,
    query: &str,
    first: i32,
) -> (u64, serde_json::Value) {
    let variables =
        serde_json::json!({ "id": ids::encode(ids::Kind::App, app.0).to_string(), "first": first });
    statements_with(store, tenant, query, variables).await
}

/// Run `query` with `variables`; the SQL statements it took and its data.
async fn statements_with(
    store: &Store,
    tenant: TenantId,
    query: &str,
    variables: serde_json::Value,
) -> (u64, serde_json::Value) {
    let schema = build_schema(store.clone());
    let caller = Caller {
        tenant,
        subject: "reader".into(),
        roles: [Role::GlobalReader].into_iter().collect(),
        user: None,
    };
    let request = Request::new(query)
        .variables(Variables::from_json(variables))
        .data(Session::authenticated(store.clone(), caller));
    let before = store.statements().get();
    let response = schema.execute(request).await;
    let after = store.statements().get();
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    (
        after - before,
        response.data.into_json().expect("JSON data"),
    )
}

async fn app_details_cost_does_not_grow_with_the_page(db: &TestDatabase) {
    // One connection: the pool pings a reused connection but not a new
    // one, so with more connections the count would depend on how many
    // the pool happened to have open.
    let options = StoreOptions {
        max_connections: 1,
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    let (tenant, app) = seed(&store).await;

    let (small, data) = statements_for(&store, tenant, app, APP_DETAILS, 5).await;
    assert_eq!(
        data["app"]["assignments"]["edges"].as_array().map(Vec::len),
        Some(5)
    );
    let (large, data) = statements_for(&store, tenant, app, APP_DETAILS, 50).await;
    let edges = data["app"]["assignments"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 50);
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["principal"]["displayName"].is_string())
    );
    assert_eq!(small, large, "statements for 5 vs 50 assignments");
    // Each pooled read is its statements plus the pool's ping: app (2),
    // error count (2), assignments (4), users (2), groups (2), member
    // counts (2).
    assert!(large <= 14, "app details took {large} statements");

    let (small, _) = statements_for(&store, tenant, app, LICENSED_USERS, 5).await;
    let (large, data) = statements_for(&store, tenant, app, LICENSED_USERS, 50).await;
    assert_eq!(
        data["app"]["licensedUsers"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(50)
    );
    assert_eq!(small, large, "statements for 5 vs 50 licensed users");

    let (small, _) = statements_for(&store, tenant, app, GROUPS_WITH_APPS, 2).await;
    let (large, data) = statements_for(&store, tenant, app, GROUPS_WITH_APPS, 50).await;
    let groups = data["groups"]["nodes"].as_array().expect("groups");
    assert_eq!(groups.len(), 5);
    assert!(
        groups
            .iter()
            .all(|g| g["assignedApps"]["nodes"][0]["name"] == "Budget App")
    );
    assert_eq!(small, large, "statements for 2 vs 5 groups with their apps");

    let (small, _) = statements_for(&store, tenant, app, USERS_WITH_LICENSES, 2).await;
    let (large, data) = statements_for(&store, tenant, app, USERS_WITH_LICENSES, 50).await;
    let users = data["users"]["nodes"].as_array().expect("users");
    assert_eq!(users.len(), 50);
    assert!(
        users
            .iter()
            .all(|u| u["licenses"]["nodes"][0]["app"]["name"] == "Budget App")
    );
    assert_eq!(
        small, large,
        "statements for 2 vs 50 users with their licenses"
    );
}

/// Run `query` with `variables` as a Global admin; it must succeed.
async fn run_as_admin(store: &Store, tenant: TenantId, query: &str, variables: serde_json::Value) {
    let schema = build_schema(store.clone());
    let caller = Caller {
        tenant,
        subject: "admin".into(),
        roles: [Role::GlobalAdmin].into_iter().collect(),
        user: None,
    };
    let request = Request::new(query)
        .variables(Variables::from_json(variables))
        .data(Session::authenticated(store.clone(), caller));
    let response = schema.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("JSON data");
    assert!(
        !data.to_string().contains("\"message\""),
        "user errors: {data}"
    );
}

async fn licenses_list_cost_does_not_grow_with_the_page(db: &TestDatabase) {
    let options = StoreOptions {
        max_connections: 1,
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    let (tenant, app) = seed(&store).await;
    // Eight more apps, every other one with a subscription (two
    // currencies), so a page holds apps with and without terms.
    let actor = Actor::system();
    for n in 0..8 {
        let new = NewApp {
            name: format!("List App {n}"),
            description: String::new(),
            vendor: Vendor {
                name: "Vendor".into(),
                website: "https://vendor.example".into(),
                support_email: "help@vendor.example".into(),
            },
            seats: 10,
            adapter_key: None,
            adapter_settings: serde_json::Value::Null,
        };
        let id = store
            .register_app(tenant, &actor, new)
            .await
            .expect("app")
            .id;
        if n % 2 == 0 {
            let input = serde_json::json!({ "input": {
                "appId": ids::encode(ids::Kind::App, id.0).to_string(),
                "termStart": "2026-01-01", "termEnd": "2027-12-31",
                "pricePerSeat": "12.50", "currency": if n % 4 == 0 { "EUR" } else { "USD" },
            }});
            run_as_admin(&store, tenant, SET_SUBSCRIPTION, input).await;
        }
    }

    // Read 40 days on, so every seat of the budget app (55 holders, none
    // ever seen) is idle and the idle counts are not all zero.
    let later = ManualClock::on(store.clock().today() + chrono::Days::new(40));
    let reader = store.clone().with_clock(later.clock());
    let (small, _) = statements_for(&reader, tenant, app, LICENSES_LIST, 2).await;
    let (large, data) = statements_for(&reader, tenant, app, LICENSES_LIST, 9).await;
    let nodes = data["apps"]["nodes"].as_array().expect("apps");
    assert_eq!(nodes.len(), 9);
    let idle: Vec<i64> = nodes
        .iter()
        .map(|a| a["usage"]["idleSeatCount"].as_i64().expect("a count"))
        .collect();
    assert_eq!(idle, [55, 0, 0, 0, 0, 0, 0, 0, 0], "{data}");
    assert_eq!(
        nodes
            .iter()
            .filter(|a| a["subscription"].is_object())
            .count(),
        4,
        "{data}"
    );
    assert_eq!(
        small, large,
        "statements for 2 vs 9 apps with subscriptions"
    );
    // The page of apps with its count, the subscriptions of its apps,
    // their license error counts and their idle seat counts (one batch
    // each).
    assert!(large <= 5, "the licenses list took {large} statements");

    let (small, _) = statements_for(&store, tenant, app, ALERT_SCAN, 2).await;
    let (large, data) = statements_for(&store, tenant, app, ALERT_SCAN, 9).await;
    assert_eq!(
        data["viewer"]["tenant"]["spend"].as_array().map(Vec::len),
        Some(2),
        "EUR and USD: {data}"
    );
    assert_eq!(small, large, "statements for the alerts of 2 vs 9 apps");
    // The list's statements and the spend's one.
    assert!(large <= 5, "the alert scan took {large} statements");
}

async fn license_details_screen_is_one_statement(db: &TestDatabase) {
    let options = StoreOptions {
        max_connections: 1,
        ..StoreOptions::default()
    };
    let store = db.store_with(options).await;
    let (tenant, app) = seed(&store).await;
    let id = ids::encode(ids::Kind::App, app.0).to_string();

    let mut after = serde_json::Value::Null;
    // Three pages in a row: 5, then 20 after a cursor, then the last 25
    // of a screen of 50.
    for first in [5, 20, 50] {
        let variables = serde_json::json!({ "id": id, "first": first, "after": after });
        let (planned, data) =
            statements_with(&store, tenant, LICENSE_DETAILS, variables.clone()).await;
        let (field_by_field, expected) =
            statements_with(&store, tenant, LICENSE_DETAILS_FIELD_BY_FIELD, variables).await;
        // The plan changes how the answer is read, never the answer.
        assert_eq!(data, expected, "page of {first} after {after}");
        // The app, then the page with its count and principals, whatever
        // the page size; field by field it takes a read per relation.
        assert_eq!(planned, 2, "license details took {planned} statements");
        assert!(field_by_field > planned);
        let assignments = &data["app"]["assignments"];
        assert_eq!(assignments["totalCount"], 50);
        let edges = assignments["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), first.min(25), "page of {first}");
        assert_eq!(assignments["pageInfo"]["hasNextPage"], first != 50);
        assert!(
            edges
                .iter()
                .all(|e| e["node"]["principal"]["displayName"].is_string())
        );
        after = assignments["pageInfo"]["endCursor"].clone();
    }

    // Another tenant's app is no app: one statement finds none.
    let other = store
        .create_tenant(&Actor::system(), "Other Ltd")
        .await
        .expect("tenant")
        .id;
    let variables = serde_json::json!({ "id": id, "first": 5 });
    let (statements, data) = statements_with(&store, other, LICENSE_DETAILS, variables).await;
    assert_eq!(data["app"], serde_json::Value::Null);
    assert_eq!(statements, 1);
}

test_on_both_backends!(one_thread: app_details_cost_does_not_grow_with_the_page);
test_on_both_backends!(one_thread: license_details_screen_is_one_statement);
test_on_both_backends!(one_thread: licenses_list_cost_does_not_grow_with_the_page);
