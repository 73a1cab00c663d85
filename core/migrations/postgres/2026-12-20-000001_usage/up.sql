-- Per-user activity in an app (usage), and the worker's schedule for
-- asking capable vendor adapters for it.

-- The latest time each user was seen active in an app. One row per
-- (tenant, app, user); a report older than the stored time never moves it
-- back. `source` says where the stored time came from.
CREATE TABLE app_user_activity (
    tenant_id      uuid NOT NULL,
    app_id         uuid NOT NULL,
    user_id        uuid NOT NULL,
    last_active_at timestamp NOT NULL,
    source         text NOT NULL CHECK (source IN ('IMPORT', 'ADAPTER', 'VENDOR_WEBHOOK')),
    PRIMARY KEY (tenant_id, app_id, user_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- When each app's adapter was last asked for usage, when it is next due,
-- and the worker holding it (NULL when none) until when: one worker at a
-- time polls an app.
CREATE TABLE usage_polls (
    tenant_id       uuid NOT NULL,
    app_id          uuid NOT NULL,
    last_success_at timestamp,
    next_poll_at    timestamp NOT NULL,
    lease_owner     text,
    lease_until     timestamp,
    PRIMARY KEY (tenant_id, app_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX usage_polls_due ON usage_polls (next_poll_at);
