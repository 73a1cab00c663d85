//! The one place where failures become GraphQL errors.
//!
//! Resolvers return [`ApiResult`]. [`ApiError`] deliberately does not
//! implement `Display`, so it cannot slip into `async_graphql::Error`
//! through that crate's blanket conversion (which would drop the code):
//! every error reaches the client through [`From<ApiError>`] below, with
//! `extensions.code` set.
//!
//! Two channels:
//! - top-level `errors` for failures of the request itself: authentication
//!   (`UNAUTHENTICATED`), permission (`FORBIDDEN`), bad arguments to queries
//!   (`INVALID_INPUT`, …), server faults (`INTERNAL`) and a database that
//!   is down or out of time (`UNAVAILABLE`, `TIMEOUT`: retry later);
//! - `userErrors` in mutation payloads for expected business outcomes
//!   ([`UserError::from_core`]).

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::{Enum, ErrorExtensions as _, SimpleObject};
use seatwise_core::{CoreError, EntityKind, ImportedUserField, InputField};

use crate::auth::{AuthError, Permission};
use crate::vendor_effects::InstallError;
use crate::webhooks::UrlRefusal;

/// Result of a resolver.
pub type ApiResult<T> = Result<T, ApiError>;

/// Why a resolver failed. Not `Display` on purpose (see the module docs).
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The request carries no valid token.
    Unauthenticated(AuthError),
    /// The caller's roles do not allow this.
    Forbidden(Permission),
    /// The core refused or failed (shared: DataLoaders hand one error to
    /// every waiter, and async-graphql needs errors to be `Clone`).
    Core(Arc<CoreError>),
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::Core(Arc::new(e))
    }
}

impl From<Arc<CoreError>> for ApiError {
    fn from(e: Arc<CoreError>) -> Self {
        ApiError::Core(e)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::Unauthenticated(e)
    }
}

/// The codes clients see in `extensions.code` and `UserError.code`.
pub mod code {
    /// No valid token.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// A role that may not.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// Unknown id (or another tenant's).
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// Not enough free seats.
    pub const NOT_ENOUGH_SEATS: &str = "NOT_ENOUGH_SEATS";
    /// Seats cannot drop below those in use.
    pub const SEATS_IN_USE: &str = "SEATS_IN_USE";
    /// The object changed since the caller read it.
    pub const VERSION_MISMATCH: &str = "VERSION_MISMATCH";
    /// An app still has assignments and its removal did not ask to
    /// unassign them.
    pub const APP_HAS_ASSIGNMENTS: &str = "APP_HAS_ASSIGNMENTS";
    /// An app has a seat change its vendor has not finished.
    pub const SEAT_CHANGE_UNDER_WAY: &str = "SEAT_CHANGE_UNDER_WAY";
    /// The app's subscription is `DISABLED`: it takes no new assignment.
    pub const SUBSCRIPTION_INACTIVE: &str = "SUBSCRIPTION_INACTIVE";
    /// The identity provider deactivated the user; only it can let them
    /// sign in again.
    pub const DIRECTORY_MANAGED: &str = "DIRECTORY_MANAGED";
    /// Bad input.
    pub const INVALID_INPUT: &str = "INVALID_INPUT";
    /// A unique value is taken.
    pub const ALREADY_EXISTS: &str = "ALREADY_EXISTS";
    /// A fault on our side.
    pub const INTERNAL: &str = "INTERNAL";
    /// The database cannot be reached (or every connection is busy); the
    /// request may be retried.
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    /// A database time limit ran out (statement, lock wait, busy SQLite);
    /// the request may be retried.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// The document does not parse or validate, or exceeds the depth or
    /// complexity limits.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The request itself is not GraphQL (bad JSON, body too large, …).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// "Install this product" cannot work for the app (no adapter, adapter
    /// not loaded, or without install support).
    pub const INSTALL_UNAVAILABLE: &str = "INSTALL_UNAVAILABLE";
    /// The vendor adapter plugin failed (error, panic, timeout, bad answer).
    pub const ADAPTER_ERROR: &str = "ADAPTER_ERROR";
    /// A websocket connection already runs as many subscriptions as it may
    /// (sent as the `error` message of the refused subscription).
    pub const TOO_MANY_SUBSCRIPTIONS: &str = "TOO_MANY_SUBSCRIPTIONS";
}

