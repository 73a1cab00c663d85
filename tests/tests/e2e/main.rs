//! End-to-end tests: each starts the real `seatwise` server (on SQLite and
//! on PostgreSQL) and speaks HTTP to it. See `seatwise_e2e` for the harness.
//!
//! Grouped like the code: `types/<type>.rs` tests what a query of one
//! GraphQL type (`api/src/graphql/types/`) answers, `mutation/<name>.rs`
//! one mutation (`api/src/graphql/mutation/`). Cross-cutting concerns keep
//! their own files; `model_product_flow.rs` is the product's main scenario.
//! Whole answers and error bodies are insta JSON snapshots in the
//! `snapshots/` folder beside each module, redacted by
//! `GraphqlResponse::redacted`; the same snapshot serves both backends.

// By GraphQL type and by mutation.
mod model_product_flow;
mod mutation;
mod types;

// Cross-cutting.
mod compiled_screen;
mod isolation;
mod limits;
mod ops;
mod paging;
mod requests;
mod roles;
mod scim;
mod secrets;
mod subscription_limits;
mod tokens;
mod webhooks;

// The CLI's CSV import and export.
mod csv;

// Vendors, their adapters and the seat-change worker.
mod plugin_faults;
mod seat_change_worker;
mod usage_worker;
mod vendor_isolation;
mod vendor_support;
mod vendor_webhooks;
mod vendors;
mod ws_client;
