DROP INDEX outbox_events_created;
DROP INDEX webhook_deliveries_event;
DROP INDEX webhook_deliveries_delivered;
