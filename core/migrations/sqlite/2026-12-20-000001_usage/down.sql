DROP TABLE usage_polls;
DROP TABLE app_user_activity;
