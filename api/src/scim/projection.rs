//! `attributes` and `excludedAttributes` (RFC 7644 §3.9): which parts of a
//! resource an answer shows.
//!
//! A name is an attribute (`userName`), a sub-attribute (`name.givenName`,
//! `emails.value`: of every element of a multi-valued attribute), or
//! either fully qualified by its schema's URN
//! (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`,
//! `urn:ietf:params:scim:schemas:core:2.0:User:userName`); an extension's
//! URN alone names the whole extension. Names are compared without case
//! (RFC 7643 §2.1), and the answer keeps the resource's own spelling.
//! Unqualified names are core attributes (RFC 7644 §3.10), so
//! `attributes=userName` does not return the enterprise extension.
//!
//! `id` and `schemas` are always returned (`id` is `returned: always`, RFC
//! 7643 §3.1; `schemas` says how to read the rest). `meta` is `returned:
//! default` (RFC 7643 §3.1): `attributes` without it leaves it out, as RFC
//! 7644 §3.9's own example does. An extension the projection removes is
//! taken out of `schemas` too, and an attribute left with no value (every
//! sub-attribute excluded, or none of those asked for present) is left
//! out, as an unassigned attribute is. With both parameters, `attributes`
//! selects and `excludedAttributes` then removes.

use serde_json::{Map, Value};

use super::discovery::{GROUP_SCHEMAS, USER_SCHEMAS};

/// Attributes every answer shows, whatever it asked.
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// One name, as the lower-cased path to it in a resource's JSON: `[attr]`,
/// `[attr, sub]`, `[urn]`, `[urn, attr]` or `[urn, attr, sub]`.
type NamePath = Vec<String>;

/// A request's `attributes` and `excludedAttributes`, parsed.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    attributes: Vec<NamePath>,
    excluded: Vec<NamePath>,
}

impl Projection {
    /// From the names of the two parameters. A name of a schema this
    /// server does not have, or one that is not an attribute path, names
    /// nothing (an `attributes` of only such names shows `id` and
    /// `schemas`).
    pub fn new(attributes: &[String], excluded: &[String]) -> Self {
        // A name that names nothing stays as a path no attribute has, so
        // an `attributes` of only such names still selects.
        let parse = |names: &[String]| -> Vec<NamePath> {
            names
                .iter()
                .map(|n| name_path(n).unwrap_or_else(|| vec![String::new()]))
                .collect()
        };
        Self {
            attributes: parse(attributes),
            excluded: parse(excluded),
        }
    }

    /// Whether either parameter was given.
    pub fn asked(&self) -> bool {
        !self.attributes.is_empty() || !self.excluded.is_empty()
    }

    /// Whether the answer shows any of the core attribute `name` (so
    /// whether it is worth reading: a group's members).
    pub fn shows(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let selected = self.attributes.is_empty()
            || self
                .attributes
                .iter()
                .any(|p| p.first().is_some_and(|first| *first == name));
        let excluded = self.excluded.iter().any(|p| p.len() == 1 && p[0] == name);
        selected && !excluded
    }

    /// `resource` as the answer shows it.
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(object) = resource else {
            return resource;
        };
        if !self.asked() {
            return Value::Object(object);
        }
        let mut removed_extensions = Vec::new();
        let mut kept = Map::new();
        for (key, value) in object {
            let lower = key.to_ascii_lowercase();
            if ALWAYS.contains(&lower.as_str()) {
                kept.insert(key, value);
                continue;
            }
            let selected = if self.attributes.is_empty() {
                Some(value)
            } else {
                select(value, &tails(&self.attributes, &lower))
            };
            match selected.and_then(|v| exclude(v, &tails(&self.excluded, &lower))) {
                Some(value) => {
                    kept.insert(key, value);
                }
                None if lower.starts_with("urn:") => removed_extensions.push(lower),
                None => {}
            }
        }
        if let Some(Value::Array(schemas)) = kept.get_mut("schemas") {
            schemas.retain(|s| {
                s.as_str()
                    .is_none_or(|s| !removed_extensions.contains(&s.to_ascii_lowercase()))
            });
        }
        Value::Object(kept)
    }
}

