//! The admin console: the static web pages in `api/console/`, embedded in
//! the binary and served at `/` (the page) and `/console/<version>/…` (its
//! scripts, styles and icon).
//!
//! Embedded with `include_bytes!` from an explicit table rather than a crate
//! such as `rust-embed`: the console is a dozen files, the table states each
//! one's content type, and no dependency or build script is needed. A unit
//! test fails when a file in `api/console/` is missing from the table.
//!
//! Caching: asset URLs carry a hash of all assets, so browsers may keep them
//! for a year (`immutable`) and still get new ones after an upgrade; the page
//! itself is `no-cache`, so it always names the current hash.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file of `api/console/`.
struct Asset {
    /// Path below `api/console/`, as used in URLs.
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every asset the page loads. Keep in step with `api/console/` (the unit
/// test `every_console_file_is_served` checks it).
const ASSETS: &[Asset] = &[
    asset!("styles.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/session.js", JS),
    asset!("js/queries.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/format.js", JS),
    asset!("js/alerts.js", JS),
    asset!("js/pages/sign-in.js", JS),
    asset!("js/pages/licenses.js", JS),
    asset!("js/pages/details.js", JS),
    asset!("js/pages/my-licenses.js", JS),
    asset!("js/pages/users.js", JS),
    asset!("js/pages/user.js", JS),
    asset!("js/pages/groups.js", JS),
    asset!("js/pages/group.js", JS),
    asset!("js/pages/directory-sync.js", JS),
    asset!("js/pages/webhooks.js", JS),
    asset!("js/components/combobox.js", JS),
    asset!("js/components/assign-panel.js", JS),
    asset!("js/components/unassign-dialog.js", JS),
    asset!("js/components/seat-change.js", JS),
    asset!("js/components/install.js", JS),
    asset!("js/components/show-more.js", JS),
    asset!("js/components/list-section.js", JS),
    asset!("js/components/directory-list.js", JS),
    asset!("js/components/copy-field.js", JS),
    asset!("js/components/confirm-dialog.js", JS),
    asset!("js/components/form-field.js", JS),
    asset!("js/components/alert-banner.js", JS),
    asset!("js/components/subscription-card.js", JS),
    asset!("js/components/subscription-panel.js", JS),
    asset!("js/components/usage-panel.js", JS),
];

const INDEX_TEMPLATE: &str = include_str!("../console/index.html");

/// Where the page finds its assets; replaced in `index.html`.
const ASSET_BASE_PLACEHOLDER: &str = "{{ASSET_BASE}}";

/// A hash of every asset (FNV-1a, 64 bits: stable across Rust releases,
/// unlike `DefaultHasher`), naming this build's asset URLs.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(INDEX_TEMPLATE.as_bytes());
    for asset in ASSETS {
        feed(asset.path.as_bytes());
        feed(asset.bytes);
    }
    format!("{hash:016x}")
});

static INDEX: LazyLock<String> = LazyLock::new(|| {
    INDEX_TEMPLATE.replace(ASSET_BASE_PLACEHOLDER, &format!("/console/{}", *VERSION))
});

/// The page may load only its own scripts, styles and images and talk only
/// to its own origin; it cannot be framed (clickjacking).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
const CACHE_REVALIDATE: &str = "no-cache";

/// Routes of the console: `GET /` and `GET /console/{version}/{*path}`.
/// Generic over the state so it merges into any router.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(index))
        .route("/console/{version}/{*path}", get(versioned_asset))
}

async fn index() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_REVALIDATE),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ],
        INDEX.as_str(),
    )
        .into_response()
}

async fn versioned_asset(Path((version, path)): Path<(String, String)>) -> Response {
    asset_response(&version, &path)
}

fn asset_response(version: &str, path: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return (StatusCode::NOT_FOUND, "no such console file").into_response();
    };
    // An old page asking for an old version gets today's file, but not
    // cached for long, so a stale copy never sticks under the old URL.
    let cache = if version == VERSION.as_str() {
        CACHE_FOREVER
    } else {
        CACHE_REVALIDATE
    };
    let headers: [(HeaderName, HeaderValue); 3] = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    (headers, asset.bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files of `api/console/` not served as assets: documentation, and the
    /// page itself (served at `/`).
    const NOT_SERVED: &[&str] = &["README.md", "index.html"];

    fn console_files(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read api/console") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                console_files(&path, base, out);
            } else {
                let relative = path.strip_prefix(base).expect("below api/console");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn every_console_file_is_served() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
        let mut files = Vec::new();
        console_files(&base, &base, &mut files);
        let missing: Vec<_> = files
            .iter()
            .filter(|f| {
                !NOT_SERVED.contains(&f.as_str()) && !ASSETS.iter().any(|a| a.path == f.as_str())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "add these to ASSETS in console.rs: {missing:?}"
        );
    }

    #[test]
    fn the_page_names_versioned_assets_that_exist() {
        assert!(!INDEX.contains(ASSET_BASE_PLACEHOLDER));
        let prefix = format!("/console/{}/", *VERSION);
        let mut referenced = 0;
        for piece in INDEX.split('"').filter(|p| p.starts_with("/console/")) {
            let path = piece.strip_prefix(&prefix).expect("versioned asset URL");
            assert!(
                ASSETS.iter().any(|a| a.path == path),
                "index.html names a missing asset {path}"
            );
            referenced += 1;
        }
        assert!(
            referenced >= 3,
            "index.html should load its script, styles and icon"
        );
    }

    #[test]
    fn assets_are_cached_only_under_the_current_version() {
        let current = asset_response(&VERSION, "js/main.js");
        assert_eq!(current.status(), StatusCode::OK);
        assert_eq!(current.headers()[header::CONTENT_TYPE], JS);
        assert_eq!(current.headers()[header::CACHE_CONTROL], CACHE_FOREVER);
        let stale = asset_response("0000000000000000", "js/main.js");
        assert_eq!(stale.headers()[header::CACHE_CONTROL], CACHE_REVALIDATE);
        assert_eq!(
            asset_response(&VERSION, "../Cargo.toml").status(),
            StatusCode::NOT_FOUND
        );
    }
}
