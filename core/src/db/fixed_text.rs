//! Statements diesel would prepare anew every time although their text
//! never changes.
//!
//! diesel refuses to cache any `UPDATE` or `ON CONFLICT DO UPDATE` (a
//! changeset's `Option` fields can change the text, and it would rather not
//! fill the cache with variants). On PostgreSQL such a statement then costs
//! a round trip of its own to prepare it, and a parse and plan, in every
//! transaction: the statement log showed the seat counter's `UPDATE … RETURNING`
//! prepared anew under a new name in every assignment and unassignment.
//!
//! [`FixedText`] wraps a statement whose text is the same every time (no
//! `Option` in its changeset, no list whose length varies) and lets the
//! connection's statement cache keep it, keyed by its SQL text: a variant
//! text would be a cache entry of its own, never a wrong plan.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// `statement`, prepared once per connection (see the module's
/// documentation). Only for statements whose text never varies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FixedText<Q>(pub Q);

impl<Q, DB> QueryFragment<DB> for FixedText<Q>
where
    Q: QueryFragment<DB>,
    DB: Backend,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

// Keyed by the SQL text, not by a type: the cache tells variants apart.
impl<Q> QueryId for FixedText<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for FixedText<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> diesel::RunQueryDsl<Conn> for FixedText<Q> {}

/// Statements prepared on this PostgreSQL connection whose text starts
/// with `like`: what the tests of statements kept prepared count.
#[cfg(test)]
pub(crate) async fn prepared_like(
    conn: &mut crate::db::Conn<'_>,
    like: &str,
) -> crate::error::CoreResult<i64> {
    use diesel::QueryableByName;
    use diesel::sql_types::{BigInt, Text};
    use diesel_async::RunQueryDsl;

    #[derive(QueryableByName)]
    struct Prepared {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let crate::db::Conn::Pg(c) = conn else {
        unreachable!("PostgreSQL only");
    };
    let count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE $1",
    )
    .bind::<Text, _>(like);
    Ok(count.get_result::<Prepared>(*c).await?.n)
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    use super::FixedText;
    use crate::db::{Conn, Store, StoreOptions, write_txn};
    use crate::error::CoreResult;
    use crate::model::Actor;
    use crate::schema::tenants;
    use crate::testing::TestDatabase;

    /// Rename the tenant three times in one transaction (so on one
    /// connection), the statement wrapped or not; the statements this
    /// connection prepared for it.
    async fn renames(
        store: &Store,
        tenant: crate::ids::TenantId,
        wrapped: bool,
    ) -> CoreResult<i64> {
        write_txn!(store, conn => {
            for name in ["First", "Second", "Third"] {
                let update = diesel::update(tenants::table.filter(tenants::tenant_id.eq(tenant)))
                    .set(tenants::name.eq(name));
                let Conn::Pg(c) = &mut *conn else { unreachable!("PostgreSQL only") };
                if wrapped {
                    FixedText(update).execute(*c).await?;
                } else {
                    update.execute(*c).await?;
                }
            }
            super::prepared_like(conn, "UPDATE \"tenants\" SET \"name\"%").await
        })
    }

    /// diesel prepares an UPDATE for one use and drops it; wrapped, it is
    /// prepared once and kept for the connection's next transactions.
    #[tokio::test]
    async fn a_fixed_text_update_is_prepared_once_per_connection() {
        let Some(db) = TestDatabase::postgres().await else {
            return;
        };
        let store = db
            .store_with(StoreOptions {
                max_connections: 1,
                ..StoreOptions::default()
            })
            .await;
        let tenant = store
            .create_tenant(&Actor::named("test"), "Contoso")
            .await
            .expect("tenant")
            .id;
        let renamed = async |wrapped| renames(&store, tenant, wrapped).await.expect("renames");
        assert_eq!(renamed(false).await, 0, "diesel keeps no UPDATE");
        assert_eq!(renamed(true).await, 1);
        assert_eq!(renamed(true).await, 1, "the same one, reused");
    }
}
