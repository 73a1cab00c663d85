//! How an enum is stored: one convention for every text column that holds
//! one of a fixed set of values (`principal_kind`, `user_licenses.state`,
//! seat-change `status`, audit `action`, …).
//!
//! A stored value is SCREAMING_SNAKE_CASE, equal to the name of the
//! matching GraphQL enum value where there is one (`USER`, `ACTIVE`,
//! `COUNT_VIOLATION`, `IN_PROGRESS`), so a value reads the same in the
//! database, in the API and in logs. Released values never change: existing
//! databases hold them, and the migrations' CHECK constraints list them.
//!
//! Every write and every read of such a column goes through the type's
//! [`StoredEnum`] implementation, never through a string literal: the
//! [`stored_enum!`] macro writes that implementation from one list, and
//! with it the diesel conversions, so a typed row field or a typed
//! `column.eq(value)` stores exactly [`StoredEnum::stored`].

/// An enum stored as text. Implemented through [`stored_enum!`].
pub trait StoredEnum: Copy + Eq + std::fmt::Debug + 'static {
    /// Every value, in declaration order. The migrations' CHECK constraint
    /// on the column accepts exactly these (`core/tests/stored_enums.rs`).
    const ALL: &'static [Self];

    /// The stored text, e.g. `COUNT_VIOLATION`.
    fn stored(self) -> &'static str;

    /// The value [`stored`](StoredEnum::stored) wrote; `None` for text this
    /// build does not know.
    fn from_stored(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.stored() == text)
    }
}

/// A stored value as read back from a column whose set grows with new
/// releases (the audit trail's `action` and `target_kind`). A value this
/// build does not know — written by a replica of a newer release during a
/// rolling upgrade, which shares the database — is kept with its text
/// rather than failing the read: the trail is history, and one unfamiliar
/// entry must not hide the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded<T> {
    /// A value this build knows.
    Known(T),
    /// Stored text this build does not know, as stored.
    Unrecognized(String),
}

impl<T: StoredEnum> Recorded<T> {
    /// Read a stored text.
    pub fn from_stored(text: String) -> Self {
        match T::from_stored(&text) {
            Some(value) => Recorded::Known(value),
            None => Recorded::Unrecognized(text),
        }
    }

    /// The stored text (`LICENSE_ASSIGNED`).
    pub fn as_str(&self) -> &str {
        match self {
            Recorded::Known(value) => value.stored(),
            Recorded::Unrecognized(text) => text,
        }
    }

    /// The value, when this build knows it.
    pub fn known(&self) -> Option<T> {
        match self {
            Recorded::Known(value) => Some(*value),
            Recorded::Unrecognized(_) => None,
        }
    }
}

/// Implement [`StoredEnum`] for a fieldless enum from one list of
/// `Variant => "STORED_TEXT"`, and diesel's `ToSql`/`FromSql` for `Text` on
/// both backends through it. The list's `match` is exhaustive, so a new
/// variant does not compile until it has its text (and `ALL` is built from
/// the same list, so it cannot miss one). For typed row fields and
/// `column.eq(value)`, the enum also derives diesel's `AsExpression` and
/// `FromSqlRow` with `#[diesel(sql_type = diesel::sql_types::Text)]`.
///
/// Reading text no variant stores is a deserialization error: the CHECK
/// constraints keep such text out of these columns. (Columns that may hold
/// a newer release's values are read as text into [`Recorded`] instead.)
macro_rules! stored_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $crate::stored::StoredEnum for $ty {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn stored(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                let text = $crate::stored::StoredEnum::stored(*self);
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(text, out)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                let text = $crate::stored::StoredEnum::stored(*self);
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::to_sql(text, out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(value)?;
                $crate::stored::parse_stored(&text)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $ty {
            fn from_sql(
                value: diesel::sqlite::SqliteValue<'_, '_, '_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::from_sql(value)?;
                $crate::stored::parse_stored(&text)
            }
        }
    };
}
pub(crate) use stored_enum;

/// [`StoredEnum::from_stored`] as a diesel result, naming the type and the
/// text it could not read.
pub(crate) fn parse_stored<T: StoredEnum>(text: &str) -> diesel::deserialize::Result<T> {
    T::from_stored(text).ok_or_else(|| {
        format!(
            "unknown stored {} {text:?}",
            std::any::type_name::<T>()
                .rsplit("::")
                .next()
                .unwrap_or("value")
        )
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditAction;
    use crate::error::EntityKind;
    use crate::events::{DeliveryStatus, EventKind};
    use crate::ids::PrincipalKind;
    use crate::model::{LicenseErrorCode, LicenseState};
    use crate::seat_changes::SeatChangeStatus;

    /// Stored texts of every stored enum, to check the convention once.
    fn every_stored_text() -> Vec<Vec<&'static str>> {
        fn texts<T: StoredEnum>() -> Vec<&'static str> {
            T::ALL.iter().map(|v| v.stored()).collect()
        }
        vec![
            texts::<PrincipalKind>(),
            texts::<LicenseState>(),
            texts::<LicenseErrorCode>(),
            texts::<SeatChangeStatus>(),
            texts::<AuditAction>(),
            texts::<EntityKind>(),
            texts::<EventKind>(),
            texts::<DeliveryStatus>(),
        ]
    }

    #[test]
    fn every_stored_value_is_screaming_snake_case_and_unique_in_its_type() {
        for texts in every_stored_text() {
            let mut seen = std::collections::BTreeSet::new();
            for text in texts {
                assert!(
                    text.starts_with(|c: char| c.is_ascii_uppercase())
                        && text.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                        && !text.ends_with('_')
                        && !text.contains("__"),
                    "{text:?} is SCREAMING_SNAKE_CASE"
                );
                assert!(seen.insert(text), "{text:?} is stored by one value only");
            }
        }
    }

    #[test]
    fn every_value_reads_back_and_unknown_text_does_not() {
        fn round_trip<T: StoredEnum>() {
            for value in T::ALL {
                assert_eq!(T::from_stored(value.stored()), Some(*value));
                assert_eq!(parse_stored::<T>(value.stored()).ok(), Some(*value));
                let lower = value.stored().to_ascii_lowercase();
                assert_eq!(T::from_stored(&lower), None, "{lower:?} is not stored form");
            }
        }
        round_trip::<PrincipalKind>();
        round_trip::<LicenseState>();
        round_trip::<LicenseErrorCode>();
        round_trip::<SeatChangeStatus>();
        round_trip::<AuditAction>();
        round_trip::<EntityKind>();
        round_trip::<EventKind>();
        round_trip::<DeliveryStatus>();
        let error = parse_stored::<LicenseState>("active").unwrap_err();
        assert_eq!(error.to_string(), "unknown stored LicenseState \"active\"");
    }
}
