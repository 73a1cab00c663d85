//! `createScimToken` and `revokeScimToken` (with the `scimTokens` list
//! they change): the secret is shown once, only directory admins manage
//! tokens, and another tenant's token cannot be touched.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

const CREATE: &str = "mutation($input: CreateScimTokenInput!) {
    createScimToken(input: $input) { token { id name active lastUsedAt } secret userErrors { field message code } }
}";
const REVOKE: &str = "mutation($input: RevokeScimTokenInput!) {
    revokeScimToken(input: $input) { token { id name active revokedAt } userErrors { field message code } }
}";
const LIST: &str = "{ scimTokens { totalCount nodes { id name createdBy active } } }";

async fn the_secret_is_shown_once_and_revoking_stops_it(app: TestApp) {
    let admin = app.admin_token();
    let created = app
        .gql(CREATE)
        .var("input", json!({ "name": "Entra ID" }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("scim_token_created", created.redacted());
    let payload = &created.data()["createScimToken"];
    let secret = payload["secret"].as_str().expect("a secret");
    assert!(
        secret.starts_with("swscim_") && secret.len() == 7 + 64,
        "{secret}"
    );
    let id = payload["token"]["id"].clone();

    let list = app.gql(LIST).token(&admin).send().await;
    insta::assert_json_snapshot!("scim_tokens_listed", list.redacted());
    assert!(
        !list.body.to_string().contains(secret),
        "the list never shows the secret"
    );

    let revoked = app
        .gql(REVOKE)
        .var("input", json!({ "tokenId": id }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(revoked.data()["revokeScimToken"]["token"]["active"], false);
    let again = app
        .gql(REVOKE)
        .var("input", json!({ "tokenId": id }))
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        again.data()["revokeScimToken"]["token"]["revokedAt"],
        revoked.data()["revokeScimToken"]["token"]["revokedAt"],
        "revoking twice changes nothing"
    );
}

async fn only_directory_admins_manage_tokens(app: TestApp) {
    for role in ["LICENSE_ADMIN", "BILLING_ADMIN", "GLOBAL_READER"] {
        let token = app.token(&[role]);
        let created = app
            .gql(CREATE)
            .var("input", json!({ "name": "Okta" }))
            .token(&token)
            .send()
            .await;
        assert_eq!(created.error_code(), "FORBIDDEN", "{role}");
        let list = app.gql(LIST).token(&token).send().await;
        assert_eq!(list.error_code(), "FORBIDDEN", "{role}");
    }
    let user_admin = app.token(&["USER_ADMIN"]);
    let created = app
        .gql(CREATE)
        .var("input", json!({ "name": "Okta" }))
        .token(&user_admin)
        .send()
        .await;
    assert_eq!(created.data()["createScimToken"]["token"]["name"], "Okta");
    let list = app.gql(LIST).token(&app.admin_token()).send().await;
    assert_eq!(list.data()["scimTokens"]["totalCount"], 1);
}

async fn bad_names_and_other_tenants_tokens_change_nothing(app: TestApp) {
    let admin = app.admin_token();
    let blank = app
        .gql(CREATE)
        .var("input", json!({ "name": "  " }))
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("scim_token_blank_name", blank.redacted());

    let other = app.create_tenant("Other Organisation").await;
    let other_admin = app.token_for(&other, &["GLOBAL_ADMIN"], None);
    let theirs = app
        .gql(CREATE)
        .var("input", json!({ "name": "Theirs" }))
        .token(&other_admin)
        .send()
        .await;
    let their_id = theirs.data()["createScimToken"]["token"]["id"].clone();
    let revoke = app
        .gql(REVOKE)
        .var("input", json!({ "tokenId": their_id }))
        .token(&admin)
        .send()
        .await;
    let errors = &revoke.data()["revokeScimToken"]["userErrors"];
    assert_eq!(errors[0]["code"], "NOT_FOUND");
    assert_eq!(errors[0]["field"], "tokenId");
    let still = app.gql(LIST).token(&other_admin).send().await;
    assert_eq!(still.data()["scimTokens"]["nodes"][0]["active"], true);
    let mine = app.gql(LIST).token(&admin).send().await;
    assert_eq!(mine.data()["scimTokens"]["totalCount"], 0);
}

/// `seatwise scim-token create` prints the secret, and only the secret.
async fn the_cli_creates_a_token(app: TestApp) {
    let secret = app.cli(
        &[
            "scim-token",
            "create",
            "--tenant",
            &app.tenant,
            "--name",
            "Okta",
        ],
        &[],
    );
    assert!(
        secret.starts_with("swscim_") && secret.len() == 7 + 64,
        "{secret}"
    );
    let list = app.gql(LIST).token(&app.admin_token()).send().await;
    assert_eq!(list.data()["scimTokens"]["nodes"][0]["name"], "Okta");
    assert_eq!(
        list.data()["scimTokens"]["nodes"][0]["createdBy"],
        "seatwise-cli"
    );
}

e2e_on_both_backends!(
    the_secret_is_shown_once_and_revoking_stops_it,
    only_directory_admins_manage_tokens,
    bad_names_and_other_tenants_tokens_change_nothing,
    the_cli_creates_a_token
);
