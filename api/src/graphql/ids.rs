//! Opaque global ids (Relay): base64url of `Kind:uuid`, e.g. `App:0190…`.
//!
//! Clients must not parse them; the kind inside lets `node(id)` find the
//! object and lets an input reject an id of the wrong kind. Decoding errors
//! are [`CoreError`]s so they map to codes like every other error: a
//! malformed id is `INVALID_INPUT`, an id of the wrong kind is `NOT_FOUND`
//! (as an unknown or another tenant's id would be).

use async_graphql::ID;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use seatwise_core::ids::{
    AppId, GroupId, PrincipalId, ScimTokenId, UserId, WebhookDeliveryId, WebhookEndpointId,
};
use seatwise_core::seat_changes::SeatChangeOperationId;
use seatwise_core::{CoreError, EntityKind, InputField};

/// The kinds of object that have a global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An app.
    App,
    /// A user.
    User,
    /// A group.
    Group,
    /// A license assignment.
    LicenseAssignment,
    /// An audit event.
    AuditEvent,
    /// A seat-change operation.
    SeatChangeOperation,
    /// A SCIM token.
    ScimToken,
    /// An outbound webhook endpoint.
    WebhookEndpoint,
    /// One delivery of an event to a webhook endpoint.
    WebhookDelivery,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::App,
        Kind::User,
        Kind::Group,
        Kind::LicenseAssignment,
        Kind::AuditEvent,
        Kind::SeatChangeOperation,
        Kind::ScimToken,
        Kind::WebhookEndpoint,
        Kind::WebhookDelivery,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::App => "App",
            Kind::User => "User",
            Kind::Group => "Group",
            Kind::LicenseAssignment => "LicenseAssignment",
            Kind::AuditEvent => "AuditEvent",
            Kind::SeatChangeOperation => "SeatChangeOperation",
            Kind::ScimToken => "ScimToken",
            Kind::WebhookEndpoint => "WebhookEndpoint",
            Kind::WebhookDelivery => "WebhookDelivery",
        }
    }
}

/// The global id of an object.
pub fn encode(kind: Kind, id: uuid::Uuid) -> ID {
    let mut plain = [0u8; PLAIN_ID_MAX];
    ID(URL_SAFE_NO_PAD.encode(plain_id(kind, id, &mut plain)))
}

/// Append the global id of an object to `out`, spelled as [`encode`]
/// spells it, without allocating: the compiled screen writes three ids and
/// cursors per line straight into its answer.
pub fn write_encoded(kind: Kind, id: uuid::Uuid, out: &mut Vec<u8>) {
    let mut plain = [0u8; PLAIN_ID_MAX];
    write_base64(plain_id(kind, id, &mut plain), out);
}

/// The longest `Kind:uuid` text: the longest kind name, a colon and a
/// hyphenated uuid.
const PLAIN_ID_MAX: usize = 19 + 1 + uuid::fmt::Hyphenated::LENGTH;

/// `Kind:uuid`, the uuid hyphenated in lower case, written into `buf`:
/// the text a global id is the base64 of.
fn plain_id(kind: Kind, id: uuid::Uuid, buf: &mut [u8; PLAIN_ID_MAX]) -> &[u8] {
    let name = kind.name().as_bytes();
    let colon = name.len();
    let end = colon + 1 + uuid::fmt::Hyphenated::LENGTH;
    buf[..colon].copy_from_slice(name);
    buf[colon] = b':';
    id.hyphenated().encode_lower(&mut buf[colon + 1..end]);
    &buf[..end]
}

/// Append `plain` in base64url without padding to `out`. The alphabet
/// needs no escaping in JSON.
pub(crate) fn write_base64(plain: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + plain.len().div_ceil(3) * 4, 0);
    // The room reserved is base64's longest output for this input, so
    // encoding cannot run out of it.
    let written = URL_SAFE_NO_PAD
        .encode_slice(plain, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
}

/// The kind and uuid inside a global id, or `None` when it is not one.
pub fn decode(id: &str) -> Option<(Kind, uuid::Uuid)> {
    let bytes = URL_SAFE_NO_PAD
        .decode(id.trim().trim_end_matches('='))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, uuid) = text.split_once(':')?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == kind)?;
    Some((kind, uuid::Uuid::parse_str(uuid).ok()?))
}

fn decode_input(field: InputField, id: &str) -> Result<(Kind, uuid::Uuid), CoreError> {
    decode(id).ok_or_else(|| CoreError::InvalidInput {
        field,
        message: format!("{id:?} is not a valid id"),
    })
}

fn not_found(entity: EntityKind, id: &str) -> CoreError {
    CoreError::NotFound {
        entity,
        id: id.to_owned(),
    }
}

