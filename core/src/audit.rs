//! The audit trail: every change writes one event in the same transaction.
//!
//! What was done is an [`AuditAction`]; its stored form (`LICENSE_ASSIGNED`,
//! see `crate::stored`) is what the `audit_events.action` column holds and
//! what clients read, so a variant's text never changes once released. What
//! it was done to is an [`EntityKind`], stored the same way in
//! `target_kind`.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment};
use diesel_async::RunQueryDsl;

use crate::db::unnest::pg_unnest_insert;
use crate::db::{Conn, Store, on_conn, read_conn};
use crate::error::{CoreResult, EntityKind};
use crate::events::WithParts;
use crate::ids::*;
use crate::model::{Actor, AuditEvent, now, utc};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::audit_events;
use crate::stored::{Recorded, StoredEnum, stored_enum};

/// Everything the audit trail records. Stored and shown as its
/// [`StoredEnum::stored`] form (`NOUN_VERB_PHRASE`, the variant's name);
/// [`FromStr`](std::str::FromStr) reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// An organisation was created (`TENANT_CREATED`).
    TenantCreated,
    /// An app was registered (`APP_REGISTERED`).
    AppRegistered,
    /// An app's purchased seats were set by hand (`APP_SEATS_CHANGED`).
    AppSeatsChanged,
    /// An admin was sent to the vendor to install the app
    /// (`APP_INSTALL_REDIRECTED`).
    AppInstallRedirected,
    /// A user was created (`USER_CREATED`).
    UserCreated,
    /// Users were imported in bulk (`USER_IMPORTED`).
    UserImported,
    /// A user was deleted (`USER_DELETED`).
    UserDeleted,
    /// A group was created (`GROUP_CREATED`).
    GroupCreated,
    /// Users joined a group (`GROUP_MEMBERS_ADDED`).
    GroupMembersAdded,
    /// Users left a group (`GROUP_MEMBERS_REMOVED`).
    GroupMembersRemoved,
    /// Licenses were assigned (`LICENSE_ASSIGNED`).
    LicenseAssigned,
    /// Licenses were unassigned (`LICENSE_UNASSIGNED`).
    LicenseUnassigned,
    /// A seat change was requested from the vendor (`SEAT_CHANGE_REQUESTED`).
    SeatChangeRequested,
    /// The vendor accepted a seat change and will finish it later
    /// (`SEAT_CHANGE_ACCEPTED`).
    SeatChangeAccepted,
    /// The vendor applied a seat change (`SEAT_CHANGE_SUCCEEDED`).
    SeatChangeSucceeded,
    /// A seat change cannot succeed (`SEAT_CHANGE_FAILED`).
    SeatChangeFailed,
    /// The vendor refused a seat change (`SEAT_CHANGE_REJECTED`).
    SeatChangeRejected,
    /// The vendor wants the admin to contact it
    /// (`SEAT_CHANGE_CONTACT_VENDOR`).
    SeatChangeContactVendor,
    /// A vendor call failed and will be tried again
    /// (`SEAT_CHANGE_RETRY_SCHEDULED`).
    SeatChangeRetryScheduled,
    /// Groups were imported in bulk, with their members
    /// (`GROUP_IMPORTED`).
    GroupImported,
    /// A SCIM token was created (`SCIM_TOKEN_CREATED`).
    ScimTokenCreated,
    /// A SCIM token was revoked (`SCIM_TOKEN_REVOKED`).
    ScimTokenRevoked,
    /// A user's name, email, sign-in or directory attributes were changed
    /// (`USER_UPDATED`).
    UserUpdated,
    /// A group's name or description was changed (`GROUP_UPDATED`).
    GroupUpdated,
    /// A group was deleted (`GROUP_DELETED`).
    GroupDeleted,
    /// An app's name, description, vendor or adapter was changed
    /// (`APP_UPDATED`).
    AppUpdated,
    /// An app was removed with its assignments (`APP_REMOVED`).
    AppRemoved,
    /// An app's subscription terms were set or changed, a renewal included
    /// (`SUBSCRIPTION_SET`).
    SubscriptionSet,
    /// A webhook endpoint was registered (`WEBHOOK_ENDPOINT_CREATED`).
    WebhookEndpointCreated,
    /// A webhook endpoint's URL, events or state changed
    /// (`WEBHOOK_ENDPOINT_UPDATED`).
    WebhookEndpointUpdated,
    /// A webhook endpoint was deleted with its deliveries
    /// (`WEBHOOK_ENDPOINT_DELETED`).
    WebhookEndpointDeleted,
    /// An admin asked for a delivery to be sent again
    /// (`WEBHOOK_REDELIVERY_REQUESTED`).
    WebhookRedeliveryRequested,
    /// Per-user activity of an app was imported (`USAGE_IMPORTED`).
    UsageImported,
    /// The direct assignments of an app's idle seat holders were removed
    /// (`IDLE_SEATS_RECLAIMED`).
    IdleSeatsReclaimed,
}

