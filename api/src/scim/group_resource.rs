//! A Seatwise group as a SCIM Group resource, and back; and a PATCH
//! request's operations as a change of the group.
//!
//! Mapping: `displayName` is the group's name (required, not unique),
//! `externalId` the directory's id (unique in the tenant when set),
//! `members` its users, each `{value, display, $ref, type: "User"}` with
//! `value` the user's SCIM id. Groups do not nest: a member of `type`
//! `Group` is refused. Attributes Seatwise does not keep are ignored, as
//! for Users.
//!
//! PATCH is not applied to the resource's JSON (as Users' is): a member
//! operation becomes an addition or removal the core applies to the named
//! users only, so a PATCH of 100 members to a group of 10,000 reads and
//! writes 100 memberships. Entra ID's and Okta's shapes are accepted:
//! capitalised ops, `members[value eq "…"]` removal paths, removal by a
//! `value` list, `replace` of the whole member list, and pathless
//! `replace` of `displayName` (Okta sends the group's `id` along; it is
//! ignored).

use std::collections::BTreeSet;

use seatwise_core::directory_groups::{DirectoryGroup, GroupMemberRef, GroupPatch, MembersPatch};
use seatwise_core::ids::UserId;
use seatwise_core::model::Group;
use serde_json::{Value, json};

use super::discovery::GROUP_SCHEMA;
use super::error::ScimError;
use super::patch::{OpKind, Operation, PatchPath};
use super::user_resource::{etag, get};

/// The SCIM representation of `group`; `members` only when they were
/// read (not when the client excluded them).
pub fn to_json(group: &Group, members: Option<&[GroupMemberRef]>) -> Value {
    let mut resource = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.0.to_string(),
        "displayName": group.display_name,
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "lastModified": group.directory.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "version": etag(group.directory.version),
            "location": format!("/scim/v2/Groups/{}", group.id.0),
        }
    });
    if let Some(external_id) = &group.directory.external_id {
        resource["externalId"] = external_id.clone().into();
    }
    if let Some(members) = members {
        resource["members"] = members
            .iter()
            .map(|m| {
                json!({
                    "value": m.id.0.to_string(),
                    "display": m.display_name,
                    "$ref": format!("/scim/v2/Users/{}", m.id.0),
                    "type": "User",
                })
            })
            .collect();
    }
    resource
}

/// The group a POST or PUT body describes. A PUT replaces every attribute:
/// a body without `members` leaves the group without members.
pub fn from_json(resource: &Value) -> Result<DirectoryGroup, ScimError> {
    let Value::Object(object) = resource else {
        return Err(ScimError::bad_request(
            "invalidSyntax",
            "a Group must be a JSON object",
        ));
    };
    let display_name = display_name(get(object, "displayName"))?;
    let external_id = external_id(get(object, "externalId"))?;
    let members = match get(object, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => members_to_add(value)?,
    };
    Ok(DirectoryGroup {
        display_name,
        external_id,
        members,
    })
}

fn display_name(value: Option<&Value>) -> Result<String, ScimError> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ScimError::bad_request("invalidValue", "displayName is required (a string)"))
}

fn external_id(value: Option<&Value>) -> Result<Option<String>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ScimError::bad_request(
            "invalidValue",
            format!("externalId must be a string, not {other}"),
        )),
    }
}

/// A member element's `value`; any other shape is a malformed request.
fn member_value(element: &Value) -> Result<&str, ScimError> {
    let malformed = || {
        ScimError::bad_request(
            "invalidValue",
            format!("a member must be an object with a string value, not {element}"),
        )
    };
    let Value::Object(member) = element else {
        return Err(malformed());
    };
    if let Some(kind) = get(member, "type").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("User")
    {
        return Err(ScimError::bad_request(
            "invalidValue",
            format!("members are users; a member of type {kind:?} is not supported"),
        ));
    }
    get(member, "value")
        .and_then(Value::as_str)
        .map(str::trim)
        .ok_or_else(malformed)
}

/// The elements of a `members` value: an array, or Entra ID's single
/// object.
fn elements(value: &Value) -> Result<&[Value], ScimError> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(_) => Ok(std::slice::from_ref(value)),
        other => Err(ScimError::bad_request(
            "invalidValue",
            format!("members must be a list of {{\"value\": \"<user id>\"}}, not {other}"),
        )),
    }
}

/// Users to add: an id that is not a user id cannot name a user, and
/// adding an unknown user is refused (`invalidValue`), as the core refuses
/// ids of no user of the tenant.
fn members_to_add(value: &Value) -> Result<Vec<UserId>, ScimError> {
    elements(value)?
        .iter()
        .map(|element| {
            let id = member_value(element)?;
            uuid::Uuid::parse_str(id).map(UserId).map_err(|_| {
                ScimError::bad_request("invalidValue", format!("no user has the id {id}"))
            })
        })
        .collect()
}

