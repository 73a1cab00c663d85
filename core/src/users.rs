//! Users of a tenant.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, insert_rows, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, ImportedUserField, InputField};
use crate::ids::*;
use crate::licensing::LicenseChanges;
use crate::licensing::engine;
use crate::locks::{self, Mode};
use crate::model::{
    Actor, DirectoryRecord, DirectorySource, LicenseState, NewUser, User, UserUpdate, now, utc,
};
use crate::paging::{Cursor, Page, PageRequest, after_name_key};
use crate::schema::{group_members, license_assignments, user_licenses, users};
use crate::{search, validate};

/// Columns of `users`: a multi-row INSERT binds each of them once per
/// row. A column added to `UserRow` changes it (a test compares it with
/// the table).
pub(crate) const USER_COLUMNS: usize = 17;

/// Users per multi-row INSERT: SQLite allows 32,766 bound values in a
/// statement (1,927 users of 17 columns).
pub(crate) const USERS_PER_INSERT: usize = 32_766 / USER_COLUMNS;

/// Users per statement in imports.
const IMPORT_CHUNK: usize = USERS_PER_INSERT;

/// `treat_none_as_default_value = false`: a missing external id,
/// department or manager is written as NULL (none of them has a default),
/// so SQLite inserts many users in one statement (see `insert_rows!`).
#[derive(Insertable, Queryable, Clone)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub(crate) struct UserRow {
    pub tenant_id: TenantId,
    pub id: UserId,
    pub display_name: String,
    pub name_key: String,
    pub email: String,
    pub email_key: String,
    pub created_at: chrono::NaiveDateTime,
    pub external_id: Option<String>,
    pub source: DirectorySource,
    pub account_enabled: bool,
    pub directory_active: bool,
    pub department: Option<String>,
    pub manager_external_id: Option<String>,
    pub version: i64,
    pub updated_at: chrono::NaiveDateTime,
    /// The directory's userName as sent, when a directory named one.
    pub user_name: Option<String>,
    /// `user_name`'s `validate::sort_key`: unique per tenant.
    pub user_name_key: Option<String>,
}

impl UserRow {
    /// A new user's row, as an admin creates it.
    pub(crate) fn new_manual(tenant_id: TenantId, display_name: String, email: String) -> Self {
        Self::new(
            tenant_id,
            display_name,
            email,
            DirectorySource::Manual,
            now(),
        )
    }

    /// A new user's row from `source`, created `at`: active, version 1,
    /// with no directory attributes yet. Every new user starts here, so a
    /// column added to users gets its starting value in one place.
    pub(crate) fn new(
        tenant_id: TenantId,
        display_name: String,
        email: String,
        source: DirectorySource,
        at: chrono::NaiveDateTime,
    ) -> Self {
        UserRow {
            tenant_id,
            id: UserId::new(),
            name_key: validate::sort_key(&display_name),
            display_name,
            email_key: validate::sort_key(&email),
            email,
            created_at: at,
            external_id: None,
            source,
            account_enabled: true,
            directory_active: true,
            department: None,
            manager_external_id: None,
            version: 1,
            updated_at: at,
            user_name: None,
            user_name_key: None,
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            display_name: r.display_name,
            email: r.email,
            created_at: utc(r.created_at),
            directory: DirectoryRecord {
                source: r.source,
                external_id: r.external_id,
                version: r.version,
                updated_at: utc(r.updated_at),
            },
            account_enabled: r.account_enabled,
            directory_active: r.directory_active,
            department: r.department,
            manager_external_id: r.manager_external_id,
            user_name: r.user_name,
        }
    }
}

/// What deleting a user released.
#[derive(Debug, Clone, Default)]
pub struct UserDeleted {
    /// Apps whose license the user held, with whether it used a seat.
    pub released: Vec<(AppId, bool)>,
    /// The deleted user lost every released app's license; users waiting
    /// for a seat took the seats it freed.
    pub license_changes: LicenseChanges,
}

async fn email_taken(conn: &mut Conn<'_>, tenant: TenantId, email_key: &str) -> CoreResult<bool> {
    let query = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::email_key.eq(email_key))
        .count();
    let n: i64 = on_conn!(conn, c => query.get_result(c).await)?;
    Ok(n > 0)
}

