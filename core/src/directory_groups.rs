//! Groups as an identity provider sees them: provisioning, replacing,
//! patching and looking up groups by the directory's keys, for SCIM.
//!
//! Every write is one transaction through the member functions of
//! `groups.rs` (`add_members`, `remove_members`), so members added to a
//! licensed group take a seat or wait in `COUNT_VIOLATION`, and removed
//! members give back the seats they held only through the group, which
//! waiting users take. A write that changes the group (name, external id,
//! members) bumps its `version` once and sets `updated_at`.
//!
//! Member ids that name no user of the tenant are refused
//! (`InvalidInput` on `MemberIds`) when they would be added, and ignored
//! when they would be removed: a user the directory already deleted is no
//! member, and removing what is not there changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, on_conn, read_conn, write_txn};
use crate::directory::MAX_EXTERNAL_ID_LEN;
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::groups::{self, GroupRow};
use crate::ids::*;
use crate::licensing::LicenseChanges;
use crate::locks::{self, Mode};
use crate::model::{Actor, DirectorySource, Group, now};
use crate::schema::{group_members, groups as groups_table, users};
use crate::stored::StoredEnum as _;
use crate::{search, validate};

/// Ids per `IN (…)` list (SQLite allows 32,766 binds).
const ID_CHUNK: usize = 10_000;

/// A group as the directory describes it (SCIM POST and PUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryGroup {
    /// Name shown to admins; need not be unique.
    pub display_name: String,
    /// The directory's id for the group, unique in the tenant when set.
    pub external_id: Option<String>,
    /// Every member.
    pub members: Vec<UserId>,
}

/// What a SCIM PATCH changes. Fields left `None` stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupPatch {
    /// A new name.
    pub display_name: Option<String>,
    /// A new external id (`Some(None)` clears it).
    pub external_id: Option<Option<String>>,
    /// The members' change.
    pub members: MembersPatch,
}

/// How a write changes a group's members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembersPatch {
    /// Add some users and remove others; everyone else stays. Only the
    /// named users are read, however large the group.
    Change {
        /// Users to add (already-members are left as they are).
        add: Vec<UserId>,
        /// Users to remove (non-members are ignored).
        remove: Vec<UserId>,
    },
    /// Exactly these members: the difference to the current members is
    /// added and removed.
    Replace(Vec<UserId>),
}

impl Default for MembersPatch {
    fn default() -> Self {
        MembersPatch::Change {
            add: Vec::new(),
            remove: Vec::new(),
        }
    }
}

/// A group written by the directory, and what it did to seats.
#[derive(Debug, Clone)]
pub struct GroupWritten {
    /// The group as stored now.
    pub group: Group,
    /// Who took a seat and who lost a license.
    pub license_changes: LicenseChanges,
    /// Users added who wait for a seat (`COUNT_VIOLATION`), all apps.
    pub waiting_for_seat: usize,
}

/// One member of a group, as a SCIM Group lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMemberRef {
    /// The user.
    pub id: UserId,
    /// The user's display name.
    pub display_name: String,
}

fn checked_name(name: &str) -> CoreResult<String> {
    validate::required(InputField::DisplayName, name, validate::MAX_NAME_LEN)
}

fn checked_external_id(external_id: Option<&str>) -> CoreResult<Option<String>> {
    match external_id.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => validate::required(InputField::ExternalId, v, MAX_EXTERNAL_ID_LEN).map(Some),
        None => Ok(None),
    }
}

fn sorted(ids: &[UserId]) -> Vec<UserId> {
    ids.iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Lock the users about to be added (the first step of the lock order);
/// an id that names no user of the tenant is bad input, not a missing
/// resource: the group is what the request is about.
async fn lock_new_members(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    users: &[UserId],
) -> CoreResult<()> {
    locks::users(conn, tenant, users, Mode::Share)
        .await
        .map_err(|e| match e {
            CoreError::NotFound {
                entity: EntityKind::User,
                id,
            } => CoreError::invalid(InputField::MemberIds, format!("no user has the id {id}")),
            other => other,
        })
}

/// The unique key of a group's external id, as PostgreSQL names its index
/// and SQLite the columns in its message ("UNIQUE constraint failed:
/// groups.tenant_id, groups.external_id"). Display names need not be
/// unique, so this is the only key a directory's group write can take.
const EXTERNAL_ID_KEY: (&str, &str) = ("groups_by_external_id", "groups.external_id");

/// A write of a group that failed on its external id's unique key, as the
/// `AlreadyExists` naming it; any other error as it was.
///
/// Why the database decides: a SELECT before the write cannot see a
/// concurrent request's uncommitted group, so two creates with one
/// external id both passed it and the second INSERT failed as a bare
/// database error (a 500 to the identity provider). The unique index sees
/// every writer; on PostgreSQL the second waits for the first to commit
/// and then fails on it.
fn taken(error: CoreError, external_id: Option<&str>) -> CoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    let CoreError::Database(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) =
        &error
    else {
        return error;
    };
    let (constraint, columns) = EXTERNAL_ID_KEY;
    if info.constraint_name() == Some(constraint) || info.message().contains(columns) {
        CoreError::AlreadyExists {
            field: InputField::ExternalId,
            message: format!(
                "another group has the external id {}",
                external_id.unwrap_or_default()
            ),
        }
    } else {
        error
    }
}

