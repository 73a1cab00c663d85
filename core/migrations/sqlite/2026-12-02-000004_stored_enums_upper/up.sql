-- Every stored enum value becomes SCREAMING_SNAKE_CASE, the name of its
-- GraphQL enum value where one exists (see core/src/stored.rs): rewrite
-- the rows, and let CHECK constraints hold each column to its values.
-- Nothing is dropped: every old value has exactly one new one.
--
-- SQLite cannot change a CHECK constraint in place, so each table is
-- rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter): new
-- table, rows copied converted, old table dropped, new one renamed, its
-- indexes made again. No other table references these four, so this runs
-- in the migration's transaction with foreign keys left on.

-- Principal kinds: 'user' / 'group' -> 'USER' / 'GROUP'.
CREATE TABLE principal_terms_rebuilt (
    tenant_id      text NOT NULL,
    term           text NOT NULL,
    principal_kind text NOT NULL CHECK (principal_kind IN ('USER', 'GROUP')),
    principal_id   text NOT NULL,
    -- 0: start of the display name, 1: start of a later word, 2: email.
    rank           integer NOT NULL,
    name_key       text NOT NULL,
    PRIMARY KEY (tenant_id, term, principal_id)
);
INSERT INTO principal_terms_rebuilt (tenant_id, term, principal_kind, principal_id, rank, name_key)
    SELECT tenant_id, term, upper(principal_kind), principal_id, rank, name_key FROM principal_terms;
DROP TABLE principal_terms;
ALTER TABLE principal_terms_rebuilt RENAME TO principal_terms;
CREATE INDEX principal_terms_by_principal ON principal_terms (tenant_id, principal_id);

CREATE TABLE license_assignments_rebuilt (
    tenant_id      text NOT NULL,
    id             text NOT NULL,
    app_id         text NOT NULL,
    principal_kind text NOT NULL CHECK (principal_kind IN ('USER', 'GROUP')),
    principal_id   text NOT NULL,
    assigned_by    text NOT NULL,
    assigned_at    text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, app_id, principal_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id)
);
INSERT INTO license_assignments_rebuilt
        (tenant_id, id, app_id, principal_kind, principal_id, assigned_by, assigned_at)
    SELECT tenant_id, id, app_id, upper(principal_kind), principal_id, assigned_by, assigned_at
    FROM license_assignments;
DROP TABLE license_assignments;
ALTER TABLE license_assignments_rebuilt RENAME TO license_assignments;
CREATE INDEX license_assignments_by_principal ON license_assignments (tenant_id, principal_id);

-- License states: 'active' / 'error' -> 'ACTIVE' / 'ERROR'. The error code
-- was already 'COUNT_VIOLATION'; it gets the CHECK it lacked.
CREATE TABLE user_licenses_rebuilt (
    tenant_id  text NOT NULL,
    app_id     text NOT NULL,
    user_id    text NOT NULL,
    state      text NOT NULL CHECK (state IN ('ACTIVE', 'ERROR')),
    error_code text CHECK (error_code IN ('COUNT_VIOLATION')),
    since      text NOT NULL,
    PRIMARY KEY (tenant_id, app_id, user_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO user_licenses_rebuilt (tenant_id, app_id, user_id, state, error_code, since)
    SELECT tenant_id, app_id, user_id, upper(state), error_code, since FROM user_licenses;
DROP TABLE user_licenses;
ALTER TABLE user_licenses_rebuilt RENAME TO user_licenses;
CREATE INDEX user_licenses_by_state ON user_licenses (tenant_id, app_id, state, since, user_id);
CREATE INDEX user_licenses_by_user ON user_licenses (tenant_id, user_id);

-- Audit actions: 'license.assigned' -> 'LICENSE_ASSIGNED'; target kinds:
-- 'seat_change_operation' -> 'SEAT_CHANGE_OPERATION'. The principals that
-- license events list in their details carry a principal kind too.
-- These two sets grow with releases (a newer replica may write a value an
-- older one reads as unrecognized), so their CHECK holds the convention,
-- not a list: a new action needs no rebuild of the audit trail.
CREATE TABLE audit_events_rebuilt (
    tenant_id   text NOT NULL,
    id          text NOT NULL,
    occurred_at text NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL
                CHECK (action GLOB '[A-Z]*' AND action NOT GLOB '*[^A-Z_]*'),
    target_kind text NOT NULL
                CHECK (target_kind GLOB '[A-Z]*' AND target_kind NOT GLOB '*[^A-Z_]*'),
    target_id   text NOT NULL,
    app_id      text,
    details     text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO audit_events_rebuilt
        (tenant_id, id, occurred_at, actor, action, target_kind, target_id, app_id, details)
    SELECT tenant_id, id, occurred_at, actor,
           upper(replace(action, '.', '_')),
           upper(target_kind),
           target_id, app_id,
           CASE WHEN action IN ('license.assigned', 'license.unassigned')
                THEN replace(replace(details, '"kind":"user"', '"kind":"USER"'),
                             '"kind":"group"', '"kind":"GROUP"')
                ELSE details END
    FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_events_by_app ON audit_events (tenant_id, app_id, id);

-- seat_change_operations.status was SCREAMING_SNAKE_CASE already: its CHECK
-- and the partial index seat_change_operations_due stay as they are.