/// An app id from input field `field`.
pub fn app_id(field: InputField, id: &ID) -> Result<AppId, CoreError> {
    match decode_input(field, id)? {
        (Kind::App, uuid) => Ok(AppId(uuid)),
        _ => Err(not_found(EntityKind::App, id)),
    }
}

/// A user id from input field `field`.
pub fn user_id(field: InputField, id: &ID) -> Result<UserId, CoreError> {
    match decode_input(field, id)? {
        (Kind::User, uuid) => Ok(UserId(uuid)),
        _ => Err(not_found(EntityKind::User, id)),
    }
}

/// A group id from input field `field`.
pub fn group_id(field: InputField, id: &ID) -> Result<GroupId, CoreError> {
    match decode_input(field, id)? {
        (Kind::Group, uuid) => Ok(GroupId(uuid)),
        _ => Err(not_found(EntityKind::Group, id)),
    }
}

/// A seat-change operation id from input field `field`.
pub fn seat_change_operation_id(
    field: InputField,
    id: &ID,
) -> Result<SeatChangeOperationId, CoreError> {
    match decode_input(field, id)? {
        (Kind::SeatChangeOperation, uuid) => Ok(SeatChangeOperationId(uuid)),
        _ => Err(not_found(EntityKind::SeatChangeOperation, id)),
    }
}

/// A SCIM token id from input field `field`.
pub fn scim_token_id(field: InputField, id: &ID) -> Result<ScimTokenId, CoreError> {
    match decode_input(field, id)? {
        (Kind::ScimToken, uuid) => Ok(ScimTokenId(uuid)),
        _ => Err(not_found(EntityKind::ScimToken, id)),
    }
}

/// A webhook endpoint id from input field `field`.
pub fn webhook_endpoint_id(field: InputField, id: &ID) -> Result<WebhookEndpointId, CoreError> {
    match decode_input(field, id)? {
        (Kind::WebhookEndpoint, uuid) => Ok(WebhookEndpointId(uuid)),
        _ => Err(not_found(EntityKind::WebhookEndpoint, id)),
    }
}

/// A webhook delivery id from input field `field`.
pub fn webhook_delivery_id(field: InputField, id: &ID) -> Result<WebhookDeliveryId, CoreError> {
    match decode_input(field, id)? {
        (Kind::WebhookDelivery, uuid) => Ok(WebhookDeliveryId(uuid)),
        _ => Err(not_found(EntityKind::WebhookDelivery, id)),
    }
}

/// A user or group id from input field `field`.
pub fn principal_id(field: InputField, id: &ID) -> Result<PrincipalId, CoreError> {
    match decode_input(field, id)? {
        (Kind::User, uuid) => Ok(PrincipalId::User(UserId(uuid))),
        (Kind::Group, uuid) => Ok(PrincipalId::Group(GroupId(uuid))),
        _ => Err(not_found(EntityKind::Principal, id)),
    }
}

/// Many ids of one kind, at most `MAX_IDS_PER_CALL` of them (`INVALID_INPUT`
/// past that); the first bad one fails the lot.
pub fn many<T>(
    field: InputField,
    ids: &[ID],
    one: impl Fn(InputField, &ID) -> Result<T, CoreError>,
) -> Result<Vec<T>, CoreError> {
    // The per-request bound lives here, at the edge, once for every list of
    // ids a client sends: the core itself serves bulk callers (seeding,
    // imports) whose lists are legitimately larger.
    seatwise_core::validate::id_count(field, ids.len())?;
    ids.iter().map(|id| one(field, id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients keep ids, so their spelling never changes: base64url,
    /// unpadded, of `Kind:uuid` with the uuid hyphenated in lower case.
    #[test]
    fn ids_are_spelled_as_ever_for_every_kind() {
        let uuid = uuid::Uuid::now_v7();
        for kind in Kind::ALL {
            let expected = URL_SAFE_NO_PAD.encode(format!("{}:{uuid}", kind.name()));
            assert_eq!(encode(kind, uuid).0, expected, "{kind:?}");
            let mut appended = b"[".to_vec();
            write_encoded(kind, uuid, &mut appended);
            assert_eq!(appended, format!("[{expected}").into_bytes(), "{kind:?}");
        }
    }

    #[test]
    fn ids_round_trip_and_keep_their_kind() {
        let uuid = uuid::Uuid::now_v7();
        let id = encode(Kind::App, uuid);
        assert_eq!(decode(&id), Some((Kind::App, uuid)));
        assert_eq!(app_id(InputField::AppId, &id).unwrap(), AppId(uuid));
        assert!(matches!(
            user_id(InputField::UserId, &id),
            Err(CoreError::NotFound { .. })
        ));
        assert!(matches!(
            app_id(InputField::AppId, &ID::from("garbage!")),
            Err(CoreError::InvalidInput { .. })
        ));
        assert_eq!(decode(&ID::from(uuid.to_string())), None);
    }
}
