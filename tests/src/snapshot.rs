//! Redaction for insta snapshots of GraphQL answers.
//!
//! Ids, cursors, tokens and times differ on every run; a snapshot keeps
//! what a user sees and replaces those by placeholders. The same value gets
//! the same placeholder throughout one body (`[id 1]`, `[id 2]`, …), so a
//! snapshot still shows that two fields point at the same object.

use std::collections::HashMap;

use serde_json::Value;

/// `body` with volatile values replaced; everything else as it was.
pub fn redact(body: &Value) -> Value {
    let mut seen = Placeholders::default();
    redact_value(None, body, &mut seen)
}

#[derive(Default)]
struct Placeholders {
    by_value: HashMap<(Volatile, String), String>,
    counts: HashMap<Volatile, usize>,
}

impl Placeholders {
    fn of(&mut self, kind: Volatile, value: &str) -> String {
        let key = (kind, value.to_owned());
        if let Some(found) = self.by_value.get(&key) {
            return found.clone();
        }
        let count = self.counts.entry(kind).or_default();
        *count += 1;
        let placeholder = format!("[{} {count}]", kind.label());
        self.by_value.insert(key, placeholder.clone());
        placeholder
    }
}

/// The kinds of values that change from run to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Volatile {
    Id,
    Cursor,
    Time,
    Secret,
}

impl Volatile {
    fn label(self) -> &'static str {
        match self {
            Volatile::Id => "id",
            Volatile::Cursor => "cursor",
            Volatile::Time => "time",
            Volatile::Secret => "secret",
        }
    }

    /// What the field named `key` holds, when it is volatile.
    fn of_field(key: &str) -> Option<Self> {
        if key == "id" || key.ends_with("Id") || key.ends_with("Ids") || key == "vendorReference" {
            Some(Volatile::Id)
        } else if key.ends_with("Cursor") || key == "cursor" {
            Some(Volatile::Cursor)
        } else if key.ends_with("At")
            || key == "since"
            || key == "lastUsed"
            // SCIM's `meta`.
            || key == "created"
            || key == "lastModified"
        {
            Some(Volatile::Time)
        } else if key == "secret" || key == "token" || key.ends_with("Url") || key == "url" {
            Some(Volatile::Secret)
        } else {
            None
        }
    }
}

fn redact_value(key: Option<&str>, value: &Value, seen: &mut Placeholders) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_value(Some(k), v, seen)))
                .collect(),
        ),
        // Lists of ids (e.g. `principalIds`) take the field's kind.
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| redact_value(key, item, seen))
                .collect(),
        ),
        Value::String(text) => match key.and_then(Volatile::of_field) {
            Some(kind) => Value::String(seen.of(kind, text)),
            // Messages that quote a raw id ("app 0193… was not found").
            None => Value::String(redact_uuids(text, seen)),
        },
        _ => value.clone(),
    }
}

/// `text` with every UUID in it (8-4-4-4-12 hex digits) replaced by its
/// placeholder.
fn redact_uuids(text: &str, seen: &mut Placeholders) -> String {
    const LEN: usize = 36;
    let is_uuid = |candidate: &str| {
        candidate.len() == LEN
            && candidate.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if rest.len() >= LEN && rest.is_char_boundary(LEN) && is_uuid(&rest[..LEN]) {
            out.push_str(&seen.of(Volatile::Id, &rest[..LEN].to_ascii_lowercase()));
            rest = &rest[LEN..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_ids_inside_messages_are_redacted() {
        let body = json!({ "errors": [ { "message": "app 0193a6f2-7c1e-7b21-9c3d-5e6f7a8b9c0d was not found" } ] });
        assert_eq!(
            redact(&body),
            json!({ "errors": [ { "message": "app [id 1] was not found" } ] })
        );
    }

    #[test]
    fn same_value_same_placeholder_and_the_rest_kept() {
        let body = json!({
            "app": { "id": "QXBwOjE=", "name": "Whiteboard", "createdAt": "2026-12-02T03:00:00Z" },
            "assignments": [ { "app": { "id": "QXBwOjE=" }, "principalIds": ["VXNlcjox", "VXNlcjoy"] } ],
            "pageInfo": { "endCursor": "abc", "hasNextPage": false }
        });
        assert_eq!(
            redact(&body),
            json!({
                "app": { "id": "[id 1]", "name": "Whiteboard", "createdAt": "[time 1]" },
                "assignments": [ { "app": { "id": "[id 1]" }, "principalIds": ["[id 2]", "[id 3]"] } ],
                "pageInfo": { "endCursor": "[cursor 1]", "hasNextPage": false }
            })
        );
    }
}
