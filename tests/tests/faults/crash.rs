//! `kill -9` of the server in the middle of a 10,000-member group
//! assignment: after a restart the assignment is all there or not there at
//! all, `assigned` equals the users holding the license and never exceeds
//! the purchased seats, and the same assignment then succeeds.

use std::process::Command;
use std::time::{Duration, Instant};

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

use crate::support::{DirectDb, consistent_seats, seed_group};

const MEMBERS: i64 = 10_000;

async fn a_crash_mid_assignment_leaves_all_or_nothing(mut app: TestApp) {
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "Contoso CRM", MEMBERS).await;
    let everyone = seed_group(&app, "Everyone", MEMBERS as usize).await;
    let mut probe = DirectDb::open(&app).await;

    let body = json!({
        "query": "mutation($input: AssignLicensesInput!) { assignLicenses(input: $input) { app { seats { assigned } } } }",
        "variables": { "input": { "appId": crm, "principalIds": [everyone] } },
    });
    let request = app
        .http()
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .json(&body)
        .send();
    let pid = app.pid().to_string();
    let crash = async {
        // Kill once the assignment is writing licenses inside its
        // transaction (seen three probes in a row, so a short transaction
        // of the seat-change worker does not count).
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = 0;
        while seen < 3 {
            seen = if probe.license_write_in_progress().await {
                seen + 1
            } else {
                0
            };
            assert!(
                Instant::now() < deadline,
                "the assignment never started writing"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let killed = Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
    };
    let (answer, ()) = tokio::join!(request, crash);
    let answered = answer.is_ok_and(|r| r.status().is_success());
    drop(probe);

    app.kill_and_restart().await;
    let seats = consistent_seats(&app, &admin, &crm).await;
    eprintln!("after kill -9 mid-assignment (answered before the kill: {answered}): {seats:?}");
    match seats.assignments {
        0 => assert_eq!(
            seats.assigned, 0,
            "nothing of the assignment survives: {seats:?}"
        ),
        1 => assert_eq!(seats.assigned, MEMBERS, "all of it survives: {seats:?}"),
        _ => panic!("one assignment was made at most: {seats:?}"),
    }
    assert_eq!(seats.purchased, MEMBERS);

    // The restarted server makes the same assignment, whole.
    let assigned = app
        .assign(&admin, &crm, std::slice::from_ref(&everyone))
        .await;
    assert_eq!(assigned["userErrors"], json!([]), "{assigned:#}");
    let seats = consistent_seats(&app, &admin, &crm).await;
    assert_eq!((seats.assigned, seats.assignments), (MEMBERS, 1));
}

e2e_on_both_backends!(process: a_crash_mid_assignment_leaves_all_or_nothing);
