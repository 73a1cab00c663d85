//! The SQLite and PostgreSQL migrations build the same database: a fresh
//! database on each backend has the same tables, the same columns (name,
//! nullability, type family), the same primary keys, indexes (unique or
//! not, partial or not, over the same columns), CHECK constraints (over the
//! same columns) and foreign keys. A migration written for one backend only
//! fails here.
//!
//! Each backend's catalog is read into a [`Schema`] with names and types
//! normalised (`uuid` and `text` are both text; `smallint`, `integer` and
//! `bigint` are integers; …), then the two are compared table by table.
//! Constraints are compared by the columns they cover rather than by name:
//! SQLite names a table's UNIQUE constraints `sqlite_autoindex_*` and
//! PostgreSQL `*_key`.

use std::collections::{BTreeMap, BTreeSet};

use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::{Connection as _, QueryableByName, SqliteConnection};
use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use seatwise_core::testing::TestDatabase;

/// What a column holds, whatever the backend calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    Text,
    Integer,
    Timestamp,
    Boolean,
    Real,
    Bytes,
}

impl Family {
    /// The family of a declared (SQLite) or `information_schema` (PostgreSQL)
    /// type name.
    fn of(declared: &str) -> Result<Self, String> {
        let t = declared.to_ascii_lowercase();
        Ok(if t.contains("int") {
            Family::Integer
        } else if t.starts_with("timestamp") || t == "date" {
            Family::Timestamp
        } else if t.starts_with("bool") {
            Family::Boolean
        } else if [
            "text",
            "uuid",
            "character varying",
            "varchar",
            "character",
            "json",
            "jsonb",
        ]
        .contains(&t.as_str())
        {
            Family::Text
        } else if ["real", "double precision", "numeric", "float"].contains(&t.as_str()) {
            Family::Real
        } else if ["bytea", "blob"].contains(&t.as_str()) {
            Family::Bytes
        } else {
            return Err(format!(
                "unknown column type `{declared}`: add it to Family::of"
            ));
        })
    }
}

/// SQLite has no date/time type: diesel stores its `Timestamp` as ISO-8601
/// text there, so a PostgreSQL `timestamp` column is declared `text` on
/// SQLite. Every other family must match exactly.
fn same_family(sqlite: Family, postgres: Family) -> bool {
    sqlite == postgres || (sqlite == Family::Text && postgres == Family::Timestamp)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    family: Family,
    nullable: bool,
}

/// An index by what it does, not what it is called.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    references: String,
    referenced_columns: Vec<String>,
    on_delete: String,
}

#[derive(Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    indexes: BTreeSet<Index>,
    /// The columns each CHECK constraint reads, with how many read exactly
    /// those columns.
    checks: BTreeMap<Vec<String>, usize>,
    foreign_keys: BTreeSet<ForeignKey>,
}

/// A database's tables by name (diesel's own bookkeeping table left out).
type Schema = BTreeMap<String, Table>;

const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

fn list(columns: &str) -> Vec<String> {
    columns.split(',').map(str::to_owned).collect()
}

/// The columns of `table` that a CHECK expression names (string literals
/// skipped), sorted.
fn checked_columns(expression: &str, table: &Table) -> Vec<String> {
    let mut words = BTreeSet::new();
    let mut word = String::new();
    let mut in_literal = false;
    for ch in expression.chars().chain([' ']) {
        if in_literal {
            in_literal = ch != '\'';
        } else if ch == '\'' {
            in_literal = true;
        } else if ch.is_ascii_alphanumeric() || ch == '_' {
            word.push(ch);
            continue;
        }
        if !word.is_empty() {
            words.insert(std::mem::take(&mut word));
        }
    }
    words
        .into_iter()
        .filter(|w| table.columns.contains_key(w))
        .collect()
}

fn add_check(table: &mut Table, expression: &str) {
    let columns = checked_columns(expression, table);
    *table.checks.entry(columns).or_default() += 1;
}

