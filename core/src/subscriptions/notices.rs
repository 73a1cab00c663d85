//! Subscription lifecycle events: `subscription.expiring`, `.expired` and
//! `.disabled`, written when the calendar moves a subscription into that
//! state.
//!
//! States are computed, never stored (see `state.rs`), so no write happens
//! when one changes. A worker (one per replica, in the API crate) calls
//! [`Store::announce_subscription_states`] periodically; it computes every
//! subscription's state with the store's clock and, where it differs from
//! `notified_state` (the state last announced), sets `notified_state` and
//! writes the event **in one transaction** under the app's row lock,
//! re-reading the row there. A second replica doing the same waits for the
//! lock, then sees the state already announced: each transition is
//! announced exactly once, whichever replica sees it first.
//!
//! A renewal (new terms, by an admin or the vendor) makes the state
//! `ACTIVE` again; the watcher records that (no event) and so re-arms the
//! next `EXPIRING`. A subscription seen for the first time in a state
//! other than `ACTIVE` is announced then (once).

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::SubscriptionState;
use super::state::Term;
use crate::db::{Conn, Store, on_conn, read_conn, write_txn};
use crate::error::CoreResult;
use crate::ids::{AppId, TenantId};
use crate::locks;
use crate::schema::app_subscriptions as subs;

/// Subscriptions read per statement while scanning.
const SCAN_PAGE: i64 = 500;

/// What the watcher reads of a subscription.
type WatchedRow = (
    TenantId,
    AppId,
    NaiveDate,
    NaiveDate,
    bool,
    i32,
    i32,
    Option<SubscriptionState>,
);

fn term(row: &WatchedRow) -> Term {
    Term {
        start: row.2,
        end: row.3,
        auto_renew: row.4,
        notice_days: row.5,
        grace_days: row.6,
    }
}

const WATCHED: (
    subs::tenant_id,
    subs::app_id,
    subs::term_start,
    subs::term_end,
    subs::auto_renew,
    subs::notice_days,
    subs::grace_days,
    subs::notified_state,
) = (
    subs::tenant_id,
    subs::app_id,
    subs::term_start,
    subs::term_end,
    subs::auto_renew,
    subs::notice_days,
    subs::grace_days,
    subs::notified_state,
);

impl Store {
    /// Announce every subscription whose state (on the store's clock's
    /// today) differs from the one last announced: set `notified_state`
    /// and, for `EXPIRING`, `EXPIRED` and `DISABLED`, write the event, in
    /// one transaction per subscription. Returns the events written.
    /// Safe to run on several replicas at once (see the module docs).
    pub async fn announce_subscription_states(&self) -> CoreResult<usize> {
        let today = self.clock().today();
        let mut after: Option<(TenantId, AppId)> = None;
        let mut announced = 0;
        loop {
            // A scan across tenants (like the seat-change claim); every
            // write below names its tenant.
            let page: Vec<WatchedRow> = read_conn!(self, conn => {
                Ok(on_conn!(conn, c => {
                    let mut query = subs::table.select(WATCHED).into_boxed();
                    if let Some((tenant, app)) = after {
                        query = query.filter(
                            subs::tenant_id
                                .gt(tenant)
                                .or(subs::tenant_id.eq(tenant).and(subs::app_id.gt(app))),
                        );
                    }
                    query
                        .order((subs::tenant_id, subs::app_id))
                        .limit(SCAN_PAGE)
                        .load(c)
                        .await
                })?)
            })?;
            for row in &page {
                if Some(term(row).status(today).state) != row.7
                    && self.announce_one(row.0, row.1, today).await?
                {
                    announced += 1;
                }
            }
            match page.last() {
                Some(last) if page.len() as i64 == SCAN_PAGE => after = Some((last.0, last.1)),
                _ => break,
            }
        }
        Ok(announced)
    }

    /// Re-read one subscription under its app's lock and announce its
    /// state if it still differs; whether an event was written.
    async fn announce_one(
        &self,
        tenant: TenantId,
        app: AppId,
        today: NaiveDate,
    ) -> CoreResult<bool> {
        write_txn!(self, conn => {
            locks::apps(conn, tenant, &[app]).await?;
            let Some(row) = watched(conn, tenant, app).await? else {
                // Removed with its app meanwhile.
                return Ok(false);
            };
            let status = term(&row).status(today);
            if Some(status.state) == row.7 {
                // Another replica announced it first.
                return Ok(false);
            }
            let update = diesel::update(
                subs::table.filter(subs::tenant_id.eq(tenant)).filter(subs::app_id.eq(app)),
            )
            .set(subs::notified_state.eq(Some(status.state)));
            on_conn!(conn, c => update.execute(c).await)?;
            crate::events::subscription_state_changed(conn, tenant, app, &status, row.3, row.4).await
        })
    }
}

async fn watched(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
) -> CoreResult<Option<WatchedRow>> {
    let query = subs::table
        .filter(subs::tenant_id.eq(tenant))
        .filter(subs::app_id.eq(app))
        .select(WATCHED);
    Ok(on_conn!(conn, c => query.first(c).await.optional())?)
}
