//! Giving idle seats back: the direct assignments of idle holders are
//! removed through the ordinary unassign path, so freed seats go to users
//! waiting in `COUNT_VIOLATION` and `license.unassigned` events are written
//! exactly as for an admin's unassign.

use chrono::{DateTime, Utc};

use super::reads::{IdleSeat, all_idle_seats};
use super::{check_idle_days, idle_cutoff};
use crate::audit::{self, AuditAction, Target};
use crate::db::{Store, read_conn, write_txn};
use crate::error::CoreResult;
use crate::ids::*;
use crate::licensing::{LicenseChanges, unassign_in};
use crate::model::{Actor, App};

/// One direct assignment reclaimed (or, in a dry run, that would be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReclaimedSeat {
    /// The idle holder.
    pub user_id: UserId,
    /// When they were last seen active; `None` when never.
    pub last_active_at: Option<DateTime<Utc>>,
    /// Removing the direct assignment frees the seat: false when the user
    /// keeps the app through a group (a group's license is never touched).
    pub seat_freed: bool,
}

/// What [`Store::reclaim_idle_seats`] did, or would do.
#[derive(Debug, Clone)]
pub struct IdleSeatsReclaimed {
    /// The app after the reclaim (its seats included); unchanged in a dry run.
    pub app: App,
    /// Whether this was only a listing.
    pub dry_run: bool,
    /// The direct assignments removed (or that would be), in user id order.
    pub seats: Vec<ReclaimedSeat>,
    /// Who lost the license and who took a freed seat (empty in a dry
    /// run). Callers pass it on to vendor effects like any unassign's.
    pub license_changes: LicenseChanges,
}

impl IdleSeatsReclaimed {
    /// Seats freed (or that would be).
    pub fn seats_freed(&self) -> usize {
        self.seats.iter().filter(|s| s.seat_freed).count()
    }
}

impl Store {
    /// Remove the direct assignments of `app` held by users idle for
    /// `idle_days` (1 to 3650, by the store's clock; see [`crate::usage`]
    /// for "idle"), or with `dry_run` only list them.
    ///
    /// Licenses held through a group are never touched: an idle user who
    /// also holds the app through a group loses the direct assignment and
    /// keeps the seat (`seat_freed` false). The removal is one transaction
    /// through the unassign path (freed seats go to waiting users, the
    /// `LICENSE_UNASSIGNED` audit and webhook events as usual) plus one
    /// `IDLE_SEATS_RECLAIMED` audit event naming the window and the users.
    /// Nothing idle: nothing written. A dry run writes nothing.
    ///
    /// Activity recorded while a reclaim runs may be missed by it (the idle
    /// set is read in the reclaim's transaction, and recording usage takes
    /// no app lock); the next report still counts for later windows.
    pub async fn reclaim_idle_seats(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        idle_days: i32,
        dry_run: bool,
    ) -> CoreResult<IdleSeatsReclaimed> {
        let idle_days = check_idle_days(idle_days)?;
        let cutoff = idle_cutoff(self.clock().now(), idle_days);
        if dry_run {
            return read_conn!(self, conn => {
                let app = crate::apps::load(conn, tenant, app).await?;
                let seats = reclaimable(all_idle_seats(conn, tenant, app.id, cutoff).await?);
                Ok(IdleSeatsReclaimed { app, dry_run, seats, license_changes: LicenseChanges::new() })
            });
        }
        write_txn!(self, conn => {
            let seats = reclaimable(all_idle_seats(conn, tenant, app, cutoff).await?);
            if seats.is_empty() {
                let app = crate::apps::load(conn, tenant, app).await?;
                return Ok(IdleSeatsReclaimed { app, dry_run, seats, license_changes: LicenseChanges::new() });
            }
            let principals: Vec<PrincipalId> =
                seats.iter().map(|s| PrincipalId::User(s.user_id)).collect();
            let change = unassign_in(conn, tenant, actor, app, &principals).await?;
            let freed = seats.iter().filter(|s| s.seat_freed).count();
            audit::record(
                conn,
                tenant,
                actor,
                AuditAction::IdleSeatsReclaimed,
                Target::app(app),
                serde_json::json!({
                    "idleDays": idle_days,
                    "users": seats.iter().map(|s| s.user_id).collect::<Vec<_>>(),
                    "seatsFreed": freed,
                }),
            )
            .await?;
            Ok(IdleSeatsReclaimed {
                app: change.app,
                dry_run,
                seats,
                license_changes: change.license_changes,
            })
        })
    }
}

/// The idle seats that have a direct assignment to reclaim.
fn reclaimable(idle: Vec<IdleSeat>) -> Vec<ReclaimedSeat> {
    idle.into_iter()
        .filter(|s| s.assigned_directly)
        .map(|s| ReclaimedSeat {
            user_id: s.user_id,
            last_active_at: s.last_active_at,
            seat_freed: !s.held_through_group,
        })
        .collect()
}
