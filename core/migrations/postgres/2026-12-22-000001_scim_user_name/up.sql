-- The SCIM userName, stored apart from the email (core/src/directory.rs).
--
-- An identity provider's userName is often not the user's email: Entra ID
-- sends the userPrincipalName and Okta the login, while the email comes
-- from `emails`. Providers look users up with `userName eq "…"` before
-- they create them, so the value they sent must be found again.
--
-- user_name is the value as sent (answered as userName); user_name_key
-- its trimmed, lower-cased form (validate::sort_key), unique per tenant:
-- RFC 7643 makes userName case-insensitive (caseExact false) and unique.
-- Both are NULL for users no directory named (created in the console, by
-- CSV, or over SCIM before this column existed): SCIM answers and finds
-- their email as userName.
ALTER TABLE users ADD COLUMN user_name text;
ALTER TABLE users ADD COLUMN user_name_key text;
CREATE UNIQUE INDEX users_by_user_name ON users (tenant_id, user_name_key)
    WHERE user_name_key IS NOT NULL;
