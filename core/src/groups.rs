//! Groups and their members. Changing members changes who holds the apps
//! assigned to the group, so membership changes run through the seat engine.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, insert_rows, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::events;
use crate::ids::*;
use crate::licensing::LicenseChanges;
use crate::licensing::engine::{self, Overflow};
use crate::locks::{self, Mode};
use crate::model::{
    Actor, DirectoryRecord, DirectorySource, Group, GroupUpdate, NewGroup, User, now, utc,
};
use crate::paging::{Cursor, Page, PageRequest, after_name_key};
use crate::schema::{group_members, groups, license_assignments, users};
use crate::users::UserRow;
use crate::{search, validate};

/// Rows per INSERT of memberships (4 binds each).
const MEMBER_CHUNK: usize = 2_000;
/// Ids per `IN (…)` list (SQLite allows 32,766 binds).
const ID_CHUNK: usize = 10_000;

#[derive(Insertable, Queryable)]
#[diesel(table_name = groups)]
pub(crate) struct GroupRow {
    pub(crate) tenant_id: TenantId,
    pub(crate) id: GroupId,
    pub(crate) display_name: String,
    pub(crate) name_key: String,
    pub(crate) description: String,
    pub(crate) created_at: chrono::NaiveDateTime,
    pub(crate) external_id: Option<String>,
    pub(crate) source: DirectorySource,
    pub(crate) version: i64,
    pub(crate) updated_at: chrono::NaiveDateTime,
}

