//! Fault tests: the real `seatwise` server under crashes, dropped clients,
//! a database that goes away, and shutdown with requests in flight. Each
//! checks that seats stay consistent and that the next request is served.

mod crash;
mod database_outage;
mod dropped_clients;
mod shutdown;
mod support;
mod webhooks;
