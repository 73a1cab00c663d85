-- Directory sync (SCIM 2.0, CSV import) and the user and group lifecycle.
--
-- Users and groups remember where they came from (source) and the
-- identity provider's id for them (external_id, unique per tenant when
-- set); a version counts every change, for SCIM ETags and If-Match.
-- updated_at starts at created_at for existing rows.

ALTER TABLE users ADD COLUMN external_id text;
ALTER TABLE users ADD COLUMN source text NOT NULL DEFAULT 'MANUAL'
    CHECK (source IN ('MANUAL', 'SCIM', 'CSV'));
ALTER TABLE users ADD COLUMN account_enabled boolean NOT NULL DEFAULT true;
-- false once the identity provider deactivated the user (SCIM active:
-- false): such a user holds no seat until reactivated.
ALTER TABLE users ADD COLUMN directory_active boolean NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN department text;
-- The SCIM enterprise extension's manager, as the provider sent its id.
ALTER TABLE users ADD COLUMN manager_external_id text;
ALTER TABLE users ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE users ADD COLUMN updated_at text NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE users SET updated_at = created_at;
CREATE UNIQUE INDEX users_by_external_id ON users (tenant_id, external_id)
    WHERE external_id IS NOT NULL;

ALTER TABLE groups ADD COLUMN external_id text;
ALTER TABLE groups ADD COLUMN source text NOT NULL DEFAULT 'MANUAL'
    CHECK (source IN ('MANUAL', 'SCIM', 'CSV'));
ALTER TABLE groups ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE groups ADD COLUMN updated_at text NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE groups SET updated_at = created_at;
CREATE UNIQUE INDEX groups_by_external_id ON groups (tenant_id, external_id)
    WHERE external_id IS NOT NULL;

-- Bearer tokens of identity providers pushing the directory. Only a
-- SHA-256 of the secret is kept; the secret is shown once at creation.
CREATE TABLE scim_tokens (
    tenant_id    text NOT NULL REFERENCES tenants (tenant_id),
    id           text NOT NULL,
    name         text NOT NULL CHECK (name <> ''),
    secret_hash  text NOT NULL,
    created_by   text NOT NULL,
    created_at   text NOT NULL,
    last_used_at text,
    revoked_at   text,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (secret_hash)
);
