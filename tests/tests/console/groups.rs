//! The Groups page (`#/groups`) and one group (`#/groups/<id>`): search,
//! the licenses a group carries, and its members, page by page.

use crate::{BLOCKED_USER, Console};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_and_opens_a_group_with_its_members_and_licenses() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    browser.click_link("Groups").await;
    browser.wait_text("h1", "Groups").await;
    browser
        .wait_text("#groups-count", "Showing 3 of 3 groups")
        .await;
    let engineering = browser
        .text("#groups-table tr[data-group='Engineering']")
        .await;
    assert!(
        engineering.contains('6') && engineering.contains("Manual"),
        "six members, made by hand: {engineering}"
    );
    browser.type_into("#groups-search", "sal").await;
    browser
        .wait_text("#groups-count", "Showing 1 of 1 group")
        .await;
    let table = browser.text("#groups-table").await;
    assert!(
        table.contains("Sales") && !table.contains("Engineering"),
        "{table}"
    );

    browser.click_link("Sales").await;
    browser.wait_text("h1", "Sales").await;
    let facts = browser.text("#group-facts").await;
    assert!(
        facts.contains("4 members") && facts.contains("Manual"),
        "{facts}"
    );
    let timesheets = browser
        .text("#group-licenses tr[data-app='Fabrikam Timesheets']")
        .await;
    assert!(
        timesheets.contains("Fabrikam, Inc.") && timesheets.contains("4 of 10"),
        "the app, its vendor and seats in use: {timesheets}"
    );
    assert!(
        browser
            .text("#group-licenses-heading")
            .await
            .contains("Licenses (1)"),
        "one app"
    );
    let members = browser.text("#group-members").await;
    for name in [BLOCKED_USER, "Johanna Lorenz", "Lee Gu", "Lidia Holloway"] {
        assert!(members.contains(name), "{name} is a member: {members}");
    }
    let blocked = browser
        .text(&format!("#group-members tr[data-user='{BLOCKED_USER}']"))
        .await;
    assert!(blocked.contains("Sign-in blocked"), "{blocked}");
    browser.screenshot("group-details").await;

    // A member opens as a user.
    browser.click_link("Lee Gu").await;
    browser.wait_text("h1", "Lee Gu").await;
    browser.wait_text("#user-groups", "Sales").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shows_a_large_group_s_members_page_by_page() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    let admin = console.app.admin_token();
    let users = console.app.create_users(&admin, "Crew Member", 25).await;
    console.app.create_group(&admin, "Big Crew", &users).await;

    browser.click_link("Groups").await;
    browser.click_link("Big Crew").await;
    browser.wait_text("h1", "Big Crew").await;
    browser
        .wait_text("#group-members-heading", "Members (25)")
        .await;
    let rows = "return document.querySelectorAll('#group-members tbody tr').length";
    assert_eq!(browser.execute(rows).await, serde_json::json!(20));
    browser
        .wait_text("#group-licenses-empty", "No app is assigned to Big Crew")
        .await;
    browser
        .click("#group-members-more")
        .await
        .expect("show more members");
    browser
        .wait_until("all 25 members", || async {
            browser.execute(rows).await == serde_json::json!(25)
        })
        .await;
    assert!(
        !browser.exists("#group-members-more").await,
        "nothing more to show"
    );
}
