//! `SeatChangeOperation`: a recorded request to change an app's purchased
//! seats, carried forward by the seat-change worker through the app's vendor
//! adapter.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use seatwise_core::seat_changes;

use super::app::App;
use crate::graphql::connection::connection;
use crate::graphql::context::loaders;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::{Kind, encode};

/// A request to set an app's purchased seats, and how far it got. Seat
/// changes are the vendor's business, so they are recorded first and then
/// carried out in the background; watch one with the
/// `seatChangeOperationUpdated` subscription or refetch it by id.
#[derive(Clone)]
pub struct SeatChangeOperation(pub seat_changes::SeatChangeOperation);

connection!(
    SeatChangeOperationConnection,
    SeatChangeOperationEdge,
    SeatChangeOperation,
    "A page of seat-change operations, newest first.",
    "A seat-change operation in a page, with its cursor."
);

/// Where a seat-change operation stands.
// `remote` generates both conversions with exhaustive matches, so a status
// added to the core does not compile until it is mirrored (and documented)
// here.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "seat_changes::SeatChangeStatus")]
pub enum SeatChangeStatus {
    /// Recorded; the vendor has not accepted it yet (first call due, or a
    /// retry after a transient failure).
    Pending,
    /// The vendor accepted it and is working on it.
    InProgress,
    /// Done: the app's purchased seats were updated.
    Succeeded,
    /// Gave up; `message` says why.
    Failed,
    /// The change must be arranged with the vendor directly; `contact` says
    /// how.
    ContactVendor,
    /// The vendor refused; `message` carries its reason.
    Rejected,
}

/// How to reach a vendor to arrange a seat change.
#[derive(SimpleObject, Clone)]
pub struct VendorContact {
    /// Person or team to contact.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Web site, e.g. a sales or support page.
    pub website: String,
    /// Phone number, when the vendor offers one.
    pub phone: Option<String>,
    /// What to tell the vendor or what to expect.
    pub message: String,
}

/// A request to set an app's purchased seats, and how far it got. Seat
/// changes are the vendor's business, so they are recorded first and then
/// carried out in the background; watch one with the
/// `seatChangeOperationUpdated` subscription or refetch it by id.
#[Object]
impl SeatChangeOperation {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        encode(Kind::SeatChangeOperation, self.0.id.0)
    }

    /// The app whose seats change (null only if the app no longer exists).
    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        Ok(loaders(ctx)?.apps.load_one(self.0.app_id).await?.map(App))
    }

    /// Where it stands.
    async fn status(&self) -> SeatChangeStatus {
        self.0.status.into()
    }

    /// Purchased seats when it was requested.
    async fn previous_quantity(&self) -> i64 {
        self.0.previous_quantity
    }

    /// Purchased seats asked for.
    async fn requested_quantity(&self) -> i64 {
        self.0.requested_quantity
    }

    /// The vendor's reference for the change while it works on it.
    async fn vendor_reference(&self) -> Option<&str> {
        self.0.vendor_ref.as_deref()
    }

    /// Progress note, last error, or the vendor's reason, for administrators.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// How to reach the vendor; set when the status is `CONTACT_VENDOR`.
    async fn contact(&self) -> Option<VendorContact> {
        self.0.contact.as_ref().map(|c| VendorContact {
            name: c.name.clone(),
            email: c.email.clone(),
            website: c.website.clone(),
            phone: c.phone.clone(),
            message: c.message.clone(),
        })
    }

    /// Vendor calls that failed with a transient error so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// When it was requested.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When it reached a final status (`SUCCEEDED`, `FAILED`,
    /// `CONTACT_VENDOR` or `REJECTED`); null while it is still open.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }

    /// Who asked for it (the token's subject).
    async fn requested_by(&self) -> &str {
        &self.0.requested_by
    }
}
