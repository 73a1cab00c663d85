//! What an event is: its typed kind and its JSON body.
//!
//! The body follows the envelope Standard Webhooks recommends, plus a
//! version receivers can switch on:
//! `{"type": "license.assigned", "timestamp": "…Z", "version": 1, "data": {…}}`.
//! `data` always carries `tenantId`; the rest depends on the type (see
//! docs/webhooks.md). The body is built once, stored in the outbox, and
//! sent byte for byte as stored, so its signature covers exactly it.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::ids::TenantId;
use crate::stored::stored_enum;

/// The payload version in every body; bumped only for an incompatible
/// change of `data` (new fields are not one).
pub const PAYLOAD_VERSION: u32 = 1;

/// The kinds of event a webhook endpoint can receive.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum EventKind {
    /// A user took a seat of an app (`license.assigned`).
    LicenseAssigned,
    /// A user no longer holds an app's license (`license.unassigned`).
    LicenseUnassigned,
    /// A user started or stopped waiting for a seat in `COUNT_VIOLATION`
    /// (`license.error`).
    LicenseError,
    /// An app's available seats fell to its low-seat threshold
    /// (`seats.low`), once per crossing.
    SeatsLow,
    /// A subscription is within its notice period (`subscription.expiring`).
    SubscriptionExpiring,
    /// A subscription passed its end date (`subscription.expired`).
    SubscriptionExpired,
    /// A subscription's grace period ended (`subscription.disabled`).
    SubscriptionDisabled,
    /// A seat-change operation reached a final state
    /// (`seatChange.finished`).
    SeatChangeFinished,
}

stored_enum!(EventKind {
    LicenseAssigned => "LICENSE_ASSIGNED",
    LicenseUnassigned => "LICENSE_UNASSIGNED",
    LicenseError => "LICENSE_ERROR",
    SeatsLow => "SEATS_LOW",
    SubscriptionExpiring => "SUBSCRIPTION_EXPIRING",
    SubscriptionExpired => "SUBSCRIPTION_EXPIRED",
    SubscriptionDisabled => "SUBSCRIPTION_DISABLED",
    SeatChangeFinished => "SEAT_CHANGE_FINISHED",
});

impl EventKind {
    /// The `type` receivers see in the body (`license.assigned`). Released
    /// names never change.
    pub fn wire_name(self) -> &'static str {
        match self {
            EventKind::LicenseAssigned => "license.assigned",
            EventKind::LicenseUnassigned => "license.unassigned",
            EventKind::LicenseError => "license.error",
            EventKind::SeatsLow => "seats.low",
            EventKind::SubscriptionExpiring => "subscription.expiring",
            EventKind::SubscriptionExpired => "subscription.expired",
            EventKind::SubscriptionDisabled => "subscription.disabled",
            EventKind::SeatChangeFinished => "seatChange.finished",
        }
    }
}

/// One event to record: its kind and its `data` (without `tenantId`,
/// which the envelope adds).
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub kind: EventKind,
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl Event {
    pub(crate) fn new(kind: EventKind, data: serde_json::Value) -> Self {
        let data = match data {
            serde_json::Value::Object(map) => map,
            // Callers pass object literals; anything else is kept whole.
            other => {
                let mut map = serde_json::Map::new();
                map.insert("value".into(), other);
                map
            }
        };
        Self { kind, data }
    }

    /// The body as sent: the envelope around `data`, with `tenantId` added.
    pub(crate) fn body(&self, tenant: TenantId, at: DateTime<Utc>) -> String {
        let mut data = serde_json::Map::new();
        data.insert("tenantId".into(), serde_json::json!(tenant));
        for (key, value) in &self.data {
            data.insert(key.clone(), value.clone());
        }
        serde_json::json!({
            "type": self.kind.wire_name(),
            "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "version": PAYLOAD_VERSION,
            "data": data,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stored::StoredEnum;

    #[test]
    fn wire_names_are_the_documented_ones_and_unique() {
        let names: std::collections::BTreeSet<&str> =
            EventKind::ALL.iter().map(|k| k.wire_name()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert_eq!(
            EventKind::SeatChangeFinished.wire_name(),
            "seatChange.finished"
        );
    }

    #[test]
    fn the_body_is_the_standard_envelope_with_the_tenant_in_data() {
        let tenant = TenantId::new();
        let at = DateTime::parse_from_rfc3339("2026-12-10T09:30:00Z")
            .expect("a time")
            .with_timezone(&Utc);
        let event = Event::new(
            EventKind::LicenseAssigned,
            serde_json::json!({"appId": "a"}),
        );
        let body: serde_json::Value = serde_json::from_str(&event.body(tenant, at)).expect("JSON");
        assert_eq!(
            body,
            serde_json::json!({
                "type": "license.assigned",
                "timestamp": "2026-12-10T09:30:00.000Z",
                "version": 1,
                "data": {"tenantId": tenant, "appId": "a"},
            })
        );
    }
}
