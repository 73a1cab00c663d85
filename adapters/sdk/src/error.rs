//! The error an adapter reports, and how the host should react to it.

use serde::{Deserialize, Serialize};

/// How the host should treat an [`AdapterError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Temporary trouble (vendor API down, rate limited): the host's worker
    /// retries the call later.
    Transient,
    /// The call can never succeed as asked: the host does not retry.
    Permanent,
    /// The app's adapter settings are missing or wrong: an administrator must
    /// fix them before retrying.
    InvalidSettings,
    /// `handle_webhook` only: the request's signature does not verify (or
    /// is missing); the host answers 401 and changes nothing.
    Unauthorized,
    /// `handle_webhook` only: the request's body cannot be read; the host
    /// answers 400 and changes nothing.
    Malformed,
}

/// An error reported by an adapter: `{"kind": "transient", "message": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterError {
    /// How the host should react.
    pub kind: ErrorKind,
    /// Human-readable explanation, shown to administrators. Never put secrets here.
    pub message: String,
}

impl AdapterError {
    /// An error with the given kind and message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A [`ErrorKind::Transient`] error: the host will retry.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }

    /// A [`ErrorKind::Permanent`] error: the host will not retry.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }

    /// A [`ErrorKind::InvalidSettings`] error: the app's settings need fixing.
    pub fn invalid_settings(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidSettings, message)
    }

    /// A [`ErrorKind::Unauthorized`] error: a vendor webhook whose
    /// signature does not verify.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, message)
    }

    /// A [`ErrorKind::Malformed`] error: a vendor webhook whose body cannot
    /// be read.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, message)
    }

    /// Whether the host should retry the call later.
    pub fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Transient
    }
}

impl std::fmt::Display for AdapterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ErrorKind::Transient => "transient error",
            ErrorKind::Permanent => "permanent error",
            ErrorKind::InvalidSettings => "invalid adapter settings",
            ErrorKind::Unauthorized => "unauthorized webhook",
            ErrorKind::Malformed => "malformed webhook",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl std::error::Error for AdapterError {}
