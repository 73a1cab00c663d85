//! The audit trail: every change writes one event in the same transaction.
//!
//! What was done is an [`AuditAction`]; its text form (`license.assigned`)
//! is what the `audit_events.action` column holds and what clients read, so
//! a variant's text never changes once released.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::{Conn, Store, on_conn, read_conn};
use crate::error::CoreResult;
use crate::ids::*;
use crate::model::{Actor, AuditEvent, now, utc};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::audit_events;

/// Everything the audit trail records. Stored and shown as [`as_str`]
/// (`noun.verb_phrase`); [`FromStr`](std::str::FromStr) reads it back.
///
/// [`as_str`]: AuditAction::as_str
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// An organisation was created (`tenant.created`).
    TenantCreated,
    /// An app was registered (`app.registered`).
    AppRegistered,
    /// An app's purchased seats were set by hand (`app.seats_changed`).
    AppSeatsChanged,
    /// An admin was sent to the vendor to install the app
    /// (`app.install_redirected`).
    AppInstallRedirected,
    /// A user was created (`user.created`).
    UserCreated,
    /// Users were imported in bulk (`user.imported`).
    UserImported,
    /// A user was deleted (`user.deleted`).
    UserDeleted,
    /// A group was created (`group.created`).
    GroupCreated,
    /// Users joined a group (`group.members_added`).
    GroupMembersAdded,
    /// Users left a group (`group.members_removed`).
    GroupMembersRemoved,
    /// Licenses were assigned (`license.assigned`).
    LicenseAssigned,
    /// Licenses were unassigned (`license.unassigned`).
    LicenseUnassigned,
    /// A seat change was requested from the vendor (`seat_change.requested`).
    SeatChangeRequested,
    /// The vendor accepted a seat change and will finish it later
    /// (`seat_change.accepted`).
    SeatChangeAccepted,
    /// The vendor applied a seat change (`seat_change.succeeded`).
    SeatChangeSucceeded,
    /// A seat change cannot succeed (`seat_change.failed`).
    SeatChangeFailed,
    /// The vendor refused a seat change (`seat_change.rejected`).
    SeatChangeRejected,
    /// The vendor wants the admin to contact it
    /// (`seat_change.contact_vendor`).
    SeatChangeContactVendor,
    /// A vendor call failed and will be tried again
    /// (`seat_change.retry_scheduled`).
    SeatChangeRetryScheduled,
    /// A SCIM token was created (`scim_token.created`).
    ScimTokenCreated,
    /// A SCIM token was revoked (`scim_token.revoked`).
    ScimTokenRevoked,
}

impl AuditAction {
    /// Every action, for conversions and tests.
    pub const ALL: [AuditAction; 21] = [
        AuditAction::TenantCreated,
        AuditAction::AppRegistered,
        AuditAction::AppSeatsChanged,
        AuditAction::AppInstallRedirected,
        AuditAction::UserCreated,
        AuditAction::UserImported,
        AuditAction::UserDeleted,
        AuditAction::GroupCreated,
        AuditAction::GroupMembersAdded,
        AuditAction::GroupMembersRemoved,
        AuditAction::LicenseAssigned,
        AuditAction::LicenseUnassigned,
        AuditAction::SeatChangeRequested,
        AuditAction::SeatChangeAccepted,
        AuditAction::SeatChangeSucceeded,
        AuditAction::SeatChangeFailed,
        AuditAction::SeatChangeRejected,
        AuditAction::SeatChangeContactVendor,
        AuditAction::SeatChangeRetryScheduled,
        AuditAction::ScimTokenCreated,
        AuditAction::ScimTokenRevoked,
    ];

    /// The stored and displayed form. Never change a released one: existing
    /// databases hold it and clients filter on it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::TenantCreated => "tenant.created",
            AuditAction::AppRegistered => "app.registered",
            AuditAction::AppSeatsChanged => "app.seats_changed",
            AuditAction::AppInstallRedirected => "app.install_redirected",
            AuditAction::UserCreated => "user.created",
            AuditAction::UserImported => "user.imported",
            AuditAction::UserDeleted => "user.deleted",
            AuditAction::GroupCreated => "group.created",
            AuditAction::GroupMembersAdded => "group.members_added",
            AuditAction::GroupMembersRemoved => "group.members_removed",
            AuditAction::LicenseAssigned => "license.assigned",
            AuditAction::LicenseUnassigned => "license.unassigned",
            AuditAction::SeatChangeRequested => "seat_change.requested",
            AuditAction::SeatChangeAccepted => "seat_change.accepted",
            AuditAction::SeatChangeSucceeded => "seat_change.succeeded",
            AuditAction::SeatChangeFailed => "seat_change.failed",
            AuditAction::SeatChangeRejected => "seat_change.rejected",
            AuditAction::SeatChangeContactVendor => "seat_change.contact_vendor",
            AuditAction::SeatChangeRetryScheduled => "seat_change.retry_scheduled",
            AuditAction::ScimTokenCreated => "scim_token.created",
            AuditAction::ScimTokenRevoked => "scim_token.revoked",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stored text that names no [`AuditAction`] this build knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action {0:?}")]
pub struct UnknownAuditAction(pub String);

impl std::str::FromStr for AuditAction {
    type Err = UnknownAuditAction;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
            .ok_or_else(|| UnknownAuditAction(text.to_owned()))
    }
}

/// An action as read back from the trail. A row this build does not know
/// (written by a newer replica during a rolling upgrade, which shares the
/// database) is kept with its text rather than failing the whole page:
/// the trail is history, and one unfamiliar entry must not hide the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedAction {
    /// An action this build knows.
    Known(AuditAction),
    /// Stored text this build does not know, as stored.
    Unrecognized(String),
}

