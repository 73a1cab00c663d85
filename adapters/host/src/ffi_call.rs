//! One raw call across the ABI, and decoding its answer.

use seatwise_adapter::AdapterError;
use seatwise_adapter::abi::Method;
use seatwise_adapter::wire::CallResponse;
use serde::de::DeserializeOwned;

use crate::error::CallError;
use crate::library::PluginFunctions;
use crate::redact::{MAX_PLUGIN_MESSAGE_BYTES, output_preview, plugin_text};

/// Answers larger than this are refused; no legitimate response comes close,
/// and a bogus length must not make the host allocate without bound.
const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;

/// Calls `method` with `input` and returns a copy of the plugin's output
/// bytes, after handing the plugin's buffer back to it.
///
/// Blocks for as long as the plugin takes; run it off the async runtime.
pub(crate) fn call_plugin(
    functions: PluginFunctions,
    method: Method,
    input: &[u8],
) -> Result<Vec<u8>, CallError> {
    // SAFETY: `input` is valid for `input.len()` bytes during the call, as
    // the ABI requires; the function pointer comes from a plugin that passed
    // the handshake and is never unloaded.
    let buffer = unsafe { (functions.call)(method.id(), input.as_ptr(), input.len()) };
    if buffer.ptr.is_null() {
        // Nothing to free: there is no allocation behind a null pointer.
        return Err(CallError::MalformedOutput(
            "the plugin returned a null buffer".into(),
        ));
    }
    let copied = if buffer.len > MAX_OUTPUT_BYTES {
        Err(CallError::MalformedOutput(format!(
            "the plugin returned {} bytes, more than the {MAX_OUTPUT_BYTES} allowed",
            buffer.len
        )))
    } else {
        // SAFETY: the ABI says a returned buffer holds `len` readable bytes
        // at `ptr` until it is freed, which happens just below.
        Ok(unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec())
    };
    // SAFETY: this buffer came from this plugin's `call` and is freed once.
    unsafe { (functions.free_buffer)(buffer) };
    copied
}

/// Decodes a [`CallResponse`] envelope into the method's value or the error it carries.
///
/// Plugin-written text in the error is redacted and bounded (see
/// [`crate::redact`]): it ends up in messages shown to administrators.
pub(crate) fn decode_response<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CallError> {
    let response: CallResponse<T> = serde_json::from_slice(bytes).map_err(|error| {
        // serde's message may quote the offending value: redact it too.
        CallError::MalformedOutput(format!(
            "{}; output starts with {}",
            message(&error.to_string()),
            output_preview(bytes)
        ))
    })?;
    match response {
        CallResponse::Ok(value) => Ok(value),
        CallResponse::Error(error) => Err(CallError::Adapter(AdapterError::new(
            error.kind,
            message(&error.message),
        ))),
        CallResponse::Panic { message: text } => Err(CallError::Panicked(message(&text))),
        CallResponse::BadCall { message: text } => Err(CallError::BadCall(message(&text))),
    }
}

fn message(text: &str) -> String {
    plugin_text(text, MAX_PLUGIN_MESSAGE_BYTES)
}
