//! What happened to each plugin file at load.

use std::fmt;
use std::path::PathBuf;

use seatwise_adapter::abi::ENTRY_SYMBOL;
use seatwise_adapter::{AdapterInfo, SeatChangeMode};

use crate::error::CallError;

/// The result of loading one plugin file.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadReport {
    /// The file that was loaded.
    pub path: PathBuf,
    /// Loaded, or refused and why.
    pub outcome: LoadOutcome,
}

/// Whether a plugin file was loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadOutcome {
    /// The plugin is usable under `info.key`.
    Loaded(AdapterInfo),
    /// The plugin is not used.
    Refused(LoadRefusal),
}

/// Why a plugin file was refused. The `Display` text is meant for operators.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LoadRefusal {
    /// The file could not be loaded as a shared library.
    #[error("cannot load the file as a shared library: {0}")]
    Open(String),
    /// The library does not export the entry symbol. The text says how to
    /// export it in C and in Rust: plugins may be written in either (or in
    /// any language that can export a C function).
    #[error(
        "missing entry symbol `{sym}`: the library must export it with C linkage \
         (C: define `SEATWISE_EXPORT const SeatwiseAdapterDescriptor *{sym}(void)` \
         from adapters/include/seatwise_adapter.h, which is `__declspec(dllexport)` on Windows; \
         Rust: call `seatwise_adapter::export_adapter!` in a `cdylib` crate): {0}",
        sym = ENTRY_SYMBOL
    )]
    MissingEntry(String),
    /// The entry symbol returned a null descriptor.
    #[error("the entry symbol returned a null descriptor")]
    NullDescriptor,
    /// The plugin was built for another ABI version.
    #[error("plugin built for ABI v{found}, this server speaks v{expected}")]
    AbiMismatch {
        /// Version the plugin declares.
        found: u32,
        /// Version this host speaks.
        expected: u32,
    },
    /// The descriptor lacks a required function.
    #[error("the descriptor's `{0}` function pointer is null")]
    NullFunction(&'static str),
    /// `info()` failed: panicked, timed out, or answered malformed JSON.
    #[error("info() failed: {0}")]
    InfoFailed(CallError),
    /// `info()` returned a key that apps cannot use.
    #[error("invalid adapter key {key:?}: {reason}")]
    InvalidKey {
        /// The key as returned.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Another file already provides this adapter key.
    #[error("duplicate adapter key `{key}`, already provided by {}", first.display())]
    DuplicateKey {
        /// The contested key.
        key: String,
        /// The file that was loaded first and keeps the key.
        first: PathBuf,
    },
}

impl LoadReport {
    /// The adapter's info if the plugin was loaded.
    pub fn info(&self) -> Option<&AdapterInfo> {
        match &self.outcome {
            LoadOutcome::Loaded(info) => Some(info),
            LoadOutcome::Refused(_) => None,
        }
    }

    /// The reason if the plugin was refused.
    pub fn refusal(&self) -> Option<&LoadRefusal> {
        match &self.outcome {
            LoadOutcome::Loaded(_) => None,
            LoadOutcome::Refused(refusal) => Some(refusal),
        }
    }
}

/// One line per report, e.g. for `seatwise plugins inspect` and start-up logs:
/// `path: loaded adapter `contoso` ...` or `path: refused: reason`.
impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.outcome {
            LoadOutcome::Loaded(info) => {
                let capabilities = &info.capabilities;
                let seats = match capabilities.seat_changes {
                    SeatChangeMode::None => "none",
                    SeatChangeMode::Immediate => "immediate",
                    SeatChangeMode::Asynchronous => "asynchronous",
                };
                write!(
                    f,
                    "{path}: loaded adapter `{}` ({} {}; seat changes: {seats}, \
                     install redirect: {}, assignment notices: {})",
                    info.key,
                    info.display_name,
                    info.version,
                    yes_no(capabilities.install_redirect),
                    yes_no(capabilities.assignment_notices),
                )
            }
            LoadOutcome::Refused(refusal) => write!(f, "{path}: refused: {refusal}"),
        }
    }
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}
