//! The audit trail: every change writes one event in the same transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::{Conn, Store, on_conn, read_conn};
use crate::error::CoreResult;
use crate::ids::*;
use crate::model::{Actor, AuditEvent, now, utc};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::audit_events;

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
    action: &str,
    target: Target,
    details: serde_json::Value,
) -> CoreResult<()> {
    let row = AuditRow {
        tenant_id: tenant,
        id: AuditEventId::new(),
        occurred_at: now(),
        actor: actor.subject.clone(),
        action: action.to_owned(),
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
                action: r.action,
                target_kind: r.target_kind,
                target_id: r.target_id,
                app_id: r.app_id,
                details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            }))
        })
    }
}
