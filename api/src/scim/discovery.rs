//! What the service provider supports (RFC 7644 §4): fixed documents,
//! and the questions PATCH and projection ask of them.
//!
//! The `Schemas` document is the one list of the attributes Seatwise
//! keeps: a User PATCH on an attribute it does not define is ignored
//! ([`ResourceSchemas::defines`]), as RFC 7644 §3.3 lets a service
//! provider ignore what it does not support.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::filter::AttrPath;

/// The core User schema's URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise extension's URN.
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema's URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// A list answer's URN.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Largest `count` a list answers with.
pub const MAX_RESULTS: usize = 1_000;

/// `GET /ServiceProviderConfig`.
pub fn service_provider_config() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/seatwise/seatwise/blob/main/docs/scim.md",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token created in Seatwise (Settings → Directory sync, or `seatwise scim-token create`)",
            "primary": true
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig" }
    })
}

/// `GET /ResourceTypes`.
pub fn resource_types() -> Value {
    list(vec![user_resource_type(), group_resource_type()])
}

/// `GET /ResourceTypes/{id}`: `User` or `Group` (ids compared without
/// case, as attribute names are).
pub fn resource_type(id: &str) -> Option<Value> {
    [user_resource_type(), group_resource_type()]
        .into_iter()
        .find(|t| t["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
}

/// The User resource type.
pub fn user_resource_type() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
        "schemaExtensions": [{ "schema": ENTERPRISE_USER_SCHEMA, "required": false }],
        "meta": { "resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User" }
    })
}

/// The Group resource type.
pub fn group_resource_type() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": GROUP_SCHEMA,
        "meta": { "resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Group" }
    })
}

fn attribute(name: &str, kind: &str, required: bool, case_exact: bool, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required,
        "caseExact": case_exact, "mutability": "readWrite", "returned": "default",
        "uniqueness": uniqueness
    })
}

/// `GET /Schemas`: the attributes Seatwise keeps.
pub fn schemas() -> Value {
    list(SCHEMAS.clone())
}

/// `GET /Schemas/{urn}`: one schema, its URN compared without case (RFC
/// 7643 §2.1: schema URIs are not case-sensitive).
pub fn schema(urn: &str) -> Option<Value> {
    schema_ref(urn).cloned()
}

fn schema_ref(urn: &str) -> Option<&'static Value> {
    SCHEMAS.iter().find(|s| {
        s["id"]
            .as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(urn))
    })
}

/// The schemas of one resource type, as PATCH and projection need them.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSchemas {
    /// The core schema: its attributes go unqualified.
    pub core: &'static str,
    /// Extension schemas: their attributes live under the URN's key.
    pub extensions: &'static [&'static str],
}

/// A User's schemas.
pub const USER_SCHEMAS: ResourceSchemas = ResourceSchemas {
    core: USER_SCHEMA,
    extensions: &[ENTERPRISE_USER_SCHEMA],
};

/// A Group's schemas.
pub const GROUP_SCHEMAS: ResourceSchemas = ResourceSchemas {
    core: GROUP_SCHEMA,
    extensions: &[],
};

impl ResourceSchemas {
    /// The extension URN `name` is (as this server spells it), if any.
    pub fn extension(&self, name: &str) -> Option<&'static str> {
        self.extensions
            .iter()
            .copied()
            .find(|urn| urn.eq_ignore_ascii_case(name))
    }

    /// Whether `path` (and `sub`, the sub-attribute after a value filter)
    /// names an attribute these schemas define, i.e. one Seatwise keeps.
    /// `id`, `meta` and `schemas` are not among them: a client cannot
    /// write them.
    pub fn defines(&self, path: &AttrPath, sub: Option<&str>) -> bool {
        let urn = match &path.schema {
            None => self.core,
            Some(schema) if schema.eq_ignore_ascii_case(self.core) => self.core,
            Some(schema) => match self.extension(schema) {
                Some(urn) => urn,
                None => return false,
            },
        };
        let Some(attribute) = schema_ref(urn).and_then(|s| named(&s["attributes"], &path.name))
        else {
            return false;
        };
        match path.sub.as_deref().or(sub) {
            None => true,
            Some(sub) => named(&attribute["subAttributes"], sub).is_some(),
        }
    }
}

