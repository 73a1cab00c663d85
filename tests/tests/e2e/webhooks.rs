//! Outbound webhooks end to end: `createWebhookEndpoint`,
//! `updateWebhookEndpoint`, `deleteWebhookEndpoint`, `redeliverWebhook`
//! and `webhookEndpoints { deliveries }`, with a local receiver
//! (`seatwise_e2e::receiver`) that verifies every signature with the
//! `standardwebhooks` crate. Retries run on a short schedule
//! (`SEATWISE_WEBHOOK_RETRY_*`), so no test sleeps for minutes.

use std::time::Duration;

use base64::Engine as _;
use seatwise_e2e::receiver::Receiver;
use seatwise_e2e::{Backend, StartOptions, TestApp, e2e_for_each_backend, e2e_on_both_backends};
use serde_json::{Value, json};

const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
        endpoint { id url description events enabled createdBy }
        secret
        userErrors { field message code }
    }
}";
const UPDATE: &str = "mutation($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) { endpoint { id url events enabled } userErrors { field message code } }
}";
const DELETE: &str = "mutation($input: DeleteWebhookEndpointInput!) {
    deleteWebhookEndpoint(input: $input) { deletedEndpointId userErrors { field message code } }
}";
const REDELIVER: &str = "mutation($input: RedeliverWebhookInput!) {
    redeliverWebhook(input: $input) { delivery { id status attempts } userErrors { field message code } }
}";
const DELIVERIES: &str = "{ webhookEndpoints { totalCount nodes { id url events enabled
    deliveries(first: 20) { totalCount nodes { id eventId eventType status attempts lastStatusCode lastError nextAttemptAt deliveredAt } } } } }";

/// Delivery settings for the tests: private receivers allowed (the
/// receiver is on 127.0.0.1), a quick poll, and retries 50 ms, 100 ms,
/// 100 ms apart that give up after 300 ms (so a delivery fails for good
/// at its fourth attempt).
const FAST: &[(&str, &str)] = &[
    ("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "1"),
    ("SEATWISE_WEBHOOK_POLL_MS", "50"),
    ("SEATWISE_WEBHOOK_RETRY_FIRST_MS", "50"),
    ("SEATWISE_WEBHOOK_RETRY_MAX_MS", "100"),
    ("SEATWISE_WEBHOOK_GIVE_UP_MS", "300"),
];
const WITHIN: Duration = Duration::from_secs(15);

/// The uuid inside a global id (events carry plain uuids).
fn uuid_of(global_id: &str) -> String {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global_id)
        .expect("a global id");
    let text = String::from_utf8(bytes).expect("utf-8");
    text.split_once(':').expect("Kind:uuid").1.to_owned()
}

/// Register an endpoint for `events` at the receiver; its id and secret.
async fn endpoint(app: &TestApp, receiver: &Receiver, events: &[&str]) -> (String, String) {
    let created = app
        .gql(CREATE)
        .var("input", json!({ "url": receiver.url, "events": events }))
        .token(&app.admin_token())
        .send()
        .await;
    let payload = &created.data()["createWebhookEndpoint"];
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    (
        payload["endpoint"]["id"]
            .as_str()
            .expect("an id")
            .to_owned(),
        payload["secret"].as_str().expect("a secret").to_owned(),
    )
}

async fn deliveries(app: &TestApp) -> Value {
    let answer = app.gql(DELIVERIES).token(&app.admin_token()).send().await;
    answer.data()["webhookEndpoints"]["nodes"][0]["deliveries"]["nodes"].clone()
}

