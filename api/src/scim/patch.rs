//! SCIM PATCH (RFC 7644 §3.5.2): a request's operations, parsed, and
//! applied to a resource's JSON representation.
//!
//! The handler reads the resource, applies every operation here, and writes
//! the result back through the core in one transaction, so a request is all
//! or nothing. Providers' quirks are accepted: Entra ID capitalises `op`
//! (`"Replace"`) and writes booleans as `"True"`/`"False"` (normalised by
//! the resource mapping, not here); an operation without a `path` merges
//! its object value into the resource.
//!
//! Operations on attributes the resource's schemas do not define are
//! ignored, whatever their `op` (RFC 7644 §3.3: the service provider is
//! free to ignore what it does not support): Entra ID's default mappings
//! send `phoneNumbers[type eq "work"].value`, `addresses[type eq
//! "work"].locality`, `title` and more, and refusing them would refuse the
//! `active` or email change in the same request. Paths are still parsed
//! first, so a malformed path is `invalidPath` even on such an attribute;
//! and `remove` of something absent is a no-op (it is already gone).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::discovery::ResourceSchemas;
use super::filter::{AttrPath, Filter, FilterError, parse_attr_path};

/// Most operations in one PATCH request.
pub const MAX_OPERATIONS: usize = 1_000;

/// The schema URN of a PATCH request body.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A PATCH request body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PatchRequest {
    /// `Operations`.
    pub operations: Vec<RawOperation>,
}

/// One operation as sent.
#[derive(Debug, Deserialize)]
pub struct RawOperation {
    /// `add`, `replace` or `remove`, any case.
    pub op: String,
    /// The target, absent for a whole-resource `add`/`replace`.
    #[serde(default)]
    pub path: Option<String>,
    /// The value (absent for most `remove`s).
    #[serde(default)]
    pub value: Option<Value>,
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Add a value (appends to multi-valued attributes).
    Add,
    /// Replace a value.
    Replace,
    /// Remove a value, or the elements a filter selects.
    Remove,
}

/// A parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// What it does.
    pub kind: OpKind,
    /// Where, if anywhere.
    pub path: Option<PatchPath>,
    /// With what.
    pub value: Option<Value>,
}

/// `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`, optionally
/// schema-qualified.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (its own `sub` is the plain `attr.sub` form).
    pub attr: AttrPath,
    /// The elements selected, for a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute after a filter (`emails[type eq "work"].value`).
    pub sub_after_filter: Option<String>,
}

/// Why a PATCH was refused; `scim_type` is RFC 7644's `scimType`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct PatchError {
    /// `invalidPath`, `invalidValue`, `invalidFilter`, `noTarget` or
    /// `invalidSyntax`.
    pub scim_type: &'static str,
    /// For the admin.
    pub detail: String,
}

impl PatchError {
    fn new(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self {
            scim_type,
            detail: detail.into(),
        }
    }
}

impl From<FilterError> for PatchError {
    fn from(e: FilterError) -> Self {
        Self::new("invalidFilter", e.to_string())
    }
}

impl PatchRequest {
    /// Parse every operation; the first bad one is the error.
    pub fn operations(self) -> Result<Vec<Operation>, PatchError> {
        if self.operations.len() > MAX_OPERATIONS {
            return Err(PatchError::new(
                "tooMany",
                format!("more than {MAX_OPERATIONS} operations in one request"),
            ));
        }
        self.operations.into_iter().map(Operation::parse).collect()
    }
}

