//! Rows written to PostgreSQL as one array per column:
//! `INSERT INTO t (a, b) SELECT * FROM unnest($1, $2)`.
//!
//! Why: diesel's multi-row INSERT has one `VALUES` tuple per row, so its
//! text changes with the number of rows and PostgreSQL parses and plans it
//! anew each time; this text is the same for any number of rows (none
//! included: empty arrays insert nothing), so it is prepared once per
//! connection, and it can be a part of a larger statement
//! (`events::WithParts`). The arrays' types come from the binds, so the
//! text needs no casts. SQLite has no arrays: it gets the same rows through
//! `insert_rows!`.

/// `pg_unnest_insert!(pub(crate) struct PgRows: Row => "table" { column: RustType as SqlType, … })`
/// declares `PgRows`, `Row`'s columns as arrays (`PgRows::new(rows)`),
/// whose `QueryFragment<Pg>` is the INSERT above. The field names are the
/// table's column names, as `Row`'s (an `Insertable` row struct); list
/// every column the table has no default for.
macro_rules! pg_unnest_insert {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident: $row:ty => $table:literal {
            $($column:ident: $rust:ty as $sql:ty),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($column: Vec<$rust>,)+
        }

        impl $name {
            $vis fn new(rows: Vec<$row>) -> Self {
                let mut arrays = Self { $($column: Vec::with_capacity(rows.len()),)+ };
                for row in rows {
                    $(arrays.$column.push(row.$column);)+
                }
                arrays
            }
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql(concat!(
                    "INSERT INTO ", $table, " (",
                    $crate::db::unnest::pg_unnest_insert!(@columns $($column),+),
                    ") SELECT * FROM unnest("
                ));
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_sql(", ");
                    }
                    out.push_bind_param::<diesel::sql_types::Array<$sql>, _>(&self.$column)?;
                )+
                out.push_sql(")");
                Ok(())
            }
        }
    };
    (@columns $first:ident $(, $column:ident)*) => {
        concat!(stringify!($first) $(, ", ", stringify!($column))*)
    };
}
pub(crate) use pg_unnest_insert;
