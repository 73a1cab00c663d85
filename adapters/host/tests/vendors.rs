//! The example vendor plugins work end to end through the real ABI.

mod common;

use std::time::{Duration, Instant};

use common::{Plugin, PluginDir, context, fast_config, unix_now};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::percent_decode_str;
use seatwise_adapter_host::{
    AssignmentNotice, CallContext, CallError, ErrorKind, FinishedSeatChange, InstallRequest,
    SeatChangeOutcome, SeatChangeRequest, UserRef, WebhookReport, WebhookRequest,
};
use serde_json::json;
use sha2::Sha256;

fn seat_change(previous: u32, requested: u32) -> SeatChangeRequest {
    SeatChangeRequest {
        operation_id: "op-1".into(),
        previous_quantity: previous,
        requested_quantity: requested,
    }
}

fn install_request() -> InstallRequest {
    InstallRequest {
        admin_user: UserRef {
            id: "user-7".into(),
            name: Some("Ada Admin".into()),
            email: Some("ada@example.org".into()),
        },
        return_url: "https://seatwise.example/apps/app-1?tab=install&x=a b".into(),
    }
}

#[tokio::test]
async fn contoso_changes_seats_immediately() {
    let dir = PluginDir::with(&[Plugin::Contoso]);
    let contoso = dir.load(&fast_config()).adapter("contoso").unwrap();
    let ctx = context(json!({ "max_seats": 50 }));

    let outcome = contoso.change_seats(&ctx, &seat_change(10, 12)).await;

    assert_eq!(outcome, Ok(SeatChangeOutcome::Completed { quantity: 12 }));
}

