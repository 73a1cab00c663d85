//! The principal typeahead: users and groups together, matched at the start
//! of the display name, of any later word in it, or of the email.
//!
//! Each principal stores its searchable terms, lower-cased, in
//! `principal_terms`; a query is a range scan `term >= q AND term < q+∞`
//! on the `(tenant_id, term)` key, which both backends answer from the index
//! (PostgreSQL's column uses the "C" collation so ranges follow byte order).
//! Name starts come first and are read in index order, so a full page
//! usually costs one statement that reads `limit` rows (see
//! [`Store::search_principals`]).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;

use crate::db::{Conn, Store, custom_plan, insert_rows, load_rows, on_conn, read_conn};
use crate::error::CoreResult;
use crate::groups::GroupRow;
use crate::ids::*;
use crate::model::Principal;
use crate::schema::{groups, principal_terms, users};
use crate::users::UserRow;
use crate::validate::sort_key;

/// The most hits one typeahead query returns.
pub const MAX_SEARCH_RESULTS: usize = 50;

const RANK_NAME_START: i16 = 0;
const RANK_LATER_WORD: i16 = 1;
const RANK_EMAIL: i16 = 2;

/// One searchable term of a principal.
#[derive(Insertable)]
#[diesel(table_name = principal_terms, treat_none_as_default_value = false)]
pub(crate) struct TermRow {
    tenant_id: TenantId,
    term: String,
    principal_kind: PrincipalKind,
    principal_id: AnyId,
    rank: i16,
    name_key: String,
}

