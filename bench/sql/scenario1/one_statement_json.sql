-- The whole answer of scenario 1 as one statement that builds the JSON, as
-- GraphQL-to-SQL compilers do: global ids and cursors base64-encoded in
-- SQL, the page aggregated with json_agg. (pgbench takes `:name` as a
-- variable, so the timestamp is left to to_json's format.)
\set r random(0, 199)
SELECT json_build_object('app', (
  SELECT json_build_object(
    'id', translate(encode(convert_to('App:' || a.id::text, 'UTF8'), 'base64'), '+/=', '-_'),
    'name', a.name, 'description', a.description,
    'vendor', json_build_object('name', a.vendor_name, 'website', a.vendor_website,
                                'supportEmail', a.vendor_support_email),
    'seats', json_build_object('purchased', a.purchased_seats, 'assigned', a.assigned_seats,
                               'available', a.purchased_seats - a.assigned_seats),
    'assignments', (
      SELECT json_build_object(
        'totalCount', (SELECT count(*) FROM license_assignments c
                       WHERE c.tenant_id = a.tenant_id AND c.app_id = a.id),
        'edges', COALESCE(json_agg(json_build_object(
          'cursor', translate(encode(convert_to('c:|' || p.id::text, 'UTF8'), 'base64'), '+/=', '-_'),
          'node', json_build_object(
            'id', translate(encode(convert_to('LicenseAssignment:' || p.id::text, 'UTF8'), 'base64'), '+/=', '-_'),
            'assignedAt', to_json(p.assigned_at),
            'assignedBy', p.assigned_by,
            'principal', CASE WHEN u.id IS NOT NULL THEN json_build_object('__typename', 'User',
                'id', translate(encode(convert_to('User:' || u.id::text, 'UTF8'), 'base64'), '+/=', '-_'),
                'displayName', u.display_name, 'email', u.email)
              ELSE json_build_object('__typename', 'Group',
                'id', translate(encode(convert_to('Group:' || g.id::text, 'UTF8'), 'base64'), '+/=', '-_'),
                'displayName', g.display_name) END)) ORDER BY p.id), '[]'))
      FROM (SELECT * FROM license_assignments l
            WHERE l.tenant_id = a.tenant_id AND l.app_id = a.id ORDER BY l.id LIMIT 51) p
      LEFT JOIN users u ON p.principal_kind = 'USER' AND u.tenant_id = p.tenant_id AND u.id = p.principal_id
      LEFT JOIN groups g ON p.principal_kind = 'GROUP' AND g.tenant_id = p.tenant_id AND g.id = p.principal_id))
  FROM apps a, bench_apps b
  WHERE b.n = :r::bigint AND a.tenant_id = b.tenant_id AND a.id = b.id));
