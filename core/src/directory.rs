//! Users as an identity provider sees them: provisioning, replacing and
//! looking up users by the directory's keys, for SCIM (and any other sync).
//!
//! A change from the directory is one transaction through the same seat
//! engine as the GraphQL mutations. A user the directory deactivates
//! (`directory_active = false`) gives back every seat at once, and waiting
//! users take them; their assignments and memberships stay, so
//! reactivating gives the licenses back (or a place in the queue when the
//! seats are gone meanwhile). While deactivated they take no new seat
//! (`engine::users_without_seat` leaves them out).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, insert_together, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, EntityKind, InputField};
use crate::ids::*;
use crate::licensing::LicenseChanges;
use crate::licensing::engine::{self, Overflow};
use crate::locks::{self, Mode};
use crate::model::{Actor, DirectorySource, LicenseState, User, now};
use crate::schema::{
    audit_events, group_members, license_assignments, principal_terms, user_licenses, users,
};
use crate::stored::StoredEnum as _;
use crate::users::UserRow;
use crate::{search, validate};

/// Longest external id accepted.
pub const MAX_EXTERNAL_ID_LEN: usize = 256;

/// Longest userName accepted (a user principal name is at most 113
/// characters; logins of other providers fit too).
pub const MAX_USER_NAME_LEN: usize = 256;

/// A user as the directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The directory's sign-in name (SCIM `userName`: Entra ID's user
    /// principal name, Okta's login), unique in the tenant without regard
    /// to case. `None` leaves a user without one (SCIM then answers the
    /// email as userName).
    pub user_name: Option<String>,
    /// Name shown to admins.
    pub display_name: String,
    /// Email, unique in the tenant.
    pub email: String,
    /// The directory's id for the user.
    pub external_id: Option<String>,
    /// False when the directory deactivated the user.
    pub active: bool,
    /// Department.
    pub department: Option<String>,
    /// The manager's id in the directory.
    pub manager_external_id: Option<String>,
}

/// A replaced user and what it did to seats.
#[derive(Debug, Clone)]
pub struct UserReplaced {
    /// The user as stored now.
    pub user: User,
    /// Who gained or lost licenses (deactivation, reactivation).
    pub license_changes: LicenseChanges,
}

/// Validated columns of a [`DirectoryUser`].
struct Checked {
    user_name: Option<String>,
    display_name: String,
    email: String,
    external_id: Option<String>,
    department: Option<String>,
    manager_external_id: Option<String>,
}

fn check(user: &DirectoryUser) -> CoreResult<Checked> {
    let optional = |field, value: &Option<String>, max| -> CoreResult<Option<String>> {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => validate::required(field, v, max).map(Some),
            None => Ok(None),
        }
    };
    Ok(Checked {
        user_name: optional(InputField::UserName, &user.user_name, MAX_USER_NAME_LEN)?,
        display_name: validate::required(
            InputField::DisplayName,
            &user.display_name,
            validate::MAX_NAME_LEN,
        )?,
        email: validate::email(InputField::Email, &user.email)?,
        external_id: optional(
            InputField::ExternalId,
            &user.external_id,
            MAX_EXTERNAL_ID_LEN,
        )?,
        department: optional(
            InputField::Department,
            &user.department,
            validate::MAX_NAME_LEN,
        )?,
        manager_external_id: optional(
            InputField::ExternalId,
            &user.manager_external_id,
            MAX_EXTERNAL_ID_LEN,
        )?,
    })
}

/// The unique keys of a user, as PostgreSQL names their constraints and
/// SQLite the columns in its message ("UNIQUE constraint failed:
/// users.tenant_id, users.email_key").
const EMAIL_KEY: (&str, &str) = ("users_tenant_id_email_key_key", "users.email_key");
const EXTERNAL_ID_KEY: (&str, &str) = ("users_by_external_id", "users.external_id");
const USER_NAME_KEY: (&str, &str) = ("users_by_user_name", "users.user_name_key");

/// The keys a write of a user may collide on, for the error naming the
/// one taken.
struct Keys<'a> {
    email_key: &'a str,
    external_id: Option<&'a str>,
    user_name: Option<&'a str>,
}

