//! The Subscription panel of the license details page and its "Edit
//! subscription" form (`setSubscription`): bad values are shown next to
//! their fields and save nothing; good ones are saved and shown.

use serde_json::{Value, json};

use crate::{Console, NEARLY_FULL_APP, day, money};

/// The app's subscription as the API has it (null when none is set).
async fn subscription_of(console: &Console, name: &str) -> Value {
    let id = console.app_id(name).await;
    let response = console
        .app
        .gql("query($id: ID!) { app(id: $id) { subscription { termEnd pricePerSeat currency state } } }")
        .var("id", id)
        .token(&console.app.admin_token())
        .send()
        .await;
    response.data()["app"]["subscription"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_a_subscription_with_errors_next_to_their_fields() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    console.open_app(NEARLY_FULL_APP).await;
    browser
        .wait_text("#subscription-none", "No subscription terms")
        .await;
    browser
        .click("#subscription-edit")
        .await
        .expect("open the form");
    browser
        .wait_text("#subscription-panel", "Set subscription")
        .await;

    // Malformed values are caught before anything is sent.
    browser
        .type_into("#subscription-termEnd", "2027-02-30")
        .await;
    browser
        .type_into("#subscription-pricePerSeat", "12,50")
        .await;
    browser.type_into("#subscription-currency", "zzz").await;
    browser.click("#subscription-save").await.expect("save");
    browser
        .wait_text("#subscription-termEnd-error", "Write a date as YYYY-MM-DD")
        .await;
    browser
        .wait_text("#subscription-pricePerSeat-error", "e.g. 12.50")
        .await;
    assert_eq!(
        browser
            .attr("#subscription-termEnd", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert!(
        !browser.is_displayed("#subscription-currency-error").await,
        "three letters pass the form's own check"
    );
    browser
        .wait_text("#subscription-outcome", "Nothing was saved")
        .await;
    assert_eq!(
        subscription_of(&console, NEARLY_FULL_APP).await,
        Value::Null
    );

    // The server refuses what only it can know: ZZZ is no ISO 4217 code.
    let end = day(45);
    browser.clear("#subscription-termEnd").await;
    browser.type_into("#subscription-termEnd", &end).await;
    browser.clear("#subscription-pricePerSeat").await;
    browser
        .type_into("#subscription-pricePerSeat", "12.50")
        .await;
    browser.click("#subscription-save").await.expect("save");
    browser
        .wait_text(
            "#subscription-currency-error",
            "ZZZ is not an ISO 4217 currency",
        )
        .await;
    assert!(
        !browser.is_displayed("#subscription-termEnd-error").await,
        "the corrected date is no longer marked"
    );
    browser.screenshot("subscription-panel").await;
    assert_eq!(
        subscription_of(&console, NEARLY_FULL_APP).await,
        Value::Null
    );

    browser.clear("#subscription-currency").await;
    browser.type_into("#subscription-currency", "EUR").await;
    browser.click("#subscription-save").await.expect("save");
    browser
        .wait_text(
            "#details-outcome",
            "Subscription of Northwind Analytics saved",
        )
        .await;
    assert!(
        !browser.exists("#subscription-panel").await,
        "the panel closed"
    );
    // 5 seats at 12.50, 1 of them free.
    let card = browser.wait_text("#subscription", "Active").await;
    assert!(
        card.contains(&money(browser, "62.50", "EUR").await)
            && card.contains(&money(browser, "12.50", "EUR").await),
        "{card}"
    );
    browser
        .wait_text("#subscription-renews", "in 45 days")
        .await;
    assert_eq!(
        subscription_of(&console, NEARLY_FULL_APP).await,
        json!({ "termEnd": end, "pricePerSeat": "12.50", "currency": "EUR", "state": "ACTIVE" })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_sees_the_subscription_but_cannot_edit_it() {
    let Some(console) = Console::start().await else {
        return;
    };
    console
        .set_subscription(
            NEARLY_FULL_APP,
            json!({ "termStart": day(-370), "termEnd": day(-5), "pricePerSeat": "12.50", "currency": "EUR", "graceDays": 30 }),
        )
        .await;
    let browser = &console.browser;
    browser
        .sign_in(&console.app.token(&["GLOBAL_READER"]))
        .await;
    browser.wait_text("h1", "Licenses").await;
    console.open_app(NEARLY_FULL_APP).await;
    // Ended 5 days ago, 30 days of grace: EXPIRED, still working.
    let warning = browser
        .wait_text(
            "main",
            "The subscription of Northwind Analytics has expired.",
        )
        .await;
    assert!(
        warning.contains("Everything still works during the grace period"),
        "{warning}"
    );
    browser.wait_text("#subscription", "Expired").await;
    assert!(!browser.exists("#subscription-edit").await);
}
