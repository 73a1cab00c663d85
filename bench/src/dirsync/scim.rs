//! An initial SCIM sync against the real server, as Entra ID or Okta do
//! it: one `POST /Users` per user, then one `POST /Groups` per group and
//! `PATCH /Groups/{id}` operations adding its members a hundred at a
//! time, with N concurrent clients. The baseline in the same run is
//! GraphQL `createUser` at the same concurrency. Afterwards, through the
//! core: every user is there, and every group has exactly the members
//! sent.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use seatwise_core::ids::{GroupId, TenantId};
use seatwise_core::model::Actor;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, Store};
use serde_json::{Value, json};
use tokio::process::Command;

use super::people::{GroupPlan, Person, groups, people};
use crate::load::{self, Http, LoadReport};
use crate::server::{self, ServerProcess};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What to sync.
pub struct ScimSettings {
    pub users: usize,
    pub groups: usize,
    pub members_per_patch: usize,
    pub clients: usize,
    pub baseline_users: usize,
}

/// One phase of requests, in figures.
pub struct Phase {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// SQL statements per request (the server's counter).
    pub sql_per_request: f64,
    pub error_examples: Vec<String>,
}

impl Phase {
    fn of(report: &LoadReport, statements: u64) -> Self {
        Self {
            requests: report.requests,
            errors: report.errors,
            elapsed: report.elapsed,
            p50_ms: report.quantile_ms(0.50),
            p99_ms: report.quantile_ms(0.99),
            sql_per_request: statements as f64 / report.requests.max(1) as f64,
            error_examples: report.error_examples.clone(),
        }
    }

    pub fn per_s(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The group half of the sync.
pub enum GroupPhases {
    /// Groups created, then filled.
    Measured {
        create: Phase,
        patch: Phase,
        memberships: usize,
    },
    /// The server has no `/scim/v2/Groups` yet (its answer).
    Pending(String),
}

/// One backend's SCIM figures.
pub struct ScimReport {
    pub clients: usize,
    pub users: Phase,
    pub groups: GroupPhases,
    pub baseline: Phase,
    /// Peak server RSS over the sync, MB.
    pub server_peak_rss_mb: Option<f64>,
    /// What the check after the run found.
    pub verified: String,
}

impl ScimReport {
    /// Users per second over the whole initial sync (users, groups and
    /// members); `None` while the group phase is pending.
    pub fn sync_users_per_s(&self) -> Option<f64> {
        match &self.groups {
            GroupPhases::Measured { create, patch, .. } => Some(
                self.users.requests as f64
                    / (self.users.elapsed + create.elapsed + patch.elapsed).as_secs_f64(),
            ),
            GroupPhases::Pending(_) => None,
        }
    }
}

/// A SCIM client for one tenant's token.
#[derive(Clone)]
struct Scim {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Scim {
    fn new(base: String, token: String) -> Self {
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("build the HTTP client");
        Self {
            client,
            base,
            token,
        }
    }

    /// Send `body`; `Ok` with the answer's JSON when the status is `expect`.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        expect: u16,
    ) -> Result<Value, (u16, String)> {
        let response = self
            .client
            .request(method, format!("{}/scim/v2{path}", self.base))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| (0, format!("send: {e}")))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| (status, format!("read body: {e}")))?;
        if status != expect {
            return Err((status, format!("HTTP {status}: {text}")));
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| (status, format!("bad JSON: {e}")))
    }
}

fn user_body(p: &Person) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "externalId": p.external_id,
        "userName": p.email,
        "name": {
            "givenName": p.given_name,
            "familyName": p.family_name,
            "formatted": p.display_name,
        },
        "displayName": p.display_name,
        "emails": [{ "value": p.email, "type": "work", "primary": true }],
        "active": true,
    })
}

fn group_body(g: &GroupPlan) -> Value {
    json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": g.display_name,
        "externalId": g.external_id,
    })
}

fn add_members_body(ids: &[String]) -> Value {
    json!({
        "schemas": [PATCH_SCHEMA],
        "Operations": [{
            "op": "add",
            "path": "members",
            "value": ids.iter().map(|id| json!({ "value": id })).collect::<Vec<_>>(),
        }],
    })
}