impl From<GroupRow> for Group {
    fn from(r: GroupRow) -> Self {
        Group {
            id: r.id,
            display_name: r.display_name,
            description: r.description,
            created_at: utc(r.created_at),
            directory: DirectoryRecord {
                source: r.source,
                external_id: r.external_id,
                version: r.version,
                updated_at: utc(r.updated_at),
            },
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = group_members, treat_none_as_default_value = false)]
struct MemberRow {
    tenant_id: TenantId,
    group_id: GroupId,
    user_id: UserId,
    added_at: chrono::NaiveDateTime,
}

/// What a membership change did to licenses, per app assigned to the group.
#[derive(Debug, Clone, Default)]
pub struct MembershipChange {
    /// The group.
    pub group: Option<Group>,
    /// Users whose membership changed (already-members and non-members are
    /// left out).
    pub changed: Vec<UserId>,
    /// Per app: who took a seat and who no longer holds the license.
    pub license_changes: LicenseChanges,
    /// Per app: users left waiting for a seat (`COUNT_VIOLATION`).
    pub waiting: BTreeMap<AppId, Vec<UserId>>,
}

/// What deleting a group released.
#[derive(Debug, Clone, Default)]
pub struct GroupDeleted {
    /// Apps that were assigned to the group (their assignments are gone).
    pub apps: Vec<AppId>,
    /// Per app: members who held it only through the group lost it, and
    /// users waiting for a seat took the seats that freed.
    pub license_changes: LicenseChanges,
}

pub(crate) async fn load(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
) -> CoreResult<Group> {
    let query = groups::table
        .filter(groups::tenant_id.eq(tenant))
        .filter(groups::id.eq(group))
        .select(groups::all_columns);
    let row: Option<GroupRow> = on_conn!(conn, c => query.first(c).await.optional())?;
    row.map(Group::from)
        .ok_or_else(|| CoreError::not_found(EntityKind::Group, group))
}

async fn apps_of_group(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
) -> CoreResult<Vec<AppId>> {
    let query = license_assignments::table
        .filter(license_assignments::tenant_id.eq(tenant))
        .filter(license_assignments::principal_id.eq(group))
        .select(license_assignments::app_id);
    Ok(on_conn!(conn, c => query.load(c).await)?)
}

/// Add members inside the caller's transaction. Locks in the global order
/// (users, group, apps); new members get the group's apps where seats are
/// free and wait in `COUNT_VIOLATION` where not.
pub(crate) async fn add_members(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
    users: &[UserId],
) -> CoreResult<MembershipChange> {
    let users: Vec<UserId> = users
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    locks::users(conn, tenant, &users, Mode::Share).await?;
    locks::groups(conn, tenant, &[group], Mode::Update).await?;
    add_locked_members(conn, tenant, group, &users).await
}

/// [`add_members`] for a caller that already holds the locks it takes:
/// `users` (sorted, without repeats) locked to share and `group` locked to
/// update, in this transaction. Saves a directory PATCH two statements.
pub(crate) async fn add_locked_members(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
    users: &[UserId],
) -> CoreResult<MembershipChange> {
    let apps = apps_of_group(conn, tenant, group).await?;
    locks::apps(conn, tenant, &apps).await?;

    let mut existing = BTreeSet::new();
    for chunk in users.chunks(ID_CHUNK) {
        let query = group_members::table
            .filter(group_members::tenant_id.eq(tenant))
            .filter(group_members::group_id.eq(group))
            .filter(group_members::user_id.eq_any(chunk))
            .select(group_members::user_id);
        existing.extend(on_conn!(conn, c => query.load::<UserId>(c).await)?);
    }
    let added: Vec<UserId> = users
        .iter()
        .copied()
        .filter(|u| !existing.contains(u))
        .collect();
    let at = now();
    for chunk in added.chunks(MEMBER_CHUNK) {
        let rows: Vec<MemberRow> = chunk
            .iter()
            .map(|u| MemberRow {
                tenant_id: tenant,
                group_id: group,
                user_id: *u,
                added_at: at,
            })
            .collect();
        insert_rows!(conn, group_members::table, rows)?;
    }
    let mut change = MembershipChange {
        changed: added,
        ..Default::default()
    };
    for app in apps {
        let candidates =
            engine::users_without_seat(conn, tenant, app, &change.changed, &[]).await?;
        let granted = engine::grant(conn, tenant, app, &candidates, Overflow::RecordError).await?;
        change.license_changes.record_gained(app, granted.activated);
        change.waiting.insert(app, granted.errored);
    }
    events::record_license_changes(conn, tenant, &change.license_changes).await?;
    Ok(change)
}

/// Remove members inside the caller's transaction. Locks the group, then
/// its apps (users the caller wants locked, it locks first: the global
/// order is users, groups, apps). Those who hold the group's apps by no
/// other path lose them, and the freed seats go to users waiting. Ids that
/// are not members (or no user at all) are left out of `changed`.
pub(crate) async fn remove_members(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
    users: &[UserId],
) -> CoreResult<MembershipChange> {
    let users: Vec<UserId> = users
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    locks::groups(conn, tenant, &[group], Mode::Update).await?;
    remove_locked_members(conn, tenant, group, &users).await
}

/// [`remove_members`] for a caller that already holds `group` locked to
/// update in this transaction.
pub(crate) async fn remove_locked_members(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
    users: &[UserId],
) -> CoreResult<MembershipChange> {
    let apps = apps_of_group(conn, tenant, group).await?;
    locks::apps(conn, tenant, &apps).await?;
    let mut removed: Vec<UserId> = Vec::new();
    for chunk in users.chunks(ID_CHUNK) {
        let delete = diesel::delete(
            group_members::table
                .filter(group_members::tenant_id.eq(tenant))
                .filter(group_members::group_id.eq(group))
                .filter(group_members::user_id.eq_any(chunk)),
        )
        .returning(group_members::user_id);
        removed.extend(on_conn!(conn, c => delete.load::<UserId>(c).await)?);
    }
    removed.sort();
    let mut change = MembershipChange {
        changed: removed,
        ..Default::default()
    };
    if !change.changed.is_empty() {
        for app in apps {
            let (lost, _) = engine::revoke_unheld(conn, tenant, app, &change.changed, &[]).await?;
            let resolved = engine::resolve_waiting(conn, tenant, app).await?;
            change
                .license_changes
                .record_lost(app, lost)
                .record_gained(app, resolved);
        }
        events::record_license_changes(conn, tenant, &change.license_changes).await?;
    }
    Ok(change)
}

/// Count one more change of the group (its SCIM ETag) and when it was
/// made. Callers bump once per write that changed the group's name or
/// members.
pub(crate) async fn bump_version(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
) -> CoreResult<Group> {
    let bump = diesel::update(
        groups::table
            .filter(groups::tenant_id.eq(tenant))
            .filter(groups::id.eq(group)),
    )
    .set((
        groups::version.eq(groups::version + 1),
        groups::updated_at.eq(now()),
    ))
    .returning(groups::all_columns);
    let row: Option<GroupRow> = on_conn!(conn, c => bump.get_result(c).await.optional())?;
    row.map(Group::from)
        .ok_or_else(|| CoreError::not_found(EntityKind::Group, group))
}

impl Store {
    /// Create a group, optionally with members.
    pub async fn create_group(
        &self,
        tenant: TenantId,
        actor: &Actor,
        new: NewGroup,
    ) -> CoreResult<Group> {
        let display_name = validate::required(
            InputField::DisplayName,
            &new.display_name,
            validate::MAX_NAME_LEN,
        )?;
        let at = now();
        let row = GroupRow {
            tenant_id: tenant,
            id: GroupId::new(),
            name_key: validate::sort_key(&display_name),
            display_name,
            description: validate::optional(
                InputField::Description,
                &new.description,
                validate::MAX_DESCRIPTION_LEN,
            )?,
            created_at: at,
            external_id: None,
            source: DirectorySource::Manual,
            version: 1,
            updated_at: at,
        };
        write_txn!(self, conn => {
            self.require_tenant(conn, tenant).await?;
            on_conn!(conn, c => diesel::insert_into(groups::table).values(&row).execute(c).await)?;
            search::index(conn, tenant, PrincipalId::Group(row.id), &row.display_name, None).await?;
            let change = add_members(conn, tenant, row.id, &new.member_ids).await?;
            audit::record(conn, tenant, actor, AuditAction::GroupCreated, Target::group(row.id), serde_json::json!({
                "displayName": row.display_name, "members": change.changed.len(),
            })).await?;
            Ok(())
        })?;
        Ok(row.into())
    }