/// Lock `group` to update (the lock `locks::groups` takes, in the same
/// place of the lock order) and read it, in one statement: the version an
/// `If-Match` compares is read under the lock.
async fn lock_group_row(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: GroupId,
) -> CoreResult<GroupRow> {
    let query = groups_table::table
        .filter(groups_table::tenant_id.eq(tenant))
        .filter(groups_table::id.eq(id))
        .select(groups_table::all_columns);
    let row: Option<GroupRow> = match conn {
        Conn::Pg(c) => query.for_update().first(*c).await.optional()?,
        Conn::Sqlite(c) => query.first(*c).await.optional()?,
    };
    row.ok_or_else(|| CoreError::not_found(EntityKind::Group, id))
}

/// Every member id of `group`, in id order (for a full replacement).
async fn member_ids(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    group: GroupId,
) -> CoreResult<BTreeSet<UserId>> {
    let query = group_members::table
        .filter(group_members::tenant_id.eq(tenant))
        .filter(group_members::group_id.eq(group))
        .select(group_members::user_id);
    let ids: Vec<UserId> = on_conn!(conn, c => query.load(c).await)?;
    Ok(ids.into_iter().collect())
}

impl Store {
    /// Create a group from the directory (`source` says which sync) with
    /// its members, each of whom must be a user of the tenant. A new group
    /// has no apps yet, so no seat changes hands.
    pub async fn provision_group(
        &self,
        tenant: TenantId,
        actor: &Actor,
        source: DirectorySource,
        group: DirectoryGroup,
    ) -> CoreResult<GroupWritten> {
        let display_name = checked_name(&group.display_name)?;
        let external_id = checked_external_id(group.external_id.as_deref())?;
        let members = sorted(&group.members);
        let at = now();
        let row = GroupRow {
            tenant_id: tenant,
            id: GroupId::new(),
            name_key: validate::sort_key(&display_name),
            display_name,
            description: String::new(),
            created_at: at,
            external_id,
            source,
            version: 1,
            updated_at: at,
        };
        let written = write_txn!(self, conn => {
            self.require_tenant(conn, tenant).await?;
            lock_new_members(conn, tenant, &members).await?;
            // A taken external id is refused by its unique index.
            on_conn!(conn, c => diesel::insert_into(groups_table::table).values(&row).execute(c).await)
                .map_err(|e| taken(e.into(), row.external_id.as_deref()))?;
            search::index(conn, tenant, PrincipalId::Group(row.id), &row.display_name, None).await?;
            let change = groups::add_members(conn, tenant, row.id, &members).await?;
            audit::record(conn, tenant, actor, AuditAction::GroupCreated, Target::group(row.id), serde_json::json!({
                "displayName": row.display_name,
                "externalId": row.external_id,
                "members": change.changed.len(),
                "source": source.stored(),
            })).await?;
            Ok(change)
        })?;
        Ok(GroupWritten {
            group: Group::from(row),
            license_changes: written.license_changes,
            waiting_for_seat: written.waiting.values().map(Vec::len).sum(),
        })
    }

    /// Replace a group's name, external id and members (SCIM PUT). With
    /// `if_version`, refuse (`VersionMismatch`) unless the stored version
    /// is that one.
    pub async fn replace_directory_group(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: GroupId,
        group: DirectoryGroup,
        if_version: Option<i64>,
    ) -> CoreResult<GroupWritten> {
        let patch = GroupPatch {
            display_name: Some(group.display_name),
            external_id: Some(group.external_id),
            members: MembersPatch::Replace(group.members),
        };
        self.patch_directory_group(tenant, actor, id, patch, if_version)
            .await
    }

