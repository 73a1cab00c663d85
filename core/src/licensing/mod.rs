//! Assigning and unassigning app licenses, and reading who holds them.

mod batch;
mod changes;
mod details;
pub(crate) mod engine;
mod group_commit;
mod reads;
mod screen;

pub(crate) use group_commit::GroupCommit;

pub use changes::{AppLicenseChanges, LicenseChanges};
pub use details::AppWithAssignments;
pub use reads::LicenseFilter;
pub use screen::{AppHeadline, AssignmentLine, LicenseDetailsScreen, PrincipalCard};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::BTreeSet;

use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, insert_rows, on_conn, write_txn};
use crate::error::{CoreError, CoreResult, InputField};
use crate::events;
use crate::ids::*;
use crate::locks::{self, Mode};
use crate::model::{Actor, App, Assignment, now, utc};
use crate::schema::license_assignments;
use crate::stored::StoredEnum;
use engine::Overflow;

/// What an assign or unassign changed.
#[derive(Debug, Clone)]
pub struct LicenseChange {
    /// The app after the change (seats included).
    pub app: App,
    /// Assignments created (assign) or removed (unassign). Principals that
    /// were already in the requested state are not listed.
    pub assignments: Vec<Assignment>,
    /// Who took a seat of the app and who no longer holds its license.
    pub license_changes: LicenseChanges,
}

#[derive(Insertable, Queryable, Clone)]
#[diesel(table_name = license_assignments, treat_none_as_default_value = false)]
pub(crate) struct AssignmentRow {
    pub tenant_id: TenantId,
    pub id: AssignmentId,
    pub app_id: AppId,
    pub principal_kind: PrincipalKind,
    pub principal_id: AnyId,
    pub assigned_by: String,
    pub assigned_at: chrono::NaiveDateTime,
}

impl AssignmentRow {
    /// A new assignment of `app` to `principal`, made by `assigned_by` at
    /// `at`.
    pub(crate) fn new(
        tenant: TenantId,
        app: AppId,
        principal: PrincipalId,
        assigned_by: &str,
        at: chrono::NaiveDateTime,
    ) -> Self {
        Self {
            tenant_id: tenant,
            id: AssignmentId::new(),
            app_id: app,
            principal_kind: principal.kind(),
            principal_id: principal.any(),
            assigned_by: assigned_by.to_owned(),
            assigned_at: at,
        }
    }

    pub(crate) fn into_assignment(self) -> CoreResult<Assignment> {
        let principal = PrincipalId::from_parts(self.principal_kind, self.principal_id);
        Ok(Assignment {
            id: self.id,
            app_id: self.app_id,
            principal,
            assigned_by: self.assigned_by,
            assigned_at: utc(self.assigned_at),
        })
    }
}

fn split(principals: &[PrincipalId]) -> CoreResult<(Vec<UserId>, Vec<GroupId>)> {
    if principals.is_empty() {
        return Err(CoreError::invalid(
            InputField::PrincipalIds,
            "name at least one user or group",
        ));
    }
    let unique: BTreeSet<PrincipalId> = principals.iter().copied().collect();
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for p in unique {
        match p {
            PrincipalId::User(u) => users.push(u),
            PrincipalId::Group(g) => groups.push(g),
        }
    }
    Ok((users, groups))
}

impl Store {
    /// Assign `app` to users and groups, all or nothing.
    ///
    /// Principals that already hold an assignment are left as they are. If
    /// the users who would newly take a seat outnumber the free seats, fails
    /// with [`CoreError::NotEnoughSeats`] and changes nothing. A new
    /// assignment of an app whose subscription is `DISABLED` fails with
    /// [`CoreError::SubscriptionInactive`] and changes nothing.
    ///
    /// Users-only assignments join the app's group commit
    /// (`group_commit.rs`): concurrent ones share a transaction, with the
    /// same outcome each would have alone.
    pub async fn assign_licenses(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        principals: &[PrincipalId],
    ) -> CoreResult<LicenseChange> {
        let (users, groups) = split(principals)?;
        if groups.is_empty() && self.group_commit_enabled() {
            let write = batch::UsersWrite {
                actor: actor.clone(),
                users,
            };
            return GroupCommit::submit(self, tenant, app, group_commit::Kind::Assign, write).await;
        }
        self.assign_licenses_exact(tenant, actor, app, principals)
            .await
    }

