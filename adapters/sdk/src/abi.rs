//! The C ABI shared by plugins and the host.
//!
//! Only the `#[repr(C)]` types of this module and byte buffers cross the
//! library boundary; everything else travels as JSON inside those buffers
//! (see [`crate::wire`]). Plugins built with [`crate::export_adapter!`] get all
//! of this generated; the types are public so the host, and vendors who write
//! the glue by hand, use the very same definitions.
//!
//! The C declarations of the same ABI are `adapters/include/seatwise_adapter.h`
//! in the repository. Change both together: `tests/c_header.rs` has a C
//! compiler check the header's sizes, offsets and constants against this
//! module.

/// Version of the binary interface described in this module.
///
/// A plugin reports the version it was built for in
/// [`AdapterDescriptor::abi_version`]; the host refuses a plugin whose version
/// differs from its own before touching any other field.
pub const ABI_VERSION: u32 = 1;

/// Name of the one symbol every plugin exports (C linkage, no mangling).
///
/// Its type is [`EntryFn`].
pub const ENTRY_SYMBOL: &str = "seatwise_adapter_entry";

/// Type of the exported [`ENTRY_SYMBOL`] function.
///
/// It must return a pointer to a descriptor that stays valid for the life of
/// the process (typically a `static`), and must not do any other work.
pub type EntryFn = unsafe extern "C" fn() -> *const AdapterDescriptor;

/// Type of [`AdapterDescriptor::call`].
///
/// `input` points to `input_len` bytes of UTF-8 JSON owned by the host and
/// valid only for the duration of the call (it may be null when `input_len` is
/// 0). The returned buffer is owned by the plugin until the host hands it back
/// to [`FreeBufferFn`].
pub type CallFn =
    unsafe extern "C" fn(method: u32, input: *const u8, input_len: usize) -> ByteBuffer;

/// Type of [`AdapterDescriptor::free_buffer`]: releases a buffer that
/// [`CallFn`] returned. The host calls it exactly once per returned buffer.
pub type FreeBufferFn = unsafe extern "C" fn(buffer: ByteBuffer);

/// The static table a plugin's entry symbol points to.
///
/// `abi_version` is and will always stay the first field, so a host can read
/// it from a plugin built for any version before trusting the rest.
#[repr(C)]
#[derive(Debug)]
pub struct AdapterDescriptor {
    /// The [`ABI_VERSION`] the plugin was built for.
    pub abi_version: u32,
    /// Performs one adapter method (JSON in, JSON out). Must be safe to call
    /// from several threads at once. `None` (a null pointer in C) makes the
    /// host refuse the plugin.
    pub call: Option<CallFn>,
    /// Frees a buffer returned by `call`. `None` makes the host refuse the plugin.
    pub free_buffer: Option<FreeBufferFn>,
}

/// A byte buffer allocated by the plugin and returned to the host.
///
/// The host copies the bytes out and then passes the buffer, unchanged, to
/// [`AdapterDescriptor::free_buffer`]. Rust plugins allocate it as a boxed
/// slice, so `len` is also the allocation's capacity.
#[repr(C)]
#[derive(Debug)]
pub struct ByteBuffer {
    /// First byte; never null in a valid response.
    pub ptr: *mut u8,
    /// Number of bytes at `ptr`.
    pub len: usize,
}

impl ByteBuffer {
    /// Hands ownership of `bytes` over to a buffer that must later be released
    /// with [`ByteBuffer::free`].
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let boxed: Box<[u8]> = bytes.into_boxed_slice();
        let len = boxed.len();
        let ptr = Box::into_raw(boxed).cast::<u8>();
        Self { ptr, len }
    }

    /// Releases a buffer created by [`ByteBuffer::from_vec`]. A null buffer is
    /// ignored.
    ///
    /// # Safety
    ///
    /// `self` must come from [`ByteBuffer::from_vec`] in the same library
    /// (same allocator) and must not have been freed before.
    pub unsafe fn free(self) {
        if self.ptr.is_null() {
            return;
        }
        let slice = std::ptr::slice_from_raw_parts_mut(self.ptr, self.len);
        // SAFETY: per this function's contract, `ptr`/`len` describe a boxed
        // slice leaked by `from_vec` and not freed yet.
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// The methods a host can ask a plugin to perform, with their wire ids.
///
/// The id is what travels as `method` in [`CallFn`]; the name is used in logs
/// and in the documentation.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `info`: describe the adapter. Input is empty.
    Info = 1,
    /// `change_seats`: change the number of purchased seats.
    ChangeSeats = 2,
    /// `poll_seat_change`: ask about a change that was answered with `pending`.
    PollSeatChange = 3,
    /// `install_redirect`: build the "Install this product" URL.
    InstallRedirect = 4,
    /// `assignments_changed`: users gained or lost a seat.
    AssignmentsChanged = 5,
    /// `report_usage`: when users were last active in the app.
    ReportUsage = 6,
    /// `handle_webhook`: verify and read a request the vendor sent to the
    /// server's `/vendors/{key}/webhook` endpoint.
    HandleWebhook = 7,
}

impl Method {
    /// Every method, in id order.
    pub const ALL: [Method; 7] = [
        Method::Info,
        Method::ChangeSeats,
        Method::PollSeatChange,
        Method::InstallRedirect,
        Method::AssignmentsChanged,
        Method::ReportUsage,
        Method::HandleWebhook,
    ];

    /// The numeric id sent over the ABI.
    pub fn id(self) -> u32 {
        self as u32
    }

    /// The method for a numeric id, if it is one this SDK knows.
    pub fn from_id(id: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.id() == id)
    }

    /// The snake_case name used in logs and documentation.
    pub fn name(self) -> &'static str {
        match self {
            Method::Info => "info",
            Method::ChangeSeats => "change_seats",
            Method::PollSeatChange => "poll_seat_change",
            Method::InstallRedirect => "install_redirect",
            Method::AssignmentsChanged => "assignments_changed",
            Method::ReportUsage => "report_usage",
            Method::HandleWebhook => "handle_webhook",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