    /// Apply a SCIM PATCH: a new name or external id, and members added
    /// and removed (or replaced), all in one transaction. Removals run
    /// first, so the seats they free go to users already waiting before
    /// newly added members queue behind them. With `if_version`, refuse
    /// (`VersionMismatch`) unless the stored version is that one; the
    /// version is read under the group's row lock.
    pub async fn patch_directory_group(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: GroupId,
        patch: GroupPatch,
        if_version: Option<i64>,
    ) -> CoreResult<GroupWritten> {
        let display_name = patch
            .display_name
            .as_deref()
            .map(checked_name)
            .transpose()?;
        let external_id = patch
            .external_id
            .as_ref()
            .map(|e| checked_external_id(e.as_deref()))
            .transpose()?;
        // Users to lock before the group (lock order: users, groups, apps):
        // every user that may be added. Removed users are not locked, as
        // `delete_group` does not lock its members: no user row changes.
        let (to_lock, requested) = match &patch.members {
            MembersPatch::Change { add, remove } => {
                let add = sorted(add);
                let remove: Vec<UserId> = sorted(remove)
                    .into_iter()
                    .filter(|u| add.binary_search(u).is_err())
                    .collect();
                (add.clone(), MembersPatch::Change { add, remove })
            }
            MembersPatch::Replace(all) => {
                let all = sorted(all);
                (all.clone(), MembersPatch::Replace(all))
            }
        };
        write_txn!(self, conn => {
            lock_new_members(conn, tenant, &to_lock).await?;
            let before = lock_group_row(conn, tenant, id).await?;
            if let Some(expected) = if_version
                && expected != before.version
            {
                return Err(CoreError::VersionMismatch { entity: EntityKind::Group, current: before.version });
            }
            let (add, remove) = match requested {
                MembersPatch::Change { add, remove } => (add, remove),
                MembersPatch::Replace(all) => {
                    let current = member_ids(conn, tenant, id).await?;
                    let wanted: BTreeSet<UserId> = all.into_iter().collect();
                    (
                        wanted.difference(&current).copied().collect(),
                        current.difference(&wanted).copied().collect(),
                    )
                }
            };

            let mut changed: Vec<&str> = Vec::new();
            let new_name = display_name.filter(|n| *n != before.display_name);
            if new_name.is_some() {
                changed.push("displayName");
            }
            let new_external_id = external_id.filter(|e| *e != before.external_id);
            if new_external_id.is_some() {
                changed.push("externalId");
            }
            if !changed.is_empty() {
                let name = new_name.clone().unwrap_or_else(|| before.display_name.clone());
                let update = diesel::update(groups_table::table
                    .filter(groups_table::tenant_id.eq(tenant))
                    .filter(groups_table::id.eq(id)))
                    .set((
                        groups_table::display_name.eq(&name),
                        groups_table::name_key.eq(validate::sort_key(&name)),
                        groups_table::external_id.eq(new_external_id.clone().unwrap_or_else(|| before.external_id.clone())),
                    ));
                // A taken external id is refused by its unique index.
                on_conn!(conn, c => update.execute(c).await).map_err(|e| {
                    taken(e.into(), new_external_id.as_ref().and_then(Option::as_deref))
                })?;
                if new_name.is_some() {
                    search::reindex(conn, tenant, PrincipalId::Group(id), &name, None).await?;
                }
                audit::record(conn, tenant, actor, AuditAction::GroupUpdated, Target::group(id), serde_json::json!({
                    "changed": changed,
                    "displayName": name,
                })).await?;
            }

            let mut license_changes = LicenseChanges::new();
            let mut waiting_for_seat = 0;
            let mut members_changed = false;
            if !remove.is_empty() {
                let change = groups::remove_locked_members(conn, tenant, id, &remove).await?;
                if !change.changed.is_empty() {
                    members_changed = true;
                    merge(&mut license_changes, &change.license_changes);
                    audit::record(conn, tenant, actor, AuditAction::GroupMembersRemoved, Target::group(id), serde_json::json!({
                        "users": change.changed,
                    })).await?;
                }
            }
            if !add.is_empty() {
                let change = groups::add_locked_members(conn, tenant, id, &add).await?;
                if !change.changed.is_empty() {
                    members_changed = true;
                    merge(&mut license_changes, &change.license_changes);
                    waiting_for_seat = change.waiting.values().map(Vec::len).sum::<usize>();
                    audit::record(conn, tenant, actor, AuditAction::GroupMembersAdded, Target::group(id), serde_json::json!({
                        "users": change.changed,
                        "waitingForSeat": waiting_for_seat,
                    })).await?;
                }
            }
            // The bump answers the group as written; a write that changed
            // nothing leaves it as read under the lock.
            let group = if !changed.is_empty() || members_changed {
                groups::bump_version(conn, tenant, id).await?
            } else {
                Group::from(before)
            };
            Ok(GroupWritten { group, license_changes, waiting_for_seat })
        })
    }

    /// The group the directory knows by `external_id`, if any.
    pub async fn group_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> CoreResult<Option<Group>> {
        let external_id = external_id.to_owned();
        read_conn!(self, conn => {
            let row: Option<GroupRow> = on_conn!(conn, c => groups_table::table
                .filter(groups_table::tenant_id.eq(tenant))
                .filter(groups_table::external_id.eq(&external_id))
                .select(groups_table::all_columns)
                .first(c)
                .await
                .optional())?;
            Ok(row.map(Group::from))
        })
    }