impl RecordedAction {
    fn from_stored(text: String) -> Self {
        match text.parse() {
            Ok(action) => RecordedAction::Known(action),
            Err(UnknownAuditAction(text)) => RecordedAction::Unrecognized(text),
        }
    }

    /// The stored text (`license.assigned`).
    pub fn as_str(&self) -> &str {
        match self {
            RecordedAction::Known(action) => action.as_str(),
            RecordedAction::Unrecognized(text) => text,
        }
    }
}

/// What an audit event is about.
pub(crate) struct Target {
    pub kind: &'static str,
    pub id: AnyId,
    pub app: Option<AppId>,
}

impl Target {
    pub fn app(id: AppId) -> Self {
        Self {
            kind: "app",
            id: AnyId(id.0),
            app: Some(id),
        }
    }
    pub fn user(id: UserId) -> Self {
        Self {
            kind: "user",
            id: AnyId(id.0),
            app: None,
        }
    }
    pub fn group(id: GroupId) -> Self {
        Self {
            kind: "group",
            id: AnyId(id.0),
            app: None,
        }
    }
    pub fn scim_token(id: ScimTokenId) -> Self {
        Self {
            kind: "scim_token",
            id: AnyId(id.0),
            app: None,
        }
    }
    pub fn tenant(id: TenantId) -> Self {
        Self {
            kind: "tenant",
            id: AnyId(id.0),
            app: None,
        }
    }
}

#[derive(Insertable, Queryable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
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
    let row = AuditRow {
        tenant_id: tenant,
        id: AuditEventId::new(),
        occurred_at: now(),
        actor: actor.subject.clone(),
        action: action.as_str().to_owned(),
        target_kind: target.kind.to_owned(),
        target_id: target.id,
        app_id: target.app,
        details: details.to_string(),
    };
    on_conn!(conn, c => diesel::insert_into(audit_events::table).values(&row).execute(c).await)?;
    Ok(())
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
                action: RecordedAction::from_stored(r.action),
                target_kind: r.target_kind,
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
    const RELEASED: [(AuditAction, &str); 21] = [
        (AuditAction::TenantCreated, "tenant.created"),
        (AuditAction::AppRegistered, "app.registered"),
        (AuditAction::AppSeatsChanged, "app.seats_changed"),
        (AuditAction::AppInstallRedirected, "app.install_redirected"),
        (AuditAction::UserCreated, "user.created"),
        (AuditAction::UserImported, "user.imported"),
        (AuditAction::UserDeleted, "user.deleted"),
        (AuditAction::GroupCreated, "group.created"),
        (AuditAction::GroupMembersAdded, "group.members_added"),
        (AuditAction::GroupMembersRemoved, "group.members_removed"),
        (AuditAction::LicenseAssigned, "license.assigned"),
        (AuditAction::LicenseUnassigned, "license.unassigned"),
        (AuditAction::SeatChangeRequested, "seat_change.requested"),
        (AuditAction::SeatChangeAccepted, "seat_change.accepted"),
        (AuditAction::SeatChangeSucceeded, "seat_change.succeeded"),
        (AuditAction::SeatChangeFailed, "seat_change.failed"),
        (AuditAction::SeatChangeRejected, "seat_change.rejected"),
        (
            AuditAction::SeatChangeContactVendor,
            "seat_change.contact_vendor",
        ),
        (
            AuditAction::SeatChangeRetryScheduled,
            "seat_change.retry_scheduled",
        ),
        (AuditAction::ScimTokenCreated, "scim_token.created"),
        (AuditAction::ScimTokenRevoked, "scim_token.revoked"),
    ];

    #[test]
    fn every_action_keeps_its_released_text_and_reads_back() {
        assert_eq!(AuditAction::ALL.len(), RELEASED.len());
        for (action, text) in RELEASED {
            assert!(AuditAction::ALL.contains(&action), "{action:?} is in ALL");
            assert_eq!(action.as_str(), text);
            assert_eq!(text.parse::<AuditAction>(), Ok(action));
        }
        assert_eq!(
            "license.revoked".parse::<AuditAction>(),
            Err(UnknownAuditAction("license.revoked".into()))
        );
    }

    crate::test_on_both_backends!(a_row_from_a_newer_release_is_shown_as_stored);

    /// A replica of a newer release shares the database and writes an
    /// action this build does not know: the trail still reads, showing it.
    async fn a_row_from_a_newer_release_is_shown_as_stored(db: &TestDatabase) {
        let store = db.store().await;
        let actor = Actor::system();
        let tenant = store.create_tenant(&actor, "Contoso").await.unwrap();
        insert_raw(&store, tenant.id, "license.revoked")
            .await
            .unwrap();
        let log = store
            .audit_log(tenant.id, None, &PageRequest::first(10))
            .await
            .unwrap();
        let actions: Vec<_> = log.items.iter().map(|(_, e)| e.action.clone()).collect();
        assert_eq!(
            actions,
            [
                RecordedAction::Unrecognized("license.revoked".into()),
                RecordedAction::Known(AuditAction::TenantCreated),
            ],
            "newest first"
        );
        assert_eq!(actions[0].as_str(), "license.revoked");
    }

    async fn insert_raw(store: &Store, tenant: TenantId, action: &str) -> CoreResult<()> {
        let row = AuditRow {
            tenant_id: tenant,
            id: AuditEventId::new(),
            occurred_at: now(),
            actor: "newer-replica".into(),
            action: action.to_owned(),
            target_kind: "tenant".into(),
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
