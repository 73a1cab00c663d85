//! Several INSERTs sent to PostgreSQL as one statement.
//!
//! Why: a write of a few rows into different tables (a provisioned user,
//! its search terms, its audit event) costs BEGIN, one INSERT per table and
//! COMMIT, each a round trip and a statement the server parses and logs.
//! PostgreSQL runs data-modifying statements inside `WITH` as parts of one
//! statement, which is atomic on its own: all rows are written or none
//! (a unique or foreign-key violation in any part fails the whole), with
//! no explicit transaction. SQLite has no data-modifying `WITH`, so
//! [`insert_together!`](crate::db::insert_together) runs the same INSERTs
//! in a `BEGIN IMMEDIATE` transaction there.
//!
//! Each part is an ordinary diesel statement (type-checked against its
//! table); this only joins their SQL as `WITH s0 AS (a), s1 AS (b) c`.
//! Binds are numbered across the parts by diesel's bind collector.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;

/// One part of a [`OneStatement`].
pub(crate) type Part<'a> = Box<dyn QueryFragment<Pg> + Send + 'a>;

/// Data-modifying statements joined into one PostgreSQL statement (see the
/// module documentation). Run it with `diesel_async::RunQueryDsl::execute`;
/// the count it answers is the last part's.
pub(crate) struct OneStatement<'a> {
    parts: Vec<Part<'a>>,
}

impl<'a> OneStatement<'a> {
    /// The statements, in the order they are written; at least one.
    pub(crate) fn new(parts: Vec<Part<'a>>) -> Self {
        Self { parts }
    }
}

impl QueryFragment<Pg> for OneStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let Some((last, first)) = self.parts.split_last() else {
            return Err(diesel::result::Error::QueryBuilderError(
                "a statement needs at least one part".into(),
            ));
        };
        for (i, part) in first.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("s{i} AS ("));
            part.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if !first.is_empty() {
            out.push_sql(" ");
        }
        last.walk_ast(out.reborrow())
    }
}

// The SQL depends on the parts (e.g. how many rows each inserts), so there
// is no static id; diesel-async caches the prepared statement by its text.
impl QueryId for OneStatement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{audit_events, tenants};
    use diesel::prelude::*;

    #[test]
    fn parts_become_common_table_expressions_of_the_last() {
        let at = chrono::NaiveDateTime::default();
        let statement = OneStatement::new(vec![
            Box::new(diesel::insert_into(tenants::table).values((
                tenants::tenant_id.eq(crate::ids::TenantId(uuid::Uuid::nil())),
                tenants::name.eq("a"),
                tenants::created_at.eq(at),
            ))),
            Box::new(diesel::delete(
                audit_events::table.filter(audit_events::actor.eq("b")),
            )),
        ]);
        let sql = diesel::debug_query::<Pg, _>(&statement).to_string();
        assert!(
            sql.starts_with(
                "WITH s0 AS (INSERT INTO \"tenants\" (\"tenant_id\", \"name\", \"created_at\") \
                 VALUES ($1, $2, $3)) DELETE FROM \"audit_events\" WHERE (\"audit_events\".\"actor\" = $4)"
            ),
            "{sql}"
        );
    }
}
