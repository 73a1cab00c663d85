//! A Seatwise user as a SCIM User resource, and back.
//!
//! Mapping: `userName` is stored as sent, unique in the tenant without
//! regard to case (RFC 7643: `caseExact` false), and answered as sent; a
//! user no directory named (created in the console, by CSV, or over SCIM
//! before userName was kept) answers its email as `userName`. Seatwise
//! keeps one email per user, unique in the tenant: the primary (else work,
//! else first) of `emails`, else `userName` (providers send the user
//! principal name there, an email address); it is answered as the primary
//! work email. `name.formatted` and `displayName` are the display name; `active` is whether the directory
//! has the user active (deactivated users hold no seat); the enterprise
//! extension keeps `department` and `manager.value`. Incoming attribute
//! names are matched without regard to case, and Entra ID's `"True"` /
//! `"False"` strings are read as booleans.

use seatwise_core::directory::DirectoryUser;
use seatwise_core::model::User;
use serde_json::{Map, Value, json};

use super::discovery::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
use super::error::ScimError;

/// The resource's ETag: a weak validator of the stored version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The version an `If-Match` header names; `None` for `*` or no header.
pub fn version_of(if_match: Option<&str>) -> Result<Option<i64>, ScimError> {
    let Some(text) = if_match.map(str::trim).filter(|t| *t != "*") else {
        return Ok(None);
    };
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            ScimError::bad_request(
                "invalidValue",
                format!("If-Match {text:?} is not an ETag of this server"),
            )
        })
}

/// The userName SCIM answers for `user`: the one a directory sent, else
/// the email (users no directory named).
pub fn user_name(user: &User) -> &str {
    user.user_name.as_deref().unwrap_or(&user.email)
}

/// The SCIM representation of `user`.
pub fn to_json(user: &User) -> Value {
    let mut enterprise = Map::new();
    if let Some(department) = &user.department {
        enterprise.insert("department".into(), department.clone().into());
    }
    if let Some(manager) = &user.manager_external_id {
        enterprise.insert("manager".into(), json!({ "value": manager }));
    }
    let mut resource = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": user.id.0.to_string(),
        "userName": user_name(user),
        "displayName": user.display_name,
        "name": { "formatted": user.display_name },
        "active": user.directory_active,
        "emails": [{ "value": user.email, "type": "work", "primary": true }],
        "meta": {
            "resourceType": "User",
            "created": user.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "lastModified": user.directory.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "version": etag(user.directory.version),
            "location": format!("/scim/v2/Users/{}", user.id.0),
        }
    });
    if let Some(external_id) = &user.directory.external_id {
        resource["externalId"] = external_id.clone().into();
    }
    if !enterprise.is_empty() {
        resource[ENTERPRISE_USER_SCHEMA] = Value::Object(enterprise);
    }
    resource
}

/// The attribute `name` of `object`, whatever its case.
pub fn get<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A boolean, or Entra ID's `"True"`/`"False"`.
pub fn boolean(value: Option<&Value>, name: &str) -> Result<Option<bool>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(ScimError::bad_request(
            "invalidValue",
            format!("{name} must be a boolean, not {other}"),
        )),
    }
}

/// The user a resource (POST or PUT body, or a patched representation)
/// describes.
pub fn from_json(resource: &Value) -> Result<DirectoryUser, ScimError> {
    let Value::Object(object) = resource else {
        return Err(ScimError::bad_request(
            "invalidSyntax",
            "a User must be a JSON object",
        ));
    };
    let user_name = text(get(object, "userName"))
        .ok_or_else(|| ScimError::bad_request("invalidValue", "userName is required"))?;
    let emails = get(object, "emails").and_then(Value::as_array);
    let email = emails
        .and_then(|emails| {
            let value = |e: &Value| e.as_object().and_then(|e| text(get(e, "value")));
            let primary = emails.iter().find(|e| {
                e.as_object()
                    .and_then(|e| get(e, "primary"))
                    .is_some_and(|p| {
                        p == &Value::Bool(true)
                            || p.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
                    })
            });
            let work = emails.iter().find(|e| {
                e.as_object()
                    .and_then(|e| text(get(e, "type")))
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            });
            primary.or(work).or(emails.first()).and_then(value)
        })
        .unwrap_or_else(|| user_name.clone());
    let name = get(object, "name").and_then(Value::as_object);
    let formatted = name.and_then(|n| text(get(n, "formatted")));
    let given_family = name.and_then(|n| {
        let parts: Vec<String> = ["givenName", "familyName"]
            .iter()
            .filter_map(|k| text(get(n, k)))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let display_name = text(get(object, "displayName"))
        .or(formatted)
        .or(given_family)
        .unwrap_or_else(|| user_name.clone());
    let enterprise = get(object, ENTERPRISE_USER_SCHEMA).and_then(Value::as_object);
    let manager = enterprise.and_then(|e| get(e, "manager"));
    let manager_external_id = match manager {
        Some(Value::Object(m)) => text(get(m, "value")),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(DirectoryUser {
        user_name: Some(user_name),
        display_name,
        email,
        external_id: text(get(object, "externalId")),
        active: boolean(get(object, "active"), "active")?.unwrap_or(true),
        department: enterprise.and_then(|e| text(get(e, "department"))),
        manager_external_id,
    })
}

/// `attributes`/`excludedAttributes`: see [`super::projection`].
pub use super::projection::project;