/// Users to remove: ids of no user are no member, so they are left out.
fn members_to_remove(value: &Value) -> Result<Vec<UserId>, ScimError> {
    let mut ids = Vec::new();
    for element in elements(value)? {
        if let Ok(uuid) = uuid::Uuid::parse_str(member_value(element)?) {
            ids.push(UserId(uuid));
        }
    }
    Ok(ids)
}

/// The members' change a request's operations add up to, in order: a later
/// operation on a user wins, and a `replace` resets what came before.
#[derive(Default)]
struct Members {
    replace: Option<BTreeSet<UserId>>,
    add: BTreeSet<UserId>,
    remove: BTreeSet<UserId>,
}

impl Members {
    fn add(&mut self, ids: Vec<UserId>) {
        for id in ids {
            match &mut self.replace {
                Some(all) => {
                    all.insert(id);
                }
                None => {
                    self.remove.remove(&id);
                    self.add.insert(id);
                }
            }
        }
    }

    fn remove(&mut self, ids: Vec<UserId>) {
        for id in ids {
            match &mut self.replace {
                Some(all) => {
                    all.remove(&id);
                }
                None => {
                    self.add.remove(&id);
                    self.remove.insert(id);
                }
            }
        }
    }

    fn replace(&mut self, ids: Vec<UserId>) {
        self.replace = Some(ids.into_iter().collect());
        self.add.clear();
        self.remove.clear();
    }

    fn into_patch(self) -> MembersPatch {
        match self.replace {
            Some(all) => MembersPatch::Replace(all.into_iter().collect()),
            None => MembersPatch::Change {
                add: self.add.into_iter().collect(),
                remove: self.remove.into_iter().collect(),
            },
        }
    }
}

/// What a PATCH request's operations change, without reading the group.
pub fn patch_of(operations: &[Operation]) -> Result<GroupPatch, ScimError> {
    let mut patch = GroupPatch::default();
    let mut members = Members::default();
    for operation in operations {
        match &operation.path {
            Some(path) => apply(
                &mut patch,
                &mut members,
                operation.kind,
                path,
                operation.value.as_ref(),
            )?,
            None => {
                // No path: each attribute of the object value, as if it had
                // its own operation (RFC 7644 §3.5.2.1, §3.5.2.3).
                let Some(Value::Object(attributes)) = &operation.value else {
                    return Err(ScimError::bad_request("invalidValue", "expected an object"));
                };
                for (name, value) in attributes {
                    let path = PatchPath::parse(name).map_err(ScimError::from)?;
                    apply(&mut patch, &mut members, operation.kind, &path, Some(value))?;
                }
            }
        }
    }
    patch.members = members.into_patch();
    Ok(patch)
}

fn apply(
    patch: &mut GroupPatch,
    members: &mut Members,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let core_schema = path
        .attr
        .schema
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case(GROUP_SCHEMA));
    if !core_schema {
        return Ok(()); // an extension Seatwise does not keep
    }
    let invalid_path = |detail: &str| ScimError::bad_request("invalidPath", detail.to_owned());
    let plain = path.filter.is_none() && path.attr.sub.is_none() && path.sub_after_filter.is_none();
    match path.attr.name.as_str() {
        "displayname" if !plain => Err(invalid_path("displayName has no sub-attributes")),
        "displayname" => match kind {
            OpKind::Remove => Err(ScimError::bad_request(
                "invalidValue",
                "displayName is required and cannot be removed",
            )),
            OpKind::Add | OpKind::Replace => {
                patch.display_name = Some(display_name(value)?);
                Ok(())
            }
        },
        "externalid" if !plain => Err(invalid_path("externalId has no sub-attributes")),
        "externalid" => {
            patch.external_id = Some(match kind {
                OpKind::Remove => None,
                OpKind::Add | OpKind::Replace => external_id(value)?,
            });
            Ok(())
        }
        "members" => member_operation(members, kind, path, value),
        // `id`, `meta`, `schemas` and attributes Seatwise does not keep.
        _ => Ok(()),
    }
}

