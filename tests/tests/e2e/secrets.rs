//! Secrets and GraphiQL: a guessable or exposed signing secret stops the
//! server at start, and the GraphiQL page loads only pinned,
//! integrity-checked assets under a Content-Security-Policy.

use seatwise_e2e::{Backend, StartOptions, TestApp};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// An operator copies a 5-byte secret from a tutorial: the server refuses
/// to start and says how long a secret must be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_jwt_secret_is_refused_at_start() {
    let app = TestApp::start(Backend::Sqlite)
        .await
        .expect("SQLite starts");
    let refused = app.serve_refused(&env(&[("SEATWISE_JWT_SECRET", "12345")]));
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("SEATWISE_JWT_SECRET is 5 bytes long")
            && stderr.contains("at least 32 bytes"),
        "{stderr}"
    );
    // 32 bytes is enough: the running server (43 bytes) never noticed.
    let response = app
        .gql("{ viewer { roles } }")
        .token(&app.admin_token())
        .send()
        .await;
    assert_eq!(response.data()["viewer"]["roles"][0], "GLOBAL_ADMIN");
}

/// Someone makes the generated secret file world-readable: the next start
/// refuses it and names the fix; after `chmod 600` it starts with the same
/// secret, so tokens minted before still work.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_file_others_can_read_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let options = StartOptions {
        no_secret_env: true,
        ..StartOptions::default()
    };
    let mut app = TestApp::start_with(Backend::Sqlite, options)
        .await
        .expect("SQLite starts");
    let token = app.admin_token();
    let database = app
        .database_url()
        .strip_prefix("sqlite://")
        .expect("a SQLite URL")
        .to_owned();
    let secret_file = format!("{database}.jwt-secret");
    let before = std::fs::read(&secret_file).expect("the generated secret");

    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644))
        .expect("chmod 644");
    let refused = app.serve_refused(&[]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&secret_file)
            && stderr.contains("mode 0644")
            && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&secret_file).expect("still there"), before);

    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600))
        .expect("chmod 600");
    app.restart().await;
    let response = app.gql("{ viewer { roles } }").token(&token).send().await;
    assert_eq!(response.data()["viewer"]["roles"][0], "GLOBAL_ADMIN");
}

/// Every `<script src>` and `<link href>` of `html`, with its integrity.
fn external_assets(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = start + tag[start..].find('"')?;
        Some(tag[start..end].to_owned())
    };
    html.split('<')
        .filter(|tag| tag.starts_with("script src=") || tag.starts_with("link rel=\"stylesheet\""))
        .map(|tag| {
            let url = attribute(tag, "src")
                .or_else(|| attribute(tag, "href"))
                .unwrap_or_default();
            (url, attribute(tag, "integrity").unwrap_or_default())
        })
        .collect()
}

/// The GraphiQL page, its CSP and its assets.
async fn graphiql(app: &TestApp) -> (String, String) {
    let response = app
        .http()
        .get(app.url("/graphiql"))
        .send()
        .await
        .expect("GET /graphiql");
    assert_eq!(response.status().as_u16(), 200);
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a Content-Security-Policy")
        .to_owned();
    (response.text().await.expect("the page"), policy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_loads_pinned_assets_with_integrity_under_a_csp() {
    let app = TestApp::start(Backend::Sqlite)
        .await
        .expect("SQLite starts");
    let (html, policy) = graphiql(&app).await;
    let assets = external_assets(&html);
    let urls: Vec<&str> = assets.iter().map(|(url, _)| url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://cdn.jsdelivr.net/npm/graphiql@3.9.0/graphiql.min.css",
            "https://cdn.jsdelivr.net/npm/react@18.3.1/umd/react.production.min.js",
            "https://cdn.jsdelivr.net/npm/react-dom@18.3.1/umd/react-dom.production.min.js",
            "https://cdn.jsdelivr.net/npm/graphiql@3.9.0/graphiql.min.js",
        ]
    );
    for (url, integrity) in &assets {
        assert!(
            integrity.starts_with("sha384-") && integrity.len() == 71,
            "{url}: {integrity:?}"
        );
    }
    // Scripts from the CDN folder and the page's own script (by nonce).
    let nonce = html
        .split("<script nonce=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the inline script has a nonce");
    assert!(
        policy.contains(&format!(
            "script-src 'nonce-{nonce}' https://cdn.jsdelivr.net/npm/;"
        )),
        "{policy}"
    );
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    // The nonce is new for every response.
    let (again, _) = graphiql(&app).await;
    assert!(!again.contains(nonce));

    // A browser asking `GET /graphql` for HTML gets the same page.
    let response = app
        .http()
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET /graphql");
    assert!(response.headers().contains_key("content-security-policy"));
}

/// Without internet, an operator points GraphiQL at an internal mirror:
/// the page loads the same files (same integrity) from there, and the
/// policy allows that mirror instead of the CDN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_honours_an_internal_asset_mirror() {
    let mirror = "https://npm-mirror.corp.example/cdn";
    let options = StartOptions {
        env: env(&[("SEATWISE_GRAPHIQL_ASSET_BASE", &format!("{mirror}/"))]),
        ..StartOptions::default()
    };
    let app = TestApp::start_with(Backend::Sqlite, options)
        .await
        .expect("SQLite starts");
    let (html, policy) = graphiql(&app).await;
    let assets = external_assets(&html);
    assert_eq!(assets.len(), 4);
    assert!(
        assets
            .iter()
            .all(|(url, integrity)| url.starts_with(&format!("{mirror}/"))
                && integrity.starts_with("sha384-")),
        "{assets:#?}"
    );
    assert!(!html.contains("jsdelivr"));
    assert!(policy.contains(&format!("{mirror}/;")), "{policy}");
    assert!(!policy.contains("jsdelivr"), "{policy}");

    // A value that could break out of the page or the header is refused.
    let refused = app.serve_refused(&env(&[(
        "SEATWISE_GRAPHIQL_ASSET_BASE",
        "https://x.example/\"><script>alert(1)</script>",
    )]));
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("SEATWISE_GRAPHIQL_ASSET_BASE"), "{stderr}");
}