/// What clients call an input field, in `extensions.field`,
/// `UserError.field` and the start of the message. The only place field
/// names are spelled: they are the GraphQL schema's argument and input
/// field names.
pub fn field_name(field: InputField) -> Cow<'static, str> {
    Cow::Borrowed(match field {
        InputField::Id => "id",
        InputField::Ids => "ids",
        InputField::AppId => "appId",
        InputField::UserId => "userId",
        InputField::GroupId => "groupId",
        InputField::UserIds => "userIds",
        InputField::MemberIds => "memberIds",
        InputField::PrincipalIds => "principalIds",
        InputField::Name => "name",
        InputField::TokenId => "tokenId",
        InputField::ExternalId => "externalId",
        InputField::Department => "department",
        InputField::AccountEnabled => "accountEnabled",
        InputField::UserName => "userName",
        InputField::DisplayName => "displayName",
        InputField::Email => "email",
        InputField::Description => "description",
        InputField::AdapterKey => "adapterKey",
        InputField::AdapterSettings => "adapterSettings",
        InputField::VendorName => "vendor.name",
        InputField::VendorWebsite => "vendor.website",
        InputField::VendorSupportEmail => "vendor.supportEmail",
        InputField::Seats => "seats",
        InputField::Quantity => "quantity",
        InputField::IdempotencyKey => "idempotencyKey",
        InputField::ReturnUrl => "returnUrl",
        InputField::First => "first",
        InputField::After => "after",
        InputField::VendorRef => "vendorRef",
        InputField::WorkerOwner => "owner",
        InputField::Lease => "lease",
        InputField::Database => "database",
        InputField::TermStart => "termStart",
        InputField::TermEnd => "termEnd",
        InputField::PricePerSeat => "pricePerSeat",
        InputField::Currency => "currency",
        InputField::NoticeDays => "noticeDays",
        InputField::GraceDays => "graceDays",
        InputField::LowSeatThreshold => "lowSeatThreshold",
        InputField::IdleDays => "idleDays",
        InputField::UsageRecords => "records",
        InputField::Url => "url",
        InputField::Events => "events",
        InputField::EndpointId => "endpointId",
        InputField::DeliveryId => "deliveryId",
        InputField::ImportedUser { index, field } => {
            let field = match field {
                ImportedUserField::DisplayName => "displayName",
                ImportedUserField::Email => "email",
            };
            return Cow::Owned(format!("users[{index}].{field}"));
        }
    })
}

/// What a client is told about a core error: code, message, and for seat
/// errors the numbers.
struct Described {
    code: &'static str,
    message: String,
    field: Option<String>,
    needed: Option<i64>,
    available: Option<i64>,
}