    /// Add users to a group. Users already in it are left as they are.
    pub async fn add_group_members(
        &self,
        tenant: TenantId,
        actor: &Actor,
        group: GroupId,
        users: &[UserId],
    ) -> CoreResult<MembershipChange> {
        if users.is_empty() {
            return Err(CoreError::invalid(
                InputField::UserIds,
                "name at least one user",
            ));
        }
        write_txn!(self, conn => {
            let mut change = add_members(conn, tenant, group, users).await?;
            if !change.changed.is_empty() {
                bump_version(conn, tenant, group).await?;
            }
            audit::record(conn, tenant, actor, AuditAction::GroupMembersAdded, Target::group(group), serde_json::json!({
                "users": change.changed,
                "waitingForSeat": change.waiting.values().map(Vec::len).sum::<usize>(),
            })).await?;
            change.group = Some(load(conn, tenant, group).await?);
            Ok(change)
        })
    }

    /// Remove users from a group. Those who hold the group's apps by no
    /// other path lose them, and the freed seats go to users waiting.
    pub async fn remove_group_members(
        &self,
        tenant: TenantId,
        actor: &Actor,
        group: GroupId,
        users: &[UserId],
    ) -> CoreResult<MembershipChange> {
        if users.is_empty() {
            return Err(CoreError::invalid(
                InputField::UserIds,
                "name at least one user",
            ));
        }
        write_txn!(self, conn => {
            locks::users(conn, tenant, users, Mode::Share).await?;
            let mut change = remove_members(conn, tenant, group, users).await?;
            if !change.changed.is_empty() {
                bump_version(conn, tenant, group).await?;
            }
            audit::record(conn, tenant, actor, AuditAction::GroupMembersRemoved, Target::group(group), serde_json::json!({
                "users": change.changed,
            })).await?;
            change.group = Some(load(conn, tenant, group).await?);
            Ok(change)
        })
    }

