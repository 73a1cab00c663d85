//! Test plugin: a shared library that exports a function, just not the
//! `seatwise_adapter_entry` symbol. The host must refuse it at load.

#![warn(missing_docs)]

/// A misspelt entry point, as a vendor might ship by mistake.
#[unsafe(no_mangle)]
pub extern "C" fn seatwise_adapter_entry_point() -> u32 {
    1
}
