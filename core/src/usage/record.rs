//! Recording per-user activity: one call, one transaction, a few bulk
//! statements whatever the number of records.

use chrono::{DateTime, Timelike, Utc};
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::ActivitySource;
use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, custom_plan, on_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::ids::*;
use crate::model::Actor;
use crate::schema::{app_user_activity as activity, apps, users};
use crate::validate;

/// Most records one call may carry. A larger report is split by its
/// sender (the API refuses it, the worker pages its adapter's answer).
pub const MAX_USAGE_RECORDS: usize = 10_000;

/// How far in the future (by the store's clock) a reported time may lie:
/// clocks drift a little. A time further ahead is refused, because it
/// would keep the user "active" until then whatever happens.
pub const MAX_FUTURE_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Rows per upsert statement on PostgreSQL (5 binds each).
const UPSERT_CHUNK: usize = 2_000;

/// Who a usage record is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageUser {
    /// A user id of the tenant.
    Id(UserId),
    /// A user's email address, compared case-insensitively (vendors know
    /// users by email, not by our ids).
    Email(String),
}

/// One report: the user was active in the app at `last_active_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// Who.
    pub user: UsageUser,
    /// When they were last active. Stored to the second.
    pub last_active_at: DateTime<Utc>,
}

/// Why one record was not applied (the others were).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageRejectionReason {
    /// No user of this tenant has that id or email (another tenant's user
    /// gets the same answer).
    UnknownUser,
    /// The time lies more than [`MAX_FUTURE_SKEW`] after now.
    InFuture,
}

/// A record that was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRejection {
    /// The record's position in the call, from 0.
    pub index: usize,
    /// Why.
    pub reason: UsageRejectionReason,
}

/// What [`Store::record_usage`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecorded {
    /// Records applied. A record older than the stored time counts as
    /// applied: it was read and changes nothing.
    pub applied: usize,
    /// Distinct users whose stored time moved forward (or was first set).
    pub users_updated: usize,
    /// The records not applied, in call order.
    pub rejected: Vec<UsageRejection>,
}

#[derive(Insertable, Clone)]
#[diesel(table_name = activity)]
struct ActivityRow {
    tenant_id: TenantId,
    app_id: AppId,
    user_id: UserId,
    last_active_at: chrono::NaiveDateTime,
    source: ActivitySource,
}

impl Store {
    /// Record when users were last active in `app`, keeping per user the
    /// latest time ever reported: an older report never moves it back.
    ///
    /// Records name a user by id or by email. A record naming no user of
    /// the tenant, or a time more than [`MAX_FUTURE_SKEW`] ahead of the
    /// store's clock, is rejected on its own (reported by index); the rest
    /// are applied, all in one transaction. Several records for one user
    /// keep the latest. More than [`MAX_USAGE_RECORDS`] records is
    /// [`CoreError::InvalidInput`] (`UsageRecords`) and nothing is written;
    /// an app of no tenant's is `NotFound`.
    ///
    /// `actor` is who reported: an import is audited (`USAGE_IMPORTED`,
    /// one event per call); adapter polls and vendor webhooks are not,
    /// since they arrive continuously and change no license.
    pub async fn record_usage(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        records: &[UsageRecord],
        source: ActivitySource,
    ) -> CoreResult<UsageRecorded> {
        if records.len() > MAX_USAGE_RECORDS {
            return Err(CoreError::invalid(
                InputField::UsageRecords,
                format!("at most {MAX_USAGE_RECORDS} records per call"),
            ));
        }
        let latest_allowed = self.clock().now() + MAX_FUTURE_SKEW;
        write_txn!(self, conn => {
            require_app(conn, tenant, app).await?;
            let resolved = resolve_users(conn, tenant, records).await?;

            let mut rejected = Vec::new();
            let mut latest: BTreeMap<UserId, chrono::NaiveDateTime> = BTreeMap::new();
            for (index, (record, user)) in records.iter().zip(resolved).enumerate() {
                let reason = match user {
                    None => Some(UsageRejectionReason::UnknownUser),
                    Some(_) if record.last_active_at > latest_allowed => {
                        Some(UsageRejectionReason::InFuture)
                    }
                    Some(_) => None,
                };
                match (reason, user) {
                    (Some(reason), _) => rejected.push(UsageRejection { index, reason }),
                    (None, Some(user)) => {
                        let at = to_second(record.last_active_at);
                        let kept = latest.entry(user).or_insert(at);
                        *kept = (*kept).max(at);
                    }
                    (None, None) => {}
                }
            }
            let applied = records.len() - rejected.len();
            let rows: Vec<ActivityRow> = latest
                .into_iter()
                .map(|(user_id, last_active_at)| ActivityRow {
                    tenant_id: tenant,
                    app_id: app,
                    user_id,
                    last_active_at,
                    source,
                })
                .collect();
            let mut users_updated = 0;
            for chunk in rows.chunks(UPSERT_CHUNK) {
                users_updated += upsert_latest(conn, chunk.to_vec()).await?;
            }
            if source == ActivitySource::Import {
                audit::record(
                    conn,
                    tenant,
                    actor,
                    AuditAction::UsageImported,
                    Target::app(app),
                    serde_json::json!({
                        "records": records.len(),
                        "applied": applied,
                        "rejected": rejected.len(),
                        "usersUpdated": users_updated,
                    }),
                )
                .await?;
            }
            Ok(UsageRecorded { applied, users_updated, rejected })
        })
    }
}

