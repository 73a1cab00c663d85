-- Seat changes are durable operations: requested through the API, carried
-- forward by a worker on any replica, resumed after a restart.

CREATE TABLE seat_change_operations (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    app_id             uuid NOT NULL,
    -- Unique per tenant: one key names one request, so reusing a key for a
    -- different app or quantity is caught as a client bug.
    idempotency_key    text NOT NULL CHECK (idempotency_key <> ''),
    status             text NOT NULL CHECK (status IN
                           ('PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CONTACT_VENDOR', 'REJECTED')),
    previous_quantity  bigint NOT NULL CHECK (previous_quantity >= 0),
    requested_quantity bigint NOT NULL CHECK (requested_quantity >= 0),
    vendor_ref         text,
    message            text,
    -- Vendor contact details (JSON) when the status is CONTACT_VENDOR.
    contact            text,
    -- Vendor calls that failed with a retryable error; bounded by the core.
    attempts           integer NOT NULL DEFAULT 0,
    -- When the worker should next call the vendor. While a worker holds the
    -- operation this is also the end of its lease (the "visibility timeout"
    -- of a queue): a replica that dies mid-call loses its claim when the
    -- time passes, and the operation is simply due again.
    next_attempt_at    timestamp NOT NULL,
    -- The worker holding the operation (NULL when none).
    lease_owner        text,
    requested_by       text NOT NULL,
    created_at         timestamp NOT NULL,
    -- Final operations never change again, so for them this is also the
    -- time they completed.
    updated_at         timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id)
);
-- An app's operations, newest first (ids are time-ordered UUIDv7).
CREATE INDEX seat_change_operations_by_app ON seat_change_operations (tenant_id, app_id, id);
-- The worker's scan for due operations, across tenants; only open ones.
CREATE INDEX seat_change_operations_due ON seat_change_operations (next_attempt_at, id)
    WHERE status IN ('PENDING', 'IN_PROGRESS');
