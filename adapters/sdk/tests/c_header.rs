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
    build(&scratch, name, standard, source, &["-c"]);
}

/// Compiles and links `source` into a program, runs it and returns its
/// standard output; panics when it does not build or exits with failure.
fn run(name: &str, source: &str) -> String {
    let scratch = Scratch::new(name);
    let program = build(&scratch, name, "c99", source, &[]);
    let output = Command::new(&program).output().expect("run the C program");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn build(scratch: &Scratch, name: &str, standard: &str, source: &str, extra: &[&str]) -> PathBuf {
    let file = scratch.0.join(format!("{name}.c"));
    let out = scratch.0.join(format!("{name}.out"));
    std::fs::write(&file, source).expect("write C source");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let output = Command::new(&compiler)
        .arg(format!("-std={standard}"))
        .args(["-Wall", "-Wextra", "-pedantic", "-Werror"])
        .args(extra)
        .arg("-o")
        .arg(&out)
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
    out
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

/// The header's JSON helpers, driven from C: what a plugin reads from the
/// host's input and writes back must survive the trip through serde_json.
const HELPERS_PROGRAM: &str = r#"
#include <stdio.h>
#include "seatwise_adapter.h"

static SeatwiseJson doc(const char *text) {
    return seatwise_json_input((const uint8_t *)text, strlen(text));
}

/* Prints the lookups; the Rust side compares the lines. */
int main(void) {
    const char *input =
        "{ \"context\": {\"settings\": {\"request\": {\"n\": 1}, \"s\": \"a \\\"q\\\" \\u0041\\n\"}},\n"
        "  \"request\" : { \"list\": [1, {\"n\": 2}, \"]}\"], \"n\" : 18446744073709551615 } }";
    SeatwiseJson root = doc(input), request, n, context, settings, s;
    uint64_t value = 0;
    char text[32];
    SeatwiseOut out = {0};
    SeatwiseBuffer answer;

    printf("n=%d ", seatwise_json_get(root, "request", &request) &&
                        seatwise_json_get(request, "n", &n) && seatwise_json_u64(n, &value));
    printf("%llu\n", (unsigned long long)value);
    printf("s=%d ", seatwise_json_get(root, "context", &context) &&
                        seatwise_json_get(context, "settings", &settings) &&
                        seatwise_json_get(settings, "s", &s) &&
                        seatwise_json_string(s, text, sizeof text));
    printf("[%s]\n", text);
    printf("missing=%d\n", seatwise_json_get(root, "nope", &n));
    printf("overflow=%d\n", seatwise_json_u64(doc("18446744073709551616"), &value));
    printf("negative=%d\n", seatwise_json_u64(doc("-1"), &value));
    printf("too_long=%d\n", seatwise_json_string(doc("\"abcdef\""), text, 4));
    printf("truncated=%d\n", seatwise_json_get(doc("{\"a\": [1, 2"), "a", &n));
    printf("not_object=%d\n", seatwise_json_get(doc("[\"a\"]"), "a", &n));

    seatwise_out_raw(&out, "{\"ok\":{\"reason\":");
    seatwise_out_string(&out, "quote \" backslash \\ tab \t bell \a \xc3\xa9");
    seatwise_out_raw(&out, ",\"n\":");
    seatwise_out_u64(&out, UINT64_MAX);
    seatwise_out_raw(&out, "}}");
    answer = seatwise_out_finish(&out);
    printf("%.*s\n", (int)answer.len, (const char *)answer.ptr);
    seatwise_buffer_free(answer);
    return 0;
}
"#;

#[test]
fn the_c_json_helpers_read_and_write_what_serde_json_does() {
    if !cfg!(unix) {
        eprintln!("skipped: the check uses a Unix C compiler's command line");
        return;
    }
    let printed = run("helpers", HELPERS_PROGRAM);
    let lines: Vec<&str> = printed.lines().collect();

    assert_eq!(
        lines[..9],
        [
            "n=1 18446744073709551615",
            "s=1 [a \"q\" A",
            "]",
            "missing=0",
            "overflow=0",
            "negative=0",
            "too_long=0",
            "truncated=0",
            "not_object=0",
        ]
    );
    let written: serde_json::Value =
        serde_json::from_str(lines[9]).unwrap_or_else(|error| panic!("{error}: {}", lines[9]));
    assert_eq!(
        written,
        serde_json::json!({"ok": {"reason": "quote \" backslash \\ tab \t bell \u{7} é", "n": u64::MAX}})
    );
}
