//! The minimal C plugin printed in adapters/ABI.md compiles and loads, so the
//! document stays precise enough to write a plugin from.

mod common;

use std::process::Command;

use common::{PluginDir, fast_config};
use seatwise_adapter_host::{SeatChangeMode, inspect};

/// The first ```c block after the "Minimal C plugin" heading.
fn c_example_from_abi_doc() -> String {
    let doc = include_str!("../../ABI.md");
    let section = doc
        .split_once("## 9. Minimal C plugin")
        .expect("ABI.md has the C example section")
        .1;
    let code = section
        .split_once("```c\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the section has a C code block")
        .0;
    code.to_owned()
}

#[test]
fn the_c_example_in_abi_md_loads() {
    if !cfg!(unix) {
        eprintln!("skipped: the example's build line is for Unix compilers");
        return;
    }
    let dir = PluginDir::empty();
    let source = dir.write("acme.c", c_example_from_abi_doc().as_bytes());
    let library = dir.path().join(format!(
        "{}acme{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&compiler)
        .args(["-shared", "-fPIC", "-Wall", "-Werror", "-o"])
        .arg(&library)
        .arg(&source)
        .status()
        .unwrap_or_else(|error| panic!("cannot run C compiler `{compiler}`: {error}"));
    assert!(status.success(), "the C example compiles");

    let report = inspect(&library, &fast_config());

    let info = report.info().unwrap_or_else(|| panic!("{report}"));
    assert_eq!(info.key, "acme");
    assert_eq!(info.capabilities.seat_changes, SeatChangeMode::None);
}