impl Operation {
    fn parse(raw: RawOperation) -> Result<Self, PatchError> {
        let kind = match raw.op.to_ascii_lowercase().as_str() {
            "add" => OpKind::Add,
            "replace" => OpKind::Replace,
            "remove" => OpKind::Remove,
            other => {
                return Err(PatchError::new(
                    "invalidSyntax",
                    format!("op must be add, replace or remove, not `{other}`"),
                ));
            }
        };
        let path = raw
            .path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PatchPath::parse)
            .transpose()?;
        match (&kind, &path, &raw.value) {
            (OpKind::Remove, None, _) => {
                return Err(PatchError::new("noTarget", "remove needs a path"));
            }
            (OpKind::Add | OpKind::Replace, _, None) => {
                return Err(PatchError::new(
                    "invalidValue",
                    "add and replace need a value",
                ));
            }
            (OpKind::Add | OpKind::Replace, None, Some(v)) if !v.is_object() => {
                return Err(PatchError::new(
                    "invalidValue",
                    "without a path, the value must be an object of attributes",
                ));
            }
            _ => {}
        }
        Ok(Self {
            kind,
            path,
            value: raw.value,
        })
    }

    /// Apply to `resource` (a JSON object) of a type with `schemas`;
    /// operations on attributes `schemas` do not define change nothing.
    pub fn apply(
        &self,
        resource: &mut Map<String, Value>,
        schemas: &ResourceSchemas,
    ) -> Result<(), PatchError> {
        let Some(path) = &self.path else {
            // No path: every attribute of the value, as if each had its own
            // operation (RFC 7644 §3.5.2.1 and §3.5.2.3).
            let Some(Value::Object(attributes)) = &self.value else {
                return Err(PatchError::new("invalidValue", "expected an object"));
            };
            for (name, value) in attributes {
                // An extension's attributes come as one object under its
                // URN: each is an operation of its own, so the ones not
                // sent are left as they are (RFC 7644 §3.5.2.3).
                if let (Some(urn), Value::Object(inner)) = (schemas.extension(name), value) {
                    for (inner_name, inner_value) in inner {
                        self.apply_one(
                            resource,
                            schemas,
                            &format!("{urn}:{inner_name}"),
                            inner_value,
                        )?;
                    }
                    continue;
                }
                self.apply_one(resource, schemas, name, value)?;
            }
            return Ok(());
        };
        if !schemas.defines(&path.attr, path.sub_after_filter.as_deref()) {
            tracing::debug!(
                attribute = %path.attr.name,
                "SCIM PATCH: ignoring an attribute Seatwise does not keep"
            );
            return Ok(());
        }
        let holder = holder_of(resource, &path.attr, self.kind != OpKind::Remove)?;
        let Some(holder) = holder else {
            return Ok(()); // removing from an extension that is not there
        };
        let key = existing_key(holder, &path.attr.name);
        match (&path.filter, &path.attr.sub) {
            (None, None) => self.apply_to_attribute(holder, key),
            (None, Some(_)) if self.kind == OpKind::Remove && !holder.contains_key(&key) => {
                Ok(()) // removing from a complex attribute that is not there
            }
            (None, Some(sub)) => {
                // `name.givenName`: a sub-attribute of a complex attribute.
                let entry = holder
                    .entry(key)
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(complex) = entry else {
                    return Err(PatchError::new("invalidPath", "not a complex attribute"));
                };
                let sub_key = existing_key(complex, sub);
                self.apply_to_attribute(complex, sub_key)
            }
            (Some(filter), _) => self.apply_to_selected(holder, key, filter, path),
        }
    }

    /// This operation's kind, on one attribute of a pathless value.
    fn apply_one(
        &self,
        resource: &mut Map<String, Value>,
        schemas: &ResourceSchemas,
        name: &str,
        value: &Value,
    ) -> Result<(), PatchError> {
        Operation {
            kind: self.kind,
            path: Some(PatchPath::parse(name)?),
            value: Some(value.clone()),
        }
        .apply(resource, schemas)
    }

    /// `add`/`replace`/`remove` on `holder[key]`.
    fn apply_to_attribute(
        &self,
        holder: &mut Map<String, Value>,
        key: String,
    ) -> Result<(), PatchError> {
        match self.kind {
            OpKind::Remove => {
                if let (Some(Value::Array(items)), Some(Value::Array(gone))) =
                    (holder.get_mut(&key), &self.value)
                {
                    // Okta removes members by value in the body.
                    items.retain(|item| !gone.iter().any(|g| same_element(item, g)));
                } else {
                    holder.remove(&key);
                }
            }
            OpKind::Add => {
                let value = self.value.clone().unwrap_or(Value::Null);
                match (holder.get_mut(&key), value) {
                    (Some(Value::Array(items)), Value::Array(new)) => {
                        for item in new {
                            if !items.iter().any(|i| same_element(i, &item)) {
                                items.push(item);
                            }
                        }
                    }
                    (Some(Value::Object(existing)), Value::Object(new)) => existing.extend(new),
                    (_, value) => {
                        holder.insert(key, value);
                    }
                }
            }
            OpKind::Replace => {
                holder.insert(key, self.value.clone().unwrap_or(Value::Null));
            }
        }
        Ok(())
    }

    /// An operation on the elements of a multi-valued attribute that
    /// `filter` selects.
    fn apply_to_selected(
        &self,
        holder: &mut Map<String, Value>,
        key: String,
        filter: &Filter,
        path: &PatchPath,
    ) -> Result<(), PatchError> {
        let items = match holder.get_mut(&key) {
            Some(Value::Array(items)) => items,
            _ if self.kind == OpKind::Remove => return Ok(()),
            _ => {
                return Err(PatchError::new(
                    "noTarget",
                    format!("`{}` has no elements to select", path.attr.name),
                ));
            }
        };
        match (&self.kind, &path.sub_after_filter) {
            (OpKind::Remove, None) => items.retain(|item| !filter.matches(item)),
            (OpKind::Remove, Some(sub)) => {
                for item in items.iter_mut().filter(|i| filter.matches(i)) {
                    if let Value::Object(o) = item {
                        let k = existing_key(o, sub);
                        o.remove(&k);
                    }
                }
            }
            (_, sub) => {
                let value = self.value.clone().unwrap_or(Value::Null);
                let mut matched = false;
                for item in items.iter_mut().filter(|i| filter.matches(i)) {
                    matched = true;
                    match (sub, item) {
                        (Some(sub), Value::Object(o)) => {
                            let k = existing_key(o, sub);
                            o.insert(k, value.clone());
                        }
                        (None, item) => *item = value.clone(),
                        (Some(_), _) => {
                            return Err(PatchError::new("invalidPath", "not a complex value"));
                        }
                    }
                }
                if !matched {
                    // `emails[type eq "work"].value` on a user without a
                    // work email adds one (Entra ID's first sync).
                    let Some(element) = element_from_filter(filter, sub.as_deref(), &value) else {
                        return Err(PatchError::new("noTarget", "no element matches the filter"));
                    };
                    items.push(element);
                }
            }
        }
        Ok(())
    }
}

