//! Input checks shared by the domain operations. Each returns the cleaned
//! value or an `INVALID_INPUT` error naming the field.

use crate::error::{CoreError, CoreResult, InputField};

/// Longest name or title we store.
pub const MAX_NAME_LEN: usize = 256;
/// Longest description we store.
pub const MAX_DESCRIPTION_LEN: usize = 4_096;

/// Most users or groups one API request may name (`principalIds`,
/// `userIds`, `memberIds`). A request's work and its transaction grow with
/// the list; past this, split the work into several requests. 1,000 covers
/// any change made by hand and keeps a client's transaction short. The API
/// applies it to what clients send; the core's own methods take any length,
/// since bulk callers (seeding, imports) are set-based and chunked.
pub const MAX_IDS_PER_CALL: usize = 1_000;

/// Largest adapter settings accepted, as serialized JSON. Settings are a
/// few keys an adapter needs (an account id, a region); the limit keeps
/// tenant input handed to every plugin call small.
pub const MAX_ADAPTER_SETTINGS_BYTES: usize = 16 * 1024;

/// A list of ids no longer than [`MAX_IDS_PER_CALL`], counted as given
/// (before duplicates are dropped).
pub fn id_count(field: InputField, count: usize) -> CoreResult<()> {
    if count > MAX_IDS_PER_CALL {
        return Err(CoreError::invalid(
            field,
            format!(
                "at most {MAX_IDS_PER_CALL} ids per call, got {count}; split the change into several calls"
            ),
        ));
    }
    Ok(())
}

/// Adapter settings: a JSON object (or nothing, stored as `{}`) of at most
/// [`MAX_ADAPTER_SETTINGS_BYTES`] serialized. Returns the text to store.
pub fn adapter_settings(field: InputField, value: &serde_json::Value) -> CoreResult<String> {
    let text = match value {
        serde_json::Value::Null => return Ok("{}".to_owned()),
        serde_json::Value::Object(_) => value.to_string(),
        _ => return Err(CoreError::invalid(field, "must be a JSON object")),
    };
    if text.len() > MAX_ADAPTER_SETTINGS_BYTES {
        return Err(CoreError::invalid(
            field,
            format!(
                "must be at most {MAX_ADAPTER_SETTINGS_BYTES} bytes as JSON, got {}",
                text.len()
            ),
        ));
    }
    Ok(text)
}

/// Trimmed, non-empty, at most `max` characters.
pub fn required(field: InputField, value: &str, max: usize) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CoreError::invalid(field, "must not be empty"));
    }
    optional(field, value, max)
}

/// Trimmed, at most `max` characters.
pub fn optional(field: InputField, value: &str, max: usize) -> CoreResult<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A plausible email address: one `@`, something on each side, a dot in the
/// domain, no spaces. Deliverability is the mail system's business.
pub fn email(field: InputField, value: &str) -> CoreResult<String> {
    let value = required(field, value, MAX_NAME_LEN)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !value.contains(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(value)
    } else {
        Err(CoreError::invalid(field, "is not an email address"))
    }
}

/// An absolute http(s) URL with a host.
pub fn http_url(field: InputField, value: &str) -> CoreResult<String> {
    let value = required(field, value, 2_048)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| CoreError::invalid(field, "must be an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || value.contains(char::is_whitespace) {
        return Err(CoreError::invalid(
            field,
            "must be an http:// or https:// URL with a host",
        ));
    }
    Ok(value)
}

/// The key used to sort and compare names case-insensitively.
pub fn sort_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A `LIKE` pattern matching `text` anywhere, with wildcards escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for ch in sort_key(text).chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_emails_urls_and_names() {
        assert!(email(InputField::Email, "ada@example.com").is_ok());
        for bad in ["", "ada", "ada@", "@x.com", "a@b", "a b@c.com", "a@@b.com"] {
            assert!(email(InputField::Email, bad).is_err(), "{bad}");
        }
        assert!(http_url(InputField::VendorWebsite, "https://contoso.example/apps").is_ok());
        assert!(http_url(InputField::VendorWebsite, "javascript:alert(1)").is_err());
        assert!(http_url(InputField::VendorWebsite, "https://").is_err());
        assert!(required(InputField::Name, "   ", 10).is_err());
        assert_eq!(required(InputField::Name, " Ada ", 10).unwrap(), "Ada");
        assert_eq!(contains_pattern("50%_A"), "%50\\%\\_a%");
    }

    #[test]
    fn limits_lists_of_ids_and_adapter_settings() {
        assert!(id_count(InputField::UserIds, MAX_IDS_PER_CALL).is_ok());
        assert!(matches!(
            id_count(InputField::UserIds, MAX_IDS_PER_CALL + 1),
            Err(CoreError::InvalidInput { field, .. }) if field == InputField::UserIds
        ));
        assert_eq!(
            adapter_settings(InputField::AdapterSettings, &serde_json::Value::Null).unwrap(),
            "{}"
        );
        assert!(adapter_settings(InputField::AdapterSettings, &serde_json::json!([1])).is_err());
        let fits = "x".repeat(MAX_ADAPTER_SETTINGS_BYTES - 20);
        assert!(
            adapter_settings(
                InputField::AdapterSettings,
                &serde_json::json!({ "k": fits })
            )
            .is_ok()
        );
        let too_big = "x".repeat(MAX_ADAPTER_SETTINGS_BYTES);
        assert!(
            adapter_settings(
                InputField::AdapterSettings,
                &serde_json::json!({ "k": too_big })
            )
            .is_err()
        );
    }
}
