//! What one adapter call across the plugin boundary costs, against calling
//! the same adapter directly as Rust in the same process.
//!
//! Run with `cargo bench -p seatwise-adapter-host --bench plugin_call`; it
//! builds the plugin crates (release, `seatwise_adapter_host::testing`),
//! then prints a Markdown table.
//!
//! Paths measured, all running the same adapter code (`plugins/contoso-immediate`):
//! - **direct**: `Contoso.change_seats(..)` through the plugin crate's `rlib`.
//!   The real adapter rather than a look-alike type, so any difference is
//!   the boundary's and not a difference between adapter bodies.
//! - **raw FFI**: the plugin's C `call` function, driven the way the host
//!   drives it (`ffi_call.rs`, private to the crate, so mirrored here): encode
//!   the JSON input, call, copy the answer out, free the plugin's buffer,
//!   decode. On the calling thread, no timeout.
//! - **AdapterHandle**: the host's public async API as the server uses it,
//!   from a tokio worker task: the raw call plus a fresh OS thread per call,
//!   a oneshot channel, the timeout timer and the outcome checks.
//!
//! `info` has no AdapterHandle row: the handle answers from what the plugin
//! reported at load, without calling it.
//!
//! Samples are taken per call (each includes one `Instant::now()` pair,
//! tens of nanoseconds) and the paths take turns in rounds, so slow phases
//! of a shared, noisy machine hit every path alike.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use libloading::Library;
use plugin_contoso_immediate::Contoso;
use seatwise_adapter::VendorAdapter;
use seatwise_adapter::abi::{ByteBuffer, CallFn, ENTRY_SYMBOL, EntryFn, FreeBufferFn, Method};
use seatwise_adapter::wire::{CallInput, CallResponse};
use seatwise_adapter_host::testing::{Plugin, PluginDir};
use seatwise_adapter_host::{
    AdapterHandle, AdapterInfo, CallContext, HostConfig, PluginRegistry, SeatChangeOutcome,
    SeatChangeRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Timed calls per path and method.
const CALLS: usize = 20_000;
/// The paths take turns this many times, `CALLS / ROUNDS` calls each turn.
const ROUNDS: usize = 20;
/// Untimed calls per path first (page faults, allocator, branch predictors).
const WARM_UP: usize = 1_000;

fn main() {
    // A private directory holding only a fresh copy of the Contoso plugin,
    // built in this benchmark's profile, so the registry loads nothing else.
    let plugin_dir = PluginDir::with(&[Plugin::Contoso]);
    let registry = PluginRegistry::load_dir(plugin_dir.path(), &HostConfig::default())
        .expect("the plugin directory is readable");
    let handle = registry
        .adapter("contoso")
        .expect("the contoso plugin loads");
    let raw = RawPlugin::open(&plugin_dir.path().join(Plugin::Contoso.file_name()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");

    let ctx = CallContext {
        tenant_id: "0190f0c4-5d5e-7c3a-9b1e-2f4d6a8c0e12".into(),
        app_id: "0190f0c4-5d5e-7c3a-9b1e-2f4d6a8c0e13".into(),
        // Realistic settings: the adapter parses them on every call.
        settings: serde_json::json!({
            "signing_secret": "bench-signing-secret",
            "install_base_url": "https://install.contoso.example/seatwise",
            "max_seats": 100_000,
        }),
    };
    let req = SeatChangeRequest {
        operation_id: "0190f0c4-5d5e-7c3a-9b1e-2f4d6a8c0e14".into(),
        previous_quantity: 20,
        requested_quantity: 25,
    };
    check_paths_agree(&raw, &handle, &runtime, &ctx, &req);

    let mut change_seats = [
        Samples::new("direct"),
        Samples::new("raw FFI"),
        Samples::new("AdapterHandle (async)"),
    ];
    let mut info = [Samples::new("direct"), Samples::new("raw FFI")];
    for round in 0..=ROUNDS {
        // Round 0 is the untimed warm-up.
        let calls = if round == 0 { WARM_UP } else { CALLS / ROUNDS };
        let keep = round > 0;
        change_seats[0].record(keep, calls, || {
            black_box(Contoso.change_seats(black_box(&ctx), black_box(&req))).is_ok()
        });
        change_seats[1].record(keep, calls, || {
            raw.call::<_, SeatChangeOutcome>(Method::ChangeSeats, &ctx, &req)
                .is_some()
        });
        change_seats[2].add(keep, handle_samples(&runtime, &handle, &ctx, &req, calls));
        info[0].record(keep, calls, || !black_box(Contoso.info()).key.is_empty());
        info[1].record(keep, calls, || raw.info().is_some());
    }

    println!("## Plugin call overhead (Contoso adapter, release build)\n");
    println!(
        "{CALLS} timed calls per row after {WARM_UP} warm-up calls; paths interleaved in {ROUNDS} rounds.\n"
    );
    println!(
        "| method | path | median µs | p99 µs | median overhead vs direct µs | median × direct |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    print_rows("change_seats", &mut change_seats);
    print_rows("info", &mut info);
}

/// Before timing anything: every path must give the same, successful answer,
/// so no row measures an error path.
fn check_paths_agree(
    raw: &RawPlugin,
    handle: &AdapterHandle,
    runtime: &tokio::runtime::Runtime,
    ctx: &CallContext,
    req: &SeatChangeRequest,
) {
    let expected = SeatChangeOutcome::Completed {
        quantity: req.requested_quantity,
    };
    assert_eq!(Contoso.change_seats(ctx, req).ok(), Some(expected.clone()));
    assert_eq!(
        raw.call(Method::ChangeSeats, ctx, req),
        Some(expected.clone())
    );
    let via_handle = runtime.block_on(handle.change_seats(ctx, req));
    assert_eq!(via_handle.ok(), Some(expected));
    assert_eq!(raw.info(), Some(Contoso.info()));
}

/// `calls` timed `AdapterHandle::change_seats` calls from a runtime worker
/// task, where the server's seat-change worker makes them.
fn handle_samples(
    runtime: &tokio::runtime::Runtime,
    handle: &AdapterHandle,
    ctx: &CallContext,
    req: &SeatChangeRequest,
    calls: usize,
) -> Vec<u64> {
    let (handle, ctx, req) = (handle.clone(), Arc::new(ctx.clone()), Arc::new(req.clone()));
    let task = runtime.spawn(async move {
        let mut nanos = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let outcome = handle.change_seats(&ctx, &req).await;
            nanos.push(elapsed_nanos(started));
            assert!(outcome.is_ok(), "the call succeeds");
        }
        nanos
    });
    runtime.block_on(task).expect("the sampling task completes")
}

/// Per-call durations of one path, in nanoseconds.
struct Samples {
    path: &'static str,
    nanos: Vec<u64>,
}

impl Samples {
    fn new(path: &'static str) -> Self {
        Self {
            path,
            nanos: Vec::with_capacity(CALLS),
        }
    }

    /// Times `calls` calls of `call` (which says whether it succeeded);
    /// keeps the samples only if `keep`.
    fn record(&mut self, keep: bool, calls: usize, mut call: impl FnMut() -> bool) {
        let mut nanos = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let ok = call();
            nanos.push(elapsed_nanos(started));
            assert!(ok, "the {} call succeeds", self.path);
        }
        self.add(keep, nanos);
    }

    fn sort(&mut self) {
        self.nanos.sort_unstable();
    }

    fn add(&mut self, keep: bool, nanos: Vec<u64>) {
        if keep {
            self.nanos.extend(nanos);
        }
    }

    /// The `p`-quantile in microseconds; call [`Samples::sort`] first.
    fn quantile_micros(&self, p: f64) -> f64 {
        let last = self.nanos.len().saturating_sub(1);
        // Rounded rank into a sorted Vec: the cast cannot truncate meaningfully.
        let rank = (last as f64 * p).round() as usize;
        self.nanos.get(rank).copied().unwrap_or(0) as f64 / 1_000.0
    }
}

/// One table row per path; the first path is the direct baseline.
fn print_rows(method: &str, paths: &mut [Samples]) {
    paths.iter_mut().for_each(Samples::sort);
    let Some((direct, others)) = paths.split_first_mut() else {
        return;
    };
    let base = direct.quantile_micros(0.5);
    println!(
        "| `{method}` | {} | {base:.3} | {:.3} | — | 1.0 |",
        direct.path,
        direct.quantile_micros(0.99)
    );
    for samples in others {
        let median = samples.quantile_micros(0.5);
        println!(
            "| `{method}` | {} | {median:.3} | {:.3} | {:.3} | {:.1} |",
            samples.path,
            samples.quantile_micros(0.99),
            median - base,
            median / base
        );
    }
}

fn elapsed_nanos(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The plugin's two C functions, opened independently of the host.
struct RawPlugin {
    call: CallFn,
    free_buffer: FreeBufferFn,
    /// Keeps the functions mapped.
    _library: Library,
}

impl RawPlugin {
    fn open(path: &Path) -> Self {
        // SAFETY: the Contoso plugin built from this workspace; loading runs
        // only its (Rust std) initialisers.
        let library = unsafe { Library::new(path) }.expect("the plugin library opens");
        // SAFETY: `EntryFn` is the ABI's type for this symbol.
        let entry = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }.expect("the entry symbol");
        // SAFETY: the entry function has no preconditions and returns a
        // pointer to a static descriptor of the version this SDK speaks
        // (same workspace, checked by the host's load just before).
        let descriptor = unsafe { &*entry() };
        Self {
            call: descriptor.call.expect("a call function"),
            free_buffer: descriptor.free_buffer.expect("a free_buffer function"),
            _library: library,
        }
    }

    /// `info` over the ABI: empty input.
    fn info(&self) -> Option<AdapterInfo> {
        decode(&self.call_bytes(Method::Info, &[]))
    }

    /// One method over the ABI, with the host's encoding and decoding.
    fn call<R: Serialize + Clone, T: DeserializeOwned>(
        &self,
        method: Method,
        ctx: &CallContext,
        request: &R,
    ) -> Option<T> {
        let input = CallInput {
            context: ctx.clone(),
            request: request.clone(),
        };
        let input = serde_json::to_vec(&input).expect("the input encodes");
        decode(&self.call_bytes(method, &input))
    }

    /// Calls, copies the answer out and frees the plugin's buffer, as the host does.
    fn call_bytes(&self, method: Method, input: &[u8]) -> Vec<u8> {
        // SAFETY: `input` is valid for its length during the call.
        let buffer: ByteBuffer = unsafe { (self.call)(method.id(), input.as_ptr(), input.len()) };
        assert!(!buffer.ptr.is_null(), "the plugin answers");
        // SAFETY: a returned buffer holds `len` bytes until freed just below.
        let copied = unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec();
        // SAFETY: returned by this plugin's `call`, freed once.
        unsafe { (self.free_buffer)(buffer) };
        copied
    }
}

/// The `ok` value of a response envelope; anything else is `None`.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    match serde_json::from_slice::<CallResponse<T>>(bytes) {
        Ok(CallResponse::Ok(value)) => Some(value),
        _ => None,
    }
}
