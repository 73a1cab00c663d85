//! `adapters/include/seatwise_adapter.h` and `src/abi.rs` describe the same
//! ABI: a C compiler checks the header's layout and constants against the
//! values Rust computes here, so a change to one side alone fails CI.

use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use seatwise_adapter::ABI_VERSION;
use seatwise_adapter::abi::{AdapterDescriptor, ByteBuffer, ENTRY_SYMBOL, Method};

fn header_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../include")
}

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("seatwise-c-header-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiles `source` (an object file only) with the header on the include
/// path; panics with the compiler's output when it fails.
fn compile(name: &str, standard: &str, source: &str) {
    let scratch = Scratch::new(name);
    let file = scratch.0.join(format!("{name}.c"));
    std::fs::write(&file, source).expect("write C source");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let output = Command::new(&compiler)
        .arg(format!("-std={standard}"))
        .args(["-Wall", "-Wextra", "-pedantic", "-Werror", "-c", "-o"])
        .arg(scratch.0.join(format!("{name}.o")))
        .arg("-I")
        .arg(header_dir())
        .arg(&file)
        .output()
        .unwrap_or_else(|error| panic!("cannot run C compiler `{compiler}`: {error}"));
    assert!(
        output.status.success(),
        "{name}.c does not compile against seatwise_adapter.h:\n{}\n--- source ---\n{source}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// C11 static assertions of everything abi.rs fixes: sizes, field offsets
/// (and so field order), the version and the method ids.
fn layout_checks() -> String {
    let mut checks = vec![
        format!("SEATWISE_ABI_VERSION == {ABI_VERSION}u"),
        format!("sizeof(SeatwiseBuffer) == {}", size_of::<ByteBuffer>()),
        format!(
            "offsetof(SeatwiseBuffer, ptr) == {}",
            offset_of!(ByteBuffer, ptr)
        ),
        format!(
            "offsetof(SeatwiseBuffer, len) == {}",
            offset_of!(ByteBuffer, len)
        ),
        format!(
            "sizeof(SeatwiseAdapterDescriptor) == {}",
            size_of::<AdapterDescriptor>()
        ),
        format!(
            "offsetof(SeatwiseAdapterDescriptor, abi_version) == {}",
            offset_of!(AdapterDescriptor, abi_version)
        ),
        format!(
            "offsetof(SeatwiseAdapterDescriptor, call) == {}",
            offset_of!(AdapterDescriptor, call)
        ),
        format!(
            "offsetof(SeatwiseAdapterDescriptor, free_buffer) == {}",
            offset_of!(AdapterDescriptor, free_buffer)
        ),
        format!("sizeof(size_t) == {}", size_of::<usize>()),
    ];
    for method in Method::ALL {
        checks.push(format!(
            "SEATWISE_METHOD_{} == {}u",
            method.name().to_uppercase(),
            method.id()
        ));
    }
    let mut source = String::from("#include <stddef.h>\n#include \"seatwise_adapter.h\"\n");
    for (line, check) in checks.iter().enumerate() {
        source.push_str(&format!(
            "_Static_assert({check}, \"check {line}: {check}\");\n"
        ));
    }
    // The function pointer types, spelled out as abi.rs spells them.
    source.push_str(
        "static SeatwiseBuffer call(uint32_t method, const uint8_t *input, size_t input_len) {\n\
         \x20   SeatwiseBuffer none = { NULL, 0 }; (void)method; (void)input; (void)input_len; return none;\n}\n\
         static void release(SeatwiseBuffer buffer) { (void)buffer; }\n\
         static const SeatwiseAdapterDescriptor descriptor = { SEATWISE_ABI_VERSION, call, release };\n\
         const SeatwiseAdapterDescriptor *seatwise_adapter_entry(void) { return &descriptor; }\n\
         SeatwiseEntryFn entry_has_the_abi_type = seatwise_adapter_entry;\n",
    );
    source
}

#[test]
fn the_c_header_matches_the_rust_abi() {
    if !cfg!(unix) {
        eprintln!("skipped: the check uses a Unix C compiler's command line");
        return;
    }
    compile("layout", "c11", &layout_checks());
}

#[test]
fn the_c_header_names_the_entry_symbol_of_the_rust_abi() {
    let header = std::fs::read_to_string(header_dir().join("seatwise_adapter.h"))
        .expect("read seatwise_adapter.h");
    assert!(
        header.contains(&format!("#define SEATWISE_ENTRY_SYMBOL \"{ENTRY_SYMBOL}\"")),
        "SEATWISE_ENTRY_SYMBOL differs from abi::ENTRY_SYMBOL"
    );
    assert!(
        header.contains(&format!(
            "const SeatwiseAdapterDescriptor *{ENTRY_SYMBOL}(void);"
        )),
        "the header declares another entry function than abi::ENTRY_SYMBOL"
    );
}

#[test]
fn the_c_header_is_plain_c99_without_warnings() {
    if !cfg!(unix) {
        eprintln!("skipped: the check uses a Unix C compiler's command line");
        return;
    }
    compile(
        "c99",
        "c99",
        "#include \"seatwise_adapter.h\"\nint seatwise_header_compiles;\n",
    );
}
