//! `viewer`: who the token speaks for, in which tenant, and what it may
//! do. A plain user's viewer is in `roles.rs`.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

/// An admin token without a user: every permission, its tenant, no user.
async fn an_admins_viewer(app: TestApp) {
    let admin = app.admin_token();
    let response = app
        .gql("{ viewer { subject roles permissions tenant { id name createdAt } user { id } } }")
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("admin_viewer", response.redacted());
    let viewer = &response.data()["viewer"];
    assert_eq!(viewer["tenant"]["id"], app.tenant.as_str());
    assert_eq!(viewer["roles"], json!(["GLOBAL_ADMIN"]));
    assert_eq!(viewer["user"], json!(null));
}

e2e_on_both_backends!(an_admins_viewer);