/// Run the sync on a fresh database of `backend`.
pub async fn run(
    backend: Backend,
    server_bin: &Path,
    settings: &ScimSettings,
) -> Result<ScimReport, String> {
    let db = match backend {
        Backend::Sqlite => TestDatabase::sqlite().await,
        Backend::Postgres => TestDatabase::postgres()
            .await
            .ok_or("PostgreSQL is not reachable")?,
    };
    let store = db.store().await;
    let tenant = store
        .create_tenant(&Actor::system(), "Directory Sync Ltd")
        .await
        .map_err(|e| e.to_string())?
        .id;
    let url = db.url().as_str().to_owned();
    let scim_token = scim_token(server_bin, &url, tenant).await?;
    let secret = server::random_secret();
    let address = server::free_address();
    let command = server::seatwise_serve(server_bin, &url, &secret, address);
    let log = std::env::temp_dir().join(format!("seatwise-bench-dirsync-{backend}-server.log"));
    let (server, _) = ServerProcess::start(command, address, log).await?;
    let jwt = server::mint_token(server_bin, &url, &secret, tenant.0).await?;
    let http = Http::new(server.base_url(), Some(jwt));
    let scim = Scim::new(server.base_url(), scim_token);

    eprintln!(
        "== {backend}: baseline, {} GraphQL createUser with {} clients",
        settings.baseline_users, settings.clients
    );
    let baseline = create_users_graphql(&http, settings).await?;

    server.reset_peak_rss();
    let directory = Arc::new(people(settings.users, "northwind.example"));
    eprintln!(
        "== {backend}: SCIM POST /Users x {} with {} clients",
        directory.len(),
        settings.clients
    );
    let (users, user_ids) = post_users(&scim, &http, directory.clone(), settings.clients).await?;
    eprintln!(
        "   {:.1?} ({:.0}/s, {:.1} SQL/request)",
        users.elapsed,
        users.per_s(),
        users.sql_per_request
    );

    let plans = groups(settings.groups, settings.users);
    let group_phases = sync_groups(&scim, &http, &plans, &user_ids, settings).await?;
    let server_peak_rss_mb = server.peak_rss_mb();
    server.stop().await;

    let verified = verify(&store, tenant, settings, &plans, &group_phases).await?;
    eprintln!("   check: {verified}");
    Ok(ScimReport {
        clients: settings.clients,
        users,
        groups: group_phases.0,
        baseline,
        server_peak_rss_mb,
        verified,
    })
}

