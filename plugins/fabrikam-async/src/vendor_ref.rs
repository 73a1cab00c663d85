//! The self-describing vendor reference of a pending Fabrikam seat change.
//!
//! Format: `fabrikam:v1:{quantity}:{ready_at_ms}:{operation_id}`, where
//! `ready_at_ms` is the Unix time in milliseconds at which the change counts
//! as done. The operation id comes last because it may itself contain `:`.

use seatwise_adapter::AdapterError;

const PREFIX: &str = "fabrikam:v1:";

/// A decoded vendor reference.
#[derive(Debug, PartialEq, Eq)]
pub struct VendorRef {
    /// The seat total the change sets.
    pub quantity: u32,
    /// When the change completes, Unix milliseconds.
    pub ready_at_ms: u64,
    /// The host's operation id, kept for tracing on Fabrikam's side.
    pub operation_id: String,
}

impl VendorRef {
    /// The reference's text form.
    pub fn encode(&self) -> String {
        format!(
            "{PREFIX}{}:{}:{}",
            self.quantity, self.ready_at_ms, self.operation_id
        )
    }

    /// Parses a reference produced by [`VendorRef::encode`].
    pub fn decode(text: &str) -> Result<Self, AdapterError> {
        let malformed = || AdapterError::permanent(format!("unknown Fabrikam reference `{text}`"));
        let rest = text.strip_prefix(PREFIX).ok_or_else(malformed)?;
        let mut parts = rest.splitn(3, ':');
        let quantity = parts.next().and_then(|part| part.parse().ok());
        let ready_at_ms = parts.next().and_then(|part| part.parse().ok());
        let operation_id = parts.next();
        match (quantity, ready_at_ms, operation_id) {
            (Some(quantity), Some(ready_at_ms), Some(operation_id)) => Ok(Self {
                quantity,
                ready_at_ms,
                operation_id: operation_id.to_owned(),
            }),
            _ => Err(malformed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_operation_ids_containing_colons() {
        let reference = VendorRef {
            quantity: 7,
            ready_at_ms: 1_700_000_000_000,
            operation_id: "op:1:2".into(),
        };
        assert_eq!(VendorRef::decode(&reference.encode()), Ok(reference));
    }

    #[test]
    fn refuses_foreign_references() {
        assert!(VendorRef::decode("contoso:v1:1:2:x").is_err());
        assert!(VendorRef::decode("fabrikam:v1:many:2:x").is_err());
        assert!(VendorRef::decode("fabrikam:v1:1:2").is_err());
    }
}
