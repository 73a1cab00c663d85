//! The principal typeahead: users and groups together, matched at the start
//! of the display name, of any later word in it, or of the email.
//!
//! Each principal stores its searchable terms, lower-cased, in
//! `principal_terms`; a query is one range scan `term >= q AND term < q+∞`
//! on the `(tenant_id, term)` key, which both backends answer from the index
//! (PostgreSQL's column uses the "C" collation so ranges follow byte order).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;

use crate::db::{Conn, Store, custom_plan, insert_rows, on_conn, read_conn};
use crate::error::CoreResult;
use crate::ids::*;
use crate::model::Principal;
use crate::schema::principal_terms;
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

impl Store {
    /// Users and groups whose name or email starts with `query` (or a later
    /// word of the name does), best matches first: name starts, then later
    /// words, then emails; ties by name. At most `limit` (capped at
    /// [`MAX_SEARCH_RESULTS`]); an empty query finds nothing.
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
        let hits: Vec<(PrincipalKind, AnyId, i16, String)> = read_conn!(self, conn => {
            let q = principal_terms::table
                .filter(principal_terms::tenant_id.eq(tenant))
                .filter(principal_terms::term.ge(&prefix))
                .filter(principal_terms::term.lt(&upper))
                .group_by((principal_terms::principal_kind, principal_terms::principal_id, principal_terms::name_key))
                .select((
                    principal_terms::principal_kind,
                    principal_terms::principal_id,
                    diesel::dsl::min(principal_terms::rank).assume_not_null(),
                    principal_terms::name_key,
                ))
                .order((
                    diesel::dsl::min(principal_terms::rank),
                    principal_terms::name_key,
                    principal_terms::principal_id,
                ))
                .limit(limit as i64);
            Ok(on_conn!(conn, c => q.load(c).await)?)
        })?;
        let users: Vec<UserId> = hits
            .iter()
            .filter(|h| h.0 == PrincipalKind::User)
            .map(|h| UserId(h.1.0))
            .collect();
        let groups: Vec<GroupId> = hits
            .iter()
            .filter(|h| h.0 == PrincipalKind::Group)
            .map(|h| GroupId(h.1.0))
            .collect();
        let mut users: HashMap<UserId, _> = self
            .users_by_ids(tenant, &users)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut groups: HashMap<GroupId, _> = self
            .groups_by_ids(tenant, &groups)
            .await?
            .into_iter()
            .map(|g| (g.id, g))
            .collect();
        Ok(hits
            .into_iter()
            .filter_map(|(kind, id, _, _)| match kind {
                PrincipalKind::User => users.remove(&UserId(id.0)).map(Principal::User),
                PrincipalKind::Group => groups.remove(&GroupId(id.0)).map(Principal::Group),
            })
            .collect())
    }
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
