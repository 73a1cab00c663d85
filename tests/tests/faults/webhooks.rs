//! `kill -9` between a committed change and the delivery of its event:
//! the outbox row committed with the change, so the restarted server
//! delivers the event, signed, once the receiver takes it, without waiting
//! out the dead worker's lease.

use std::time::Duration;

use seatwise_e2e::receiver::Receiver;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

/// Private receivers allowed, and a delivery worker that looks often, so
/// the event's retry is found soon after the restart. (A commit wakes the
/// worker at once, so the receiver refuses the event until the kill: that
/// is what keeps it undelivered.)
const WORKER: &[(&str, &str)] = &[
    ("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "1"),
    ("SEATWISE_WEBHOOK_POLL_MS", "200"),
];

async fn an_event_committed_before_a_crash_is_delivered_after_the_restart(mut app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.answer_always(Some(503));
    let admin = app.admin_token();
    let created = app
        .gql(
            "mutation($input: CreateWebhookEndpointInput!) {
                createWebhookEndpoint(input: $input) { secret userErrors { code message } }
            }",
        )
        .var(
            "input",
            json!({ "url": receiver.url, "events": ["LICENSE_ASSIGNED"] }),
        )
        .token(&admin)
        .send()
        .await;
    let payload = &created.data()["createWebhookEndpoint"];
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    let secret = payload["secret"].as_str().expect("a secret").to_owned();
    let crm = app.register_app(&admin, "CRM", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let assigned = app.assign(&admin, &crm, std::slice::from_ref(&ada)).await;
    assert_eq!(assigned["userErrors"], json!([]));

    // The worker tried at once, was refused, and recorded the refusal
    // (which gives the endpoint back in the same transaction): the event
    // is committed and still owed when the server dies. Killing it before
    // the record would test another crash, one whose endpoint waits out
    // the dead worker's lease.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let attempts = app
            .gql("{ webhookEndpoints { nodes { deliveries { nodes { status attempts lastStatusCode } } } } }")
            .token(&admin)
            .send()
            .await
            .data()["webhookEndpoints"]["nodes"][0]["deliveries"]["nodes"][0]
            .clone();
        if attempts["attempts"].as_i64().unwrap_or(0) >= 1 {
            assert_eq!(attempts["status"], "PENDING", "{attempts}");
            assert_eq!(attempts["lastStatusCode"], 503, "{attempts}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no recorded delivery attempt: {attempts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        receiver.accepted().is_empty(),
        "not delivered before the kill"
    );
    app.kill_and_restart().await;
    receiver.answer_always(None);

    let accepted = receiver.wait_for_accepted(1, Duration::from_secs(30)).await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].event_type(), "license.assigned");
    assert!(accepted[0].verifies_with(&secret));
}

e2e_on_both_backends!(@with seatwise_e2e::StartOptions::process(super::WORKER);
    an_event_committed_before_a_crash_is_delivered_after_the_restart
);
