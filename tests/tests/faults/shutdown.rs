//! SIGTERM lets requests in flight finish: a slow assignment (held behind
//! a lock the test owns) sent before the signal gets its full answer, the
//! server stops taking new connections meanwhile, and exits cleanly after.

use std::process::Command;
use std::time::{Duration, Instant};

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

use crate::support::{DirectDb, uuid_of};

async fn sigterm_finishes_requests_in_flight(mut app: TestApp) {
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "Contoso CRM", 10).await;
    let ada = app.create_user(&admin, "Ada", "ada@example.com").await;

    // The assignment will wait for this lock: a slow request.
    let mut db = DirectDb::open(&app).await;
    db.hold_write_lock(uuid_of(&crm)).await;
    let body = json!({
        "query": "mutation($input: AssignLicensesInput!) {
            assignLicenses(input: $input) { app { seats { assigned } } userErrors { code } }
        }",
        "variables": { "input": { "appId": crm, "principalIds": [ada] } },
    });
    let slow = tokio::spawn(
        app.http()
            .post(app.url("/graphql"))
            .bearer_auth(&admin)
            .json(&body)
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!slow.is_finished(), "the request waits for the lock");

    let sent = Command::new("kill")
        .args(["-TERM", &app.pid().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());

    // New connections are refused while the slow request is still served.
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(&address).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the server still accepts connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !slow.is_finished(),
        "the request is still waiting for the lock"
    );
    assert!(app.exited().is_none(), "the server waits for the request");

    db.release().await;
    let answer = slow
        .await
        .expect("task")
        .expect("the slow request gets an answer");
    assert_eq!(answer.status().as_u16(), 200);
    let answer: Value = answer.json().await.expect("a whole JSON answer");
    assert_eq!(
        answer["data"]["assignLicenses"],
        json!({ "app": { "seats": { "assigned": 1 } }, "userErrors": [] }),
        "{answer:#}"
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = app.exited() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after its last request"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "clean exit: {status}");
}

e2e_on_both_backends!(process: sigterm_finishes_requests_in_flight);
