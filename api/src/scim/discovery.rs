//! What the service provider supports (RFC 7644 §4): fixed documents.

use serde_json::{Value, json};

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
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "A person of the organisation",
        "attributes": [
            attribute("userName", "string", true, false, "server"),
            attribute("displayName", "string", false, false, "none"),
            attribute("externalId", "string", false, true, "server"),
            attribute("active", "boolean", false, false, "none"),
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
    list(vec![user, enterprise, group])
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
