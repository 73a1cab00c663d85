DROP INDEX users_by_user_name;
ALTER TABLE users DROP COLUMN user_name_key;
ALTER TABLE users DROP COLUMN user_name;
