-- An app's assignments in id order: the license-details page
-- (`WHERE tenant_id = ? AND app_id = ? AND id > ? ORDER BY id LIMIT ?`)
-- reads one page of index entries instead of either walking the tenant's
-- assignments in id order until the page is full (SQLite's plan without
-- statistics: the cost grew with every other app's assignments) or reading
-- and sorting all of the app's (the unique index on principals).
CREATE INDEX license_assignments_by_app ON license_assignments (tenant_id, app_id, id);
