//! Settings → Webhooks (`#/settings/webhooks`): endpoints added (the
//! signing secret shown once), edited and deleted, and the delivery log
//! with "Redeliver" for a failed delivery, against a local receiver
//! (`seatwise_e2e::receiver`). Only roles with MANAGE_WEBHOOKS see it.

use std::time::Duration;

use seatwise_e2e::receiver::Receiver;
use serde_json::{Value, json};

use crate::{Console, NEARLY_FULL_APP};

/// The receiver is on 127.0.0.1, and a failing delivery gives up after
/// 300 ms (retries 50 ms and 100 ms apart), so no test waits for a day.
const FAST_DELIVERY: &[(&str, &str)] = &[
    ("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "1"),
    ("SEATWISE_WEBHOOK_POLL_MS", "50"),
    ("SEATWISE_WEBHOOK_RETRY_FIRST_MS", "50"),
    ("SEATWISE_WEBHOOK_RETRY_MAX_MS", "100"),
    ("SEATWISE_WEBHOOK_GIVE_UP_MS", "300"),
];

/// The organisation's endpoints as the API has them.
async fn endpoints(console: &Console) -> Value {
    let response = console
        .app
        .gql("{ webhookEndpoints { nodes { url events enabled deliveries(first: 5) { nodes { status attempts } } } } }")
        .token(&console.app.admin_token())
        .send()
        .await;
    response.data()["webhookEndpoints"]["nodes"].clone()
}

/// Open Settings → Webhooks from the navigation.
async fn open_webhooks(console: &Console) {
    console.browser.click_link("Webhooks").await;
    console.browser.wait_text("h1", "Webhooks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adds_an_endpoint_shows_its_secret_once_edits_and_deletes_it() {
    let Some(console) = Console::start_with_env(FAST_DELIVERY).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let browser = &console.browser;
    browser.sign_in(&console.app.admin_token()).await;
    browser.wait_text("h1", "Licenses").await;
    open_webhooks(&console).await;
    browser
        .wait_text("#webhook-endpoints-empty", "No endpoint yet")
        .await;

    // No event chosen: said next to the events, nothing added.
    browser.type_into("#webhook-url", &receiver.url).await;
    browser.click("#webhook-create").await.expect("add");
    browser
        .wait_text("#webhook-events-error", "Choose at least one event")
        .await;
    assert_eq!(endpoints(&console).await, json!([]));

    browser
        .click("#webhook-events-license_assigned")
        .await
        .expect("tick license.assigned");
    browser
        .click("#webhook-events-seats_low")
        .await
        .expect("tick seats.low");
    browser.click("#webhook-create").await.expect("add");
    let shown = browser
        .wait_text("#webhook-secret-box", "only time the secret is shown")
        .await;
    assert!(shown.contains(&receiver.url), "{shown}");
    let secret = browser
        .execute("return document.getElementById('webhook-secret').value")
        .await;
    let secret = secret.as_str().expect("the secret's text").to_owned();
    assert!(secret.starts_with("whsec_"), "a signing secret: {secret:?}");
    let row_css = format!("#webhook-endpoints tr[data-url='{}']", receiver.url);
    let row = browser.wait_text(&row_css, "Enabled").await;
    assert!(
        row.contains("license.assigned") && row.contains("seats.low"),
        "{row}"
    );
    browser.screenshot("webhooks").await;

    // The secret signs what the endpoint receives.
    let admin = console.app.admin_token();
    let user = console.user_id("Megan Bowen").await;
    let app = console.app_id(NEARLY_FULL_APP).await;
    console.app.assign(&admin, &app, &[user]).await;
    let received = receiver.wait_for_accepted(1, Duration::from_secs(15)).await;
    assert!(received[0].verifies_with(&secret));

    // Once: Done removes it, and a fresh load never shows it again.
    browser
        .click("#webhook-secret-done")
        .await
        .expect("done with the secret");
    browser
        .wait_until("the secret leaves the page", || async {
            !browser.exists("#webhook-secret").await
        })
        .await;
    browser
        .reload(&console.app.url("/#/settings/webhooks"))
        .await;
    browser.wait_text(&row_css, "Enabled").await;
    let anywhere = browser
        .execute(&format!(
            "const s = {secret:?}; return document.documentElement.outerHTML.includes(s) \
             || JSON.stringify(sessionStorage).includes(s) || JSON.stringify(localStorage).includes(s)"
        ))
        .await;
    assert_eq!(anywhere, json!(false), "the secret is never shown again");

    // Edit: fewer events, and off.
    browser
        .click(&format!("[aria-label='Edit {}']", receiver.url))
        .await
        .expect("edit");
    browser
        .wait_text("#webhook-edit-panel", "Edit endpoint")
        .await;
    browser
        .click("#webhook-edit-events-seats_low")
        .await
        .expect("untick seats.low");
    browser
        .click("#webhook-edit-enabled")
        .await
        .expect("turn it off");
    browser.click("#webhook-edit-save").await.expect("save");
    browser.wait_text("#webhook-outcome", "saved").await;
    let row = browser.wait_text(&row_css, "Disabled").await;
    assert!(!row.contains("seats.low"), "{row}");
    let listed = endpoints(&console).await;
    assert_eq!(listed[0]["events"], json!(["LICENSE_ASSIGNED"]));
    assert_eq!(listed[0]["enabled"], json!(false));

    // Delete, after a confirmation.
    browser
        .click(&format!("[aria-label='Delete {}']", receiver.url))
        .await
        .expect("delete");
    let dialog = browser
        .wait_text("#delete-webhook-dialog", "Delete the endpoint")
        .await;
    assert!(dialog.contains("delivery log are deleted"), "{dialog}");
    browser
        .click("#delete-webhook-dialog-confirm")
        .await
        .expect("confirm");
    browser.wait_text("#webhook-outcome", "deleted").await;
    browser
        .wait_text("#webhook-endpoints-empty", "No endpoint yet")
        .await;
    assert_eq!(endpoints(&console).await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_log_shows_a_failed_delivery_and_redelivers_it() {
    let Some(console) = Console::start_with_env(FAST_DELIVERY).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let admin = console.app.admin_token();
    let created = console
        .app
        .gql(
            "mutation($input: CreateWebhookEndpointInput!) {
                createWebhookEndpoint(input: $input) { userErrors { message } }
            }",
        )
        .var(
            "input",
            json!({ "url": receiver.url, "events": ["LICENSE_ASSIGNED"] }),
        )
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        created.data()["createWebhookEndpoint"]["userErrors"],
        json!([])
    );
    // The receiver fails every attempt until the delivery gives up.
    receiver.answer_always(Some(500));
    let user = console.user_id("Megan Bowen").await;
    let app = console.app_id(NEARLY_FULL_APP).await;
    console.app.assign(&admin, &app, &[user]).await;

    let browser = &console.browser;
    browser.sign_in(&admin).await;
    browser.wait_text("h1", "Licenses").await;
    open_webhooks(&console).await;
    browser
        .click(&format!("[aria-label='Delivery log of {}']", receiver.url))
        .await
        .expect("open the delivery log");
    // The log follows a pending delivery until it fails for good.
    let row_css = "#webhook-deliveries tr[data-event-type='license.assigned']";
    let row = browser.wait_text(row_css, "Failed").await;
    assert!(row.contains("HTTP 500"), "{row}");
    assert_eq!(
        browser.text(&format!("{row_css} td.num")).await,
        "4",
        "attempts"
    );
    assert_eq!(receiver.received().len(), 4);
    browser.screenshot("webhook-delivery-log").await;

    receiver.answer_always(None);
    browser
        .click("#webhook-deliveries button.redeliver")
        .await
        .expect("redeliver");
    browser
        .wait_text("#webhook-log-outcome", "queued again")
        .await;
    browser.wait_text(row_css, "Delivered").await;
    assert_eq!(receiver.accepted().len(), 1);
    assert!(
        !browser.exists("#webhook-deliveries button.redeliver").await,
        "nothing left to redeliver"
    );
    let listed = endpoints(&console).await;
    assert_eq!(
        listed[0]["deliveries"]["nodes"][0],
        json!({ "status": "DELIVERED", "attempts": 1 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billing_admin_is_not_offered_webhooks() {
    let Some(console) = Console::start().await else {
        return;
    };
    let browser = &console.browser;
    browser
        .sign_in(&console.app.token(&["BILLING_ADMIN"]))
        .await;
    browser.wait_text("h1", "Licenses").await;
    let nav = browser.wait_text("#nav", "Groups").await;
    assert!(!nav.contains("Webhooks"), "{nav}");
    browser.goto(&console.app.url("/#/settings/webhooks")).await;
    browser
        .wait_text("main", "Your role cannot change these settings")
        .await;
    assert!(!browser.exists("#webhook-create").await);
}
