//! Loading one plugin file into a usable adapter.

use std::path::Path;

use seatwise_adapter::AdapterInfo;
use seatwise_adapter::abi::Method;

use crate::adapter::AdapterHandle;
use crate::config::HostConfig;
use crate::ffi_call::decode_response;
use crate::library::open_plugin;
use crate::redact::plugin_text;
use crate::report::LoadRefusal;
use crate::worker::PluginWorker;

/// Longest adapter key; keys end up in URLs, logs and database columns.
const MAX_KEY_LEN: usize = 64;

/// Opens `path`, performs the handshake and asks the plugin for its info.
pub(crate) fn load_plugin(path: &Path, config: &HostConfig) -> Result<AdapterHandle, LoadRefusal> {
    let functions = open_plugin(path)?;
    // The key is unknown until info() answers, so this worker is temporary.
    let loading = PluginWorker::new(functions, "loading".into(), config.max_abandoned_calls);
    let info: AdapterInfo = loading
        .call_blocking(Method::Info, Vec::new(), config.load_timeout)
        .and_then(|bytes| decode_response(&bytes))
        .map_err(LoadRefusal::InfoFailed)?;
    check_key(&info.key)?;
    let worker = PluginWorker::new(functions, info.key.clone(), config.max_abandoned_calls);
    Ok(AdapterHandle::new(
        info,
        path.to_path_buf(),
        worker,
        config.call_timeout,
    ))
}

/// Keys are lowercase ASCII letters, digits, `-`, `_` and `.`, starting with
/// a letter or digit, so they are safe in URLs, file names and logs.
fn check_key(key: &str) -> Result<(), LoadRefusal> {
    let invalid = |reason| {
        Err(LoadRefusal::InvalidKey {
            // Plugin output in an operator-facing message: bounded.
            key: plugin_text(key, 2 * MAX_KEY_LEN),
            reason,
        })
    };
    let Some(first) = key.chars().next() else {
        return invalid("it is empty");
    };
    if key.len() > MAX_KEY_LEN {
        return invalid("it is longer than 64 characters");
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return invalid("it must start with a lowercase letter or a digit");
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    if !key.chars().all(allowed) {
        return invalid("only lowercase letters, digits, '-', '_' and '.' are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_keys() {
        for key in ["contoso", "bad-panic", "a", "vendor_2.eu"] {
            assert_eq!(check_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn a_huge_key_is_not_repeated_whole() {
        let huge = "k".repeat(100_000);

        let refusal = check_key(&huge).expect_err("too long");

        let message = refusal.to_string();
        assert!(message.len() < 400, "{message}");
        assert!(message.contains("… (100000 bytes in total)"), "{message}");
    }

    #[test]
    fn refuses_unusable_keys() {
        let too_long = "k".repeat(MAX_KEY_LEN + 1);
        for key in [
            "",
            "Contoso",
            "-lead",
            "with space",
            "nul\0",
            too_long.as_str(),
        ] {
            assert!(check_key(key).is_err(), "{key:?}");
        }
    }
}
