//! SQL types that differ between the two backends.

/// A UUID column: PostgreSQL's native `uuid` (16 bytes), SQLite's `TEXT`
/// (hyphenated, lower case, so text order equals byte order).
#[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId, Debug, Clone, Copy)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Uuid;

/// Encoding and decoding shared by every id newtype (see `crate::ids`).
pub(crate) mod codec {
    use diesel::deserialize;
    use diesel::pg::{Pg, PgValue};
    use diesel::serialize::{self, IsNull, Output};
    use diesel::sqlite::{Sqlite, SqliteValue};
    use std::io::Write;

    pub fn write_pg(id: &uuid::Uuid, out: &mut Output<'_, '_, Pg>) -> serialize::Result {
        out.write_all(id.as_bytes())?;
        Ok(IsNull::No)
    }

    pub fn read_pg(value: PgValue<'_>) -> deserialize::Result<uuid::Uuid> {
        Ok(uuid::Uuid::from_slice(value.as_bytes())?)
    }

    pub fn write_sqlite(id: &uuid::Uuid, out: &mut Output<'_, '_, Sqlite>) -> serialize::Result {
        out.set_value(id.hyphenated().to_string());
        Ok(IsNull::No)
    }

    pub fn read_sqlite(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<uuid::Uuid> {
        let text =
            <String as deserialize::FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
        Ok(uuid::Uuid::parse_str(&text)?)
    }
}
