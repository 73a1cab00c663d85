-- Events not yet fanned out lose their deliveries-to-be: run the delivery
-- worker until the queues are drained before reverting.
ALTER TABLE webhook_endpoints DROP COLUMN fanned_out_seq;
DROP INDEX outbox_events_seq;
ALTER TABLE outbox_events DROP COLUMN seq;
