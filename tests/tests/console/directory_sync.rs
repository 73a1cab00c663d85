//! Settings → Directory sync (`#/settings/directory-sync`): the SCIM base
//! URL, and SCIM tokens created (the secret shown once), listed and
//! revoked. Only roles with MANAGE_DIRECTORY_SYNC are offered the page.

use reqwest::StatusCode;
use serde_json::json;

use crate::Console;

/// The answer of `GET /scim/v2/Users` with `secret` as the bearer token.
async fn scim_users_status(console: &Console, secret: &str) -> StatusCode {
    console
        .app
        .http()
        .get(console.app.url("/scim/v2/Users"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("GET /scim/v2/Users")
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_a_token_shows_its_secret_once_and_revokes_it() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    browser.click_link("Directory sync").await;
    browser.wait_text("h1", "Directory sync").await;
    assert_eq!(
        browser.attr("#scim-base-url", "value").await.as_deref(),
        Some(console.app.url("/scim/v2").as_str()),
        "the SCIM base URL to give the identity provider"
    );
    browser
        .wait_text("#scim-tokens-empty", "No active token")
        .await;

    browser.type_into("#scim-token-name", "Entra ID").await;
    browser
        .click("#scim-token-create")
        .await
        .expect("create a token");
    let shown = browser
        .wait_text("#scim-secret-box", "only time the secret is shown")
        .await;
    assert!(shown.contains("Token “Entra ID” created"), "{shown}");
    let secret = browser
        .execute("return document.getElementById('scim-secret').value")
        .await;
    let secret = secret.as_str().expect("the secret's text").to_owned();
    assert!(secret.len() >= 32, "a secret is shown: {secret:?}");
    assert_eq!(
        scim_users_status(&console, &secret).await,
        StatusCode::OK,
        "the secret shown authenticates SCIM requests"
    );
    let row = browser
        .wait_text("#scim-tokens tr[data-token='Entra ID']", "Active")
        .await;
    assert!(row.contains("Never"), "not used yet when listed: {row}");
    browser.screenshot("directory-sync").await;

    // Once: Done takes it off the page, and a fresh load never shows it.
    browser
        .click("#scim-secret-done")
        .await
        .expect("done with the secret");
    browser
        .wait_until("the secret leaves the page", || async {
            !browser.exists("#scim-secret").await
        })
        .await;
    browser
        .reload(&console.app.url("/#/settings/directory-sync"))
        .await;
    let row = browser
        .wait_text("#scim-tokens tr[data-token='Entra ID']", "Active")
        .await;
    assert!(!row.contains("Never"), "the SCIM call above used it: {row}");
    let anywhere = browser
        .execute(&format!(
            "const s = {secret:?}; return document.documentElement.outerHTML.includes(s) \
             || JSON.stringify(sessionStorage).includes(s) || JSON.stringify(localStorage).includes(s)"
        ))
        .await;
    assert_eq!(anywhere, json!(false), "the secret is never shown again");

    // Revoke, after a confirmation.
    browser
        .click("[aria-label='Revoke Entra ID']")
        .await
        .expect("revoke");
    let dialog = browser
        .wait_text("#revoke-dialog", "Revoke “Entra ID”?")
        .await;
    assert!(dialog.contains("can no longer sync"), "{dialog}");
    browser.screenshot("revoke-scim-token").await;
    browser
        .click("#revoke-dialog-confirm")
        .await
        .expect("confirm");
    browser
        .wait_text("#scim-token-outcome", "Token “Entra ID” revoked")
        .await;
    browser
        .wait_text("#scim-tokens-empty", "No active token")
        .await;
    assert!(
        !browser.exists("#scim-tokens").await,
        "no active token listed"
    );
    browser
        .wait_text("#revoked-tokens summary", "Revoked tokens (1)")
        .await;
    assert_eq!(
        scim_users_status(&console, &secret).await,
        StatusCode::UNAUTHORIZED,
        "a revoked token authenticates nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_license_admin_is_not_offered_directory_sync() {
    let Some(console) = Console::start().await else {
        return;
    };
    let browser = &console.browser;
    browser
        .sign_in(&console.app.token(&["LICENSE_ADMIN"]))
        .await;
    browser.wait_text("h1", "Licenses").await;
    let nav = browser.wait_text("#nav", "Groups").await;
    assert!(
        !nav.contains("Directory sync") && !nav.contains("Settings"),
        "{nav}"
    );
    assert!(!browser.exists("#nav-settings").await);

    browser
        .goto(&console.app.url("/#/settings/directory-sync"))
        .await;
    browser
        .wait_text("main", "Your role cannot change these settings")
        .await;
    assert!(!browser.exists("#scim-token-create").await);
}
