//! The GraphiQL page at `/graphiql` (and `GET /graphql` from a browser).
//!
//! Served from our own template rather than async-graphql's
//! `GraphiQLSource`, which loads unpinned development builds of React
//! without integrity checks. Here every script and style sheet is a pinned
//! production build with a Subresource Integrity hash, and the page runs
//! under a Content-Security-Policy that allows scripts only from the asset
//! base plus its own inline script (by a per-response nonce). A CDN or
//! mirror that serves a different file is therefore refused by the browser.
//!
//! The assets come from the public npm CDN by default; an operator without
//! internet access points `SEATWISE_GRAPHIQL_ASSET_BASE` at a mirror that
//! serves the same npm package files at the same paths
//! (`<base>/graphiql@3.9.0/graphiql.min.js`, …). The hashes stay, so the
//! mirror must serve byte-identical files.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;

/// The setting that names where the GraphiQL assets are loaded from.
pub const ASSET_BASE_ENV: &str = "SEATWISE_GRAPHIQL_ASSET_BASE";

/// The default asset base: jsDelivr's npm CDN, which serves the files of
/// every published npm package unchanged.
pub const DEFAULT_ASSET_BASE: &str = "https://cdn.jsdelivr.net/npm";

/// One pinned file: its path below the asset base (an npm package at an
/// exact version, then the file in its tarball) and its SRI hash.
struct PinnedAsset {
    path: &'static str,
    integrity: &'static str,
}

// The sha384 hashes are of the files inside the npm tarballs
// (`npm pack graphiql@3.9.0 react@18.3.1 react-dom@18.3.1`), computed with
// `openssl dgst -sha384 -binary FILE | openssl base64 -A`. To upgrade,
// change version and hash together. GraphiQL 3 is the last line with a
// browser (UMD) build that needs no bundler; React 18 the last with UMD.
const GRAPHIQL_JS: PinnedAsset = PinnedAsset {
    path: "graphiql@3.9.0/graphiql.min.js",
    integrity: "sha384-8NGfVj4CVlqHajlZj+bPJT4thxPMHMJYn7DWK2CvtopLd02E7qsPHazniBYvVjOO",
};
const GRAPHIQL_CSS: PinnedAsset = PinnedAsset {
    path: "graphiql@3.9.0/graphiql.min.css",
    integrity: "sha384-QMux00XgRtwRLSYIY3kw2rj1ovk5AuuliAchk+HSQbqdbGFnz9GYuqIlOqxhwCE2",
};
const REACT_JS: PinnedAsset = PinnedAsset {
    path: "react@18.3.1/umd/react.production.min.js",
    integrity: "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
};
const REACT_DOM_JS: PinnedAsset = PinnedAsset {
    path: "react-dom@18.3.1/umd/react-dom.production.min.js",
    integrity: "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
};

const TEMPLATE: &str = include_str!("graphiql.html");

/// Where the GraphiQL page loads its assets from: an absolute http(s) URL
/// without a trailing slash, checked at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetBase(String);

/// A `SEATWISE_GRAPHIQL_ASSET_BASE` that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "{env}={value:?}: {problem}; give an absolute http(s) URL such as {default}",
    env = ASSET_BASE_ENV,
    default = DEFAULT_ASSET_BASE
)]
pub struct InvalidAssetBase {
    value: String,
    problem: &'static str,
}

impl Default for AssetBase {
    fn default() -> Self {
        Self(DEFAULT_ASSET_BASE.to_owned())
    }
}

