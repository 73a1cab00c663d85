-- The subscription state last announced to webhook endpoints
-- (core/src/subscriptions/notices.rs): the watcher writes an event when
-- the computed state differs from it, and sets it in the same transaction,
-- so each transition is announced once however many replicas watch. NULL
-- until the watcher first sees the subscription.
ALTER TABLE app_subscriptions
    ADD COLUMN notified_state text
    CHECK (notified_state IN ('ACTIVE', 'EXPIRING', 'EXPIRED', 'DISABLED'));
