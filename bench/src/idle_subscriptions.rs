//! `seatwise-bench idle-subscriptions`: what idle subscribers cost the
//! database.
//!
//! For each backend: a fresh database with 50 apps, each with one
//! seat-change operation held `PENDING` (leased for two hours by a
//! "bench-holder", as if a vendor call hung elsewhere), so nothing changes
//! while we measure. The real server runs with its default settings (its
//! seat-change worker polls every second). We measure SQL statements per
//! second (`seatwise_db_statements_total` from `/metrics`) first with no
//! subscription open, then with N subscriptions (20 per connection, the
//! default cap) watching those operations, each over the same duration in
//! the same run. The goal is that the second figure equals the first.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use seatwise_core::model::{Actor, NewApp, Vendor};
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, Store};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::load::Http;
use crate::server::{self, ServerProcess};

/// Operations watched (one per app); subscriptions are spread over them.
const OPERATIONS: usize = 50;
/// Subscriptions per websocket (the server's default cap).
const PER_CONNECTION: usize = 20;

/// One backend's figures.
pub struct IdleReport {
    pub backend: Backend,
    pub subscriptions: usize,
    pub duration: Duration,
    /// Statements (and per second) with no subscription open.
    pub idle: (u64, f64),
    /// Statements (and per second) with `subscriptions` open and idle.
    pub subscribed: (u64, f64),
    /// Time to open every subscription and receive its first state.
    pub open_took: Duration,
}

/// Run the measurement on `backend`; `None` when PostgreSQL is unreachable.
pub async fn run(
    backend: Backend,
    server_bin: &Path,
    subscriptions: usize,
    duration: Duration,
) -> Option<Result<IdleReport, String>> {
    let db = match backend {
        Backend::Sqlite => TestDatabase::sqlite().await,
        Backend::Postgres => TestDatabase::postgres().await?,
    };
    Some(measure(&db, backend, server_bin, subscriptions, duration).await)
}

async fn measure(
    db: &TestDatabase,
    backend: Backend,
    server_bin: &Path,
    subscriptions: usize,
    duration: Duration,
) -> Result<IdleReport, String> {
    let store = db.store().await;
    let tenant = seed_held_operations(&store).await?;
    let url = db.url().as_str().to_owned();
    let secret = server::random_secret();
    let address = server::free_address();
    let command = server::seatwise_serve(server_bin, &url, &secret, address);
    let log = std::env::temp_dir().join(format!("seatwise-bench-idle-{backend}-server.log"));
    let (server, _) = ServerProcess::start(command, address, log).await?;
    let token = server::mint_token(server_bin, &url, &secret, tenant).await?;
    let http = Http::new(server.base_url(), Some(token.clone()));
    let operations = discover_operations(&http).await?;

    eprintln!("== {backend}: {duration:?} with no subscription");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = statements_per_second(&http, duration).await?;

    eprintln!("== {backend}: opening {subscriptions} subscriptions");
    let started = Instant::now();
    let mut readers = Vec::new();
    let mut opened = 0;
    for (n, chunk) in (0..subscriptions)
        .collect::<Vec<_>>()
        .chunks(PER_CONNECTION)
        .enumerate()
    {
        let operation = &operations[n % operations.len()];
        readers.push(open_connection(&server, &token, operation, chunk.len()).await?);
        opened += chunk.len();
    }
    let open_took = started.elapsed();
    eprintln!("   {opened} subscriptions open in {open_took:.1?}");
    // Let start-up work settle (on PostgreSQL, the listener's first re-read).
    tokio::time::sleep(Duration::from_secs(2)).await;

    eprintln!("== {backend}: {duration:?} with {opened} idle subscriptions");
    let subscribed = statements_per_second(&http, duration).await?;
    let still_open = readers.iter().filter(|r| !r.is_finished()).count();
    if still_open != readers.len() {
        return Err(format!(
            "{} of {} connections closed during the measurement",
            readers.len() - still_open,
            readers.len()
        ));
    }
    for reader in readers {
        reader.abort();
    }
    server.stop().await;
    Ok(IdleReport {
        backend,
        subscriptions: opened,
        duration,
        idle,
        subscribed,
        open_took,
    })
}

