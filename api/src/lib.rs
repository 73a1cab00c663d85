//! Seatwise's face: the GraphQL API, the HTTP server around it, token auth,
//! and the `seatwise` command.
//!
//! - [`cli`]: the `seatwise` command and its subcommands.
//! - [`server`]: the axum [`Router`](axum::Router) built from an
//!   [`AppState`](server::AppState); later features add routes there.
//! - [`auth`]: JWT tokens, roles and permissions.
//! - [`graphql`]: the schema, its types, loaders and error mapping.
//! - [`metrics`]: Prometheus metrics.
//! - [`plugins`]: loading vendor adapter plugins and their settings;
//!   [`plugin_status`]: their health at a running server.
//! - [`demo`]: the demo tenant of `seatwise serve --demo`.
//! - [`console`]: the admin web console, embedded and served at `/`.
//! - [`graphiql`]: the GraphiQL page, pinned assets under a CSP.
//! - [`scim`]: the SCIM 2.0 protocol (filters, PATCH) for directory sync.
//! - [`seat_change_worker`]: carries seat-change operations forward through
//!   the vendor adapters.
//! - [`settings`]: the `SEATWISE_*` settings of `seatwise serve`, read once.
//! - [`vendor_effects`]: the one service that tells vendors who gained or
//!   lost a license and asks them for install redirects.
//! - [`vendor_inbound`]: `POST /vendors/{key}/webhook`, what vendors
//!   report back through their adapters.
//! - [`webhooks`]: outbound webhooks: which URLs may receive them, and the
//!   worker that delivers the outbox.
//! - [`websocket`]: the GraphQL websocket and its limits.

pub mod auth;
pub mod cli;
pub mod console;
pub mod demo;
pub mod graphiql;
pub mod graphql;
pub mod metrics;
pub mod plugin_status;
pub mod plugins;
pub mod scim;
pub mod seat_change_worker;
pub mod server;
pub mod settings;
pub mod usage_worker;
pub mod vendor_effects;
pub mod vendor_inbound;
pub mod webhooks;
pub mod websocket;
