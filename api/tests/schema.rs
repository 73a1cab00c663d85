//! The checked-in `schema.graphql` is the SDL printed from the code. (That
//! the schema documents itself and follows the Relay conventions is checked
//! by `schema_lint.rs`.)
//!
//! After changing the schema on purpose, rewrite the file with
//! `UPDATE_SCHEMA=1 cargo test -p seatwise-api schema` (or
//! `seatwise schema > schema.graphql`).

use std::path::PathBuf;

fn checked_in_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql")
}

#[test]
fn schema_graphql_matches_the_code() {
    let sdl = seatwise_api::graphql::sdl();
    let path = checked_in_path();
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &sdl).expect("write schema.graphql");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == sdl,
        "schema.graphql differs from the schema in the code; if the change is intended, run \
         `UPDATE_SCHEMA=1 cargo test -p seatwise-api schema` and commit schema.graphql"
    );
}
