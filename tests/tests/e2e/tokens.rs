//! Token faults are UNAUTHENTICATED, with a message that says which.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use seatwise_e2e::{Backend, StartOptions, TestApp, e2e_on_both_backends};
use serde_json::json;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn signed(secret: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign a token")
}

fn unsigned(claims: &serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(claims)
    )
}

async fn faulty_tokens_are_unauthenticated(app: TestApp) {
    let claims = |exp: u64| json!({ "sub": "mallory", "tid": app.tenant, "roles": ["GLOBAL_ADMIN"], "exp": exp });
    let cases = [
        ("no token", None, "authentication required"),
        (
            "not bearer",
            Some("Basic YWRtaW46YWRtaW4=".to_owned()),
            "Bearer",
        ),
        (
            "malformed",
            Some("Bearer not-a-token".to_owned()),
            "malformed",
        ),
        (
            "bad signature",
            Some(format!(
                "Bearer {}",
                signed("wrong secret", claims(now() + 600))
            )),
            "signature",
        ),
        (
            "alg none",
            Some(format!("Bearer {}", unsigned(&claims(now() + 600)))),
            "HS256",
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                signed(app.secret(), claims(now() - 3_600))
            )),
            "expired",
        ),
        (
            "tenant not a uuid",
            Some(format!(
                "Bearer {}",
                signed(
                    app.secret(),
                    json!({ "sub": "x", "tid": "acme", "exp": now() + 600 })
                )
            )),
            "malformed",
        ),
    ];
    for (case, header, says) in cases {
        let mut request = app
            .http()
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ apps { totalCount } }" }));
        if let Some(header) = header {
            request = request.header("Authorization", header);
        }
        let response =
            seatwise_e2e::GraphqlResponse::from_http(request.send().await.expect("POST")).await;
        assert_eq!(
            response.error_code(),
            "UNAUTHENTICATED",
            "{case}: {:#}",
            response.body
        );
        assert!(response.body["data"].is_null(), "{case}");
        let message = response.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(says), "{case}: {message}");
    }

    // A good token signed with the same secret works.
    let good = signed(app.secret(), claims(now() + 600));
    assert_eq!(
        app.gql("{ apps { totalCount } }")
            .token(&good)
            .send()
            .await
            .data()["apps"]["totalCount"],
        0
    );
}

async fn unauthenticated_error_body(app: TestApp) {
    let response = app.gql("{ apps { totalCount } }").send().await;
    insta::assert_json_snapshot!("unauthenticated", response.body);
}

e2e_on_both_backends!(
    faulty_tokens_are_unauthenticated,
    unauthenticated_error_body
);

/// Without `SEATWISE_JWT_SECRET`, `serve` and `token` agree on a generated
/// secret kept beside the SQLite database, readable by its owner only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_and_token_share_a_generated_secret() {
    let options = StartOptions {
        no_secret_env: true,
        ..StartOptions::default()
    };
    let app = TestApp::start_with(Backend::Sqlite, options)
        .await
        .expect("SQLite starts");
    let token = app.admin_token();
    let response = app.gql("{ viewer { roles } }").token(&token).send().await;
    assert_eq!(response.data()["viewer"]["roles"], json!(["GLOBAL_ADMIN"]));

    let database = app
        .database_url()
        .strip_prefix("sqlite://")
        .expect("a SQLite URL");
    let secret_file = format!("{database}.jwt-secret");
    let metadata =
        std::fs::metadata(&secret_file).expect("the secret file exists beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    }
    #[cfg(not(unix))]
    let _ = metadata;
}
