//! Plugin-side glue behind [`export_adapter!`](crate::export_adapter): decodes
//! calls, runs the adapter with panics caught, encodes the answer.
//!
//! Public only because the macro expands inside the vendor's crate; not part
//! of the supported API.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::abi::{ByteBuffer, Method};
use crate::wire::{CallInput, CallResponse, PollRequest};
use crate::{AdapterError, VendorAdapter};

/// Returned when even encoding the answer failed, so the host always gets JSON.
const ENCODING_FAILED: &[u8] =
    br#"{"bad_call":{"message":"the plugin could not encode its answer"}}"#;

/// Runs one ABI call against the adapter that `adapter` returns.
///
/// `adapter` is a function (not a value) so that constructing the adapter
/// lazily happens inside the panic guard too.
///
/// # Safety
///
/// `input` must be null or point to `input_len` readable bytes for the
/// duration of the call.
pub unsafe fn dispatch(
    adapter: fn() -> &'static dyn VendorAdapter,
    method: u32,
    input: *const u8,
    input_len: usize,
) -> ByteBuffer {
    let input: &[u8] = if input.is_null() || input_len == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by this function's contract (the ABI's rule for `call`).
        unsafe { std::slice::from_raw_parts(input, input_len) }
    };
    // Unwinding out of an `extern "C"` function aborts the whole host, so
    // every panic, including one while encoding, must stop here.
    let encoded = catch_unwind(AssertUnwindSafe(|| run_method(adapter, method, input)))
        .unwrap_or_else(|payload| {
            encode(&CallResponse::<()>::Panic {
                message: panic_message(payload.as_ref()),
            })
        });
    ByteBuffer::from_vec(encoded)
}

/// Releases a buffer returned by [`dispatch`]; the descriptor's `free_buffer`.
///
/// # Safety
///
/// `buffer` must have been returned by this library's `call` and not freed yet.
pub unsafe extern "C" fn free_buffer(buffer: ByteBuffer) {
    // A panic cannot happen here (deallocation only), but guard anyway: this
    // runs on the far side of an FFI boundary.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: guaranteed by this function's contract.
        unsafe { buffer.free() }
    }));
}

fn run_method(adapter: fn() -> &'static dyn VendorAdapter, method: u32, input: &[u8]) -> Vec<u8> {
    let Some(method) = Method::from_id(method) else {
        return encode(&CallResponse::<()>::BadCall {
            message: format!("unknown method id {method}"),
        });
    };
    match method {
        Method::Info => encode(&CallResponse::Ok(adapter().info())),
        Method::ChangeSeats => with_input(method, input, |call: CallInput<_>| {
            adapter().change_seats(&call.context, &call.request)
        }),
        Method::PollSeatChange => with_input(method, input, |call: CallInput<PollRequest>| {
            adapter().poll_seat_change(&call.context, &call.request.vendor_ref)
        }),
        Method::InstallRedirect => with_input(method, input, |call: CallInput<_>| {
            adapter().install_redirect(&call.context, &call.request)
        }),
        Method::AssignmentsChanged => with_input(method, input, |call: CallInput<_>| {
            adapter().assignments_changed(&call.context, &call.request)
        }),
        Method::HandleWebhook => with_input(method, input, |call: CallInput<_>| {
            adapter().handle_webhook(&call.context, &call.request)
        }),
        Method::ReportUsage => with_input(method, input, |call: CallInput<_>| {
            adapter().report_usage(&call.context, &call.request)
        }),
    }
}

/// Decodes the method's input, runs `body`, and encodes its result.
fn with_input<R, T>(
    method: Method,
    input: &[u8],
    body: impl FnOnce(CallInput<R>) -> Result<T, AdapterError>,
) -> Vec<u8>
where
    R: DeserializeOwned,
    T: Serialize,
{
    let call = match serde_json::from_slice::<CallInput<R>>(input) {
        Ok(call) => call,
        Err(error) => {
            return encode(&CallResponse::<()>::BadCall {
                message: format!("input of `{method}` does not match its schema: {error}"),
            });
        }
    };
    match body(call) {
        Ok(value) => encode(&CallResponse::Ok(value)),
        Err(error) => encode(&CallResponse::<()>::Error(error)),
    }
}

fn encode<T: Serialize>(response: &CallResponse<T>) -> Vec<u8> {
    serde_json::to_vec(response).unwrap_or_else(|_| ENCODING_FAILED.to_vec())
}

/// The text of a panic payload (`panic!` with a literal or a format string).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Exports a [`VendorAdapter`](crate::VendorAdapter) from a `cdylib` crate.
///
/// Takes an expression that builds the adapter: a unit struct (`MyAdapter`)
/// or a constructor call (`MyAdapter::new()`). The value is built lazily on
/// the first call and lives until the process exits. Use the macro exactly
/// once per library.
///
/// The expansion defines the `seatwise_adapter_entry` symbol
/// ([`ENTRY_SYMBOL`](crate::ENTRY_SYMBOL)) returning a static
/// [`AdapterDescriptor`](crate::abi::AdapterDescriptor) whose `call` decodes
/// the JSON input, runs the adapter inside `catch_unwind`, and encodes the
/// result; a panic becomes a `{"panic": ...}` answer instead of unwinding
/// into the host.
///
/// Do not build plugins with `panic = "abort"`: a panic would then take the
/// whole host process down instead of failing one call.
#[macro_export]
macro_rules! export_adapter {
    ($adapter:expr) => {
        const _: () = {
            fn __seatwise_adapter() -> &'static dyn $crate::VendorAdapter {
                static ADAPTER: ::std::sync::OnceLock<
                    ::std::boxed::Box<dyn $crate::VendorAdapter>,
                > = ::std::sync::OnceLock::new();
                &**ADAPTER.get_or_init(|| ::std::boxed::Box::new($adapter))
            }

            unsafe extern "C" fn __seatwise_call(
                method: u32,
                input: *const u8,
                input_len: usize,
            ) -> $crate::abi::ByteBuffer {
                // SAFETY: the ABI obliges the host to pass `input_len`
                // readable bytes at `input` (or null with length 0).
                unsafe { $crate::export::dispatch(__seatwise_adapter, method, input, input_len) }
            }

            static __SEATWISE_DESCRIPTOR: $crate::abi::AdapterDescriptor =
                $crate::abi::AdapterDescriptor {
                    abi_version: $crate::ABI_VERSION,
                    call: ::std::option::Option::Some(__seatwise_call),
                    free_buffer: ::std::option::Option::Some($crate::export::free_buffer),
                };

            #[unsafe(no_mangle)]
            pub extern "C" fn seatwise_adapter_entry() -> *const $crate::abi::AdapterDescriptor {
                &__SEATWISE_DESCRIPTOR
            }
        };
    };
}
