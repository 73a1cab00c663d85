//! The one error type of the core. The API maps each variant to a GraphQL
//! error code once, at its edge.

/// Everything a core operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The id does not exist in this tenant. Another tenant's id gives the
    /// same answer, so ids never leak across tenants.
    #[error("{entity} {id} was not found")]
    NotFound {
        /// What kind of thing was looked up.
        entity: EntityKind,
        /// The id as given.
        id: String,
    },
    /// Assigning would use more seats than are free; nothing was changed.
    #[error(
        "not enough seats: this change needs {needed} more seat(s) but only {available} are available; nothing was changed"
    )]
    NotEnoughSeats {
        /// Users who would newly take a seat.
        needed: i64,
        /// Seats free before the change.
        available: i64,
    },
    /// A seat decrease below the number of seats in use.
    #[error("cannot reduce seats to {requested}: {in_use} seat(s) are in use")]
    SeatsInUse {
        /// The requested purchased quantity.
        requested: i64,
        /// Seats currently assigned.
        in_use: i64,
    },
    /// An app still has license assignments, and its removal did not ask
    /// to unassign them; nothing was changed.
    #[error(
        "the app still has {assignments} license assignment(s); unassign them first, or remove the app and unassign everyone with it"
    )]
    AppHasAssignments {
        /// Assignments (direct and through groups) the app has.
        assignments: i64,
    },
    /// An app has a seat change the vendor has not finished (`PENDING` or
    /// `IN_PROGRESS`), so it cannot be removed yet; nothing was changed.
    #[error(
        "the app has {operations} seat change(s) still under way at its vendor; wait until they finish"
    )]
    SeatChangeUnderWay {
        /// Seat-change operations not yet final.
        operations: i64,
    },
    /// The app's subscription is `DISABLED` (its term ended and the grace
    /// period after it is over), so it takes no new assignment; nothing was
    /// changed. Existing assignments stay. A renewal (a later term end)
    /// lifts it.
    #[error(
        "the app's subscription ended on {term_end} and its {grace_days}-day grace period is over; renew it (a later termEnd) before assigning it"
    )]
    SubscriptionInactive {
        /// The last day of the term that ended.
        term_end: chrono::NaiveDate,
        /// The grace period after it, in days.
        grace_days: i32,
    },
    /// A field of the input is invalid; nothing was changed. The API names
    /// the field for its clients (the Display form here is for logs).
    #[error("{field:?}: {message}")]
    InvalidInput {
        /// The input field at fault.
        field: InputField,
        /// What is wrong with it.
        message: String,
    },
    /// A unique value (e.g. an email) is already taken; nothing was changed.
    #[error("{field:?}: {message}")]
    AlreadyExists {
        /// The input field at fault.
        field: InputField,
        /// What clashes.
        message: String,
    },
    /// The caller's copy is out of date: it named a version (SCIM
    /// `If-Match`) that is no longer the stored one. Nothing was changed.
    #[error("{entity} changed since it was read (now version {current})")]
    VersionMismatch {
        /// What was written.
        entity: EntityKind,
        /// The stored version.
        current: i64,
    },
    /// The identity provider deactivated the user (SCIM `active: false`),
    /// which released their seats; only the identity provider can undo
    /// that, so an admin's attempt to let them sign in again is refused
    /// and nothing was changed. `field` is the input that asked.
    #[error(
        "the identity provider deactivated this user and released their licenses; reactivate them in the identity provider, which also gives their licenses back"
    )]
    DirectoryManaged {
        /// The input field that asked for the change.
        field: InputField,
    },
    /// The database cannot be reached or the pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database did not finish in time: a statement, lock wait or idle
    /// transaction ran past its limit (see `StoreOptions`), or SQLite's
    /// write lock stayed busy. Nothing was changed; trying again may work.
    #[error("database timed out: {0}")]
    TimedOut(String),
    /// A database error that is not the caller's fault.
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    /// A bug or broken invariant.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The input a [`CoreError::InvalidInput`] or [`CoreError::AlreadyExists`]
/// blames. The core says which input is at fault; the API decides what
/// its clients call it (`InputField::PrincipalIds` → `principalIds`), so
/// field naming lives in one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputField {
    /// The id of the one object asked for.
    Id,
    /// A list of ids of any kind.
    Ids,
    /// The app's id.
    AppId,
    /// The user's id.
    UserId,
    /// The group's id.
    GroupId,
    /// Users to add to or remove from a group.
    UserIds,
    /// A new group's first members.
    MemberIds,
    /// Users and groups to assign licenses to or take them from.
    PrincipalIds,
    /// A name (app, tenant).
    Name,
    /// A user's or group's display name.
    DisplayName,
    /// A user's email address.
    Email,
    /// A description (app, group).
    Description,
    /// The vendor adapter plugin an app uses.
    AdapterKey,
    /// The settings handed to that adapter.
    AdapterSettings,
    /// The vendor's name.
    VendorName,
    /// The vendor's website.
    VendorWebsite,
    /// The vendor's support email address.
    VendorSupportEmail,
    /// Seats bought when an app is registered.
    Seats,
    /// A new number of purchased seats.
    Quantity,
    /// The key that makes a seat-change request safe to repeat.
    IdempotencyKey,
    /// `tokenId`: a SCIM token.
    TokenId,
    /// `externalId`: the identity provider's id for a user or group.
    ExternalId,
    /// `department`.
    Department,
    /// Whether a user may sign in.
    AccountEnabled,
    /// `userName`: the identity provider's sign-in name for a user.
    UserName,
    /// Where the vendor sends the admin back to after an install.
    ReturnUrl,
    /// A page size.
    First,
    /// A page cursor.
    After,
    /// The vendor's reference for a pending seat change (from the adapter).
    VendorRef,
    /// The seat-change worker claiming operations.
    WorkerOwner,
    /// How long a worker's claim lasts.
    Lease,
    /// The database URL.
    Database,
    /// The first day of a subscription's term.
    TermStart,
    /// The last day of a subscription's term.
    TermEnd,
    /// A subscription's price of one seat.
    PricePerSeat,
    /// A subscription's ISO 4217 currency code.
    Currency,
    /// Days before the term end from which a subscription is `EXPIRING`.
    NoticeDays,
    /// Days after the term end during which a subscription is `EXPIRED`
    /// but still takes assignments.
    GraceDays,
    /// Free seats at or under which an app is low on seats.
    LowSeatThreshold,
    /// Days without activity after which a seat holder counts as idle.
    IdleDays,
    /// Usage records sent in one call.
    UsageRecords,
    /// A webhook endpoint's URL.
    Url,
    /// The event types a webhook endpoint receives.
    Events,
    /// `endpointId`: a webhook endpoint.
    EndpointId,
    /// `deliveryId`: one delivery of an event to a webhook endpoint.
    DeliveryId,
    /// A field of one entry of a bulk user import.
    ImportedUser {
        /// The entry's position in the import, from 0.
        index: usize,
        /// Which of its fields.
        field: ImportedUserField,
    },
}