/// The bodies of the `CHECK (…)` clauses of a `CREATE TABLE` statement.
fn check_clauses(create_table: &str) -> Vec<&str> {
    let upper = create_table.to_ascii_uppercase();
    let mut clauses = Vec::new();
    let mut from = 0;
    while let Some(found) = upper[from..].find("CHECK") {
        let start = from + found + "CHECK".len();
        let Some(open) = create_table[start..].find('(').map(|i| start + i) else {
            break;
        };
        let mut depth = 0;
        let mut end = open;
        for (i, ch) in create_table[open..].char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + i;
                break;
            }
        }
        clauses.push(&create_table[open + 1..end]);
        from = end.max(start);
    }
    clauses
}

mod sqlite {
    use super::*;
    use diesel::RunQueryDsl as _;

    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Bool)]
        not_null: bool,
        #[diesel(sql_type = Integer)]
        pk: i32,
    }

    #[derive(QueryableByName)]
    struct IndexRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Bool)]
        is_unique: bool,
        #[diesel(sql_type = Text)]
        origin: String,
        #[diesel(sql_type = Bool)]
        partial: bool,
        #[diesel(sql_type = Text)]
        columns: String,
    }

    #[derive(QueryableByName)]
    struct TableSql {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        sql: String,
    }

    #[derive(QueryableByName)]
    struct ForeignKeyRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Integer)]
        id: i32,
        #[diesel(sql_type = Text)]
        referenced_table: String,
        #[diesel(sql_type = Text)]
        from_column: String,
        #[diesel(sql_type = Nullable<Text>)]
        to_column: Option<String>,
        #[diesel(sql_type = Text)]
        on_delete: String,
    }

    /// Our tables: not SQLite's own, not diesel's bookkeeping.
    const OURS: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite%' \
        AND m.name <> '__diesel_schema_migrations'";

    pub fn read(conn: &mut SqliteConnection) -> Schema {
        let mut schema = Schema::new();
        let columns: Vec<ColumnRow> = diesel::sql_query(format!(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                    p.\"notnull\" AS not_null, p.pk AS pk \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE {OURS} ORDER BY m.name, p.cid"
        ))
        .load(conn)
        .expect("read SQLite columns");
        let mut primary_keys: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
        for row in columns {
            let family = Family::of(&row.data_type)
                .unwrap_or_else(|e| panic!("{}.{}: {e}", row.table_name, row.column_name));
            if row.pk > 0 {
                primary_keys
                    .entry(row.table_name.clone())
                    .or_default()
                    .push((row.pk, row.column_name.clone()));
            }
            schema.entry(row.table_name).or_default().columns.insert(
                row.column_name,
                Column {
                    family,
                    // SQLite lets a non-integer PRIMARY KEY column hold NULL
                    // unless it says NOT NULL; PostgreSQL never does.
                    nullable: !row.not_null,
                },
            );
        }
        for (table, mut key) in primary_keys {
            key.sort();
            schema.entry(table).or_default().primary_key =
                key.into_iter().map(|(_, c)| c).collect();
        }

        let indexes: Vec<IndexRow> = diesel::sql_query(format!(
            "SELECT m.name AS table_name, il.\"unique\" AS is_unique, il.origin AS origin, \
                    il.partial AS partial, \
                    (SELECT group_concat(coalesce(ii.name, '<expression>'), ',') \
                       FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) ii) \
                      AS columns \
             FROM sqlite_master m JOIN pragma_index_list(m.name) il WHERE {OURS}"
        ))
        .load(conn)
        .expect("read SQLite indexes");
        for row in indexes {
            // The primary key's own index is the primary key, compared above.
            if row.origin == "pk" {
                continue;
            }
            schema
                .entry(row.table_name)
                .or_default()
                .indexes
                .insert(Index {
                    columns: list(&row.columns),
                    unique: row.is_unique,
                    partial: row.partial,
                });
        }

        let tables: Vec<TableSql> = diesel::sql_query(format!(
            "SELECT m.name AS table_name, m.sql AS sql FROM sqlite_master m WHERE {OURS}"
        ))
        .load(conn)
        .expect("read SQLite table definitions");
        for row in tables {
            let table = schema.entry(row.table_name).or_default();
            for clause in check_clauses(&row.sql) {
                add_check(table, clause);
            }
        }

        let foreign_keys: Vec<ForeignKeyRow> = diesel::sql_query(format!(
            "SELECT m.name AS table_name, f.id AS id, f.\"table\" AS referenced_table, \
                    f.\"from\" AS from_column, f.\"to\" AS to_column, f.on_delete AS on_delete \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE {OURS} ORDER BY m.name, f.id, f.seq"
        ))
        .load(conn)
        .expect("read SQLite foreign keys");
        let mut grouped: BTreeMap<(String, i32), ForeignKey> = BTreeMap::new();
        for row in foreign_keys {
            let key = grouped
                .entry((row.table_name, row.id))
                .or_insert_with(|| ForeignKey {
                    columns: Vec::new(),
                    references: row.referenced_table.clone(),
                    referenced_columns: Vec::new(),
                    on_delete: row.on_delete.to_ascii_uppercase(),
                });
            key.columns.push(row.from_column);
            key.referenced_columns
                .push(row.to_column.unwrap_or_default());
        }
        for ((table, _), key) in grouped {
            schema.entry(table).or_default().foreign_keys.insert(key);
        }
        schema
    }
}

