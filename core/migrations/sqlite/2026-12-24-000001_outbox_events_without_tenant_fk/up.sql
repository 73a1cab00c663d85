-- An event's tenant is the tenant of the change that recorded it, in the
-- same transaction (core/src/events/outbox.rs), so the foreign key to
-- `tenants` guards nothing the writer does not already guarantee; it is
-- dropped on PostgreSQL, where checking it locked the tenant's row in
-- every writing transaction, and here so both backends keep one schema.
-- SQLite cannot drop a constraint: the table is rebuilt, its documented
-- way (https://www.sqlite.org/lang_altertable.html#otheralter), with
-- foreign keys off and outside diesel's transaction (hence metadata.toml),
-- so dropping the old table leaves the deliveries that refer to its rows
-- alone; they refer to the rebuilt table by name.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE outbox_events_rebuilt (
    tenant_id  text NOT NULL,
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