impl AssetBase {
    /// Parse a base URL. It ends up in an HTML attribute and a header, so
    /// only characters that need no escaping in either are accepted.
    pub fn parse(value: &str) -> Result<Self, InvalidAssetBase> {
        let invalid = |problem| InvalidAssetBase {
            value: value.to_owned(),
            problem,
        };
        let trimmed = value.trim().trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(|| invalid("must start with https:// or http://"))?;
        if rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .is_empty()
        {
            return Err(invalid("names no host"));
        }
        let safe = |c: char| c.is_ascii_alphanumeric() || "-._~:/@%+=".contains(c);
        if !trimmed.chars().all(safe) || trimmed.contains(['?', '#']) {
            return Err(invalid(
                "may hold only letters, digits and -._~:/@%+= (no query or fragment)",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The base from `SEATWISE_GRAPHIQL_ASSET_BASE`, else the default.
    pub fn from_vars(vars: &dyn crate::settings::Vars) -> Result<Self, InvalidAssetBase> {
        match vars.var(ASSET_BASE_ENV) {
            Some(value) if !value.trim().is_empty() => Self::parse(&value),
            _ => Ok(Self::default()),
        }
    }

    fn url(&self, asset: &PinnedAsset) -> String {
        format!("{}/{}", self.0, asset.path)
    }

    /// The base as a CSP source: with a trailing slash it allows every
    /// path below it and nothing else on that host.
    fn csp_source(&self) -> String {
        format!("{}/", self.0)
    }
}

/// The page, with a fresh nonce for its inline script, and its headers.
pub fn page(assets: &AssetBase) -> Response {
    let mut nonce = [0u8; 18];
    rand::rng().fill_bytes(&mut nonce);
    let nonce = STANDARD.encode(nonce);
    let Ok(policy) = HeaderValue::from_str(&policy(assets, &nonce)) else {
        // Unreachable: the base was checked to hold only header-safe
        // characters. Never serve the page without its policy.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = Html(render(assets, &nonce)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    // The nonce is per response: never reuse a cached copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn render(assets: &AssetBase, nonce: &str) -> String {
    TEMPLATE
        .replace("{{GRAPHIQL_CSS}}", &assets.url(&GRAPHIQL_CSS))
        .replace("{{GRAPHIQL_CSS_SRI}}", GRAPHIQL_CSS.integrity)
        .replace("{{REACT_JS}}", &assets.url(&REACT_JS))
        .replace("{{REACT_JS_SRI}}", REACT_JS.integrity)
        .replace("{{REACT_DOM_JS}}", &assets.url(&REACT_DOM_JS))
        .replace("{{REACT_DOM_JS_SRI}}", REACT_DOM_JS.integrity)
        .replace("{{GRAPHIQL_JS}}", &assets.url(&GRAPHIQL_JS))
        .replace("{{GRAPHIQL_JS_SRI}}", GRAPHIQL_JS.integrity)
        .replace("{{NONCE}}", nonce)
}

/// Scripts only from the asset base and the page's own inline script;
/// requests only to this server; nothing else.
fn policy(assets: &AssetBase, nonce: &str) -> String {
    let source = assets.csp_source();
    // Styles: GraphiQL and its editor add inline styles at run time, which
    // a style nonce cannot cover; styles cannot run code, scripts are what
    // the policy guards. Fonts are data: URLs inside graphiql.min.css.
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}' {source}; \
         style-src {source} 'unsafe-inline'; font-src data:; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asset_base_must_be_a_plain_http_url() {
        assert_eq!(
            AssetBase::parse("https://mirror.corp.example/npm/").unwrap(),
            AssetBase("https://mirror.corp.example/npm".into())
        );
        for bad in [
            "ftp://mirror",
            "https://",
            "https://x.example/\"><script>",
            "https://x.example/; script-src *",
            "https://x.example/a b",
            "https://x.example/?q=1",
        ] {
            let refused = AssetBase::parse(bad).unwrap_err().to_string();
            assert!(refused.contains(ASSET_BASE_ENV), "{refused}");
        }
    }

    #[test]
    fn every_placeholder_of_the_template_is_filled_in() {
        let html = render(&AssetBase::default(), "n0nce");
        assert!(!html.contains("{{"), "{html}");
        assert_eq!(html.matches("integrity=\"sha384-").count(), 4);
        assert!(html.contains("<script nonce=\"n0nce\">"));
    }
}