    /// The groups named `display_name` (compared case-insensitively; names
    /// need not be unique), in id order.
    pub async fn groups_by_display_name(
        &self,
        tenant: TenantId,
        display_name: &str,
    ) -> CoreResult<Vec<Group>> {
        let name_key = validate::sort_key(display_name);
        read_conn!(self, conn => {
            let rows: Vec<GroupRow> = on_conn!(conn, c => groups_table::table
                .filter(groups_table::tenant_id.eq(tenant))
                .filter(groups_table::name_key.eq(&name_key))
                .order(groups_table::id)
                .select(groups_table::all_columns)
                .load(c)
                .await)?;
            Ok(rows.into_iter().map(Group::from).collect())
        })
    }

    /// The groups `user` is a member of, in id order.
    pub async fn groups_with_member(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> CoreResult<Vec<Group>> {
        read_conn!(self, conn => {
            let rows: Vec<GroupRow> = on_conn!(conn, c => groups_table::table
                .inner_join(group_members::table.on(
                    group_members::tenant_id.eq(groups_table::tenant_id)
                        .and(group_members::group_id.eq(groups_table::id)),
                ))
                .filter(groups_table::tenant_id.eq(tenant))
                .filter(group_members::user_id.eq(user))
                .order(groups_table::id)
                .select(groups_table::all_columns)
                .load(c)
                .await)?;
            Ok(rows.into_iter().map(Group::from).collect())
        })
    }

    /// Up to `limit` groups in id order after `after`: a stable walk over
    /// every group, for directory filtering.
    pub async fn groups_in_id_order(
        &self,
        tenant: TenantId,
        after: Option<GroupId>,
        limit: i64,
    ) -> CoreResult<Vec<Group>> {
        read_conn!(self, conn => {
            let rows: Vec<GroupRow> = on_conn!(conn, c => {
                let mut q = groups_table::table.filter(groups_table::tenant_id.eq(tenant)).into_boxed();
                if let Some(after) = after {
                    q = q.filter(groups_table::id.gt(after));
                }
                q.order(groups_table::id).limit(limit).select(groups_table::all_columns).load(c).await
            })?;
            Ok(rows.into_iter().map(Group::from).collect())
        })
    }

    /// Up to `limit` groups in id order, skipping the first `offset`:
    /// SCIM's `startIndex` paging.
    pub async fn groups_at_offset(
        &self,
        tenant: TenantId,
        offset: i64,
        limit: i64,
    ) -> CoreResult<Vec<Group>> {
        read_conn!(self, conn => {
            let rows: Vec<GroupRow> = on_conn!(conn, c => groups_table::table
                .filter(groups_table::tenant_id.eq(tenant))
                .order(groups_table::id)
                .offset(offset)
                .limit(limit)
                .select(groups_table::all_columns)
                .load(c)
                .await)?;
            Ok(rows.into_iter().map(Group::from).collect())
        })
    }

    /// How many groups the tenant has.
    pub async fn group_count(&self, tenant: TenantId) -> CoreResult<i64> {
        read_conn!(self, conn => {
            Ok(on_conn!(conn, c => groups_table::table
                .filter(groups_table::tenant_id.eq(tenant))
                .count()
                .get_result(c)
                .await)?)
        })
    }

    /// The members of each of `groups` with their display names, in user
    /// id order; a group without members (or unknown) maps to nothing.
    pub async fn group_member_refs(
        &self,
        tenant: TenantId,
        groups: &[GroupId],
    ) -> CoreResult<BTreeMap<GroupId, Vec<GroupMemberRef>>> {
        let mut out: BTreeMap<GroupId, Vec<GroupMemberRef>> = BTreeMap::new();
        if groups.is_empty() {
            return Ok(out);
        }
        read_conn!(self, conn => {
            for chunk in groups.chunks(ID_CHUNK) {
                let query = group_members::table
                    .inner_join(users::table.on(
                        users::tenant_id.eq(group_members::tenant_id)
                            .and(users::id.eq(group_members::user_id)),
                    ))
                    .filter(group_members::tenant_id.eq(tenant))
                    .filter(group_members::group_id.eq_any(chunk))
                    .order((group_members::group_id, group_members::user_id))
                    .select((group_members::group_id, users::id, users::display_name));
                let rows: Vec<(GroupId, UserId, String)> = on_conn!(conn, c => query.load(c).await)?;
                for (group, id, display_name) in rows {
                    out.entry(group).or_default().push(GroupMemberRef { id, display_name });
                }
            }
            Ok(out)
        })
    }
}

/// Fold one membership change's license changes into the write's.
fn merge(into: &mut LicenseChanges, from: &LicenseChanges) {
    for (app, changes) in from.apps() {
        into.record_lost(app, changes.lost().iter().copied())
            .record_gained(app, changes.gained().iter().copied());
    }
}
