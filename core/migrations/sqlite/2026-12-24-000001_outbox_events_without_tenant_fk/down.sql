-- The table again with its foreign key to `tenants` (see up.sql).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE outbox_events_rebuilt (
    tenant_id  text NOT NULL REFERENCES tenants (tenant_id),
    id         text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('LICENSE_ASSIGNED', 'LICENSE_UNASSIGNED',
                   'LICENSE_ERROR', 'SEATS_LOW', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED',
                   'SUBSCRIPTION_DISABLED', 'SEAT_CHANGE_FINISHED')),
    -- The JSON body sent, exactly as signed.
    payload    text NOT NULL,
    created_at timestamp NOT NULL,
    seq        bigint,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO outbox_events_rebuilt (tenant_id, id, kind, payload, created_at, seq)
    SELECT tenant_id, id, kind, payload, created_at, seq FROM outbox_events;
DROP TABLE outbox_events;
ALTER TABLE outbox_events_rebuilt RENAME TO outbox_events;
CREATE INDEX outbox_events_created ON outbox_events (created_at);
CREATE INDEX outbox_events_seq ON outbox_events (tenant_id, seq);
COMMIT;
PRAGMA foreign_keys = ON;
