//! Seat-change operations are durable: a restart resumes a pending one, and
//! two servers on one PostgreSQL database carry each operation out exactly
//! once.

use std::collections::HashMap;

use seatwise_e2e::{Backend, Plugin, e2e_for_each_backend};
use serde_json::json;

use crate::vendor_support::start_with_plugins;

async fn restart_resumes_a_pending_operation(backend: Backend) {
    let Some((mut app, _plugins)) = start_with_plugins(backend, &[Plugin::Fabrikam]).await else {
        return;
    };
    let admin = app.admin_token();
    let crm = app
        .register_app_with_adapter(
            &admin,
            "Fabrikam CRM",
            3,
            Some("fabrikam"),
            json!({ "complete_after_ms": 2500 }),
        )
        .await;
    let requested = app.request_seat_change(&admin, &crm, 7, "resume-me").await;
    let id = requested["operation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Wait until Fabrikam accepted it, then restart mid-flight.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.seat_change(&admin, &id).await["status"] != "IN_PROGRESS" {
        assert!(std::time::Instant::now() < deadline, "never accepted");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.restart().await;

    let done = app.wait_for_final_seat_change(&admin, &id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done:#}");
    assert_eq!(done["app"]["seats"]["purchased"], 7);
}

async fn two_servers_complete_each_operation_once(backend: Backend) {
    if backend == Backend::Sqlite {
        // Replicas need a shared database server; SQLite serves one process.
        return;
    }
    let Some((first, _plugins)) =
        start_with_plugins(backend, &[Plugin::Contoso, Plugin::Fabrikam]).await
    else {
        return;
    };
    let second = first.replica().await;
    let admin = first.admin_token();
    let mut ids = Vec::new();
    for n in 0..10 {
        let (key, settings) = if n % 2 == 0 {
            ("contoso", json!({}))
        } else {
            ("fabrikam", json!({ "complete_after_ms": 200 }))
        };
        let app_id = first
            .register_app_with_adapter(&admin, &format!("App {n}"), 1, Some(key), settings)
            .await;
        // Requests arrive at either server.
        let server = if n % 2 == 0 { &first } else { &second };
        let requested = server
            .request_seat_change(&admin, &app_id, 10 + n, &format!("op-{n}"))
            .await;
        ids.push((
            app_id,
            requested["operation"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
            10 + n,
        ));
    }
    for (_, id, quantity) in &ids {
        let done = first.wait_for_final_seat_change(&admin, id).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done:#}");
        assert_eq!(done["app"]["seats"]["purchased"], *quantity);
    }
    // Exactly one completion per operation in the audit trail.
    let log = first
        .gql("{ auditLog(first: 100) { nodes { action details } } }")
        .token(&admin)
        .send()
        .await;
    let mut succeeded: HashMap<String, usize> = HashMap::new();
    for event in log.data()["auditLog"]["nodes"].as_array().expect("nodes") {
        if event["action"] == "SEAT_CHANGE_SUCCEEDED" {
            let op = event["details"]["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *succeeded.entry(op).or_default() += 1;
        }
    }
    assert_eq!(succeeded.len(), 10, "{succeeded:?}");
    assert!(succeeded.values().all(|count| *count == 1), "{succeeded:?}");
    // Both servers' workers ran.
    for server in [&first, &second] {
        assert!(server.server_log().contains("seat-change worker started"));
    }
}

e2e_for_each_backend!(
    restart_resumes_a_pending_operation,
    two_servers_complete_each_operation_once
);