/// 50 apps, each with a `PENDING` seat change leased to "bench-holder" for
/// two hours; the tenant.
async fn seed_held_operations(store: &Store) -> Result<uuid::Uuid, String> {
    let actor = Actor::system();
    let tenant = store
        .create_tenant(&actor, "Idle Subscribers Ltd")
        .await
        .map_err(|e| e.to_string())?;
    for n in 0..OPERATIONS {
        let app = store
            .register_app(
                tenant.id,
                &actor,
                NewApp {
                    name: format!("Held App {n:02}"),
                    description: String::new(),
                    vendor: Vendor {
                        name: "Slow Vendor".into(),
                        website: "https://slow.example".into(),
                        support_email: "help@slow.example".into(),
                    },
                    seats: 5,
                    adapter_key: None,
                    adapter_settings: Value::Null,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        store
            .request_seat_change(tenant.id, &actor, app.id, 6, &format!("idle-{n}"))
            .await
            .map_err(|e| e.to_string())?;
    }
    let held = store
        .claim_due_seat_changes("bench-holder", Duration::from_secs(7_200), OPERATIONS)
        .await
        .map_err(|e| e.to_string())?;
    if held.len() != OPERATIONS {
        return Err(format!(
            "held {} operations, expected {OPERATIONS}",
            held.len()
        ));
    }
    Ok(tenant.id.0)
}

/// The operations' global ids, through the API.
async fn discover_operations(http: &Http) -> Result<Vec<String>, String> {
    let data = http
        .graphql(
            "{ apps(first: 100) { nodes { seatChangeOperations(first: 1) { nodes { id status } } } } }",
            json!({}),
        )
        .await?;
    let ids: Vec<String> = data["apps"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|app| app["seatChangeOperations"]["nodes"][0]["id"].as_str())
        .map(str::to_owned)
        .collect();
    if ids.len() != OPERATIONS {
        return Err(format!(
            "found {} operations, expected {OPERATIONS}",
            ids.len()
        ));
    }
    Ok(ids)
}

/// The server's statements over `duration`, and per second.
async fn statements_per_second(http: &Http, duration: Duration) -> Result<(u64, f64), String> {
    let before = server::statements_total(http).await?;
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    let after = server::statements_total(http).await?;
    let count = after - before;
    Ok((count, count as f64 / started.elapsed().as_secs_f64()))
}

/// One websocket with `count` subscriptions to `operation`, each having
/// received its first state; a task keeps reading it (answering pings)
/// and ends if the server closes it.
async fn open_connection(
    server: &ServerProcess,
    token: &str,
    operation: &str,
    count: usize,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let url = format!("ws://{}/graphql/ws", server.address);
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws"
            .parse()
            .map_err(|_| "header value".to_owned())?,
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("websocket: {e}"))?;
    let mut send = async |value: Value| {
        socket
            .send(Message::Text(value.to_string().into()))
            .await
            .map_err(|e| format!("send: {e}"))
    };
    send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await?;
    for n in 0..count {
        send(json!({
            "id": n.to_string(),
            "type": "subscribe",
            "payload": {
                "query": "subscription($id: ID!) { seatChangeOperationUpdated(id: $id) { id status } }",
                "variables": { "id": operation },
            }
        }))
        .await?;
    }
    let mut first_states = 0;
    while first_states < count {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .map_err(|_| "no first state within 30 s".to_owned())?
            .ok_or("the server closed the websocket")?
            .map_err(|e| format!("websocket: {e}"))?;
        if let Message::Text(text) = message {
            let message: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            match message["type"].as_str() {
                Some("connection_ack") => {}
                Some("next") if message["payload"].get("errors").is_none() => first_states += 1,
                _ => return Err(format!("unexpected message: {message}")),
            }
        }
    }
    Ok(tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(_) = message {
                break;
            }
        }
    }))
}

/// The report as Markdown.
pub fn render(reports: &[IdleReport]) -> String {
    let mut out = String::from(
        "| backend | subscriptions | measured | statements/s (total), 0 subscriptions | statements/s (total), idle subscriptions | difference | per subscriber per s | the former 500 ms poll (computed) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in reports {
        let difference = r.subscribed.1 - r.idle.1;
        // No "-0.00": a difference under the print precision is none.
        let difference = if difference.abs() < 0.005 {
            0.0
        } else {
            difference
        };
        out.push_str(&format!(
            "| {} | {} | {:.0} s | {:.2} ({}) | {:.2} ({}) | {:+.2} | {:.4} | +{} /s |\n",
            r.backend,
            r.subscriptions,
            r.duration.as_secs_f64(),
            r.idle.1,
            r.idle.0,
            r.subscribed.1,
            r.subscribed.0,
            difference,
            difference / r.subscriptions.max(1) as f64,
            r.subscriptions * 2,
        ));
    }
    out.push_str(
        "\nThe last column is what the former design (each subscription re-reading its row every 500 ms) would add: 2 statements per subscriber per second. The server's seat-change worker claims due operations once a second (3 statements: BEGIN, the claim, COMMIT), which is the whole of both figures; a window that holds one tick more or less than the other differs by 3 statements.\n",
    );
    out.push_str(&format!(
        "\nOpening the subscriptions (each receives its first state): {}.\n",
        reports
            .iter()
            .map(|r| format!("{} {:.1?}", r.backend, r.open_took))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}
