//! Bearer tokens of the identity providers that push a tenant's directory
//! over SCIM.
//!
//! A token's secret is 32 random bytes, shown once when it is created; the
//! database keeps only its SHA-256, so a leaked database or backup holds no
//! usable token. Authentication looks the hash up (one indexed read) and
//! answers with the token's tenant: a token never sees another tenant.
//! `last_used_at` is written at most once a minute per token, so a sync of
//! thousands of requests does not turn every read into a write.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::audit::{self, AuditAction, Target};
use crate::db::{Store, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::ids::{ScimTokenId, TenantId};
use crate::model::{Actor, now, utc};
use crate::schema::scim_tokens;
use crate::validate;

/// Every secret starts with this, so secret scanners and people can tell a
/// Seatwise SCIM token from other credentials.
pub const SECRET_PREFIX: &str = "swscim_";

/// Tokens one tenant may hold, revoked ones included.
pub const MAX_TOKENS_PER_TENANT: i64 = 100;

/// How stale `last_used_at` may get before a request refreshes it.
const LAST_USED_RESOLUTION: chrono::Duration = chrono::Duration::minutes(1);

/// A SCIM token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimToken {
    /// Its id.
    pub id: ScimTokenId,
    /// The tenant it provisions.
    pub tenant: TenantId,
    /// What the admin called it (e.g. "Entra ID"); the actor of its
    /// changes in the audit trail.
    pub name: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ScimToken {
    /// The actor its changes are recorded under.
    pub fn actor(&self) -> Actor {
        Actor::named(format!("scim:{}", self.name))
    }
}

/// A secret, shown once. Not `Debug`, so it cannot end up in a log line.
pub struct ScimSecret(String);

impl ScimSecret {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
    }

    /// The text to hand to the identity provider.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[derive(Insertable, Queryable)]
#[diesel(table_name = scim_tokens)]
struct TokenRow {
    tenant_id: TenantId,
    id: ScimTokenId,
    name: String,
    secret_hash: String,
    created_by: String,
    created_at: chrono::NaiveDateTime,
    last_used_at: Option<chrono::NaiveDateTime>,
    revoked_at: Option<chrono::NaiveDateTime>,
}

impl From<TokenRow> for ScimToken {
    fn from(r: TokenRow) -> Self {
        ScimToken {
            id: r.id,
            tenant: r.tenant_id,
            name: r.name,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            last_used_at: r.last_used_at.map(utc),
            revoked_at: r.revoked_at.map(utc),
        }
    }
}

impl Store {
    /// Create a token named `name`; it and its secret (shown once).
    pub async fn create_scim_token(
        &self,
        tenant: TenantId,
        actor: &Actor,
        name: &str,
    ) -> CoreResult<(ScimToken, ScimSecret)> {
        let name = validate::required(InputField::Name, name, validate::MAX_NAME_LEN)?;
        let secret = ScimSecret::generate();
        let row = TokenRow {
            tenant_id: tenant,
            id: ScimTokenId::new(),
            name,
            secret_hash: hash(secret.expose()),
            created_by: actor.subject.clone(),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
        };
        write_txn!(self, conn => {
            self.require_tenant(conn, tenant).await?;
            let held: i64 = on_conn!(conn, c => scim_tokens::table
                .filter(scim_tokens::tenant_id.eq(tenant))
                .count()
                .get_result(c)
                .await)?;
            if held >= MAX_TOKENS_PER_TENANT {
                return Err(CoreError::InvalidInput {
                    field: InputField::Name,
                    message: format!(
                        "an organisation holds at most {MAX_TOKENS_PER_TENANT} SCIM tokens; revoke unused ones"
                    ),
                });
            }
            on_conn!(conn, c => diesel::insert_into(scim_tokens::table).values(&row).execute(c).await)?;
            audit::record(conn, tenant, actor, AuditAction::ScimTokenCreated, Target::scim_token(row.id),
                serde_json::json!({ "name": row.name })).await?;
            Ok(())
        })?;
        Ok((row.into(), secret))
    }

    /// Revoke a token: it authenticates nothing from now on. Revoking a
    /// revoked token changes nothing.
    pub async fn revoke_scim_token(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: ScimTokenId,
    ) -> CoreResult<ScimToken> {
        write_txn!(self, conn => {
            let row: Option<TokenRow> = on_conn!(conn, c => scim_tokens::table
                .filter(scim_tokens::tenant_id.eq(tenant))
                .filter(scim_tokens::id.eq(id))
                .first(c)
                .await
                .optional())?;
            let mut row = row.ok_or_else(|| CoreError::not_found(EntityKind::ScimToken, id))?;
            if row.revoked_at.is_none() {
                let at = now();
                on_conn!(conn, c => diesel::update(scim_tokens::table
                    .filter(scim_tokens::tenant_id.eq(tenant))
                    .filter(scim_tokens::id.eq(id)))
                    .set(scim_tokens::revoked_at.eq(Some(at)))
                    .execute(c)
                    .await)?;
                row.revoked_at = Some(at);
                audit::record(conn, tenant, actor, AuditAction::ScimTokenRevoked, Target::scim_token(id),
                    serde_json::json!({ "name": row.name })).await?;
            }
            Ok(row.into())
        })
    }

    /// The tenant's tokens, oldest first (ids are time-ordered); at most
    /// [`MAX_TOKENS_PER_TENANT`], so callers page them in memory.
    pub async fn scim_tokens(&self, tenant: TenantId) -> CoreResult<Vec<ScimToken>> {
        read_conn!(self, conn => {
            let rows: Vec<TokenRow> = on_conn!(conn, c => scim_tokens::table
                .filter(scim_tokens::tenant_id.eq(tenant))
                .order(scim_tokens::id.asc())
                .load(c)
                .await)?;
            Ok(rows.into_iter().map(ScimToken::from).collect())
        })
    }

    /// The live token whose secret is `secret`, or `None` (unknown or
    /// revoked: the caller answers 401 either way).
    pub async fn authenticate_scim(&self, secret: &str) -> CoreResult<Option<ScimToken>> {
        if !secret.starts_with(SECRET_PREFIX) || secret.len() > 128 {
            return Ok(None);
        }
        let hashed = hash(secret);
        let row: Option<TokenRow> = read_conn!(self, conn => {
            Ok(on_conn!(conn, c => scim_tokens::table
                .filter(scim_tokens::secret_hash.eq(&hashed))
                .filter(scim_tokens::revoked_at.is_null())
                .first(c)
                .await
                .optional())?)
        })?;
        let Some(mut row) = row else {
            return Ok(None);
        };
        let at = now();
        let stale = row
            .last_used_at
            .is_none_or(|last| at - last >= LAST_USED_RESOLUTION);
        if stale {
            let (tenant, id) = (row.tenant_id, row.id);
            read_conn!(self, conn => {
                on_conn!(conn, c => diesel::update(scim_tokens::table
                    .filter(scim_tokens::tenant_id.eq(tenant))
                    .filter(scim_tokens::id.eq(id)))
                    .set(scim_tokens::last_used_at.eq(Some(at)))
                    .execute(c)
                    .await)?;
                Ok(())
            })?;
            row.last_used_at = Some(at);
        }
        Ok(Some(row.into()))
    }
}
