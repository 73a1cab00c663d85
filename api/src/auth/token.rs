//! Signed tokens (JWT, HS256): minting for `seatwise token` and `--demo`,
//! verifying for every request.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use seatwise_core::ids::{TenantId, UserId};
use serde::{Deserialize, Serialize};

use super::{Caller, Role};

/// Clock skew tolerated between the server that minted a token and the one
/// checking it.
const LEEWAY_SECONDS: u64 = 30;

/// The claims Seatwise reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Who the caller is; recorded as the author of their changes.
    pub sub: String,
    /// The tenant id, as printed by `seatwise tenant create`.
    pub tid: uuid::Uuid,
    /// Role names, e.g. `["GLOBAL_ADMIN"]`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// When it was issued, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// The caller's own user id in the tenant, if the caller is a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<uuid::Uuid>,
}

/// Why a request is not authenticated. Every variant becomes
/// `UNAUTHENTICATED`; the message says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("authentication required: send `Authorization: Bearer <token>`")]
    MissingToken,
    /// A header that is not `Bearer <token>`.
    #[error("the Authorization header must be `Bearer <token>`")]
    NotBearer,
    /// The token has expired.
    #[error("the token has expired")]
    Expired,
    /// The signature does not match the server's secret.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Signed with another algorithm than HS256 (including `none`).
    #[error("the token must be signed with HS256")]
    WrongAlgorithm,
    /// Not a well-formed token, or claims missing or of the wrong type.
    #[error("the token is malformed")]
    Malformed,
}

/// What to put in a new token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The subject (`sub`).
    pub subject: String,
    /// The tenant (`tid`).
    pub tenant: TenantId,
    /// Roles granted.
    pub roles: Vec<Role>,
    /// The caller's user, if any (`uid`).
    pub user: Option<UserId>,
    /// How long the token is valid.
    pub ttl: Duration,
}

/// The keys derived from the shared secret. Cheap to clone: the server's
/// state, and so these keys, is cloned for every request, and a deep clone
/// (two copies of the secret and the validation's claim sets) showed in
/// the hot path's profile.
#[derive(Clone)]
pub struct TokenKeys(Arc<Keys>);

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Keys for an HS256 secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }))
    }

    /// Sign a new token.
    pub fn mint(&self, request: &TokenRequest) -> Result<String, jsonwebtoken::errors::Error> {
        let now = unix_now();
        let claims = Claims {
            sub: request.subject.clone(),
            tid: request.tenant.0,
            roles: request
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            exp: now.saturating_add(request.ttl.as_secs()),
            iat: Some(now),
            uid: request.user.map(|u| u.0),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
    }

    /// Verify a token and read its caller.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        self.verify_until(token).map(|(caller, _)| caller)
    }

    /// Verify a token; its caller and when it expires (`None`: too far
    /// ahead to represent). A connection that outlives its request (a
    /// websocket) must stop serving the caller at that time.
    pub fn verify_until(&self, token: &str) -> Result<(Caller, Option<SystemTime>), AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.0.decoding, &self.0.validation)
            .map_err(|e| {
                match e.kind() {
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::InvalidSignature => AuthError::BadSignature,
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        AuthError::WrongAlgorithm
                    }
                    _ => {
                        // `alg: none` fails while parsing the header, before any
                        // signature check: name it rather than say "malformed".
                        if header_names_none(token) {
                            AuthError::WrongAlgorithm
                        } else {
                            AuthError::Malformed
                        }
                    }
                }
            })?;
        let claims = data.claims;
        // `None`: later than this system can represent, so never in practice.
        let expires_at = UNIX_EPOCH.checked_add(Duration::from_secs(claims.exp));
        let caller = Caller {
            tenant: TenantId(claims.tid),
            subject: claims.sub,
            roles: claims
                .roles
                .iter()
                .filter_map(|name| Role::from_name(name))
                .collect::<BTreeSet<_>>(),
            user: claims.uid.map(UserId),
        };
        Ok((caller, expires_at))
    }

    /// Authenticate from an `Authorization` header value, if any.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        self.authenticate_until(authorization)
            .map(|(caller, _)| caller)
    }

    /// [`TokenKeys::authenticate`], with the token's expiry.
    pub fn authenticate_until(
        &self,
        authorization: Option<&str>,
    ) -> Result<(Caller, Option<SystemTime>), AuthError> {
        let header = authorization.ok_or(AuthError::MissingToken)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::NotBearer)?;
        self.verify_until(token)
    }
}

fn header_names_none(token: &str) -> bool {
    use base64::Engine as _;
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Ok(bytes) =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('='))
    else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            v.get("alg")
                .and_then(|a| a.as_str())
                .map(|a| a.eq_ignore_ascii_case("none"))
        })
        .unwrap_or(false)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Parse a lifetime such as `90s`, `15m`, `1h`, `7d` (a bare number is
/// seconds).
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected e.g. 90s, 15m, 1h or 7d"))?;
    let unit_seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "invalid duration unit in {text:?}: use s, m, h or d"
            ));
        }
    };
    let seconds = number
        .checked_mul(unit_seconds)
        .filter(|s| *s > 0 && *s <= 366 * 86_400);
    seconds
        .map(Duration::from_secs)
        .ok_or_else(|| format!("duration {text:?} must be between 1s and 366d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ttl: Duration) -> TokenRequest {
        TokenRequest {
            subject: "alice".into(),
            tenant: TenantId::new(),
            roles: vec![Role::LicenseAdmin],
            user: Some(UserId::new()),
            ttl,
        }
    }

    #[test]
    fn a_minted_token_verifies_to_its_caller() {
        let keys = TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let req = request(Duration::from_secs(60));
        let token = keys.mint(&req).unwrap();
        let caller = keys.authenticate(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(caller.tenant, req.tenant);
        assert_eq!(caller.user, req.user);
        assert_eq!(
            caller.roles.into_iter().collect::<Vec<_>>(),
            vec![Role::LicenseAdmin]
        );
    }

    #[test]
    fn faults_are_named() {
        let keys = TokenKeys::from_secret(b"one secret");
        let other = TokenKeys::from_secret(b"another secret");
        let token = other.mint(&request(Duration::from_secs(60))).unwrap();
        assert_eq!(keys.verify(&token), Err(AuthError::BadSignature));
        assert_eq!(keys.authenticate(None), Err(AuthError::MissingToken));
        assert_eq!(
            keys.authenticate(Some("Basic abc")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(keys.verify("not.a.token"), Err(AuthError::Malformed));
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.";
        assert_eq!(keys.verify(none), Err(AuthError::WrongAlgorithm));
    }

    #[test]
    fn ttls_parse() {
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("12h"), Ok(Duration::from_secs(43_200)));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("").is_err());
    }
}
