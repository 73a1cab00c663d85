-- tenants.tenant_id was declared `text PRIMARY KEY` without NOT NULL, and
-- SQLite (unlike PostgreSQL) lets such a key hold NULL. Rebuild the table
-- with NOT NULL, SQLite's documented way to change a column
-- (https://www.sqlite.org/lang_altertable.html#otheralter): foreign keys
-- off, outside any transaction (hence metadata.toml), so dropping the old
-- table does not touch the rows that reference it.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE tenants_rebuilt (
    tenant_id  text NOT NULL PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    created_at text NOT NULL
);
INSERT INTO tenants_rebuilt (tenant_id, name, created_at)
    SELECT tenant_id, name, created_at FROM tenants;
DROP TABLE tenants;
ALTER TABLE tenants_rebuilt RENAME TO tenants;
COMMIT;
PRAGMA foreign_keys = ON;
