//! The checked-in `schema.graphql` is the SDL printed from the code, and the
//! schema documents itself.
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

/// Every type, field, argument, input field and enum value of our own has a
/// description, so GraphiQL's docs explain everything.
#[tokio::test]
async fn schema_describes_every_type_field_argument_and_enum_value() {
    let schema = async_graphql::Schema::build(
        seatwise_api::graphql::QueryRoot,
        seatwise_api::graphql::MutationRoot,
        seatwise_api::graphql::SubscriptionRoot,
    )
    .finish();
    let query = r#"{ __schema { types {
        name kind description
        fields(includeDeprecated: true) { name description args { name description } }
        inputFields { name description }
        enumValues(includeDeprecated: true) { name description }
    } } }"#;
    let response = schema.execute(query).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("JSON data");
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    let described = |v: &serde_json::Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if !described(ty) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = field["name"].as_str().unwrap_or_default();
            if !described(field) {
                missing.push(format!("{name}.{field_name}"));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !described(arg) {
                    missing.push(format!("{name}.{field_name}({})", arg["name"]));
                }
            }
        }
        for list in ["inputFields", "enumValues"] {
            for item in ty[list].as_array().into_iter().flatten() {
                if !described(item) {
                    missing.push(format!("{name}.{}", item["name"]));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented schema elements: {missing:#?}"
    );
}