/// `resource` with `attributes` and `excluded` (comma-separated lists,
/// already split) applied.
pub fn project(resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    Projection::new(attributes, excluded).apply(resource)
}

/// The path a name stands for; `None` for a schema this server does not
/// have or a malformed name.
fn name_path(name: &str) -> Option<NamePath> {
    let lower = name.trim().to_ascii_lowercase();
    for core in [USER_SCHEMAS.core, GROUP_SCHEMAS.core] {
        if let Some(rest) = lower.strip_prefix(&format!("{}:", core.to_ascii_lowercase())) {
            return attribute_path(rest);
        }
    }
    for extension in USER_SCHEMAS
        .extensions
        .iter()
        .chain(GROUP_SCHEMAS.extensions)
    {
        let urn = extension.to_ascii_lowercase();
        if lower == urn {
            return Some(vec![urn]);
        }
        if let Some(rest) = lower.strip_prefix(&format!("{urn}:")) {
            let mut path = vec![urn];
            path.extend(attribute_path(rest)?);
            return Some(path);
        }
    }
    if lower.starts_with("urn:") {
        return None;
    }
    attribute_path(&lower)
}

/// `attr` or `attr.sub`.
fn attribute_path(text: &str) -> Option<NamePath> {
    let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
    let valid = segments.len() <= 2 && segments.iter().all(|s| !s.is_empty());
    valid.then_some(segments)
}

/// What each path that starts at `segment` names below it.
fn tails<'a, P: AsRef<[String]>>(paths: &'a [P], segment: &str) -> Vec<&'a [String]> {
    paths
        .iter()
        .filter_map(|p| match p.as_ref().split_first() {
            Some((first, rest)) if first == segment => Some(rest),
            _ => None,
        })
        .collect()
}

