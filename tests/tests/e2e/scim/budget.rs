//! What an initial sync costs the database, request by request: the SQL
//! statements of `POST /Users` and of a `PATCH /Groups` adding a hundred
//! members, on each backend. A change that adds a statement to these fails
//! here (bench/README.md has the figures and the throughput they give).
//! And racing requests for one user or one group: exactly one is created
//! (or renamed), the others are answered `409 uniqueness`, never a server
//! error.

use futures::future::join_all;
use seatwise_e2e::{Backend, StartOptions, TestApp, e2e_for_each_backend};
use serde_json::{Value, json};

use super::Scim;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Statements of one `POST /Users`: the token look-up, then on PostgreSQL
/// the user, its search terms and its audit event as one statement; on
/// SQLite those three INSERTs between `BEGIN IMMEDIATE` and `COMMIT`.
fn post_user_budget(backend: Backend) -> u64 {
    match backend {
        Backend::Postgres => 2,
        Backend::Sqlite => 6,
    }
}

/// Statements of one `PATCH /Groups/{id}` adding 100 members to a group
/// with no apps: token, BEGIN, lock the users, lock and read the group,
/// its apps, which are members already, the new members (one INSERT),
/// the audit event, the version bump (answering the group), COMMIT. The
/// same on both backends: nothing is per member.
const PATCH_MEMBERS_BUDGET: u64 = 10;

fn user(n: usize, external_id: &str) -> Value {
    let email = format!("user{n}@example.com");
    json!({
        "schemas": [USER_SCHEMA],
        "externalId": external_id,
        "userName": email,
        "displayName": format!("User {n}"),
        "emails": [{ "primary": true, "value": email, "type": "work" }],
        "active": true
    })
}

async fn sync_costs_a_fixed_number_of_statements(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, StartOptions::quiet()).await else {
        return;
    };
    let scim = Scim::connect(&app, "Entra ID").await;
    // The first request also records when the token was last used.
    let first = scim.post("/scim/v2/Users", user(0, "ext-0")).await;
    assert_eq!(first.status, 201, "{:#}", first.body);

    let before = app.settled_statements_total().await;
    let created = scim.post("/scim/v2/Users", user(1, "ext-1")).await;
    let after = app.statements_total().await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(after - before, post_user_budget(backend), "POST /Users");

    let mut members = Vec::new();
    for n in 2..102 {
        let created = scim
            .post("/scim/v2/Users", user(n, &format!("ext-{n}")))
            .await;
        assert_eq!(created.status, 201, "{:#}", created.body);
        members.push(json!({ "value": created.body["id"] }));
    }
    let group = scim
        .post(
            "/scim/v2/Groups",
            json!({ "schemas": [GROUP_SCHEMA], "displayName": "Engineering" }),
        )
        .await;
    assert_eq!(group.status, 201, "{:#}", group.body);
    let path = format!("/scim/v2/Groups/{}", group.body["id"].as_str().expect("id"));
    let before = app.settled_statements_total().await;
    let patched = scim
        .patch(
            &path,
            json!({
                "schemas": [PATCH_OP],
                "Operations": [{ "op": "add", "path": "members", "value": members }]
            }),
        )
        .await;
    let after = app.statements_total().await;
    assert_eq!(patched.status, 204, "{:#}", patched.body);
    assert_eq!(
        after - before,
        PATCH_MEMBERS_BUDGET,
        "PATCH /Groups, 100 members"
    );

    let read = scim.get(&format!("{path}?attributes=members")).await;
    assert_eq!(read.body["members"].as_array().map(Vec::len), Some(100));
}

/// Eight requests at once for one user, as a provider retrying in
/// parallel sends them: one is created, seven are told it exists.
async fn racing_creates_of_one_user_answer_uniqueness(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let scim = Scim::connect(&app, "Okta").await;
    let same_user_name: Vec<Value> = (0..8).map(|n| user(1, &format!("ext-{n}"))).collect();
    let same_external_id: Vec<Value> = (0..8).map(|n| user(100 + n, "ext-shared")).collect();
    for (case, bodies) in [
        ("the same userName", same_user_name),
        ("the same externalId", same_external_id),
    ] {
        let answers = join_all(bodies.into_iter().map(|b| scim.post("/scim/v2/Users", b))).await;
        let created = answers.iter().filter(|a| a.status == 201).count();
        assert_eq!(created, 1, "{case}: one created");
        for refused in answers.iter().filter(|a| a.status != 201) {
            assert_eq!(refused.status, 409, "{case}: {:#}", refused.body);
            assert_eq!(refused.body["scimType"], "uniqueness", "{case}");
        }
    }
    let all = scim.get("/scim/v2/Users?count=0").await;
    assert_eq!(all.body["totalResults"], 2, "one user per race");
}

/// Eight requests at once for one group (the same `externalId`), as a
/// provider retrying in parallel sends them: one is created, seven are told
/// it exists. Then eight groups renamed at once to one `externalId`: one
/// takes it. The unique index decides, not a read before the write, which
/// a concurrent request's uncommitted group slips past (PostgreSQL
/// answered those 500).
async fn racing_writes_of_one_group_external_id_answer_uniqueness(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let scim = Scim::connect(&app, "Okta").await;
    let group = |n: usize, external_id: &str| json!({ "schemas": [GROUP_SCHEMA], "displayName": format!("Group {n}"), "externalId": external_id });
    let answers =
        join_all((0..8).map(|n| scim.post("/scim/v2/Groups", group(n, "ext-shared")))).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(created, 1, "one created");
    for refused in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(refused.status, 409, "{:#}", refused.body);
        assert_eq!(refused.body["scimType"], "uniqueness");
    }
    let all = scim.get("/scim/v2/Groups?count=0").await;
    assert_eq!(all.body["totalResults"], 1, "one group");

    let mut paths = Vec::new();
    for n in 0..8 {
        let made = scim
            .post("/scim/v2/Groups", group(10 + n, &format!("ext-{n}")))
            .await;
        assert_eq!(made.status, 201, "{:#}", made.body);
        paths.push(format!(
            "/scim/v2/Groups/{}",
            made.body["id"].as_str().expect("id")
        ));
    }
    let rename = json!({
        "schemas": [PATCH_OP],
        "Operations": [{ "op": "replace", "path": "externalId", "value": "ext-renamed" }]
    });
    let answers = join_all(paths.iter().map(|p| scim.patch(p, rename.clone()))).await;
    let renamed = answers
        .iter()
        .filter(|a| (200..300).contains(&a.status))
        .count();
    assert_eq!(renamed, 1, "one renamed");
    for refused in answers.iter().filter(|a| !(200..300).contains(&a.status)) {
        assert_eq!(refused.status, 409, "{:#}", refused.body);
        assert_eq!(refused.body["scimType"], "uniqueness");
    }
    let holders = scim
        .get("/scim/v2/Groups?filter=externalId%20eq%20%22ext-renamed%22")
        .await;
    assert_eq!(holders.body["totalResults"], 1, "{:#}", holders.body);
}

e2e_for_each_backend!(
    sync_costs_a_fixed_number_of_statements,
    racing_creates_of_one_user_answer_uniqueness,
    racing_writes_of_one_group_external_id_answer_uniqueness
);
