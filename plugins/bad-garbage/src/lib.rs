//! Test plugin written against the raw C ABI (no SDK, no macro), the way a C
//! vendor would, that answers with malformed output. Key `bad-garbage`.
//!
//! `info` is valid so the plugin loads; then:
//! - `change_seats` returns bytes that are not JSON,
//! - `poll_seat_change` returns JSON of the wrong shape,
//! - `install_redirect` returns a well-formed redirect to a signed plain-http URL,
//! - `assignments_changed` returns a null buffer.

#![warn(missing_docs)]

use std::ptr;

/// Mirror of the ABI's `SeatwiseBuffer` (see adapters/ABI.md).
#[repr(C)]
pub struct Buffer {
    ptr: *mut u8,
    len: usize,
}

/// Mirror of the ABI's `SeatwiseAdapterDescriptor`.
#[repr(C)]
pub struct Descriptor {
    abi_version: u32,
    call: unsafe extern "C" fn(u32, *const u8, usize) -> Buffer,
    free_buffer: unsafe extern "C" fn(Buffer),
}

const INFO: &[u8] = br#"{"ok":{"key":"bad-garbage","display_name":"Bad plugin: garbage output","version":"0.1.0","capabilities":{"seat_changes":"asynchronous","install_redirect":true,"assignment_notices":true}}}"#;
const NOT_JSON: &[u8] = b"\xff\xfe this is not JSON {";
const WRONG_SHAPE: &[u8] = br#"{"ok":{"status":"exploded","seats":"many"}}"#;
/// Signed like a real install link: the host must not repeat the token in
/// the error it reports.
const PLAIN_HTTP: &[u8] = br#"{"ok":{"url":"http://install.garbage.example/install?sig=s3cr3t-signature&token=t0ken-for-admin","expires_at":4102444800}}"#;
const UNKNOWN_METHOD: &[u8] = br#"{"bad_call":{"message":"unknown method"}}"#;

fn owned(bytes: &[u8]) -> Buffer {
    let boxed: Box<[u8]> = bytes.into();
    let len = boxed.len();
    Buffer {
        ptr: Box::into_raw(boxed).cast::<u8>(),
        len,
    }
}

unsafe extern "C" fn call(method: u32, _input: *const u8, _input_len: usize) -> Buffer {
    match method {
        1 => owned(INFO),
        2 => owned(NOT_JSON),
        3 => owned(WRONG_SHAPE),
        4 => owned(PLAIN_HTTP),
        5 => Buffer {
            ptr: ptr::null_mut(),
            len: 0,
        },
        _ => owned(UNKNOWN_METHOD),
    }
}

unsafe extern "C" fn free_buffer(buffer: Buffer) {
    if buffer.ptr.is_null() {
        return;
    }
    // SAFETY: non-null buffers all come from `owned`, i.e. a leaked boxed
    // slice of exactly `len` bytes, and the host frees each once.
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(buffer.ptr, buffer.len)) });
}

static DESCRIPTOR: Descriptor = Descriptor {
    abi_version: 1,
    call,
    free_buffer,
};

/// The entry symbol the host looks up.
#[unsafe(no_mangle)]
pub extern "C" fn seatwise_adapter_entry() -> *const Descriptor {
    &DESCRIPTOR
}