fn describe(e: &CoreError) -> Described {
    let plain = |code| Described {
        code,
        message: e.to_string(),
        field: None,
        needed: None,
        available: None,
    };
    // "email: is not an email address", with the field as clients call it.
    let about_field = |code, field: &InputField, message: &str| {
        let name = field_name(*field);
        Described {
            message: format!("{name}: {message}"),
            field: Some(name.into_owned()),
            ..plain(code)
        }
    };
    match e {
        CoreError::NotFound { .. } => plain(code::NOT_FOUND),
        CoreError::NotEnoughSeats { needed, available } => Described {
            needed: Some(*needed),
            available: Some(*available),
            ..plain(code::NOT_ENOUGH_SEATS)
        },
        CoreError::SeatsInUse { .. } => plain(code::SEATS_IN_USE),
        CoreError::VersionMismatch { .. } => plain(code::VERSION_MISMATCH),
        CoreError::AppHasAssignments { .. } => plain(code::APP_HAS_ASSIGNMENTS),
        CoreError::SeatChangeUnderWay { .. } => plain(code::SEAT_CHANGE_UNDER_WAY),
        // The app named by the mutation is what cannot take the change.
        CoreError::SubscriptionInactive { .. } => Described {
            field: Some(field_name(InputField::AppId).into_owned()),
            ..plain(code::SUBSCRIPTION_INACTIVE)
        },
        CoreError::InvalidInput { field, message } => {
            about_field(code::INVALID_INPUT, field, message)
        }
        CoreError::AlreadyExists { field, message } => {
            about_field(code::ALREADY_EXISTS, field, message)
        }
        CoreError::DirectoryManaged { field } => {
            about_field(code::DIRECTORY_MANAGED, field, &e.to_string())
        }
        CoreError::Unavailable(_) => {
            // Worth a retry: the database is down or every connection busy.
            tracing::warn!(error = %e, "request failed: database unavailable");
            Described {
                code: code::UNAVAILABLE,
                message: "the database is unavailable right now; try again shortly".to_owned(),
                field: None,
                needed: None,
                available: None,
            }
        }
        CoreError::TimedOut(_) => {
            tracing::warn!(error = %e, "request failed: database time limit");
            Described {
                code: code::TIMEOUT,
                message: "the database did not answer in time; try again".to_owned(),
                field: None,
                needed: None,
                available: None,
            }
        }
        CoreError::Database(_) | CoreError::Internal(_) => {
            // The detail may name tables or hosts: log it, tell the client
            // only that it is our fault.
            tracing::error!(error = %e, "request failed");
            Described {
                code: code::INTERNAL,
                message: "internal error; the server log has the details".to_owned(),
                field: None,
                needed: None,
                available: None,
            }
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        let core = match e {
            ApiError::Unauthenticated(auth) => {
                return async_graphql::Error::new(auth.to_string())
                    .extend_with(|_, ext| ext.set("code", code::UNAUTHENTICATED));
            }
            ApiError::Forbidden(permission) => {
                return async_graphql::Error::new(format!(
                    "forbidden: your roles do not allow you to {}",
                    permission.describe()
                ))
                .extend_with(|_, ext| ext.set("code", code::FORBIDDEN));
            }
            ApiError::Core(e) => describe(&e),
        };
        async_graphql::Error::new(core.message).extend_with(|_, ext| {
            ext.set("code", core.code);
            if let Some(field) = &core.field {
                ext.set("field", field.as_str());
            }
            if let (Some(needed), Some(available)) = (core.needed, core.available) {
                ext.set("needed", needed);
                ext.set("available", available);
            }
        })
    }
}

/// Why a mutation did not do what was asked.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserErrorCode {
    /// An id names nothing in this tenant.
    NotFound,
    /// More users would take a seat than are free; nothing was changed.
    NotEnoughSeats,
    /// Seats cannot be reduced below those in use.
    SeatsInUse,
    /// The app still has license assignments; remove it with
    /// `unassignAll: true` to unassign them in the same change.
    AppHasAssignments,
    /// The app has a seat change its vendor has not finished (`PENDING` or
    /// `IN_PROGRESS`); try again once it is final.
    SeatChangeUnderWay,
    /// The app's subscription is `DISABLED` (its term and grace period are
    /// over): it takes no new assignment until renewed; nothing was
    /// changed.
    SubscriptionInactive,
    /// The organisation's identity provider deactivated the user and
    /// released their licenses, so only it can let them sign in again
    /// (reactivating also gives their licenses back); nothing was changed.
    DirectoryManaged,
    /// An input field is invalid; nothing was changed.
    InvalidInput,
    /// A unique value (such as an email) is already taken.
    AlreadyExists,
    /// "Install this product" is not available for the app; the message
    /// says why.
    InstallUnavailable,
    /// The vendor adapter failed; the message says how. Trying again later
    /// may work.
    AdapterError,
    /// A webhook endpoint's URL may not receive events: it is not https,
    /// or its host resolves to a private, loopback or link-local address
    /// (the message says which).
    UrlNotAllowed,
}

