//! Leases: how the background workers (seat changes, webhook deliveries,
//! usage polls) share due work across replicas.
//!
//! A worker claims due rows in one write transaction: it reads them with
//! [`load_skip_locked!`] — on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
//! concurrent claims take disjoint rows without waiting; on SQLite the
//! `BEGIN IMMEDIATE` of the write transaction serialises claims — and
//! marks them held by its `owner` until the lease ends, after which any
//! worker may take them again (a worker that died loses its work). Every
//! update names its tenant ([`by_tenant`]), even in these global scans.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{CoreError, CoreResult, InputField};
use crate::ids::TenantId;

/// A checked claim request: who claims, for how long, how many rows.
#[derive(Debug, Clone)]
pub(crate) struct Lease<'a> {
    /// The claiming worker, unique per worker.
    pub owner: &'a str,
    /// How long the claim holds.
    pub duration: chrono::Duration,
    /// Most rows to claim (at least 1).
    pub limit: i64,
}

impl<'a> Lease<'a> {
    /// Check a claim: a non-empty owner, a representable lease, and
    /// `limit` capped at `max`. `None` when nothing is to be claimed.
    pub(crate) fn check(
        owner: &'a str,
        lease: Duration,
        limit: usize,
        max: usize,
    ) -> CoreResult<Option<Self>> {
        if owner.trim().is_empty() {
            return Err(CoreError::invalid(
                InputField::WorkerOwner,
                "must not be empty",
            ));
        }
        let duration = chrono::Duration::from_std(lease)
            .map_err(|_| CoreError::invalid(InputField::Lease, "is too long"))?;
        let limit = limit.min(max) as i64;
        Ok((limit > 0).then_some(Self {
            owner,
            duration,
            limit,
        }))
    }
}

/// Load the rows of `$query` (a diesel select) locked for this transaction,
/// skipping rows another claim holds (PostgreSQL); on SQLite the write
/// transaction already excludes other claims.
macro_rules! load_skip_locked {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::Conn::Pg(c) => {
                diesel_async::RunQueryDsl::load($query.for_update().skip_locked(), *c).await
            }
            $crate::db::Conn::Sqlite(c) => diesel_async::RunQueryDsl::load($query, *c).await,
        }
    };
}
pub(crate) use load_skip_locked;

/// Rows keyed by tenant, so each update of a claim names its tenant.
pub(crate) fn by_tenant<I>(rows: Vec<(TenantId, I)>) -> BTreeMap<TenantId, Vec<I>> {
    let mut grouped: BTreeMap<TenantId, Vec<I>> = BTreeMap::new();
    for (tenant, id) in rows {
        grouped.entry(tenant).or_default().push(id);
    }
    grouped
}
