-- The SQLite migration of this version makes tenants.tenant_id NOT NULL,
-- which a PostgreSQL primary key always is: nothing to do here. The version
-- exists on both backends so their migration lists stay alike.
SELECT 1;
