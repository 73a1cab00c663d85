//! Input checks shared by the domain operations. Each returns the cleaned
//! value or an `INVALID_INPUT` error naming the field.

use crate::error::{CoreError, CoreResult};

/// Longest name or title we store.
pub const MAX_NAME_LEN: usize = 256;
/// Longest description we store.
pub const MAX_DESCRIPTION_LEN: usize = 4_096;

/// Trimmed, non-empty, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CoreError::invalid(field, "must not be empty"));
    }
    optional(field, value, max)
}

/// Trimmed, at most `max` characters.
pub fn optional(field: &str, value: &str, max: usize) -> CoreResult<String> {
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
pub fn email(field: &str, value: &str) -> CoreResult<String> {
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
pub fn http_url(field: &str, value: &str) -> CoreResult<String> {
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
        assert!(email("email", "ada@example.com").is_ok());
        for bad in ["", "ada", "ada@", "@x.com", "a@b", "a b@c.com", "a@@b.com"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert!(http_url("website", "https://contoso.example/apps").is_ok());
        assert!(http_url("website", "javascript:alert(1)").is_err());
        assert!(http_url("website", "https://").is_err());
        assert!(required("name", "   ", 10).is_err());
        assert_eq!(required("name", " Ada ", 10).unwrap(), "Ada");
        assert_eq!(contains_pattern("50%_A"), "%50\\%\\_a%");
    }
}