/// An expected failure of a mutation, caused by its input.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// The input field at fault (e.g. `email`, `principalIds`), when known.
    pub field: Option<String>,
    /// What went wrong, for people.
    pub message: String,
    /// What went wrong, for programs.
    pub code: UserErrorCode,
    /// For `NOT_ENOUGH_SEATS`: users who would newly take a seat.
    pub needed: Option<i64>,
    /// For `NOT_ENOUGH_SEATS`: seats free before the change.
    pub available: Option<i64>,
}

impl UserError {
    /// A business failure as a `UserError`; anything else (database faults)
    /// stays a top-level error. `field_for` names the input field that held
    /// the id of a missing entity (`EntityKind::App` → `InputField::AppId`).
    pub fn from_core(
        e: CoreError,
        field_for: impl Fn(EntityKind) -> Option<InputField>,
    ) -> ApiResult<UserError> {
        let code = match &e {
            CoreError::NotFound { .. } => UserErrorCode::NotFound,
            CoreError::NotEnoughSeats { .. } => UserErrorCode::NotEnoughSeats,
            CoreError::SeatsInUse { .. } => UserErrorCode::SeatsInUse,
            CoreError::AppHasAssignments { .. } => UserErrorCode::AppHasAssignments,
            CoreError::SeatChangeUnderWay { .. } => UserErrorCode::SeatChangeUnderWay,
            CoreError::SubscriptionInactive { .. } => UserErrorCode::SubscriptionInactive,
            CoreError::InvalidInput { .. } => UserErrorCode::InvalidInput,
            CoreError::AlreadyExists { .. } => UserErrorCode::AlreadyExists,
            CoreError::DirectoryManaged { .. } => UserErrorCode::DirectoryManaged,
            CoreError::Unavailable(_)
            | CoreError::VersionMismatch { .. }
            | CoreError::TimedOut(_)
            | CoreError::Database(_)
            | CoreError::Internal(_) => {
                return Err(e.into());
            }
        };
        let described = describe(&e);
        let field = match &e {
            CoreError::NotFound { entity, .. } => {
                field_for(*entity).map(|field| field_name(field).into_owned())
            }
            _ => described.field,
        };
        Ok(UserError {
            field,
            message: described.message,
            code,
            needed: described.needed,
            available: described.available,
        })
    }
}

impl UserError {
    fn plain(code: UserErrorCode, field: Option<InputField>, message: String) -> Self {
        Self {
            field: field.map(|field| field_name(field).into_owned()),
            message,
            code,
            needed: None,
            available: None,
        }
    }

    /// A webhook URL the policy refuses, blamed on `url`.
    pub fn from_url_refusal(why: &UrlRefusal) -> UserError {
        Self::plain(
            UserErrorCode::UrlNotAllowed,
            Some(InputField::Url),
            format!("the URL {why}"),
        )
    }

    /// A failed install redirect: `INSTALL_UNAVAILABLE` (on `appId`) or
    /// `ADAPTER_ERROR` with the reason for people; a failure to audit it
    /// stays a top-level error.
    pub fn from_install(e: InstallError) -> ApiResult<UserError> {
        match e {
            InstallError::Unavailable(why) => Ok(Self::plain(
                UserErrorCode::InstallUnavailable,
                Some(InputField::AppId),
                why.to_string(),
            )),
            e @ InstallError::Adapter { .. } => Ok(Self::plain(
                UserErrorCode::AdapterError,
                None,
                e.to_string(),
            )),
            InstallError::Audit(e) => Err(e.into()),
        }
    }
}

