//! `AuditEvent`: the audit log says who did what to which object, newest
//! first, and can be narrowed to one app.

use seatwise_e2e::{TestApp, e2e_on_both_backends};

async fn events_say_who_did_what_to_which_object(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&ada))
        .await;

    let response = app
        .gql("query($app: ID!) { auditLog(appId: $app) { totalCount nodes { id occurredAt actor action targetKind targetId app { name } } } }")
        .var("app", whiteboard.as_str())
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("app_audit_log", response.redacted());
    let log = &response.data()["auditLog"];
    assert_eq!(log["totalCount"], 2, "Ada's creation is not the app's");
    assert_eq!(log["nodes"][0]["action"], "LICENSE_ASSIGNED");
    assert_eq!(log["nodes"][1]["targetId"], whiteboard.as_str());
}

e2e_on_both_backends!(events_say_who_did_what_to_which_object);
