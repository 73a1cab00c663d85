//! `AppUsage` and `IdleSeat`: who uses an app and who holds a seat without
//! using it, over a window of days (`App.usage(idleDays)`).

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use seatwise_core::ids::AppId;
use seatwise_core::subscriptions::Subscription;
use seatwise_core::{CoreError, EntityKind, usage};

use super::user::User;
use crate::auth::Permission;
use crate::graphql::connection::{connection, page_cost, page_request, selects_total_count};
use crate::graphql::context::{authorize, loaders, store};
use crate::graphql::errors::ApiResult;
use crate::graphql::scalars::Decimal;

/// An app's usage over the last `idleDays` days.
pub struct AppUsage {
    pub(crate) app: AppId,
    pub(crate) idle_days: i32,
    /// The idle seat count and subscription, read by [`AppUsage::new`]
    /// when the selection asks for `idleSeatCount` or `idleSeatCost`.
    idle: Option<IdleSeatsRead>,
}

/// What the idle columns of the licenses list need of one app.
#[derive(Clone)]
struct IdleSeatsRead {
    count: i64,
    subscription: Option<Subscription>,
}

impl AppUsage {
    /// The usage of `app` over `idle_days` (checked by the caller). When
    /// the selection asks for the idle columns, their count and the app's
    /// subscription are loaded here, in the resolver of `App.usage`: it
    /// runs beside `App.subscription` for every app of a page, so both
    /// join that page's batches (one statement each) instead of starting
    /// later ones when the nested fields resolve.
    pub(crate) async fn new(ctx: &Context<'_>, app: AppId, idle_days: i32) -> ApiResult<Self> {
        let selection = ctx.look_ahead();
        let idle = if selection.field("idleSeatCount").exists()
            || selection.field("idleSeatCost").exists()
        {
            Some(read_idle(ctx, app, idle_days).await?)
        } else {
            None
        };
        Ok(Self {
            app,
            idle_days,
            idle,
        })
    }

    /// The idle columns, read ahead (the look-ahead makes sure) or now.
    async fn idle(&self, ctx: &Context<'_>) -> ApiResult<IdleSeatsRead> {
        match &self.idle {
            Some(read) => Ok(read.clone()),
            None => read_idle(ctx, self.app, self.idle_days).await,
        }
    }
}

/// The idle seat count of `app` over `idle_days` and its subscription,
/// through the request's loaders (both at once, one batch each).
async fn read_idle(ctx: &Context<'_>, app: AppId, idle_days: i32) -> ApiResult<IdleSeatsRead> {
    let loaders = loaders(ctx)?;
    let (count, subscription) = tokio::try_join!(
        loaders.idle_seat_counts.load_one((app, idle_days)),
        loaders.subscriptions.load_one(app),
    )?;
    Ok(IdleSeatsRead {
        count: count.unwrap_or(0),
        subscription,
    })
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

    /// How many seats are idle over the window: `idleSeats`' total, read
    /// for a whole page of apps at once (the licenses list's column).
    async fn idle_seat_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        authorize(ctx, Permission::ReadTenant)?;
        Ok(self.idle(ctx).await?.count)
    }

    /// What the idle seats cost a year: `idleSeatCount` × the
    /// subscription's `pricePerSeat`, in its `currency`; null when the app
    /// has no subscription (no price).
    async fn idle_seat_cost(&self, ctx: &Context<'_>) -> ApiResult<Option<Decimal>> {
        authorize(ctx, Permission::ReadTenant)?;
        let idle = self.idle(ctx).await?;
        Ok(idle
            .subscription
            .as_ref()
            .map(|s| Decimal(s.cost_of_seats(idle.count))))
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
