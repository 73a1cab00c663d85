-- Every stored enum value becomes SCREAMING_SNAKE_CASE, the name of its
-- GraphQL enum value where one exists (see core/src/stored.rs): rewrite
-- the rows, then let CHECK constraints hold each column to its values.
-- Nothing is dropped: every old value has exactly one new one.

-- Principal kinds: 'user' / 'group' -> 'USER' / 'GROUP'.
ALTER TABLE license_assignments DROP CONSTRAINT license_assignments_principal_kind_check;
UPDATE license_assignments SET principal_kind = upper(principal_kind);
ALTER TABLE license_assignments ADD CONSTRAINT license_assignments_principal_kind_check
    CHECK (principal_kind IN ('USER', 'GROUP'));

UPDATE principal_terms SET principal_kind = upper(principal_kind);
ALTER TABLE principal_terms ADD CONSTRAINT principal_terms_principal_kind_check
    CHECK (principal_kind IN ('USER', 'GROUP'));

-- License states: 'active' / 'error' -> 'ACTIVE' / 'ERROR'. The error code
-- was already 'COUNT_VIOLATION'; it gets the CHECK it lacked.
ALTER TABLE user_licenses DROP CONSTRAINT user_licenses_state_check;
UPDATE user_licenses SET state = upper(state);
ALTER TABLE user_licenses ADD CONSTRAINT user_licenses_state_check
    CHECK (state IN ('ACTIVE', 'ERROR'));
ALTER TABLE user_licenses ADD CONSTRAINT user_licenses_error_code_check
    CHECK (error_code IN ('COUNT_VIOLATION'));

-- Audit actions: 'license.assigned' -> 'LICENSE_ASSIGNED'; target kinds:
-- 'seat_change_operation' -> 'SEAT_CHANGE_OPERATION'. The principals that
-- license events list in their details carry a principal kind too.
-- These two sets grow with releases (a newer replica may write a value an
-- older one reads as unrecognized), so their CHECK holds the convention,
-- not a list: a new action needs no rebuild of the audit trail.
UPDATE audit_events SET
    details = CASE WHEN action IN ('license.assigned', 'license.unassigned')
                   THEN replace(replace(details, '"kind":"user"', '"kind":"USER"'),
                                '"kind":"group"', '"kind":"GROUP"')
                   ELSE details END,
    action = upper(replace(action, '.', '_')),
    target_kind = upper(target_kind);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_action_check
    CHECK (action ~ '^[A-Z][A-Z_]*$');
ALTER TABLE audit_events ADD CONSTRAINT audit_events_target_kind_check
    CHECK (target_kind ~ '^[A-Z][A-Z_]*$');

-- seat_change_operations.status was SCREAMING_SNAKE_CASE already: its CHECK
-- and the partial index seat_change_operations_due stay as they are.