    /// Change a group's name or description; the typeahead follows a
    /// rename. A field equal to its current value is no change; when nothing
    /// changes, nothing is written (no audit event, `version` unchanged).
    pub async fn update_group(
        &self,
        tenant: TenantId,
        actor: &Actor,
        group: GroupId,
        update: GroupUpdate,
    ) -> CoreResult<Group> {
        let display_name = update
            .display_name
            .map(|name| validate::required(InputField::DisplayName, &name, validate::MAX_NAME_LEN))
            .transpose()?;
        let description = update
            .description
            .map(|d| validate::optional(InputField::Description, &d, validate::MAX_DESCRIPTION_LEN))
            .transpose()?;
        write_txn!(self, conn => {
            locks::groups(conn, tenant, &[group], Mode::Update).await?;
            let query = groups::table
                .filter(groups::tenant_id.eq(tenant))
                .filter(groups::id.eq(group))
                .select(groups::all_columns);
            let mut row: GroupRow = on_conn!(conn, c => query.first(c).await)?;
            let mut changed: Vec<&str> = Vec::new();
            if let Some(name) = display_name.filter(|n| *n != row.display_name) {
                row.name_key = validate::sort_key(&name);
                row.display_name = name;
                changed.push("displayName");
            }
            if let Some(description) = description.filter(|d| *d != row.description) {
                row.description = description;
                changed.push("description");
            }
            if changed.is_empty() {
                return Ok(Group::from(row));
            }
            row.version += 1;
            row.updated_at = now();
            let write = diesel::update(groups::table.filter(groups::tenant_id.eq(tenant)).filter(groups::id.eq(group)))
                .set((
                    groups::display_name.eq(&row.display_name),
                    groups::name_key.eq(&row.name_key),
                    groups::description.eq(&row.description),
                    groups::version.eq(row.version),
                    groups::updated_at.eq(row.updated_at),
                ));
            on_conn!(conn, c => write.execute(c).await)?;
            if changed.contains(&"displayName") {
                search::reindex(conn, tenant, PrincipalId::Group(group), &row.display_name, None).await?;
            }
            audit::record(conn, tenant, actor, AuditAction::GroupUpdated, Target::group(group), serde_json::json!({
                "changed": changed,
                "displayName": row.display_name,
            })).await?;
            Ok(Group::from(row))
        })
    }

    /// Delete a group with its memberships and assignments. Members who
    /// held one of its apps only through it lose that license (a member who
    /// also holds the app directly or through another group keeps it and
    /// their seat), and the freed seats go to users waiting in
    /// `COUNT_VIOLATION`, oldest first — the seat engine's rules of
    /// [`Store::remove_group_members`].
    ///
    /// Locks the group, then its apps; no user row changes, so no user is
    /// locked (the global order users → groups → apps still holds).
    pub async fn delete_group(
        &self,
        tenant: TenantId,
        actor: &Actor,
        group: GroupId,
    ) -> CoreResult<GroupDeleted> {
        self.delete_group_at_version(tenant, actor, group, None)
            .await
    }

