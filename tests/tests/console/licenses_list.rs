//! The licenses list (`#/apps`): seats and warnings per app, search, and
//! pages of 20.

use crate::{Console, NEARLY_FULL_APP, row_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shows_seats_and_warnings_and_searches_by_name() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    let northwind = browser
        .wait_text(&row_of(NEARLY_FULL_APP), "Nearly full")
        .await;
    assert!(
        northwind.contains("Northwind Traders"),
        "vendor shown: {northwind}"
    );
    assert!(
        northwind.contains("5\n4\n1") || northwind.contains("5 4 1"),
        "purchased/assigned/available: {northwind}"
    );
    let tailspin = browser
        .wait_text(&row_of("Tailspin Design Studio"), "OK")
        .await;
    assert!(tailspin.contains('3'), "{tailspin}");
    browser.screenshot("licenses-list").await;

    browser.type_into("#app-search", "north").await;
    browser.wait_text("#apps-range", "1–1 of 1").await;
    let table = browser.text("#apps-table").await;
    assert!(
        table.contains(NEARLY_FULL_APP) && !table.contains("Tailspin"),
        "{table}"
    );
    browser.clear("#app-search").await;
    browser.wait_text("#apps-range", "1–4 of 4").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_forward_and_back_through_22_apps() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    // The demo's 4 apps and 18 more make two pages of 20.
    let admin = console.app.admin_token();
    for n in 1..=18 {
        console
            .app
            .register_app(&admin, &format!("Zz Paging App {n:02}"), 10)
            .await;
    }
    browser
        .reload(&format!("{}/#/apps", console.app.base_url))
        .await;
    browser.wait_text("#apps-range", "1–20 of 22").await;
    browser.click("#apps-prev").await.ok(); // disabled on the first page: nothing happens
    browser.wait_text("#apps-range", "1–20 of 22").await;
    browser.click("#apps-next").await.expect("next page");
    browser.wait_text("#apps-range", "21–22 of 22").await;
    browser.wait_text("#apps-table", "Zz Paging App 18").await;
    browser.click("#apps-prev").await.expect("previous page");
    browser.wait_text("#apps-range", "1–20 of 22").await;
    browser.wait_text("#apps-table", NEARLY_FULL_APP).await;
}
