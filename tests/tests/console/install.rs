//! "Install this product": the vendor's install URL from its adapter, or
//! a sentence saying why there is none.

use crate::{CONTOSO, Console, NEARLY_FULL_APP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contoso_sends_the_browser_to_its_signed_install_url() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    console.open_app(CONTOSO).await;
    browser.wait_text("#install", "Install this product").await;
    browser
        .click("#install")
        .await
        .expect("Install this product");
    // The browser leaves the console for the vendor's site (which this
    // machine cannot reach; the address is what matters).
    let vendor = "https://apps.contoso.example/install?";
    let url = browser
        .wait_for("the browser to open Contoso's install URL", || async {
            let url = browser.current_url().await;
            url.starts_with(vendor).then_some(url)
        })
        .await;
    assert!(url.contains("sig="), "a signed URL: {url}");

    let audit = console
        .app
        .gql("{ auditLog(first: 20) { nodes { action } } }")
        .token(&console.app.admin_token())
        .send()
        .await;
    let redirected = audit.data()["auditLog"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|event| event["action"] == "APP_INSTALL_REDIRECTED");
    assert!(redirected, "install redirect audited: {:#}", audit.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_adapter_explains_why_it_cannot_be_installed() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    console.open_app(NEARLY_FULL_APP).await;
    assert_eq!(
        browser.text("#install-unavailable").await,
        "Install this product: not available. Northwind Analytics has no vendor adapter, \
         so Seatwise cannot start its installation; install it from https://www.northwind.example"
    );
    assert!(!browser.exists("#install").await, "no Install button");
}
