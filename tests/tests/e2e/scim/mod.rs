//! The SCIM 2.0 service provider at `/scim/v2`, spoken to as identity
//! providers do: discovery, Okta's and Entra ID's request shapes, seat
//! rules through SCIM, versions, errors and tenant isolation.

mod budget;
mod deprovisioning;
mod groups;
mod protocol;
mod users;

use reqwest::Method;
use seatwise_e2e::TestApp;
use serde_json::{Value, json};

/// A SCIM client of one tenant.
pub struct Scim<'a> {
    app: &'a TestApp,
    secret: String,
}

/// A SCIM answer.
pub struct ScimAnswer {
    pub status: u16,
    pub content_type: String,
    pub etag: Option<String>,
    pub body: Value,
}

impl<'a> Scim<'a> {
    /// A token named `name` for `app`'s tenant, created through GraphQL.
    pub async fn connect(app: &'a TestApp, name: &str) -> Scim<'a> {
        Self::connect_as(app, &app.admin_token(), name).await
    }

    /// A token created by the holder of `admin_token`.
    pub async fn connect_as(app: &'a TestApp, admin_token: &str, name: &str) -> Scim<'a> {
        let created = app
            .gql("mutation($input: CreateScimTokenInput!) { createScimToken(input: $input) { secret } }")
            .var("input", json!({ "name": name }))
            .token(admin_token)
            .send()
            .await;
        let secret = created.data()["createScimToken"]["secret"]
            .as_str()
            .expect("a secret")
            .to_owned();
        Scim { app, secret }
    }

    /// Send a request with this token.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> ScimAnswer {
        send(self.app, Some(&self.secret), method, path, body, headers).await
    }

    /// GET.
    pub async fn get(&self, path: &str) -> ScimAnswer {
        self.send(Method::GET, path, None, &[]).await
    }

    /// POST a body.
    pub async fn post(&self, path: &str, body: Value) -> ScimAnswer {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    /// PATCH a body.
    pub async fn patch(&self, path: &str, body: Value) -> ScimAnswer {
        self.send(Method::PATCH, path, Some(body), &[]).await
    }
}

/// A request with an optional bearer secret.
pub async fn send(
    app: &TestApp,
    secret: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> ScimAnswer {
    let mut request = app.http().request(method, app.url(path));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("SCIM request");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let etag = header("etag");
    let text = response.text().await.expect("SCIM body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    ScimAnswer {
        status,
        content_type,
        etag,
        body,
    }
}

/// The user's GraphQL id, found by email.
pub(super) async fn graphql_id(app: &TestApp, email: &str) -> String {
    let found = app
        .gql("query($q: String) { users(first: 5, search: $q) { nodes { id email } } }")
        .var("q", email)
        .token(&app.admin_token())
        .send()
        .await;
    found.data()["users"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["email"] == email))
        .and_then(|n| n["id"].as_str())
        .unwrap_or_else(|| panic!("no user {email}"))
        .to_owned()
}