impl PatchPath {
    /// Parse a PATCH `path`.
    pub fn parse(text: &str) -> Result<Self, PatchError> {
        let invalid = || PatchError::new("invalidPath", format!("`{text}` is not a valid path"));
        let (head, filter, after) = match text.find('[') {
            Some(open) => {
                let close = text.rfind(']').filter(|c| *c > open).ok_or_else(invalid)?;
                let filter = Filter::parse(&text[open + 1..close])?;
                let after = &text[close + 1..];
                let sub = match after.strip_prefix('.') {
                    Some(sub) if !sub.is_empty() => Some(sub.to_ascii_lowercase()),
                    None if after.is_empty() => None,
                    _ => return Err(invalid()),
                };
                (&text[..open], Some(filter), sub)
            }
            None => (text, None, None),
        };
        let attr = parse_attr_path(head.trim()).ok_or_else(invalid)?;
        if filter.is_some() && attr.sub.is_some() {
            return Err(invalid());
        }
        Ok(Self {
            attr,
            filter,
            sub_after_filter: after,
        })
    }
}

/// The object that holds `attr`: the resource, or its extension object
/// (created when `create`).
fn holder_of<'a>(
    resource: &'a mut Map<String, Value>,
    attr: &AttrPath,
    create: bool,
) -> Result<Option<&'a mut Map<String, Value>>, PatchError> {
    let Some(schema) = &attr.schema else {
        return Ok(Some(resource));
    };
    let key = existing_key(resource, schema);
    if !resource.contains_key(&key) {
        if !create {
            return Ok(None);
        }
        resource.insert(key.clone(), Value::Object(Map::new()));
    }
    match resource.get_mut(&key) {
        Some(Value::Object(extension)) => Ok(Some(extension)),
        _ => Err(PatchError::new(
            "invalidPath",
            format!("`{schema}` is not an object"),
        )),
    }
}

