-- Every table carries tenant_id and leads its primary key with it, so the
-- schema can later be distributed by tenant (e.g. Citus) without a rewrite.

CREATE TABLE tenants (
    tenant_id  uuid PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    created_at timestamp NOT NULL
);

CREATE TABLE apps (
    tenant_id            uuid NOT NULL REFERENCES tenants (tenant_id),
    id                   uuid NOT NULL,
    name                 text NOT NULL CHECK (name <> ''),
    name_key             text COLLATE "C" NOT NULL,
    description          text NOT NULL,
    vendor_name          text NOT NULL,
    vendor_website       text NOT NULL,
    vendor_support_email text NOT NULL,
    purchased_seats      bigint NOT NULL CHECK (purchased_seats >= 0),
    -- Distinct users holding an ACTIVE license, maintained in the same
    -- transaction as every change, so reading seats never counts rows.
    assigned_seats       bigint NOT NULL DEFAULT 0,
    adapter_key          text,
    adapter_settings     text NOT NULL DEFAULT '{}',
    created_at           timestamp NOT NULL,
    updated_at           timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id),
    -- The seat invariant, enforced by the database itself as a last line.
    CHECK (assigned_seats >= 0 AND assigned_seats <= purchased_seats)
);
CREATE INDEX apps_by_name ON apps (tenant_id, name_key, id);

CREATE TABLE users (
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
    id           uuid NOT NULL,
    display_name text NOT NULL CHECK (display_name <> ''),
    name_key     text COLLATE "C" NOT NULL,
    email        text NOT NULL,
    email_key    text NOT NULL,
    created_at   timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email_key)
);
CREATE INDEX users_by_name ON users (tenant_id, name_key, id);

CREATE TABLE groups (
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
    id           uuid NOT NULL,
    display_name text NOT NULL CHECK (display_name <> ''),
    name_key     text COLLATE "C" NOT NULL,
    description  text NOT NULL,
    created_at   timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX groups_by_name ON groups (tenant_id, name_key, id);

CREATE TABLE group_members (
    tenant_id uuid NOT NULL,
    group_id  uuid NOT NULL,
    user_id   uuid NOT NULL,
    added_at  timestamp NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_by_user ON group_members (tenant_id, user_id);

-- Words of display names and emails, lower-cased, for the typeahead: a
-- prefix search is a range scan on (tenant_id, term).
CREATE TABLE principal_terms (
    tenant_id      uuid NOT NULL,
    term           text COLLATE "C" NOT NULL,
    principal_kind text NOT NULL,
    principal_id   uuid NOT NULL,
    -- 0: start of the display name, 1: start of a later word, 2: email.
    rank           smallint NOT NULL,
    name_key       text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, term, principal_id)
);
CREATE INDEX principal_terms_by_principal ON principal_terms (tenant_id, principal_id);

CREATE TABLE license_assignments (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    app_id         uuid NOT NULL,
    principal_kind text NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id   uuid NOT NULL,
    assigned_by    text NOT NULL,
    assigned_at    timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, app_id, principal_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id)
);
CREATE INDEX license_assignments_by_principal ON license_assignments (tenant_id, principal_id);

-- The effective license of each user who holds an app by any path. ACTIVE
-- rows use a seat; ERROR rows (COUNT_VIOLATION) wait for one, oldest first.
CREATE TABLE user_licenses (
    tenant_id  uuid NOT NULL,
    app_id     uuid NOT NULL,
    user_id    uuid NOT NULL,
    state      text NOT NULL CHECK (state IN ('active', 'error')),
    error_code text,
    since      timestamp NOT NULL,
    PRIMARY KEY (tenant_id, app_id, user_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_licenses_by_state ON user_licenses (tenant_id, app_id, state, since, user_id);
CREATE INDEX user_licenses_by_user ON user_licenses (tenant_id, user_id);

CREATE TABLE audit_events (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    occurred_at timestamp NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target_kind text NOT NULL,
    target_id   uuid NOT NULL,
    app_id      uuid,
    details     text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_events_by_app ON audit_events (tenant_id, app_id, id);
