//! The usage worker polls the Contoso plugin (which reports the users of
//! its `usage_report` setting) and records their last activity; an app
//! whose adapter fails (bad settings) is logged and retried, and does not
//! hold back another app of the same adapter. An app whose adapter hangs
//! in `report_usage` times out, is logged and counted as failed, and the
//! other apps — of that adapter and of another — are still polled.

use std::time::{Duration, Instant};

use seatwise_e2e::{Backend, Plugin, TestApp, e2e_for_each_backend};
use serde_json::{Value, json};

use crate::vendor_support::start_with_plugins_and_env;

/// `seatwise_usage_polls_total` of `adapter` with `outcome` (`ok` or
/// `failed`); 0 before the first.
async fn polls(app: &TestApp, adapter: &str, outcome: &str) -> f64 {
    app.metric(&format!(
        "seatwise_usage_polls_total{{adapter=\"{adapter}\",outcome=\"{outcome}\"}}"
    ))
    .await
    .unwrap_or(0.0)
}

/// 2023-11-14T22:13:20Z, as Unix seconds.
const SEEN_AT: u64 = 1_700_000_000;

async fn last_active_at(app: &TestApp, token: &str, user: &str) -> Value {
    let response = app
        .gql("query($id: ID!) { user(id: $id) { licenses { nodes { lastActiveAt } } } }")
        .var("id", user)
        .token(token)
        .send()
        .await;
    response.data()["user"]["licenses"]["nodes"][0]["lastActiveAt"].clone()
}

async fn the_worker_records_what_the_adapter_reports(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins_and_env(
        backend,
        &[Plugin::Contoso],
        &[("SEATWISE_USAGE_POLL_INTERVAL", "200ms")],
    )
    .await
    else {
        return;
    };
    let admin = app.admin_token();
    let ann = app.create_user(&admin, "Ann", "ann@example.com").await;
    // An app whose settings Contoso refuses: its polls fail, every time.
    let broken = app
        .register_app_with_adapter(
            &admin,
            "Contoso Broken",
            5,
            Some("contoso"),
            json!({ "usage_report": "not a list" }),
        )
        .await;
    app.assign(&admin, &broken, std::slice::from_ref(&ann))
        .await;
    let reporting = app
        .register_app_with_adapter(
            &admin,
            "Contoso Chat",
            5,
            Some("contoso"),
            json!({ "usage_report": [
                { "user_email": "ANN@example.com", "last_active_at": SEEN_AT },
                { "user_email": "stranger@example.com", "last_active_at": SEEN_AT },
            ] }),
        )
        .await;
    app.assign(&admin, &reporting, std::slice::from_ref(&ann))
        .await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let licenses = loop {
        let response = app
            .gql(
                "query($id: ID!) { user(id: $id) { licenses { nodes {
                    app { name } lastActiveAt } } } }",
            )
            .var("id", ann.as_str())
            .token(&admin)
            .send()
            .await;
        let nodes = response.data()["user"]["licenses"]["nodes"].clone();
        let reported = nodes
            .as_array()
            .is_some_and(|n| n.iter().any(|l| !l["lastActiveAt"].is_null()));
        if reported {
            break nodes;
        }
        assert!(Instant::now() < deadline, "never polled: {nodes:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        licenses,
        json!([
            { "app": { "name": "Contoso Broken" }, "lastActiveAt": null },
            { "app": { "name": "Contoso Chat" }, "lastActiveAt": "2023-11-14T22:13:20+00:00" },
        ])
    );
    // The broken app failed and keeps failing (and being retried): counted.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = app
            .http()
            .get(app.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        let failed = metrics.lines().any(|l| {
            l.starts_with("seatwise_usage_polls_total{adapter=\"contoso\",outcome=\"failed\"}")
        });
        let ok = metrics.lines().any(|l| {
            l.starts_with("seatwise_usage_polls_total{adapter=\"contoso\",outcome=\"ok\"}")
        });
        if failed && ok {
            break;
        }
        assert!(Instant::now() < deadline, "no poll outcomes in:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        app.server_log().contains("usage poll failed"),
        "the failure is logged"
    );
    assert_eq!(
        last_active_at(&app, &admin, &ann).await,
        json!(null),
        "first license: broken app"
    );
}

async fn a_hung_usage_report_times_out_and_other_apps_are_still_polled(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins_and_env(
        backend,
        &[Plugin::Contoso, Plugin::BadHang],
        &[
            ("SEATWISE_USAGE_POLL_INTERVAL", "200ms"),
            // Calls time out after 500 ms (FAST_ENV); no quarantine within
            // the test, so every later poll of the hung app times out too.
            ("SEATWISE_PLUGIN_MAX_ABANDONED", "1000"),
        ],
    )
    .await
    else {
        return;
    };
    let admin = app.admin_token();
    let ann = app.create_user(&admin, "Ann", "ann@example.com").await;
    app.register_app_with_adapter(
        &admin,
        "Hangy",
        5,
        Some("bad-hang"),
        json!({ "hang_usage_report": true }),
    )
    .await;
    // The same adapter's other app answers at once (an empty report).
    app.register_app_with_adapter(&admin, "Hangy Sibling", 5, Some("bad-hang"), json!({}))
        .await;
    let chat = app
        .register_app_with_adapter(
            &admin,
            "Contoso Chat",
            5,
            Some("contoso"),
            json!({ "usage_report": [{ "user_email": "ann@example.com", "last_active_at": SEEN_AT }] }),
        )
        .await;
    app.assign(&admin, &chat, std::slice::from_ref(&ann)).await;

    // The hung app has timed out (and been retried) at least twice while
    // its sibling and the Contoso app were polled again and again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let hung_failed = polls(&app, "bad-hang", "failed").await;
        let sibling_ok = polls(&app, "bad-hang", "ok").await;
        let contoso_ok = polls(&app, "contoso", "ok").await;
        if hung_failed >= 2.0 && sibling_ok >= 2.0 && contoso_ok >= 2.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "bad-hang failed {hung_failed}, bad-hang ok {sibling_ok}, contoso ok {contoso_ok}\n{}",
            app.server_log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        last_active_at(&app, &admin, &ann).await,
        json!("2023-11-14T22:13:20+00:00"),
        "Contoso's report is recorded"
    );
    let log = app.server_log();
    assert!(
        log.lines().any(|line| line.contains("usage poll failed")
            && line.contains("bad-hang")
            && line.contains("the adapter did not answer within 500ms")),
        "the timeout is logged with its adapter:\n{log}"
    );
}

e2e_for_each_backend!(
    the_worker_records_what_the_adapter_reports,
    a_hung_usage_report_times_out_and_other_apps_are_still_polled,
);