/// Run a mutation's core call: success gives `Some(value)` and no user
/// errors; a business failure gives `None` and one user error; a server
/// fault stays a top-level error.
pub fn outcome<T>(
    result: Result<T, CoreError>,
    field_for: impl Fn(EntityKind) -> Option<InputField>,
) -> ApiResult<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(e) => Ok((None, vec![UserError::from_core(e, field_for)?])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendor_effects::InstallUnavailable;

    #[test]
    fn install_failures_become_their_user_errors_and_an_audit_failure_stays_top_level() {
        let unavailable =
            UserError::from_install(InstallError::Unavailable(InstallUnavailable::NoAdapter {
                app: "Draw".into(),
                website: "https://contoso.example".into(),
            }))
            .expect("a user error");
        assert_eq!(unavailable.code, UserErrorCode::InstallUnavailable);
        assert_eq!(unavailable.field.as_deref(), Some("appId"));
        assert!(
            unavailable
                .message
                .starts_with("Draw has no vendor adapter")
        );

        let adapter = UserError::from_install(InstallError::Adapter {
            adapter: "contoso".into(),
            error: seatwise_adapter_host::CallError::MalformedOutput("bad expiry".into()),
        })
        .expect("a user error");
        assert_eq!(adapter.code, UserErrorCode::AdapterError);
        assert_eq!(adapter.field, None);
        assert!(
            adapter
                .message
                .starts_with("the vendor adapter `contoso` failed: "),
            "{}",
            adapter.message
        );

        let audit =
            UserError::from_install(InstallError::Audit(CoreError::Unavailable("down".into())));
        assert!(matches!(audit, Err(ApiError::Core(_))));
    }

    fn client_sees(e: CoreError) -> (String, String) {
        let error = async_graphql::Error::from(ApiError::from(e));
        let code = error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .map(|code| code.to_string())
            .unwrap_or_default();
        (code.trim_matches('"').to_owned(), error.message)
    }

    #[test]
    fn a_database_outage_or_time_limit_says_try_again_without_details() {
        let (code, message) = client_sees(CoreError::Unavailable(
            "connection refused to db.internal:5432".into(),
        ));
        assert_eq!(code, code::UNAVAILABLE);
        assert!(!message.contains("db.internal"), "{message}");
        let (code, message) = client_sees(CoreError::TimedOut(
            "canceling statement due to lock timeout".into(),
        ));
        assert_eq!(code, code::TIMEOUT);
        assert!(message.contains("try again"), "{message}");
        // Faults that retrying does not fix stay INTERNAL.
        let (code, _) = client_sees(CoreError::Internal("bug".into()));
        assert_eq!(code, code::INTERNAL);
    }

    #[test]
    fn input_errors_name_the_field_as_the_schema_does() {
        let error = async_graphql::Error::from(ApiError::from(CoreError::InvalidInput {
            field: InputField::PrincipalIds,
            message: "name at least one user or group".into(),
        }));
        assert_eq!(
            error.message,
            "principalIds: name at least one user or group"
        );
        let field = error.extensions.as_ref().and_then(|ext| ext.get("field"));
        assert_eq!(
            field.map(|f| f.to_string()).as_deref(),
            Some("\"principalIds\"")
        );

        let clash = UserError::from_core(
            CoreError::AlreadyExists {
                field: InputField::ImportedUser {
                    index: 3,
                    field: ImportedUserField::Email,
                },
                message: "a user with email ada@contoso.example already exists".into(),
            },
            |_| None,
        )
        .unwrap();
        assert_eq!(clash.field.as_deref(), Some("users[3].email"));
        assert_eq!(
            clash.message,
            "users[3].email: a user with email ada@contoso.example already exists"
        );
        assert_eq!(clash.code, UserErrorCode::AlreadyExists);
    }

    #[test]
    fn a_missing_entity_is_blamed_on_the_field_that_held_its_id() {
        let missing = UserError::from_core(
            CoreError::NotFound {
                entity: EntityKind::Group,
                id: "g-1".into(),
            },
            |entity| (entity == EntityKind::Group).then_some(InputField::GroupId),
        )
        .unwrap();
        assert_eq!(missing.field.as_deref(), Some("groupId"));
        assert_eq!(missing.message, "group g-1 was not found");
        assert_eq!(missing.code, UserErrorCode::NotFound);
    }

    #[test]
    fn database_faults_are_never_user_errors() {
        for e in [
            CoreError::Unavailable("down".into()),
            CoreError::TimedOut("slow".into()),
        ] {
            assert!(UserError::from_core(e, |_| None).is_err());
        }
    }
}
