//! Reading fields of a vendor's JSON (a webhook body, an API answer) with
//! the typed refusal the host expects: a missing or mistyped field is
//! [`AdapterError::malformed`], naming the field, never a panic.
//!
//! ```
//! use seatwise_adapter::json_fields::{optional_bool, required_array, required_str};
//!
//! let event = serde_json::json!({ "ends_on": "2027-12-31", "users": [] });
//! assert_eq!(required_str(&event, "ends_on").unwrap(), "2027-12-31");
//! assert_eq!(optional_bool(&event, "auto_renew").unwrap(), None);
//! assert!(required_array(&event, "users").unwrap().is_empty());
//! assert!(required_str(&event, "users").is_err());
//! ```

use serde_json::Value;

use crate::AdapterError;

/// Field `key` of `object`, which must be a string.
pub fn required_str(object: &Value, key: &str) -> Result<String, AdapterError> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| AdapterError::malformed(format!("`{key}` must be a string")))
}

/// Field `key` of `object`: `None` when absent or `null`, else it must be
/// `true` or `false`.
pub fn optional_bool(object: &Value, key: &str) -> Result<Option<bool>, AdapterError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_bool()
            .map(Some)
            .ok_or_else(|| AdapterError::malformed(format!("`{key}` must be true or false"))),
    }
}

/// Field `key` of `object`, which must be a list.
pub fn required_array<'a>(object: &'a Value, key: &str) -> Result<&'a [Value], AdapterError> {
    object
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| AdapterError::malformed(format!("`{key}` must be a list")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ErrorKind;

    fn refusal<T: std::fmt::Debug>(result: Result<T, AdapterError>) -> (ErrorKind, String) {
        let error = result.expect_err("refused");
        (error.kind, error.message)
    }

    #[test]
    fn a_missing_or_mistyped_field_is_malformed_and_named() {
        let object = json!({ "n": 3, "flag": "yes", "list": {} });
        assert_eq!(
            refusal(required_str(&object, "n")),
            (ErrorKind::Malformed, "`n` must be a string".into())
        );
        assert_eq!(
            refusal(required_str(&object, "absent")),
            (ErrorKind::Malformed, "`absent` must be a string".into())
        );
        assert_eq!(
            refusal(optional_bool(&object, "flag")),
            (ErrorKind::Malformed, "`flag` must be true or false".into())
        );
        assert_eq!(
            refusal(required_array(&object, "list")),
            (ErrorKind::Malformed, "`list` must be a list".into())
        );
    }

    #[test]
    fn present_fields_are_read() {
        let object = json!({ "s": "x", "b": false, "null": null, "l": [1, 2] });
        assert_eq!(required_str(&object, "s"), Ok("x".to_owned()));
        assert_eq!(optional_bool(&object, "b"), Ok(Some(false)));
        assert_eq!(optional_bool(&object, "null"), Ok(None));
        assert_eq!(required_array(&object, "l").map(<[Value]>::len), Ok(2));
    }
}
