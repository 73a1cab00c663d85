//! GraphQL over HTTP for tests: a call being built ([`GraphqlCall`]) and
//! its answer ([`GraphqlResponse`]), with helpers for data, error codes and
//! snapshots.

use serde_json::{Value, json};

use crate::TestApp;

/// A GraphQL request being built.
pub struct GraphqlCall<'a> {
    app: &'a TestApp,
    query: String,
    variables: serde_json::Map<String, Value>,
    token: Option<String>,
}

impl<'a> GraphqlCall<'a> {
    /// A call of `query` to `app`, without variables or token.
    pub(crate) fn new(app: &'a TestApp, query: &str) -> Self {
        Self {
            app,
            query: query.to_owned(),
            variables: serde_json::Map::new(),
            token: None,
        }
    }
}

impl GraphqlCall<'_> {
    /// Set a variable.
    pub fn var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.variables.insert(name.to_owned(), value.into());
        self
    }

    /// Send `Authorization: Bearer <token>`.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// POST it.
    pub async fn send(self) -> GraphqlResponse {
        let body = json!({ "query": self.query, "variables": Value::Object(self.variables) });
        let mut request = self.app.http().post(self.app.url("/graphql")).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        GraphqlResponse::from_http(request.send().await.expect("POST /graphql")).await
    }
}

/// A GraphQL response.
#[derive(Debug, Clone)]
pub struct GraphqlResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl GraphqlResponse {
    /// Read an HTTP response as GraphQL.
    pub async fn from_http(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON (status {status}): {text}"));
        Self { status, body }
    }

    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        assert_eq!(self.status, 200, "{:#}", self.body);
        &self.body["data"]
    }

    /// The `extensions.code` of every top-level error.
    pub fn error_codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_owned()
            })
            .collect()
    }

    /// The code of the only top-level error.
    pub fn error_code(&self) -> String {
        let codes = self.error_codes();
        assert_eq!(codes.len(), 1, "expected one error: {:#}", self.body);
        codes[0].clone()
    }
}

impl GraphqlResponse {
    /// The whole body with ids, cursors, tokens and times replaced by
    /// stable placeholders (see [`crate::snapshot::redact`]), for an insta
    /// JSON snapshot.
    pub fn redacted(&self) -> Value {
        crate::snapshot::redact(&self.body)
    }
}
