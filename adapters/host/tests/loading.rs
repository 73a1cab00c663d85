//! Loading a directory: every file gets a report, bad plugins are refused
//! with a readable reason, good ones next to them load and work.

mod common;

use common::{Plugin, PluginDir, context, fast_config};
use seatwise_adapter_host::{
    ABI_VERSION, LoadOutcome, LoadRefusal, PluginRegistry, SeatChangeMode, SeatChangeOutcome,
    SeatChangeRequest, inspect,
};
use serde_json::json;

#[tokio::test]
async fn a_mixed_directory_loads_the_good_and_refuses_the_bad() {
    let dir = PluginDir::with(&Plugin::ALL);
    dir.write("README.txt", b"not a plugin, not even considered");
    dir.write("libtruncated.so", b"\x7fELF but nothing else");

    let registry = dir.load(&fast_config());

    let keys: Vec<&str> = registry.adapters().map(|adapter| adapter.key()).collect();
    assert_eq!(
        keys,
        [
            "bad-garbage",
            "bad-hang",
            "bad-panic",
            "contoso",
            "fabrikam"
        ]
    );
    let refusal_of = |plugin: Plugin| {
        registry
            .reports()
            .iter()
            .find(|report| report.path.ends_with(plugin.file_name()))
            .and_then(|report| report.refusal().cloned())
    };
    let abi = refusal_of(Plugin::BadAbi).expect("wrong ABI is refused");
    assert_eq!(
        abi,
        LoadRefusal::AbiMismatch {
            found: ABI_VERSION + 1,
            expected: ABI_VERSION
        }
    );
    assert_eq!(
        abi.to_string(),
        format!(
            "plugin built for ABI v{}, this server speaks v{ABI_VERSION}",
            ABI_VERSION + 1
        )
    );
    let no_entry = refusal_of(Plugin::BadNoEntry).expect("missing entry is refused");
    assert!(
        matches!(no_entry, LoadRefusal::MissingEntry(_)),
        "{no_entry:?}"
    );
    let message = no_entry.to_string();
    assert!(
        message.starts_with("missing entry symbol `seatwise_adapter_entry`"),
        "{message}"
    );
    // Vendors write plugins in C as well as Rust: both ways are explained.
    assert!(message.contains("SEATWISE_EXPORT"), "{message}");
    assert!(message.contains("__declspec(dllexport)"), "{message}");
    assert!(message.contains("export_adapter!"), "{message}");
    let truncated = registry
        .reports()
        .iter()
        .find(|report| report.path.ends_with("libtruncated.so"))
        .and_then(|report| report.refusal());
    assert!(
        matches!(truncated, Some(LoadRefusal::Open(_))),
        "{truncated:?}"
    );
    assert_eq!(registry.reports().len(), Plugin::ALL.len() + 1);

    let outcome = registry
        .adapter("contoso")
        .unwrap()
        .change_seats(
            &context(json!({})),
            &SeatChangeRequest {
                operation_id: "op".into(),
                previous_quantity: 0,
                requested_quantity: 4,
            },
        )
        .await;
    assert_eq!(outcome, Ok(SeatChangeOutcome::Completed { quantity: 4 }));
}

#[test]
fn a_duplicate_key_is_refused_and_the_first_file_keeps_it() {
    let dir = PluginDir::empty();
    let first = dir.add_as(
        Plugin::Contoso,
        &format!("a_{}", Plugin::Contoso.file_name()),
    );
    let second = dir.add_as(
        Plugin::Contoso,
        &format!("b_{}", Plugin::Contoso.file_name()),
    );

    let registry = dir.load(&fast_config());

    assert_eq!(registry.adapter("contoso").unwrap().path(), first);
    let report = registry
        .reports()
        .iter()
        .find(|report| report.path == second)
        .unwrap();
    assert_eq!(
        report.outcome,
        LoadOutcome::Refused(LoadRefusal::DuplicateKey {
            key: "contoso".into(),
            first: first.clone()
        })
    );
    assert!(
        report
            .to_string()
            .contains("duplicate adapter key `contoso`")
    );
}

#[test]
fn inspect_reports_on_a_single_file() {
    let dir = PluginDir::with(&[Plugin::Fabrikam, Plugin::BadAbi]);

    let good = inspect(
        &dir.path().join(Plugin::Fabrikam.file_name()),
        &fast_config(),
    );
    let bad = inspect(&dir.path().join(Plugin::BadAbi.file_name()), &fast_config());
    let missing = inspect(&dir.path().join("libabsent.so"), &fast_config());

    let info = good.info().expect("fabrikam loads");
    assert_eq!(info.key, "fabrikam");
    assert_eq!(info.capabilities.seat_changes, SeatChangeMode::Asynchronous);
    assert!(!info.capabilities.install_redirect);
    assert!(good.to_string().contains("loaded adapter `fabrikam`"));
    assert!(bad.to_string().ends_with(&format!(
        "refused: plugin built for ABI v{}, this server speaks v{ABI_VERSION}",
        ABI_VERSION + 1
    )));
    assert!(matches!(missing.refusal(), Some(LoadRefusal::Open(_))));
}

#[test]
fn an_unreadable_directory_is_an_error() {
    let dir = PluginDir::empty();
    let absent = dir.path().join("no-such-dir");

    let error = PluginRegistry::load_dir(&absent, &fast_config()).unwrap_err();

    assert!(error.to_string().contains("no-such-dir"), "{error}");
}

#[test]
fn an_empty_directory_loads_nothing() {
    let dir = PluginDir::empty();

    let registry = dir.load(&fast_config());

    assert_eq!(registry.adapters().count(), 0);
    assert!(registry.reports().is_empty());
}
