//! End-to-end tests: each starts the real `seatwise` server (on SQLite and
//! on PostgreSQL) and speaks HTTP to it. See `seatwise_e2e` for the harness.

mod bad_input;
mod flow;
mod isolation;
mod limits;
mod ops;
mod paging;
mod plugin_faults;
mod roles;
mod seat_change_worker;
mod secrets;
mod subscription_limits;
mod tokens;
mod vendor_isolation;
mod vendor_support;
mod vendors;
mod ws_client;
