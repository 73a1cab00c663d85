-- Back to the stored values and tables of 2026-11-26-000001_init (the
-- same rebuild as up.sql, the other way).

CREATE TABLE audit_events_rebuilt (
    tenant_id   text NOT NULL,
    id          text NOT NULL,
    occurred_at text NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target_kind text NOT NULL,
    target_id   text NOT NULL,
    app_id      text,
    details     text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO audit_events_rebuilt
        (tenant_id, id, occurred_at, actor, action, target_kind, target_id, app_id, details)
    SELECT tenant_id, id, occurred_at, actor,
           CASE action
               WHEN 'TENANT_CREATED' THEN 'tenant.created'
               WHEN 'APP_REGISTERED' THEN 'app.registered'
               WHEN 'APP_SEATS_CHANGED' THEN 'app.seats_changed'
               WHEN 'APP_INSTALL_REDIRECTED' THEN 'app.install_redirected'
               WHEN 'USER_CREATED' THEN 'user.created'
               WHEN 'USER_IMPORTED' THEN 'user.imported'
               WHEN 'USER_DELETED' THEN 'user.deleted'
               WHEN 'GROUP_CREATED' THEN 'group.created'
               WHEN 'GROUP_MEMBERS_ADDED' THEN 'group.members_added'
               WHEN 'GROUP_MEMBERS_REMOVED' THEN 'group.members_removed'
               WHEN 'LICENSE_ASSIGNED' THEN 'license.assigned'
               WHEN 'LICENSE_UNASSIGNED' THEN 'license.unassigned'
               WHEN 'SEAT_CHANGE_REQUESTED' THEN 'seat_change.requested'
               WHEN 'SEAT_CHANGE_ACCEPTED' THEN 'seat_change.accepted'
               WHEN 'SEAT_CHANGE_SUCCEEDED' THEN 'seat_change.succeeded'
               WHEN 'SEAT_CHANGE_FAILED' THEN 'seat_change.failed'
               WHEN 'SEAT_CHANGE_REJECTED' THEN 'seat_change.rejected'
               WHEN 'SEAT_CHANGE_CONTACT_VENDOR' THEN 'seat_change.contact_vendor'
               WHEN 'SEAT_CHANGE_RETRY_SCHEDULED' THEN 'seat_change.retry_scheduled'
               ELSE lower(action) END,
           lower(target_kind),
           target_id, app_id,
           CASE WHEN action IN ('LICENSE_ASSIGNED', 'LICENSE_UNASSIGNED')
                THEN replace(replace(details, '"kind":"USER"', '"kind":"user"'),
                             '"kind":"GROUP"', '"kind":"group"')
                ELSE details END
    FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_events_by_app ON audit_events (tenant_id, app_id, id);

CREATE TABLE user_licenses_rebuilt (
    tenant_id  text NOT NULL,
    app_id     text NOT NULL,
    user_id    text NOT NULL,
    state      text NOT NULL CHECK (state IN ('active', 'error')),
    error_code text,
    since      text NOT NULL,
    PRIMARY KEY (tenant_id, app_id, user_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO user_licenses_rebuilt (tenant_id, app_id, user_id, state, error_code, since)
    SELECT tenant_id, app_id, user_id, lower(state), error_code, since FROM user_licenses;
DROP TABLE user_licenses;
ALTER TABLE user_licenses_rebuilt RENAME TO user_licenses;
CREATE INDEX user_licenses_by_state ON user_licenses (tenant_id, app_id, state, since, user_id);
CREATE INDEX user_licenses_by_user ON user_licenses (tenant_id, user_id);

CREATE TABLE license_assignments_rebuilt (
    tenant_id      text NOT NULL,
    id             text NOT NULL,
    app_id         text NOT NULL,
    principal_kind text NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id   text NOT NULL,
    assigned_by    text NOT NULL,
    assigned_at    text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, app_id, principal_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id)
);
INSERT INTO license_assignments_rebuilt
        (tenant_id, id, app_id, principal_kind, principal_id, assigned_by, assigned_at)
    SELECT tenant_id, id, app_id, lower(principal_kind), principal_id, assigned_by, assigned_at
    FROM license_assignments;
DROP TABLE license_assignments;
ALTER TABLE license_assignments_rebuilt RENAME TO license_assignments;
CREATE INDEX license_assignments_by_principal ON license_assignments (tenant_id, principal_id);

CREATE TABLE principal_terms_rebuilt (
    tenant_id      text NOT NULL,
    term           text NOT NULL,
    principal_kind text NOT NULL,
    principal_id   text NOT NULL,
    -- 0: start of the display name, 1: start of a later word, 2: email.
    rank           integer NOT NULL,
    name_key       text NOT NULL,
    PRIMARY KEY (tenant_id, term, principal_id)
);
INSERT INTO principal_terms_rebuilt (tenant_id, term, principal_kind, principal_id, rank, name_key)
    SELECT tenant_id, term, lower(principal_kind), principal_id, rank, name_key FROM principal_terms;
DROP TABLE principal_terms;
ALTER TABLE principal_terms_rebuilt RENAME TO principal_terms;
CREATE INDEX principal_terms_by_principal ON principal_terms (tenant_id, principal_id);
