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