#[tokio::test]
async fn contoso_rejects_more_than_max_seats() {
    let dir = PluginDir::with(&[Plugin::Contoso]);
    let contoso = dir.load(&fast_config()).adapter("contoso").unwrap();
    let ctx = context(json!({ "max_seats": 50 }));

    let outcome = contoso.change_seats(&ctx, &seat_change(10, 51)).await;

    match outcome {
        Ok(SeatChangeOutcome::Rejected { reason }) => assert!(reason.contains("50"), "{reason}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn contoso_sends_reductions_to_sales_when_configured() {
    let dir = PluginDir::with(&[Plugin::Contoso]);
    let contoso = dir.load(&fast_config()).adapter("contoso").unwrap();
    let ctx = context(json!({ "reductions_need_contact": true }));

    let outcome = contoso.change_seats(&ctx, &seat_change(10, 8)).await;

    match outcome {
        Ok(SeatChangeOutcome::ContactVendor { contact }) => {
            assert_eq!(contact.email, "sales@contoso.example");
            assert!(contact.phone.is_some());
        }
        other => panic!("expected contact details, got {other:?}"),
    }
}

#[tokio::test]
async fn contoso_install_url_is_signed_with_the_app_secret() {
    let dir = PluginDir::with(&[Plugin::Contoso]);
    let contoso = dir.load(&fast_config()).adapter("contoso").unwrap();
    let secret = "s3cr3t-for-app-1";
    let ctx = context(json!({
        "signing_secret": secret,
        "install_base_url": "install.contoso.test/v2/",
    }));

    let redirect = contoso
        .install_redirect(&ctx, &install_request())
        .await
        .unwrap();

    let (base, query) = redirect.url.split_once('?').unwrap();
    assert_eq!(base, "https://install.contoso.test/v2/install");
    let (signed, signature) = query.rsplit_once("&sig=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    mac.verify_slice(&hex::decode(signature).unwrap())
        .expect("signature verifies with the app's signing secret");

    let param = |name: &str| {
        signed
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .map(|value| {
                percent_decode_str(value)
                    .decode_utf8()
                    .unwrap()
                    .into_owned()
            })
    };
    assert_eq!(param("tenant").as_deref(), Some("tenant-1"));
    assert_eq!(param("app").as_deref(), Some("app-1"));
    assert_eq!(param("admin").as_deref(), Some("ada@example.org"));
    assert_eq!(param("return"), Some(install_request().return_url));
    assert_eq!(param("exp"), Some(redirect.expires_at.to_string()));
    let lifetime = redirect.expires_at.abs_diff(unix_now() + 600);
    assert!(lifetime <= 5, "expires about ten minutes from now");

    let tampered = signed.replace("tenant-1", "tenant-2");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(tampered.as_bytes());
    assert!(mac.verify_slice(&hex::decode(signature).unwrap()).is_err());
}

#[tokio::test]
async fn contoso_install_without_secret_is_an_invalid_settings_error() {
    let dir = PluginDir::with(&[Plugin::Contoso]);
    let contoso = dir.load(&fast_config()).adapter("contoso").unwrap();

    let result = contoso
        .install_redirect(&context(json!({})), &install_request())
        .await;

    match result {
        Err(error @ CallError::Adapter(_)) => {
            assert!(!error.is_retryable());
            let CallError::Adapter(adapter_error) = error else {
                unreachable!()
            };
            assert_eq!(adapter_error.kind, ErrorKind::InvalidSettings);
            assert!(adapter_error.message.contains("signing_secret"));
        }
        other => panic!("expected InvalidSettings, got {other:?}"),
    }
}

/// Polls until the change completes, returning the outcome and how many
/// polls answered `pending` first.
async fn poll_until_settled(
    adapter: &seatwise_adapter_host::AdapterHandle,
    ctx: &CallContext,
    vendor_ref: &str,
) -> (SeatChangeOutcome, usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut pending_polls = 0;
    loop {
        match adapter.poll_seat_change(ctx, vendor_ref).await.unwrap() {
            SeatChangeOutcome::Pending { .. } if Instant::now() < deadline => {
                pending_polls += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            outcome => return (outcome, pending_polls),
        }
    }
}

fn pending_ref(outcome: SeatChangeOutcome) -> String {
    match outcome {
        SeatChangeOutcome::Pending { vendor_ref, .. } => vendor_ref,
        other => panic!("expected a pending change, got {other:?}"),
    }
}

#[tokio::test]
async fn fabrikam_change_is_pending_then_completes_after_polls() {
    let dir = PluginDir::with(&[Plugin::Fabrikam]);
    let fabrikam = dir.load(&fast_config()).adapter("fabrikam").unwrap();
    let ctx = context(json!({ "complete_after_ms": 400 }));

    let outcome = fabrikam
        .change_seats(&ctx, &seat_change(5, 9))
        .await
        .unwrap();
    let vendor_ref = pending_ref(outcome);
    let (settled, pending_polls) = poll_until_settled(&fabrikam, &ctx, &vendor_ref).await;

    assert_eq!(settled, SeatChangeOutcome::Completed { quantity: 9 });
    assert!(pending_polls >= 1, "polls answer pending before completing");
}

#[tokio::test]
async fn fabrikam_vendor_ref_completes_in_a_freshly_loaded_registry() {
    let ctx = context(json!({ "complete_after_ms": 400 }));
    let vendor_ref = {
        let before_restart = PluginDir::with(&[Plugin::Fabrikam]);
        let fabrikam = before_restart
            .load(&fast_config())
            .adapter("fabrikam")
            .unwrap();
        pending_ref(
            fabrikam
                .change_seats(&ctx, &seat_change(5, 21))
                .await
                .unwrap(),
        )
    };

    // A separate copy of the library is mapped afresh, with none of the
    // first copy's memory: like a new server process.
    let after_restart = PluginDir::with(&[Plugin::Fabrikam]);
    let fabrikam = after_restart
        .load(&fast_config())
        .adapter("fabrikam")
        .unwrap();
    let (settled, _) = poll_until_settled(&fabrikam, &ctx, &vendor_ref).await;

    assert_eq!(settled, SeatChangeOutcome::Completed { quantity: 21 });
}

#[tokio::test]
async fn fabrikam_refuses_references_it_did_not_issue() {
    let dir = PluginDir::with(&[Plugin::Fabrikam]);
    let fabrikam = dir.load(&fast_config()).adapter("fabrikam").unwrap();

    let result = fabrikam
        .poll_seat_change(&context(json!({})), "not-a-fabrikam-ref")
        .await;

    assert!(
        matches!(&result, Err(CallError::Adapter(error)) if error.kind == ErrorKind::Permanent),
        "{result:?}"
    );
}

/// Settings are tenant input: the old `notice_log` setting named a file the
/// plugin appended to. Now no setting reaches the file system: the notice is
/// acknowledged and nothing appears where the settings point (the operator's
/// `SEATWISE_PLUGIN_DATA_DIR` is the only place Fabrikam writes; see the
/// end-to-end test `fabrikam_completes_later_and_the_subscription_sees_it`).
#[tokio::test]
async fn fabrikam_never_writes_where_settings_point() {
    let dir = PluginDir::with(&[Plugin::Fabrikam]);
    let fabrikam = dir.load(&fast_config()).adapter("fabrikam").unwrap();
    let chosen_by_tenant = dir.path().join("tenant-chosen.jsonl");
    let ctx = context(json!({ "notice_log": chosen_by_tenant }));
    let notice = AssignmentNotice {
        gained: vec![UserRef {
            id: "u1".into(),
            name: None,
            email: Some("u1@example.org".into()),
        }],
        lost: vec![],
    };

    fabrikam.assignments_changed(&ctx, &notice).await.unwrap();

    assert!(
        !chosen_by_tenant.exists(),
        "a setting made the plugin write {}",
        chosen_by_tenant.display()
    );
}

#[tokio::test]
async fn capabilities_a_plugin_lacks_are_refused_without_calling_it() {
    let dir = PluginDir::with(&[Plugin::Contoso, Plugin::Fabrikam]);
    let registry = dir.load(&fast_config());
    let ctx = context(json!({}));

    let install = registry
        .adapter("fabrikam")
        .unwrap()
        .install_redirect(&ctx, &install_request())
        .await;
    let notice = registry
        .adapter("contoso")
        .unwrap()
        .assignments_changed(&ctx, &AssignmentNotice::default())
        .await;

    assert!(
        matches!(install, Err(CallError::Unsupported { .. })),
        "{install:?}"
    );
    assert!(
        matches!(notice, Err(CallError::Unsupported { .. })),
        "{notice:?}"
    );
    assert_eq!(
        registry.adapter("initech").unwrap_err(),
        CallError::NotLoaded("initech".into())
    );
}

fn signed_webhook(header: &str, prefix: &str, secret: &str, body: &str) -> WebhookRequest {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    WebhookRequest {
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (
                header.into(),
                format!("{prefix}{}", hex::encode(mac.finalize().into_bytes())),
            ),
        ],
        body: body.into(),
        received_at: "2026-12-20T10:00:00.000Z".into(),
    }
}

#[tokio::test]
async fn fabrikam_webhook_reports_a_finished_change_and_refuses_bad_signatures() {
    let dir = PluginDir::with(&[Plugin::Fabrikam]);
    let fabrikam = dir.load(&fast_config()).adapter("fabrikam").unwrap();
    assert!(fabrikam.info().capabilities.vendor_webhooks);
    let ctx = context(json!({ "webhook_secret": "k1" }));
    let body = r#"{"events":[{"type":"provisioning.completed","reference":"fabrikam:v1:5:1:op-1","seats":5},{"type":"surprise"}]}"#;

    let reports = fabrikam
        .handle_webhook(
            &ctx,
            &signed_webhook("x-fabrikam-signature", "", "k1", body),
        )
        .await
        .unwrap();
    let forged = fabrikam
        .handle_webhook(
            &ctx,
            &signed_webhook("x-fabrikam-signature", "", "k2", body),
        )
        .await;
    let unreadable = fabrikam
        .handle_webhook(
            &ctx,
            &signed_webhook("x-fabrikam-signature", "", "k1", "[1]"),
        )
        .await;

    assert_eq!(
        reports.reports,
        vec![WebhookReport::SeatChangeFinished {
            vendor_ref: "fabrikam:v1:5:1:op-1".into(),
            outcome: FinishedSeatChange::Completed { quantity: 5 },
        }]
    );
    assert!(
        matches!(&forged, Err(CallError::Adapter(e)) if e.kind == ErrorKind::Unauthorized),
        "{forged:?}"
    );
    assert!(
        matches!(&unreadable, Err(CallError::Adapter(e)) if e.kind == ErrorKind::Malformed),
        "{unreadable:?}"
    );
}

#[tokio::test]
async fn contoso_webhook_reports_a_renewal() {
    let dir = PluginDir::with(&[Plugin::Contoso]);
    let contoso = dir.load(&fast_config()).adapter("contoso").unwrap();
    let ctx = context(json!({ "webhook_secret": "k1" }));
    let body = r#"{"events":[{"type":"subscription.renewed","term_end":"2027-12-31","auto_renew":false}]}"#;

    let reports = contoso
        .handle_webhook(
            &ctx,
            &signed_webhook("x-contoso-signature", "sha256=", "k1", body),
        )
        .await
        .unwrap();
    let without_secret = contoso
        .handle_webhook(
            &context(json!({})),
            &signed_webhook("x-contoso-signature", "sha256=", "k1", body),
        )
        .await;

    assert_eq!(
        reports.reports,
        vec![WebhookReport::Renewal {
            term_end: "2027-12-31".into(),
            auto_renew: Some(false),
        }]
    );
    assert!(
        matches!(&without_secret, Err(CallError::Adapter(e)) if e.kind == ErrorKind::Unauthorized),
        "{without_secret:?}"
    );
}