    /// Several users-only assignments of `app` as one batch, in this order,
    /// exactly as the group commit runs them (for tests that need writes
    /// coalesced deterministically).
    #[cfg(feature = "testing")]
    pub async fn assign_users_together(
        &self,
        tenant: TenantId,
        app: AppId,
        writes: Vec<(Actor, Vec<UserId>)>,
    ) -> Vec<CoreResult<LicenseChange>> {
        let writes: Vec<batch::UsersWrite> = writes
            .into_iter()
            .map(|(actor, users)| {
                let unique: BTreeSet<UserId> = users.into_iter().collect();
                batch::UsersWrite {
                    actor,
                    users: unique.into_iter().collect(),
                }
            })
            .collect();
        group_commit::run_batch(self, (tenant, app, group_commit::Kind::Assign), &writes).await
    }

    /// [`Store::assign_licenses`] on its own: lock first, then read and
    /// write (groups, and writes a batch could not take together).
    pub(crate) async fn assign_licenses_exact(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        principals: &[PrincipalId],
    ) -> CoreResult<LicenseChange> {
        let (users, groups) = split(principals)?;
        let today = self.clock().today();
        write_txn!(self, conn => {
            locks::users(conn, tenant, &users, Mode::Share).await?;
            locks::groups(conn, tenant, &groups, Mode::Share).await?;
            locks::apps(conn, tenant, &[app]).await?;

            let wanted: Vec<AnyId> = principals.iter().map(PrincipalId::any).collect();
            let existing = license_assignments::table
                .filter(license_assignments::tenant_id.eq(tenant))
                .filter(license_assignments::app_id.eq(app))
                .filter(license_assignments::principal_id.eq_any(&wanted))
                .select(license_assignments::principal_id);
            let existing: BTreeSet<AnyId> = on_conn!(conn, c => existing.load::<AnyId>(c).await)?
                .into_iter()
                .collect();
            let new_users: Vec<UserId> =
                users.iter().filter(|u| !existing.contains(&AnyId(u.0))).copied().collect();
            let new_groups: Vec<GroupId> =
                groups.iter().filter(|g| !existing.contains(&AnyId(g.0))).copied().collect();
            if !new_users.is_empty() || !new_groups.is_empty() {
                // Under the app's lock taken above, so a renewal committing
                // meanwhile is seen whole (see `subscriptions`).
                crate::subscriptions::require_assignable(conn, tenant, app, today).await?;
            }

            let candidates =
                engine::users_without_seat(conn, tenant, app, &new_users, &new_groups).await?;
            let granted = engine::grant(conn, tenant, app, &candidates, Overflow::Refuse).await?;

            let at = now();
            let rows: Vec<AssignmentRow> = new_users
                .iter()
                .map(|u| PrincipalId::User(*u))
                .chain(new_groups.iter().map(|g| PrincipalId::Group(*g)))
                .map(|p| AssignmentRow::new(tenant, app, p, &actor.subject, at))
                .collect();
            if !rows.is_empty() {
                insert_rows!(conn, license_assignments::table, rows.clone())?;
                audit::record(
                    conn,
                    tenant,
                    actor,
                    AuditAction::LicenseAssigned,
                    Target::app(app),
                    serde_json::json!({
                        "principals": rows.iter().map(|r| serde_json::json!({
                            "kind": r.principal_kind.stored(), "id": r.principal_id
                        })).collect::<Vec<_>>(),
                        "seatsTaken": granted.activated.len(),
                    }),
                )
                .await?;
            }
            let assignments = rows
                .into_iter()
                .map(AssignmentRow::into_assignment)
                .collect::<CoreResult<Vec<_>>>()?;
            let app = crate::apps::load(conn, tenant, app).await?;
            let mut license_changes = LicenseChanges::new();
            license_changes.record_gained(app.id, granted.activated);
            events::record_license_changes(conn, tenant, &license_changes).await?;
            Ok(LicenseChange { app, assignments, license_changes })
        })
    }

