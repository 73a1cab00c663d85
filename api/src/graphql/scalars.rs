//! The schema's own scalars: `Date` (an ISO calendar day) and `Decimal`
//! (an exact decimal number written as a string).
//!
//! Both are strict strings on input. Money never passes through a JSON
//! number: a float cannot hold 0.10 exactly, and clients differ in how
//! they print one, so a `Decimal` given as a number is refused.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar day, `YYYY-MM-DD` (ISO 8601), e.g. `2027-01-31`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar day written `YYYY-MM-DD` (ISO 8601), e.g. `2027-01-31`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        // `%Y-%m-%d` alone would also take `2027-1-5` and `+2027-01-05`.
        let well_formed = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) if well_formed => Ok(Date(day)),
            _ => Err(InputValueError::custom(format!(
                "{text:?} is not a date written YYYY-MM-DD"
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An exact decimal number, written as a string such as `"12.50"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

/// An exact decimal number written as a string, such as `"12.50"` (a
/// leading `-` for negative numbers, a `.` before the decimals; no
/// exponent). Amounts of money come with at least their currency's minor
/// unit of decimals.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::custom(
                "a Decimal is written as a string, such as \"12.50\"",
            ));
        };
        let plain = !text.is_empty()
            && text
                .strip_prefix('-')
                .unwrap_or(text)
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.');
        match text.parse::<rust_decimal::Decimal>() {
            Ok(number) if plain => Ok(Decimal(number)),
            _ => Err(InputValueError::custom(format!(
                "{text:?} is not a decimal number such as \"12.50\""
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::String(s.to_owned())
    }

    #[test]
    fn dates_are_strict_iso_days() {
        assert_eq!(
            Date::parse(text("2027-01-31")).ok(),
            NaiveDate::from_ymd_opt(2027, 1, 31).map(Date)
        );
        for bad in ["2027-1-31", "2027-02-30", "31/01/2027", "+2027-01-31", ""] {
            assert!(Date::parse(text(bad)).is_err(), "{bad}");
        }
        assert!(Date::parse(Value::Number(20270131.into())).is_err());
        let day = Date(NaiveDate::from_ymd_opt(2027, 1, 5).unwrap_or_default());
        assert_eq!(day.to_value(), text("2027-01-05"));
    }

    #[test]
    fn decimals_are_strings_never_numbers() {
        let parsed = Decimal::parse(text("12.50")).ok().map(|d| d.0.to_string());
        assert_eq!(parsed.as_deref(), Some("12.50"));
        assert!(Decimal::parse(text("-0.01")).is_ok());
        for bad in ["", "12,50", "1e3", "abc", "1.2.3", " 1"] {
            assert!(Decimal::parse(text(bad)).is_err(), "{bad}");
        }
        assert!(Decimal::parse(Value::Number(12.into())).is_err());
    }
}
