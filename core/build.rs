//! `embed_migrations!` reads `migrations/` at compile time, but cargo does
//! not know that: without this, a migration added to an already built tree
//! is silently missing from the binary until something else changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
