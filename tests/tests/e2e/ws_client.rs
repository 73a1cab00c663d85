//! A small `graphql-transport-ws` client for the websocket tests: open a
//! socket (initialised or not), subscribe, and read what the server sends.

use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use seatwise_e2e::TestApp;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The subscription the tests watch.
pub const WATCH_OPERATION: &str = "subscription($id: ID!) { seatChangeOperationUpdated(id: $id) { id status app { seats { purchased } } } }";

/// What the server sent next.
#[derive(Debug)]
pub enum Incoming {
    /// A protocol message (`next`, `error`, `complete`, …).
    Json(Value),
    /// A close frame: its code and reason.
    Closed(u16, String),
    /// The connection ended without a close frame.
    Ended,
}

/// One websocket to `/graphql/ws`.
pub struct GraphqlSocket {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl GraphqlSocket {
    /// Open a socket without sending `connection_init`.
    pub async fn open(app: &TestApp) -> Self {
        let url = app.url("/graphql/ws").replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("websocket request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("header value"),
        );
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(None)
            .max_frame_size(None);
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                .await
                .expect("websocket connects");
        Self { socket }
    }

    /// Open a socket and initialise it with `token`; waits for the ack.
    pub async fn connect(app: &TestApp, token: &str) -> Self {
        let mut socket = Self::open(app).await;
        socket
            .send(json!({
                "type": "connection_init",
                "payload": { "Authorization": format!("Bearer {token}") }
            }))
            .await;
        match socket.next(Duration::from_secs(10)).await {
            Incoming::Json(message) if message["type"] == "connection_ack" => socket,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    /// Send a protocol message.
    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    /// Send raw text.
    pub async fn send_text(&mut self, text: String) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send a websocket message");
    }

    /// Subscribe to `seatChangeOperationUpdated(id: operation)` as `id`.
    pub async fn watch(&mut self, id: &str, operation: &str) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": WATCH_OPERATION, "variables": { "id": operation } }
        }))
        .await;
    }

    /// The next protocol message or close (pings are skipped), waiting at
    /// most `within`.
    pub async fn next(&mut self, within: Duration) -> Incoming {
        let read = async {
            loop {
                match self.socket.next().await {
                    None | Some(Err(_)) => return Incoming::Ended,
                    Some(Ok(Message::Text(text))) => {
                        let value: Value = serde_json::from_str(&text).expect("JSON message");
                        if value["type"] == "ping" || value["type"] == "pong" {
                            continue;
                        }
                        return Incoming::Json(value);
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return match frame {
                            Some(frame) => {
                                Incoming::Closed(frame.code.into(), frame.reason.to_string())
                            }
                            None => Incoming::Closed(1005, String::new()),
                        };
                    }
                    Some(Ok(_)) => continue,
                }
            }
        };
        tokio::time::timeout(within, read)
            .await
            .unwrap_or_else(|_| panic!("nothing from the server within {within:?}"))
    }

    /// Keep reading (which answers the server's pings) for `duration`,
    /// asserting the server neither sends a message nor closes.
    pub async fn stay_idle(&mut self, duration: Duration) {
        let read = async {
            loop {
                match self.socket.next().await {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => return other,
                }
            }
        };
        if let Ok(other) = tokio::time::timeout(duration, read).await {
            panic!("expected an idle socket, got {other:?}");
        }
    }

    /// The next protocol message, which must be JSON.
    pub async fn next_json(&mut self, within: Duration) -> Value {
        match self.next(within).await {
            Incoming::Json(value) => value,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Read messages for subscription `id` until it sends a `next` whose
    /// operation has `status`; other subscriptions' messages are skipped.
    pub async fn wait_for_status(&mut self, id: &str, status: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next_json(left).await;
            if message["id"] != id {
                continue;
            }
            assert_eq!(message["type"], "next", "{message:#}");
            assert!(message["payload"].get("errors").is_none(), "{message:#}");
            let op = &message["payload"]["data"]["seatChangeOperationUpdated"];
            if op["status"] == status {
                return op.clone();
            }
        }
    }
}
