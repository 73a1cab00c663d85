//! Test plugin: declares an ABI version one above the SDK's, so the host must
//! refuse it at load without calling anything. Key `bad-abi` (never reached).

#![warn(missing_docs)]

use seatwise_adapter::ABI_VERSION;
use seatwise_adapter::abi::{AdapterDescriptor, ByteBuffer};

/// Would answer `info`; the host must never get this far.
unsafe extern "C" fn call(_method: u32, _input: *const u8, _input_len: usize) -> ByteBuffer {
    ByteBuffer::from_vec(
        br#"{"ok":{"key":"bad-abi","display_name":"Bad plugin: wrong ABI","version":"0.1.0","capabilities":{"seat_changes":"immediate","install_redirect":false,"assignment_notices":false}}}"#
            .to_vec(),
    )
}

unsafe extern "C" fn free_buffer(buffer: ByteBuffer) {
    // SAFETY: the host only hands back buffers that `call` returned.
    unsafe { buffer.free() }
}

static DESCRIPTOR: AdapterDescriptor = AdapterDescriptor {
    abi_version: ABI_VERSION + 1,
    call: Some(call),
    free_buffer: Some(free_buffer),
};

/// The entry symbol, hand-written so it can lie about the ABI version.
#[unsafe(no_mangle)]
pub extern "C" fn seatwise_adapter_entry() -> *const AdapterDescriptor {
    &DESCRIPTOR
}
