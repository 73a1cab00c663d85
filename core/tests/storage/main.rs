//! The storage tests of the core, on both backends, as one test binary
//! (one link instead of one per file): a module per concern.

#[path = "../support/mod.rs"]
mod support;

mod audit;
mod bulk_import;
mod details_screen;
mod directory_groups;
mod directory_import;
mod lifecycle;
mod migrations;
mod outbox_upkeep;
mod paging;
mod search;
mod statement_budget;
mod subscriptions;
mod tenant_isolation;
mod usage;
mod validation;
