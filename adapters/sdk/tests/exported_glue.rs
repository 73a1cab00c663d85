//! Calls the code `export_adapter!` generates through its C entry point, in
//! process, the way the host does after loading a library.

use seatwise_adapter::abi::{AdapterDescriptor, ByteBuffer, Method};
use seatwise_adapter::{
    ABI_VERSION, AdapterError, AdapterInfo, CallContext, Capabilities, SeatChangeMode,
    SeatChangeOutcome, SeatChangeRequest, VendorAdapter,
};
use serde_json::{Value, json};

struct Probe;

impl VendorAdapter for Probe {
    fn info(&self) -> AdapterInfo {
        AdapterInfo {
            key: "probe".into(),
            display_name: "Probe".into(),
            version: "0.0.0".into(),
            capabilities: Capabilities {
                seat_changes: SeatChangeMode::Immediate,
                install_redirect: false,
                assignment_notices: false,
                vendor_webhooks: false,
                usage_reports: false,
            },
        }
    }

    fn change_seats(
        &self,
        _ctx: &CallContext,
        req: &SeatChangeRequest,
    ) -> Result<SeatChangeOutcome, AdapterError> {
        match req.requested_quantity {
            0 => Err(AdapterError::transient("vendor API is down")),
            13 => panic!("unlucky {}", req.requested_quantity),
            quantity => Ok(SeatChangeOutcome::Completed { quantity }),
        }
    }
}

seatwise_adapter::export_adapter!(Probe);

// The generated function is hidden in an anonymous scope; reach it by its
// exported symbol name, as a loader would.
unsafe extern "C" {
    fn seatwise_adapter_entry() -> *const AdapterDescriptor;
}

fn descriptor() -> &'static AdapterDescriptor {
    // SAFETY: the generated entry returns a pointer to a static.
    unsafe { &*seatwise_adapter_entry() }
}

fn call(method: u32, input: &[u8]) -> Value {
    let descriptor = descriptor();
    let (call, free) = (descriptor.call.unwrap(), descriptor.free_buffer.unwrap());
    // SAFETY: `input` is valid for its length; the buffer is freed once.
    let buffer: ByteBuffer = unsafe { call(method, input.as_ptr(), input.len()) };
    let bytes = unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec();
    unsafe { free(buffer) };
    serde_json::from_slice(&bytes).unwrap()
}

fn change_seats(requested: u32) -> Value {
    let input = json!({
        "context": {"tenant_id": "t", "app_id": "a", "settings": {}},
        "request": {"operation_id": "op", "previous_quantity": 1, "requested_quantity": requested}
    });
    call(Method::ChangeSeats.id(), input.to_string().as_bytes())
}

#[test]
fn descriptor_declares_this_abi_version() {
    assert_eq!(descriptor().abi_version, ABI_VERSION);
}

#[test]
fn info_ignores_its_empty_input() {
    let answer = call(Method::Info.id(), &[]);
    assert_eq!(answer["ok"]["key"], "probe");
}

#[test]
fn results_and_errors_are_wrapped_in_envelopes() {
    assert_eq!(
        change_seats(5),
        json!({"ok": {"status": "completed", "quantity": 5}})
    );
    assert_eq!(
        change_seats(0),
        json!({"error": {"kind": "transient", "message": "vendor API is down"}})
    );
}

#[test]
fn a_panic_is_caught_and_reported() {
    assert_eq!(
        change_seats(13),
        json!({"panic": {"message": "unlucky 13"}})
    );
}

#[test]
fn calls_the_plugin_cannot_understand_are_bad_calls() {
    let unknown = call(99, b"{}");
    let malformed = call(Method::ChangeSeats.id(), b"{\"context\": 1}");
    let not_json = call(Method::ChangeSeats.id(), b"\xff");

    assert_eq!(unknown["bad_call"]["message"], "unknown method id 99");
    for answer in [malformed, not_json] {
        let message = answer["bad_call"]["message"].as_str().unwrap();
        assert!(message.contains("change_seats"), "{message}");
    }
}

#[test]
fn unsupported_optional_methods_answer_a_permanent_error() {
    let input = json!({
        "context": {"tenant_id": "t", "app_id": "a"},
        "request": {"vendor_ref": "r"}
    });
    let answer = call(Method::PollSeatChange.id(), input.to_string().as_bytes());
    assert_eq!(answer["error"]["kind"], "permanent");
}
