//! The schema's object types, one module per area.

mod adapter;
mod app;
mod audit;
mod directory;
mod group;
mod license;
mod node;
mod scim_token;
mod seat_change;
mod subscription;
mod usage;
mod user;
mod viewer;
mod webhook;

pub use adapter::{Adapter, AdapterSeatChanges};
pub use app::{App, AppConnection, Seats, Vendor};
pub use audit::{AuditEvent, AuditEventConnection};
pub use directory::DirectorySource;
pub use group::{Group, GroupConnection};
pub use license::{
    LicenseAssignment, LicenseAssignmentConnection, LicenseErrorCode, LicenseState, LicensedUser,
    LicensedUserConnection, Principal, UserLicense,
};
pub(crate) use license::{prime_group_page, prime_user_page};
pub use node::Node;
pub use scim_token::{ScimToken, ScimTokenConnection};
pub use seat_change::{
    SeatChangeOperation, SeatChangeOperationConnection, SeatChangeStatus, VendorContact,
};
pub use subscription::{AppSubscription, CurrencySpend, SubscriptionState};
pub use usage::{AppUsage, IdleSeat, IdleSeatConnection};
pub use user::{User, UserConnection};
pub use viewer::{Tenant, Viewer};
pub use webhook::{
    WebhookDelivery, WebhookDeliveryConnection, WebhookDeliveryStatus, WebhookEndpoint,
    WebhookEndpointConnection, WebhookEventType,
};

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;
    use seatwise_core::{StoredEnum, events, model, seat_changes};

    /// Each GraphQL enum value's name, with the stored text of the core
    /// value it mirrors.
    fn names_and_stored<G, C>() -> Vec<(&'static str, &'static str)>
    where
        G: EnumType + Copy,
        C: StoredEnum + From<G>,
    {
        G::items()
            .iter()
            .map(|item| (item.name, C::from(item.value).stored()))
            .collect()
    }

    /// The stored-value convention (`seatwise_core::stored`): a stored enum
    /// value is the name of the GraphQL enum value that shows it.
    #[test]
    fn graphql_enum_values_are_named_as_stored() {
        let pairs = [
            names_and_stored::<super::LicenseState, model::LicenseState>(),
            names_and_stored::<super::LicenseErrorCode, model::LicenseErrorCode>(),
            names_and_stored::<super::SeatChangeStatus, seat_changes::SeatChangeStatus>(),
            names_and_stored::<super::WebhookEventType, events::EventKind>(),
            names_and_stored::<super::WebhookDeliveryStatus, events::DeliveryStatus>(),
        ];
        for (name, stored) in pairs.into_iter().flatten() {
            assert_eq!(name, stored);
        }
    }
}
