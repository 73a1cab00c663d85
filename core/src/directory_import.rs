//! Directory imports (CSV files today): users and groups upserted in
//! batches. A row is matched to an existing user by the identity provider's
//! `external_id` when it has one, else by email (case-insensitive); a group
//! by `external_id`, else by name (case-insensitive).
//!
//! A batch is planned as a whole against the database first: every bad row
//! is reported with its line, and when there is one nothing of the batch is
//! written. [`ImportMode::Check`] stops after the plan (a dry run); the
//! plan is made again inside the write transaction for
//! [`ImportMode::Apply`], so what is written is what was checked.
//!
//! Existing rows are found by one lookup per key kind and chunk
//! (`key = ANY(…)`), each planned with its keys (`db::custom_plan`): on
//! PostgreSQL a cached generic plan would compare every user of the tenant
//! with every key of the batch, which made large imports quadratic.
//!
//! New rows go in a few multi-row statements per thousand; changed ones are
//! one `UPDATE` each (a re-import mostly changes nothing, and unchanged rows
//! cost no write). Members are added through the groups' seat-engine path,
//! so a member of a licensed group takes a seat or waits in
//! `COUNT_VIOLATION` exactly as through GraphQL.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::{BTreeSet, HashMap, HashSet};

use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, custom_plan, insert_rows, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, InputField};
use crate::groups;
use crate::ids::*;
use crate::licensing::LicenseChanges;
use crate::locks::{self, Mode};
use crate::model::{Actor, DirectorySource, now};
use crate::schema::{group_members, groups as groups_table, license_assignments, users};
use crate::stored::StoredEnum;
use crate::users::UserRow;
use crate::{search, validate};

/// Rows per multi-row INSERT of users (under SQLite's bind limit).
const INSERT_CHUNK: usize = crate::users::USERS_PER_INSERT;
/// Values per `IN (…)` list.
const KEY_CHUNK: usize = 10_000;
/// The longest `external_id` kept.
pub const MAX_EXTERNAL_ID_LEN: usize = 256;

/// One user row of an import, as read from its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The row's line in its file (reported with its errors).
    pub line: u64,
    /// Name shown to admins.
    pub display_name: String,
    /// Email; matches an existing user when `external_id` does not.
    pub email: String,
    /// The identity provider's id; empty or absent means none.
    pub external_id: Option<String>,
}

/// One group row of an import, as read from its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryGroup {
    /// The row's line in its file (reported with its errors).
    pub line: u64,
    /// Name shown to admins; matches an existing group when `external_id`
    /// does not.
    pub display_name: String,
    /// What the group is for.
    pub description: String,
    /// The identity provider's id; empty or absent means none.
    pub external_id: Option<String>,
    /// Emails of users to make members (they must exist). Members not
    /// listed are kept: an import adds, it never removes.
    pub member_emails: Vec<String>,
}

/// Whether an import writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Plan against the database and report; write nothing (a dry run).
    Check,
    /// Plan again inside one write transaction and write it, unless a row
    /// is bad.
    Apply,
}

/// The column of an import row a [`RejectedRow`] blames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportColumn {
    /// The display name.
    DisplayName,
    /// A user's email.
    Email,
    /// The identity provider's id.
    ExternalId,
    /// A group's description.
    Description,
    /// A group's member emails.
    Members,
}

/// A bad row: its line, the column at fault, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row's line in its file.
    pub line: u64,
    /// The column at fault.
    pub column: ImportColumn,
    /// What is wrong, for people.
    pub message: String,
}

/// What an import of one batch did (or, in [`ImportMode::Check`], would do).
#[derive(Debug, Clone, Default)]
pub struct UpsertSummary {
    /// Rows that create a user or group.
    pub created: usize,
    /// Rows that change one.
    pub updated: usize,
    /// Rows that match one exactly (including, for groups, its members).
    pub unchanged: usize,
    /// Bad rows, by line. When there is any, nothing was written and the
    /// counts above are those of the good rows.
    pub rejected: Vec<RejectedRow>,
    /// Group members left waiting for a seat (`COUNT_VIOLATION`).
    pub waiting_for_seat: usize,
    /// Per app, who took a seat through a new membership.
    pub license_changes: LicenseChanges,
}

impl UpsertSummary {
    /// Whether the batch was refused (nothing written).
    pub fn is_rejected(&self) -> bool {
        !self.rejected.is_empty()
    }
}

