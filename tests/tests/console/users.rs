//! The Users page (`#/users`) and one user (`#/users/<id>`): the list with
//! sign-in and source, "Load more", search by name or email, and a user's
//! account, licenses (with how they hold each one) and groups; a user the
//! identity provider deactivated is shown apart from a blocked one.

use serde_json::{Value, json};

use crate::{BLOCKED_USER, Console, SCIM_USER};

/// The row of the users list (or a group's members) for `name`.
fn user_row(name: &str) -> String {
    format!("#users-table tr[data-user='{name}']")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_loads_more_searches_and_opens_a_scim_user() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    // The demo's 13 users and 10 more make two pages of 20; the new ones
    // sort last, on the second page.
    console
        .app
        .create_users(&console.app.admin_token(), "Zz Paging User", 10)
        .await;
    browser.click_link("Users").await;
    browser.wait_text("h1", "Users").await;
    browser
        .wait_text("#users-count", "Showing 20 of 23 users")
        .await;
    let blocked = browser.text(&user_row(BLOCKED_USER)).await;
    assert!(blocked.contains("Sign-in blocked"), "{blocked}");
    let scim = browser.text(&user_row(SCIM_USER)).await;
    assert!(
        scim.contains("SCIM") && scim.contains("Engineering"),
        "source and department: {scim}"
    );
    let adele = browser.text(&user_row("Adele Vance")).await;
    assert!(
        adele.contains("Enabled") && adele.contains("Manual"),
        "{adele}"
    );
    assert!(
        !browser
            .text("#users-table")
            .await
            .contains("Zz Paging User 9")
    );
    browser.screenshot("users-list").await;

    browser.click("#users-more").await.expect("load more");
    browser
        .wait_text("#users-count", "Showing 23 of 23 users")
        .await;
    browser.wait_text("#users-table", "Zz Paging User 9").await;
    assert!(
        !browser.is_displayed("#users-more").await,
        "nothing more to load"
    );

    // Search by email, then by name.
    browser.type_into("#users-search", "isaiah.langer@").await;
    browser
        .wait_text("#users-count", "Showing 1 of 1 user")
        .await;
    assert!(browser.text("#users-table").await.contains(BLOCKED_USER));
    browser.clear("#users-search").await;
    browser
        .wait_text("#users-count", "Showing 20 of 23 users")
        .await;
    browser.type_into("#users-search", "prad").await;
    browser
        .wait_text("#users-count", "Showing 1 of 1 user")
        .await;
    let table = browser.text("#users-table").await;
    assert!(
        table.contains(SCIM_USER) && !table.contains("Adele Vance"),
        "{table}"
    );

    browser.click_link(SCIM_USER).await;
    browser.wait_text("h1", SCIM_USER).await;
    let facts = browser.text("#user-facts").await;
    assert!(facts.contains("SCIM"), "{facts}");
    assert!(
        facts.contains("5f8c2a71-93d4-4b6e-a0c2-7d1e9b34f865"),
        "the identity provider's id: {facts}"
    );
    assert!(facts.contains("Engineering"), "department: {facts}");
    let whiteboard = browser
        .wait_text(
            "#user-licenses tr[data-app='Contoso Whiteboard']",
            "Inherited from Engineering",
        )
        .await;
    assert!(whiteboard.contains("Active"), "{whiteboard}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_user_keeps_the_licenses_of_their_groups() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    // Set-up through GraphQL: Design's three members take all three
    // Tailspin seats, then Isaiah joins Design and waits for a seat.
    let admin = console.app.admin_token();
    let tailspin = console.app_id("Tailspin Design Studio").await;
    let design = console.group_id("Design").await;
    let assigned = console
        .app
        .assign(&admin, &tailspin, std::slice::from_ref(&design))
        .await;
    assert_eq!(
        assigned["userErrors"],
        serde_json::json!([]),
        "{assigned:#}"
    );
    let isaiah = console.user_id(BLOCKED_USER).await;
    console.add_members(&design, &[isaiah]).await;

    browser.click_link("Users").await;
    browser.type_into("#users-search", "Isaiah").await;
    browser
        .wait_text("#users-count", "Showing 1 of 1 user")
        .await;
    browser.click_link(BLOCKED_USER).await;
    browser.wait_text("h1", BLOCKED_USER).await;

    browser.wait_text("#user-status", "Sign-in blocked").await;
    let page = browser.text("main").await;
    assert!(
        page.contains("cannot sign in") && page.contains("licenses and seats stay assigned"),
        "{page}"
    );
    let facts = browser.text("#user-facts").await;
    assert!(
        facts.contains("Manual") && facts.contains("isaiah.langer@demo.seatwise.example"),
        "{facts}"
    );
    let timesheets = browser
        .text("#user-licenses tr[data-app='Fabrikam Timesheets']")
        .await;
    assert!(
        timesheets.contains("Inherited from Sales") && timesheets.contains("Active"),
        "held through Sales, with a seat: {timesheets}"
    );
    let tailspin_row = browser
        .text("#user-licenses tr[data-app='Tailspin Design Studio']")
        .await;
    assert!(
        tailspin_row.contains("Inherited from Design")
            && tailspin_row.contains("No seat free (count violation)"),
        "held through Design, waiting for a seat: {tailspin_row}"
    );
    let groups = browser.text("#user-groups").await;
    assert!(
        groups.contains("Sales") && groups.contains("Design"),
        "{groups}"
    );
    assert!(
        browser
            .text("#user-groups-heading")
            .await
            .contains("Groups (2)"),
        "two groups"
    );
    browser.screenshot("user-details").await;

    // The group links to its own page.
    browser.click_link("Sales").await;
    browser.wait_text("h1", "Sales").await;
}

/// Deactivates `email` as Entra ID does (a SCIM token made through
/// GraphQL, the user found by `userName`, then `active` replaced by
/// `"False"`).
async fn deactivate_in_the_directory(console: &Console, email: &str) {
    let app = &console.app;
    let created = app
        .gql(
            "mutation($input: CreateScimTokenInput!) { createScimToken(input: $input) { secret } }",
        )
        .var("input", json!({ "name": "Entra ID" }))
        .token(&app.admin_token())
        .send()
        .await;
    let secret = created.data()["createScimToken"]["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let filter = format!("userName eq \"{email}\"");
    let found: Value = app
        .http()
        .get(app.url("/scim/v2/Users"))
        .query(&[("filter", filter.as_str())])
        .bearer_auth(&secret)
        .send()
        .await
        .expect("SCIM lookup")
        .json()
        .await
        .expect("a SCIM list");
    let id = found["Resources"][0]["id"].as_str().expect("the SCIM user");
    let patched = app
        .http()
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&secret)
        .header("content-type", "application/scim+json")
        .body(
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "Replace", "path": "active", "value": "False" }]
            })
            .to_string(),
        )
        .send()
        .await
        .expect("SCIM PATCH");
    assert_eq!(patched.status().as_u16(), 200, "deactivated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_deactivated_in_the_directory_is_told_apart_from_a_blocked_one() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    deactivate_in_the_directory(&console, "pradeep.gupta@demo.seatwise.example").await;

    browser.click_link("Users").await;
    browser.wait_text("h1", "Users").await;
    let deactivated = browser
        .wait_text(&user_row(SCIM_USER), "Deactivated in the directory")
        .await;
    assert!(!deactivated.contains("Sign-in blocked"), "{deactivated}");
    let blocked = browser.text(&user_row(BLOCKED_USER)).await;
    assert!(
        blocked.contains("Sign-in blocked") && !blocked.contains("Deactivated"),
        "an admin's block stays a block: {blocked}"
    );

    browser.click_link(SCIM_USER).await;
    browser.wait_text("h1", SCIM_USER).await;
    browser
        .wait_text("#user-status", "Deactivated in the directory")
        .await;
    let page = browser.text("main").await;
    assert!(
        page.contains("licenses released")
            && page.contains("reactivate them in your identity provider"),
        "{page}"
    );
    assert!(
        !page.contains("stay assigned"),
        "the seats were released, not kept: {page}"
    );
    let facts = browser.text("#user-facts").await;
    assert!(facts.contains("deactivated in the directory"), "{facts}");
    browser
        .wait_text("#user-licenses-empty", "holds no app licenses")
        .await;
}
