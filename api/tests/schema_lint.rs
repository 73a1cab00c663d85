//! The schema lint: the GraphQL schema documents itself and follows the
//! Relay conventions clients rely on.
//!
//! It reads the schema the way a client does, by introspection, and fails
//! on every element without a description and every Relay violation:
//! - a `*Connection` has `edges: [XEdge!]!`, `pageInfo: PageInfo!`, and, when
//!   present, `nodes: [X!]!` and `totalCount: Int!`;
//! - a `*Edge` has `node: X!` and `cursor: String!`;
//! - `PageInfo` has the spec's four fields with their types;
//! - a field returning a connection takes `first: Int` and `after: String`,
//!   and `last: Int` with `before: String` either both or neither (the
//!   lists page forward only today, see `graphql/connection.rs`);
//! - a type implementing `Node` has `id: ID!`.
//!
//! Each problem is reported with the path of the offending element
//! (`Type.field(argument)`), all at once.

use serde_json::Value;

/// Enough of `__Type` to print any type reference of this schema.
const INTROSPECTION: &str = r#"{ __schema { types {
    name kind description
    interfaces { name }
    fields(includeDeprecated: true) {
        name description type { ...Ref }
        args { name description type { ...Ref } }
    }
    inputFields { name description type { ...Ref } }
    enumValues(includeDeprecated: true) { name description }
} } }
fragment Ref on __Type {
    kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}"#;

/// The built-in scalars, described by the GraphQL spec rather than by us.
const BUILTIN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

/// A type reference as SDL prints it: `[UserEdge!]!`, `String`, …
fn type_ref(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_ref(&ty["ofType"])),
        Some("LIST") => format!("[{}]", type_ref(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap_or("?").to_owned(),
    }
}

/// The named type under any list and non-null wrappers.
fn named_type(ty: &Value) -> &str {
    match ty["kind"].as_str() {
        Some("NON_NULL" | "LIST") => named_type(&ty["ofType"]),
        _ => ty["name"].as_str().unwrap_or("?"),
    }
}

fn name(value: &Value) -> &str {
    value["name"].as_str().unwrap_or("?")
}

fn items<'a>(value: &'a Value, list: &str) -> impl Iterator<Item = &'a Value> {
    value[list].as_array().into_iter().flatten()
}

fn field<'a>(ty: &'a Value, field_name: &str) -> Option<&'a Value> {
    items(ty, "fields").find(|f| name(f) == field_name)
}

/// The problems found, each naming the path of the offending element.
#[derive(Default)]
struct Lint(Vec<String>);

impl Lint {
    fn problem(&mut self, path: impl std::fmt::Display, what: impl std::fmt::Display) {
        self.0.push(format!("{path}: {what}"));
    }

    /// `ty.field` exists and has exactly the type `expected`.
    fn expect_field(&mut self, ty: &Value, field_name: &str, expected: &str) {
        let path = format!("{}.{field_name}", name(ty));
        match field(ty, field_name) {
            None => self.problem(path, format!("missing (expected `{expected}`)")),
            Some(f) if type_ref(&f["type"]) != expected => self.problem(
                path,
                format!("has type `{}`, expected `{expected}`", type_ref(&f["type"])),
            ),
            Some(_) => {}
        }
    }

    /// `field(argument)` exists with type `expected`.
    fn expect_argument(&mut self, path: &str, field: &Value, argument: &str, expected: &str) {
        match items(field, "args").find(|a| name(a) == argument) {
            None => self.problem(
                format!("{path}({argument})"),
                format!("connection field lacks `{argument}: {expected}`"),
            ),
            Some(a) if type_ref(&a["type"]) != expected => self.problem(
                format!("{path}({argument})"),
                format!("has type `{}`, expected `{expected}`", type_ref(&a["type"])),
            ),
            Some(_) => {}
        }
    }

