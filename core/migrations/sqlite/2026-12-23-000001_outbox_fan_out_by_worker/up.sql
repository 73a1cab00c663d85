-- Deliveries are made by the delivery worker, not by the writing
-- transaction (core/src/events/fan_out.rs): a change writes only its
-- events, each with its place in the tenant's sequence, and each endpoint
-- remembers how far along that sequence it has made its deliveries.
ALTER TABLE outbox_events ADD COLUMN seq bigint;
-- Events written before this change already have their deliveries, which
-- carry the sequence number; events whose deliveries were all pruned keep
-- none and are never fanned out again.
UPDATE outbox_events SET seq = (
    SELECT min(d.seq) FROM webhook_deliveries d
    WHERE d.tenant_id = outbox_events.tenant_id AND d.event_id = outbox_events.id
);
CREATE INDEX outbox_events_seq ON outbox_events (tenant_id, seq);

-- The last sequence number this endpoint has made deliveries for: every
-- existing endpoint has them all.
ALTER TABLE webhook_endpoints ADD COLUMN fanned_out_seq bigint NOT NULL DEFAULT 0;
UPDATE webhook_endpoints SET fanned_out_seq = COALESCE((
    SELECT s.next_seq - 1 FROM outbox_sequences s WHERE s.tenant_id = webhook_endpoints.tenant_id
), 0);
