//! The licenses list (`#/apps`): seats and warnings per app, the
//! subscription columns (renewal, state, costs), the idle seats of the
//! last 30 days and their cost, row alerts, the alert banner and the
//! yearly spend, search, and pages of 20.

use serde_json::json;

use crate::{CONTOSO, Console, NEARLY_FULL_APP, day, money, row_of};

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

/// Demo data: Fabrikam Timesheets, 10 seats, managed by the `fabrikam` plugin.
const FABRIKAM: &str = "Fabrikam Timesheets";
/// Demo data: Tailspin Design Studio, 3 seats.
const TAILSPIN: &str = "Tailspin Design Studio";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shows_renewal_state_costs_and_a_banner_for_expiring_and_disabled_apps() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    // Northwind (5 seats, 4 used) ends in 10 days and Fabrikam in 20, both
    // inside a 30-day notice: EXPIRING. Contoso ended 40 days ago with 30
    // days of grace: DISABLED. Tailspin is ACTIVE but alerts at 3 free
    // seats, and it has only 3.
    let terms = |start: i64, end: i64, price: &str, currency: &str| json!({ "termStart": day(start), "termEnd": day(end), "pricePerSeat": price, "currency": currency, "noticeDays": 30, "graceDays": 30 });
    console
        .set_subscription(NEARLY_FULL_APP, terms(-355, 10, "12.50", "EUR"))
        .await;
    console
        .set_subscription(FABRIKAM, terms(-345, 20, "5", "EUR"))
        .await;
    console
        .set_subscription(CONTOSO, terms(-405, -40, "8", "EUR"))
        .await;
    let mut tailspin = terms(-10, 200, "7.25", "USD");
    tailspin["lowSeatThreshold"] = json!(3);
    console.set_subscription(TAILSPIN, tailspin).await;

    let browser = &console.browser;
    browser
        .reload(&format!("{}/#/apps", console.app.base_url))
        .await;
    let northwind = browser
        .wait_text(&row_of(NEARLY_FULL_APP), "Expiring")
        .await;
    for shown in [
        "in 10 days".to_owned(),
        "Expires in 10 days".to_owned(),
        money(browser, "62.50", "EUR").await,
        money(browser, "12.50", "EUR").await,
    ] {
        assert!(northwind.contains(&shown), "{shown:?} in {northwind}");
    }
    let contoso = browser.text(&row_of(CONTOSO)).await;
    assert!(
        contoso.contains("Disabled: new assignments are refused")
            && contoso.contains("40 days ago"),
        "{contoso}"
    );
    let tailspin = browser.text(&row_of(TAILSPIN)).await;
    assert!(
        tailspin.contains("Active")
            && tailspin.contains("Low on seats")
            && tailspin.contains("in 200 days"),
        "{tailspin}"
    );

    let banner = browser.wait_text("#alert-banner", "Needs attention").await;
    for line in [
        "Contoso Whiteboard is disabled: new assignments are refused.",
        "2 subscriptions expire within 20 days.",
        "1 app low on seats.",
    ] {
        assert!(banner.contains(line), "{line:?} in {banner}");
    }
    assert!(!banner.contains("license errors"), "{banner}");
    // Spend leaves the disabled subscription out: 62.50 + 50.00 EUR.
    let spend = browser.text("#spend-summary").await;
    assert!(
        spend.contains(&money(browser, "112.50", "EUR").await)
            && spend.contains("2 subscriptions")
            && spend.contains(&money(browser, "21.75", "USD").await),
        "{spend}"
    );
    browser.screenshot("licenses-alerts").await;

    // The banner links to the app, whose page says what DISABLED means.
    browser
        .click("#alert-banner li[data-alert='disabled'] a")
        .await
        .expect("open the disabled app");
    browser.wait_text("h1", CONTOSO).await;
    let warning = browser
        .wait_text("main", "is disabled: new assignments are refused")
        .await;
    assert!(
        warning.contains("keep their assignments and seats"),
        "{warning}"
    );
    browser.wait_text("#subscription", "Disabled").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shows_idle_seats_of_the_last_30_days_and_their_cost() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    // Northwind's Adele Vance was last active 45 days ago, Alex Wilber
    // yesterday, its other holders took their seats today: 1 idle seat,
    // at 12.50 EUR a seat. Tailspin has no price: no idle-seat cost.
    console
        .import_last_active(NEARLY_FULL_APP, &[("Adele Vance", 45), ("Alex Wilber", 1)])
        .await;
    console
        .set_subscription(
            NEARLY_FULL_APP,
            json!({ "termStart": day(-10), "termEnd": day(355), "pricePerSeat": "12.50", "currency": "EUR" }),
        )
        .await;

    let browser = &console.browser;
    browser
        .reload(&format!("{}/#/apps", console.app.base_url))
        .await;
    let header = browser.wait_text("#apps-table thead", "Idle seats").await;
    assert!(
        header.contains("30 days") && header.contains("Idle-seat cost"),
        "{header}"
    );
    let northwind_row = row_of(NEARLY_FULL_APP);
    let idle = browser
        .wait_text(&format!("{northwind_row} .idle-seats"), "1")
        .await;
    assert_eq!(idle, "1");
    assert_eq!(
        browser.text(&format!("{northwind_row} .idle-cost")).await,
        money(browser, "12.50", "EUR").await
    );
    let tailspin_row = row_of(TAILSPIN);
    assert_eq!(
        browser.text(&format!("{tailspin_row} .idle-seats")).await,
        "0"
    );
    assert_eq!(
        browser.text(&format!("{tailspin_row} .idle-cost")).await,
        "—"
    );
    browser.screenshot("licenses-idle-seats").await;
}
