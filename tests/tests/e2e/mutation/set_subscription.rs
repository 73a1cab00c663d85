//! `setSubscription`: terms are saved and read back through
//! `App.subscription` with their state, days to renewal and costs, and
//! summed in `viewer.tenant.spend`; the server's clock (a manual one)
//! moves the app through EXPIRING, EXPIRED and DISABLED, where a new
//! assignment is refused with SUBSCRIPTION_INACTIVE and changes nothing,
//! until a renewal. Bad terms are user errors that change nothing;
//! USER_ADMIN is FORBIDDEN and another tenant's app is NOT_FOUND.

use chrono::NaiveDate;
use seatwise_e2e::{GraphqlResponse, TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

const SUBSCRIPTION_FIELDS: &str = "termStart termEnd autoRenew pricePerSeat currency noticeDays
    graceDays lowSeatThreshold state renewsOn daysToRenewal annualCost unusedSeatCost";

fn set_subscription_query() -> String {
    format!(
        "mutation($input: SetSubscriptionInput!) {{
            setSubscription(input: $input) {{
                app {{ id seats {{ purchased assigned }} subscription {{ {SUBSCRIPTION_FIELDS} }} }}
                userErrors {{ field message code }}
            }}
        }}"
    )
}

async fn send(app: &TestApp, token: &str, input: Value) -> GraphqlResponse {
    app.gql(&set_subscription_query())
        .var("input", input)
        .token(token)
        .send()
        .await
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a test date")
}

/// The 2026 term at 12.50 EUR a seat for `app`.
fn year_2026(app: &str) -> Value {
    json!({
        "appId": app,
        "termStart": "2026-01-01",
        "termEnd": "2026-12-31",
        "pricePerSeat": "12.50",
        "currency": "EUR",
    })
}

async fn subscription(app: &TestApp, token: &str, id: &str) -> Value {
    let query = format!(
        "query($id: ID!) {{ app(id: $id) {{ subscription {{ {SUBSCRIPTION_FIELDS} }} }} }}"
    );
    let response = app.gql(&query).var("id", id).token(token).send().await;
    response.data()["app"]["subscription"].clone()
}

async fn terms_costs_and_spend_are_read_back(app: TestApp) {
    app.manual_clock().set_today(day("2026-06-01"));
    let billing = app.token(&["BILLING_ADMIN"]);
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 10).await;
    assert_eq!(subscription(&app, &admin, &whiteboard).await, json!(null));
    let users = app.create_users(&admin, "member", 3).await;
    app.assign(&admin, &whiteboard, &users).await;

    let set = send(&app, &billing, year_2026(&whiteboard)).await;
    insta::assert_json_snapshot!("set", set.redacted());
    let payload = &set.data()["setSubscription"];
    assert_eq!(payload["userErrors"], json!([]));
    let s = &payload["app"]["subscription"];
    assert_eq!(s["state"], "ACTIVE");
    assert_eq!(s["daysToRenewal"], 213);
    assert_eq!(s["annualCost"], "125.00");
    assert_eq!(s["unusedSeatCost"], "87.50");
    assert_eq!(
        (s["noticeDays"].clone(), s["graceDays"].clone()),
        (json!(30), json!(30))
    );

    let yen = app.register_app(&admin, "Sketch", 7).await;
    let mut input = year_2026(&yen);
    input["pricePerSeat"] = json!("1200");
    input["currency"] = json!("JPY");
    input["autoRenew"] = json!(true);
    input["noticeDays"] = json!(60);
    input["lowSeatThreshold"] = json!(2);
    let set = send(&app, &admin, input).await;
    assert_eq!(set.data()["setSubscription"]["userErrors"], json!([]));

    let spend = app
        .gql("{ viewer { tenant { spend { currency subscriptions annualCost unusedSeatCost } } } }")
        .token(&billing)
        .send()
        .await;
    insta::assert_json_snapshot!("spend", spend.redacted());
    assert_eq!(
        spend.data()["viewer"]["tenant"]["spend"],
        json!([
            { "currency": "EUR", "subscriptions": 1, "annualCost": "125.00", "unusedSeatCost": "87.50" },
            { "currency": "JPY", "subscriptions": 1, "annualCost": "8400", "unusedSeatCost": "8400" },
        ])
    );
    let log = app
        .gql("{ auditLog(first: 1) { nodes { action } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        log.data()["auditLog"]["nodes"][0]["action"],
        "SUBSCRIPTION_SET"
    );
}