fn reject(line: u64, column: ImportColumn, message: impl Into<String>) -> RejectedRow {
    RejectedRow {
        line,
        column,
        message: message.into(),
    }
}

/// The message of a validation error, without the (API-facing) field.
fn message_of(e: CoreError) -> String {
    match e {
        CoreError::InvalidInput { message, .. } | CoreError::AlreadyExists { message, .. } => {
            message
        }
        e => e.to_string(),
    }
}

fn external_id(line: u64, value: Option<&str>) -> Result<Option<String>, RejectedRow> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None => Ok(None),
        Some(v) if v.chars().count() > MAX_EXTERNAL_ID_LEN => Err(reject(
            line,
            ImportColumn::ExternalId,
            format!("must be at most {MAX_EXTERNAL_ID_LEN} characters"),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// A validated user row.
struct CleanUser {
    line: u64,
    display_name: String,
    email: String,
    email_key: String,
    external_id: Option<String>,
}

fn clean_user(user: DirectoryUser) -> Result<CleanUser, RejectedRow> {
    let line = user.line;
    let display_name = validate::required(
        InputField::DisplayName,
        &user.display_name,
        validate::MAX_NAME_LEN,
    )
    .map_err(|e| reject(line, ImportColumn::DisplayName, message_of(e)))?;
    let email = validate::email(InputField::Email, &user.email)
        .map_err(|e| reject(line, ImportColumn::Email, message_of(e)))?;
    Ok(CleanUser {
        line,
        display_name,
        email_key: validate::sort_key(&email),
        email,
        external_id: external_id(line, user.external_id.as_deref())?,
    })
}

/// What to write for one batch of users.
#[derive(Default)]
struct UserPlan {
    create: Vec<UserRow>,
    update: Vec<UserRow>,
    unchanged: usize,
    rejected: Vec<RejectedRow>,
}

async fn users_where(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    email_keys: &[String],
    external_ids: &[String],
) -> CoreResult<Vec<UserRow>> {
    let mut found = Vec::new();
    for chunk in email_keys.chunks(KEY_CHUNK) {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(custom_plan(users::email_key.eq_any(chunk)))
            .select(users::all_columns);
        found.extend(on_conn!(conn, c => query.load::<UserRow>(c).await)?);
    }
    for chunk in external_ids.chunks(KEY_CHUNK) {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(custom_plan(users::external_id.eq_any(chunk)))
            .select(users::all_columns);
        found.extend(on_conn!(conn, c => query.load::<UserRow>(c).await)?);
    }
    Ok(found)
}

async fn plan_users(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    source: DirectorySource,
    rows: Vec<DirectoryUser>,
) -> CoreResult<UserPlan> {
    let mut plan = UserPlan::default();
    let mut clean = Vec::with_capacity(rows.len());
    let mut email_lines: HashMap<String, u64> = HashMap::new();
    let mut external_lines: HashMap<String, u64> = HashMap::new();
    for row in rows {
        let row = match clean_user(row) {
            Ok(row) => row,
            Err(rejected) => {
                plan.rejected.push(rejected);
                continue;
            }
        };
        if let Some(first) = email_lines.insert(row.email_key.clone(), row.line) {
            email_lines.insert(row.email_key.clone(), first);
            plan.rejected.push(reject(
                row.line,
                ImportColumn::Email,
                format!("{} is also on line {first}", row.email),
            ));
            continue;
        }
        if let Some(ext) = &row.external_id
            && let Some(first) = external_lines.insert(ext.clone(), row.line)
        {
            external_lines.insert(ext.clone(), first);
            plan.rejected.push(reject(
                row.line,
                ImportColumn::ExternalId,
                format!("externalId {ext} is also on line {first}"),
            ));
            continue;
        }
        clean.push(row);
    }

    let email_keys: Vec<String> = clean.iter().map(|r| r.email_key.clone()).collect();
    let external_ids: Vec<String> = clean.iter().filter_map(|r| r.external_id.clone()).collect();
    let existing = users_where(conn, tenant, &email_keys, &external_ids).await?;
    let mut by_id: HashMap<UserId, UserRow> = HashMap::with_capacity(existing.len());
    let mut by_email: HashMap<String, UserId> = HashMap::with_capacity(existing.len());
    let mut by_external: HashMap<String, UserId> = HashMap::new();
    for row in existing {
        by_email.insert(row.email_key.clone(), row.id);
        if let Some(ext) = &row.external_id {
            by_external.insert(ext.clone(), row.id);
        }
        by_id.insert(row.id, row);
    }

    let at = now();
    let mut claimed: HashMap<UserId, u64> = HashMap::new();
    for row in clean {
        let by_ext = row
            .external_id
            .as_ref()
            .and_then(|e| by_external.get(e))
            .copied();
        let by_mail = by_email.get(&row.email_key).copied();
        let target = match (by_ext, by_mail) {
            (Some(a), Some(b)) if a != b => {
                plan.rejected.push(reject(
                    row.line,
                    ImportColumn::Email,
                    format!("{} belongs to another user than externalId's", row.email),
                ));
                continue;
            }
            (Some(id), _) => Some(id),
            (None, Some(id)) => {
                let theirs = by_id.get(&id).and_then(|u| u.external_id.as_ref());
                if let (Some(theirs), Some(ours)) = (theirs, &row.external_id) {
                    plan.rejected.push(reject(
                        row.line,
                        ImportColumn::ExternalId,
                        format!(
                            "{} belongs to the user with externalId {theirs}, not {ours}",
                            row.email
                        ),
                    ));
                    continue;
                }
                Some(id)
            }
            (None, None) => None,
        };
        let Some(id) = target else {
            let mut new = UserRow::new(tenant, row.display_name, row.email, source, at);
            new.external_id = row.external_id;
            plan.create.push(new);
            continue;
        };
        if let Some(first) = claimed.insert(id, row.line) {
            claimed.insert(id, first);
            plan.rejected.push(reject(
                row.line,
                ImportColumn::Email,
                format!("names the same user as line {first}"),
            ));
            continue;
        }
        let Some(old) = by_id.get(&id) else {
            return Err(CoreError::Internal("a matched user was not loaded".into()));
        };
        let mut new = old.clone();
        new.name_key = validate::sort_key(&row.display_name);
        new.display_name = row.display_name;
        new.email = row.email;
        new.email_key = row.email_key;
        if row.external_id.is_some() {
            new.external_id = row.external_id;
        }
        new.source = source;
        let same = new.display_name == old.display_name
            && new.email == old.email
            && new.external_id == old.external_id
            && new.source == old.source;
        if same {
            plan.unchanged += 1;
        } else {
            new.version += 1;
            new.updated_at = at;
            plan.update.push(new);
        }
    }
    plan.rejected.sort_by_key(|r| r.line);
    Ok(plan)
}

async fn apply_users(conn: &mut Conn<'_>, tenant: TenantId, plan: &UserPlan) -> CoreResult<()> {
    // By email key, the order of the users' largest random-order index, so
    // the inserts walk it once instead of landing on random pages (see
    // `search::index_many`).
    let mut create: Vec<&UserRow> = plan.create.iter().collect();
    create.sort_unstable_by(|a, b| a.email_key.cmp(&b.email_key));
    for chunk in create.chunks(INSERT_CHUNK) {
        let rows: Vec<UserRow> = chunk.iter().map(|r| (*r).clone()).collect();
        insert_rows!(conn, users::table, rows)?;
    }
    for row in &plan.update {
        let update = diesel::update(
            users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::id.eq(row.id)),
        )
        .set((
            users::display_name.eq(&row.display_name),
            users::name_key.eq(&row.name_key),
            users::email.eq(&row.email),
            users::email_key.eq(&row.email_key),
            users::external_id.eq(&row.external_id),
            users::source.eq(row.source),
            users::version.eq(row.version),
            users::updated_at.eq(row.updated_at),
        ));
        on_conn!(conn, c => update.execute(c).await)?;
    }
    let changed: Vec<AnyId> = plan.update.iter().map(|r| AnyId(r.id.0)).collect();
    search::unindex_many(conn, tenant, &changed).await?;
    let indexed: Vec<search::Indexed<'_>> = plan
        .create
        .iter()
        .chain(&plan.update)
        .map(|r| {
            (
                PrincipalId::User(r.id),
                r.display_name.as_str(),
                Some(r.email.as_str()),
            )
        })
        .collect();
    search::index_many(conn, tenant, &indexed).await
}

/// A group as an import compares it.
#[derive(Queryable, Clone)]
struct ExistingGroup {
    id: GroupId,
    display_name: String,
    name_key: String,
    description: String,
    external_id: Option<String>,
    source: DirectorySource,
    version: i64,
}

const GROUP_COLUMNS: (
    groups_table::id,
    groups_table::display_name,
    groups_table::name_key,
    groups_table::description,
    groups_table::external_id,
    groups_table::source,
    groups_table::version,
) = (
    groups_table::id,
    groups_table::display_name,
    groups_table::name_key,
    groups_table::description,
    groups_table::external_id,
    groups_table::source,
    groups_table::version,
);

#[derive(Insertable)]
#[diesel(table_name = groups_table, treat_none_as_default_value = false)]
struct NewGroupRow {
    tenant_id: TenantId,
    id: GroupId,
    display_name: String,
    name_key: String,
    description: String,
    created_at: chrono::NaiveDateTime,
    external_id: Option<String>,
    source: DirectorySource,
    version: i64,
    updated_at: chrono::NaiveDateTime,
}

/// One group's share of the plan: its row to write (if any) and the users
/// to add.
struct GroupWrite {
    id: GroupId,
    row: Option<NewGroupRow>,
    update: Option<ExistingGroup>,
    add: Vec<UserId>,
}

#[derive(Default)]
struct GroupPlan {
    writes: Vec<GroupWrite>,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: Vec<RejectedRow>,
}

struct CleanGroup {
    line: u64,
    display_name: String,
    name_key: String,
    description: String,
    external_id: Option<String>,
    member_keys: Vec<String>,
}

fn clean_group(group: DirectoryGroup) -> Result<CleanGroup, RejectedRow> {
    let line = group.line;
    let display_name = validate::required(
        InputField::DisplayName,
        &group.display_name,
        validate::MAX_NAME_LEN,
    )
    .map_err(|e| reject(line, ImportColumn::DisplayName, message_of(e)))?;
    let description = validate::optional(
        InputField::Description,
        &group.description,
        validate::MAX_DESCRIPTION_LEN,
    )
    .map_err(|e| reject(line, ImportColumn::Description, message_of(e)))?;
    let mut member_keys = BTreeSet::new();
    for email in &group.member_emails {
        let email = validate::email(InputField::Email, email).map_err(|e| {
            reject(
                line,
                ImportColumn::Members,
                format!("{email}: {}", message_of(e)),
            )
        })?;
        member_keys.insert(validate::sort_key(&email));
    }
    Ok(CleanGroup {
        line,
        name_key: validate::sort_key(&display_name),
        display_name,
        description,
        external_id: external_id(line, group.external_id.as_deref())?,
        member_keys: member_keys.into_iter().collect(),
    })
}

async fn plan_groups(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    source: DirectorySource,
    rows: Vec<DirectoryGroup>,
) -> CoreResult<GroupPlan> {
    let mut plan = GroupPlan::default();
    let mut clean = Vec::with_capacity(rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in rows {
        let row = match clean_group(row) {
            Ok(row) => row,
            Err(rejected) => {
                plan.rejected.push(rejected);
                continue;
            }
        };
        // A group is named by its external id when it has one, else by name.
        let (key, column) = match &row.external_id {
            Some(ext) => (format!("id:{ext}"), ImportColumn::ExternalId),
            None => (format!("name:{}", row.name_key), ImportColumn::DisplayName),
        };
        if let Some(first) = seen.insert(key.clone(), row.line) {
            seen.insert(key, first);
            plan.rejected.push(reject(
                row.line,
                column,
                format!("names the same group as line {first}"),
            ));
            continue;
        }
        clean.push(row);
    }

    // Members, by email.
    let member_keys: Vec<String> = clean
        .iter()
        .flat_map(|g| g.member_keys.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut user_by_key: HashMap<String, UserId> = HashMap::with_capacity(member_keys.len());
    for chunk in member_keys.chunks(KEY_CHUNK) {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(custom_plan(users::email_key.eq_any(chunk)))
            .select((users::email_key, users::id));
        let found: Vec<(String, UserId)> = on_conn!(conn, c => query.load(c).await)?;
        user_by_key.extend(found);
    }

    // Existing groups, by external id and by name.
    let external_ids: Vec<String> = clean.iter().filter_map(|g| g.external_id.clone()).collect();
    let name_keys: Vec<String> = clean.iter().map(|g| g.name_key.clone()).collect();
    let mut existing: Vec<ExistingGroup> = Vec::new();
    for chunk in external_ids.chunks(KEY_CHUNK) {
        let query = groups_table::table
            .filter(groups_table::tenant_id.eq(tenant))
            .filter(custom_plan(groups_table::external_id.eq_any(chunk)))
            .select(GROUP_COLUMNS);
        existing.extend(on_conn!(conn, c => query.load::<ExistingGroup>(c).await)?);
    }
    for chunk in name_keys.chunks(KEY_CHUNK) {
        let query = groups_table::table
            .filter(groups_table::tenant_id.eq(tenant))
            .filter(custom_plan(groups_table::name_key.eq_any(chunk)))
            .select(GROUP_COLUMNS);
        existing.extend(on_conn!(conn, c => query.load::<ExistingGroup>(c).await)?);
    }
    let mut by_id: HashMap<GroupId, ExistingGroup> = HashMap::new();
    let mut by_external: HashMap<String, GroupId> = HashMap::new();
    let mut by_name: HashMap<String, BTreeSet<GroupId>> = HashMap::new();
    for g in existing {
        if let Some(ext) = &g.external_id {
            by_external.insert(ext.clone(), g.id);
        }
        by_name.entry(g.name_key.clone()).or_default().insert(g.id);
        by_id.insert(g.id, g);
    }

    // Current members of the matched groups.
    let matched: Vec<GroupId> = by_id.keys().copied().collect();
    let mut members: HashSet<(GroupId, UserId)> = HashSet::new();
    for chunk in matched.chunks(KEY_CHUNK) {
        let query = group_members::table
            .filter(group_members::tenant_id.eq(tenant))
            .filter(custom_plan(group_members::group_id.eq_any(chunk)))
            .select((group_members::group_id, group_members::user_id));
        let found: Vec<(GroupId, UserId)> = on_conn!(conn, c => query.load(c).await)?;
        members.extend(found);
    }

    let at = now();
    let mut claimed: HashMap<GroupId, u64> = HashMap::new();
    for row in clean {
        let unknown: Vec<&str> = row
            .member_keys
            .iter()
            .filter(|k| !user_by_key.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            plan.rejected.push(reject(
                row.line,
                ImportColumn::Members,
                format!("no user has the email {}", unknown.join(", ")),
            ));
            continue;
        }
        let wanted: Vec<UserId> = row.member_keys.iter().map(|k| user_by_key[k]).collect();
        let by_ext = row
            .external_id
            .as_ref()
            .and_then(|e| by_external.get(e))
            .copied();
        let target = match by_ext {
            Some(id) => Some(id),
            None => match by_name.get(&row.name_key) {
                None => None,
                Some(ids) if ids.len() > 1 => {
                    plan.rejected.push(reject(
                        row.line,
                        ImportColumn::DisplayName,
                        format!(
                            "{} groups are named {}: give the row an externalId",
                            ids.len(),
                            row.display_name
                        ),
                    ));
                    continue;
                }
                Some(ids) => {
                    let id = *ids.iter().next().ok_or_else(|| {
                        CoreError::Internal("an empty set of groups by name".into())
                    })?;
                    let theirs = by_id.get(&id).and_then(|g| g.external_id.as_ref());
                    if let (Some(theirs), Some(ours)) = (theirs, &row.external_id) {
                        plan.rejected.push(reject(
                            row.line,
                            ImportColumn::ExternalId,
                            format!(
                                "the group named {} has externalId {theirs}, not {ours}",
                                row.display_name
                            ),
                        ));
                        continue;
                    }
                    Some(id)
                }
            },
        };
        let Some(id) = target else {
            let id = GroupId::new();
            plan.created += 1;
            plan.writes.push(GroupWrite {
                id,
                row: Some(NewGroupRow {
                    tenant_id: tenant,
                    id,
                    display_name: row.display_name,
                    name_key: row.name_key,
                    description: row.description,
                    created_at: at,
                    external_id: row.external_id,
                    source,
                    version: 1,
                    updated_at: at,
                }),
                update: None,
                add: wanted,
            });
            continue;
        };
        if let Some(first) = claimed.insert(id, row.line) {
            claimed.insert(id, first);
            plan.rejected.push(reject(
                row.line,
                ImportColumn::DisplayName,
                format!("names the same group as line {first}"),
            ));
            continue;
        }
        let Some(old) = by_id.get(&id) else {
            return Err(CoreError::Internal("a matched group was not loaded".into()));
        };
        let mut new = old.clone();
        new.display_name = row.display_name;
        new.name_key = row.name_key;
        new.description = row.description;
        if row.external_id.is_some() {
            new.external_id = row.external_id;
        }
        new.source = source;
        let fields_same = new.display_name == old.display_name
            && new.description == old.description
            && new.external_id == old.external_id
            && new.source == old.source;
        let add: Vec<UserId> = wanted
            .into_iter()
            .filter(|u| !members.contains(&(id, *u)))
            .collect();
        if fields_same && add.is_empty() {
            plan.unchanged += 1;
            continue;
        }
        plan.updated += 1;
        plan.writes.push(GroupWrite {
            id,
            row: None,
            update: (!fields_same).then(|| {
                new.version += 1;
                new
            }),
            add,
        });
    }
    plan.rejected.sort_by_key(|r| r.line);
    Ok(plan)
}

async fn apps_of_groups(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    groups: &[GroupId],
) -> CoreResult<Vec<AppId>> {
    let mut apps = BTreeSet::new();
    for chunk in groups.chunks(KEY_CHUNK) {
        let query = license_assignments::table
            .filter(license_assignments::tenant_id.eq(tenant))
            .filter(custom_plan(license_assignments::principal_id.eq_any(chunk)))
            .select(license_assignments::app_id);
        apps.extend(on_conn!(conn, c => query.load::<AppId>(c).await)?);
    }
    Ok(apps.into_iter().collect())
}

async fn apply_groups(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    plan: GroupPlan,
    summary: &mut UpsertSummary,
) -> CoreResult<()> {
    // The global lock order (users, groups, apps) for the whole batch up
    // front; the per-group member additions below take these locks again,
    // which a holder already has.
    let users: Vec<UserId> = plan
        .writes
        .iter()
        .flat_map(|w| w.add.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let existing: Vec<GroupId> = plan
        .writes
        .iter()
        .filter(|w| w.row.is_none())
        .map(|w| w.id)
        .collect();
    locks::users(conn, tenant, &users, Mode::Share).await?;
    locks::groups(conn, tenant, &existing, Mode::Update).await?;
    let apps = apps_of_groups(conn, tenant, &existing).await?;
    locks::apps(conn, tenant, &apps).await?;

    let mut new_rows = Vec::new();
    let mut adds = Vec::new();
    let mut updates = Vec::new();
    for write in plan.writes {
        if let Some(row) = write.row {
            new_rows.push(row);
        }
        if let Some(update) = write.update {
            updates.push(update);
        }
        if !write.add.is_empty() {
            adds.push((write.id, write.add));
        }
    }
    let mut rows = new_rows.into_iter().peekable();
    let mut indexed_new: Vec<(GroupId, String)> = Vec::new();
    while rows.peek().is_some() {
        let chunk: Vec<NewGroupRow> = rows.by_ref().take(INSERT_CHUNK).collect();
        indexed_new.extend(chunk.iter().map(|r| (r.id, r.display_name.clone())));
        insert_rows!(conn, groups_table::table, chunk)?;
    }
    let at = now();
    for g in &updates {
        let update = diesel::update(
            groups_table::table
                .filter(groups_table::tenant_id.eq(tenant))
                .filter(groups_table::id.eq(g.id)),
        )
        .set((
            groups_table::display_name.eq(&g.display_name),
            groups_table::name_key.eq(&g.name_key),
            groups_table::description.eq(&g.description),
            groups_table::external_id.eq(&g.external_id),
            groups_table::source.eq(g.source),
            groups_table::version.eq(g.version),
            groups_table::updated_at.eq(at),
        ));
        on_conn!(conn, c => update.execute(c).await)?;
    }
    let renamed: Vec<AnyId> = updates.iter().map(|g| AnyId(g.id.0)).collect();
    search::unindex_many(conn, tenant, &renamed).await?;
    let indexed: Vec<search::Indexed<'_>> = indexed_new
        .iter()
        .map(|(id, name)| (PrincipalId::Group(*id), name.as_str(), None))
        .chain(
            updates
                .iter()
                .map(|g| (PrincipalId::Group(g.id), g.display_name.as_str(), None)),
        )
        .collect();
    search::index_many(conn, tenant, &indexed).await?;

    // A group whose attributes did not change but gained members is a new
    // version too, so a SCIM client's `If-Match` on the old one fails.
    let renamed_ids: BTreeSet<GroupId> = updates.iter().map(|g| g.id).collect();
    for (group, add) in adds {
        let change = groups::add_members(conn, tenant, group, &add).await?;
        if !change.changed.is_empty() && existing.contains(&group) && !renamed_ids.contains(&group)
        {
            groups::bump_version(conn, tenant, group).await?;
        }
        summary.waiting_for_seat += change.waiting.values().map(Vec::len).sum::<usize>();
        for (app, changes) in change.license_changes.apps() {
            summary
                .license_changes
                .record_lost(app, changes.lost().iter().copied())
                .record_gained(app, changes.gained().iter().copied());
        }
    }
    Ok(())
}

impl Store {
    /// Create or update users from a directory import (one batch), as
    /// `source` (CSV for files). All or nothing: any bad row, and nothing
    /// is written (see [`UpsertSummary::rejected`]). Audited as one
    /// `USER_IMPORTED` event when anything changed.
    pub async fn upsert_directory_users(
        &self,
        tenant: TenantId,
        actor: &Actor,
        source: DirectorySource,
        users: Vec<DirectoryUser>,
        mode: ImportMode,
    ) -> CoreResult<UpsertSummary> {
        let summarize = |plan: &UserPlan| UpsertSummary {
            created: plan.create.len(),
            updated: plan.update.len(),
            unchanged: plan.unchanged,
            rejected: plan.rejected.clone(),
            ..UpsertSummary::default()
        };
        match mode {
            ImportMode::Check => read_conn!(self, conn => {
                self.require_tenant(conn, tenant).await?;
                let plan = plan_users(conn, tenant, source, users).await?;
                Ok(summarize(&plan))
            }),
            ImportMode::Apply => write_txn!(self, conn => {
                self.require_tenant(conn, tenant).await?;
                let plan = plan_users(conn, tenant, source, users).await?;
                let summary = summarize(&plan);
                if summary.is_rejected() || summary.created + summary.updated == 0 {
                    return Ok(summary);
                }
                apply_users(conn, tenant, &plan).await?;
                audit::record(conn, tenant, actor, AuditAction::UserImported, Target::tenant(tenant),
                    serde_json::json!({
                        "source": source.stored(),
                        "created": summary.created,
                        "updated": summary.updated,
                        "unchanged": summary.unchanged,
                    })).await?;
                Ok(summary)
            }),
        }
    }

    /// Create or update groups and add their members from a directory
    /// import (one batch), as `source`. Members are added through the seat
    /// engine (they take seats of the group's apps, or wait). All or
    /// nothing, like [`Store::upsert_directory_users`]; audited as one
    /// `GROUP_IMPORTED` event when anything changed.
    pub async fn upsert_directory_groups(
        &self,
        tenant: TenantId,
        actor: &Actor,
        source: DirectorySource,
        groups: Vec<DirectoryGroup>,
        mode: ImportMode,
    ) -> CoreResult<UpsertSummary> {
        let summarize = |plan: &GroupPlan| UpsertSummary {
            created: plan.created,
            updated: plan.updated,
            unchanged: plan.unchanged,
            rejected: plan.rejected.clone(),
            ..UpsertSummary::default()
        };
        match mode {
            ImportMode::Check => read_conn!(self, conn => {
                self.require_tenant(conn, tenant).await?;
                let plan = plan_groups(conn, tenant, source, groups).await?;
                Ok(summarize(&plan))
            }),
            ImportMode::Apply => write_txn!(self, conn => {
                self.require_tenant(conn, tenant).await?;
                let plan = plan_groups(conn, tenant, source, groups).await?;
                let mut summary = summarize(&plan);
                if summary.is_rejected() || summary.created + summary.updated == 0 {
                    return Ok(summary);
                }
                apply_groups(conn, tenant, plan, &mut summary).await?;
                audit::record(conn, tenant, actor, AuditAction::GroupImported, Target::tenant(tenant),
                    serde_json::json!({
                        "source": source.stored(),
                        "created": summary.created,
                        "updated": summary.updated,
                        "unchanged": summary.unchanged,
                        "waitingForSeat": summary.waiting_for_seat,
                    })).await?;
                Ok(summary)
            }),
        }
    }
}
