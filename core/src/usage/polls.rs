//! The worker's schedule for asking vendor adapters for usage: one
//! `usage_polls` row per app whose adapter reports usage, leased to one
//! worker at a time (see `crate::lease`), due again an interval after each
//! attempt.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::time::Duration;

use crate::db::{Conn, Store, custom_plan, on_conn, write_txn};
use crate::error::{CoreError, CoreResult, InputField};
use crate::ids::*;
use crate::lease::{Lease, by_tenant, load_skip_locked};
use crate::model::{now, utc};
use crate::schema::{apps, usage_polls as polls};

/// Most apps one claim may take, so one replica cannot hoard the polls.
pub const MAX_USAGE_POLL_CLAIM: usize = 50;

/// An app whose adapter is due to be asked for usage, leased to a worker.
#[derive(Debug, Clone)]
pub struct DueUsagePoll {
    /// The app's tenant.
    pub tenant: TenantId,
    /// The app.
    pub app: AppId,
    /// Its adapter.
    pub adapter_key: String,
    /// Its adapter settings (tenant input: may hold secrets).
    pub adapter_settings: serde_json::Value,
    /// When the last successful poll started; `None` before the first.
    pub since: Option<DateTime<Utc>>,
}

impl Store {
    /// Lease to `owner` for `lease` up to `limit` apps whose adapter (one
    /// of `adapter_keys`, those that announce usage reports) is due to be
    /// polled, across tenants. An app seen for the first time is due at
    /// once. Two workers never hold one app while a lease runs.
    pub async fn claim_due_usage_polls(
        &self,
        owner: &str,
        lease: Duration,
        adapter_keys: &[String],
        limit: usize,
    ) -> CoreResult<Vec<DueUsagePoll>> {
        let Some(lease) = Lease::check(owner, lease, limit, MAX_USAGE_POLL_CLAIM)? else {
            return Ok(Vec::new());
        };
        if adapter_keys.is_empty() {
            return Ok(Vec::new());
        }
        write_txn!(self, conn => {
            let at = now();
            schedule_new_apps(conn, adapter_keys, at).await?;
            let capable = apps::table
                .filter(apps::tenant_id.eq(polls::tenant_id))
                .filter(apps::id.eq(polls::app_id))
                .filter(apps::adapter_key.eq_any(adapter_keys));
            let query = polls::table
                .filter(polls::next_poll_at.le(at))
                .filter(polls::lease_until.is_null().or(polls::lease_until.le(at)))
                .filter(exists(capable))
                .order((polls::next_poll_at, polls::tenant_id, polls::app_id))
                .limit(lease.limit)
                .select((polls::tenant_id, polls::app_id));
            let due: Vec<(TenantId, AppId)> = load_skip_locked!(conn, query)?;
            let mut claimed = Vec::new();
            for (tenant, ids) in by_tenant(due) {
                let update = diesel::update(
                    polls::table.filter(polls::tenant_id.eq(tenant)).filter(polls::app_id.eq_any(&ids)),
                )
                .set((
                    polls::lease_owner.eq(lease.owner),
                    polls::lease_until.eq(at + lease.duration),
                ))
                .returning((polls::app_id, polls::last_success_at));
                let leased: Vec<(AppId, Option<chrono::NaiveDateTime>)> =
                    on_conn!(conn, c => update.load(c).await)?;
                let settings = apps::table
                    .filter(apps::tenant_id.eq(tenant))
                    .filter(apps::id.eq_any(&ids))
                    .select((apps::id, apps::adapter_key, apps::adapter_settings));
                let settings: Vec<(AppId, Option<String>, String)> =
                    on_conn!(conn, c => settings.load(c).await)?;
                for (app, since) in leased {
                    let Some((_, Some(key), json)) = settings.iter().find(|(id, _, _)| *id == app)
                    else {
                        continue;
                    };
                    claimed.push(DueUsagePoll {
                        tenant,
                        app,
                        adapter_key: key.clone(),
                        adapter_settings: serde_json::from_str(json).map_err(|e| {
                            CoreError::Internal(format!("stored adapter settings: {e}"))
                        })?,
                        since: since.map(utc),
                    });
                }
            }
            claimed.sort_by_key(|p| (p.tenant, p.app));
            Ok(claimed)
        })
    }

    /// Record that `owner` finished polling `app`: the lease ends, the
    /// next poll is due `interval` after now, and a success started at
    /// `succeeded_from` becomes the next poll's `since`. A failure keeps
    /// the old `since`, so the next poll asks for the same period again.
    /// Does nothing if `owner` no longer holds the app (its lease ran out).
    pub async fn finish_usage_poll(
        &self,
        tenant: TenantId,
        app: AppId,
        owner: &str,
        interval: Duration,
        succeeded_from: Option<DateTime<Utc>>,
    ) -> CoreResult<()> {
        let interval = chrono::Duration::from_std(interval)
            .map_err(|_| CoreError::invalid(InputField::Lease, "is too long"))?;
        write_txn!(self, conn => {
            let next = now() + interval;
            let held = polls::table
                .filter(polls::tenant_id.eq(tenant))
                .filter(polls::app_id.eq(app))
                .filter(polls::lease_owner.eq(owner));
            let released = (
                polls::lease_owner.eq(None::<String>),
                polls::lease_until.eq(None::<chrono::NaiveDateTime>),
                polls::next_poll_at.eq(next),
            );
            match succeeded_from {
                Some(from) => {
                    let update = diesel::update(held)
                        .set((released, polls::last_success_at.eq(Some(from.naive_utc()))));
                    on_conn!(conn, c => update.execute(c).await)?;
                }
                None => {
                    let update = diesel::update(held).set(released);
                    on_conn!(conn, c => update.execute(c).await)?;
                }
            }
            Ok(())
        })
    }
}

/// A `usage_polls` row, due now, for every app of a capable adapter that
/// has none yet.
async fn schedule_new_apps(
    conn: &mut Conn<'_>,
    adapter_keys: &[String],
    at: chrono::NaiveDateTime,
) -> CoreResult<()> {
    let scheduled = polls::table
        .filter(polls::tenant_id.eq(apps::tenant_id))
        .filter(polls::app_id.eq(apps::id));
    let query = apps::table
        .filter(custom_plan(apps::adapter_key.eq_any(adapter_keys)))
        .filter(not(exists(scheduled)))
        .select((apps::tenant_id, apps::id));
    let new: Vec<(TenantId, AppId)> = on_conn!(conn, c => query.load(c).await)?;
    for (tenant_id, app_id) in new {
        let row = (
            polls::tenant_id.eq(tenant_id),
            polls::app_id.eq(app_id),
            polls::next_poll_at.eq(at),
        );
        // Two replicas may schedule the same new app at once (PostgreSQL);
        // either row will do.
        let insert = diesel::insert_into(polls::table)
            .values(row)
            .on_conflict_do_nothing();
        on_conn!(conn, c => insert.execute(c).await)?;
    }
    Ok(())
}
