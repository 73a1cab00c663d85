//! Plugin text on its way into error messages: bounded, and without the
//! secrets URLs carry.
//!
//! Error messages reach administrators (GraphQL user errors, seat-change
//! operations, the audit trail) and logs. What a plugin says can be long and
//! can hold a vendor's signed install link (`https://v.example/i?sig=…`),
//! which would let anyone who reads the message act as the administrator it
//! was made for. So every piece of plugin text the host puts into a
//! [`CallError`](crate::CallError) passes through here: URLs keep only their
//! scheme and host, and long text is cut with a note of its full size.

/// Most bytes of plugin-written text (error, panic and bad-call messages)
/// kept in one error message.
pub const MAX_PLUGIN_MESSAGE_BYTES: usize = 500;

/// Most bytes of raw plugin output quoted when the output is malformed.
pub const MAX_OUTPUT_PREVIEW_BYTES: usize = 80;

/// `text` with every URL in it redacted (see [`redact_url`]) and cut to at
/// most `max_bytes` bytes (on a character boundary), followed by
/// `… (N bytes in total)` when it was longer.
pub fn plugin_text(text: &str, max_bytes: usize) -> String {
    let redacted = redact_urls(text);
    match cut(&redacted, max_bytes) {
        Some(head) => format!("{head}… ({} bytes in total)", text.len()),
        None => redacted,
    }
}

/// Raw plugin output for a "malformed output" message: lossily decoded,
/// URLs redacted, quoted, and cut after [`MAX_OUTPUT_PREVIEW_BYTES`].
pub fn output_preview(bytes: &[u8]) -> String {
    let redacted = redact_urls(&String::from_utf8_lossy(bytes));
    match cut(&redacted, MAX_OUTPUT_PREVIEW_BYTES) {
        Some(head) => format!("{head:?}… ({} bytes in total)", bytes.len()),
        None => format!("{redacted:?}"),
    }
}

/// A URL as it may be shown: scheme and host (with port) only, `/…` when a
/// path, query or fragment followed. User info (`user:password@`) is
/// dropped. Something that is not `scheme://…` shows only what kind of
/// value it was.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return match url.split_once(':') {
            Some((scheme, _)) if is_scheme(scheme) && !scheme.is_empty() => {
                format!("a `{scheme}:` URL")
            }
            _ => format!("a value of {} bytes that is not a URL", url.len()),
        };
    };
    if !is_scheme(scheme) || scheme.is_empty() {
        return format!("a value of {} bytes that is not a URL", url.len());
    }
    format!("{scheme}://{}", shown_authority(rest))
}

/// What follows `://`, reduced to the host (and port), plus `/…` when a
/// path, query or fragment followed.
fn shown_authority(rest: &str) -> String {
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let more = if authority_end < rest.len() {
        "/…"
    } else {
        ""
    };
    format!("{host}{more}")
}

/// Every `scheme://…` in `text` reduced as [`redact_url`] does.
fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(separator) = rest.find("://") {
        // The scheme before the separator is kept as it is.
        let after = &rest[separator + 3..];
        let url_end = after.find(ends_url).unwrap_or(after.len());
        out.push_str(&rest[..separator + 3]);
        out.push_str(&shown_authority(&after[..url_end]));
        rest = &after[url_end..];
    }
    out.push_str(rest);
    out
}

/// Characters that end a URL embedded in text or JSON.
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '<' | '>' | '`' | '\\' | ')' | ']' | '}' | ','
        )
}

fn is_scheme(scheme: &str) -> bool {
    scheme.chars().all(is_scheme_char)
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

/// The longest prefix of `text` of at most `max_bytes` bytes ending on a
/// character boundary, or `None` when `text` already fits.
fn cut(text: &str, max_bytes: usize) -> Option<&str> {
    if text.len() <= max_bytes {
        return None;
    }
    let end = (0..=max_bytes)
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0);
    Some(&text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = "https://acme.example/install/start?sig=c2VjcmV0&token=eyJhbGciOi#frag";

    #[test]
    fn a_signed_url_keeps_only_its_scheme_and_host() {
        assert_eq!(redact_url(SIGNED), "https://acme.example/…");
        assert_eq!(redact_url("https://acme.example"), "https://acme.example");
        assert_eq!(
            redact_url("http://user:pa55@acme.example:8443?token=t"),
            "http://acme.example:8443/…"
        );
    }

    #[test]
    fn a_value_that_is_not_a_url_is_described_not_repeated() {
        assert_eq!(redact_url("javascript:steal(token)"), "a `javascript:` URL");
        assert_eq!(
            redact_url("sig=c2VjcmV0 token"),
            "a value of 18 bytes that is not a URL"
        );
    }

    #[test]
    fn urls_inside_plugin_text_are_redacted() {
        let message = format!("vendor answered 503 for {SIGNED}, try later");

        let shown = plugin_text(&message, MAX_PLUGIN_MESSAGE_BYTES);

        assert_eq!(
            shown,
            "vendor answered 503 for https://acme.example/…, try later"
        );
        assert!(!shown.contains("sig="), "{shown}");
        assert!(!shown.contains("token="), "{shown}");
    }

    #[test]
    fn urls_inside_json_output_are_redacted() {
        let output = format!(r#"{{"ok":{{"url":"{SIGNED}","expires_at":"soon"}}}}"#);

        let shown = output_preview(output.as_bytes());

        assert!(!shown.contains("sig="), "{shown}");
        assert!(!shown.contains("token="), "{shown}");
        assert!(shown.contains("https://acme.example/…"), "{shown}");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_its_size() {
        let long = "é".repeat(400); // 800 bytes, two per character

        let shown = plugin_text(&long, 501);

        assert_eq!(shown, format!("{}… (800 bytes in total)", "é".repeat(250)));
    }

    #[test]
    fn long_output_is_cut_with_an_ellipsis_and_its_size() {
        let output = format!(r#"{{"ok":"{}"}}"#, "x".repeat(10_000));

        let shown = output_preview(output.as_bytes());

        assert!(shown.ends_with("… (10009 bytes in total)"), "{shown}");
        assert!(shown.len() < 120, "{shown}");
    }

    #[test]
    fn short_text_without_urls_is_kept() {
        assert_eq!(plugin_text("rate limited", 500), "rate limited");
        assert_eq!(output_preview(b"not json"), "\"not json\"");
    }
}
