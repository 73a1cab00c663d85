//! `AppUsage` and `IdleSeat`: who uses an app and who holds a seat without
//! using it, over a window of days (`App.usage(idleDays)`).

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use seatwise_core::ids::AppId;
use seatwise_core::{CoreError, EntityKind, usage};

use super::user::User;
use crate::auth::Permission;
use crate::graphql::connection::{connection, page_cost, page_request, selects_total_count};
use crate::graphql::context::{authorize, loaders, store};
use crate::graphql::errors::ApiResult;

/// An app's usage over the last `idleDays` days.
pub struct AppUsage {
    pub(crate) app: AppId,
    pub(crate) idle_days: i32,
}

/// A seat whose holder has not used the app for `idleDays` days.
#[derive(Clone)]
pub struct IdleSeat(pub usage::IdleSeat);

connection!(
    IdleSeatConnection,
    IdleSeatEdge,
    IdleSeat,
    "A page of idle seats, in user id order.",
    "An idle seat in a page, with its cursor."
);

/// An app's usage over the last `idleDays` days. A seat holder (a user
/// with an `ACTIVE` license) is active when last seen within the window
/// and idle otherwise; a holder never seen is idle once they have held the
/// seat for the whole window (idle since the license was assigned).
#[Object]
impl AppUsage {
    /// The window, in days, this usage was read over.
    async fn idle_days(&self) -> i32 {
        self.idle_days
    }

    /// Seat holders seen active within the window.
    async fn active_users(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let summary = store(ctx)?
            .usage_summary(caller.tenant, self.app, self.idle_days)
            .await?;
        Ok(summary.active_users)
    }

    /// Seats whose holders were not seen active within the window, in user
    /// id order. `reclaimIdleSeats` removes their direct assignments.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn idle_seats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many seats to return (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the seats after this cursor.")] after: Option<String>,
    ) -> ApiResult<IdleSeatConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .idle_seats(caller.tenant, self.app, self.idle_days, &page)
            .await?;
        // One batch for the page's users.
        loaders(ctx)?
            .users
            .load_many(page.items.iter().map(|(_, s)| s.user_id))
            .await?;
        Ok(IdleSeatConnection::from_page(page, IdleSeat))
    }
}

/// A seat whose holder has not used the app for `idleDays` days.
#[Object]
impl IdleSeat {
    /// The seat's holder.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let user = loaders(ctx)?
            .users
            .load_one(self.0.user_id)
            .await?
            .ok_or_else(|| CoreError::NotFound {
                entity: EntityKind::User,
                id: self.0.user_id.to_string(),
            })?;
        Ok(User(user))
    }

    /// When the holder was last seen active in the app; null when never.
    async fn last_active_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_active_at
    }

    /// Since when the holder has had the seat (a holder never seen is idle
    /// since then).
    async fn seat_since(&self) -> DateTime<Utc> {
        self.0.seat_since
    }

    /// True when the app is assigned to the holder directly:
    /// `reclaimIdleSeats` removes that assignment.
    async fn assigned_directly(&self) -> bool {
        self.0.assigned_directly
    }

    /// True when the holder also has the app through a group: reclaiming
    /// frees no seat then (group licenses are never touched; the fix for
    /// those is the group).
    async fn held_through_group(&self) -> bool {
        self.0.held_through_group
    }
}
