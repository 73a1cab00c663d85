//! "My licenses" (`#/me`): what a token with a user and no admin role sees.

use crate::{Console, NEARLY_FULL_APP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_token_sees_only_its_own_licenses() {
    let Some(console) = Console::start().await else {
        return;
    };
    let browser = &console.browser;
    let adele = console.user_id("Adele Vance").await;
    let token = console
        .app
        .token_for(&console.app.tenant, &[], Some(&adele));
    browser.sign_in(&token).await;
    browser.wait_text("h1", "My licenses").await;
    let mine = browser
        .wait_text("#my-licenses", "Contoso Whiteboard")
        .await;
    assert!(mine.contains("Inherited from Engineering"), "{mine}");
    assert!(
        mine.contains(NEARLY_FULL_APP) && mine.contains("Direct"),
        "{mine}"
    );
    let nav = browser.text("#nav").await;
    assert!(nav.contains("My licenses"), "{nav}");
    assert!(
        !nav.lines().any(|l| l.trim() == "Licenses"),
        "no admin pages offered: {nav}"
    );
    browser.screenshot("my-licenses").await;

    browser
        .goto(&format!("{}/#/apps", console.app.base_url))
        .await;
    browser
        .wait_text("main", "Your role cannot view license management")
        .await;
}