/// The attribute called `name` (any case) of a schema's attribute list.
fn named<'a>(attributes: &'a Value, name: &str) -> Option<&'a Value> {
    attributes.as_array()?.iter().find(|a| {
        a["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// The schemas, built once: PATCH asks them about every operation.
static SCHEMAS: LazyLock<Vec<Value>> = LazyLock::new(build_schemas);

fn build_schemas() -> Vec<Value> {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "A person of the organisation",
        "attributes": [
            attribute("userName", "string", true, false, "server"),
            attribute("displayName", "string", false, false, "none"),
            attribute("externalId", "string", false, true, "server"),
            attribute("active", "boolean", false, false, "none"),
            {
                // Read into the display name when `displayName` is absent;
                // answered as `formatted`.
                "name": "name", "type": "complex", "multiValued": false, "required": false,
                "mutability": "readWrite", "returned": "default",
                "subAttributes": [
                    attribute("formatted", "string", false, false, "none"),
                    attribute("givenName", "string", false, false, "none"),
                    attribute("familyName", "string", false, false, "none")
                ]
            },
            {
                "name": "emails", "type": "complex", "multiValued": true, "required": false,
                "mutability": "readWrite", "returned": "default",
                "subAttributes": [
                    attribute("value", "string", false, false, "server"),
                    attribute("type", "string", false, false, "none"),
                    attribute("primary", "boolean", false, false, "none")
                ]
            }
        ],
        "meta": { "resourceType": "Schema", "location": format!("/scim/v2/Schemas/{USER_SCHEMA}") }
    });
    let enterprise = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE_USER_SCHEMA, "name": "EnterpriseUser", "description": "Enterprise user",
        "attributes": [
            attribute("department", "string", false, false, "none"),
            {
                "name": "manager", "type": "complex", "multiValued": false, "required": false,
                "mutability": "readWrite", "returned": "default",
                "subAttributes": [ attribute("value", "string", false, true, "none") ]
            }
        ],
        "meta": { "resourceType": "Schema", "location": format!("/scim/v2/Schemas/{ENTERPRISE_USER_SCHEMA}") }
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA, "name": "Group", "description": "A group of users; apps assigned to it license its members",
        "attributes": [
            attribute("displayName", "string", true, false, "none"),
            attribute("externalId", "string", false, true, "server"),
            {
                "name": "members", "type": "complex", "multiValued": true, "required": false,
                "mutability": "readWrite", "returned": "default",
                "subAttributes": [
                    {
                        "name": "value", "type": "string", "multiValued": false, "required": false,
                        "caseExact": true, "mutability": "immutable", "returned": "default",
                        "uniqueness": "none"
                    },
                    {
                        "name": "display", "type": "string", "multiValued": false, "required": false,
                        "caseExact": false, "mutability": "readOnly", "returned": "default",
                        "uniqueness": "none"
                    },
                    {
                        "name": "$ref", "type": "reference", "referenceTypes": ["User"],
                        "multiValued": false, "required": false, "caseExact": true,
                        "mutability": "immutable", "returned": "default", "uniqueness": "none"
                    },
                    {
                        "name": "type", "type": "string", "canonicalValues": ["User"],
                        "multiValued": false, "required": false, "caseExact": false,
                        "mutability": "immutable", "returned": "default", "uniqueness": "none"
                    }
                ]
            }
        ],
        "meta": { "resourceType": "Schema", "location": format!("/scim/v2/Schemas/{GROUP_SCHEMA}") }
    });
    vec![user, enterprise, group]
}

/// A list answer of every resource in `resources`.
pub fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