    fn descriptions(&mut self, ty: &Value) {
        let described = |v: &Value| {
            v["description"]
                .as_str()
                .is_some_and(|d| !d.trim().is_empty())
        };
        let type_name = name(ty);
        if !described(ty) {
            self.problem(type_name, "type has no description");
        }
        for f in items(ty, "fields") {
            let path = format!("{type_name}.{}", name(f));
            if !described(f) {
                self.problem(&path, "field has no description");
            }
            for arg in items(f, "args") {
                if !described(arg) {
                    self.problem(
                        format!("{path}({})", name(arg)),
                        "argument has no description",
                    );
                }
            }
        }
        for input in items(ty, "inputFields") {
            if !described(input) {
                self.problem(
                    format!("{type_name}.{}", name(input)),
                    "input field has no description",
                );
            }
        }
        for value in items(ty, "enumValues") {
            if !described(value) {
                self.problem(
                    format!("{type_name}.{}", name(value)),
                    "enum value has no description",
                );
            }
        }
    }

    /// `XConnection { edges: [XEdge!]!, nodes: [X!]!, pageInfo, totalCount }`
    /// and `XEdge { node: X!, cursor: String! }`.
    fn connection(&mut self, types: &[Value], connection: &Value) {
        let connection_name = name(connection);
        let Some(edges) = field(connection, "edges") else {
            self.problem(format!("{connection_name}.edges"), "missing");
            return;
        };
        let edge_name = named_type(&edges["type"]);
        let expected_edge = connection_name.replace("Connection", "Edge");
        if edge_name != expected_edge {
            self.problem(
                format!("{connection_name}.edges"),
                format!("lists `{edge_name}`, expected `{expected_edge}`"),
            );
        }
        self.expect_field(connection, "edges", &format!("[{edge_name}!]!"));
        self.expect_field(connection, "pageInfo", "PageInfo!");
        if field(connection, "totalCount").is_some() {
            self.expect_field(connection, "totalCount", "Int!");
        }
        let Some(edge) = types.iter().find(|t| name(t) == edge_name) else {
            return;
        };
        let Some(node) = field(edge, "node") else {
            return;
        };
        let node_name = named_type(&node["type"]);
        if field(connection, "nodes").is_some() {
            self.expect_field(connection, "nodes", &format!("[{node_name}!]!"));
        }
    }

    /// Every edge type is some connection's edge.
    fn edge(&mut self, types: &[Value], edge: &Value) {
        let edge_name = name(edge);
        let connection_name = edge_name.replace("Edge", "Connection");
        if !types.iter().any(|t| name(t) == connection_name) {
            self.problem(edge_name, format!("edge type without `{connection_name}`"));
        }
        self.expect_field(edge, "cursor", "String!");
        match field(edge, "node") {
            None => self.problem(format!("{edge_name}.node"), "missing"),
            Some(node) => {
                let node_name = named_type(&node["type"]);
                self.expect_field(edge, "node", &format!("{node_name}!"));
            }
        }
    }

    fn page_info(&mut self, page_info: &Value) {
        self.expect_field(page_info, "hasNextPage", "Boolean!");
        self.expect_field(page_info, "hasPreviousPage", "Boolean!");
        self.expect_field(page_info, "startCursor", "String");
        self.expect_field(page_info, "endCursor", "String");
    }

    /// A field returning a connection pages with `first`/`after` (and with
    /// `last`/`before` as a pair, if at all).
    fn connection_arguments(&mut self, ty: &Value) {
        for f in items(ty, "fields") {
            if !named_type(&f["type"]).ends_with("Connection") {
                continue;
            }
            let path = format!("{}.{}", name(ty), name(f));
            self.expect_argument(&path, f, "first", "Int");
            self.expect_argument(&path, f, "after", "String");
            let has = |argument: &str| items(f, "args").any(|a| name(a) == argument);
            if has("last") || has("before") {
                self.expect_argument(&path, f, "last", "Int");
                self.expect_argument(&path, f, "before", "String");
            }
        }
    }

    fn node(&mut self, ty: &Value) {
        if items(ty, "interfaces").any(|i| name(i) == "Node") || name(ty) == "Node" {
            self.expect_field(ty, "id", "ID!");
        }
    }
}

