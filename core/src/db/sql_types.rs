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

    /// Parsed from the row's own text: no copy of it is made.
    pub fn read_sqlite(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<uuid::Uuid> {
        Ok(uuid::Uuid::parse_str(value.read_text())?)
    }
}

/// A `Timestamp` column read as chrono's `NaiveDateTime`, for reads of
/// many rows: SQLite's text is parsed by [`parse_sqlite_text`] when it has
/// the form diesel writes (`2026-12-05 01:09:12.123456`), and by diesel
/// otherwise. diesel's own decoder tries chrono format strings, which
/// chrono interprets on every call: 2 % of the SQLite server's CPU on the
/// license-details screen (bench/README.md). PostgreSQL's binary form is
/// decoded by diesel as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub(crate) struct StoredTime(pub chrono::NaiveDateTime);

impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::sqlite::Sqlite>
    for StoredTime
{
    fn from_sql(
        mut value: diesel::sqlite::SqliteValue<'_, '_, '_>,
    ) -> diesel::deserialize::Result<Self> {
        if let Some(time) = parse_sqlite_text(value.read_text()) {
            return Ok(Self(time));
        }
        <chrono::NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::sqlite::Sqlite,
        >>::from_sql(value)
        .map(Self)
    }
}

impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::pg::Pg> for StoredTime {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        <chrono::NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::pg::Pg,
        >>::from_sql(value)
        .map(Self)
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 9 digits, the
/// text diesel stores for a `NaiveDateTime` on SQLite; `None` for anything
/// else (left to diesel's decoder, which knows more forms).
fn parse_sqlite_text(text: &str) -> Option<chrono::NaiveDateTime> {
    let b = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if b.len() < 19 || separators.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            number(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(&b[0..4])?).ok()?,
        number(&b[5..7])?,
        number(&b[8..10])?,
    )?;
    let time = chrono::NaiveTime::from_hms_nano_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
        nanos,
    )?;
    Some(chrono::NaiveDateTime::new(date, time))
}

#[cfg(test)]
mod tests {
    use super::parse_sqlite_text;

    /// The fast path reads what chrono's `%F %T%.f` reads, and declines
    /// the rest (diesel's decoder then reads it as before).
    #[test]
    fn sqlite_timestamps_parse_as_chrono_parses_them() {
        for text in [
            "2026-12-05 01:09:12",
            "2026-12-05 01:09:12.1",
            "2026-12-05 01:09:12.123456",
            "2026-12-05 01:09:12.123456789",
            "1970-01-01 00:00:00",
            "2024-02-29 23:59:59.000001",
        ] {
            let chrono = chrono::NaiveDateTime::parse_from_str(text, "%F %T%.f").expect(text);
            assert_eq!(parse_sqlite_text(text), Some(chrono), "{text}");
        }
        for text in [
            "2026-12-05T01:09:12",
            "2026-12-05 01:09:12.",
            "2026-12-05 01:09:12.1234567890",
            "2026-12-05 01:09:12+00:00",
            "2026-02-30 01:09:12",
            "2026-12-05 24:00:00",
            "2026-1a-05 01:09:12",
            "2026-12-05",
            "",
        ] {
            assert_eq!(parse_sqlite_text(text), None, "{text}");
        }
    }
}
