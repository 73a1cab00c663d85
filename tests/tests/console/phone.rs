//! The console at phone width: tables become cards, nothing scrolls
//! sideways.

use serde_json::json;

use crate::{Console, NEARLY_FULL_APP, row_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_licenses_list_fits_a_phone_width() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    browser.set_window_size(390, 844).await;
    browser
        .reload(&format!("{}/#/apps", console.app.base_url))
        .await;
    browser
        .wait_text(&row_of(NEARLY_FULL_APP), "Northwind Traders")
        .await;
    let overflow = browser
        .execute("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(
        overflow,
        json!(false),
        "no sideways scrolling at phone width"
    );
    browser.screenshot("licenses-phone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_groups_and_directory_sync_fit_a_phone_width() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    browser.set_window_size(390, 844).await;
    let overflow = "return document.documentElement.scrollWidth > window.innerWidth";
    for (hash, shows) in [
        ("#/users", "#users-table"),
        ("#/groups", "#groups-table"),
        ("#/settings/directory-sync", "#scim-base-url"),
    ] {
        browser.reload(&console.app.url(&format!("/{hash}"))).await;
        browser
            .wait_until(&format!("{hash} shows {shows}"), || async {
                browser.is_displayed(shows).await
            })
            .await;
        assert_eq!(
            browser.execute(overflow).await,
            json!(false),
            "no sideways scrolling on {hash} at phone width"
        );
    }
    // Every entry of the navigation is on screen: the bar wraps.
    for entry in ["Licenses", "Users", "Groups", "Directory sync"] {
        let inside = browser
            .execute(&format!(
                "const a = [...document.querySelectorAll('#nav a')].find(a => a.textContent === {entry:?});                  const r = a.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth"
            ))
            .await;
        assert_eq!(inside, json!(true), "{entry} is within the screen");
    }
    browser.click_link("Directory sync").await;
    browser.wait_text("h1", "Directory sync").await;

    browser.click_link("Users").await;
    browser.click_link(crate::BLOCKED_USER).await;
    browser.wait_text("#user-status", "Sign-in blocked").await;
    assert_eq!(
        browser.execute(overflow).await,
        json!(false),
        "no sideways scrolling on a user's page"
    );
    browser.screenshot("user-phone").await;
}