/// The lint over an introspected schema.
fn lint(types: &[Value]) -> Vec<String> {
    let mut lint = Lint::default();
    let ours = types.iter().filter(|t| {
        let n = name(t);
        !n.starts_with("__") && !BUILTIN_SCALARS.contains(&n)
    });
    for ty in ours {
        lint.descriptions(ty);
        lint.connection_arguments(ty);
        lint.node(ty);
        let type_name = name(ty);
        if ty["kind"] == "OBJECT" && type_name.ends_with("Connection") {
            lint.connection(types, ty);
        }
        if ty["kind"] == "OBJECT" && type_name.ends_with("Edge") {
            lint.edge(types, ty);
        }
    }
    match types.iter().find(|t| name(t) == "PageInfo") {
        Some(page_info) => lint.page_info(page_info),
        None => lint.problem("PageInfo", "missing"),
    }
    lint.0
}

/// The types of an introspection answer.
fn types_of(response: async_graphql::Response) -> Vec<Value> {
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("JSON data");
    data["__schema"]["types"].as_array().expect("types").clone()
}

#[tokio::test]
async fn the_schema_is_documented_and_follows_the_relay_conventions() {
    let schema = async_graphql::Schema::build(
        seatwise_api::graphql::QueryRoot,
        seatwise_api::graphql::MutationRoot,
        seatwise_api::graphql::SubscriptionRoot,
    )
    .finish();
    let problems = lint(&types_of(schema.execute(INTROSPECTION).await));
    assert!(
        problems.is_empty(),
        "the schema lint found {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A schema that breaks each rule once, to show the lint catches it.
mod broken {
    use async_graphql::{ID, Object, SimpleObject};

    /// A thing.
    #[derive(SimpleObject)]
    pub struct Thing {
        /// Its id.
        pub id: ID,
        pub label: Option<String>,
    }

    /// Things, without `pageInfo` and with a nullable count.
    #[derive(SimpleObject)]
    pub struct ThingConnection {
        /// The things of this page.
        pub edges: Vec<ThingEdge>,
        /// How many there are.
        pub total_count: Option<i32>,
    }

    /// A thing with a nullable cursor.
    #[derive(SimpleObject)]
    pub struct ThingEdge {
        /// The thing.
        pub node: Thing,
        /// Its cursor.
        pub cursor: Option<String>,
    }

    /// Where a page ends, and nothing about where it starts.
    #[derive(SimpleObject)]
    pub struct PageInfo {
        /// More follow.
        pub has_next_page: bool,
        /// The last cursor.
        pub end_cursor: Option<String>,
    }

    pub struct Query;

    /// Reads.
    #[Object]
    impl Query {
        /// All things, paged by a text `first` and no `after`.
        async fn things(&self, first: Option<String>) -> ThingConnection {
            let _ = first;
            ThingConnection {
                edges: Vec::new(),
                total_count: None,
            }
        }

        /// Where reading stopped.
        async fn position(&self) -> PageInfo {
            PageInfo {
                has_next_page: false,
                end_cursor: None,
            }
        }
    }
}

/// The lint catches each kind of violation and names where it is.
#[tokio::test]
async fn the_lint_names_each_violation_by_path() {
    let schema = async_graphql::Schema::build(
        broken::Query,
        async_graphql::EmptyMutation,
        async_graphql::EmptySubscription,
    )
    .finish();
    let mut problems = lint(&types_of(schema.execute(INTROSPECTION).await));
    problems.sort();
    let expected = [
        "PageInfo.hasPreviousPage: missing (expected `Boolean!`)",
        "PageInfo.startCursor: missing (expected `String`)",
        "Query.things(after): connection field lacks `after: String`",
        "Query.things(first): argument has no description",
        "Query.things(first): has type `String`, expected `Int`",
        "Thing.label: field has no description",
        "ThingConnection.pageInfo: missing (expected `PageInfo!`)",
        "ThingConnection.totalCount: has type `Int`, expected `Int!`",
        "ThingEdge.cursor: has type `String`, expected `String!`",
    ];
    assert_eq!(problems, expected);
}
