//! The license-details screen's compiled plan (`api/src/graphql/compiled`)
//! answers byte for byte what the GraphQL executor answers, in one SQL
//! statement, and leaves everything else to the executor.
//!
//! The executor is the oracle: a query text the server has not seen takes
//! the general path (and proves its plan), so the same request sent with
//! one more trailing space than any text before it is answered the general
//! way, and the same request on a proven text the compiled way.

use seatwise_e2e::{Backend, StartOptions, TestApp, e2e_for_each_backend};
use serde_json::{Value, json};

e2e_for_each_backend!(
    compiled_answers_are_the_executors_byte_for_byte,
    requests_the_plan_declines_are_answered_by_the_executor,
    the_screen_takes_one_statement
);

/// The benchmark's and the console's selection.
const SCREEN: &str = "query LicenseDetails($id: ID!, $first: Int!) { app(id: $id) { \
    id name description vendor { name website supportEmail } seats { purchased assigned available } \
    assignments(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { \
    id assignedAt assignedBy principal { __typename ... on User { id displayName email } \
    ... on Group { id displayName } } } } } } }";

/// Aliases, named fragments, `__typename` on every object, `nodes` beside
/// `edges`, a cursor and every page-info field.
const EVERYTHING: &str = r#"
query Everything($app: ID!, $size: Int = 2, $after: String) {
  screen: app(id: $app) {
    __typename
    ...Headline
    list: assignments(first: $size, after: $after) {
      __typename
      count: totalCount
      pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
      edges { __typename cursor node { ...Line } }
      nodes { id principal { ... on Group { name: displayName id } __typename } }
    }
  }
}
fragment Headline on App {
  key: id
  name
  description
  vendor { __typename supportEmail website name }
  seats { __typename available purchased assigned }
}
fragment Line on LicenseAssignment {
  __typename id assignedBy assignedAt
  principal { ... on User { email displayName __typename id } ... on Group { __typename id } }
}"#;

/// Literal arguments, no `totalCount`, an inline fragment without a type.
const LITERALS: &str =
    r#"{ app(id: "%APP%") { ... { name } assignments(first: 1) { edges { node { id } } } } }"#;

struct Screen {
    app: TestApp,
    token: String,
    /// The app's global id.
    app_id: String,
    /// An app with no assignment.
    empty_app: String,
    /// A user's global id.
    user: String,
}

/// An app assigned to users whose names need escaping, and to a group.
async fn seed(backend: Backend) -> Option<Screen> {
    let app = TestApp::start_with(backend, StartOptions::quiet()).await?;
    let token = app.token(&["GLOBAL_ADMIN"]);
    let app_id = app.register_app(&token, "Whiteboard \"Pro\" ✏", 10).await;
    let empty_app = app.register_app(&token, "Unused", 5).await;
    let ada = app
        .create_user(&token, "Ada \\ Lovelace <ada>", "ada@contoso.example")
        .await;
    let bob = app
        .create_user(&token, "Bob\tTab", "bob@contoso.example")
        .await;
    let zoe = app
        .create_user(&token, "Zoë Ünicode", "zoe@contoso.example")
        .await;
    let team = app
        .create_group(&token, "Team \"A\"", std::slice::from_ref(&bob))
        .await;
    for principals in [vec![ada.clone()], vec![team], vec![zoe, bob]] {
        app.assign(&token, &app_id, &principals).await;
    }
    Some(Screen {
        app,
        token,
        app_id,
        empty_app,
        user: ada,
    })
}

/// POST a query; the status, content type and body as sent.
async fn post(app: &TestApp, token: &str, query: &str, variables: &Value) -> (u16, String, String) {
    let response = app
        .http()
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("POST /graphql");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("body"))
}

impl Screen {
    /// Texts sent so far, for fresh ones (one more trailing space each).
    fn fresh(query: &str, n: &mut usize) -> String {
        *n += 1;
        format!("{query}{}", " ".repeat(*n))
    }

    /// Prove `query`'s plan, then check that `variables` get the same
    /// answer from the proven text as from a fresh one; the answer.
    async fn same_answer(&self, query: &str, variables: Value, n: &mut usize) -> String {
        self.same_answer_as(&self.token, query, variables, n).await
    }

    /// [`Screen::same_answer`], checking that the proven text was answered
    /// by its plan: in one statement.
    async fn compiled_answer(&self, query: &str, variables: Value, n: &mut usize) -> String {
        post(&self.app, &self.token, query, &variables).await;
        let before = self.app.settled_statements_total().await;
        let (_, _, compiled) = post(&self.app, &self.token, query, &variables).await;
        let statements = self.app.statements_total().await - before;
        assert_eq!(
            statements, 1,
            "answered by the plan: {variables} {compiled}"
        );
        let (_, _, general) =
            post(&self.app, &self.token, &Self::fresh(query, n), &variables).await;
        assert_eq!(compiled, general, "same body for {variables}");
        compiled
    }

    async fn same_answer_as(
        &self,
        token: &str,
        query: &str,
        variables: Value,
        n: &mut usize,
    ) -> String {
        // The first sending of a text proves its plan (when it has one and
        // the executor answers without an error).
        post(&self.app, &self.token, query, &variables).await;
        let (status, content_type, compiled) = post(&self.app, token, query, &variables).await;
        let (general_status, general_type, general) =
            post(&self.app, token, &Self::fresh(query, n), &variables).await;
        assert_eq!(compiled, general, "same body for {variables}");
        assert_eq!((status, &content_type), (general_status, &general_type));
        compiled
    }
}

