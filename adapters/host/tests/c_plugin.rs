//! The C example plugin (`plugins/c-example/acme.c`) builds against the
//! shipped header with warnings as errors and works through the real host,
//! so C vendors have a maintained starting point.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{PluginDir, context, fast_config};
use seatwise_adapter_host::{
    AdapterHandle, CallError, ErrorKind, SeatChangeMode, SeatChangeOutcome, SeatChangeRequest,
    inspect,
};
use serde_json::json;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds `plugins/c-example/acme.c` into `dir` as a vendor would.
fn build_c_example(dir: &PluginDir) -> PathBuf {
    let library = dir.path().join(format!(
        "{}acme{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let output = Command::new(&compiler)
        .args(["-std=c99", "-Wall", "-Werror", "-shared", "-fPIC", "-I"])
        .arg(workspace().join("adapters/include"))
        .arg("-o")
        .arg(&library)
        .arg(workspace().join("plugins/c-example/acme.c"))
        .output()
        .unwrap_or_else(|error| panic!("cannot run C compiler `{compiler}`: {error}"));
    assert!(
        output.status.success(),
        "the C example does not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    library
}

fn acme(dir: &PluginDir) -> AdapterHandle {
    build_c_example(dir);
    dir.load(&fast_config())
        .adapter("acme")
        .expect("the C plugin is loaded under key `acme`")
}

fn seat_change(requested: u32) -> SeatChangeRequest {
    SeatChangeRequest {
        operation_id: "op-1".into(),
        previous_quantity: 10,
        requested_quantity: requested,
    }
}

#[test]
fn the_c_example_loads_with_its_info() {
    if !cfg!(unix) {
        eprintln!("skipped: the example's build line is for Unix compilers");
        return;
    }
    let dir = PluginDir::empty();
    let library = build_c_example(&dir);

    let report = inspect(&library, &fast_config());

    let info = report.info().unwrap_or_else(|| panic!("{report}"));
    assert_eq!(info.key, "acme");
    assert_eq!(info.capabilities.seat_changes, SeatChangeMode::Immediate);
    // Its `info` predates `vendor_webhooks`: it loads, without webhooks.
    assert!(!info.capabilities.vendor_webhooks);
}

#[tokio::test]
async fn the_c_example_changes_seats_within_its_contract() {
    if !cfg!(unix) {
        eprintln!("skipped: the example's build line is for Unix compilers");
        return;
    }
    let dir = PluginDir::empty();
    let acme = acme(&dir);
    // A decoy key of the same name inside the settings must not be read as the request's.
    let ctx = context(
        json!({ "requested_quantity": 999, "note": "a \"quoted\" {brace}", "max_seats": 50 }),
    );

    let within = acme.change_seats(&ctx, &seat_change(12)).await;
    let above = acme.change_seats(&ctx, &seat_change(51)).await;

    assert_eq!(within, Ok(SeatChangeOutcome::Completed { quantity: 12 }));
    assert_eq!(
        above,
        Ok(SeatChangeOutcome::Rejected {
            reason: "the Acme contract allows at most 50 seats".into()
        })
    );
}

#[tokio::test]
async fn the_c_example_without_a_limit_grants_any_quantity() {
    if !cfg!(unix) {
        eprintln!("skipped: the example's build line is for Unix compilers");
        return;
    }
    let dir = PluginDir::empty();
    let acme = acme(&dir);

    let outcome = acme
        .change_seats(&context(json!({})), &seat_change(4_000_000_000))
        .await;

    assert_eq!(
        outcome,
        Ok(SeatChangeOutcome::Completed {
            quantity: 4_000_000_000
        })
    );
}

#[tokio::test]
async fn the_c_example_reports_bad_settings_to_administrators() {
    if !cfg!(unix) {
        eprintln!("skipped: the example's build line is for Unix compilers");
        return;
    }
    let dir = PluginDir::empty();
    let acme = acme(&dir);

    let outcome = acme
        .change_seats(&context(json!({ "max_seats": "fifty" })), &seat_change(12))
        .await;

    match outcome {
        Err(CallError::Adapter(error)) => {
            assert_eq!(error.kind, ErrorKind::InvalidSettings);
            assert_eq!(error.message, "max_seats must be a non-negative integer");
        }
        other => panic!("expected invalid settings, got {other:?}"),
    }
}