/// A write of a user that failed on one of its unique keys, as the
/// `AlreadyExists` naming that key; any other error as it was.
///
/// Why the database decides: a SELECT before the write cannot see a
/// concurrent request's uncommitted user, so two requests with the same
/// email both passed it and the second INSERT failed as a bare database
/// error. The unique constraints see every writer; asking them costs no
/// statement.
fn taken(error: CoreError, keys: Keys<'_>) -> CoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    let CoreError::Database(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) =
        &error
    else {
        return error;
    };
    let is = |(constraint, columns): (&str, &str)| {
        info.constraint_name() == Some(constraint) || info.message().contains(columns)
    };
    if is(EMAIL_KEY) {
        CoreError::AlreadyExists {
            field: InputField::Email,
            message: format!("another user has the email {}", keys.email_key),
        }
    } else if is(EXTERNAL_ID_KEY) {
        CoreError::AlreadyExists {
            field: InputField::ExternalId,
            message: format!(
                "another user has the external id {}",
                keys.external_id.unwrap_or_default()
            ),
        }
    } else if is(USER_NAME_KEY) {
        CoreError::AlreadyExists {
            field: InputField::UserName,
            message: format!(
                "another user has the userName {}",
                keys.user_name.unwrap_or_default()
            ),
        }
    } else {
        error
    }
}

/// A new user's row that failed its tenant's foreign key: the tenant is
/// gone (a SCIM token proves the tenant existed when it was checked).
fn tenant_gone(error: CoreError, tenant: TenantId) -> CoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        CoreError::Database(Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            CoreError::not_found(EntityKind::Tenant, tenant)
        }
        other => other,
    }
}

impl Store {
    /// Create a user from the directory (`source` says which sync).
    pub async fn provision_user(
        &self,
        tenant: TenantId,
        actor: &Actor,
        source: DirectorySource,
        user: DirectoryUser,
    ) -> CoreResult<User> {
        let checked = check(&user)?;
        let mut row = UserRow::new_manual(tenant, checked.display_name, checked.email);
        row.source = source;
        row.external_id = checked.external_id;
        row.user_name_key = checked.user_name.as_deref().map(validate::sort_key);
        row.user_name = checked.user_name;
        row.department = checked.department;
        row.manager_external_id = checked.manager_external_id;
        row.directory_active = user.active;
        row.account_enabled = user.active;
        // The user, its search terms and its audit event, and nothing
        // else: no seat changes hands, so no lock is needed and the write
        // is one statement on PostgreSQL. The unique keys refuse a taken
        // email or external id, also against a concurrent request.
        let terms = search::term_rows(
            tenant,
            &[(
                PrincipalId::User(row.id),
                row.display_name.as_str(),
                Some(row.email.as_str()),
            )],
        );
        let event = audit::event_row(
            tenant,
            actor,
            AuditAction::UserCreated,
            Target::user(row.id),
            serde_json::json!({
                "displayName": row.display_name,
                "email": row.email,
                "userName": row.user_name,
                "source": source.stored(),
            }),
        );
        insert_together!(self,
            users::table => vec![row.clone()],
            principal_terms::table => terms,
            audit_events::table => vec![event],
        )
        .map_err(|e| {
            taken(
                e,
                Keys {
                    email_key: &row.email_key,
                    external_id: row.external_id.as_deref(),
                    user_name: row.user_name.as_deref(),
                },
            )
        })
        .map_err(|e| tenant_gone(e, tenant))?;
        Ok(row.into())
    }