/// The part of `value` that `paths` (relative to it) name; `None` when
/// nothing is left. An empty path names the whole value; the elements of
/// a multi-valued attribute are each projected.
fn select(value: Value, paths: &[&[String]]) -> Option<Value> {
    if paths.is_empty() {
        return None;
    }
    if paths.iter().any(|p| p.is_empty()) {
        return Some(value);
    }
    match value {
        Value::Object(object) => {
            let kept: Map<String, Value> = object
                .into_iter()
                .filter_map(|(k, v)| {
                    let below = tails(paths, &k.to_ascii_lowercase());
                    select(v, &below).map(|v| (k, v))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items.into_iter().filter_map(|i| select(i, paths)).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        // A sub-attribute of a simple value: there is none.
        _ => None,
    }
}

/// `value` without what `paths` (relative to it) name; `None` when
/// nothing is left.
fn exclude(value: Value, paths: &[&[String]]) -> Option<Value> {
    if paths.is_empty() {
        return Some(value);
    }
    if paths.iter().any(|p| p.is_empty()) {
        return None;
    }
    match value {
        Value::Object(object) => {
            let kept: Map<String, Value> = object
                .into_iter()
                .filter_map(|(k, v)| {
                    let below = tails(paths, &k.to_ascii_lowercase());
                    exclude(v, &below).map(|v| (k, v))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .into_iter()
                .filter_map(|i| exclude(i, paths))
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn user() -> Value {
        json!({
            "schemas": [USER, ENTERPRISE],
            "id": "u1",
            "userName": "ada@example.com",
            "displayName": "Ada Lovelace",
            "name": { "formatted": "Ada Lovelace", "givenName": "Ada" },
            "active": true,
            "emails": [
                { "value": "ada@example.com", "type": "work", "primary": true },
                { "value": "ada@home.example", "type": "home" }
            ],
            "meta": { "resourceType": "User", "version": "W/\"1\"" },
            ENTERPRISE: { "department": "Analytics", "manager": { "value": "m1" } }
        })
    }

    fn project_user(attributes: &[&str], excluded: &[&str]) -> Value {
        let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        project(user(), &owned(attributes), &owned(excluded))
    }

    #[test]
    fn no_parameters_show_everything() {
        assert_eq!(project_user(&[], &[]), user());
    }

    #[test]
    fn an_unqualified_attribute_is_a_core_one() {
        assert_eq!(
            project_user(&["userName"], &[]),
            json!({ "schemas": [USER], "id": "u1", "userName": "ada@example.com" }),
            "no extension, no meta (returned: default); schemas loses the extension"
        );
    }

    #[test]
    fn sub_attributes_select_within_complex_and_multi_valued_attributes() {
        assert_eq!(
            project_user(&["NAME.givenName", "emails.value", "meta"], &[]),
            json!({
                "schemas": [USER], "id": "u1",
                "name": { "givenName": "Ada" },
                "emails": [ { "value": "ada@example.com" }, { "value": "ada@home.example" } ],
                "meta": { "resourceType": "User", "version": "W/\"1\"" }
            })
        );
    }

    #[test]
    fn fully_qualified_names_reach_core_and_extension_attributes() {
        assert_eq!(
            project_user(
                &[
                    "urn:ietf:params:scim:schemas:core:2.0:User:displayName",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
                ],
                &[]
            ),
            json!({
                "schemas": [USER, ENTERPRISE], "id": "u1",
                "displayName": "Ada Lovelace",
                ENTERPRISE: { "manager": { "value": "m1" } }
            })
        );
        assert_eq!(
            project_user(&[ENTERPRISE], &[])[ENTERPRISE],
            user()[ENTERPRISE],
            "the URN alone is the whole extension"
        );
    }

    #[test]
    fn exclusions_remove_sub_attributes_and_extension_attributes() {
        let projected = project_user(
            &[],
            &[
                "emails.value",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "name",
            ],
        );
        assert_eq!(
            projected["emails"],
            json!([{ "type": "work", "primary": true }, { "type": "home" }])
        );
        assert_eq!(
            projected[ENTERPRISE],
            json!({ "manager": { "value": "m1" } })
        );
        assert!(projected.get("name").is_none());
        assert_eq!(projected["userName"], "ada@example.com");
        assert_eq!(projected["meta"]["version"], "W/\"1\"");
    }

    #[test]
    fn an_extension_left_empty_goes_with_its_schema() {
        let projected = project_user(
            &[],
            &[
                &format!("{ENTERPRISE}:department"),
                &format!("{ENTERPRISE}:manager"),
            ],
        );
        assert!(projected.get(ENTERPRISE).is_none());
        assert_eq!(projected["schemas"], json!([USER]));
    }

    #[test]
    fn id_and_schemas_cannot_be_excluded_but_meta_can() {
        let projected = project_user(&[], &["id", "schemas", "meta"]);
        assert_eq!(projected["id"], "u1");
        assert_eq!(projected["schemas"], json!([USER, ENTERPRISE]));
        assert!(projected.get("meta").is_none());
    }

    #[test]
    fn unknown_names_name_nothing() {
        assert_eq!(
            project_user(
                &["urn:example:custom:2.0:User:badge", "a..b", "phoneNumbers"],
                &[]
            ),
            json!({ "schemas": [USER], "id": "u1" })
        );
        assert_eq!(
            project_user(&[], &["urn:example:custom:2.0:User:badge"]),
            user()
        );
    }

    #[test]
    fn whether_members_are_shown() {
        let of = |a: &[&str], e: &[&str]| {
            let owned = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
            Projection::new(&owned(a), &owned(e)).shows("members")
        };
        assert!(of(&[], &[]));
        assert!(of(&["members.value"], &[]));
        assert!(of(&[], &["members.display"]));
        assert!(of(
            &["urn:ietf:params:scim:schemas:core:2.0:Group:members"],
            &[]
        ));
        assert!(!of(&["displayName"], &[]));
        assert!(!of(&[], &["Members"]));
        assert!(!of(
            &[],
            &["urn:ietf:params:scim:schemas:core:2.0:Group:members"]
        ));
    }
}