/// The fields of one entry of a bulk user import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportedUserField {
    /// Its display name.
    DisplayName,
    /// Its email address.
    Email,
}

/// The kinds of thing an id can name, as reported by
/// [`CoreError::NotFound`] and stored as an audit event's `target_kind`
/// (its [`StoredEnum`](crate::stored::StoredEnum) form, `SEAT_CHANGE_OPERATION`).
/// The API matches on the kind (to name the input field that held the id);
/// people read its display form in messages, which is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// An organisation.
    Tenant,
    /// An app whose licenses the tenant manages.
    App,
    /// A user.
    User,
    /// A group of users.
    Group,
    /// A user or a group, when the id's kind is not one of them.
    Principal,
    /// A request to change an app's seats at its vendor.
    SeatChangeOperation,
    /// An identity provider's SCIM bearer token.
    ScimToken,
    /// An outbound webhook endpoint.
    WebhookEndpoint,
    /// One delivery of an event to a webhook endpoint.
    WebhookDelivery,
}

crate::stored::stored_enum!(EntityKind {
    Tenant => "TENANT",
    App => "APP",
    User => "USER",
    Group => "GROUP",
    Principal => "PRINCIPAL",
    SeatChangeOperation => "SEAT_CHANGE_OPERATION",
    ScimToken => "SCIM_TOKEN",
    WebhookEndpoint => "WEBHOOK_ENDPOINT",
    WebhookDelivery => "WEBHOOK_DELIVERY",
});

impl EntityKind {
    /// The kind as people read it in messages ("app", "seat change
    /// operation", …).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Tenant => "tenant",
            EntityKind::App => "app",
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Principal => "principal",
            EntityKind::SeatChangeOperation => "seat change operation",
            EntityKind::ScimToken => "SCIM token",
            EntityKind::WebhookEndpoint => "webhook endpoint",
            EntityKind::WebhookDelivery => "webhook delivery",
        }
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result alias for core operations.
pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub(crate) fn invalid(field: InputField, message: impl Into<String>) -> Self {
        CoreError::InvalidInput {
            field,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(entity: EntityKind, id: impl ToString) -> Self {
        CoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

/// Time limits and lost connections get their own variants, so the API can
/// tell a client "try again" rather than "internal error".
impl From<diesel::result::Error> for CoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::DatabaseError(_, info) if is_timeout(info.message()) => {
                CoreError::TimedOut(info.message().to_owned())
            }
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => CoreError::Unavailable(info.message().to_owned()),
            _ => CoreError::Database(e),
        }
    }
}

/// Whether a database message reports a time limit. diesel-async keeps the
/// PostgreSQL message but not its SQLSTATE (57014, 55P03, 25P03), so this
/// matches PostgreSQL's (English) texts and SQLite's `SQLITE_BUSY` text.
fn is_timeout(message: &str) -> bool {
    const TIMEOUTS: [&str; 4] = [
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "terminating connection due to idle-in-transaction timeout",
        "database is locked",
    ];
    TIMEOUTS.iter().any(|t| message.contains(t))
}

impl From<CoreError> for diesel::result::Error {
    // Never called: diesel-async only needs the bound to exist for closures
    // that return our error type.
    fn from(e: CoreError) -> Self {
        diesel::result::Error::QueryBuilderError(e.to_string().into())
    }
}
