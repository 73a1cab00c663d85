//! Reading Contoso's adapter settings out of the call context.

use seatwise_adapter::{AdapterError, CallContext, UsageReportRecord};
use serde_json::Value;

const DEFAULT_INSTALL_BASE_URL: &str = "https://install.contoso.example";

/// Contoso's settings, validated.
pub struct ContosoSettings {
    /// HMAC key for install URLs; only install redirects need it.
    pub signing_secret: Option<String>,
    /// `https://` base the install path is appended to, without trailing `/`.
    pub install_base_url: String,
    /// Upper bound on seats, when the contract has one.
    pub max_seats: Option<u64>,
    /// Whether seat reductions must go through Contoso sales.
    pub reductions_need_contact: bool,
    /// The users' last activity `report_usage` answers (demo data: Contoso
    /// has no real usage to report), in settings order.
    pub usage_report: Vec<UsageReportRecord>,
}

impl ContosoSettings {
    /// Validates the settings of `ctx`; wrong types are `InvalidSettings` errors.
    pub fn from_context(ctx: &CallContext) -> Result<Self, AdapterError> {
        let settings = &ctx.settings;
        if !(settings.is_object() || settings.is_null()) {
            return Err(AdapterError::invalid_settings(
                "adapter settings must be a JSON object",
            ));
        }
        let signing_secret = optional_str(settings, "signing_secret")?
            .filter(|secret| !secret.is_empty())
            .map(str::to_owned);
        let install_base_url = match optional_str(settings, "install_base_url")? {
            Some(base) => https_base(base)?,
            None => DEFAULT_INSTALL_BASE_URL.to_owned(),
        };
        let max_seats = match settings.get("max_seats") {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.as_u64().ok_or_else(|| {
                AdapterError::invalid_settings("`max_seats` must be a non-negative integer")
            })?),
        };
        let reductions_need_contact = match settings.get("reductions_need_contact") {
            None | Some(Value::Null) => false,
            Some(value) => value.as_bool().ok_or_else(|| {
                AdapterError::invalid_settings("`reductions_need_contact` must be true or false")
            })?,
        };
        let usage_report = match settings.get("usage_report") {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => serde_json::from_value(value.clone()).map_err(|_| {
                AdapterError::invalid_settings(
                    "`usage_report` must be a list of {\"user_email\": string, \"last_active_at\": Unix seconds}",
                )
            })?,
        };
        Ok(Self {
            signing_secret,
            install_base_url,
            max_seats,
            reductions_need_contact,
            usage_report,
        })
    }
}

fn optional_str<'a>(settings: &'a Value, key: &str) -> Result<Option<&'a str>, AdapterError> {
    match settings.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(AdapterError::invalid_settings(format!(
            "`{key}` must be a string"
        ))),
    }
}

/// Accepts `https://host[/path]` or a bare `host[/path]`; refuses other
/// schemes. Returns the base without trailing `/`.
fn https_base(base: &str) -> Result<String, AdapterError> {
    let base = base.trim();
    let (scheme, rest) = match base.find("://") {
        Some(end) => base.split_at(end + "://".len()),
        None => ("https://", base),
    };
    if !scheme.eq_ignore_ascii_case("https://") {
        return Err(AdapterError::invalid_settings(
            "`install_base_url` must use https",
        ));
    }
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.starts_with('/') {
        return Err(AdapterError::invalid_settings(
            "`install_base_url` has no host",
        ));
    }
    Ok(format!("{scheme}{rest}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(settings: Value) -> Result<ContosoSettings, AdapterError> {
        ContosoSettings::from_context(&CallContext {
            tenant_id: "t".into(),
            app_id: "a".into(),
            settings,
        })
    }

    #[test]
    fn install_base_accepts_hosts_and_https_urls() {
        assert_eq!(https_base("example.test/").unwrap(), "https://example.test");
        assert_eq!(
            https_base("HTTPS://example.test/x").unwrap(),
            "HTTPS://example.test/x"
        );
        assert!(https_base("http://example.test").is_err());
        assert!(https_base("https://").is_err());
    }

    #[test]
    fn defaults_apply_when_settings_are_empty() {
        let settings = parse(json!({})).unwrap();
        assert_eq!(settings.install_base_url, DEFAULT_INSTALL_BASE_URL);
        assert_eq!(settings.max_seats, None);
        assert!(settings.signing_secret.is_none());
        assert!(!settings.reductions_need_contact);
    }

    #[test]
    fn wrong_types_are_invalid_settings() {
        for settings in [
            json!([]),
            json!({"max_seats": -1}),
            json!({"signing_secret": 5}),
            json!({"reductions_need_contact": "yes"}),
        ] {
            let error = parse(settings.clone()).err().expect("refused");
            assert_eq!(
                error.kind,
                seatwise_adapter::ErrorKind::InvalidSettings,
                "{settings}"
            );
        }
    }
}