    /// Remove the named assignments of `app`. Users who still hold the
    /// license through another path keep it (and their seat); freed seats go
    /// to users waiting in `COUNT_VIOLATION`, oldest first.
    ///
    /// Users-only unassignments join the app's group commit, like
    /// [`Store::assign_licenses`].
    pub async fn unassign_licenses(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        principals: &[PrincipalId],
    ) -> CoreResult<LicenseChange> {
        let (users, groups) = split(principals)?;
        if groups.is_empty() && self.group_commit_enabled() {
            let write = batch::UsersWrite {
                actor: actor.clone(),
                users,
            };
            return GroupCommit::submit(self, tenant, app, group_commit::Kind::Unassign, write)
                .await;
        }
        self.unassign_licenses_exact(tenant, actor, app, principals)
            .await
    }

    /// [`Store::unassign_licenses`] on its own.
    pub(crate) async fn unassign_licenses_exact(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        principals: &[PrincipalId],
    ) -> CoreResult<LicenseChange> {
        write_txn!(self, conn => unassign_in(conn, tenant, actor, app, principals).await)
    }
}

/// The unassign of [`Store::unassign_licenses`] inside the caller's write
/// transaction: locks the principals and the app (in the lock order),
/// removes the assignments, lets the seat engine free seats and hand them
/// to waiting users, audits `LICENSE_UNASSIGNED` and records the webhook
/// events. Idle-seat reclamation (`crate::usage`) goes through it too, so
/// a reclaimed seat is freed exactly as an unassigned one.
pub(crate) async fn unassign_in(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    actor: &Actor,
    app: AppId,
    principals: &[PrincipalId],
) -> CoreResult<LicenseChange> {
    let (users, groups) = split(principals)?;
    locks::users(conn, tenant, &users, Mode::Share).await?;
    locks::groups(conn, tenant, &groups, Mode::Share).await?;
    locks::apps(conn, tenant, &[app]).await?;

    let wanted: Vec<AnyId> = principals.iter().map(PrincipalId::any).collect();
    let delete = diesel::delete(
        license_assignments::table
            .filter(license_assignments::tenant_id.eq(tenant))
            .filter(license_assignments::app_id.eq(app))
            .filter(license_assignments::principal_id.eq_any(&wanted)),
    )
    .returning(license_assignments::all_columns);
    let removed: Vec<AssignmentRow> = on_conn!(conn, c => delete.load(c).await)?;
    if removed.is_empty() {
        let app = crate::apps::load(conn, tenant, app).await?;
        return Ok(LicenseChange {
            app,
            assignments: Vec::new(),
            license_changes: LicenseChanges::new(),
        });
    }
    let removed_users: Vec<UserId> = removed
        .iter()
        .filter(|r| r.principal_kind == PrincipalKind::User)
        .map(|r| UserId(r.principal_id.0))
        .collect();
    let removed_groups: Vec<GroupId> = removed
        .iter()
        .filter(|r| r.principal_kind == PrincipalKind::Group)
        .map(|r| GroupId(r.principal_id.0))
        .collect();
    let (lost, freed) =
        engine::revoke_unheld(conn, tenant, app, &removed_users, &removed_groups).await?;
    let gained = engine::resolve_waiting(conn, tenant, app).await?;
    audit::record(
        conn,
        tenant,
        actor,
        AuditAction::LicenseUnassigned,
        Target::app(app),
        serde_json::json!({
            "principals": removed.iter().map(|r| serde_json::json!({
                "kind": r.principal_kind.stored(), "id": r.principal_id
            })).collect::<Vec<_>>(),
            "seatsFreed": freed,
            "waitingResolved": gained.len(),
        }),
    )
    .await?;
    let assignments = removed
        .into_iter()
        .map(AssignmentRow::into_assignment)
        .collect::<CoreResult<Vec<_>>>()?;
    let mut license_changes = LicenseChanges::new();
    license_changes
        .record_lost(app, lost)
        .record_gained(app, gained);
    events::record_license_changes(conn, tenant, &license_changes).await?;
    let app = crate::apps::load(conn, tenant, app).await?;
    Ok(LicenseChange {
        app,
        assignments,
        license_changes,
    })
}