    /// Replace a user's directory attributes. With `if_version`, refuse
    /// (`VersionMismatch`) unless the stored version is that one.
    /// Deactivating gives back every seat and blocks sign-in; reactivating
    /// takes the seats again and allows sign-in; an update that leaves
    /// `active` as it was keeps sign-in as it was (an admin's block stays).
    pub async fn replace_directory_user(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: UserId,
        user: DirectoryUser,
        if_version: Option<i64>,
    ) -> CoreResult<UserReplaced> {
        let checked = check(&user)?;
        let email_key = validate::sort_key(&checked.email);
        let user_name_key = checked.user_name.as_deref().map(validate::sort_key);
        write_txn!(self, conn => {
            locks::users(conn, tenant, &[id], Mode::Update).await?;
            let before: UserRow = on_conn!(conn, c => users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::id.eq(id))
                .first(c)
                .await)?;
            if let Some(expected) = if_version
                && expected != before.version
            {
                return Err(CoreError::VersionMismatch { entity: EntityKind::User, current: before.version });
            }
            // Providers resend unchanged users (Entra ID's periodic
            // PATCHes): nothing to write, no audit entry, and the ETag a
            // client holds stays valid.
            let unchanged = before.display_name == checked.display_name
                && before.email == checked.email
                && before.external_id == checked.external_id
                && before.user_name == checked.user_name
                && before.department == checked.department
                && before.manager_external_id == checked.manager_external_id
                && before.directory_active == user.active;
            if unchanged {
                return Ok(UserReplaced { user: before.into(), license_changes: LicenseChanges::new() });
            }
            let mut license_changes = LicenseChanges::new();
            if before.directory_active && !user.active {
                release_seats(conn, tenant, id, &mut license_changes).await?;
            } else if !before.directory_active && user.active {
                take_seats(conn, tenant, id, &mut license_changes).await?;
            }
            // Sign-in follows the directory's transitions only: a routine
            // update (`active` as it was) keeps an admin's sign-in block.
            let account_enabled = if before.directory_active == user.active {
                before.account_enabled
            } else {
                user.active
            };
            let at = now();
            let update = diesel::update(users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::id.eq(id)))
                .set((
                    users::display_name.eq(&checked.display_name),
                    users::name_key.eq(validate::sort_key(&checked.display_name)),
                    users::email.eq(&checked.email),
                    users::email_key.eq(&email_key),
                    users::external_id.eq(&checked.external_id),
                    users::user_name.eq(&checked.user_name),
                    users::user_name_key.eq(&user_name_key),
                    users::department.eq(&checked.department),
                    users::manager_external_id.eq(&checked.manager_external_id),
                    users::directory_active.eq(user.active),
                    users::account_enabled.eq(account_enabled),
                    users::version.eq(before.version + 1),
                    users::updated_at.eq(at),
                ));
            on_conn!(conn, c => update.execute(c).await)
                .map_err(|e| taken(e.into(), Keys {
                    email_key: &email_key,
                    external_id: checked.external_id.as_deref(),
                    user_name: checked.user_name.as_deref(),
                }))?;
            if before.display_name != checked.display_name || before.email != checked.email {
                search::unindex(conn, tenant, AnyId(id.0)).await?;
                search::index(conn, tenant, PrincipalId::User(id), &checked.display_name, Some(&checked.email)).await?;
            }
            audit::record(conn, tenant, actor, AuditAction::UserUpdated, Target::user(id), serde_json::json!({
                "displayName": checked.display_name,
                "email": checked.email,
                "userName": checked.user_name,
                "active": user.active,
                "licensesReleased": license_changes.apps().map(|(_, c)| c.lost().len()).sum::<usize>(),
            })).await?;
            let after: UserRow = on_conn!(conn, c => users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::id.eq(id))
                .first(c)
                .await)?;
            crate::events::record_license_changes(conn, tenant, &license_changes).await?;
            Ok(UserReplaced { user: after.into(), license_changes })
        })
    }

    /// The user the directory knows by `external_id`, if any.
    pub async fn user_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> CoreResult<Option<User>> {
        let external_id = external_id.to_owned();
        read_conn!(self, conn => {
            let row: Option<UserRow> = on_conn!(conn, c => users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::external_id.eq(&external_id))
                .first(c)
                .await
                .optional())?;
            Ok(row.map(User::from))
        })
    }

    /// The users a directory finds by `user_name` (compared without
    /// regard to case, as SCIM's `userName` is): the one stored with that
    /// userName, and a user stored without one whose email it is (users
    /// created in the console, by CSV, or before userName was kept, whose
    /// SCIM userName is their email). At most two, in id order.
    pub async fn users_by_user_name(
        &self,
        tenant: TenantId,
        user_name: &str,
    ) -> CoreResult<Vec<User>> {
        let key = validate::sort_key(user_name);
        read_conn!(self, conn => {
            let rows: Vec<UserRow> = on_conn!(conn, c => users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(
                    users::user_name_key.eq(&key).or(users::user_name_key
                        .is_null()
                        .and(users::email_key.eq(&key))),
                )
                .order(users::id)
                .load(c)
                .await)?;
            Ok(rows.into_iter().map(User::from).collect())
        })
    }

    /// The user with `email` (compared case-insensitively), if any.
    pub async fn user_by_email(&self, tenant: TenantId, email: &str) -> CoreResult<Option<User>> {
        let email_key = validate::sort_key(email.trim());
        read_conn!(self, conn => {
            let row: Option<UserRow> = on_conn!(conn, c => users::table
                .filter(users::tenant_id.eq(tenant))
                .filter(users::email_key.eq(&email_key))
                .first(c)
                .await
                .optional())?;
            Ok(row.map(User::from))
        })
    }

    /// Up to `limit` users in id order after `after`: a stable walk over
    /// every user, for directory paging and filtering.
    pub async fn users_in_id_order(
        &self,
        tenant: TenantId,
        after: Option<UserId>,
        limit: i64,
    ) -> CoreResult<Vec<User>> {
        read_conn!(self, conn => {
            let rows: Vec<UserRow> = on_conn!(conn, c => {
                let mut q = users::table.filter(users::tenant_id.eq(tenant)).into_boxed();
                if let Some(after) = after {
                    q = q.filter(users::id.gt(after));
                }
                q.order(users::id).limit(limit).load(c).await
            })?;
            Ok(rows.into_iter().map(User::from).collect())
        })
    }

    /// Up to `limit` users in id order, skipping the first `offset`: SCIM's
    /// `startIndex` paging.
    pub async fn users_at_offset(
        &self,
        tenant: TenantId,
        offset: i64,
        limit: i64,
    ) -> CoreResult<Vec<User>> {
        read_conn!(self, conn => {
            let rows: Vec<UserRow> = on_conn!(conn, c => users::table
                .filter(users::tenant_id.eq(tenant))
                .order(users::id)
                .offset(offset)
                .limit(limit)
                .load(c)
                .await)?;
            Ok(rows.into_iter().map(User::from).collect())
        })
    }

    /// How many users the tenant has.
    pub async fn user_count(&self, tenant: TenantId) -> CoreResult<i64> {
        read_conn!(self, conn => {
            Ok(on_conn!(conn, c => users::table
                .filter(users::tenant_id.eq(tenant))
                .count()
                .get_result(c)
                .await)?)
        })
    }
}