/// The terms of a principal: its whole name, the name from each later word
/// on (so "smi" and "smith jo" both find "John Smith Jones"), and its email.
fn terms(display_name: &str, email: Option<&str>) -> Vec<(String, i16)> {
    let name = sort_key(display_name);
    let mut out = vec![(name.clone(), RANK_NAME_START)];
    let mut offset = 0;
    for word in name.split_whitespace() {
        let start = name[offset..].find(word).map_or(offset, |i| offset + i);
        if start > 0 {
            out.push((name[start..].to_owned(), RANK_LATER_WORD));
        }
        offset = start + word.len();
    }
    if let Some(email) = email {
        out.push((sort_key(email), RANK_EMAIL));
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Rows per INSERT of terms (6 binds each).
const TERM_CHUNK: usize = 2_000;

/// A principal to index: its id, display name and (for users) email.
pub(crate) type Indexed<'a> = (PrincipalId, &'a str, Option<&'a str>);

/// Store the terms of a new principal.
pub(crate) async fn index(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    principal: PrincipalId,
    display_name: &str,
    email: Option<&str>,
) -> CoreResult<()> {
    index_many(conn, tenant, &[(principal, display_name, email)]).await
}

/// Store the terms of many new principals, a few statements in all.
pub(crate) async fn index_many(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    principals: &[Indexed<'_>],
) -> CoreResult<()> {
    let mut rows = term_rows(tenant, principals);
    // In the primary key's order: a bulk insert then walks the key's index
    // from one end to the other, touching each of its pages once, where
    // rows in the callers' order would land on random pages (with SQLite's
    // bounded page cache, read back and written again once per row).
    rows.sort_unstable_by(|a, b| (&a.term, a.principal_id).cmp(&(&b.term, b.principal_id)));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<TermRow> = rows.by_ref().take(TERM_CHUNK).collect();
        insert_rows!(conn, principal_terms::table, chunk)?;
    }
    Ok(())
}

/// The `principal_terms` rows of new principals, for a caller that writes
/// them together with other rows (`db::insert_together!`).
pub(crate) fn term_rows(tenant: TenantId, principals: &[Indexed<'_>]) -> Vec<TermRow> {
    principals
        .iter()
        .flat_map(|(principal, display_name, email)| {
            let name_key = sort_key(display_name);
            terms(display_name, *email)
                .into_iter()
                .map(move |(term, rank)| TermRow {
                    tenant_id: tenant,
                    term,
                    principal_kind: principal.kind(),
                    principal_id: principal.any(),
                    rank,
                    name_key: name_key.clone(),
                })
        })
        .collect()
}

/// Forget the terms of a deleted principal.
pub(crate) async fn unindex(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    principal: AnyId,
) -> CoreResult<()> {
    let delete = diesel::delete(
        principal_terms::table
            .filter(principal_terms::tenant_id.eq(tenant))
            .filter(principal_terms::principal_id.eq(principal)),
    );
    on_conn!(conn, c => delete.execute(c).await)?;
    Ok(())
}

/// Replace the terms of a renamed principal (or a user whose email
/// changed), so the typeahead finds it by its new name only.
pub(crate) async fn reindex(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    principal: PrincipalId,
    display_name: &str,
    email: Option<&str>,
) -> CoreResult<()> {
    unindex(conn, tenant, principal.any()).await?;
    index(conn, tenant, principal, display_name, email).await
}

/// Forget the terms of many principals (before indexing them anew).
pub(crate) async fn unindex_many(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    principals: &[AnyId],
) -> CoreResult<()> {
    for chunk in principals.chunks(10_000) {
        let delete = diesel::delete(
            principal_terms::table
                .filter(principal_terms::tenant_id.eq(tenant))
                .filter(custom_plan(principal_terms::principal_id.eq_any(chunk))),
        );
        on_conn!(conn, c => delete.execute(c).await)?;
    }
    Ok(())
}

/// A matching principal with its row: what the first tier's joined query
/// returns.
type JoinedHit = (PrincipalKind, AnyId, Option<UserRow>, Option<GroupRow>);

impl Store {
    /// Users and groups whose name or email starts with `query` (or a later
    /// word of the name does), best matches first: name starts, then later
    /// words, then emails; ties by name. At most `limit` (capped at
    /// [`MAX_SEARCH_RESULTS`]); an empty query finds nothing.
    ///
    /// Answered in tiers, on one connection. A principal's whole-name term
    /// equals its `name_key`, so the name-start tier in `(term,
    /// principal_id)` order is already in result order: one range scan of
    /// the primary key that stops after `limit` rows, joined to the users
    /// and groups it names. Only when that tier is short do the later-word
    /// and email matches need the grouped, sorted query, which visits every
    /// match of the prefix (a two-letter prefix matches thousands of terms
    /// in a large directory; the first tier almost always fills the page).
    pub async fn search_principals(
        &self,
        tenant: TenantId,
        query: &str,
        limit: usize,
    ) -> CoreResult<Vec<Principal>> {
        let prefix = sort_key(query);
        let limit = limit.clamp(1, MAX_SEARCH_RESULTS);
        if prefix.is_empty() {
            return Ok(Vec::new());
        }
        // Every string starting with `prefix` sorts below `prefix` + U+10FFFF.
        let upper = format!("{prefix}\u{10FFFF}");
        read_conn!(self, conn => {
            let mut found: Vec<Principal> = name_starts(conn, tenant, &prefix, &upper, limit)
                .await?
                .into_iter()
                .filter_map(|(kind, _, user, group)| match kind {
                    PrincipalKind::User => user.map(|u| Principal::User(u.into())),
                    PrincipalKind::Group => group.map(|g| Principal::Group(g.into())),
                })
                .collect();
            if found.len() < limit {
                let seen: Vec<AnyId> = found.iter().map(principal_any_id).collect();
                let more = later_matches(conn, tenant, &prefix, &upper, &seen, limit - found.len()).await?;
                found.extend(more);
            }
            Ok(found)
        })
    }
}

fn principal_any_id(principal: &Principal) -> AnyId {
    match principal {
        Principal::User(u) => AnyId(u.id.0),
        Principal::Group(g) => AnyId(g.id.0),
    }
}

/// The first `limit` principals whose name starts with the prefix, in
/// name order, with their rows: one statement.
async fn name_starts(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    prefix: &str,
    upper: &str,
    limit: usize,
) -> CoreResult<Vec<JoinedHit>> {
    // The typeahead's hot read: its rows decoded once on SQLite
    // (`load_rows!`), so the range's bounds are owned.
    let query = principal_terms::table
        .left_join(
            users::table.on(principal_terms::principal_kind
                .eq(PrincipalKind::User)
                .and(users::tenant_id.eq(principal_terms::tenant_id))
                .and(users::id.eq(principal_terms::principal_id))),
        )
        .left_join(
            groups::table.on(principal_terms::principal_kind
                .eq(PrincipalKind::Group)
                .and(groups::tenant_id.eq(principal_terms::tenant_id))
                .and(groups::id.eq(principal_terms::principal_id))),
        )
        .filter(principal_terms::tenant_id.eq(tenant))
        .filter(principal_terms::term.ge(prefix.to_owned()))
        .filter(principal_terms::term.lt(upper.to_owned()))
        .filter(principal_terms::rank.eq(RANK_NAME_START))
        .order((principal_terms::term, principal_terms::principal_id))
        .limit(limit as i64)
        .select((
            principal_terms::principal_kind,
            principal_terms::principal_id,
            users::all_columns.nullable(),
            groups::all_columns.nullable(),
        ));
    Ok(load_rows!(conn, query => JoinedHit)?)
}

/// Up to `limit` principals matched only by a later word of their name or
/// by their email (none of `seen`), best first: the grouped query, then
/// their rows.
async fn later_matches(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    prefix: &str,
    upper: &str,
    seen: &[AnyId],
    limit: usize,
) -> CoreResult<Vec<Principal>> {
    let hits: Vec<(PrincipalKind, AnyId)> = on_conn!(conn, c => principal_terms::table
        .filter(principal_terms::tenant_id.eq(tenant))
        .filter(principal_terms::term.ge(prefix))
        .filter(principal_terms::term.lt(upper))
        .filter(principal_terms::rank.gt(RANK_NAME_START))
        .filter(principal_terms::principal_id.ne_all(seen))
        .group_by((principal_terms::principal_kind, principal_terms::principal_id, principal_terms::name_key))
        .select((principal_terms::principal_kind, principal_terms::principal_id))
        .order((
            diesel::dsl::min(principal_terms::rank),
            principal_terms::name_key,
            principal_terms::principal_id,
        ))
        .limit(limit as i64)
        .load(c)
        .await)?;
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let user_ids: Vec<UserId> = hits
        .iter()
        .filter(|h| h.0 == PrincipalKind::User)
        .map(|h| UserId(h.1.0))
        .collect();
    let group_ids: Vec<GroupId> = hits
        .iter()
        .filter(|h| h.0 == PrincipalKind::Group)
        .map(|h| GroupId(h.1.0))
        .collect();
    let mut users: HashMap<UserId, UserRow> = HashMap::new();
    if !user_ids.is_empty() {
        let query = users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq_any(&user_ids))
            .select(users::all_columns);
        let rows: Vec<UserRow> = on_conn!(conn, c => query.load(c).await)?;
        users.extend(rows.into_iter().map(|u| (u.id, u)));
    }
    let mut groups: HashMap<GroupId, GroupRow> = HashMap::new();
    if !group_ids.is_empty() {
        let query = groups::table
            .filter(groups::tenant_id.eq(tenant))
            .filter(groups::id.eq_any(&group_ids))
            .select(groups::all_columns);
        let rows: Vec<GroupRow> = on_conn!(conn, c => query.load(c).await)?;
        groups.extend(rows.into_iter().map(|g| (g.id, g)));
    }
    Ok(hits
        .into_iter()
        .filter_map(|(kind, id)| match kind {
            PrincipalKind::User => users
                .remove(&UserId(id.0))
                .map(|u| Principal::User(u.into())),
            PrincipalKind::Group => groups
                .remove(&GroupId(id.0))
                .map(|g| Principal::Group(g.into())),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_cover_name_later_words_and_email() {
        let t = terms("Ada  King Lovelace", Some("Ada@Example.com"));
        let words: Vec<&str> = t.iter().map(|(w, _)| w.as_str()).collect();
        assert!(words.contains(&"ada  king lovelace"));
        assert!(words.contains(&"king lovelace"));
        assert!(words.contains(&"lovelace"));
        assert!(words.contains(&"ada@example.com"));
    }
}
