//! Opening a plugin file and checking the ABI handshake.

use std::error::Error as _;
use std::path::Path;

use libloading::Library;
use seatwise_adapter::ABI_VERSION;
use seatwise_adapter::abi::{AdapterDescriptor, CallFn, ENTRY_SYMBOL, EntryFn, FreeBufferFn};

use crate::report::LoadRefusal;

/// The two functions of a plugin that passed the handshake.
///
/// They point into a library that is never unloaded, so they stay valid for
/// the rest of the process and can be copied freely between threads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PluginFunctions {
    /// The descriptor's `call`.
    pub call: CallFn,
    /// The descriptor's `free_buffer`.
    pub free_buffer: FreeBufferFn,
}

/// Opens the library at `path`, finds the entry symbol and checks the
/// descriptor's ABI version, then leaks the library.
pub(crate) fn open_plugin(path: &Path) -> Result<PluginFunctions, LoadRefusal> {
    // SAFETY: loading a library runs its initialisers; plugins are trusted
    // vendor code installed by an operator, which is the premise of the
    // whole plugin system. Everything after this point is defensive.
    let library =
        unsafe { Library::new(path) }.map_err(|error| LoadRefusal::Open(with_source(&error)))?;
    let functions = read_descriptor(&library);
    // Never unload a plugin, whether it passed the handshake or not:
    // - threads of timed-out calls may still be executing its code;
    // - Rust cdylibs register thread-local destructors and other global
    //   state that crash when their code vanishes (dlclose) underneath;
    // - the server loads plugins once at start, so the leak is bounded.
    std::mem::forget(library);
    functions
}

fn read_descriptor(library: &Library) -> Result<PluginFunctions, LoadRefusal> {
    // SAFETY: `EntryFn` is the type the ABI specifies for this symbol.
    let entry = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }
        .map_err(|error| LoadRefusal::MissingEntry(with_source(&error)))?;
    // SAFETY: the ABI requires the entry function to have no preconditions.
    let descriptor = unsafe { entry() };
    if descriptor.is_null() {
        return Err(LoadRefusal::NullDescriptor);
    }
    // SAFETY: the ABI guarantees `abi_version` is the first field of the
    // descriptor in every version, so it can be read before trusting the rest.
    let abi_version = unsafe { descriptor.cast::<u32>().read() };
    if abi_version != ABI_VERSION {
        return Err(LoadRefusal::AbiMismatch {
            found: abi_version,
            expected: ABI_VERSION,
        });
    }
    // SAFETY: same version, so the descriptor has this crate's layout; it is
    // static data of a library that is never unloaded.
    let descriptor: &AdapterDescriptor = unsafe { &*descriptor };
    Ok(PluginFunctions {
        call: descriptor.call.ok_or(LoadRefusal::NullFunction("call"))?,
        free_buffer: descriptor
            .free_buffer
            .ok_or(LoadRefusal::NullFunction("free_buffer"))?,
    })
}

/// libloading's errors put the system's explanation in `source()`.
fn with_source(error: &libloading::Error) -> String {
    match error.source() {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}