impl Store {
    /// Create a user; the email must be unused in the tenant.
    pub async fn create_user(
        &self,
        tenant: TenantId,
        actor: &Actor,
        new: NewUser,
    ) -> CoreResult<User> {
        let display_name = validate::required(
            InputField::DisplayName,
            &new.display_name,
            validate::MAX_NAME_LEN,
        )?;
        let email = validate::email(InputField::Email, &new.email)?;
        let row = UserRow::new_manual(tenant, display_name, email);
        write_txn!(self, conn => {
            self.require_tenant(conn, tenant).await?;
            if email_taken(conn, tenant, &row.email_key).await? {
                return Err(CoreError::AlreadyExists {
                    field: InputField::Email,
                    message: format!("a user with email {} already exists", row.email),
                });
            }
            on_conn!(conn, c => diesel::insert_into(users::table).values(&row).execute(c).await)?;
            search::index(conn, tenant, PrincipalId::User(row.id), &row.display_name, Some(&row.email)).await?;
            audit::record(conn, tenant, actor, AuditAction::UserCreated, Target::user(row.id),
                serde_json::json!({ "displayName": row.display_name, "email": row.email })).await?;
            Ok(())
        })?;
        Ok(row.into())
    }

    /// Create many users at once, as a directory import does: validated as a
    /// whole and all or nothing, a few statements per thousand users.
    pub async fn import_users(
        &self,
        tenant: TenantId,
        actor: &Actor,
        new: Vec<NewUser>,
    ) -> CoreResult<Vec<User>> {
        let at = now();
        let mut seen = std::collections::HashSet::with_capacity(new.len());
        let mut rows = Vec::with_capacity(new.len());
        for (i, user) in new.into_iter().enumerate() {
            let display_name = validate::required(
                InputField::ImportedUser {
                    index: i,
                    field: ImportedUserField::DisplayName,
                },
                &user.display_name,
                validate::MAX_NAME_LEN,
            )?;
            let email = validate::email(
                InputField::ImportedUser {
                    index: i,
                    field: ImportedUserField::Email,
                },
                &user.email,
            )?;
            let email_key = validate::sort_key(&email);
            if !seen.insert(email_key) {
                return Err(CoreError::AlreadyExists {
                    field: InputField::ImportedUser {
                        index: i,
                        field: ImportedUserField::Email,
                    },
                    message: format!("{email} appears twice in the import"),
                });
            }
            rows.push(UserRow::new(
                tenant,
                display_name,
                email,
                DirectorySource::Manual,
                at,
            ));
        }
        write_txn!(self, conn => {
            self.require_tenant(conn, tenant).await?;
            let keys: Vec<&str> = rows.iter().map(|r| r.email_key.as_str()).collect();
            for chunk in keys.chunks(IMPORT_CHUNK) {
                let query = users::table
                    .filter(users::tenant_id.eq(tenant))
                    .filter(users::email_key.eq_any(chunk))
                    .select(users::email)
                    .limit(1);
                let taken: Option<String> = on_conn!(conn, c => query.first(c).await.optional())?;
                if let Some(email) = taken {
                    return Err(CoreError::AlreadyExists {
                        field: InputField::Email,
                        message: format!("a user with email {email} already exists"),
                    });
                }
            }
            for chunk in rows.chunks(IMPORT_CHUNK) {
                insert_rows!(conn, users::table, chunk.to_vec())?;
            }
            let indexed: Vec<search::Indexed<'_>> = rows
                .iter()
                .map(|r| (PrincipalId::User(r.id), r.display_name.as_str(), Some(r.email.as_str())))
                .collect();
            search::index_many(conn, tenant, &indexed).await?;
            audit::record(conn, tenant, actor, AuditAction::UserImported, Target::tenant(tenant),
                serde_json::json!({ "users": rows.len() })).await?;
            Ok(())
        })?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    /// Change a user's name, email or sign-in. The email stays unique in
    /// the tenant (case-insensitively) and the typeahead follows a rename.
    /// A disabled user keeps their licenses and seats, as in the model
    /// product: disabling stops sign-in, not billing. Enabling a user the
    /// identity provider deactivated is refused (`DirectoryManaged`): they
    /// hold no seat until the directory reactivates them. A field equal to its
    /// current value is no change; when nothing changes, nothing is written
    /// (no audit event, `version` unchanged).
    pub async fn update_user(
        &self,
        tenant: TenantId,
        actor: &Actor,
        user: UserId,
        update: UserUpdate,
    ) -> CoreResult<User> {
        let display_name = update
            .display_name
            .map(|name| validate::required(InputField::DisplayName, &name, validate::MAX_NAME_LEN))
            .transpose()?;
        let email = update
            .email
            .map(|email| validate::email(InputField::Email, &email))
            .transpose()?;
        write_txn!(self, conn => {
            locks::users(conn, tenant, &[user], Mode::Update).await?;
            let query = users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::id.eq(user))
                .select(users::all_columns);
            let mut row: UserRow = on_conn!(conn, c => query.first(c).await)?;
            let mut changed: Vec<&str> = Vec::new();
            if let Some(name) = display_name.filter(|n| *n != row.display_name) {
                row.name_key = validate::sort_key(&name);
                row.display_name = name;
                changed.push("displayName");
            }
            if let Some(email) = email.filter(|e| *e != row.email) {
                let key = validate::sort_key(&email);
                // Only a different key can clash: a change of case is the
                // same address.
                if key != row.email_key && email_taken(conn, tenant, &key).await? {
                    return Err(CoreError::AlreadyExists {
                        field: InputField::Email,
                        message: format!("a user with email {email} already exists"),
                    });
                }
                row.email_key = key;
                row.email = email;
                changed.push("email");
            }
            // A user the directory deactivated holds no seat; enabling
            // sign-in here would show them as enabled while they still
            // could not hold a license, so only the identity provider may
            // bring them back (and their seats with them).
            if update.account_enabled == Some(true) && !row.directory_active {
                return Err(CoreError::DirectoryManaged { field: InputField::AccountEnabled });
            }
            if let Some(enabled) = update.account_enabled.filter(|e| *e != row.account_enabled) {
                row.account_enabled = enabled;
                changed.push("accountEnabled");
            }
            if changed.is_empty() {
                return Ok(User::from(row));
            }
            row.version += 1;
            row.updated_at = now();
            let write = diesel::update(users::table.filter(users::tenant_id.eq(tenant)).filter(users::id.eq(user)))
                .set((
                    users::display_name.eq(&row.display_name),
                    users::name_key.eq(&row.name_key),
                    users::email.eq(&row.email),
                    users::email_key.eq(&row.email_key),
                    users::account_enabled.eq(row.account_enabled),
                    users::version.eq(row.version),
                    users::updated_at.eq(row.updated_at),
                ));
            on_conn!(conn, c => write.execute(c).await)?;
            if changed.iter().any(|f| *f != "accountEnabled") {
                search::reindex(conn, tenant, PrincipalId::User(user), &row.display_name, Some(&row.email)).await?;
            }
            audit::record(conn, tenant, actor, AuditAction::UserUpdated, Target::user(user), serde_json::json!({
                "changed": changed,
                "displayName": row.display_name,
                "email": row.email,
                "accountEnabled": row.account_enabled,
            })).await?;
            Ok(User::from(row))
        })
    }

