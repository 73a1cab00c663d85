-- The hand-written baseline's two statements (bench/src/baseline.rs).
\set r random(0, 199)
SELECT a.id::text AS id, a.name, a.description, a.vendor_name, a.vendor_website,
       a.vendor_support_email, a.purchased_seats, a.assigned_seats,
       (SELECT count(*) FROM license_assignments l
        WHERE l.tenant_id = a.tenant_id AND l.app_id = a.id) AS assignment_count
FROM apps a, bench_apps b
WHERE b.n = :r AND a.tenant_id = b.tenant_id AND a.id = b.id;
SELECT l.id::text AS id, l.assigned_at::text AS assigned_at, l.assigned_by,
       l.principal_kind, l.principal_id::text AS principal_id,
       COALESCE(u.display_name, g.display_name) AS display_name, u.email AS email
FROM bench_apps b, license_assignments l
LEFT JOIN users u ON l.principal_kind = 'USER' AND u.tenant_id = l.tenant_id AND u.id = l.principal_id
LEFT JOIN groups g ON l.principal_kind = 'GROUP' AND g.tenant_id = l.tenant_id AND g.id = l.principal_id
WHERE b.n = :r AND l.tenant_id = b.tenant_id AND l.app_id = b.id
ORDER BY l.id LIMIT 51;
