-- Back to the nullable declaration of 2026-11-26-000001_init.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE tenants_rebuilt (
    tenant_id  text PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    created_at text NOT NULL
);
INSERT INTO tenants_rebuilt (tenant_id, name, created_at)
    SELECT tenant_id, name, created_at FROM tenants;
DROP TABLE tenants;
ALTER TABLE tenants_rebuilt RENAME TO tenants;
COMMIT;
PRAGMA foreign_keys = ON;
