//! The example vendor adapters end to end through GraphQL: Contoso
//! (immediate seat changes, signed install URLs), Fabrikam (asynchronous,
//! watched over a websocket subscription), and apps without an adapter.

use seatwise_e2e::{Backend, Plugin, TestApp, e2e_for_each_backend};
use serde_json::json;

use crate::vendor_support::{
    audit_actions, start_with_plugins, start_with_plugins_and_env, watch_seat_change, ws_init,
};

fn contoso_settings() -> serde_json::Value {
    json!({
        "signing_secret": "contoso-test-secret",
        "install_base_url": "https://install.contoso.example",
        "max_seats": 50,
    })
}

async fn contoso_changes_seats_and_installs(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins(backend, &[Plugin::Contoso]).await else {
        return;
    };
    let admin = app.admin_token();
    let office = app
        .register_app_with_adapter(
            &admin,
            "Contoso Office",
            2,
            Some("contoso"),
            contoso_settings(),
        )
        .await;

    // The adapter shows on the app.
    let details = app
        .gql("query($id: ID!) { app(id: $id) { adapter { key displayName version seatChanges installRedirect } canInstall installUnavailableReason } }")
        .var("id", office.as_str())
        .token(&admin)
        .send()
        .await;
    let details = &details.data()["app"];
    assert_eq!(details["adapter"]["key"], "contoso");
    assert_eq!(details["adapter"]["seatChanges"], "IMMEDIATE");
    assert_eq!(details["adapter"]["installRedirect"], true);
    assert_eq!(details["canInstall"], true);
    assert!(details["installUnavailableReason"].is_null());

    // Two members take both seats; a third waits in COUNT_VIOLATION.
    let users = app.create_users(&admin, "Staff", 3).await;
    let group = app.create_group(&admin, "Staff", &users[..2]).await;
    assert_eq!(
        app.assign(&admin, &office, std::slice::from_ref(&group))
            .await["userErrors"],
        json!([])
    );
    let added = app
        .gql("mutation($input: AddGroupMembersInput!) { addGroupMembers(input: $input) { userErrors { code } } }")
        .var("input", json!({ "groupId": group, "userIds": [users[2]] }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(added.data()["addGroupMembers"]["userErrors"], json!([]));

    // Below the seats in use: refused before any vendor call, nothing recorded.
    let refused = app.request_seat_change(&admin, &office, 1, "too-few").await;
    assert_eq!(refused["operation"], json!(null));
    assert_eq!(
        refused["userErrors"][0]["code"], "SEATS_IN_USE",
        "{refused:#}"
    );
    let history = app
        .gql("query($id: ID!) { app(id: $id) { seatChangeOperations(first: 10) { totalCount } } }")
        .var("id", office.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        history.data()["app"]["seatChangeOperations"]["totalCount"],
        0
    );

    // A BILLING_ADMIN buys three more seats; the waiting user gets one.
    let billing = app.token(&["BILLING_ADMIN"]);
    let requested = app.request_seat_change(&billing, &office, 5, "buy-3").await;
    assert_eq!(requested["userErrors"], json!([]), "{requested:#}");
    let op = &requested["operation"];
    assert!(["PENDING", "SUCCEEDED"].contains(&op["status"].as_str().unwrap_or_default()));
    assert_eq!(op["previousQuantity"], 2);
    assert_eq!(op["requestedQuantity"], 5);
    let id = op["id"].as_str().expect("operation id").to_owned();
    let done = app.wait_for_final_seat_change(&admin, &id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done:#}");
    assert!(done["completedAt"].is_string());
    assert_eq!(
        done["app"]["seats"],
        json!({ "purchased": 5, "assigned": 3, "available": 2 })
    );
    assert_eq!(done["app"]["licenseErrorCount"], 0);

    // The operation is a Node, and listed on the app.
    let node = app
        .gql("query($id: ID!, $app: ID!) { node(id: $id) { id ... on SeatChangeOperation { status } } app(id: $app) { seatChangeOperations(first: 5) { nodes { id } } } }")
        .var("id", id.as_str())
        .var("app", office.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(node.data()["node"]["status"], "SUCCEEDED");
    assert_eq!(
        node.data()["app"]["seatChangeOperations"]["nodes"][0]["id"],
        id.as_str()
    );

    // Above the contract's maximum: Contoso rejects it.
    let too_many = app
        .request_seat_change(&admin, &office, 60, "buy-lots")
        .await;
    let id = too_many["operation"]["id"]
        .as_str()
        .expect("operation id")
        .to_owned();
    let rejected = app.wait_for_final_seat_change(&admin, &id).await;
    assert_eq!(rejected["status"], "REJECTED", "{rejected:#}");
    assert!(
        rejected["message"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 50")
    );
    assert_eq!(rejected["app"]["seats"]["purchased"], 5);

    // Install: a signed, short-lived https URL, and an audit event.
    let install = |token: String, return_url: &'static str| {
        let app = &app;
        let office = office.clone();
        async move {
            app.gql("mutation($input: InstallAppInput!) { installApp(input: $input) { redirectUrl expiresAt userErrors { field code message } } }")
                .var("input", json!({ "appId": office, "returnUrl": return_url }))
                .token(&token)
                .send()
                .await
        }
    };
    let installed = install(admin.clone(), "https://admin.example/apps").await;
    let payload = &installed.data()["installApp"];
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    let url = payload["redirectUrl"].as_str().expect("a redirect URL");
    assert!(url.starts_with("https://install.contoso.example"), "{url}");
    assert!(url.contains("sig=") && url.contains("exp="), "{url}");
    assert!(payload["expiresAt"].is_string());
    assert!(
        audit_actions(&app, &admin, &office)
            .await
            .contains(&"APP_INSTALL_REDIRECTED".to_owned())
    );

    // Only http(s) return URLs; only global admins install.
    let bad_return = install(admin.clone(), "javascript:alert(1)").await;
    let errors = &bad_return.data()["installApp"]["userErrors"];
    assert_eq!(errors[0]["code"], "INVALID_INPUT", "{errors:#}");
    assert_eq!(errors[0]["field"], "returnUrl");
    let forbidden = install(billing, "https://admin.example/apps").await;
    assert_eq!(forbidden.error_code(), "FORBIDDEN");
}

async fn fabrikam_completes_later_and_the_subscription_sees_it(backend: Backend) {
    // The operator sets aside a directory for plugin data; a tenant's
    // settings still name a file of their own, which must stay untouched.
    let operator_dir = std::env::temp_dir().join(format!(
        "seatwise-plugin-data-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let operator_dir_text = operator_dir.to_str().expect("UTF-8 path").to_owned();
    let Some((app, _plugins)) = start_with_plugins_and_env(
        backend,
        &[Plugin::Fabrikam],
        &[("SEATWISE_PLUGIN_DATA_DIR", operator_dir_text.as_str())],
    )
    .await
    else {
        return;
    };
    let admin = app.admin_token();
    let notice_log = operator_dir.join("fabrikam").join("notices.jsonl");
    let chosen_by_tenant = app.work_dir().join("tenant-chosen.jsonl");
    let crm = app
        .register_app_with_adapter(
            &admin,
            "Fabrikam CRM",
            3,
            Some("fabrikam"),
            json!({ "complete_after_ms": 1500, "notice_log": chosen_by_tenant }),
        )
        .await;
    let requested = app.request_seat_change(&admin, &crm, 10, "grow-crm").await;
    assert_eq!(requested["userErrors"], json!([]), "{requested:#}");
    assert_eq!(requested["operation"]["status"], "PENDING");
    let id = requested["operation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let events = watch_seat_change(&app, &admin, &id).await;
    let statuses: Vec<&str> = events.iter().filter_map(|e| e["status"].as_str()).collect();
    assert!(statuses.contains(&"IN_PROGRESS"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"SUCCEEDED"), "{statuses:?}");
    assert_eq!(
        events.last().expect("an event")["app"]["seats"]["purchased"],
        10
    );

    let done = app.seat_change(&admin, &id).await;
    assert!(done["vendorReference"].is_string(), "{done:#}");
    assert_eq!(done["app"]["seats"]["purchased"], 10);

    // Fabrikam wants assignment notices: it hears who gained and lost a seat.
    let users = app.create_users(&admin, "Fabrikam User", 2).await;
    app.assign(&admin, &crm, &users).await;
    app.unassign(&admin, &crm, &users[..1]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let notices = loop {
        let text = std::fs::read_to_string(&notice_log).unwrap_or_default();
        let notices: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON notice"))
            .collect();
        if notices.len() >= 2 {
            break notices;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "notices: {notices:?}\n{}",
            app.server_log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let emails = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["email"].as_str().map(str::to_owned))
            .collect()
    };
    let gained: Vec<String> = notices.iter().flat_map(|n| emails(&n["gained"])).collect();
    let lost: Vec<String> = notices.iter().flat_map(|n| emails(&n["lost"])).collect();
    assert_eq!(gained.len(), 2, "{notices:?}");
    assert_eq!(
        lost,
        vec!["fabrikam.user.0@example.com".to_owned()],
        "{notices:?}"
    );
    // The notices went to the operator's directory only.
    assert!(
        !chosen_by_tenant.exists(),
        "a tenant's setting made the plugin write {}",
        chosen_by_tenant.display()
    );
    let _ = std::fs::remove_dir_all(&operator_dir);

    let actions = audit_actions(&app, &admin, &crm).await;
    for action in [
        "SEAT_CHANGE_REQUESTED",
        "SEAT_CHANGE_ACCEPTED",
        "SEAT_CHANGE_SUCCEEDED",
    ] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} in {actions:?}"
        );
    }
}

async fn without_an_adapter_seat_changes_go_to_the_vendor(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let admin = app.admin_token();
    let plain = app.register_app(&admin, "Plain App", 4).await;

    let details = app
        .gql("query($id: ID!) { app(id: $id) { adapter { key } canInstall installUnavailableReason } }")
        .var("id", plain.as_str())
        .token(&admin)
        .send()
        .await;
    let details = &details.data()["app"];
    assert!(details["adapter"].is_null());
    assert_eq!(details["canInstall"], false);
    assert!(
        details["installUnavailableReason"]
            .as_str()
            .unwrap_or_default()
            .contains("no vendor adapter")
    );

    let requested = app.request_seat_change(&admin, &plain, 8, "key-1").await;
    let id = requested["operation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Idempotency: the same key names the same operation; reusing it for
    // another change is refused.
    let again = app.request_seat_change(&admin, &plain, 8, "key-1").await;
    assert_eq!(again["operation"]["id"], id.as_str());
    let clash = app.request_seat_change(&admin, &plain, 9, "key-1").await;
    assert_eq!(
        clash["userErrors"][0]["code"], "ALREADY_EXISTS",
        "{clash:#}"
    );
    assert_eq!(clash["userErrors"][0]["field"], "idempotencyKey");

    let done = app.wait_for_final_seat_change(&admin, &id).await;
    assert_eq!(done["status"], "CONTACT_VENDOR", "{done:#}");
    assert_eq!(done["contact"]["email"], "help@contoso.example");
    assert_eq!(done["contact"]["website"], "https://contoso.example");
    assert_eq!(done["app"]["seats"]["purchased"], 4);
    let replay = app.request_seat_change(&admin, &plain, 8, "key-1").await;
    assert_eq!(replay["operation"]["status"], "CONTACT_VENDOR");

    let install = app
        .gql("mutation($input: InstallAppInput!) { installApp(input: $input) { redirectUrl userErrors { code message } } }")
        .var("input", json!({ "appId": plain, "returnUrl": "https://admin.example/" }))
        .token(&admin)
        .send()
        .await;
    let payload = &install.data()["installApp"];
    assert!(payload["redirectUrl"].is_null());
    assert_eq!(
        payload["userErrors"][0]["code"], "INSTALL_UNAVAILABLE",
        "{payload:#}"
    );
}

e2e_for_each_backend!(
    contoso_changes_seats_and_installs,
    fabrikam_completes_later_and_the_subscription_sees_it,
    without_an_adapter_seat_changes_go_to_the_vendor,
);

/// Subscriptions authenticate in `connection_init`: a bad token closes the
/// connection with the reason, a good one is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_need_a_valid_token() {
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::start(Backend::Sqlite)
        .await
        .expect("SQLite always starts");
    match ws_init(&app, "not-a-token").await {
        Message::Close(Some(frame)) => assert!(frame.reason.contains("token"), "{frame:?}"),
        other => panic!("expected the connection to be closed, got {other:?}"),
    }
    match ws_init(&app, &app.token(&["GLOBAL_READER"])).await {
        Message::Text(text) => assert!(text.contains("connection_ack"), "{text}"),
        other => panic!("expected connection_ack, got {other:?}"),
    }
}