    /// [`Store::delete_group`], refused with `VersionMismatch` unless the
    /// group's stored version is `if_version` (SCIM's `If-Match`). The
    /// version is read under the group's row lock, in the deleting
    /// transaction, so no change can slip in between check and delete.
    pub async fn delete_group_at_version(
        &self,
        tenant: TenantId,
        actor: &Actor,
        group: GroupId,
        if_version: Option<i64>,
    ) -> CoreResult<GroupDeleted> {
        write_txn!(self, conn => {
            locks::groups(conn, tenant, &[group], Mode::Update).await?;
            if let Some(expected) = if_version {
                let current = load(conn, tenant, group).await?.directory.version;
                if current != expected {
                    return Err(CoreError::VersionMismatch { entity: EntityKind::Group, current });
                }
            }
            let mut apps = apps_of_group(conn, tenant, group).await?;
            apps.sort();
            locks::apps(conn, tenant, &apps).await?;

            // Without its assignments the group is no path to its apps, so
            // `revoke_unheld` over its members takes exactly the licenses
            // held through it alone.
            let delete_assignments = diesel::delete(
                license_assignments::table
                    .filter(license_assignments::tenant_id.eq(tenant))
                    .filter(license_assignments::principal_id.eq(group)),
            );
            on_conn!(conn, c => delete_assignments.execute(c).await)?;
            let mut outcome = GroupDeleted { apps: apps.clone(), ..Default::default() };
            for app in apps {
                let (lost, _) = engine::revoke_unheld(conn, tenant, app, &[], &[group]).await?;
                let resolved = engine::resolve_waiting(conn, tenant, app).await?;
                outcome.license_changes.record_lost(app, lost).record_gained(app, resolved);
            }
            events::record_license_changes(conn, tenant, &outcome.license_changes).await?;
            let delete_members = diesel::delete(
                group_members::table
                    .filter(group_members::tenant_id.eq(tenant))
                    .filter(group_members::group_id.eq(group)),
            );
            let members = on_conn!(conn, c => delete_members.execute(c).await)?;
            search::unindex(conn, tenant, AnyId(group.0)).await?;
            let delete_group = diesel::delete(groups::table.filter(groups::tenant_id.eq(tenant)).filter(groups::id.eq(group)));
            on_conn!(conn, c => delete_group.execute(c).await)?;
            audit::record(conn, tenant, actor, AuditAction::GroupDeleted, Target::group(group), serde_json::json!({
                "members": members,
                "apps": outcome.apps,
                "licensesReleased": outcome.license_changes.apps().map(|(_, c)| c.lost().len()).sum::<usize>(),
            })).await?;
            Ok(outcome)
        })
    }

    /// One group.
    pub async fn group(&self, tenant: TenantId, group: GroupId) -> CoreResult<Group> {
        read_conn!(self, conn => load(conn, tenant, group).await)
    }

    /// Groups by id, in no particular order; unknown ids are left out.
    pub async fn groups_by_ids(&self, tenant: TenantId, ids: &[GroupId]) -> CoreResult<Vec<Group>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        read_conn!(self, conn => {
            let query = groups::table
                .filter(groups::tenant_id.eq(tenant))
                .filter(groups::id.eq_any(ids))
                .select(groups::all_columns);
            let rows: Vec<GroupRow> = on_conn!(conn, c => query.load(c).await)?;
            Ok(rows.into_iter().map(Group::from).collect())
        })
    }

    /// The tenant's groups by name; `search` matches any part of the name.
    pub async fn list_groups(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: &PageRequest,
    ) -> CoreResult<Page<Group>> {
        let pattern = search
            .filter(|s| !s.trim().is_empty())
            .map(validate::contains_pattern);
        read_conn!(self, conn => {
            let rows: Vec<GroupRow> = on_conn!(conn, c => {
                let mut q = groups::table.filter(groups::tenant_id.eq(tenant)).into_boxed();
                if let Some(p) = &pattern {
                    q = q.filter(groups::name_key.like(p.clone()).escape('\\'));
                }
                let q = after_name_key!(q, groups, &page.after, GroupId);
                q.order((groups::name_key, groups::id))
                    .limit(page.fetch_limit())
                    .select(groups::all_columns)
                    .load(c)
                    .await
            })?;
            let total = if page.count_total {
                Some(on_conn!(conn, c => {
                    let mut q = groups::table.filter(groups::tenant_id.eq(tenant)).into_boxed();
                    if let Some(p) = &pattern {
                        q = q.filter(groups::name_key.like(p.clone()).escape('\\'));
                    }
                    q.count().get_result(c).await
                })?)
            } else {
                None
            };
            Ok(Page::from_rows(page, rows, total, |r| Cursor::new(r.name_key.clone(), r.id.0)).map(Group::from))
        })
    }

