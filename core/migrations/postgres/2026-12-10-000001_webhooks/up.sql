-- Outbound webhooks: endpoints a tenant registers, the transactional outbox
-- of events (written in the transaction of the change that caused them),
-- and one delivery row per endpoint and event, which the delivery worker
-- carries to the endpoint in event order.

CREATE TABLE webhook_endpoints (
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
    id          uuid NOT NULL,
    url         text NOT NULL CHECK (url <> ''),
    description text NOT NULL,
    -- The `whsec_` signing secret. It must be usable to sign, so it is
    -- stored as-is (like adapter settings) and never shown after creation.
    secret      text NOT NULL,
    enabled     boolean NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamp NOT NULL,
    updated_at  timestamp NOT NULL,
    -- The delivery worker holding the endpoint (NULL when none) and until
    -- when: one worker at a time delivers to an endpoint, in event order.
    lease_owner text,
    lease_until timestamp,
    PRIMARY KEY (tenant_id, id)
);

-- Which event types each endpoint receives.
CREATE TABLE webhook_subscriptions (
    tenant_id   uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('LICENSE_ASSIGNED', 'LICENSE_UNASSIGNED',
                    'LICENSE_ERROR', 'SEATS_LOW', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED',
                    'SUBSCRIPTION_DISABLED', 'SEAT_CHANGE_FINISHED')),
    PRIMARY KEY (tenant_id, endpoint_id, kind),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);

-- The outbox: one row per event, its id the `webhook-id` (UUIDv7).
CREATE TABLE outbox_events (
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id),
    id         uuid NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('LICENSE_ASSIGNED', 'LICENSE_UNASSIGNED',
                   'LICENSE_ERROR', 'SEATS_LOW', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED',
                   'SUBSCRIPTION_DISABLED', 'SEAT_CHANGE_FINISHED')),
    -- The JSON body sent, exactly as signed.
    payload    text NOT NULL,
    created_at timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Per tenant, the next event sequence number. Taken (row-locked) last in
-- a writing transaction, so sequence order is commit order: the order
-- every endpoint receives the tenant's events in.
CREATE TABLE outbox_sequences (
    tenant_id uuid NOT NULL REFERENCES tenants (tenant_id),
    next_seq  bigint NOT NULL,
    PRIMARY KEY (tenant_id)
);

CREATE TABLE webhook_deliveries (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    endpoint_id      uuid NOT NULL,
    event_id         uuid NOT NULL,
    seq              bigint NOT NULL,
    status           text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts         integer NOT NULL,
    next_attempt_at  timestamp NOT NULL,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamp,
    created_at       timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, event_id) REFERENCES outbox_events (tenant_id, id)
);
-- An endpoint's queue in event order (the worker's head-of-line read) and
-- its delivery log, newest first.
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (tenant_id, endpoint_id, status, seq);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, endpoint_id, seq);

-- Whether an app's available seats are at or below its low-seat
-- threshold, so `seats.low` fires once per crossing.
CREATE TABLE seat_alerts (
    tenant_id       uuid NOT NULL,
    app_id          uuid NOT NULL,
    below_threshold boolean NOT NULL,
    PRIMARY KEY (tenant_id, app_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id) ON DELETE CASCADE
);
