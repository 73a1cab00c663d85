//! The sign-in page: a token is pasted, checked by the server, kept in
//! `sessionStorage` for the tab, and removed on sign-out.

use serde_json::Value;

use crate::Console;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_bad_token_then_accepts_an_admin_token() {
    let Some(console) = Console::start().await else {
        return;
    };
    let browser = &console.browser;
    browser.wait_text("h1", "Sign in to Seatwise").await;
    browser.sign_in("this-is-not-a-token").await;
    browser.wait_text("#sign-in-error", "Sign-in failed").await;
    browser.wait_text("#sign-in-error", "not valid").await;

    browser.sign_in(&console.app.admin_token()).await;
    browser.wait_text("h1", "Licenses").await;
    let account = browser.wait_text(".account", "Global Admin").await;
    assert!(account.contains("Demo Organisation"), "{account}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_removes_the_token_from_the_tab() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    browser.click("#sign-out").await.expect("sign out");
    browser.wait_text("main", "You are signed out").await;
    let stored = browser
        .execute("return sessionStorage.getItem('seatwise.token')")
        .await;
    assert_eq!(stored, Value::Null, "the token is gone after signing out");

    // A fresh load of the console finds no token: the sign-in page again.
    browser
        .reload(&format!("{}/#/apps", console.app.base_url))
        .await;
    browser.wait_text("h1", "Sign in to Seatwise").await;
}
