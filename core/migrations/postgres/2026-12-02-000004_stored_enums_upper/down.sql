-- Back to the stored values of 2026-11-26-000001_init.

ALTER TABLE audit_events DROP CONSTRAINT audit_events_target_kind_check;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_action_check;
UPDATE audit_events SET
    details = CASE WHEN action IN ('LICENSE_ASSIGNED', 'LICENSE_UNASSIGNED')
                   THEN replace(replace(details, '"kind":"USER"', '"kind":"user"'),
                                '"kind":"GROUP"', '"kind":"group"')
                   ELSE details END,
    action = CASE action
        WHEN 'TENANT_CREATED' THEN 'tenant.created'
        WHEN 'APP_REGISTERED' THEN 'app.registered'
        WHEN 'APP_SEATS_CHANGED' THEN 'app.seats_changed'
        WHEN 'APP_INSTALL_REDIRECTED' THEN 'app.install_redirected'
        WHEN 'USER_CREATED' THEN 'user.created'
        WHEN 'USER_IMPORTED' THEN 'user.imported'
        WHEN 'USER_DELETED' THEN 'user.deleted'
        WHEN 'GROUP_CREATED' THEN 'group.created'
        WHEN 'GROUP_MEMBERS_ADDED' THEN 'group.members_added'
        WHEN 'GROUP_MEMBERS_REMOVED' THEN 'group.members_removed'
        WHEN 'LICENSE_ASSIGNED' THEN 'license.assigned'
        WHEN 'LICENSE_UNASSIGNED' THEN 'license.unassigned'
        WHEN 'SEAT_CHANGE_REQUESTED' THEN 'seat_change.requested'
        WHEN 'SEAT_CHANGE_ACCEPTED' THEN 'seat_change.accepted'
        WHEN 'SEAT_CHANGE_SUCCEEDED' THEN 'seat_change.succeeded'
        WHEN 'SEAT_CHANGE_FAILED' THEN 'seat_change.failed'
        WHEN 'SEAT_CHANGE_REJECTED' THEN 'seat_change.rejected'
        WHEN 'SEAT_CHANGE_CONTACT_VENDOR' THEN 'seat_change.contact_vendor'
        WHEN 'SEAT_CHANGE_RETRY_SCHEDULED' THEN 'seat_change.retry_scheduled'
        ELSE lower(action) END,
    target_kind = lower(target_kind);

ALTER TABLE user_licenses DROP CONSTRAINT user_licenses_error_code_check;
ALTER TABLE user_licenses DROP CONSTRAINT user_licenses_state_check;
UPDATE user_licenses SET state = lower(state);
ALTER TABLE user_licenses ADD CONSTRAINT user_licenses_state_check
    CHECK (state IN ('active', 'error'));

ALTER TABLE principal_terms DROP CONSTRAINT principal_terms_principal_kind_check;
UPDATE principal_terms SET principal_kind = lower(principal_kind);

ALTER TABLE license_assignments DROP CONSTRAINT license_assignments_principal_kind_check;
UPDATE license_assignments SET principal_kind = lower(principal_kind);
ALTER TABLE license_assignments ADD CONSTRAINT license_assignments_principal_kind_check
    CHECK (principal_kind IN ('user', 'group'));
