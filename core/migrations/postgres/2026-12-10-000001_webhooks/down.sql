DROP TABLE seat_alerts;
DROP TABLE webhook_deliveries;
DROP TABLE outbox_sequences;
DROP TABLE outbox_events;
DROP TABLE webhook_subscriptions;
DROP TABLE webhook_endpoints;
