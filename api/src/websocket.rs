//! The GraphQL websocket at `/graphql/ws`, with the limits a public
//! endpoint needs.
//!
//! async-graphql's [`WebSocket`] speaks both protocols (`graphql-transport-ws`
//! and the older `graphql-ws`) and runs the subscriptions. It has no limits
//! of its own, so [`serve`] sits between the socket and it:
//!
//! - **`connection_init` timeout**: a socket not acknowledged within
//!   [`WebsocketConfig::init_timeout`] is closed with `4408 Connection
//!   initialisation timeout`, as the `graphql-transport-ws` protocol says.
//! - **Keepalive**: a websocket ping every
//!   [`WebsocketConfig::keepalive_interval`]; a client that has sent nothing
//!   (not even the pong) for two intervals is gone and its socket is closed
//!   (`1001`). async-graphql's own `keepalive_timeout` is not used: it
//!   closes any connection that sends no GraphQL message for a while, which
//!   is exactly what a healthy idle subscriber does.
//! - **Message size**: larger messages or frames than
//!   [`WebsocketConfig::max_message_bytes`] are refused by the websocket
//!   layer (see [`WebsocketConfig::limit`]) and the socket is closed with
//!   `1009`.
//! - **Subscriptions per connection**: past
//!   [`WebsocketConfig::max_subscriptions`] a `subscribe` is answered with an
//!   `error` message for its id carrying `TOO_MANY_SUBSCRIPTIONS`; the
//!   connection and its other subscriptions carry on. A `subscribe` that
//!   reuses a running id closes the socket with `4409 Subscriber for <id>
//!   already exists` (the protocol's rule; async-graphql would silently
//!   replace the first subscription).

use std::collections::HashSet;
use std::pin::pin;
use std::str::FromStr as _;
use std::time::Duration;