fn member_operation(
    members: &mut Members,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if path.attr.sub.is_some() || path.sub_after_filter.is_some() {
        return Err(ScimError::bad_request(
            "invalidPath",
            "a member's sub-attributes cannot be changed; add or remove the member",
        ));
    }
    if let Some(filter) = &path.filter {
        if kind != OpKind::Remove {
            return Err(ScimError::bad_request(
                "invalidPath",
                "members are added or replaced with the path `members`",
            ));
        }
        let Some(values) = filter.equalities_of("value") else {
            return Err(ScimError::bad_request(
                "invalidFilter",
                "members are selected by value only: members[value eq \"<user id>\"]",
            ));
        };
        members.remove(
            values
                .into_iter()
                .filter_map(|v| uuid::Uuid::parse_str(v).ok().map(UserId))
                .collect(),
        );
        return Ok(());
    }
    match (kind, value) {
        (OpKind::Add, Some(value)) => members.add(members_to_add(value)?),
        (OpKind::Replace, None | Some(Value::Null)) => members.replace(Vec::new()),
        (OpKind::Replace, Some(value)) => members.replace(members_to_add(value)?),
        // Okta and Entra ID remove by a list of values.
        (OpKind::Remove, Some(value)) if !value.is_null() => {
            members.remove(members_to_remove(value)?)
        }
        // `remove` of `members` without a value removes every member.
        (OpKind::Remove, _) => members.replace(Vec::new()),
        (OpKind::Add, None) => {
            return Err(ScimError::bad_request("invalidValue", "add needs a value"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::patch::PatchRequest;

    fn ids(n: usize) -> Vec<UserId> {
        let mut ids: Vec<UserId> = (0..n).map(|_| UserId(uuid::Uuid::now_v7())).collect();
        ids.sort();
        ids
    }

    fn patch(body: Value) -> Result<GroupPatch, ScimError> {
        let request: PatchRequest = serde_json::from_value(body).expect("a PatchOp body");
        patch_of(&request.operations()?)
    }

    #[test]
    fn entra_and_okta_member_shapes_become_additions_and_removals() {
        let [a, b, c] = ids(3)[..] else { panic!() };
        let change = patch(json!({ "Operations": [
            { "op": "Add", "path": "members", "value": [ { "value": a.0.to_string() }, { "value": b.0.to_string() } ] },
            { "op": "Remove", "path": format!("members[value eq \"{}\"]", b.0) },
            { "op": "remove", "path": "members", "value": [ { "value": c.0.to_string() } ] },
            { "op": "remove", "path": "members", "value": [ { "value": "not-a-user" } ] }
        ]}))
        .expect("translates");
        assert_eq!(
            change.members,
            MembersPatch::Change {
                add: vec![a],
                remove: vec![b, c]
            }
        );
        assert_eq!(change.display_name, None);
    }

    #[test]
    fn replace_resets_earlier_member_operations() {
        let [a, b, c] = ids(3)[..] else { panic!() };
        let change = patch(json!({ "Operations": [
            { "op": "add", "path": "members", "value": [ { "value": a.0.to_string() } ] },
            { "op": "replace", "path": "members", "value": [ { "value": b.0.to_string() } ] },
            { "op": "add", "path": "members", "value": [ { "value": c.0.to_string() } ] },
            { "op": "replace", "value": { "id": "ignored", "displayName": "Renamed", "externalId": null } }
        ]}))
        .expect("translates");
        assert_eq!(change.members, MembersPatch::Replace(vec![b, c]));
        assert_eq!(change.display_name.as_deref(), Some("Renamed"));
        assert_eq!(change.external_id, Some(None));
    }

    #[test]
    fn malformed_member_operations_are_refused() {
        for (body, scim_type) in [
            (
                json!({ "Operations": [ { "op": "add", "path": "members", "value": [ { "value": "nope" } ] } ] }),
                "invalidValue",
            ),
            (
                json!({ "Operations": [ { "op": "add", "path": "members", "value": [ "x" ] } ] }),
                "invalidValue",
            ),
            (
                json!({ "Operations": [ { "op": "add", "path": "members", "value": [ { "value": uuid::Uuid::now_v7().to_string(), "type": "Group" } ] } ] }),
                "invalidValue",
            ),
            (
                json!({ "Operations": [ { "op": "remove", "path": "members[display co \"a\"]" } ] }),
                "invalidFilter",
            ),
            (
                json!({ "Operations": [ { "op": "replace", "path": "members[value eq \"a\"].display", "value": "x" } ] }),
                "invalidPath",
            ),
            (
                json!({ "Operations": [ { "op": "remove", "path": "displayName" } ] }),
                "invalidValue",
            ),
            (
                json!({ "Operations": [ { "op": "replace", "path": "displayName", "value": 7 } ] }),
                "invalidValue",
            ),
        ] {
            let error = patch(body.clone()).expect_err(&body.to_string());
            assert_eq!(error.scim_type(), Some(scim_type), "{body}");
        }
    }
}
