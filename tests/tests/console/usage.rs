//! The Usage tab of the license details: idle seats over the chosen
//! window, and "Reclaim idle seats" — a dry run listed in a confirm dialog,
//! then the seat given back.

use crate::{Console, NEARLY_FULL_APP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_idle_seats_and_reclaims_them_after_confirming() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    // Set-up through GraphQL: Adele Vance was last active 45 days ago,
    // Alex Wilber yesterday; the other holders took their seats today.
    console
        .import_last_active(NEARLY_FULL_APP, &[("Adele Vance", 45), ("Alex Wilber", 1)])
        .await;

    console.open_app(NEARLY_FULL_APP).await;
    browser.wait_text("#seat-available", "1").await;
    browser.click("#tab-usage").await.expect("usage tab");
    browser
        .wait_text(
            "#usage-summary",
            "1 active user and 1 idle seat in the last 30 days",
        )
        .await;
    let idle = browser.text("#idle-seats-table").await;
    assert!(
        idle.contains("Adele Vance") && !idle.contains("Alex Wilber"),
        "{idle}"
    );

    // A 60-day window: Adele is not idle for that long.
    browser
        .execute(
            "const s = document.getElementById('usage-days'); s.value = '60'; \
             s.dispatchEvent(new Event('change'));",
        )
        .await;
    browser
        .wait_text("#usage-summary", "0 idle seats in the last 60 days")
        .await;
    browser
        .execute(
            "const s = document.getElementById('usage-days'); s.value = '30'; \
             s.dispatchEvent(new Event('change'));",
        )
        .await;
    browser
        .wait_text("#usage-summary", "1 idle seat in the last 30 days")
        .await;

    browser.click("#reclaim-open").await.expect("reclaim");
    let dialog = browser
        .wait_text(
            "#reclaim-dialog",
            "Reclaim 1 idle seat of Northwind Analytics?",
        )
        .await;
    assert!(dialog.contains("Adele Vance"), "{dialog}");
    browser.screenshot("reclaim-dialog").await;
    browser
        .click("#reclaim-dialog-confirm")
        .await
        .expect("confirm");
    let outcome = browser
        .wait_text(
            "#details-outcome",
            "Reclaimed 1 idle seat of Northwind Analytics.",
        )
        .await;
    assert!(outcome.contains("2 seats available now"), "{outcome}");
    browser.wait_text("#seat-available", "2").await;
    browser.click("#tab-users").await.expect("users tab");
    let users = browser.wait_text("#users-table", "Alex Wilber").await;
    assert!(!users.contains("Adele Vance"), "{users}");
}
