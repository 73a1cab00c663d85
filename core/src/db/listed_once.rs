//! `column IN (subquery)` with an uncorrelated subquery that PostgreSQL
//! runs once, before it plans the rest: `column = ANY(ARRAY(subquery))`.
//!
//! PostgreSQL pulls a plain `IN (subquery)` up into the statement's joins
//! and orders them by its statistics. Where those are stale (an app that
//! had no holders when the tables were last analysed, then a group of
//! 10,000 assigned to it), it may probe the subquery's table once for
//! every row of the outer query: unassigning that group checked each
//! member's dozen memberships against the app's assignments, 120,562
//! probes and 150 ms. As `ARRAY(…)` the subquery is an init plan, run
//! once; the outer query then tests each row against its short result.
//! Use it only where that result is short (an app's group assignments);
//! the array is held in memory.
//!
//! SQLite already runs an uncorrelated `IN (subquery)` once into a
//! temporary index, so there it stays `IN (subquery)`.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::Bool;
use diesel::sqlite::Sqlite;

/// `left IN (subquery)`, the subquery run once (see the module's
/// documentation). `subquery` must not refer to the outer query.
pub(crate) fn in_listed_once<L, S>(left: L, subquery: S) -> InListedOnce<L, S> {
    InListedOnce { left, subquery }
}

/// See [`in_listed_once`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct InListedOnce<L, S> {
    left: L,
    subquery: S,
}

impl<L, S> Expression for InListedOnce<L, S> {
    type SqlType = Bool;
}

impl<L: QueryFragment<Pg>, S: QueryFragment<Pg>> QueryFragment<Pg> for InListedOnce<L, S> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.left.walk_ast(pass.reborrow())?;
        pass.push_sql(" = ANY(ARRAY(");
        self.subquery.walk_ast(pass.reborrow())?;
        pass.push_sql("))");
        Ok(())
    }
}

impl<L: QueryFragment<Sqlite>, S: QueryFragment<Sqlite>> QueryFragment<Sqlite>
    for InListedOnce<L, S>
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.left.walk_ast(pass.reborrow())?;
        pass.push_sql(" IN (");
        self.subquery.walk_ast(pass.reborrow())?;
        pass.push_sql(")");
        Ok(())
    }
}

impl<L: QueryId, S: QueryId> QueryId for InListedOnce<L, S> {
    type QueryId = InListedOnce<L::QueryId, S::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = L::HAS_STATIC_QUERY_ID && S::HAS_STATIC_QUERY_ID;
}

// The subquery is uncorrelated, so only `left` decides where the
// expression may appear.
impl<L: AppearsOnTable<QS>, S, QS> AppearsOnTable<QS> for InListedOnce<L, S> {}

impl<L: SelectableExpression<QS>, S, QS> SelectableExpression<QS> for InListedOnce<L, S> {}

impl<L: ValidGrouping<GB>, S, GB> ValidGrouping<GB> for InListedOnce<L, S> {
    type IsAggregate = L::IsAggregate;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{group_members, license_assignments};
    use diesel::prelude::*;

    #[test]
    fn postgres_lists_the_subquery_once_and_sqlite_keeps_in() {
        let groups = license_assignments::table
            .filter(license_assignments::app_id.eq(crate::ids::AppId(uuid::Uuid::nil())))
            .select(license_assignments::principal_id);
        let members = group_members::table
            .filter(in_listed_once(group_members::group_id, groups))
            .select(group_members::user_id);
        let pg = diesel::debug_query::<Pg, _>(&members).to_string();
        let sqlite = diesel::debug_query::<Sqlite, _>(&members).to_string();
        assert!(
            pg.contains(r#""group_members"."group_id" = ANY(ARRAY(SELECT"#),
            "{pg}"
        );
        assert!(
            sqlite.contains(r#"`group_members`.`group_id` IN (SELECT"#),
            "{sqlite}"
        );
    }
}