mod postgres {
    use super::*;
    use diesel_async::RunQueryDsl as _;

    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Bool)]
        nullable: bool,
    }

    #[derive(QueryableByName)]
    struct IndexRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Bool)]
        is_primary: bool,
        #[diesel(sql_type = Bool)]
        is_unique: bool,
        #[diesel(sql_type = Bool)]
        partial: bool,
        #[diesel(sql_type = Text)]
        columns: String,
    }

    #[derive(QueryableByName)]
    struct CheckRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        definition: String,
    }

    #[derive(QueryableByName)]
    struct ForeignKeyRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        referenced_table: String,
        #[diesel(sql_type = Text)]
        columns: String,
        #[diesel(sql_type = Text)]
        referenced_columns: String,
        #[diesel(sql_type = Text)]
        on_delete: String,
    }

    /// The names of an attribute-number array's columns, in order.
    fn column_names(numbers: &str, relation: &str) -> String {
        format!(
            "array_to_string(ARRAY(SELECT coalesce(a.attname::text, '<expression>') \
               FROM unnest({numbers}::int2[]) WITH ORDINALITY u(attnum, n) \
               LEFT JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = u.attnum \
               ORDER BY u.n), ',')"
        )
    }

    pub async fn read(conn: &mut AsyncPgConnection) -> Schema {
        let mut schema = Schema::new();
        let columns: Vec<ColumnRow> = diesel::sql_query(format!(
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                    c.data_type::text AS data_type, c.is_nullable = 'YES' AS nullable \
             FROM information_schema.columns c \
             JOIN information_schema.tables t USING (table_schema, table_name) \
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
               AND c.table_name <> '{MIGRATIONS_TABLE}' \
             ORDER BY c.table_name, c.ordinal_position"
        ))
        .load(conn)
        .await
        .expect("read PostgreSQL columns");
        for row in columns {
            let family = Family::of(&row.data_type)
                .unwrap_or_else(|e| panic!("{}.{}: {e}", row.table_name, row.column_name));
            schema.entry(row.table_name).or_default().columns.insert(
                row.column_name,
                Column {
                    family,
                    nullable: row.nullable,
                },
            );
        }

        let indexes: Vec<IndexRow> = diesel::sql_query(format!(
            "SELECT t.relname::text AS table_name, ix.indisprimary AS is_primary, \
                    ix.indisunique AS is_unique, ix.indpred IS NOT NULL AS partial, \
                    {} AS columns \
             FROM pg_index ix \
             JOIN pg_class t ON t.oid = ix.indrelid \
             JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             WHERE ns.nspname = 'public' AND t.relname <> '{MIGRATIONS_TABLE}'",
            column_names("ix.indkey", "t.oid")
        ))
        .load(conn)
        .await
        .expect("read PostgreSQL indexes");
        for row in indexes {
            let table = schema.entry(row.table_name).or_default();
            if row.is_primary {
                table.primary_key = list(&row.columns);
            } else {
                table.indexes.insert(Index {
                    columns: list(&row.columns),
                    unique: row.is_unique,
                    partial: row.partial,
                });
            }
        }

        let checks: Vec<CheckRow> = diesel::sql_query(
            "SELECT t.relname::text AS table_name, pg_get_constraintdef(k.oid) AS definition \
             FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
             WHERE k.contype = 'c' AND k.connamespace = 'public'::regnamespace",
        )
        .load(conn)
        .await
        .expect("read PostgreSQL CHECK constraints");
        for row in checks {
            add_check(schema.entry(row.table_name).or_default(), &row.definition);
        }

        let foreign_keys: Vec<ForeignKeyRow> = diesel::sql_query(format!(
            "SELECT t.relname::text AS table_name, r.relname::text AS referenced_table, \
                    {} AS columns, {} AS referenced_columns, \
                    CASE k.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' \
                         WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
                         ELSE 'SET DEFAULT' END AS on_delete \
             FROM pg_constraint k \
             JOIN pg_class t ON t.oid = k.conrelid \
             JOIN pg_class r ON r.oid = k.confrelid \
             WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace",
            column_names("k.conkey", "k.conrelid"),
            column_names("k.confkey", "k.confrelid"),
        ))
        .load(conn)
        .await
        .expect("read PostgreSQL foreign keys");
        for row in foreign_keys {
            schema
                .entry(row.table_name)
                .or_default()
                .foreign_keys
                .insert(ForeignKey {
                    columns: list(&row.columns),
                    references: row.referenced_table,
                    referenced_columns: list(&row.referenced_columns),
                    on_delete: row.on_delete,
                });
        }
        schema
    }
}

