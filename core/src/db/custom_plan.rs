//! Lookups by a large key set (`key = ANY($keys)`), planned with their keys.
//!
//! diesel-async prepares and caches every statement whose SQL is fixed, and
//! PostgreSQL switches a cached statement to a *generic* plan (one made
//! without the parameters' values) after five executions. For
//! `tenant_id = $1 AND email_key = ANY($2)` the generic plan made while the
//! table is small or empty (a directory import's first batches, before
//! autovacuum has analysed it) walks the tenant's rows and compares each
//! with every element of the array: rows × keys comparisons per statement.
//! That made a 100,000-user CSV import on PostgreSQL quadratic (50 s, the
//! lookups of the last batch alone taking seconds). A statement diesel may
//! not cache is prepared for one execution and planned with the array's
//! values (a custom plan): PostgreSQL then probes the index once per key or
//! hashes the array, linear in rows + keys, whatever the statistics say.
//! The price is one planning per execution, nothing next to a batch.
//!
//! SQLite is unaffected: diesel binds each key of `IN (?, ?, …)`
//! separately and never caches those statements anyway.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;

/// `expr`, in a statement that is planned for each execution (never cached
/// as a prepared statement). Wrap the `eq_any` of bulk lookups in it.
pub(crate) fn custom_plan<E>(expr: E) -> CustomPlan<E> {
    CustomPlan(expr)
}

/// See [`custom_plan`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CustomPlan<E>(E);

impl<E: Expression> Expression for CustomPlan<E> {
    type SqlType = E::SqlType;
}

impl<E, DB> QueryFragment<DB> for CustomPlan<E>
where
    DB: Backend,
    E: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        pass.unsafe_to_cache_prepared();
        self.0.walk_ast(pass)
    }
}

impl<E> QueryId for CustomPlan<E> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<E: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for CustomPlan<E> {}

impl<E: SelectableExpression<QS>, QS> SelectableExpression<QS> for CustomPlan<E> {}

impl<E: ValidGrouping<GB>, GB> ValidGrouping<GB> for CustomPlan<E> {
    type IsAggregate = E::IsAggregate;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::users;
    use diesel::pg::Pg;
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    #[test]
    fn a_wrapped_lookup_is_never_cached_and_reads_the_same() {
        let keys = vec!["ada@example.com".to_owned()];
        let plain = users::table
            .filter(users::email_key.eq_any(&keys))
            .select(users::id);
        let wrapped = users::table
            .filter(custom_plan(users::email_key.eq_any(&keys)))
            .select(users::id);
        // The plain lookup is what PostgreSQL would cache (and later plan
        // generically); the wrapped one is prepared anew each time.
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&plain, &Pg).unwrap());
        assert!(!QueryFragment::<Pg>::is_safe_to_cache_prepared(&wrapped, &Pg).unwrap());
        assert!(!QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&wrapped, &Sqlite).unwrap());
        assert_eq!(
            diesel::debug_query::<Pg, _>(&plain).to_string(),
            diesel::debug_query::<Pg, _>(&wrapped).to_string()
        );
    }
}