/// The key as the resource spells it, else `name` as given (lower-cased by
/// the parser; callers rename keys when they map the resource back).
fn existing_key(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// Two elements of a multi-valued attribute are the same when their
/// `value`s are (members, emails), else when equal.
fn same_element(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The element a filter of `eq`s describes, with `sub` set to `value`:
/// `[type eq "work"].value` + "a@b.c" → `{"type":"work","value":"a@b.c"}`.
fn element_from_filter(filter: &Filter, sub: Option<&str>, value: &Value) -> Option<Value> {
    let mut element = Map::new();
    fn collect(filter: &Filter, into: &mut Map<String, Value>) -> bool {
        match filter {
            Filter::Compare {
                path,
                op: super::filter::CompareOp::Eq,
                value: super::filter::Literal::Str(text),
            } if path.sub.is_none() && path.schema.is_none() => {
                into.insert(path.name.clone(), Value::String(text.clone()));
                true
            }
            Filter::And(a, b) => collect(a, into) && collect(b, into),
            _ => false,
        }
    }
    if !collect(filter, &mut element) {
        return None;
    }
    match (sub, value) {
        (Some(sub), value) => {
            element.insert(sub.to_owned(), value.clone());
        }
        (None, Value::Object(o)) => element.extend(o.clone()),
        (None, _) => return None,
    }
    Some(Value::Object(element))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::discovery::{GROUP_SCHEMAS, USER_SCHEMAS};
    use serde_json::json;

    fn patch(resource: Value, body: Value) -> Result<Value, PatchError> {
        patch_as(&USER_SCHEMAS, resource, body)
    }

    fn patch_as(
        schemas: &ResourceSchemas,
        resource: Value,
        body: Value,
    ) -> Result<Value, PatchError> {
        let request: PatchRequest = serde_json::from_value(body).expect("a PatchOp body");
        let Value::Object(mut resource) = resource else {
            panic!("resource must be an object")
        };
        for op in request.operations()? {
            op.apply(&mut resource, schemas)?;
        }
        Ok(Value::Object(resource))
    }

    #[test]
    fn entra_replace_capitalised_with_and_without_path() {
        let user = json!({ "userName": "a@x.com", "active": true, "displayName": "A" });
        let patched = patch(
            user,
            json!({ "Operations": [
                { "op": "Replace", "path": "active", "value": "False" },
                { "op": "Replace", "value": { "displayName": "Alex" } }
            ]}),
        )
        .expect("applies");
        assert_eq!(patched["active"], "False");
        assert_eq!(patched["displayName"], "Alex");
    }

    #[test]
    fn value_filter_paths_on_emails_and_members() {
        let user =
            json!({ "emails": [ { "type": "work", "value": "old@x.com", "primary": true } ] });
        let patched = patch(
            user,
            json!({ "Operations": [
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@x.com" }
            ]}),
        )
        .expect("applies");
        assert_eq!(
            patched["emails"],
            json!([{ "type": "work", "value": "new@x.com", "primary": true }])
        );

        let group = json!({ "members": [ { "value": "u1" }, { "value": "u2" } ] });
        let patched = patch_as(
            &GROUP_SCHEMAS,
            group,
            json!({ "Operations": [
                { "op": "remove", "path": "members[value eq \"u1\"]" },
                { "op": "add", "path": "members", "value": [ { "value": "u3" }, { "value": "u2" } ] }
            ]}),
        )
        .expect("applies");
        assert_eq!(
            patched["members"],
            json!([{ "value": "u2" }, { "value": "u3" }])
        );
    }

    #[test]
    fn a_missing_work_email_is_added_from_the_filter() {
        let patched = patch(
            json!({ "emails": [] }),
            json!({ "Operations": [
                { "op": "add", "path": "emails[type eq \"work\"].value", "value": "a@x.com" }
            ]}),
        )
        .expect("applies");
        assert_eq!(
            patched["emails"],
            json!([{ "type": "work", "value": "a@x.com" }])
        );
    }

    #[test]
    fn the_enterprise_extension_by_urn_path() {
        let patched = patch(
            json!({}),
            json!({ "Operations": [ { "op": "add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "value": "Sales" } ]}),
        )
        .expect("applies");
        assert_eq!(
            patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"]["department"],
            "Sales"
        );
    }

    #[test]
    fn okta_removes_members_by_value_in_the_body() {
        let patched = patch_as(
            &GROUP_SCHEMAS,
            json!({ "members": [ { "value": "u1" }, { "value": "u2" } ] }),
            json!({ "Operations": [ { "op": "remove", "path": "members", "value": [ { "value": "u2" } ] } ]}),
        )
        .expect("applies");
        assert_eq!(patched["members"], json!([{ "value": "u1" }]));
    }

    /// Entra ID's default attribute mappings, as its PATCH sends them
    /// (Microsoft's "Develop and plan provisioning for a SCIM endpoint"):
    /// phone numbers, addresses and a title Seatwise does not keep are
    /// ignored, and the email and department in the same request apply.
    #[test]
    fn attributes_seatwise_does_not_keep_are_ignored() {
        let user = json!({
            "userName": "a@x.com",
            "displayName": "A",
            "emails": [ { "type": "work", "value": "a@x.com", "primary": true } ]
        });
        let patched = patch(
            user.clone(),
            json!({ "Operations": [
                { "op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 425 555 0100" },
                { "op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 425 555 0101" },
                { "op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Redmond" },
                { "op": "Replace", "path": "title", "value": "Retail Manager" },
                { "op": "Add", "path": "name.middleName", "value": "J" },
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@x.com" },
                { "op": "Add", "value": { "nickName": "Al", "displayName": "Alex" } }
            ]}),
        )
        .expect("applies");
        assert_eq!(
            patched,
            json!({
                "userName": "a@x.com",
                "displayName": "Alex",
                "emails": [ { "type": "work", "value": "b@x.com", "primary": true } ]
            })
        );
        // Removing what is not there is a no-op, kept attribute or not.
        let removed = patch(
            user.clone(),
            json!({ "Operations": [
                { "op": "Remove", "path": "phoneNumbers[type eq \"fax\"].value" },
                { "op": "Remove", "path": "name.givenName" },
                { "op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" }
            ]}),
        )
        .expect("applies");
        assert_eq!(removed, user);
    }

    #[test]
    fn ignored_attributes_still_need_a_well_formed_path() {
        let error = patch(
            json!({}),
            json!({ "Operations": [ { "op": "Add", "path": "phoneNumbers[type eq \"work\"", "value": "1" } ]}),
        )
        .expect_err("unclosed filter");
        assert_eq!(error.scim_type, "invalidPath");
        let error = patch(
            json!({}),
            json!({ "Operations": [ { "op": "Add", "path": "phoneNumbers[type xx \"work\"].value", "value": "1" } ]}),
        )
        .expect_err("bad filter");
        assert_eq!(error.scim_type, "invalidFilter");
        // A kept multi-valued attribute whose filter cannot describe a new
        // element is still noTarget.
        let error = patch(
            json!({ "emails": [ { "type": "work", "value": "a@x.com" } ] }),
            json!({ "Operations": [ { "op": "Replace", "path": "emails[type ne \"work\"].value", "value": "b@x.com" } ]}),
        )
        .expect_err("no element matches");
        assert_eq!(error.scim_type, "noTarget");
    }

    #[test]
    fn a_pathless_extension_object_sets_each_attribute_it_names() {
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let patched = patch(
            json!({ enterprise: { "department": "Retail", "manager": { "value": "m1" } } }),
            json!({ "Operations": [ { "op": "replace", "value": {
                enterprise: { "department": "Sales", "employeeNumber": "42" }
            } } ]}),
        )
        .expect("applies");
        assert_eq!(
            patched[enterprise],
            json!({ "department": "Sales", "manager": { "value": "m1" } })
        );
    }

    #[test]
    fn bad_operations_are_typed() {
        let error = patch(
            json!({}),
            json!({ "Operations": [ { "op": "move", "path": "a" } ]}),
        )
        .expect_err("unknown op");
        assert_eq!(error.scim_type, "invalidSyntax");
        let error = patch(json!({}), json!({ "Operations": [ { "op": "remove" } ]}))
            .expect_err("remove without path");
        assert_eq!(error.scim_type, "noTarget");
        let error = patch(
            json!({}),
            json!({ "Operations": [ { "op": "add", "path": "emails[type eq]", "value": 1 } ]}),
        )
        .expect_err("bad filter");
        assert_eq!(error.scim_type, "invalidFilter");
        let error = patch(
            json!({}),
            json!({ "Operations": [ { "op": "add", "path": "a..b", "value": 1 } ]}),
        )
        .expect_err("bad path");
        assert_eq!(error.scim_type, "invalidPath");
    }
}