// The stored and displayed form. Never change a released one: existing
// databases hold it and clients filter on it.
stored_enum!(AuditAction {
    TenantCreated => "TENANT_CREATED",
    AppRegistered => "APP_REGISTERED",
    AppSeatsChanged => "APP_SEATS_CHANGED",
    AppInstallRedirected => "APP_INSTALL_REDIRECTED",
    UserCreated => "USER_CREATED",
    UserImported => "USER_IMPORTED",
    UserDeleted => "USER_DELETED",
    GroupCreated => "GROUP_CREATED",
    GroupMembersAdded => "GROUP_MEMBERS_ADDED",
    GroupMembersRemoved => "GROUP_MEMBERS_REMOVED",
    LicenseAssigned => "LICENSE_ASSIGNED",
    LicenseUnassigned => "LICENSE_UNASSIGNED",
    SeatChangeRequested => "SEAT_CHANGE_REQUESTED",
    SeatChangeAccepted => "SEAT_CHANGE_ACCEPTED",
    SeatChangeSucceeded => "SEAT_CHANGE_SUCCEEDED",
    SeatChangeFailed => "SEAT_CHANGE_FAILED",
    SeatChangeRejected => "SEAT_CHANGE_REJECTED",
    SeatChangeContactVendor => "SEAT_CHANGE_CONTACT_VENDOR",
    SeatChangeRetryScheduled => "SEAT_CHANGE_RETRY_SCHEDULED",
    GroupImported => "GROUP_IMPORTED",
    ScimTokenCreated => "SCIM_TOKEN_CREATED",
    ScimTokenRevoked => "SCIM_TOKEN_REVOKED",
    UserUpdated => "USER_UPDATED",
    GroupUpdated => "GROUP_UPDATED",
    GroupDeleted => "GROUP_DELETED",
    AppUpdated => "APP_UPDATED",
    AppRemoved => "APP_REMOVED",
    SubscriptionSet => "SUBSCRIPTION_SET",
    WebhookEndpointCreated => "WEBHOOK_ENDPOINT_CREATED",
    WebhookEndpointUpdated => "WEBHOOK_ENDPOINT_UPDATED",
    WebhookEndpointDeleted => "WEBHOOK_ENDPOINT_DELETED",
    WebhookRedeliveryRequested => "WEBHOOK_REDELIVERY_REQUESTED",
    UsageImported => "USAGE_IMPORTED",
    IdleSeatsReclaimed => "IDLE_SEATS_RECLAIMED",
});

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.stored())
    }
}

/// Stored text that names no [`AuditAction`] this build knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action {0:?}")]
pub struct UnknownAuditAction(pub String);

impl std::str::FromStr for AuditAction {
    type Err = UnknownAuditAction;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AuditAction::from_stored(text).ok_or_else(|| UnknownAuditAction(text.to_owned()))
    }
}

/// An action as read back from the trail: a [`Recorded`] value, so a row
/// this build does not know (written by a newer replica during a rolling
/// upgrade) is kept with its text rather than failing the whole page.
pub type RecordedAction = Recorded<AuditAction>;

/// What an audit event is about.
pub(crate) struct Target {
    pub kind: EntityKind,
    pub id: AnyId,
    pub app: Option<AppId>,
}