/// Drifts that are deliberate: `(difference as [`differences`] words it,
/// why it is deliberate)`.
const ALLOWED_DRIFT: &[(&str, &str)] = &[];

/// Every way the two schemas differ, one line each, naming the table and
/// the column or constraint.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (lite, pg) = match (sqlite.get(name), postgres.get(name)) {
            (Some(lite), Some(pg)) => (lite, pg),
            (Some(_), None) => {
                found.push(format!("table {name}: only on SQLite"));
                continue;
            }
            (None, _) => {
                found.push(format!("table {name}: only on PostgreSQL"));
                continue;
            }
        };
        let columns: BTreeSet<&String> = lite.columns.keys().chain(pg.columns.keys()).collect();
        for column in columns {
            match (lite.columns.get(column), pg.columns.get(column)) {
                (Some(l), Some(p)) => {
                    if !same_family(l.family, p.family) {
                        found.push(format!(
                            "{name}.{column}: {:?} on SQLite, {:?} on PostgreSQL",
                            l.family, p.family
                        ));
                    }
                    if l.nullable != p.nullable {
                        let says = |nullable| if nullable { "nullable" } else { "NOT NULL" };
                        found.push(format!(
                            "{name}.{column}: {} on SQLite, {} on PostgreSQL",
                            says(l.nullable),
                            says(p.nullable)
                        ));
                    }
                }
                (Some(_), None) => found.push(format!("{name}.{column}: only on SQLite")),
                (None, _) => found.push(format!("{name}.{column}: only on PostgreSQL")),
            }
        }
        if lite.primary_key != pg.primary_key {
            found.push(format!(
                "{name}: primary key ({}) on SQLite, ({}) on PostgreSQL",
                lite.primary_key.join(", "),
                pg.primary_key.join(", ")
            ));
        }
        for index in lite.indexes.difference(&pg.indexes) {
            found.push(format!("{name}: index {index:?} only on SQLite"));
        }
        for index in pg.indexes.difference(&lite.indexes) {
            found.push(format!("{name}: index {index:?} only on PostgreSQL"));
        }
        let checked: BTreeSet<&Vec<String>> = lite.checks.keys().chain(pg.checks.keys()).collect();
        for columns in checked {
            let (l, p) = (
                lite.checks.get(columns).copied().unwrap_or(0),
                pg.checks.get(columns).copied().unwrap_or(0),
            );
            if l != p {
                found.push(format!(
                    "{name}: {l} CHECK constraint(s) over ({}) on SQLite, {p} on PostgreSQL",
                    columns.join(", ")
                ));
            }
        }
        for key in lite.foreign_keys.difference(&pg.foreign_keys) {
            found.push(format!("{name}: foreign key {key:?} only on SQLite"));
        }
        for key in pg.foreign_keys.difference(&lite.foreign_keys) {
            found.push(format!("{name}: foreign key {key:?} only on PostgreSQL"));
        }
    }
    found.retain(|line| !ALLOWED_DRIFT.iter().any(|(entry, _why)| line == entry));
    found
}

