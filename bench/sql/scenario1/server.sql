-- The server's two statements for the screen
-- (core/src/licensing/details.rs): the app's row, then the page joined to
-- whole user and group rows, with the count evaluated once.
\set r random(0, 199)
SELECT a.* FROM apps a, bench_apps b
WHERE b.n = :r AND a.tenant_id = b.tenant_id AND a.id = b.id LIMIT 1;
SELECT l.*, u.*, g.*,
       (SELECT count(*) FROM license_assignments c
        WHERE (c.tenant_id, c.app_id) = (SELECT tenant_id, id FROM bench_apps WHERE n = :r))
FROM bench_apps b, license_assignments l
LEFT JOIN users u ON l.principal_kind = 'USER' AND u.tenant_id = l.tenant_id AND u.id = l.principal_id
LEFT JOIN groups g ON l.principal_kind = 'GROUP' AND g.tenant_id = l.tenant_id AND g.id = l.principal_id
WHERE b.n = :r AND l.tenant_id = b.tenant_id AND l.app_id = b.id
  AND l.id > '00000000-0000-0000-0000-000000000000'
ORDER BY l.id LIMIT 51;
