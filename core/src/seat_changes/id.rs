//! The id of a seat-change operation.
//!
//! Written out here rather than with `crate::ids`' private `define_id!` so
//! this feature stays in its own module; it behaves exactly like the other
//! id types (UUIDv7, the shared SQL codec) and could move there unchanged.

use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sqlite::{Sqlite, SqliteValue};
use std::fmt;
use std::str::FromStr;

use crate::db::sql_types::{Uuid, codec};

/// Identifies one seat-change operation. Time-ordered, so "newest first" is
/// "highest id first".
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = Uuid)]
#[serde(transparent)]
pub struct SeatChangeOperationId(pub uuid::Uuid);

impl SeatChangeOperationId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for SeatChangeOperationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SeatChangeOperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for SeatChangeOperationId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

impl From<uuid::Uuid> for SeatChangeOperationId {
    fn from(id: uuid::Uuid) -> Self {
        Self(id)
    }
}

impl ToSql<Uuid, Pg> for SeatChangeOperationId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        codec::write_pg(&self.0, out)
    }
}

impl FromSql<Uuid, Pg> for SeatChangeOperationId {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        codec::read_pg(value).map(Self)
    }
}

impl ToSql<Uuid, Sqlite> for SeatChangeOperationId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        codec::write_sqlite(&self.0, out)
    }
}

impl FromSql<Uuid, Sqlite> for SeatChangeOperationId {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        codec::read_sqlite(value).map(Self)
    }
}
