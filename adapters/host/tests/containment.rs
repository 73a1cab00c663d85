//! Misbehaving plugins are contained with clear errors while the good ones
//! loaded next to them keep working.

mod common;

use std::time::{Duration, Instant};

use common::{Plugin, PluginDir, context, fast_config};
use seatwise_adapter_host::{
    AssignmentNotice, CallError, HostConfig, InstallRequest, PluginRegistry, SeatChangeOutcome,
    SeatChangeRequest, UserRef,
};
use serde_json::json;

fn seat_change(requested: u32) -> SeatChangeRequest {
    SeatChangeRequest {
        operation_id: "op-contained".into(),
        previous_quantity: 1,
        requested_quantity: requested,
    }
}

fn install_request() -> InstallRequest {
    InstallRequest {
        admin_user: UserRef {
            id: "admin-1".into(),
            name: None,
            email: None,
        },
        return_url: "https://seatwise.example/back".into(),
    }
}

/// A good plugin still answers through the same registry.
async fn assert_contoso_works(registry: &PluginRegistry) {
    let outcome = registry
        .adapter("contoso")
        .unwrap()
        .change_seats(&context(json!({})), &seat_change(3))
        .await;
    assert_eq!(outcome, Ok(SeatChangeOutcome::Completed { quantity: 3 }));
}

#[tokio::test]
async fn a_panic_becomes_a_panicked_error_with_its_message() {
    let dir = PluginDir::with(&[Plugin::Contoso, Plugin::BadPanic]);
    let registry = dir.load(&fast_config());
    let bad = registry.adapter("bad-panic").unwrap();
    let ctx = context(json!({}));

    let change = bad.change_seats(&ctx, &seat_change(2)).await;
    let install = bad.install_redirect(&ctx, &install_request()).await;
    // The plugin survives its own panics: the next call panics again, cleanly.
    let again = bad.change_seats(&ctx, &seat_change(2)).await;

    assert_eq!(
        change,
        Err(CallError::Panicked(
            "bad-panic exploded in change_seats".into()
        ))
    );
    assert_eq!(
        install,
        Err(CallError::Panicked(
            "bad-panic exploded in install_redirect for tenant tenant-1".into()
        ))
    );
    assert_eq!(again, change);
    assert!(!change.unwrap_err().is_retryable());
    assert_contoso_works(&registry).await;
}

#[tokio::test]
async fn a_hang_times_out_then_quarantines_while_others_keep_serving() {
    let timeout = Duration::from_millis(300);
    let config = HostConfig {
        call_timeout: timeout,
        max_abandoned_calls: 2,
        ..fast_config()
    };
    let dir = PluginDir::with(&[Plugin::Contoso, Plugin::BadHang]);
    let registry = dir.load(&config);
    let hang = registry.adapter("bad-hang").unwrap();
    let ctx = context(json!({}));

    // While a call hangs, another plugin answers.
    let request = seat_change(2);
    let started = Instant::now();
    let (hung, ()) = tokio::join!(
        hang.change_seats(&ctx, &request),
        assert_contoso_works(&registry)
    );
    let waited = started.elapsed();
    assert_eq!(hung, Err(CallError::Timeout(timeout)));
    assert!(hung.unwrap_err().is_retryable());
    // Generous upper bound: CI machines are small and busy.
    let slack = Duration::from_secs(2);
    assert!(
        waited >= timeout && waited < timeout + slack,
        "took {waited:?}"
    );

    // One stuck call is tolerated: its other methods still answer.
    assert_eq!(hang.health().abandoned_calls, 1);
    let polled = hang.poll_seat_change(&ctx, "any").await;
    assert_eq!(polled, Ok(SeatChangeOutcome::Completed { quantity: 1 }));

    // The second stuck call reaches the limit: calls now fail at once.
    let second = hang.change_seats(&ctx, &seat_change(2)).await;
    assert_eq!(second, Err(CallError::Timeout(timeout)));
    assert!(hang.health().quarantined);
    let started = Instant::now();
    let refused = hang.poll_seat_change(&ctx, "any").await;
    assert!(
        started.elapsed() < timeout,
        "quarantine answers immediately"
    );
    assert_eq!(
        refused,
        Err(CallError::Quarantined {
            key: "bad-hang".into(),
            abandoned: 2
        })
    );

    assert_contoso_works(&registry).await;
}

#[tokio::test]
async fn garbage_output_is_reported_as_malformed() {
    let dir = PluginDir::with(&[Plugin::Contoso, Plugin::BadGarbage]);
    let registry = dir.load(&fast_config());
    let garbage = registry.adapter("bad-garbage").unwrap();
    let ctx = context(json!({}));

    let not_json = garbage.change_seats(&ctx, &seat_change(2)).await;
    let wrong_shape = garbage.poll_seat_change(&ctx, "ref").await;
    let plain_http = garbage.install_redirect(&ctx, &install_request()).await;
    let null_buffer = garbage
        .assignments_changed(&ctx, &AssignmentNotice::default())
        .await;

    let detail = |result: Result<_, CallError>| match result {
        Err(CallError::MalformedOutput(detail)) => detail,
        other => panic!("expected MalformedOutput, got {other:?}"),
    };
    assert!(detail(not_json.map(drop)).contains("this is not JSON"));
    assert!(detail(wrong_shape.map(drop)).contains("exploded"));
    let refused_url = detail(plain_http.map(drop));
    assert!(refused_url.contains("https"), "{refused_url}");
    // The refused link is named by its host only: its signed token stays out
    // of a message that administrators and logs see.
    assert!(
        refused_url.contains("http://install.garbage.example/…"),
        "{refused_url}"
    );
    assert!(!refused_url.contains("s3cr3t"), "{refused_url}");
    assert!(!refused_url.contains("t0ken"), "{refused_url}");
    assert!(detail(null_buffer).contains("null buffer"));
    assert_contoso_works(&registry).await;
}

#[tokio::test]
async fn a_call_whose_caller_stops_waiting_counts_as_abandoned() {
    let config = HostConfig {
        call_timeout: Duration::from_secs(60),
        max_abandoned_calls: 1,
        ..fast_config()
    };
    let dir = PluginDir::with(&[Plugin::BadHang]);
    let registry = dir.load(&config);
    let hang = registry.adapter("bad-hang").unwrap();
    let ctx = context(json!({}));
    let request = seat_change(2);

    // The server's own deadline fires first and drops the call's future.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(200),
        hang.change_seats(&ctx, &request),
    )
    .await;

    assert!(cancelled.is_err(), "the outer deadline fired");
    assert_eq!(hang.health().abandoned_calls, 1);
    assert!(hang.health().quarantined);
}
