//! Why an adapter call failed.

use std::time::Duration;

use seatwise_adapter::AdapterError;

/// A failed adapter call, as seen by the server.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CallError {
    /// No loaded plugin provides this adapter key.
    #[error("no adapter plugin is loaded for key `{0}`")]
    NotLoaded(String),
    /// The adapter does not announce the capability the call needs.
    #[error("adapter `{key}` does not support {capability}")]
    Unsupported {
        /// The adapter's key.
        key: String,
        /// The missing capability, e.g. "install redirects".
        capability: &'static str,
    },
    /// Too many earlier calls timed out and are still stuck inside the plugin;
    /// the call was not attempted.
    #[error(
        "adapter `{key}` is quarantined: {abandoned} timed-out calls are still running inside it"
    )]
    Quarantined {
        /// The adapter's key.
        key: String,
        /// Calls that timed out and have not returned yet.
        abandoned: usize,
    },
    /// The plugin did not answer in time. The call may still complete inside
    /// the plugin; retries must reuse the same operation id.
    #[error("the adapter did not answer within {0:?}")]
    Timeout(Duration),
    /// The plugin's code panicked; the message is the panic's.
    #[error("the adapter panicked: {0}")]
    Panicked(String),
    /// The plugin answered something that is not a valid response.
    #[error("the adapter returned malformed output: {0}")]
    MalformedOutput(String),
    /// The plugin could not understand the call (unknown method or input
    /// schema): host and plugin disagree about the protocol.
    #[error("the adapter did not understand the call: {0}")]
    BadCall(String),
    /// The adapter itself reported an error.
    #[error("{0}")]
    Adapter(AdapterError),
    /// The operating system refused to start a thread for the call.
    #[error("could not start a thread for the adapter call: {0}")]
    WorkerUnavailable(String),
}

impl CallError {
    /// Whether retrying the same call later may succeed: timeouts,
    /// quarantine, thread exhaustion and transient adapter errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Timeout(_)
            | CallError::Quarantined { .. }
            | CallError::WorkerUnavailable(_) => true,
            CallError::Adapter(error) => error.is_transient(),
            CallError::NotLoaded(_)
            | CallError::Unsupported { .. }
            | CallError::Panicked(_)
            | CallError::MalformedOutput(_)
            | CallError::BadCall(_) => false,
        }
    }
}