use async_graphql::http::{ClientMessage, WebSocket, WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket as Socket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use futures::{SinkExt as _, StreamExt as _};
use serde_json::json;

use crate::graphql::AppSchema;
use crate::graphql::errors::code;

/// Environment variable: milliseconds a new socket has to send
/// `connection_init`.
pub const INIT_TIMEOUT_ENV: &str = "SEATWISE_WS_INIT_TIMEOUT_MS";
/// Environment variable: milliseconds between keepalive pings.
pub const KEEPALIVE_ENV: &str = "SEATWISE_WS_KEEPALIVE_MS";
/// Environment variable: subscriptions one connection may run at once.
pub const MAX_SUBSCRIPTIONS_ENV: &str = "SEATWISE_WS_MAX_SUBSCRIPTIONS";

/// Largest websocket message (and frame) accepted, in bytes: GraphQL
/// documents are small, and this matches the HTTP body limit.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Subscriptions one connection may run at once, by default.
pub const DEFAULT_MAX_SUBSCRIPTIONS: usize = 20;

/// Close codes sent by [`serve`].
mod close {
    /// No `connection_init` in time (`graphql-transport-ws`).
    pub const INIT_TIMEOUT: u16 = 4408;
    /// A `subscribe` reused a running id (`graphql-transport-ws`).
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    /// The client stopped answering keepalive pings.
    pub const GOING_AWAY: u16 = 1001;
    /// A message over the size limit (RFC 6455).
    pub const TOO_BIG: u16 = 1009;
    /// A broken frame or stream (RFC 6455).
    pub const PROTOCOL_ERROR: u16 = 1002;
}

/// Limits of the websocket endpoint.
#[derive(Debug, Clone)]
pub struct WebsocketConfig {
    /// How long a new socket may take to be initialised
    /// (`SEATWISE_WS_INIT_TIMEOUT_MS`, default 10 s).
    pub init_timeout: Duration,
    /// Time between keepalive pings (`SEATWISE_WS_KEEPALIVE_MS`, default
    /// 30 s); a client silent for two intervals is disconnected.
    pub keepalive_interval: Duration,
    /// Subscriptions one connection may run at once
    /// (`SEATWISE_WS_MAX_SUBSCRIPTIONS`, default 20).
    pub max_subscriptions: usize,
    /// Largest message or frame, in bytes (256 KiB).
    pub max_message_bytes: usize,
}

impl Default for WebsocketConfig {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(30),
            max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

impl WebsocketConfig {
    /// Settings from `vars`; a malformed value is an error (the server
    /// refuses to start rather than run without a limit).
    pub fn from_vars(vars: &dyn crate::settings::Vars) -> Result<Self, String> {
        use crate::settings::{count, millis};
        let defaults = Self::default();
        Ok(Self {
            init_timeout: millis(vars, INIT_TIMEOUT_ENV, defaults.init_timeout)?,
            keepalive_interval: millis(vars, KEEPALIVE_ENV, defaults.keepalive_interval)?,
            max_subscriptions: count(vars, MAX_SUBSCRIPTIONS_ENV, defaults.max_subscriptions)?,
            ..defaults
        })
    }

    /// The upgrade with the message and frame size limits applied.
    pub fn limit(&self, upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
        upgrade
            .max_message_size(self.max_message_bytes)
            .max_frame_size(self.max_message_bytes)
    }
}

/// The protocol the client asked for in `Sec-WebSocket-Protocol` (the first
/// one we speak), if any.
pub fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
}

/// Serve one GraphQL websocket with `schema` until either side closes it.
/// `on_init` checks the `connection_init` payload and returns the
/// connection's data (or the error that closes it).
pub async fn serve<OnInit, InitFut>(
    socket: Socket,
    schema: AppSchema,
    protocol: WebSocketProtocols,
    config: &WebsocketConfig,
    on_init: OnInit,
) where
    OnInit: FnOnce(serde_json::Value) -> InitFut + Send + 'static,
    InitFut: Future<Output = async_graphql::Result<async_graphql::Data>> + Send + 'static,
{
    let (mut sink, mut incoming) = socket.split();
    // Client messages that passed the checks below go to async-graphql
    // through this channel. It drains every time the GraphQL side is polled
    // (each turn of the loop), so it holds at most a few messages.
    let (to_graphql, mut from_client) =
        tokio::sync::mpsc::unbounded_channel::<serde_json::Result<ClientMessage>>();
    let input = futures::stream::poll_fn(move |cx| from_client.poll_recv(cx));
    let mut graphql =
        pin!(WebSocket::from_message_stream(schema, input, protocol).on_connection_init(on_init));
    let mut subscriptions = Subscriptions::new(config.max_subscriptions);
    let init_deadline = tokio::time::sleep(config.init_timeout);
    let mut init_deadline = pin!(init_deadline);
    let mut initialised = false;
    let mut keepalive = tokio::time::interval_at(
        tokio::time::Instant::now() + config.keepalive_interval,
        config.keepalive_interval,
    );
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Whether the client sent anything since the previous ping.
    let mut heard = true;

    let closing: Option<(u16, String)> = loop {
        tokio::select! {
            frame = incoming.next() => {
                let message = match frame {
                    None => break None,
                    Some(Err(error)) => break Some(read_error(error)),
                    Some(Ok(message)) => message,
                };
                heard = true;
                let bytes = match message {
                    Message::Text(text) => text.as_bytes().to_vec(),
                    Message::Binary(bytes) => bytes.to_vec(),
                    // axum answers pings; a pong only proves the client lives.
                    Message::Ping(_) | Message::Pong(_) => continue,
                    // axum answers the close; the stream ends next.
                    Message::Close(_) => continue,
                };
                let message = ClientMessage::from_bytes(&bytes);
                if let Ok(ClientMessage::Start { id, .. }) = &message {
                    match subscriptions.admit(id) {
                        Admission::Admitted => {}
                        Admission::Duplicate => {
                            break Some((close::SUBSCRIBER_EXISTS, format!("Subscriber for {} already exists", bounded(id))));
                        }
                        Admission::Refused => {
                            let refusal = too_many(protocol, id, config.max_subscriptions);
                            if sink.send(Message::Text(refusal.into())).await.is_err() {
                                break None;
                            }
                            continue;
                        }
                    }
                }
                if to_graphql.send(message).is_err() {
                    break None;
                }
            }
            out = graphql.next() => match out {
                None => break None,
                Some(WsMessage::Close(code, reason)) => break Some((code, reason)),
                Some(WsMessage::Text(text)) => {
                    match server_message_kind(&text) {
                        Some(ServerKind::Ack) => initialised = true,
                        Some(ServerKind::Complete(id)) => subscriptions.ended(&id),
                        None => {}
                    }
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break None;
                    }
                }
            },
            () = &mut init_deadline, if !initialised => {
                break Some((close::INIT_TIMEOUT, "Connection initialisation timeout".into()));
            }
            _ = keepalive.tick() => {
                if !heard {
                    break Some((close::GOING_AWAY, "no answer to keepalive pings".into()));
                }
                heard = false;
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some((code, reason)) = closing {
        tracing::debug!(code, %reason, "closing a GraphQL websocket");
        let frame = CloseFrame {
            code,
            reason: bounded(&reason).into(),
        };
        // The client may be gone already; nothing more to do then.
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
}

/// The close code and reason for a failed read: the size limit, or a
/// broken stream.
fn read_error(error: axum::Error) -> (u16, String) {
    let error = error.into_inner();
    if let Some(tungstenite::Error::Capacity(why)) = error.downcast_ref::<tungstenite::Error>() {
        return (close::TOO_BIG, why.to_string());
    }
    (close::PROTOCOL_ERROR, error.to_string())
}

/// A close reason must fit a control frame (125 bytes, 2 for the code).
fn bounded(text: &str) -> &str {
    const MAX: usize = 120;
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The `error` message refusing subscription `id` over the limit.
fn too_many(protocol: WebSocketProtocols, id: &str, limit: usize) -> String {
    let error = json!({
        "message": format!(
            "too many subscriptions on this connection (at most {limit}); complete one or open another connection"
        ),
        "extensions": { "code": code::TOO_MANY_SUBSCRIPTIONS, "limit": limit },
    });
    // `graphql-transport-ws` sends a list of errors, `graphql-ws` one error.
    let payload = match protocol {
        WebSocketProtocols::GraphQLWS => json!([error]),
        WebSocketProtocols::SubscriptionsTransportWS => error,
    };
    json!({ "type": "error", "id": id, "payload": payload }).to_string()
}

enum ServerKind {
    Ack,
    Complete(String),
}

/// What async-graphql sent, as far as the limits care. Cheap for the
/// frequent `next` messages: only the leading tag is looked at (serde writes
/// the `type` tag first).
fn server_message_kind(text: &str) -> Option<ServerKind> {
    if text.starts_with(r#"{"type":"connection_ack""#) {
        return Some(ServerKind::Ack);
    }
    if text.starts_with(r#"{"type":"complete""#) {
        #[derive(serde::Deserialize)]
        struct Complete {
            id: String,
        }
        return serde_json::from_str::<Complete>(text)
            .ok()
            .map(|c| ServerKind::Complete(c.id));
    }
    None
}

/// The subscriptions running on one connection.
struct Subscriptions {
    running: HashSet<String>,
    limit: usize,
}

enum Admission {
    Admitted,
    Duplicate,
    Refused,
}

impl Subscriptions {
    fn new(limit: usize) -> Self {
        Self {
            running: HashSet::new(),
            limit,
        }
    }

    /// A `subscribe` for `id` arrived. A subscription counts until the
    /// server completes it (async-graphql answers a client's `complete`
    /// with its own).
    fn admit(&mut self, id: &str) -> Admission {
        if self.running.contains(id) {
            Admission::Duplicate
        } else if self.running.len() >= self.limit {
            Admission::Refused
        } else {
            self.running.insert(id.to_owned());
            Admission::Admitted
        }
    }

    fn ended(&mut self, id: &str) {
        self.running.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_runs_at_most_its_limit_of_subscriptions() {
        let mut subscriptions = Subscriptions::new(2);
        assert!(matches!(subscriptions.admit("a"), Admission::Admitted));
        assert!(matches!(subscriptions.admit("a"), Admission::Duplicate));
        assert!(matches!(subscriptions.admit("b"), Admission::Admitted));
        assert!(matches!(subscriptions.admit("c"), Admission::Refused));
        subscriptions.ended("a");
        assert!(matches!(subscriptions.admit("c"), Admission::Admitted));
    }

    #[test]
    fn server_messages_are_recognised_by_their_tag() {
        assert!(matches!(
            server_message_kind(r#"{"type":"complete","id":"7"}"#),
            Some(ServerKind::Complete(id)) if id == "7"
        ));
        assert!(matches!(
            server_message_kind(r#"{"type":"connection_ack"}"#),
            Some(ServerKind::Ack)
        ));
        assert!(server_message_kind(r#"{"type":"next","id":"1","payload":{}}"#).is_none());
    }

    #[test]
    fn close_reasons_fit_a_control_frame() {
        let long = "é".repeat(100);
        assert!(bounded(&long).len() <= 120);
        assert_eq!(bounded("short"), "short");
    }
}
