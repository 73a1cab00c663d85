ALTER TABLE app_subscriptions DROP COLUMN notified_state;