/// Reported times are kept to the second: finer is noise for "idle for
/// 30 days", and both backends then store the same value.
fn to_second(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    let naive = at.naive_utc();
    naive.with_nanosecond(0).unwrap_or(naive)
}

async fn require_app(conn: &mut Conn<'_>, tenant: TenantId, app: AppId) -> CoreResult<()> {
    let query = apps::table
        .filter(apps::tenant_id.eq(tenant))
        .filter(apps::id.eq(app))
        .count();
    let found: i64 = on_conn!(conn, c => query.get_result(c).await)?;
    if found == 0 {
        return Err(CoreError::not_found(EntityKind::App, app));
    }
    Ok(())
}

/// Each record's user of `tenant`, or `None`: one lookup by id and one by
/// email for the whole call.
async fn resolve_users(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    records: &[UsageRecord],
) -> CoreResult<Vec<Option<UserId>>> {
    let ids: Vec<UserId> = records
        .iter()
        .filter_map(|r| match &r.user {
            UsageUser::Id(id) => Some(*id),
            UsageUser::Email(_) => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let emails: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.user {
            UsageUser::Email(email) => Some(validate::sort_key(email)),
            UsageUser::Id(_) => None,
        })
        .filter(|key| !key.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let mut known_ids: BTreeSet<UserId> = BTreeSet::new();
    if !ids.is_empty() {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(custom_plan(users::id.eq_any(&ids)))
            .select(users::id);
        known_ids.extend(on_conn!(conn, c => query.load::<UserId>(c).await)?);
    }
    let mut by_email: HashMap<String, UserId> = HashMap::new();
    if !emails.is_empty() {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(custom_plan(users::email_key.eq_any(&emails)))
            .select((users::email_key, users::id));
        by_email.extend(on_conn!(conn, c => query.load::<(String, UserId)>(c).await)?);
    }
    Ok(records
        .iter()
        .map(|r| match &r.user {
            UsageUser::Id(id) => known_ids.contains(id).then_some(*id),
            UsageUser::Email(email) => by_email.get(&validate::sort_key(email)).copied(),
        })
        .collect())
}

/// Insert or move forward each user's time; a stored later time stays (with
/// its source). Returns the rows inserted or moved.
async fn upsert_latest(conn: &mut Conn<'_>, rows: Vec<ActivityRow>) -> CoreResult<usize> {
    // Both SET expressions read the stored row as it was, so the source
    // moves exactly when the time does.
    macro_rules! upsert {
        ($rows:expr) => {
            diesel::insert_into(activity::table)
                .values($rows)
                .on_conflict((activity::tenant_id, activity::app_id, activity::user_id))
                .do_update()
                .set((
                    activity::last_active_at.eq(case_when(
                        excluded(activity::last_active_at).gt(activity::last_active_at),
                        excluded(activity::last_active_at),
                    )
                    .otherwise(activity::last_active_at)),
                    activity::source.eq(case_when(
                        excluded(activity::last_active_at).gt(activity::last_active_at),
                        excluded(activity::source),
                    )
                    .otherwise(activity::source)),
                ))
        };
    }
    // Count rows that really move: the upsert itself reports every row.
    let moved = count_moving(conn, &rows).await?;
    match conn {
        Conn::Pg(c) => {
            upsert!(&rows).execute(*c).await?;
        }
        Conn::Sqlite(c) => {
            // diesel has no multi-row upsert for SQLite: one cached
            // statement per row, all in one call on the blocking pool (an
            // in-process call each, no round trip).
            c.spawn_blocking(move |c| {
                for row in &rows {
                    diesel::RunQueryDsl::execute(upsert!(row), c)?;
                }
                Ok::<_, diesel::result::Error>(())
            })
            .await?;
        }
    }
    Ok(moved)
}

/// Of `rows`, how many have no stored time yet or a later one than stored.
async fn count_moving(conn: &mut Conn<'_>, rows: &[ActivityRow]) -> CoreResult<usize> {
    let Some(first) = rows.first() else {
        return Ok(0);
    };
    let users: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
    let query = activity::table
        .filter(activity::tenant_id.eq(first.tenant_id))
        .filter(activity::app_id.eq(first.app_id))
        .filter(custom_plan(activity::user_id.eq_any(&users)))
        .select((activity::user_id, activity::last_active_at));
    let stored: HashMap<UserId, chrono::NaiveDateTime> =
        on_conn!(conn, c => query.load::<(UserId, chrono::NaiveDateTime)>(c).await)?
            .into_iter()
            .collect();
    Ok(rows
        .iter()
        .filter(|r| {
            stored
                .get(&r.user_id)
                .is_none_or(|at| r.last_active_at > *at)
        })
        .count())
}