    /// Members of a group by name.
    pub async fn group_members(
        &self,
        tenant: TenantId,
        group: GroupId,
        page: &PageRequest,
    ) -> CoreResult<Page<User>> {
        read_conn!(self, conn => {
            let rows: Vec<UserRow> = on_conn!(conn, c => {
                let q = users::table
                    .inner_join(group_members::table.on(
                        group_members::tenant_id.eq(users::tenant_id).and(group_members::user_id.eq(users::id)),
                    ))
                    .filter(users::tenant_id.eq(tenant))
                    .filter(group_members::group_id.eq(group))
                    .into_boxed();
                let q = after_name_key!(q, users, &page.after, UserId);
                q.order((users::name_key, users::id))
                    .limit(page.fetch_limit())
                    .select(users::all_columns)
                    .load(c)
                    .await
            })?;
            // An empty page may mean an unknown id: only then is it worth a
            // statement to tell the two apart.
            if rows.is_empty() {
                load(conn, tenant, group).await?;
            }
            let total = if page.count_total {
                Some(self.member_counts_in(conn, tenant, &[group]).await?.remove(&group).unwrap_or(0))
            } else {
                None
            };
            Ok(Page::from_rows(page, rows, total, |r| Cursor::new(r.name_key.clone(), r.id.0)).map(User::from))
        })
    }

    /// Groups a user belongs to, by name.
    pub async fn groups_of_user(
        &self,
        tenant: TenantId,
        user: UserId,
        page: &PageRequest,
    ) -> CoreResult<Page<Group>> {
        read_conn!(self, conn => {
            let rows: Vec<GroupRow> = on_conn!(conn, c => {
                let q = groups::table
                    .inner_join(group_members::table.on(
                        group_members::tenant_id.eq(groups::tenant_id).and(group_members::group_id.eq(groups::id)),
                    ))
                    .filter(groups::tenant_id.eq(tenant))
                    .filter(group_members::user_id.eq(user))
                    .into_boxed();
                let q = after_name_key!(q, groups, &page.after, GroupId);
                q.order((groups::name_key, groups::id))
                    .limit(page.fetch_limit())
                    .select(groups::all_columns)
                    .load(c)
                    .await
            })?;
            let count = group_members::table
                .filter(group_members::tenant_id.eq(tenant))
                .filter(group_members::user_id.eq(user))
                .count();
            let total = if page.count_total {
                Some(on_conn!(conn, c => count.get_result(c).await)?)
            } else {
                None
            };
            Ok(Page::from_rows(page, rows, total, |r| Cursor::new(r.name_key.clone(), r.id.0)).map(Group::from))
        })
    }

    /// Number of members of each group.
    pub async fn member_counts(
        &self,
        tenant: TenantId,
        groups: &[GroupId],
    ) -> CoreResult<HashMap<GroupId, i64>> {
        read_conn!(self, conn => self.member_counts_in(conn, tenant, groups).await)
    }

    async fn member_counts_in(
        &self,
        conn: &mut Conn<'_>,
        tenant: TenantId,
        groups: &[GroupId],
    ) -> CoreResult<HashMap<GroupId, i64>> {
        let query = group_members::table
            .filter(group_members::tenant_id.eq(tenant))
            .filter(group_members::group_id.eq_any(groups))
            .group_by(group_members::group_id)
            .select((group_members::group_id, diesel::dsl::count_star()));
        let rows: Vec<(GroupId, i64)> = on_conn!(conn, c => query.load(c).await)?;
        Ok(rows.into_iter().collect())
    }
}
