//! "Add or remove licenses": the vendor is asked for a new total and the
//! panel follows the operation to its one final state.

use crate::browser::Browser;
use crate::{CONTOSO, Console, NEARLY_FULL_APP};

/// The statuses an operation ends in (the console's `FINAL_STATUSES`).
const FINAL_STATUSES: [&str; 4] = ["SUCCEEDED", "FAILED", "CONTACT_VENDOR", "REJECTED"];

/// Ask for `quantity` seats in the open details page's panel; the
/// operation's final status (`data-status`) and the panel's text.
async fn request_seats(browser: &Browser, quantity: u32) -> (String, String) {
    browser
        .click("#seats-open")
        .await
        .expect("open Add or remove licenses");
    browser.clear("#seat-quantity").await;
    browser
        .type_into("#seat-quantity", &quantity.to_string())
        .await;
    browser
        .click("#seat-change-submit")
        .await
        .expect("request the change");
    let operation = "#seat-change-status .operation";
    let status = browser
        .wait_for("the seat change to end", || async {
            if !browser.exists(operation).await {
                return None;
            }
            let status = browser.attr(operation, "data-status").await?;
            FINAL_STATUSES.contains(&status.as_str()).then_some(status)
        })
        .await;
    (status, browser.text("#seat-change-status").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_adapter_says_contact_the_vendor() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    console.open_app(NEARLY_FULL_APP).await;
    let (status, shown) = request_seats(browser, 7).await;
    assert_eq!(status, "CONTACT_VENDOR", "{shown}");
    assert!(shown.contains("Contact the vendor"), "{shown}");
    assert!(
        shown.contains("Contact Northwind Traders to change the number of licenses."),
        "{shown}"
    );
    assert!(
        shown.contains("support@northwind.example")
            && shown.contains("https://www.northwind.example"),
        "the vendor's contact details: {shown}"
    );
    browser.click("#seat-change-close").await.expect("close");
    browser.wait_text("#seat-purchased", "5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contoso_changes_seats_at_once() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    console.open_app(CONTOSO).await;
    assert_eq!(browser.text("#seat-purchased").await, "25");
    let (status, shown) = request_seats(browser, 30).await;
    assert_eq!(status, "SUCCEEDED", "{shown}");
    assert!(
        shown.contains("Done") && shown.contains("25 → 30 seats"),
        "{shown}"
    );
    browser.click("#seat-change-close").await.expect("close");
    browser
        .wait_until("30 purchased seats", || async {
            browser.text("#seat-purchased").await == "30"
        })
        .await;
}
