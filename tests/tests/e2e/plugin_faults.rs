//! Misbehaving plugins are contained: a panic, a hang or garbage fails that
//! call with a clear message, plugins with a wrong ABI or no entry symbol are
//! refused at load, and the server and the good plugins keep working.
//! Storage plays no part here, so these run on SQLite only.

use seatwise_e2e::{Backend, Plugin, PluginDir, TestApp};
use serde_json::json;

use crate::vendor_support::start_with_plugins;

const ALL: [Plugin; 7] = Plugin::ALL;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_plugins_fail_their_calls_and_nothing_else() {
    let (app, _plugins) = start_with_plugins(Backend::Sqlite, &ALL)
        .await
        .expect("SQLite always starts");
    let admin = app.admin_token();

    // Refused at load, with the reason in the log; the others load.
    let log = app.server_log();
    assert!(
        log.contains("plugin_bad_abi") && log.contains("ABI v"),
        "{log}"
    );
    assert!(
        log.contains("plugin_bad_no_entry") && log.contains("missing entry symbol"),
        "{log}"
    );
    let register = |name: &'static str, key: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.register_app_with_adapter(
                &admin,
                name,
                2,
                Some(key),
                json!({ "signing_secret": "s" }),
            )
            .await
        }
    };
    let panics = register("Panicky", "bad-panic").await;
    let hangs = register("Hangy", "bad-hang").await;
    let garbage = register("Garbage", "bad-garbage").await;
    let good = register("Contoso Good", "contoso").await;

    let panic_op = app.request_seat_change(&admin, &panics, 3, "p").await;
    let hang_op = app.request_seat_change(&admin, &hangs, 3, "h").await;
    let garbage_op = app.request_seat_change(&admin, &garbage, 3, "g").await;
    let good_op = app.request_seat_change(&admin, &good, 3, "c").await;
    let id =
        |payload: &serde_json::Value| payload["operation"]["id"].as_str().expect("id").to_owned();

    let failed = app.wait_for_final_seat_change(&admin, &id(&panic_op)).await;
    assert_eq!(failed["status"], "FAILED", "{failed:#}");
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("panicked"),
        "{failed:#}"
    );

    let failed = app
        .wait_for_final_seat_change(&admin, &id(&garbage_op))
        .await;
    assert_eq!(failed["status"], "FAILED", "{failed:#}");
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("malformed"),
        "{failed:#}"
    );

    let done = app.wait_for_final_seat_change(&admin, &id(&good_op)).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done:#}");

    // The hung call times out (retried later); the server keeps answering.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let op = app.seat_change(&admin, &id(&hang_op)).await;
        if op["attempts"].as_i64().unwrap_or(0) >= 1 {
            assert_eq!(op["status"], "PENDING", "{op:#}");
            assert!(
                op["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("did not answer within"),
                "{op:#}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the hang never timed out: {op:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let viewer = app
        .gql("{ viewer { tenant { name } } }")
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        viewer.data()["viewer"]["tenant"]["name"],
        "Test Organisation"
    );

    // Install through misbehaving plugins: a clear ADAPTER_ERROR.
    for (target, expected) in [(&panics, "panicked"), (&garbage, "https")] {
        let install = app
            .gql("mutation($input: InstallAppInput!) { installApp(input: $input) { redirectUrl userErrors { code message } } }")
            .var("input", json!({ "appId": target, "returnUrl": "https://admin.example/" }))
            .token(&admin)
            .send()
            .await;
        let error = &install.data()["installApp"]["userErrors"][0];
        assert_eq!(error["code"], "ADAPTER_ERROR", "{error:#}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{error:#}");
        // The garbage plugin's refused link is signed: its token is not shown.
        assert!(!message.contains("s3cr3t"), "{error:#}");
        assert!(!message.contains("t0ken"), "{error:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_cli_lists_and_inspects() {
    let app = TestApp::start(Backend::Sqlite)
        .await
        .expect("SQLite always starts");
    let dir = PluginDir::with(&ALL);
    let dir_arg = dir.path().to_str().expect("UTF-8 path");

    let list = app.cli(&["plugins", "list", "--plugins", dir_arg], &[]);
    assert_eq!(list.lines().count(), 7, "{list}");
    assert!(list.contains("loaded adapter `contoso`"), "{list}");
    assert!(list.contains("loaded adapter `fabrikam`"), "{list}");
    assert!(list.contains("refused: plugin built for ABI v"), "{list}");
    assert!(list.contains("refused: missing entry symbol"), "{list}");

    let good = dir.path().join(Plugin::Contoso.file_name());
    let output = app.cli_output(&["plugins", "inspect", good.to_str().expect("UTF-8")], &[]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("loaded adapter `contoso`") && text.contains("install redirect: yes"),
        "{text}"
    );

    let bad = dir.path().join(Plugin::BadAbi.file_name());
    let output = app.cli_output(&["plugins", "inspect", bad.to_str().expect("UTF-8")], &[]);
    assert!(!output.status.success(), "a refused plugin fails inspect");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("refused: plugin built for ABI v"), "{text}");
}
