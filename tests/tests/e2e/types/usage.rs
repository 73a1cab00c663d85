//! `App.usage(idleDays)`: active users and idle seats (a keyset-paged
//! connection of `IdleSeat`) follow the server's clock; a holder never
//! seen is idle once the seat is `idleDays` old; `idleDays` out of range
//! is a top-level INVALID_INPUT. On the licenses list, `idleSeatCount`
//! and `idleSeatCost` answer for every app of the page.

use chrono::Utc;
use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

const USAGE: &str = "query($id: ID!, $days: Int!, $after: String) {
    app(id: $id) {
        usage(idleDays: $days) {
            idleDays activeUsers
            idleSeats(first: 1, after: $after) {
                totalCount
                pageInfo { hasNextPage endCursor }
                nodes { user { displayName } lastActiveAt assignedDirectly heldThroughGroup }
            }
        }
    }
}";

async fn usage(app: &TestApp, token: &str, id: &str, days: i64, after: Value) -> Value {
    let response = app
        .gql(USAGE)
        .var("id", id)
        .var("days", days)
        .var("after", after)
        .token(token)
        .send()
        .await;
    response.data()["app"]["usage"].clone()
}

async fn active_users_and_idle_seats_follow_the_clock(app: TestApp) {
    app.manual_clock().set_today(Utc::now().date_naive());
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 5).await;
    let ann = app.create_user(&admin, "Ann", "ann@example.com").await;
    let bob = app.create_user(&admin, "Bob", "bob@example.com").await;
    let cleo = app.create_user(&admin, "Cleo", "cleo@example.com").await;
    app.assign(&admin, &whiteboard, &[ann, bob.clone()]).await;
    let team = app.create_group(&admin, "Team", &[cleo]).await;
    app.assign(&admin, &whiteboard, &[team]).await;
    app.import_usage(
        &admin,
        &whiteboard,
        json!([{ "userId": bob, "lastActiveAt": app.manual_clock().clock().now() }]),
    )
    .await;

    let today = usage(&app, &admin, &whiteboard, 30, json!(null)).await;
    assert_eq!(today["activeUsers"], 1);
    assert_eq!(
        today["idleSeats"]["totalCount"], 0,
        "new seats are not idle yet"
    );

    app.manual_clock().advance_days(31);
    let response = app
        .gql(USAGE)
        .var("id", whiteboard.as_str())
        .var("days", 30)
        .var("after", json!(null))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("idle_after_31_days", response.redacted());
    let later = response.data()["app"]["usage"].clone();
    assert_eq!(later["activeUsers"], 0);
    assert_eq!(later["idleSeats"]["totalCount"], 3);
    assert_eq!(later["idleSeats"]["pageInfo"]["hasNextPage"], true);
    let mut seen = vec![later["idleSeats"]["nodes"][0].clone()];
    let mut after = later["idleSeats"]["pageInfo"]["endCursor"].clone();
    for _ in 0..2 {
        let page = usage(&app, &admin, &whiteboard, 30, after).await;
        seen.push(page["idleSeats"]["nodes"][0].clone());
        after = page["idleSeats"]["pageInfo"]["endCursor"].clone();
    }
    let cleo_seat = seen
        .iter()
        .find(|s| s["user"]["displayName"] == "Cleo")
        .expect("Cleo is idle");
    assert_eq!(
        (
            cleo_seat["assignedDirectly"].clone(),
            cleo_seat["heldThroughGroup"].clone()
        ),
        (json!(false), json!(true))
    );
    // A longer window: Bob, seen 31 days ago, is active again.
    assert_eq!(
        usage(&app, &admin, &whiteboard, 60, json!(null)).await["activeUsers"],
        1
    );

    let refused = app
        .gql(USAGE)
        .var("id", whiteboard.as_str())
        .var("days", 0)
        .var("after", json!(null))
        .token(&admin)
        .send()
        .await;
    assert_eq!(refused.error_code(), "INVALID_INPUT");
}

/// The licenses list's idle columns, as the console asks for them.
const LIST_IDLE: &str = "query {
    apps(first: 10) {
        nodes { name subscription { currency } usage { idleSeatCount idleSeatCost } }
    }
}";

async fn the_licenses_list_counts_idle_seats_and_their_cost(app: TestApp) {
    app.manual_clock().set_today(Utc::now().date_naive());
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Whiteboard", 10).await;
    let notes = app.register_app(&admin, "Notes", 10).await;
    let users = app.create_users(&admin, "idle", 4).await;
    app.assign(&admin, &whiteboard, &users).await;
    app.assign(&admin, &notes, &users[..1]).await;
    let today = app.manual_clock().clock().today();
    let set = app
        .gql("mutation($input: SetSubscriptionInput!) { setSubscription(input: $input) { userErrors { code } } }")
        .var("input", json!({ "appId": whiteboard,
            "termStart": today.to_string(),
            "termEnd": (today + chrono::Days::new(365)).to_string(),
            "pricePerSeat": "12.50", "currency": "EUR" }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(set.data()["setSubscription"]["userErrors"], json!([]));

    // 31 days on, the one Whiteboard user seen yesterday is active; the
    // other three and Notes' only holder are idle.
    app.manual_clock().advance_days(31);
    let yesterday = app.manual_clock().clock().now() - chrono::Duration::days(1);
    app.import_usage(
        &admin,
        &whiteboard,
        json!([{ "userId": users[0], "lastActiveAt": yesterday }]),
    )
    .await;
    let response = app.gql(LIST_IDLE).token(&admin).send().await;
    insta::assert_json_snapshot!("licenses_list_idle_columns", response.redacted());
    assert_eq!(
        response.data()["apps"]["nodes"],
        json!([
            { "name": "Notes", "subscription": null,
              "usage": { "idleSeatCount": 1, "idleSeatCost": null } },
            { "name": "Whiteboard", "subscription": { "currency": "EUR" },
              "usage": { "idleSeatCount": 3, "idleSeatCost": "37.50" } },
        ])
    );
}

e2e_on_both_backends!(manual_clock: active_users_and_idle_seats_follow_the_clock);
e2e_on_both_backends!(manual_clock: the_licenses_list_counts_idle_seats_and_their_cost);