/// Give back every seat (and every place in a queue) `user` holds; waiting
/// users take the seats.
async fn release_seats(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    user: UserId,
    changes: &mut LicenseChanges,
) -> CoreResult<()> {
    let held = user_licenses::table
        .filter(user_licenses::tenant_id.eq(tenant))
        .filter(user_licenses::user_id.eq(user))
        .select(user_licenses::app_id);
    let apps: Vec<AppId> = on_conn!(conn, c => held.load(c).await)?;
    locks::apps(conn, tenant, &apps).await?;
    let delete = diesel::delete(
        user_licenses::table
            .filter(user_licenses::tenant_id.eq(tenant))
            .filter(user_licenses::user_id.eq(user)),
    )
    .returning((user_licenses::app_id, user_licenses::state));
    let released: Vec<(AppId, LicenseState)> = on_conn!(conn, c => delete.load(c).await)?;
    for (app, state) in released {
        changes.record_lost(app, [user]);
        if state == LicenseState::Active {
            engine::add_assigned(conn, tenant, app, -1).await?;
            let resolved = engine::resolve_waiting(conn, tenant, app).await?;
            changes.record_gained(app, resolved);
        }
    }
    Ok(())
}

/// Take the seats of every app `user` is assigned, directly or through a
/// group; without a free seat the user waits in `COUNT_VIOLATION`.
async fn take_seats(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    user: UserId,
    changes: &mut LicenseChanges,
) -> CoreResult<()> {
    let groups = group_members::table
        .filter(group_members::tenant_id.eq(tenant))
        .filter(group_members::user_id.eq(user))
        .select(group_members::group_id);
    let groups: Vec<GroupId> = on_conn!(conn, c => groups.load(c).await)?;
    // Hold the memberships still while the user's seats are granted from
    // them (lock order: users, groups, apps).
    locks::groups(conn, tenant, &groups, Mode::Share).await?;
    let mut principals: Vec<AnyId> = groups.iter().map(|g| AnyId(g.0)).collect();
    principals.push(AnyId(user.0));
    let assigned = license_assignments::table
        .filter(license_assignments::tenant_id.eq(tenant))
        .filter(license_assignments::principal_id.eq_any(&principals))
        .select(license_assignments::app_id)
        .distinct();
    let mut apps: Vec<AppId> = on_conn!(conn, c => assigned.load(c).await)?;
    apps.sort();
    locks::apps(conn, tenant, &apps).await?;
    // The user is active again (set by the caller after this returns), so
    // mark it first: the engine leaves deactivated users out.
    let reactivate = diesel::update(
        users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq(user)),
    )
    .set(users::directory_active.eq(true));
    on_conn!(conn, c => reactivate.execute(c).await)?;
    for app in apps {
        let candidates = engine::users_without_seat(conn, tenant, app, &[user], &[]).await?;
        let granted = engine::grant(conn, tenant, app, &candidates, Overflow::RecordError).await?;
        changes.record_gained(app, granted.activated.iter().copied());
    }
    Ok(())
}
