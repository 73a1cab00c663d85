//! Inbound vendor webhooks end to end, through the real server with the
//! real example plugins: `POST /vendors/{adapterKey}/webhook?app=…`, signed
//! with HMAC-SHA256 by the "vendor" (this test) with the app's
//! `webhook_secret`. Fabrikam finishes a pending seat change at once;
//! Contoso renews a subscription; bad signatures, bad bodies and wrong
//! apps or adapters change nothing; a hung vendor past its limit of
//! webhooks in flight (429) does not hold back another vendor's.

use hmac::{Hmac, KeyInit, Mac};
use seatwise_e2e::{Backend, Plugin, TestApp, e2e_for_each_backend};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::vendor_support::{
    adapter_metric, start_with_plugins, start_with_plugins_and_env, wait_for_metric,
};

e2e_for_each_backend!(
    a_signed_webhook_finishes_a_pending_seat_change_at_once,
    a_renewal_brings_an_expired_app_back_to_active,
);

const SECRET: &str = "vendor-webhook-test-secret";

fn hex_hmac(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// POST `body` to `path` (from `vendorWebhookUrl`) with `headers`; the
/// status and JSON answer.
async fn post(app: &TestApp, path: &str, headers: &[(&str, String)], body: String) -> (u16, Value) {
    let mut request = app.http().post(app.url(path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let json = response.json().await.unwrap_or(Value::Null);
    (status, json)
}

async fn webhook_url(app: &TestApp, token: &str, id: &str) -> Value {
    let answer = app
        .gql("query($id: ID!) { app(id: $id) { vendorWebhookUrl adapter { vendorWebhooks } } }")
        .var("id", id)
        .token(token)
        .send()
        .await;
    answer.data()["app"].clone()
}

async fn a_signed_webhook_finishes_a_pending_seat_change_at_once(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins(backend, &[Plugin::Fabrikam]).await else {
        return;
    };
    let admin = app.admin_token();
    // Fabrikam would take ten minutes: only its webhook can finish in time.
    let settings = json!({ "complete_after_ms": 600_000, "webhook_secret": SECRET });
    let crm = app
        .register_app_with_adapter(&admin, "Fabrikam CRM", 2, Some("fabrikam"), settings)
        .await;
    let shown = webhook_url(&app, &admin, &crm).await;
    assert_eq!(shown["adapter"]["vendorWebhooks"], true);
    let path = shown["vendorWebhookUrl"]
        .as_str()
        .expect("a webhook URL")
        .to_owned();
    assert!(path.starts_with("/vendors/fabrikam/webhook?app="), "{path}");

    let requested = app.request_seat_change(&admin, &crm, 5, "buy-3").await;
    assert_eq!(requested["userErrors"], json!([]), "{requested:#}");
    let id = requested["operation"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let reference = loop {
        let op = app.seat_change(&admin, &id).await;
        if let Some(reference) = op["vendorReference"].as_str() {
            assert_eq!(op["status"], "IN_PROGRESS");
            break reference.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never accepted: {op:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let unchanged = |op: &Value| {
        assert_eq!(op["status"], "IN_PROGRESS", "{op:#}");
        assert_eq!(op["app"]["seats"]["purchased"], 2, "{op:#}");
    };

    let completed = json!({ "events": [
        { "type": "provisioning.completed", "reference": reference, "seats": 5 }
    ] })
    .to_string();

    // A wrong signature, or none: 401, nothing changes.
    let (status, _) = post(
        &app,
        &path,
        &[(
            "x-fabrikam-signature",
            hex_hmac("not-the-secret", &completed),
        )],
        completed.clone(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = post(&app, &path, &[], completed.clone()).await;
    assert_eq!(status, 401);
    unchanged(&app.seat_change(&admin, &id).await);

    // Signed but unreadable: 400, nothing changes.
    let garbage = "{\"events\": 5}".to_owned();
    let (status, _) = post(
        &app,
        &path,
        &[("x-fabrikam-signature", hex_hmac(SECRET, &garbage))],
        garbage,
    )
    .await;
    assert_eq!(status, 400);
    unchanged(&app.seat_change(&admin, &id).await);

    // Wrong app, wrong adapter, no app: 404, nothing changes.
    let plain = app.register_app(&admin, "No adapter", 1).await;
    let plain_target = path.replacen(
        path.split("app=").nth(1).expect("an app parameter"),
        &webhook_target_of_other_app(&path, &plain),
        1,
    );
    let signed = [("x-fabrikam-signature", hex_hmac(SECRET, &completed))];
    for wrong in [
        plain_target,
        path.replace("/vendors/fabrikam/", "/vendors/contoso/"),
        path.replace("/vendors/fabrikam/", "/vendors/nosuch/"),
        "/vendors/fabrikam/webhook?app=bm90LWFuLWFwcA".to_owned(),
        "/vendors/fabrikam/webhook".to_owned(),
    ] {
        let (status, _) = post(&app, &wrong, &signed, completed.clone()).await;
        assert_eq!(status, 404, "{wrong}");
    }
    unchanged(&app.seat_change(&admin, &id).await);

    // Too large: 413.
    let huge = format!(
        "{{\"events\": [], \"pad\": \"{}\"}}",
        "x".repeat(300 * 1024)
    );
    let (status, _) = post(
        &app,
        &path,
        &[("x-fabrikam-signature", hex_hmac(SECRET, &huge))],
        huge,
    )
    .await;
    assert_eq!(status, 413);
    unchanged(&app.seat_change(&admin, &id).await);

    // Signed: finished by the time the vendor gets its answer.
    let (status, answer) = post(&app, &path, &signed, completed.clone()).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["applied"], 1);
    let op = app.seat_change(&admin, &id).await;
    assert_eq!(op["status"], "SUCCEEDED", "{op:#}");
    assert_eq!(op["app"]["seats"]["purchased"], 5);

    // Sent again: matches no open seat change any more, and changes nothing.
    let (status, answer) = post(&app, &path, &signed, completed).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(
        (answer["applied"].clone(), answer["ignored"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(
        app.seat_change(&admin, &id).await["app"]["seats"]["purchased"],
        5
    );
}

/// The `app=` value for `other` (a GraphQL app id of the same tenant):
/// the same tenant, another app.
fn webhook_target_of_other_app(path: &str, other: &str) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decode =
        |text: &str| String::from_utf8(engine.decode(text).expect("base64url")).expect("UTF-8");
    let target = decode(path.split("app=").nth(1).expect("an app parameter"));
    let tenant = target.split(':').nth(1).expect("VendorWebhook:tenant:app");
    let app = decode(other);
    let app = app.split_once(':').expect("App:uuid").1;
    engine.encode(format!("VendorWebhook:{tenant}:{app}"))
}

async fn a_renewal_brings_an_expired_app_back_to_active(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins(backend, &[Plugin::Contoso]).await else {
        return;
    };
    let admin = app.admin_token();
    let office = app
        .register_app_with_adapter(
            &admin,
            "Contoso Office",
            3,
            Some("contoso"),
            json!({ "signing_secret": "install-secret", "webhook_secret": SECRET }),
        )
        .await;
    let path = webhook_url(&app, &admin, &office).await["vendorWebhookUrl"]
        .as_str()
        .expect("a webhook URL")
        .to_owned();
    // The server runs the system clock: the term ended five days ago.
    let today = chrono::Utc::now().date_naive();
    let set = app
        .gql("mutation($input: SetSubscriptionInput!) { setSubscription(input: $input) { userErrors { code } } }")
        .var("input", json!({ "appId": office,
            "termStart": (today - chrono::Days::new(370)).to_string(),
            "termEnd": (today - chrono::Days::new(5)).to_string(),
            "pricePerSeat": "9.00", "currency": "EUR", "graceDays": 30 }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(set.data()["setSubscription"]["userErrors"], json!([]));
    let state = || async {
        app.gql("query($id: ID!) { app(id: $id) { subscription { state termEnd autoRenew } } }")
            .var("id", office.as_str())
            .token(&admin)
            .send()
            .await
            .data()["app"]["subscription"]
            .clone()
    };
    assert_eq!(state().await["state"], "EXPIRED");

    let new_end = (today + chrono::Days::new(365)).to_string();
    let renewed = json!({ "events": [
        { "type": "subscription.renewed", "term_end": new_end, "auto_renew": true }
    ] })
    .to_string();
    let signature = format!("sha256={}", hex_hmac(SECRET, &renewed));
    let (status, answer) = post(&app, &path, &[("x-contoso-signature", signature)], renewed).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(
        state().await,
        json!({ "state": "ACTIVE", "termEnd": new_end, "autoRenew": true })
    );
    // Audited with the vendor as the actor.
    let audit = app
        .gql("query($app: ID!) { auditLog(appId: $app, first: 100) { nodes { action actor } } }")
        .var("app", office.as_str())
        .token(&admin)
        .send()
        .await;
    let by_vendor = audit.data()["auditLog"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["action"] == "SUBSCRIPTION_SET" && n["actor"] == "vendor:contoso")
        .count();
    assert_eq!(by_vendor, 1, "{:#}", audit.data());

    // Usage is stored through the core; a record naming no user of the
    // organisation is skipped and counted.
    let usage = json!({ "events": [
        { "type": "usage", "users": [{ "email": "ann@example.test", "last_active_at": "2026-12-01T08:00:00Z" }] }
    ] })
    .to_string();
    let signature = format!("sha256={}", hex_hmac(SECRET, &usage));
    let (status, answer) = post(&app, &path, &[("x-contoso-signature", signature)], usage).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["applied"], 1, "{answer:#}");
    assert_eq!(answer["usageRecordsSkipped"], 1, "{answer:#}");
}

/// The per-adapter limit of webhooks in flight is the server's own (no
/// storage involved): SQLite only. A vendor whose plugin hangs holds all
/// of its slots; its next webhook is refused with 429 while another
/// vendor's webhook is handled and applied at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vendors_webhook_limit_leaves_another_vendors_webhooks_alone() {
    let limit = seatwise_api::vendor_inbound::CONCURRENCY_PER_ADAPTER;
    // The real call timeout: the hung webhooks hold their slots throughout.
    let (app, _plugins) = start_with_plugins_and_env(
        Backend::Sqlite,
        &[Plugin::Contoso, Plugin::BadHang],
        &[("SEATWISE_PLUGIN_TIMEOUT_MS", "30000")],
    )
    .await
    .expect("SQLite always starts");
    let admin = app.admin_token();
    let hangy = app
        .register_app_with_adapter(&admin, "Hangy", 2, Some("bad-hang"), json!({}))
        .await;
    let hung_path = webhook_url(&app, &admin, &hangy).await["vendorWebhookUrl"]
        .as_str()
        .expect("bad-hang takes webhooks")
        .to_owned();
    let ann = app.create_user(&admin, "Ann", "ann@example.com").await;
    let office = app
        .register_app_with_adapter(
            &admin,
            "Contoso Office",
            3,
            Some("contoso"),
            json!({ "webhook_secret": SECRET }),
        )
        .await;
    app.assign(&admin, &office, std::slice::from_ref(&ann))
        .await;
    let office_path = webhook_url(&app, &admin, &office).await["vendorWebhookUrl"]
        .as_str()
        .expect("contoso takes webhooks")
        .to_owned();

    // The hung vendor fills its slots: every call stays inside the plugin.
    let mut hung = tokio::task::JoinSet::new();
    for _ in 0..limit {
        let request = app.http().post(app.url(&hung_path)).body("{}");
        hung.spawn(async move { request.send().await });
    }
    wait_for_metric(
        &app,
        "seatwise_adapter_calls_running",
        "bad-hang",
        limit as f64,
    )
    .await;
    let (status, _) = post(&app, &hung_path, &[], "{}".to_owned()).await;
    assert_eq!(status, 429, "past the hung vendor's {limit} slots");

    // Contoso's webhook is handled meanwhile, and applied.
    let usage = json!({ "events": [
        { "type": "usage", "users": [{ "email": "ann@example.com", "last_active_at": "2026-11-30T08:00:00Z" }] }
    ] })
    .to_string();
    let signature = format!("sha256={}", hex_hmac(SECRET, &usage));
    let started = std::time::Instant::now();
    let (status, answer) = post(
        &app,
        &office_path,
        &[("x-contoso-signature", signature)],
        usage,
    )
    .await;
    assert_eq!(status, 200, "{answer:#}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "not held behind the hung vendor's 30 s timeout"
    );
    let license = app
        .gql("query($id: ID!) { user(id: $id) { licenses { nodes { lastActiveAt } } } }")
        .var("id", ann.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        license.data()["user"]["licenses"]["nodes"][0]["lastActiveAt"],
        "2026-11-30T08:00:00+00:00"
    );
    // The hung vendor's slots are still all taken.
    assert_eq!(
        adapter_metric(&app, "seatwise_adapter_calls_running", "bad-hang").await,
        Some(limit as f64)
    );
    hung.abort_all();
}