async fn compiled_answers_are_the_executors_byte_for_byte(backend: Backend) {
    let Some(s) = seed(backend).await else {
        return;
    };
    let mut n = 0;
    let body = s
        .compiled_answer(SCREEN, json!({ "id": s.app_id, "first": 50 }), &mut n)
        .await;
    let answer: Value = serde_json::from_str(&body).expect("JSON");
    let edges = answer["data"]["app"]["assignments"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 4);
    assert_eq!(
        edges[0]["node"]["principal"]["displayName"],
        "Ada \\ Lovelace <ada>"
    );
    assert_eq!(edges[1]["node"]["principal"]["__typename"], "Group");
    assert_eq!(answer["data"]["app"]["seats"]["assigned"], 3);

    // Page by page, with the cursor, the default page size and null.
    let first = s
        .compiled_answer(EVERYTHING, json!({ "app": s.app_id }), &mut n)
        .await;
    let first: Value = serde_json::from_str(&first).expect("JSON");
    let page = &first["data"]["screen"]["list"];
    assert_eq!(page["count"], 4);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let end = page["pageInfo"]["endCursor"].clone();
    let second = s
        .compiled_answer(EVERYTHING, json!({ "app": s.app_id, "after": end }), &mut n)
        .await;
    let second: Value = serde_json::from_str(&second).expect("JSON");
    assert_eq!(
        second["data"]["screen"]["list"]["pageInfo"]["hasPreviousPage"],
        true
    );
    s.compiled_answer(
        EVERYTHING,
        json!({ "app": s.app_id, "size": 3, "after": null }),
        &mut n,
    )
    .await;
    s.compiled_answer(EVERYTHING, json!({ "app": s.app_id, "size": null }), &mut n)
        .await;

    let literals = LITERALS.replace("%APP%", &s.app_id);
    let body = s.compiled_answer(&literals, json!({}), &mut n).await;
    assert!(body.contains("Whiteboard \\\"Pro\\\" ✏"), "{body}");
}

async fn requests_the_plan_declines_are_answered_by_the_executor(backend: Backend) {
    let Some(s) = seed(backend).await else {
        return;
    };
    let mut n = 0;
    let cases = [
        // No row: an app without assignments, an id of another kind, an
        // id nobody has.
        json!({ "id": s.empty_app, "first": 10 }),
        json!({ "id": s.user, "first": 10 }),
        json!({ "id": "QXBwOjAxOTAwMDAwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMA", "first": 10 }),
        // Errors: a malformed id, an oversize or negative page, a variable
        // of the wrong type, a required variable missing.
        json!({ "id": "not an id", "first": 10 }),
        json!({ "id": s.app_id, "first": 101 }),
        json!({ "id": s.app_id, "first": -1 }),
        json!({ "id": s.app_id, "first": "ten" }),
        json!({ "id": s.app_id }),
        json!({ "id": 42, "first": 10 }),
    ];
    for variables in cases {
        s.same_answer(SCREEN, variables, &mut n).await;
    }
    let body = s
        .same_answer(
            EVERYTHING,
            json!({ "app": s.app_id, "after": "garbage" }),
            &mut n,
        )
        .await;
    assert!(body.contains("INVALID_INPUT"), "{body}");

    // A selection the complexity limit accepts for a small page and
    // refuses for a large one: proven small, it is not answered large.
    let aliases: String = (0..60).map(|i| format!(" a{i}: id")).collect();
    let priced = format!(
        "query($id: ID!, $first: Int!) {{ app(id: $id) {{ assignments(first: $first) \
         {{ edges {{ node {{{aliases} }} }} }} }} }}"
    );
    let small = s
        .compiled_answer(&priced, json!({ "id": s.app_id, "first": 1 }), &mut n)
        .await;
    assert!(small.contains("\"a59\""), "{small}");
    let large = s
        .same_answer(&priced, json!({ "id": s.app_id, "first": 100 }), &mut n)
        .await;
    assert!(large.contains("complex"), "{large}");

    // Another tenant's app is no app at all.
    let stranger = s.app.create_tenant("Stranger Ltd").await;
    let stranger_token = s.app.token_for(&stranger, &["GLOBAL_ADMIN"], None);
    let body = s
        .same_answer_as(
            &stranger_token,
            SCREEN,
            json!({ "id": s.app_id, "first": 10 }),
            &mut n,
        )
        .await;
    assert_eq!(body, r#"{"data":{"app":null}}"#);
    // A caller without a role, and no caller at all.
    let nobody = s.app.token(&[]);
    let body = s
        .same_answer_as(
            &nobody,
            SCREEN,
            json!({ "id": s.app_id, "first": 10 }),
            &mut n,
        )
        .await;
    assert!(body.contains("FORBIDDEN"), "{body}");
    let body = s
        .same_answer_as(
            "garbage",
            SCREEN,
            json!({ "id": s.app_id, "first": 10 }),
            &mut n,
        )
        .await;
    assert!(body.contains("UNAUTHENTICATED"), "{body}");
}

async fn the_screen_takes_one_statement(backend: Backend) {
    let Some(s) = seed(backend).await else {
        return;
    };
    let variables = json!({ "id": s.app_id, "first": 50 });
    // The first sending proves the plan, through the executor.
    let (status, _, _) = post(&s.app, &s.token, SCREEN, &variables).await;
    assert_eq!(status, 200);
    let before = s.app.settled_statements_total().await;
    let (status, _, body) = post(&s.app, &s.token, SCREEN, &variables).await;
    let after = s.app.statements_total().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(after - before, 1, "the license-details screen, compiled");
}
