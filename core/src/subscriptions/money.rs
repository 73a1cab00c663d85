//! Money: exact decimals, never floats, and how a price is stored.
//!
//! **Storage.** A price is stored as an exact integer of ten-thousandths
//! of its currency's unit (`price_per_seat_e4`: 12.50 EUR is 125000). An
//! integer column is the one numeric type SQLite and PostgreSQL store,
//! compare and sum identically, so one diesel query serves both; a fixed
//! scale of 4 covers every ISO 4217 minor unit (at most 4 decimals, CLF
//! and UYW) and sub-cent per-seat prices. Prices with more decimals are
//! refused rather than rounded: the stored price is always the one given.
//!
//! **Display.** Amounts are returned with at least their currency's minor
//! unit ("12.50" EUR, "1200" JPY) and more decimals only where the value
//! has them ("0.0125"), so a client can print them as they come.

use iso_currency::Currency;
use rust_decimal::Decimal;

use crate::error::{CoreError, CoreResult, InputField};

/// Decimal places a stored price keeps.
pub const PRICE_SCALE: u32 = 4;

/// The largest price of one seat accepted, in any currency.
pub const MAX_PRICE_PER_SEAT: i64 = 1_000_000_000;

/// A price given by a client, as the integer stored: at least 0, at most
/// [`MAX_PRICE_PER_SEAT`], at most [`PRICE_SCALE`] decimal places.
pub(crate) fn price_to_stored(field: InputField, price: Decimal) -> CoreResult<i64> {
    if price.is_sign_negative() && !price.is_zero() {
        return Err(CoreError::invalid(field, "must not be negative"));
    }
    if price > Decimal::from(MAX_PRICE_PER_SEAT) {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {MAX_PRICE_PER_SEAT}"),
        ));
    }
    let price = price.normalize();
    if price.scale() > PRICE_SCALE {
        return Err(CoreError::invalid(
            field,
            format!("must have at most {PRICE_SCALE} decimal places"),
        ));
    }
    let mut scaled = price;
    scaled.rescale(PRICE_SCALE);
    i64::try_from(scaled.mantissa().abs()).map_err(|_| CoreError::invalid(field, "is out of range"))
}

/// The price a stored integer holds.
pub(crate) fn price_from_stored(e4: i64) -> Decimal {
    Decimal::new(e4, PRICE_SCALE)
}

/// An ISO 4217 currency code as given: three capital letters naming a
/// currency of the standard's list (`EUR`, `USD`, `JPY`).
pub(crate) fn currency(field: InputField, code: &str) -> CoreResult<Currency> {
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(CoreError::invalid(
            field,
            "must be an ISO 4217 code of three capital letters, such as EUR",
        ));
    }
    Currency::from_code(code)
        .ok_or_else(|| CoreError::invalid(field, format!("{code} is not an ISO 4217 currency")))
}

/// `amount` as shown in `code`: at least the currency's minor unit of
/// decimals, more only where the value has them.
pub(crate) fn shown(amount: Decimal, code: &str) -> Decimal {
    let minor = Currency::from_code(code)
        .and_then(Currency::exponent)
        .map_or(0, u32::from);
    let mut amount = amount.normalize();
    if amount.scale() < minor {
        amount.rescale(minor);
    }
    amount
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().expect("a test decimal")
    }

    #[test]
    fn prices_are_stored_exactly_or_refused() {
        let field = InputField::PricePerSeat;
        assert_eq!(price_to_stored(field, dec("12.50")).ok(), Some(125_000));
        assert_eq!(price_to_stored(field, dec("0.0001")).ok(), Some(1));
        assert_eq!(price_to_stored(field, dec("7.120000")).ok(), Some(71_200));
        assert_eq!(price_to_stored(field, dec("0")).ok(), Some(0));
        assert_eq!(price_to_stored(field, dec("-0.00")).ok(), Some(0));
        assert_eq!(
            price_to_stored(field, dec("1000000000")).ok(),
            Some(10_000_000_000_000)
        );
        for bad in ["-1", "0.00001", "1000000000.01"] {
            assert!(price_to_stored(field, dec(bad)).is_err(), "{bad}");
        }
        assert_eq!(price_from_stored(125_000).to_string(), "12.5000");
    }

    #[test]
    fn amounts_show_their_currencys_minor_unit() {
        assert_eq!(shown(dec("12.5000"), "EUR").to_string(), "12.50");
        assert_eq!(shown(dec("1200.0000"), "JPY").to_string(), "1200");
        assert_eq!(shown(dec("0.0125"), "USD").to_string(), "0.0125");
        assert_eq!(shown(dec("3"), "BHD").to_string(), "3.000");
        assert_eq!(shown(Decimal::ZERO, "EUR").to_string(), "0.00");
    }

    #[test]
    fn currency_codes_are_iso_4217() {
        let field = InputField::Currency;
        assert_eq!(currency(field, "EUR").ok().map(|c| c.code()), Some("EUR"));
        for bad in ["eur", "EURO", "EU", "", "ZZZ", "E1R"] {
            assert!(currency(field, bad).is_err(), "{bad}");
        }
    }
}
