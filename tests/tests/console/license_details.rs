//! The license details page (`#/apps/<id>`): seats, holders, vendor, and
//! which actions a role is offered.

use crate::{Console, NEARLY_FULL_APP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_seats_holders_and_vendor() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    console.open_app(NEARLY_FULL_APP).await;
    assert_eq!(browser.text("#seat-available").await, "1");
    assert_eq!(browser.text("#seat-purchased").await, "5");
    let users = browser.wait_text("#users-table", "Adele Vance").await;
    assert!(
        users.contains("Direct") && users.contains("Active"),
        "{users}"
    );
    let vendor = browser.text(".vendor").await;
    assert!(
        vendor.contains("Northwind Traders") && vendor.contains("support@northwind.example"),
        "{vendor}"
    );
    browser.wait_text("main", "Nearly full: 1 seat left").await;
    browser.screenshot("license-details").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_sees_the_details_but_no_actions() {
    let Some(console) = Console::start().await else {
        return;
    };
    let browser = &console.browser;
    browser
        .sign_in(&console.app.token(&["GLOBAL_READER"]))
        .await;
    browser.wait_text("h1", "Licenses").await;
    console.open_app(NEARLY_FULL_APP).await;
    browser.wait_text("#users-table", "Adele Vance").await;
    let main = browser.text("main").await;
    assert!(
        !main.contains("Assign licenses")
            && !main.contains("Unassign licenses")
            && !main.contains("Add or remove licenses"),
        "{main}"
    );
    assert!(
        !browser.exists("[aria-label='License actions']").await,
        "no action bar: {main}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shows_more_holders_after_the_first_fifty() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    let admin = console.app.admin_token();
    let app = console.app.register_app(&admin, "Wide App", 60).await;
    let users = console.app.create_users(&admin, "Wide Holder", 55).await;
    let assigned = console.app.assign(&admin, &app, &users).await;
    assert_eq!(
        assigned["userErrors"],
        serde_json::json!([]),
        "{assigned:#}"
    );

    browser.reload(&console.app.url("/#/apps")).await;
    console.open_app("Wide App").await;
    let rows = "return document.querySelectorAll('#users-table tbody tr').length";
    browser.wait_text("#tab-users", "Users (55)").await;
    assert_eq!(browser.execute(rows).await, serde_json::json!(50));
    browser
        .click("#panel-users .more button")
        .await
        .expect("show more holders");
    browser
        .wait_text("#panel-users .more", "5 more rows shown")
        .await;
    assert_eq!(browser.execute(rows).await, serde_json::json!(55));
}
