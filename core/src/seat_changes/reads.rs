//! Reading operations: one by id, or an app's history page by page.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::row::{OperationRow, find};
use super::{SeatChangeOperation, SeatChangeOperationId};
use crate::db::{Store, on_conn, read_conn};
use crate::error::{CoreError, CoreResult, EntityKind};
use crate::ids::{AppId, TenantId};
use crate::paging::{Cursor, Page, PageRequest};
use crate::schema::seat_change_operations as ops;

impl Store {
    /// One seat-change operation of the tenant; another tenant's id is
    /// `NOT_FOUND` like an unknown one.
    pub async fn seat_change_operation(
        &self,
        tenant: TenantId,
        id: SeatChangeOperationId,
    ) -> CoreResult<SeatChangeOperation> {
        read_conn!(self, conn => find(conn, tenant, id).await)?
            .ok_or_else(|| CoreError::not_found(EntityKind::SeatChangeOperation, id))
    }

    /// Several operations of the tenant in one statement (for DataLoaders);
    /// unknown or other tenants' ids are simply absent.
    pub async fn seat_change_operations_by_ids(
        &self,
        tenant: TenantId,
        ids: &[SeatChangeOperationId],
    ) -> CoreResult<Vec<SeatChangeOperation>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        read_conn!(self, conn => {
            let rows: Vec<OperationRow> = on_conn!(conn, c => ops::table
                .filter(ops::tenant_id.eq(tenant))
                .filter(ops::id.eq_any(ids))
                .select(ops::all_columns)
                .load(c)
                .await)?;
            rows.into_iter().map(OperationRow::into_operation).collect()
        })
    }

    /// An app's seat-change operations, newest first. An unknown app simply
    /// has none (the API resolves the app before asking).
    pub async fn seat_change_operations(
        &self,
        tenant: TenantId,
        app: AppId,
        page: &PageRequest,
    ) -> CoreResult<Page<SeatChangeOperation>> {
        read_conn!(self, conn => {
            let rows: Vec<OperationRow> = on_conn!(conn, c => {
                let mut q = ops::table
                    .filter(ops::tenant_id.eq(tenant))
                    .filter(ops::app_id.eq(app))
                    .into_boxed();
                // Ids are time-ordered, so "older than the cursor" is "lower id".
                if let Some(after) = &page.after {
                    q = q.filter(ops::id.lt(SeatChangeOperationId(after.id)));
                }
                q.order(ops::id.desc())
                    .limit(page.fetch_limit())
                    .select(ops::all_columns)
                    .load(c)
                    .await
            })?;
            let total = if page.count_total {
                Some(on_conn!(conn, c => ops::table
                    .filter(ops::tenant_id.eq(tenant))
                    .filter(ops::app_id.eq(app))
                    .count()
                    .get_result(c)
                    .await)?)
            } else {
                None
            };
            let page = Page::from_rows(page, rows, total, |r| Cursor::new("", r.id.0));
            let items = page
                .items
                .into_iter()
                .map(|(cursor, row)| row.into_operation().map(|op| (cursor, op)))
                .collect::<CoreResult<Vec<_>>>()?;
            Ok(Page {
                items,
                has_next_page: page.has_next_page,
                has_previous_page: page.has_previous_page,
                total_count: page.total_count,
            })
        })
    }
}
