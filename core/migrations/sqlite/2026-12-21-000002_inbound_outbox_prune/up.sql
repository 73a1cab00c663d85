-- Pruning the outbox (core/src/events/prune.rs): delivered deliveries by
-- age, then events no delivery refers to any more.
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (delivered_at) WHERE status = 'DELIVERED';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, event_id);
CREATE INDEX outbox_events_created ON outbox_events (created_at);
