-- The compiled plan's one statement for the screen
-- (core/src/licensing/screen.rs): the app's headline joined into the page,
-- the principals' names only, joins keyed by CASE so a user's row probes
-- no group; the count evaluated once.
\set r random(0, 199)
SELECT a.name, a.description, a.vendor_name, a.vendor_website, a.vendor_support_email,
       a.purchased_seats, a.assigned_seats,
       l.id, l.principal_kind, l.principal_id, l.assigned_by, l.assigned_at,
       u.display_name, u.email, g.display_name,
       CASE WHEN true THEN (SELECT count(*) FROM license_assignments c
                            WHERE (c.tenant_id, c.app_id) = (SELECT tenant_id, id FROM bench_apps WHERE n = :r)) END
FROM bench_apps b
JOIN license_assignments l ON l.tenant_id = b.tenant_id AND l.app_id = b.id
JOIN apps a ON a.tenant_id = l.tenant_id AND a.id = l.app_id
LEFT JOIN users u ON u.tenant_id = l.tenant_id
    AND u.id = CASE WHEN l.principal_kind = 'USER' THEN l.principal_id END
LEFT JOIN groups g ON g.tenant_id = l.tenant_id
    AND g.id = CASE WHEN l.principal_kind = 'GROUP' THEN l.principal_id END
WHERE b.n = :r AND l.id > '00000000-0000-0000-0000-000000000000'
ORDER BY l.id LIMIT 51;
