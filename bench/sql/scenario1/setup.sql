-- pgbench cannot draw a uuid from a list, so number the seeded apps (the
-- 200 of scenario 1, not the "Zz" apps of other scenarios) once; every
-- script below finds its app through this table, so all pay the same
-- extra lookup.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_apps;
CREATE TABLE bench_apps AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS n, tenant_id, id
    FROM apps WHERE name NOT LIKE 'Zz%';
CREATE UNIQUE INDEX ON bench_apps (n);
VACUUM ANALYZE;
