//! The unassign dialog of the license details: tick holders, confirm, and
//! the seats return to the pool.

use crate::{Console, NEARLY_FULL_APP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirms_and_gives_two_seats_back() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    // Set-up through GraphQL: Lynne Robbins takes Northwind's last seat, so
    // after unassigning her and Grady Archie two seats are free.
    let northwind = console.app_id(NEARLY_FULL_APP).await;
    let lynne = console.user_id("Lynne Robbins").await;
    let assigned = console
        .app
        .assign(&console.app.admin_token(), &northwind, &[lynne])
        .await;
    assert_eq!(
        assigned["userErrors"],
        serde_json::json!([]),
        "{assigned:#}"
    );

    console.open_app(NEARLY_FULL_APP).await;
    browser.wait_text("#seat-available", "0").await;
    browser
        .click("[aria-label='Select Lynne Robbins']")
        .await
        .expect("select Lynne");
    browser
        .click("[aria-label='Select Grady Archie']")
        .await
        .expect("select Grady");
    browser
        .wait_text("#unassign-open", "Unassign licenses (2)")
        .await;
    browser.click("#unassign-open").await.expect("unassign");
    let dialog = browser
        .wait_text("#unassign-dialog", "will be unassigned from 2 users")
        .await;
    assert!(
        dialog.contains("Lynne Robbins") && dialog.contains("Grady Archie"),
        "{dialog}"
    );
    assert!(dialog.contains("seats return to the pool"), "{dialog}");
    browser.screenshot("unassign-dialog").await;
    browser.click("#unassign-confirm").await.expect("confirm");
    let outcome = browser.wait_text("#details-outcome", "Unassigned").await;
    assert!(outcome.contains("2 seats available now"), "{outcome}");
    browser.wait_text("#seat-available", "2").await;
    let users = browser.text("#users-table").await;
    assert!(
        !users.contains("Lynne Robbins") && !users.contains("Grady Archie"),
        "{users}"
    );
}
