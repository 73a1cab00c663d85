-- An event's tenant is the tenant of the change that recorded it, in the
-- same transaction (core/src/events/outbox.rs), so the foreign key to
-- `tenants` guards nothing the writer does not already guarantee. It was
-- the largest part of the outbox's cost on PostgreSQL: checking it takes a
-- `FOR KEY SHARE` lock on the tenant's row in every writing transaction
-- (0.056-0.090 ms of the outbox's 0.18-0.20 ms per statement, measured
-- with EXPLAIN ANALYZE; bench/README.md, "Outbound webhooks").
-- SQLite drops it too (a table rebuild, see its migration of this name),
-- so both backends keep one schema.
ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_tenant_id_fkey;