impl Target {
    pub fn app(id: AppId) -> Self {
        Self {
            kind: EntityKind::App,
            id: AnyId(id.0),
            app: Some(id),
        }
    }
    pub fn user(id: UserId) -> Self {
        Self {
            kind: EntityKind::User,
            id: AnyId(id.0),
            app: None,
        }
    }
    pub fn group(id: GroupId) -> Self {
        Self {
            kind: EntityKind::Group,
            id: AnyId(id.0),
            app: None,
        }
    }
    pub fn scim_token(id: ScimTokenId) -> Self {
        Self {
            kind: EntityKind::ScimToken,
            id: AnyId(id.0),
            app: None,
        }
    }
    pub fn webhook_endpoint(id: WebhookEndpointId) -> Self {
        Self {
            kind: EntityKind::WebhookEndpoint,
            id: AnyId(id.0),
            app: None,
        }
    }
    pub fn tenant(id: TenantId) -> Self {
        Self {
            kind: EntityKind::Tenant,
            id: AnyId(id.0),
            app: None,
        }
    }
}

/// Action and target kind are read as text (into [`Recorded`]), not as
/// their enums: a newer release may have stored values this one lacks.
///
/// `treat_none_as_default_value = false`: a missing `app_id` is written as
/// NULL, so SQLite inserts many rows in one statement (see `insert_rows!`).
#[derive(Insertable, Queryable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub(crate) struct AuditRow {
    tenant_id: TenantId,
    id: AuditEventId,
    occurred_at: chrono::NaiveDateTime,
    actor: String,
    action: String,
    target_kind: String,
    target_id: AnyId,
    app_id: Option<AppId>,
    details: String,
}

/// Append one event. Called inside the transaction of the change it records.
pub(crate) async fn record(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    actor: &Actor,
    action: AuditAction,
    target: Target,
    details: serde_json::Value,
) -> CoreResult<()> {
    let row = event_row(tenant, actor, action, target, details);
    on_conn!(conn, c => diesel::insert_into(audit_events::table).values(&row).execute(c).await)?;
    Ok(())
}

/// The row of one event, for a caller that writes it together with the
/// rows of its change (`db::insert_together!`).
pub(crate) fn event_row(
    tenant: TenantId,
    actor: &Actor,
    action: AuditAction,
    target: Target,
    details: serde_json::Value,
) -> AuditRow {
    AuditRow {
        tenant_id: tenant,
        id: AuditEventId::new(),
        occurred_at: now(),
        actor: actor.subject.clone(),
        action: action.stored().to_owned(),
        target_kind: target.kind.stored().to_owned(),
        target_id: target.id,
        app_id: target.app,
        details: details.to_string(),
    }
}

/// One event of [`rows`].
pub(crate) struct Entry<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub target: Target,
    pub details: serde_json::Value,
}

/// The rows of several events (a batch of writes committed together), all
/// at one time, in the order given, for a caller that writes them with the
/// rows of its change ([`PgAuditRows`], [`PgWithAudit`] on PostgreSQL,
/// `insert_rows!` on SQLite).
pub(crate) fn rows(tenant: TenantId, entries: Vec<Entry<'_>>) -> Vec<AuditRow> {
    let at = now();
    entries
        .into_iter()
        .map(|e| AuditRow {
            tenant_id: tenant,
            id: AuditEventId::new(),
            occurred_at: at,
            actor: e.actor.subject.clone(),
            action: e.action.stored().to_owned(),
            target_kind: e.target.kind.stored().to_owned(),
            target_id: e.target.id,
            app_id: e.target.app,
            details: e.details.to_string(),
        })
        .collect()
}

pg_unnest_insert!(
    /// Audit rows as one INSERT of column arrays, whatever their number
    /// (PostgreSQL; see `db/unnest.rs`).
    pub(crate) struct PgAuditRows: AuditRow => "audit_events" {
        tenant_id: TenantId as crate::db::sql_types::Uuid,
        id: AuditEventId as crate::db::sql_types::Uuid,
        occurred_at: chrono::NaiveDateTime as diesel::sql_types::Timestamp,
        actor: String as diesel::sql_types::Text,
        action: String as diesel::sql_types::Text,
        target_kind: String as diesel::sql_types::Text,
        target_id: AnyId as crate::db::sql_types::Uuid,
        app_id: Option<AppId> as diesel::sql_types::Nullable<crate::db::sql_types::Uuid>,
        details: String as diesel::sql_types::Text,
    }
);