    /// Delete a user: their direct assignments, memberships and licenses go
    /// with them, and the seats they used go to users waiting for one.
    pub async fn delete_user(
        &self,
        tenant: TenantId,
        actor: &Actor,
        user: UserId,
    ) -> CoreResult<UserDeleted> {
        self.delete_user_at_version(tenant, actor, user, None).await
    }

    /// [`Store::delete_user`], refused with `VersionMismatch` unless the
    /// user's stored version is `if_version` (SCIM's `If-Match`). The
    /// version is read under the user's row lock, in the deleting
    /// transaction, so no change can slip in between check and delete.
    pub async fn delete_user_at_version(
        &self,
        tenant: TenantId,
        actor: &Actor,
        user: UserId,
        if_version: Option<i64>,
    ) -> CoreResult<UserDeleted> {
        write_txn!(self, conn => {
            locks::users(conn, tenant, &[user], Mode::Update).await?;
            if let Some(expected) = if_version {
                let version_query = users::table
                    .filter(users::tenant_id.eq(tenant))
                    .filter(users::id.eq(user))
                    .select(users::version);
                let current: i64 = on_conn!(conn, c => version_query.first(c).await)?;
                if current != expected {
                    return Err(CoreError::VersionMismatch { entity: EntityKind::User, current });
                }
            }
            let groups_query = group_members::table
                .filter(group_members::tenant_id.eq(tenant))
                .filter(group_members::user_id.eq(user))
                .select(group_members::group_id);
            let groups: Vec<GroupId> = on_conn!(conn, c => groups_query.load(c).await)?;
            locks::groups(conn, tenant, &groups, Mode::Update).await?;
            let apps_query = user_licenses::table
                .filter(user_licenses::tenant_id.eq(tenant))
                .filter(user_licenses::user_id.eq(user))
                .select(user_licenses::app_id);
            let apps: Vec<AppId> = on_conn!(conn, c => apps_query.load(c).await)?;
            locks::apps(conn, tenant, &apps).await?;

            let delete_direct = diesel::delete(
                license_assignments::table
                    .filter(license_assignments::tenant_id.eq(tenant))
                    .filter(license_assignments::principal_id.eq(user)),
            );
            on_conn!(conn, c => delete_direct.execute(c).await)?;
            let delete_licenses = diesel::delete(
                user_licenses::table
                    .filter(user_licenses::tenant_id.eq(tenant))
                    .filter(user_licenses::user_id.eq(user)),
            )
            .returning((user_licenses::app_id, user_licenses::state));
            let released: Vec<(AppId, LicenseState)> = on_conn!(conn, c => delete_licenses.load(c).await)?;
            let delete_memberships = diesel::delete(
                group_members::table
                    .filter(group_members::tenant_id.eq(tenant))
                    .filter(group_members::user_id.eq(user)),
            );
            on_conn!(conn, c => delete_memberships.execute(c).await)?;
            search::unindex(conn, tenant, AnyId(user.0)).await?;
            let delete_user = diesel::delete(users::table.filter(users::tenant_id.eq(tenant)).filter(users::id.eq(user)));
            on_conn!(conn, c => delete_user.execute(c).await)?;

            let mut outcome = UserDeleted::default();
            for (app, state) in released {
                let used_seat = state == LicenseState::Active;
                outcome.license_changes.record_lost(app, [user]);
                if used_seat {
                    engine::add_assigned(conn, tenant, app, -1).await?;
                    let resolved = engine::resolve_waiting(conn, tenant, app).await?;
                    outcome.license_changes.record_gained(app, resolved);
                }
                outcome.released.push((app, used_seat));
            }
            crate::events::record_license_changes(conn, tenant, &outcome.license_changes).await?;
            audit::record(conn, tenant, actor, AuditAction::UserDeleted, Target::user(user), serde_json::json!({
                "licensesReleased": outcome.released.len(),
            })).await?;
            Ok(outcome)
        })
    }

