//! Typed identifiers. Each entity has its own id type so an app id can never
//! be passed where a user id is expected; all are UUIDs (v7, so they sort by
//! creation time, which keeps indexes append-mostly and gives stable paging).

use std::fmt;
use std::str::FromStr;

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = crate::db::sql_types::Uuid)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl diesel::serialize::ToSql<crate::db::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                crate::db::sql_types::codec::write_pg(&self.0, out)
            }
        }

        impl diesel::deserialize::FromSql<crate::db::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                crate::db::sql_types::codec::read_pg(value).map(Self)
            }
        }

        impl diesel::serialize::ToSql<crate::db::sql_types::Uuid, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>) -> diesel::serialize::Result {
                crate::db::sql_types::codec::write_sqlite(&self.0, out)
            }
        }

        impl diesel::deserialize::FromSql<crate::db::sql_types::Uuid, diesel::sqlite::Sqlite> for $name {
            fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> diesel::deserialize::Result<Self> {
                crate::db::sql_types::codec::read_sqlite(value).map(Self)
            }
        }
    };
}

define_id!(
    /// Identifies an organisation. Every row of every table carries one.
    TenantId
);
define_id!(
    /// Identifies an app bought from a vendor.
    AppId
);
define_id!(
    /// Identifies a user of a tenant.
    UserId
);
define_id!(
    /// Identifies a group of users.
    GroupId
);
define_id!(
    /// Identifies one license assignment (an app given to a user or group).
    AssignmentId
);
define_id!(
    /// Identifies an audit event.
    AuditEventId
);
define_id!(
    /// Identifies an identity provider's SCIM bearer token.
    ScimTokenId
);
define_id!(
    /// Identifies a tenant's outbound webhook endpoint.
    WebhookEndpointId
);
define_id!(
    /// Identifies an event in the outbox; sent as the `webhook-id` header.
    EventId
);
define_id!(
    /// Identifies one event's delivery to one webhook endpoint.
    WebhookDeliveryId
);
define_id!(
    /// An id whose entity kind is known only from another column (audit
    /// targets, assignment principals).
    AnyId
);

/// Which of the two a principal is, as stored in `principal_kind` columns.
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
pub enum PrincipalKind {
    /// A single user.
    User,
    /// A group of users.
    Group,
}

crate::stored::stored_enum!(PrincipalKind {
    User => "USER",
    Group => "GROUP",
});

/// A user or a group: who a license can be assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalId {
    /// A single user.
    User(UserId),
    /// A group: every member holds the license.
    Group(GroupId),
}

impl PrincipalId {
    /// Its kind, as stored beside the id in `principal_kind` columns.
    pub fn kind(&self) -> PrincipalKind {
        match self {
            PrincipalId::User(_) => PrincipalKind::User,
            PrincipalId::Group(_) => PrincipalKind::Group,
        }
    }

    /// The id without its kind, as stored in `principal_id` columns.
    pub fn any(&self) -> AnyId {
        match self {
            PrincipalId::User(id) => AnyId(id.0),
            PrincipalId::Group(id) => AnyId(id.0),
        }
    }

    /// Rebuild from the stored columns.
    pub fn from_parts(kind: PrincipalKind, id: AnyId) -> Self {
        match kind {
            PrincipalKind::User => PrincipalId::User(UserId(id.0)),
            PrincipalKind::Group => PrincipalId::Group(GroupId(id.0)),
        }
    }
}
