//! Building install URLs whose query string is signed with HMAC-SHA256.
//!
//! The signature is the lowercase hex HMAC-SHA256, keyed with the app's
//! `signing_secret`, of the exact query string that precedes `&sig=` (after
//! percent-encoding). Contoso's install service recomputes it over the bytes it
//! received, so no canonicalisation step is needed.

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use seatwise_adapter::AdapterError;
use sha2::Sha256;

/// Everything but RFC 3986 "unreserved" characters gets percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `{base}/install?{k=v&...}&sig={hex hmac of the query}`.
pub fn build(base: &str, params: &[(&str, &str)], secret: &[u8]) -> Result<String, AdapterError> {
    let query = params
        .iter()
        .map(|(key, value)| format!("{key}={}", utf8_percent_encode(value, QUERY_VALUE)))
        .collect::<Vec<_>>()
        .join("&");
    let signature = sign(query.as_bytes(), secret)?;
    Ok(format!("{base}/install?{query}&sig={signature}"))
}

fn sign(message: &[u8], secret: &[u8]) -> Result<String, AdapterError> {
    // HMAC accepts keys of any length, so this cannot fail in practice; an
    // error is still better than a URL without a valid signature.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| AdapterError::invalid_settings("`signing_secret` is not a usable HMAC key"))?;
    mac.update(message);
    Ok(hex::encode(mac.finalize().into_bytes()))
}
