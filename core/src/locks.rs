//! Row locks that serialise concurrent writers on PostgreSQL.
//!
//! Every write transaction locks in one global order: users, then groups,
//! then apps (each sorted by id), so two transactions can never wait on each
//! other in a cycle. On SQLite the `BEGIN IMMEDIATE` of `write_txn!` already
//! holds the whole database, so these functions only check existence there.
//!
//! Why each lock exists:
//! - an app row is locked `FOR UPDATE` by everything that changes its seats,
//!   so the read-check-write of `assigned_seats` is atomic across replicas;
//! - a group is locked `FOR UPDATE` while its members change and `FOR SHARE`
//!   while it is assigned, so an assignment never misses a member being added;
//! - a user is locked `FOR UPDATE` while it is deleted and `FOR SHARE` while
//!   it is assigned or added to a group.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel_async::RunQueryDsl;
use std::collections::{BTreeMap, BTreeSet};

use crate::db::Conn;
use crate::error::{CoreError, CoreResult, EntityKind};
use crate::ids::*;
use crate::schema::{apps, groups, users};

/// Ids per statement: SQLite binds each id separately and allows 32,766.
const ID_CHUNK: usize = 10_000;

/// Lock strength.
#[derive(Clone, Copy)]
pub(crate) enum Mode {
    Share,
    Update,
}

/// Lock the given users; fails with `NOT_FOUND` naming the first missing id.
pub(crate) async fn users(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    ids: &[UserId],
    mode: Mode,
) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let wanted: BTreeSet<UserId> = ids.iter().copied().collect();
    let ids: Vec<UserId> = wanted.iter().copied().collect();
    let mut found: Vec<UserId> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq_any(chunk))
            .order(users::id)
            .select(users::id);
        found.extend(match (&mut *conn, mode) {
            (Conn::Pg(c), Mode::Share) => query.for_share().load::<UserId>(*c).await?,
            (Conn::Pg(c), Mode::Update) => query.for_update().load::<UserId>(*c).await?,
            (Conn::Sqlite(c), _) => query.load::<UserId>(*c).await?,
        });
    }
    first_missing(&wanted, &found, EntityKind::User)
}

/// Lock the given users `FOR SHARE` (as [`users`] does for an assignment)
/// and return, of those that exist, whether the directory has them active.
/// Missing ids are simply absent: a batch of writes decides per write.
pub(crate) async fn users_active(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    ids: &BTreeSet<UserId>,
) -> CoreResult<BTreeMap<UserId, bool>> {
    let ids: Vec<UserId> = ids.iter().copied().collect();
    let mut found = BTreeMap::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq_any(chunk))
            .order(users::id)
            .select((users::id, users::directory_active));
        let rows: Vec<(UserId, bool)> = match &mut *conn {
            Conn::Pg(c) => query.for_share().load(*c).await?,
            Conn::Sqlite(c) => query.load(*c).await?,
        };
        found.extend(rows);
    }
    Ok(found)
}

/// PostgreSQL: `query`, a SELECT from `users` that may LEFT JOIN other
/// tables, with `FOR SHARE OF users`: it takes the share lock of every
/// user row it reads (as [`users`] in [`Mode::Share`]) and no lock on the
/// joined tables (the nullable side of an outer join cannot be locked).
/// diesel's `for_share()` has no `OF`. Keep the query's `ORDER BY
/// users.id`: rows are locked in id order, the order of every lock here.
pub(crate) struct ShareUsersOf<Q>(pub Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for ShareUsersOf<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" FOR SHARE OF \"users\"");
        Ok(())
    }
}

impl<Q: Query> Query for ShareUsersOf<Q> {
    type SqlType = Q::SqlType;
}

// The text is the query's with a fixed suffix, so its static id, when it
// has one, still identifies the text (diesel caches prepared statements
// by it).
impl<Q: QueryId> QueryId for ShareUsersOf<Q> {
    type QueryId = ShareUsersOf<Q::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

/// Lock the given groups; fails with `NOT_FOUND` naming the first missing id.
pub(crate) async fn groups(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    ids: &[GroupId],
    mode: Mode,
) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let wanted: BTreeSet<GroupId> = ids.iter().copied().collect();
    let ids: Vec<GroupId> = wanted.iter().copied().collect();
    let mut found: Vec<GroupId> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let query = groups::table
            .filter(groups::tenant_id.eq(tenant))
            .filter(groups::id.eq_any(chunk))
            .order(groups::id)
            .select(groups::id);
        found.extend(match (&mut *conn, mode) {
            (Conn::Pg(c), Mode::Share) => query.for_share().load::<GroupId>(*c).await?,
            (Conn::Pg(c), Mode::Update) => query.for_update().load::<GroupId>(*c).await?,
            (Conn::Sqlite(c), _) => query.load::<GroupId>(*c).await?,
        });
    }
    first_missing(&wanted, &found, EntityKind::Group)
}

/// Lock the given apps for a seat change; fails with `NOT_FOUND` naming the
/// first missing id.
pub(crate) async fn apps(conn: &mut Conn<'_>, tenant: TenantId, ids: &[AppId]) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let wanted: BTreeSet<AppId> = ids.iter().copied().collect();
    let ids: Vec<AppId> = wanted.iter().copied().collect();
    let query = apps::table
        .filter(apps::tenant_id.eq(tenant))
        .filter(apps::id.eq_any(&ids))
        .order(apps::id)
        .select(apps::id);
    let found: Vec<AppId> = match conn {
        Conn::Pg(c) => query.for_update().load(*c).await?,
        Conn::Sqlite(c) => query.load(*c).await?,
    };
    first_missing(&wanted, &found, EntityKind::App)
}

fn first_missing<T: Ord + Copy + std::fmt::Display>(
    wanted: &BTreeSet<T>,
    found: &[T],
    entity: EntityKind,
) -> CoreResult<()> {
    let found: BTreeSet<T> = found.iter().copied().collect();
    match wanted.difference(&found).next() {
        Some(missing) => Err(CoreError::not_found(entity, missing)),
        None => Ok(()),
    }
}