/// A SCIM token for `tenant` through the real CLI (it prints the secret).
async fn scim_token(bin: &Path, database: &str, tenant: TenantId) -> Result<String, String> {
    let output = Command::new(bin)
        .args([
            "scim-token",
            "create",
            "--tenant",
            &tenant.0.to_string(),
            "--name",
            "bench",
        ])
        .env("SEATWISE_DATABASE_URL", database)
        .env("SEATWISE_LOG", "warn")
        .output()
        .await
        .map_err(|e| format!("run seatwise scim-token create: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "seatwise scim-token create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let secret = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if secret.is_empty() {
        return Err("seatwise scim-token create printed nothing".into());
    }
    Ok(secret)
}

async fn create_users_graphql(http: &Http, settings: &ScimSettings) -> Result<Phase, String> {
    let people = Arc::new(people(settings.baseline_users, "graphql.example"));
    let before = server::statements_total(http).await?;
    let report = {
        let http = http.clone();
        load::work_queue(settings.clients, people.len(), move |i| {
            let http = http.clone();
            let people = people.clone();
            async move {
                let p = &people[i];
                load::timed(http.graphql(
                    "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { message } } }",
                    json!({ "input": { "displayName": p.display_name, "email": p.email } }),
                ))
                .await
                .0
            }
        })
        .await
    };
    let after = server::statements_total(http).await?;
    let phase = Phase::of(&report, after - before);
    fail_on_errors("GraphQL createUser", &phase)?;
    Ok(phase)
}

fn fail_on_errors(what: &str, phase: &Phase) -> Result<(), String> {
    if phase.errors > 0 {
        return Err(format!(
            "{what}: {} of {} requests failed, e.g. {:?}",
            phase.errors, phase.requests, phase.error_examples
        ));
    }
    Ok(())
}

/// POST every user; their SCIM ids, in the directory's order.
async fn post_users(
    scim: &Scim,
    http: &Http,
    directory: Arc<Vec<Person>>,
    clients: usize,
) -> Result<(Phase, Vec<String>), String> {
    let ids: Arc<std::sync::Mutex<HashMap<usize, String>>> = Arc::default();
    let before = server::statements_total(http).await?;
    let report = {
        let scim = scim.clone();
        let ids = ids.clone();
        let count = directory.len();
        load::work_queue(clients, count, move |i| {
            let scim = scim.clone();
            let directory = directory.clone();
            let ids = ids.clone();
            async move {
                let (sample, created) = load::timed(async {
                    scim.send(
                        reqwest::Method::POST,
                        "/Users",
                        &user_body(&directory[i]),
                        201,
                    )
                    .await
                    .map_err(|(_, e)| e)
                })
                .await;
                if let Some(id) = created.as_ref().and_then(|c| c["id"].as_str())
                    && let Ok(mut ids) = ids.lock()
                {
                    ids.insert(i, id.to_owned());
                }
                sample
            }
        })
        .await
    };
    let after = server::statements_total(http).await?;
    let phase = Phase::of(&report, after - before);
    fail_on_errors("SCIM POST /Users", &phase)?;
    let mut ids = ids.lock().map_err(|_| "a client panicked")?.clone();
    let ordered: Option<Vec<String>> = (0..ids.len()).map(|i| ids.remove(&i)).collect();
    ordered
        .filter(|o| o.len() as u64 == phase.requests)
        .map(|o| (phase, o))
        .ok_or_else(|| "a created user's answer had no id".into())
}

/// Create the groups, then add their members; the phases and each group's
/// SCIM id (in plan order).
async fn sync_groups(
    scim: &Scim,
    http: &Http,
    plans: &[GroupPlan],
    user_ids: &[String],
    settings: &ScimSettings,
) -> Result<(GroupPhases, Vec<String>), String> {
    // One probe first: until SCIM /Groups is served, say so rather than
    // count thousands of 404s as errors.
    let Some(first) = plans.first() else {
        return Ok((
            GroupPhases::Pending("no groups asked for".into()),
            Vec::new(),
        ));
    };
    let started = Instant::now();
    let before = server::statements_total(http).await?;
    let probe = scim
        .send(reqwest::Method::POST, "/Groups", &group_body(first), 201)
        .await;
    let first_id = match probe {
        Ok(created) => created["id"]
            .as_str()
            .ok_or("POST /Groups answered without an id")?
            .to_owned(),
        Err((404, text)) | Err((405, text)) => {
            eprintln!("   SCIM /Groups is not served by this build: group phase pending");
            return Ok((GroupPhases::Pending(text), Vec::new()));
        }
        Err((_, text)) => return Err(format!("SCIM POST /Groups: {text}")),
    };
    let probe_took = started.elapsed();

    eprintln!(
        "== SCIM POST /Groups x {} with {} clients",
        plans.len(),
        settings.clients
    );
    let ids: Arc<std::sync::Mutex<HashMap<usize, String>>> = Arc::default();
    if let Ok(mut ids) = ids.lock() {
        ids.insert(0, first_id);
    }
    let bodies: Arc<Vec<Value>> = Arc::new(plans.iter().skip(1).map(group_body).collect());
    let mut create = {
        let scim = scim.clone();
        let ids = ids.clone();
        let count = bodies.len();
        load::work_queue(settings.clients, count, move |i| {
            let scim = scim.clone();
            let bodies = bodies.clone();
            let ids = ids.clone();
            async move {
                let (sample, created) = load::timed(async {
                    scim.send(reqwest::Method::POST, "/Groups", &bodies[i], 201)
                        .await
                        .map_err(|(_, e)| e)
                })
                .await;
                if let Some(id) = created.as_ref().and_then(|c| c["id"].as_str())
                    && let Ok(mut ids) = ids.lock()
                {
                    ids.insert(i + 1, id.to_owned());
                }
                sample
            }
        })
        .await
    };
    create.requests += 1;
    create.elapsed += probe_took;
    let after = server::statements_total(http).await?;
    let create = Phase::of(&create, after - before);
    fail_on_errors("SCIM POST /Groups", &create)?;
    let mut ids = ids.lock().map_err(|_| "a client panicked")?.clone();
    let group_ids: Vec<String> = (0..plans.len())
        .map(|i| ids.remove(&i))
        .collect::<Option<_>>()
        .ok_or("a created group's answer had no id")?;

    // Member PATCHes, round-robin over the groups (the first hundred of
    // every group, then the second, …) so concurrent clients work on
    // different groups, as a provider's workers would.
    let mut patches: Vec<(usize, Vec<String>)> = Vec::new();
    let chunks: Vec<Vec<&[usize]>> = plans
        .iter()
        .map(|g| {
            g.members
                .chunks(settings.members_per_patch.max(1))
                .collect()
        })
        .collect();
    let rounds = chunks.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..rounds {
        for (g, group_chunks) in chunks.iter().enumerate() {
            if let Some(chunk) = group_chunks.get(round) {
                patches.push((g, chunk.iter().map(|&u| user_ids[u].clone()).collect()));
            }
        }
    }
    let memberships: usize = plans.iter().map(|g| g.members.len()).sum();
    eprintln!(
        "== SCIM PATCH /Groups x {} ({memberships} members, {} per PATCH)",
        patches.len(),
        settings.members_per_patch
    );
    let patches = Arc::new(patches);
    let paths: Arc<Vec<String>> =
        Arc::new(group_ids.iter().map(|id| format!("/Groups/{id}")).collect());
    let before = server::statements_total(http).await?;
    let patch = {
        let scim = scim.clone();
        let count = patches.len();
        load::work_queue(settings.clients, count, move |i| {
            let scim = scim.clone();
            let patches = patches.clone();
            let paths = paths.clone();
            async move {
                let (group, members) = &patches[i];
                let body = add_members_body(members);
                let (sample, _) = load::timed(async {
                    // 200 with the group, or 204 (RFC 7644 §3.5.2 allows both).
                    match scim
                        .send(reqwest::Method::PATCH, &paths[*group], &body, 200)
                        .await
                    {
                        Ok(v) => Ok(v),
                        Err((204, _)) => Ok(Value::Null),
                        Err((_, e)) => Err(e),
                    }
                })
                .await;
                sample
            }
        })
        .await
    };
    let after = server::statements_total(http).await?;
    let patch = Phase::of(&patch, after - before);
    fail_on_errors("SCIM PATCH /Groups", &patch)?;
    eprintln!(
        "   groups {:.1?}, members {:.1?} ({:.0} PATCH/s, {:.1} SQL/PATCH)",
        create.elapsed,
        patch.elapsed,
        patch.per_s(),
        patch.sql_per_request
    );
    Ok((
        GroupPhases::Measured {
            create,
            patch,
            memberships,
        },
        group_ids,
    ))
}

/// Through the core: the tenant has the baseline's and the sync's users,
/// and every synced group exactly the members sent.
async fn verify(
    store: &Store,
    tenant: TenantId,
    settings: &ScimSettings,
    plans: &[GroupPlan],
    groups: &(GroupPhases, Vec<String>),
) -> Result<String, String> {
    let users = store.user_count(tenant).await.map_err(|e| e.to_string())?;
    let expected = (settings.users + settings.baseline_users) as i64;
    if users != expected {
        return Err(format!(
            "the tenant has {users} users, expected {expected} ({} by SCIM + {} by GraphQL)",
            settings.users, settings.baseline_users
        ));
    }
    let mut text = format!(
        "{users} users ({} by SCIM, {} by GraphQL)",
        settings.users, settings.baseline_users
    );
    if let (GroupPhases::Measured { memberships, .. }, ids) = groups {
        let ids: Vec<GroupId> = ids
            .iter()
            .map(|id| id.parse().map(GroupId))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("a SCIM group id is not a UUID: {e}"))?;
        let counts = store
            .member_counts(tenant, &ids)
            .await
            .map_err(|e| e.to_string())?;
        let wrong: Vec<String> = ids
            .iter()
            .zip(plans)
            .filter(|(id, plan)| counts.get(id).copied().unwrap_or(0) != plan.members.len() as i64)
            .map(|(id, plan)| {
                format!(
                    "{} has {} members, {} sent",
                    plan.display_name,
                    counts.get(id).copied().unwrap_or(0),
                    plan.members.len()
                )
            })
            .collect();
        if !wrong.is_empty() {
            return Err(format!(
                "{} of {} groups differ: {}",
                wrong.len(),
                ids.len(),
                wrong.join("; ")
            ));
        }
        text.push_str(&format!(
            "; {} groups, each with exactly the members sent ({memberships} in all)",
            ids.len()
        ));
    }
    Ok(text)
}