/// PostgreSQL: `query` that also writes audit rows, as a `WITH` part of
/// it (`batch_audit`), one statement and round trip fewer. Run it through
/// `events::pg_carrying_parts`, which may add the outbox write.
pub(crate) struct PgWithAudit<Q> {
    audit: PgAuditRows,
    query: Q,
}

impl<Q> PgWithAudit<Q> {
    pub(crate) fn new(audit: Vec<AuditRow>, query: Q) -> Self {
        Self {
            audit: PgAuditRows::new(audit),
            query,
        }
    }
}

impl<Q: Query> Query for PgWithAudit<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: Query + QueryFragment<Pg>> WithParts for PgWithAudit<Q> {
    fn walk_parts<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("batch_audit AS (");
        self.audit.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }

    fn walk_main<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out)
    }
}

impl Store {
    /// The tenant's audit trail, newest first, optionally for one app.
    pub async fn audit_log(
        &self,
        tenant: TenantId,
        app: Option<AppId>,
        page: &PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        read_conn!(self, conn => {
            let rows: Vec<AuditRow> = on_conn!(conn, c => {
                let mut q = audit_events::table.filter(audit_events::tenant_id.eq(tenant)).into_boxed();
                if let Some(app) = app {
                    q = q.filter(audit_events::app_id.eq(app));
                }
                if let Some(after) = &page.after {
                    q = q.filter(audit_events::id.lt(AuditEventId(after.id)));
                }
                q.order(audit_events::id.desc())
                    .limit(page.fetch_limit())
                    .select(audit_events::all_columns)
                    .load(c)
                    .await
            })?;
            let total = if page.count_total {
                Some(on_conn!(conn, c => {
                    let mut q = audit_events::table.filter(audit_events::tenant_id.eq(tenant)).into_boxed();
                    if let Some(app) = app {
                        q = q.filter(audit_events::app_id.eq(app));
                    }
                    q.count().get_result(c).await
                })?)
            } else {
                None
            };
            Ok(Page::from_rows(page, rows, total, |r| Cursor::new("", r.id.0)).map(|r| AuditEvent {
                id: r.id,
                occurred_at: utc(r.occurred_at),
                actor: r.actor,
                action: Recorded::from_stored(r.action),
                target_kind: Recorded::from_stored(r.target_kind),
                target_id: r.target_id,
                app_id: r.app_id,
                details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::write_txn;
    use crate::testing::TestDatabase;

    /// The texts existing databases hold and clients filter on. A rename
    /// here is a breaking change that needs a migration, not an edit.
    const RELEASED: [(AuditAction, &str); 34] = [
        (AuditAction::TenantCreated, "TENANT_CREATED"),
        (AuditAction::AppRegistered, "APP_REGISTERED"),
        (AuditAction::AppSeatsChanged, "APP_SEATS_CHANGED"),
        (AuditAction::AppInstallRedirected, "APP_INSTALL_REDIRECTED"),
        (AuditAction::UserCreated, "USER_CREATED"),
        (AuditAction::UserImported, "USER_IMPORTED"),
        (AuditAction::UserDeleted, "USER_DELETED"),
        (AuditAction::GroupCreated, "GROUP_CREATED"),
        (AuditAction::GroupMembersAdded, "GROUP_MEMBERS_ADDED"),
        (AuditAction::GroupMembersRemoved, "GROUP_MEMBERS_REMOVED"),
        (AuditAction::LicenseAssigned, "LICENSE_ASSIGNED"),
        (AuditAction::LicenseUnassigned, "LICENSE_UNASSIGNED"),
        (AuditAction::SeatChangeRequested, "SEAT_CHANGE_REQUESTED"),
        (AuditAction::SeatChangeAccepted, "SEAT_CHANGE_ACCEPTED"),
        (AuditAction::SeatChangeSucceeded, "SEAT_CHANGE_SUCCEEDED"),
        (AuditAction::SeatChangeFailed, "SEAT_CHANGE_FAILED"),
        (AuditAction::SeatChangeRejected, "SEAT_CHANGE_REJECTED"),
        (
            AuditAction::SeatChangeContactVendor,
            "SEAT_CHANGE_CONTACT_VENDOR",
        ),
        (
            AuditAction::SeatChangeRetryScheduled,
            "SEAT_CHANGE_RETRY_SCHEDULED",
        ),
        (AuditAction::GroupImported, "GROUP_IMPORTED"),
        (AuditAction::ScimTokenCreated, "SCIM_TOKEN_CREATED"),
        (AuditAction::ScimTokenRevoked, "SCIM_TOKEN_REVOKED"),
        (AuditAction::UserUpdated, "USER_UPDATED"),
        (AuditAction::GroupUpdated, "GROUP_UPDATED"),
        (AuditAction::GroupDeleted, "GROUP_DELETED"),
        (AuditAction::AppUpdated, "APP_UPDATED"),
        (AuditAction::AppRemoved, "APP_REMOVED"),
        (AuditAction::SubscriptionSet, "SUBSCRIPTION_SET"),
        (
            AuditAction::WebhookEndpointCreated,
            "WEBHOOK_ENDPOINT_CREATED",
        ),
        (
            AuditAction::WebhookEndpointUpdated,
            "WEBHOOK_ENDPOINT_UPDATED",
        ),
        (
            AuditAction::WebhookEndpointDeleted,
            "WEBHOOK_ENDPOINT_DELETED",
        ),
        (
            AuditAction::WebhookRedeliveryRequested,
            "WEBHOOK_REDELIVERY_REQUESTED",
        ),
        (AuditAction::UsageImported, "USAGE_IMPORTED"),
        (AuditAction::IdleSeatsReclaimed, "IDLE_SEATS_RECLAIMED"),
    ];

    #[test]
    fn every_action_keeps_its_released_text_and_reads_back() {
        assert_eq!(AuditAction::ALL.len(), RELEASED.len());
        for (action, text) in RELEASED {
            assert!(AuditAction::ALL.contains(&action), "{action:?} is in ALL");
            assert_eq!(action.stored(), text);
            assert_eq!(text.parse::<AuditAction>(), Ok(action));
        }
        assert_eq!(
            "LICENSE_REVOKED".parse::<AuditAction>(),
            Err(UnknownAuditAction("LICENSE_REVOKED".into()))
        );
    }

    crate::test_on_both_backends!(a_row_from_a_newer_release_is_shown_as_stored);

    /// A replica of a newer release shares the database and writes an
    /// action and a target kind this build does not know: the trail still
    /// reads, showing them as stored.
    async fn a_row_from_a_newer_release_is_shown_as_stored(db: &TestDatabase) {
        let store = db.store().await;
        let actor = Actor::system();
        let tenant = store.create_tenant(&actor, "Contoso").await.unwrap();
        insert_raw(&store, tenant.id, "LICENSE_REVOKED", "LICENSE_POLICY")
            .await
            .unwrap();
        let log = store
            .audit_log(tenant.id, None, &PageRequest::first(10))
            .await
            .unwrap();
        let seen: Vec<_> = log
            .items
            .iter()
            .map(|(_, e)| (e.action.clone(), e.target_kind.clone()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    RecordedAction::Unrecognized("LICENSE_REVOKED".into()),
                    Recorded::Unrecognized("LICENSE_POLICY".into())
                ),
                (
                    RecordedAction::Known(AuditAction::TenantCreated),
                    Recorded::Known(EntityKind::Tenant)
                ),
            ],
            "newest first"
        );
        assert_eq!(seen[0].0.as_str(), "LICENSE_REVOKED");
        assert_eq!(seen[0].1.as_str(), "LICENSE_POLICY");
    }

    async fn insert_raw(
        store: &Store,
        tenant: TenantId,
        action: &str,
        target_kind: &str,
    ) -> CoreResult<()> {
        let row = AuditRow {
            tenant_id: tenant,
            id: AuditEventId::new(),
            occurred_at: now(),
            actor: "newer-replica".into(),
            action: action.to_owned(),
            target_kind: target_kind.to_owned(),
            target_id: AnyId(tenant.0),
            app_id: None,
            details: "{}".into(),
        };
        write_txn!(store, conn => {
            on_conn!(conn, c => diesel::insert_into(audit_events::table).values(&row).execute(c).await)?;
            Ok(())
        })
    }
}