    /// One user.
    pub async fn user(&self, tenant: TenantId, user: UserId) -> CoreResult<User> {
        self.users_by_ids(tenant, &[user])
            .await?
            .pop()
            .ok_or_else(|| CoreError::not_found(EntityKind::User, user))
    }

    /// Users by id, in no particular order; unknown ids are left out.
    pub async fn users_by_ids(&self, tenant: TenantId, ids: &[UserId]) -> CoreResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        read_conn!(self, conn => {
            let query = users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::id.eq_any(ids))
                .select(users::all_columns);
            let rows: Vec<UserRow> = on_conn!(conn, c => query.load(c).await)?;
            Ok(rows.into_iter().map(User::from).collect())
        })
    }

    /// The tenant's users by name; `search` matches any part of the name or
    /// email.
    pub async fn list_users(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: &PageRequest,
    ) -> CoreResult<Page<User>> {
        let pattern = search
            .filter(|s| !s.trim().is_empty())
            .map(validate::contains_pattern);
        read_conn!(self, conn => {
            let rows: Vec<UserRow> = on_conn!(conn, c => {
                let mut q = users::table.filter(users::tenant_id.eq(tenant)).into_boxed();
                if let Some(p) = &pattern {
                    q = q.filter(
                        users::name_key.like(p.clone()).escape('\\')
                            .or(users::email_key.like(p.clone()).escape('\\')),
                    );
                }
                let q = after_name_key!(q, users, &page.after, UserId);
                q.order((users::name_key, users::id))
                    .limit(page.fetch_limit())
                    .select(users::all_columns)
                    .load(c)
                    .await
            })?;
            let total = if page.count_total {
                Some(on_conn!(conn, c => {
                    let mut q = users::table.filter(users::tenant_id.eq(tenant)).into_boxed();
                    if let Some(p) = &pattern {
                        q = q.filter(
                            users::name_key.like(p.clone()).escape('\\')
                                .or(users::email_key.like(p.clone()).escape('\\')),
                        );
                    }
                    q.count().get_result(c).await
                })?)
            } else {
                None
            };
            Ok(Page::from_rows(page, rows, total, |r| Cursor::new(r.name_key.clone(), r.id.0)).map(User::from))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `USER_COLUMNS` is what a user's INSERT binds: were it short, an
    /// import's multi-row INSERT would pass SQLite's bind limit and fail.
    #[test]
    fn user_columns_counts_the_binds_of_a_row() {
        let row = UserRow::new_manual(TenantId::new(), "Ada".into(), "ada@example.com".into());
        let insert = diesel::insert_into(users::table).values(&row);
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&insert).to_string();
        let statement = sql.split("-- binds").next().unwrap_or_default();
        assert_eq!(statement.matches('?').count(), USER_COLUMNS, "{sql}");
    }
}
