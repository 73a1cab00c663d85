//! Tests of the mutations, one module per mutation of
//! `api/src/graphql/mutation/mod.rs` (snake_case): what each changes, the
//! user errors it answers with, and that a refused call changes nothing.
//! The vendor mutations (`vendor.rs`: `requestSeatChange`, `installApp`)
//! are tested in `vendors.rs` and `vendor_*.rs`.

mod add_group_members;
mod assign_licenses;
mod create_group;
mod create_user;
mod delete_group;
mod import_usage;
mod reclaim_idle_seats;
mod register_app;
mod remove_app;
mod scim_tokens;
mod set_subscription;
mod update_app;
mod update_group;
mod update_user;
