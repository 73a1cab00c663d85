//! Diesel table declarations, shared by both backends.
//!
//! Identifiers use [`Uuid`](crate::db::sql_types::Uuid), a SQL type that is
//! PostgreSQL's native `uuid` and SQLite's `TEXT`; timestamps are UTC
//! `timestamp` (PostgreSQL) or ISO-8601 `TEXT` (SQLite). The migrations under
//! `core/migrations/{postgres,sqlite}` must match these declarations.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    tenants (tenant_id) {
        tenant_id -> Uuid,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    apps (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        name -> Text,
        name_key -> Text,
        description -> Text,
        vendor_name -> Text,
        vendor_website -> Text,
        vendor_support_email -> Text,
        purchased_seats -> BigInt,
        assigned_seats -> BigInt,
        adapter_key -> Nullable<Text>,
        adapter_settings -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    users (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        display_name -> Text,
        name_key -> Text,
        email -> Text,
        email_key -> Text,
        created_at -> Timestamp,
        external_id -> Nullable<Text>,
        source -> Text,
        account_enabled -> Bool,
        directory_active -> Bool,
        department -> Nullable<Text>,
        manager_external_id -> Nullable<Text>,
        version -> BigInt,
        updated_at -> Timestamp,
        user_name -> Nullable<Text>,
        user_name_key -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    groups (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        display_name -> Text,
        name_key -> Text,
        description -> Text,
        created_at -> Timestamp,
        external_id -> Nullable<Text>,
        source -> Text,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    scim_tokens (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        name -> Text,
        secret_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    group_members (tenant_id, group_id, user_id) {
        tenant_id -> Uuid,
        group_id -> Uuid,
        user_id -> Uuid,
        added_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    principal_terms (tenant_id, term, principal_id) {
        tenant_id -> Uuid,
        term -> Text,
        principal_kind -> Text,
        principal_id -> Uuid,
        rank -> SmallInt,
        name_key -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    license_assignments (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        app_id -> Uuid,
        principal_kind -> Text,
        principal_id -> Uuid,
        assigned_by -> Text,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    user_licenses (tenant_id, app_id, user_id) {
        tenant_id -> Uuid,
        app_id -> Uuid,
        user_id -> Uuid,
        state -> Text,
        error_code -> Nullable<Text>,
        since -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    audit_events (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        occurred_at -> Timestamp,
        actor -> Text,
        action -> Text,
        target_kind -> Text,
        target_id -> Uuid,
        app_id -> Nullable<Uuid>,
        details -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    apps,
    users,
    groups,
    group_members,
    principal_terms,
    license_assignments,
    user_licenses,
    audit_events,
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    seat_change_operations (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        app_id -> Uuid,
        idempotency_key -> Text,
        status -> Text,
        previous_quantity -> BigInt,
        requested_quantity -> BigInt,
        vendor_ref -> Nullable<Text>,
        message -> Nullable<Text>,
        contact -> Nullable<Text>,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        requested_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    app_subscriptions (tenant_id, app_id) {
        tenant_id -> Uuid,
        app_id -> Uuid,
        term_start -> Date,
        term_end -> Date,
        auto_renew -> Bool,
        price_per_seat_e4 -> BigInt,
        currency -> Text,
        notice_days -> Integer,
        grace_days -> Integer,
        low_seat_threshold -> BigInt,
        notified_state -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    webhook_endpoints (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        url -> Text,
        description -> Text,
        secret -> Text,
        enabled -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        fanned_out_seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    webhook_subscriptions (tenant_id, endpoint_id, kind) {
        tenant_id -> Uuid,
        endpoint_id -> Uuid,
        kind -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    outbox_events (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    outbox_sequences (tenant_id) {
        tenant_id -> Uuid,
        next_seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    webhook_deliveries (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        endpoint_id -> Uuid,
        event_id -> Uuid,
        seq -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    seat_alerts (tenant_id, app_id) {
        tenant_id -> Uuid,
        app_id -> Uuid,
        below_threshold -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    webhook_endpoints,
    webhook_subscriptions,
    outbox_events,
    webhook_deliveries,
);

diesel::allow_tables_to_appear_in_same_query!(app_subscriptions, apps);

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    app_user_activity (tenant_id, app_id, user_id) {
        tenant_id -> Uuid,
        app_id -> Uuid,
        user_id -> Uuid,
        last_active_at -> Timestamp,
        source -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    usage_polls (tenant_id, app_id) {
        tenant_id -> Uuid,
        app_id -> Uuid,
        last_success_at -> Nullable<Timestamp>,
        next_poll_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

// The new tables appear beside these (pairs only: a pair listed twice
// would implement the same trait twice).
diesel::allow_tables_to_appear_in_same_query!(app_user_activity, user_licenses);
diesel::allow_tables_to_appear_in_same_query!(app_user_activity, users);
diesel::allow_tables_to_appear_in_same_query!(app_user_activity, apps);
diesel::allow_tables_to_appear_in_same_query!(app_user_activity, license_assignments);
diesel::allow_tables_to_appear_in_same_query!(app_user_activity, group_members);
diesel::allow_tables_to_appear_in_same_query!(usage_polls, apps);
