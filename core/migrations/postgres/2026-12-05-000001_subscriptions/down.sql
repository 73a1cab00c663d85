DROP TABLE app_subscriptions;
