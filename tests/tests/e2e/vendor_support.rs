//! Helpers shared by the vendor adapter tests: starting a server with
//! plugins, and a `graphql-transport-ws` client for subscriptions.

use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use seatwise_e2e::{Backend, Plugin, PluginDir, StartOptions, TestApp};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// Short worker and adapter timings so tests finish in seconds.
pub const FAST_ENV: [(&str, &str); 2] = [
    ("SEATWISE_WORKER_POLL_MS", "50"),
    ("SEATWISE_PLUGIN_TIMEOUT_MS", "500"),
];

/// A server on `backend` loading copies of `plugins`; `None` when
/// PostgreSQL is unavailable. Keep the directory alive as long as the app.
pub async fn start_with_plugins(
    backend: Backend,
    plugins: &[Plugin],
) -> Option<(TestApp, PluginDir)> {
    start_with_plugins_and_env(backend, plugins, &[]).await
}

/// Like [`start_with_plugins`], with more environment (which wins over
/// [`FAST_ENV`]).
pub async fn start_with_plugins_and_env(
    backend: Backend,
    plugins: &[Plugin],
    env: &[(&str, &str)],
) -> Option<(TestApp, PluginDir)> {
    let dir = PluginDir::with(plugins);
    let mut options = StartOptions::with_plugins(dir.path(), &FAST_ENV);
    options.env.extend(
        env.iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
    );
    let app = TestApp::start_with(backend, options).await?;
    Some((app, dir))
}

/// The value of `metric{adapter="key"}` at the server's `/metrics`.
pub async fn adapter_metric(app: &TestApp, metric: &str, key: &str) -> Option<f64> {
    app.metric(&format!("{metric}{{adapter=\"{key}\"}}")).await
}

/// Waits (at most 60 s) until `metric{adapter="key"}` equals `expected`.
pub async fn wait_for_metric(app: &TestApp, metric: &str, key: &str, expected: f64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let value = adapter_metric(app, metric, key).await;
        if value == Some(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{metric}{{adapter=\"{key}\"}} stayed {value:?}, expected {expected}\n{}",
            app.server_log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Open `/graphql/ws` with `graphql-transport-ws` and send `connection_init`
/// carrying `token`; the first message the server answers.
pub async fn ws_init(app: &TestApp, token: &str) -> Message {
    let url = app.url("/graphql/ws").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().expect("websocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    let init = json!({
        "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {token}") }
    });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("send connection_init");
    tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("an answer to connection_init")
        .expect("a message")
        .expect("a valid message")
}

/// Subscribe to `seatChangeOperationUpdated(id)` over websocket and collect
/// every event's operation until the server completes the stream.
pub async fn watch_seat_change(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let url = app.url("/graphql/ws").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().expect("websocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({
            "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {token}") }
        })))
        .await
        .expect("send connection_init");
    socket
        .send(send(json!({
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($id: ID!) { seatChangeOperationUpdated(id: $id) { id status message app { seats { purchased } } } }",
                "variables": { "id": id }
            }
        })))
        .await
        .expect("send subscribe");
    let mut events = Vec::new();
    let read_all = async {
        while let Some(message) = socket.next().await {
            let Message::Text(text) = message.expect("websocket message") else {
                continue;
            };
            let message: Value = serde_json::from_str(&text).expect("JSON message");
            match message["type"].as_str() {
                Some("connection_ack") | Some("ping") | Some("pong") => {}
                Some("next") => {
                    assert!(message["payload"].get("errors").is_none(), "{message:#}");
                    events.push(message["payload"]["data"]["seatChangeOperationUpdated"].clone());
                }
                Some("complete") => return,
                _ => panic!("unexpected message: {message:#}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read_all)
        .await
        .expect("the subscription completes");
    events
}

/// The actions of the app's audit trail, newest first.
pub async fn audit_actions(app: &TestApp, token: &str, app_id: &str) -> Vec<String> {
    let response = app
        .gql("query($app: ID!) { auditLog(appId: $app, first: 100) { nodes { action } } }")
        .var("app", app_id)
        .token(token)
        .send()
        .await;
    response.data()["auditLog"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}