async fn a_disabled_app_refuses_new_assignments_until_renewed(app: TestApp) {
    let clock = app.manual_clock();
    clock.set_today(day("2026-06-01"));
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 5).await;
    let ada = app.create_user(&admin, "Ada", "ada@contoso.example").await;
    let grace = app
        .create_user(&admin, "Grace", "grace@contoso.example")
        .await;
    let design = app
        .create_group(&admin, "Design", std::slice::from_ref(&grace))
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&ada))
        .await;
    send(&app, &admin, year_2026(&whiteboard)).await;

    let walk = [
        ("2026-12-01", "EXPIRING", 30),
        ("2027-01-01", "EXPIRED", -1),
        ("2027-01-30", "EXPIRED", -30),
        ("2027-01-31", "DISABLED", -31),
    ];
    for (today, state, days) in walk {
        clock.set_today(day(today));
        let s = subscription(&app, &admin, &whiteboard).await;
        assert_eq!(
            (s["state"].clone(), s["daysToRenewal"].clone()),
            (json!(state), json!(days)),
            "{today}"
        );
    }

    // Direct and group assignments are both refused, and nothing changes.
    let refused_direct = app
        .assign(&admin, &whiteboard, std::slice::from_ref(&grace))
        .await;
    let refused_group = app
        .assign(&admin, &whiteboard, std::slice::from_ref(&design))
        .await;
    insta::assert_json_snapshot!("refused_while_disabled", refused_direct);
    for refused in [&refused_direct, &refused_group] {
        assert_eq!(refused["app"], json!(null));
        assert_eq!(refused["userErrors"][0]["code"], "SUBSCRIPTION_INACTIVE");
        assert_eq!(refused["userErrors"][0]["field"], "appId");
    }
    assert_eq!(
        app.seats(&admin, &whiteboard).await,
        json!({ "purchased": 5, "assigned": 1, "available": 4 }),
        "Ada keeps her seat; nobody new took one"
    );

    // A renewal brings the app back.
    let mut renewal = year_2026(&whiteboard);
    renewal["termStart"] = json!("2027-01-01");
    renewal["termEnd"] = json!("2027-12-31");
    let renewed = send(&app, &admin, renewal).await;
    assert_eq!(
        renewed.data()["setSubscription"]["app"]["subscription"]["state"],
        "ACTIVE"
    );
    let assigned = app.assign(&admin, &whiteboard, &[design]).await;
    assert_eq!(assigned["userErrors"], json!([]));
    assert_eq!(assigned["app"]["seats"]["assigned"], 2);
}

async fn bad_terms_change_nothing(app: TestApp) {
    app.manual_clock().set_today(day("2026-06-01"));
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 3).await;
    let with = |key: &str, value: Value| {
        let mut input = year_2026(&whiteboard);
        input[key] = value;
        input
    };
    let cases = [
        (with("termEnd", json!("2025-12-31")), "termEnd"),
        (with("pricePerSeat", json!("-1.00")), "pricePerSeat"),
        (with("pricePerSeat", json!("0.00001")), "pricePerSeat"),
        (with("currency", json!("eur")), "currency"),
        (with("currency", json!("ABC")), "currency"),
        (with("noticeDays", json!(400)), "noticeDays"),
        (with("graceDays", json!(-1)), "graceDays"),
        (with("lowSeatThreshold", json!(-5)), "lowSeatThreshold"),
    ];
    let mut responses = Vec::new();
    for (input, field) in cases {
        let response = send(&app, &admin, input).await;
        let payload = &response.data()["setSubscription"];
        assert_eq!(payload["app"], json!(null));
        assert_eq!(payload["userErrors"][0]["field"], field, "{payload:#}");
        assert_eq!(payload["userErrors"][0]["code"], "INVALID_INPUT");
        responses.push(response.redacted());
    }
    insta::assert_json_snapshot!("refused", responses);
    assert_eq!(subscription(&app, &admin, &whiteboard).await, json!(null));

    // Malformed scalars never reach the resolver: a float price, a date
    // in another format.
    let float_price = send(&app, &admin, with("pricePerSeat", json!(12.5))).await;
    assert_eq!(float_price.error_code(), "GRAPHQL_VALIDATION_FAILED");
    let bad_date = send(&app, &admin, with("termStart", json!("01/01/2026"))).await;
    assert_eq!(bad_date.error_code(), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(subscription(&app, &admin, &whiteboard).await, json!(null));
}

async fn roles_and_tenants_are_enforced(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 3).await;
    for role in ["USER_ADMIN", "LICENSE_ADMIN", "GLOBAL_READER"] {
        let refused = send(&app, &app.token(&[role]), year_2026(&whiteboard)).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{role}");
    }
    let permissions = app
        .gql("{ viewer { permissions } }")
        .token(&app.token(&["BILLING_ADMIN"]))
        .send()
        .await;
    assert!(
        permissions.data()["viewer"]["permissions"]
            .as_array()
            .is_some_and(|p| p.contains(&json!("MANAGE_SUBSCRIPTIONS")))
    );

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let foreign = send(&app, &other_admin, year_2026(&whiteboard)).await;
    let payload = &foreign.data()["setSubscription"];
    assert_eq!(payload["userErrors"][0]["field"], "appId");
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(subscription(&app, &admin, &whiteboard).await, json!(null));
}

e2e_on_both_backends!(
    manual_clock: terms_costs_and_spend_are_read_back,
    a_disabled_app_refuses_new_assignments_until_renewed,
    bad_terms_change_nothing,
    roles_and_tenants_are_enforced,
);