/// Wait until the endpoint's newest delivery has `status`.
async fn wait_for_status(app: &TestApp, status: &str) -> Value {
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        let list = deliveries(app).await;
        if list[0]["status"] == status {
            return list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never {status}: {list:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn an_assignment_is_delivered_signed(app: TestApp) {
    let receiver = Receiver::start().await;
    let admin = app.admin_token();
    let created = app
        .gql(CREATE)
        .var(
            "input",
            json!({ "url": receiver.url, "events": ["LICENSE_ASSIGNED", "LICENSE_UNASSIGNED"],
                    "description": "HR system" }),
        )
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("endpoint_created", created.redacted());
    let secret = created.data()["createWebhookEndpoint"]["secret"]
        .as_str()
        .expect("the secret")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");

    let crm = app.register_app(&admin, "CRM", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let assigned = app.assign(&admin, &crm, std::slice::from_ref(&ada)).await;
    assert_eq!(assigned["userErrors"], json!([]));

    let accepted = receiver.wait_for_accepted(1, WITHIN).await;
    let event = &accepted[0];
    assert!(event.verifies_with(&secret), "the signature verifies");
    assert!(
        !event.verifies_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        "and only with its secret"
    );
    let body = event.json();
    assert_eq!(body["type"], "license.assigned");
    assert_eq!(body["version"], 1);
    assert_eq!(body["data"]["tenantId"], app.tenant);
    assert_eq!(body["data"]["appId"], uuid_of(&crm));
    assert_eq!(body["data"]["userId"], uuid_of(&ada));
    assert_eq!(
        body["data"]["path"],
        json!({ "direct": true, "groupIds": [] })
    );
    assert_eq!(
        event.id(),
        body_id(&app).await,
        "webhook-id is the event id"
    );

    let list = app.gql(DELIVERIES).token(&admin).send().await;
    insta::assert_json_snapshot!("delivered", list.redacted());
    assert!(
        !list.body.to_string().contains(&secret),
        "the secret is never shown again"
    );
}

async fn body_id(app: &TestApp) -> String {
    deliveries(app).await[0]["eventId"]
        .as_str()
        .expect("an event id")
        .to_owned()
}

async fn events_arrive_in_commit_order_with_their_paths(app: TestApp) {
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(&app, &receiver, &["LICENSE_ASSIGNED", "LICENSE_UNASSIGNED"]).await;
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "CRM", 10).await;
    let users = app.create_users(&admin, "user", 3).await;
    let sales = app.create_group(&admin, "Sales", &users[1..]).await;
    app.assign(&admin, &crm, &users[..1]).await;
    app.assign(&admin, &crm, std::slice::from_ref(&sales)).await;
    app.unassign(&admin, &crm, &users[..1]).await;

    let accepted = receiver.wait_for_accepted(4, WITHIN).await;
    assert!(accepted.iter().all(|r| r.verifies_with(&secret)));
    let seen: Vec<(String, String, Value)> = accepted
        .iter()
        .map(|r| {
            let body = r.json();
            (
                r.event_type(),
                body["data"]["userId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                body["data"]["path"].clone(),
            )
        })
        .collect();
    let group = json!({ "direct": false, "groupIds": [uuid_of(&sales)] });
    let mut expected = vec![(
        "license.assigned".to_owned(),
        uuid_of(&users[0]),
        json!({ "direct": true, "groupIds": [] }),
    )];
    // One assignment's users arrive in id order.
    let mut members: Vec<String> = users[1..].iter().map(|u| uuid_of(u)).collect();
    members.sort();
    for member in members {
        expected.push(("license.assigned".to_owned(), member, group.clone()));
    }
    expected.push((
        "license.unassigned".to_owned(),
        uuid_of(&users[0]),
        Value::Null,
    ));
    assert_eq!(seen, expected);
}

async fn waiting_for_a_seat_and_finished_seat_changes_are_sent(app: TestApp) {
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(&app, &receiver, &["LICENSE_ERROR", "SEAT_CHANGE_FINISHED"]).await;
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "CRM", 1).await;
    let users = app.create_users(&admin, "user", 2).await;
    let sales = app.create_group(&admin, "Sales", &[]).await;
    app.assign(&admin, &crm, std::slice::from_ref(&sales)).await;
    let members = "mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { userErrors { code } } }";
    let added = app
        .gql(members)
        .var("input", json!({ "groupId": sales, "userIds": users }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(added.data()["addGroupMembers"]["userErrors"], json!([]));
    // The first member took the one seat; the second waits, until the
    // first leaves.
    let removed = app
        .gql("mutation($input: RemoveGroupMembersInput!) { removeGroupMembers(input: $input) { userErrors { code } } }")
        .var("input", json!({ "groupId": sales, "userIds": [users[0]] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        removed.data()["removeGroupMembers"]["userErrors"],
        json!([])
    );
    // No adapter: the worker answers CONTACT_VENDOR, a final state.
    let requested = app.request_seat_change(&admin, &crm, 5, "more seats").await;
    assert_eq!(requested["userErrors"], json!([]));

    let accepted = receiver.wait_for_accepted(3, WITHIN).await;
    assert!(accepted.iter().all(|r| r.verifies_with(&secret)));
    let data: Vec<Value> = accepted.iter().map(|r| r.json()["data"].clone()).collect();
    let waiting = uuid_of(&users[1]);
    assert_eq!(accepted[0].event_type(), "license.error");
    assert_eq!(
        (&data[0]["userId"], &data[0]["code"], &data[0]["state"]),
        (&json!(waiting), &json!("COUNT_VIOLATION"), &json!("RAISED"))
    );
    assert_eq!(accepted[1].event_type(), "license.error");
    assert_eq!(
        (&data[1]["userId"], &data[1]["state"]),
        (&json!(waiting), &json!("RESOLVED"))
    );
    assert_eq!(accepted[2].event_type(), "seatChange.finished");
    assert_eq!(data[2]["appId"], uuid_of(&crm));
    assert_eq!(data[2]["status"], "CONTACT_VENDOR");
    assert_eq!(data[2]["requestedQuantity"], 5);
    assert_eq!(
        data[2]["operationId"],
        uuid_of(requested["operation"]["id"].as_str().expect("an id"))
    );
}

async fn a_failing_receiver_gets_the_event_again_after_a_backoff(app: TestApp) {
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(&app, &receiver, &["LICENSE_ASSIGNED"]).await;
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "CRM", 5).await;
    let users = app.create_users(&admin, "user", 2).await;
    receiver.answer_next(&[500, 503]);
    app.assign(&admin, &crm, &users[..1]).await;
    app.assign(&admin, &crm, &users[1..]).await;

    let accepted = receiver.wait_for_accepted(2, WITHIN).await;
    let all = receiver.received();
    let answers: Vec<u16> = all.iter().map(|r| r.answered).collect();
    assert_eq!(answers, vec![500, 503, 200, 200]);
    // The first event, three times with one webhook-id, before the second.
    assert_eq!(all[0].id(), all[1].id());
    assert_eq!(all[1].id(), all[2].id());
    assert_ne!(all[2].id(), all[3].id());
    assert_eq!(accepted[0].json()["data"]["userId"], uuid_of(&users[0]));
    assert_eq!(accepted[1].json()["data"]["userId"], uuid_of(&users[1]));
    assert!(all.iter().all(|r| r.verifies_with(&secret)));
    // Backoff with jitter: at least half of 50 ms, then of 100 ms.
    assert!(all[1].at - all[0].at >= Duration::from_millis(25));
    assert!(all[2].at - all[1].at >= Duration::from_millis(50));

    let list = wait_for_status(&app, "DELIVERED").await;
    let first = &list[1];
    assert_eq!(first["status"], "DELIVERED");
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["lastStatusCode"], 200);
}

async fn a_delivery_fails_after_its_last_retry_and_can_be_redelivered(app: TestApp) {
    let receiver = Receiver::start().await;
    endpoint(&app, &receiver, &["LICENSE_ASSIGNED"]).await;
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "CRM", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    receiver.answer_always(Some(500));
    app.assign(&admin, &crm, std::slice::from_ref(&ada)).await;

    let list = wait_for_status(&app, "FAILED").await;
    assert_eq!(list[0]["attempts"], 4, "{list:#}");
    assert_eq!(list[0]["lastStatusCode"], 500);
    assert_eq!(list[0]["nextAttemptAt"], Value::Null);
    assert_eq!(receiver.received().len(), 4);
    let failed = app.gql(DELIVERIES).token(&admin).send().await;
    insta::assert_json_snapshot!("failed", failed.redacted());

    receiver.answer_always(None);
    let redelivered = app
        .gql(REDELIVER)
        .var("input", json!({ "deliveryId": list[0]["id"] }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("redelivered", redelivered.redacted());
    receiver.wait_for_accepted(1, WITHIN).await;
    let list = wait_for_status(&app, "DELIVERED").await;
    assert_eq!(list[0]["attempts"], 1);
}

async fn updating_and_deleting_endpoints(app: TestApp) {
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(&app, &receiver, &["LICENSE_ASSIGNED"]).await;
    let admin = app.admin_token();
    let updated = app
        .gql(UPDATE)
        .var("input", json!({ "endpointId": id, "enabled": false, "events": ["SEATS_LOW", "SEAT_CHANGE_FINISHED"] }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("endpoint_updated", updated.redacted());
    // Disabled: an assignment queues nothing for it.
    let crm = app.register_app(&admin, "CRM", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    app.assign(&admin, &crm, std::slice::from_ref(&ada)).await;
    assert_eq!(deliveries(&app).await, json!([]));

    let no_events = app
        .gql(UPDATE)
        .var("input", json!({ "endpointId": id, "events": [] }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("endpoint_without_events", no_events.redacted());

    let deleted = app
        .gql(DELETE)
        .var("input", json!({ "endpointId": id }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        deleted.data()["deleteWebhookEndpoint"]["deletedEndpointId"],
        json!(id)
    );
    let list = app.gql(DELIVERIES).token(&admin).send().await;
    assert_eq!(list.data()["webhookEndpoints"]["totalCount"], 0);
}

/// A server that refuses private receivers (the default).
async fn urls_that_could_reach_private_networks_are_refused(app: TestApp) {
    let admin = app.admin_token();
    let mut answers = serde_json::Map::new();
    for url in [
        "http://hooks.example.com/seatwise",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:192.168.0.1]/hook",
        "not a url",
    ] {
        let refused = app
            .gql(CREATE)
            .var(
                "input",
                json!({ "url": url, "events": ["LICENSE_ASSIGNED"] }),
            )
            .token(&admin)
            .send()
            .await;
        let payload = &refused.data()["createWebhookEndpoint"];
        assert_eq!(payload["endpoint"], Value::Null, "{url}");
        assert_eq!(payload["userErrors"][0]["code"], "URL_NOT_ALLOWED", "{url}");
        answers.insert(url.to_owned(), payload["userErrors"].clone());
    }
    insta::assert_json_snapshot!("refused_urls", answers);
    let list = app.gql(DELIVERIES).token(&admin).send().await;
    assert_eq!(list.data()["webhookEndpoints"]["totalCount"], 0);
}

async fn only_global_admins_manage_webhooks(app: TestApp) {
    let receiver = Receiver::start().await;
    for role in [
        "LICENSE_ADMIN",
        "USER_ADMIN",
        "BILLING_ADMIN",
        "GLOBAL_READER",
    ] {
        let token = app.token(&[role]);
        let created = app
            .gql(CREATE)
            .var(
                "input",
                json!({ "url": receiver.url, "events": ["LICENSE_ASSIGNED"] }),
            )
            .token(&token)
            .send()
            .await;
        assert_eq!(created.error_code(), "FORBIDDEN", "{role}");
        let list = app.gql(DELIVERIES).token(&token).send().await;
        assert_eq!(list.error_code(), "FORBIDDEN", "{role}");
    }
    let list = app.gql(DELIVERIES).token(&app.admin_token()).send().await;
    assert_eq!(list.data()["webhookEndpoints"]["totalCount"], 0);
}

async fn another_tenants_endpoints_and_deliveries_are_not_found(app: TestApp) {
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(&app, &receiver, &["LICENSE_ASSIGNED"]).await;
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "CRM", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    app.assign(&admin, &crm, std::slice::from_ref(&ada)).await;
    receiver.wait_for_accepted(1, WITHIN).await;
    let delivery = deliveries(&app).await[0]["id"].clone();

    let other = app.create_tenant("Fabrikam").await;
    let intruder = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let update = app
        .gql(UPDATE)
        .var("input", json!({ "endpointId": id, "enabled": false }))
        .token(&intruder)
        .send()
        .await;
    let delete = app
        .gql(DELETE)
        .var("input", json!({ "endpointId": id }))
        .token(&intruder)
        .send()
        .await;
    let redeliver = app
        .gql(REDELIVER)
        .var("input", json!({ "deliveryId": delivery }))
        .token(&intruder)
        .send()
        .await;
    for (payload, field) in [
        (&update.data()["updateWebhookEndpoint"], "endpointId"),
        (&delete.data()["deleteWebhookEndpoint"], "endpointId"),
        (&redeliver.data()["redeliverWebhook"], "deliveryId"),
    ] {
        assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND", "{payload:#}");
        assert_eq!(payload["userErrors"][0]["field"], field);
    }
    let theirs = app.gql(DELIVERIES).token(&intruder).send().await;
    assert_eq!(theirs.data()["webhookEndpoints"]["totalCount"], 0);
    let mine = app.gql(DELIVERIES).token(&admin).send().await;
    assert_eq!(mine.data()["webhookEndpoints"]["nodes"][0]["enabled"], true);
    assert_eq!(receiver.accepted().len(), 1, "nothing was sent again");
}

/// `seats.low` fires once when free seats fall to the subscription's
/// low-seat threshold, and not again while they stay there.
async fn low_seats_are_announced_once_per_crossing(app: TestApp) {
    let receiver = Receiver::start().await;
    let admin = app.admin_token();
    endpoint(&app, &receiver, &["SEATS_LOW", "LICENSE_UNASSIGNED"]).await;
    let crm = app.register_app(&admin, "CRM", 3).await;
    let set = app
        .gql("mutation($input: SetSubscriptionInput!) { setSubscription(input: $input) { userErrors { code } } }")
        .var("input", json!({ "appId": crm, "termStart": "2026-01-01", "termEnd": "2099-12-31",
                             "pricePerSeat": "4.00", "currency": "EUR", "lowSeatThreshold": 1 }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(set.data()["setSubscription"]["userErrors"], json!([]));
    let people = app.create_users(&admin, "seat", 3).await;
    for person in &people {
        let assigned = app.assign(&admin, &crm, std::slice::from_ref(person)).await;
        assert_eq!(assigned["userErrors"], json!([]));
    }
    let unassigned = app.unassign(&admin, &crm, &people[2..]).await;
    assert_eq!(unassigned["userErrors"], json!([]));

    // Deliveries to one endpoint keep commit order, so once the unassign
    // arrived, every seats.low before it has too.
    let accepted = receiver.wait_for_accepted(2, WITHIN).await;
    let types: Vec<Value> = accepted.iter().map(|e| e.json()["type"].clone()).collect();
    assert_eq!(types, [json!("seats.low"), json!("license.unassigned")]);
    let low = accepted[0].json();
    assert_eq!(low["data"]["appId"], uuid_of(&crm));
    assert_eq!(
        (&low["data"]["available"], &low["data"]["threshold"]),
        (&json!(1), &json!(1))
    );
}

// The options expression is expanded inside each test's own module.
e2e_on_both_backends!(@with seatwise_e2e::StartOptions::with_env(super::FAST);
    an_assignment_is_delivered_signed,
    events_arrive_in_commit_order_with_their_paths,
    waiting_for_a_seat_and_finished_seat_changes_are_sent,
    a_failing_receiver_gets_the_event_again_after_a_backoff,
    a_delivery_fails_after_its_last_retry_and_can_be_redelivered,
    updating_and_deleting_endpoints,
    only_global_admins_manage_webhooks,
    another_tenants_endpoints_and_deliveries_are_not_found,
    low_seats_are_announced_once_per_crossing
);

e2e_on_both_backends!(urls_that_could_reach_private_networks_are_refused);

e2e_on_both_backends!(@with {
        let mut options = seatwise_e2e::StartOptions::with_manual_clock();
        options.env = super::FAST
            .iter()
            .chain(&[("SEATWISE_SUBSCRIPTION_WATCH_MS", "50")])
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        options
    };
    a_subscription_entering_its_notice_period_is_announced_once
);

e2e_on_both_backends!(@with seatwise_e2e::StartOptions::with_env(&[
        ("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "1"),
        ("SEATWISE_WEBHOOK_POLL_MS", "50"),
        // Far above how long the other tenant may wait below.
        ("SEATWISE_WEBHOOK_TIMEOUT_MS", "60000"),
    ]);
    a_hung_receiver_does_not_delay_another_tenants_deliveries
);

/// The calendar, not a write, moves a subscription into its notice
/// period: the watcher announces `subscription.expiring` once.
async fn a_subscription_entering_its_notice_period_is_announced_once(app: TestApp) {
    let receiver = Receiver::start().await;
    let admin = app.admin_token();
    endpoint(
        &app,
        &receiver,
        &[
            "SUBSCRIPTION_EXPIRING",
            "SUBSCRIPTION_EXPIRED",
            "LICENSE_ASSIGNED",
        ],
    )
    .await;
    let crm = app.register_app(&admin, "CRM", 3).await;
    let set = app
        .gql("mutation($input: SetSubscriptionInput!) { setSubscription(input: $input) { userErrors { code } } }")
        .var("input", json!({ "appId": crm, "termStart": "2026-01-01", "termEnd": "2026-12-31",
                             "pricePerSeat": "4.00", "currency": "EUR", "noticeDays": 30 }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(set.data()["setSubscription"]["userErrors"], json!([]));

    // The clock stands at 2026-01-01: ACTIVE. Into the notice period:
    app.manual_clock()
        .set_today(chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("a date"));
    let accepted = receiver.wait_for_accepted(1, WITHIN).await;
    let event = accepted[0].json();
    assert_eq!(event["type"], "subscription.expiring");
    assert_eq!(event["data"]["appId"], uuid_of(&crm));
    assert_eq!(event["data"]["state"], "EXPIRING");
    assert_eq!(event["data"]["daysToRenewal"], 29);

    // Later watcher runs announce nothing more; a later event (an
    // assignment) arrives after it, and nothing else came between.
    let user = app.create_user(&admin, "Ann", "ann@example.test").await;
    assert_eq!(
        app.assign(&admin, &crm, &[user]).await["userErrors"],
        json!([])
    );
    let accepted = receiver.wait_for_accepted(2, WITHIN).await;
    let types: Vec<String> = accepted.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, ["subscription.expiring", "license.assigned"]);
}

/// A receiver that accepts the connection and never answers holds only its
/// own endpoint's delivery (until the request timeout), never another
/// tenant's.
async fn a_hung_receiver_does_not_delay_another_tenants_deliveries(app: TestApp) {
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hung_url = format!("http://{}/hook", hung.local_addr().expect("its address"));
    let accepted_connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted_connections.clone();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hung.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });

    // Tenant A's endpoint hangs; its event is written first.
    let admin = app.admin_token();
    let created = app
        .gql(CREATE)
        .var(
            "input",
            json!({ "url": hung_url, "events": ["LICENSE_ASSIGNED"] }),
        )
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        created.data()["createWebhookEndpoint"]["userErrors"],
        json!([])
    );
    let crm = app.register_app(&admin, "CRM", 3).await;
    let user = app.create_user(&admin, "Ann", "ann@example.test").await;
    assert_eq!(
        app.assign(&admin, &crm, &[user]).await["userErrors"],
        json!([])
    );
    let deadline = std::time::Instant::now() + WITHIN;
    while accepted_connections.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the hung receiver was never called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Tenant B's event, written while A's delivery hangs, arrives anyway.
    let other = app.create_tenant("Fabrikam Ltd").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let receiver = Receiver::start().await;
    let created = app
        .gql(CREATE)
        .var(
            "input",
            json!({ "url": receiver.url, "events": ["LICENSE_ASSIGNED"] }),
        )
        .token(&other_admin)
        .send()
        .await;
    assert_eq!(
        created.data()["createWebhookEndpoint"]["userErrors"],
        json!([])
    );
    let crm = app.register_app(&other_admin, "CRM", 3).await;
    let user = app.create_user(&other_admin, "Bo", "bo@example.test").await;
    assert_eq!(
        app.assign(&other_admin, &crm, &[user]).await["userErrors"],
        json!([])
    );
    // WITHIN (15 s) is a quarter of the hung request's 60 s timeout.
    let accepted = receiver.wait_for_accepted(1, WITHIN).await;
    assert_eq!(accepted[0].event_type(), "license.assigned");
    assert_eq!(accepted[0].json()["data"]["tenantId"], other.as_str());
    holder.abort();
}

/// Workers that poll once an hour: a delivery "at once" is one a commit
/// woke.
const HOURLY_POLL: &[(&str, &str)] = &[
    ("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "1"),
    ("SEATWISE_WEBHOOK_POLL_MS", "3600000"),
];
/// Far below the poll interval: a bound on the wait, not a timing claim.
const AT_ONCE: Duration = Duration::from_secs(10);

/// A commit that wrote an event wakes a delivery worker at once, whichever
/// process committed it. On PostgreSQL two servers share the database,
/// both polling once an hour: an event committed through the first is
/// delivered (by either), and so is one committed by a third process with
/// no worker (a bare core store on the database): only the commit's
/// `NOTIFY` can wake a server's worker for that one. SQLite serves one
/// process: its own commit wakes its worker.
async fn an_event_is_delivered_at_once_whichever_replica_commits_it(backend: Backend) {
    let Some(first) = TestApp::start_with(backend, StartOptions::with_env(HOURLY_POLL)).await
    else {
        return;
    };
    let replica = match backend {
        Backend::Postgres => Some(first.replica().await),
        Backend::Sqlite => None,
    };
    let receiver = Receiver::start().await;
    endpoint(&first, &receiver, &["LICENSE_ASSIGNED"]).await;
    let admin = first.admin_token();
    let crm = first.register_app(&admin, "CRM", 5).await;
    let users = first.create_users(&admin, "user", 2).await;

    first.assign(&admin, &crm, &users[..1]).await;
    let accepted = receiver.wait_for_accepted(1, AT_ONCE).await;
    assert_eq!(accepted[0].json()["data"]["userId"], uuid_of(&users[0]));

    if replica.is_some() {
        let outsider = first.database().store().await;
        let tenant = seatwise_core::ids::TenantId(first.tenant.parse().expect("a tenant uuid"));
        let app = seatwise_core::ids::AppId(uuid_of(&crm).parse().expect("an app uuid"));
        let user = seatwise_core::ids::UserId(uuid_of(&users[1]).parse().expect("a user uuid"));
        outsider
            .assign_licenses(
                tenant,
                &seatwise_core::model::Actor::named("another-replica"),
                app,
                &[seatwise_core::ids::PrincipalId::User(user)],
            )
            .await
            .expect("assign through another process's store");
        let accepted = receiver.wait_for_accepted(2, AT_ONCE).await;
        assert_eq!(accepted[1].json()["data"]["userId"], uuid_of(&users[1]));
    }
}

e2e_for_each_backend!(an_event_is_delivered_at_once_whichever_replica_commits_it);