/// A fresh database on each backend, migrated, or `None` when PostgreSQL is
/// not there (and not required).
async fn fresh_databases() -> Option<(TestDatabase, TestDatabase)> {
    let postgres = TestDatabase::postgres().await?;
    Some((TestDatabase::sqlite().await, postgres))
}

fn read_sqlite(db: &TestDatabase) -> Schema {
    let path = db.url().sqlite_path().expect("a SQLite URL");
    let mut conn = SqliteConnection::establish(path).expect("open the SQLite database");
    sqlite::read(&mut conn)
}

async fn read_postgres(db: &TestDatabase) -> Schema {
    let mut conn = AsyncPgConnection::establish(db.url().as_str())
        .await
        .expect("connect to the PostgreSQL database");
    postgres::read(&mut conn).await
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() {
    let Some((sqlite_db, postgres_db)) = fresh_databases().await else {
        return;
    };
    let sqlite = read_sqlite(&sqlite_db);
    let postgres = read_postgres(&postgres_db).await;
    assert!(
        sqlite.contains_key("apps") && sqlite["apps"].columns.contains_key("purchased_seats"),
        "the catalog reader sees the migrated tables: {:?}",
        sqlite.keys().collect::<Vec<_>>()
    );
    let found = differences(&sqlite, &postgres);
    assert!(
        found.is_empty(),
        "the SQLite and PostgreSQL migrations differ; change both (or allow a deliberate \
         drift in ALLOWED_DRIFT, saying why):\n{}",
        found.join("\n")
    );
}

/// A change made on one backend only (as a migration written for SQLite
/// and forgotten for PostgreSQL would make) is reported, each part by name.
#[tokio::test]
async fn a_change_on_one_backend_only_is_reported() {
    let Some((sqlite_db, postgres_db)) = fresh_databases().await else {
        return;
    };
    let path = sqlite_db.url().sqlite_path().expect("a SQLite URL");
    let mut conn = SqliteConnection::establish(path).expect("open the SQLite database");
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "ALTER TABLE apps ADD COLUMN notes text NOT NULL DEFAULT '' CHECK (notes <> 'x');
         CREATE UNIQUE INDEX apps_by_notes ON apps (tenant_id, notes);
         CREATE TABLE app_notes (tenant_id text NOT NULL, note text NOT NULL);",
    )
    .expect("change the SQLite schema");
    let sqlite = sqlite::read(&mut conn);
    let postgres = read_postgres(&postgres_db).await;
    assert_eq!(
        differences(&sqlite, &postgres),
        [
            "table app_notes: only on SQLite",
            "apps.notes: only on SQLite",
            "apps: index Index { columns: [\"tenant_id\", \"notes\"], unique: true, partial: false } \
             only on SQLite",
            "apps: 1 CHECK constraint(s) over (notes) on SQLite, 0 on PostgreSQL",
        ]
    );
}
