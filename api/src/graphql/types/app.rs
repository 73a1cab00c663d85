//! `App`: an app bought from a vendor, with its seats and who holds it.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use seatwise_core::LicenseFilter;
use seatwise_core::model;

use super::adapter::Adapter;
use super::license::{
    LicenseAssignment, LicenseAssignmentConnection, LicensedUser, LicensedUserConnection,
    prime_assignment_page, prime_licensed_user_page,
};
use super::seat_change::{SeatChangeOperation, SeatChangeOperationConnection};
use super::subscription::AppSubscription;
use super::usage::AppUsage;
use crate::auth::Permission;
use crate::graphql::connection::{connection, page_cost, page_request, selects_total_count};
use crate::graphql::context::{authorize, loaders, plugins, store, vendor_effects};
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::{Kind, encode};

/// An app the organisation bought from a third-party vendor. Each user who
/// holds its license, directly or through groups, uses one seat.
#[derive(Clone)]
pub struct App(pub model::App);

connection!(
    AppConnection,
    AppEdge,
    App,
    "A page of apps, by name.",
    "An app in a page, with its cursor."
);

/// Who sells an app and how to reach them.
#[derive(SimpleObject, Clone)]
pub struct Vendor {
    /// The vendor's name.
    pub name: String,
    /// The vendor's website, where "Install this product" leads.
    pub website: String,
    /// Where admins ask for help or for more seats.
    pub support_email: String,
}

/// Seat counts of an app.
#[derive(SimpleObject, Clone, Copy)]
pub struct Seats {
    /// Seats bought from the vendor.
    pub purchased: i64,
    /// Distinct users holding an active license.
    pub assigned: i64,
    /// Seats still free.
    pub available: i64,
}

/// An app the organisation bought from a third-party vendor. Each user who
/// holds its license, directly or through groups, uses one seat.
#[Object]
impl App {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        encode(Kind::App, self.0.id.0)
    }

    /// The product's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the product does.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Who sells it.
    async fn vendor(&self) -> Vendor {
        let v = &self.0.vendor;
        Vendor {
            name: v.name.clone(),
            website: v.website.clone(),
            support_email: v.support_email.clone(),
        }
    }

    /// Purchased, assigned and available seats.
    async fn seats(&self) -> Seats {
        let s = self.0.seats;
        Seats {
            purchased: s.purchased,
            assigned: s.assigned,
            available: s.available(),
        }
    }

    /// The vendor adapter plugin that manages this app's seats, if any.
    async fn adapter_key(&self) -> Option<&str> {
        self.0.adapter_key.as_deref()
    }

    /// The vendor adapter plugin loaded for `adapterKey`; null when the app
    /// has no adapter or this server did not load it.
    async fn adapter(&self, ctx: &Context<'_>) -> ApiResult<Option<Adapter>> {
        let registry = plugins(ctx)?;
        Ok(self
            .0
            .adapter_key
            .as_deref()
            .and_then(|key| registry.get(key))
            .map(|adapter| Adapter::from(adapter.info())))
    }

    /// Where the app's vendor sends webhooks (finished seat changes,
    /// renewals, usage): a path on this server, such as
    /// `/vendors/fabrikam/webhook?app=…`, to prefix with the server's public
    /// address and give the vendor together with the signing secret in the
    /// adapter settings. Null unless the app's adapter is loaded and takes
    /// vendor webhooks.
    async fn vendor_webhook_url(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let tenant = authorize(ctx, Permission::ReadTenant)?.tenant;
        let registry = plugins(ctx)?;
        let takes_webhooks = |key: &&str| {
            registry
                .get(key)
                .is_some_and(|adapter| adapter.info().capabilities.vendor_webhooks)
        };
        Ok(self
            .0
            .adapter_key
            .as_deref()
            .filter(takes_webhooks)
            .map(|key| {
                crate::vendor_inbound::WebhookTarget {
                    tenant,
                    app: self.0.id,
                }
                .path(key)
            }))
    }

    /// Whether `installApp` can send an admin to the vendor's site for this
    /// app (its adapter is loaded and offers installation).
    async fn can_install(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(vendor_effects(ctx)?.install_unavailable(&self.0).is_none())
    }

    /// Why `installApp` cannot work for this app; null when it can.
    async fn install_unavailable_reason(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(vendor_effects(ctx)?
            .install_unavailable(&self.0)
            .map(|why| why.to_string()))
    }

    /// Requests to change this app's purchased seats, newest first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn seat_change_operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many operations to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the operations after this cursor.")] after: Option<String>,
    ) -> ApiResult<SeatChangeOperationConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .seat_change_operations(caller.tenant, self.0.id, &page)
            .await?;
        Ok(SeatChangeOperationConnection::from_page(
            page,
            SeatChangeOperation,
        ))
    }

    /// When the app was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Assignments of this app to users and groups, oldest first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many assignments to return (at most 100, default 20).")]
        first: Option<i32>,
        #[graphql(desc = "Return the assignments after this cursor.")] after: Option<String>,
    ) -> ApiResult<LicenseAssignmentConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let prefetched = loaders(ctx)?.prefetched_assignments.take(self.0.id, &page);
        let page = match prefetched {
            Some(page) => page,
            None => {
                store(ctx)?
                    .assignments(caller.tenant, self.0.id, &page)
                    .await?
            }
        };
        let rows: Vec<_> = page.items.iter().map(|(_, a)| a.clone()).collect();
        prime_assignment_page(ctx, &rows).await?;
        Ok(LicenseAssignmentConnection::from_page(
            page,
            LicenseAssignment,
        ))
    }

    /// Users who hold this app's license, each with how they hold it
    /// (directly, through groups) and whether they have a seat.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn licensed_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many users to return (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the users after this cursor.")] after: Option<String>,
    ) -> ApiResult<LicensedUserConnection> {
        self.licenses(ctx, LicenseFilter::All, first, after).await
    }

    /// Users who should hold this app's license but got no seat
    /// (`COUNT_VIOLATION`).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn license_errors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many users to return (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the users after this cursor.")] after: Option<String>,
    ) -> ApiResult<LicensedUserConnection> {
        self.licenses(ctx, LicenseFilter::Errors, first, after)
            .await
    }

    /// The app's subscription terms, their state today and the seats'
    /// costs; null when none was set (`setSubscription`).
    async fn subscription(&self, ctx: &Context<'_>) -> ApiResult<Option<AppSubscription>> {
        authorize(ctx, Permission::ReadTenant)?;
        Ok(loaders(ctx)?
            .subscriptions
            .load_one(self.0.id)
            .await?
            .map(AppSubscription))
    }

    /// Who uses the app: active users and idle seats over the last
    /// `idleDays` days, by activity its adapter reported or an admin
    /// imported (`importUsage`).
    async fn usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 30,
            desc = "Days without activity after which a seat counts as idle (1 to 3650)."
        )]
        idle_days: i32,
    ) -> ApiResult<AppUsage> {
        authorize(ctx, Permission::ReadTenant)?;
        let idle_days = seatwise_core::usage::check_idle_days(idle_days)?;
        AppUsage::new(ctx, self.0.id, idle_days).await
    }

    /// How many users are waiting for a seat of this app.
    async fn license_error_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        authorize(ctx, Permission::ReadTenant)?;
        Ok(loaders(ctx)?
            .license_error_counts
            .load_one(self.0.id)
            .await?
            .unwrap_or(0))
    }
}

impl App {
    async fn licenses(
        &self,
        ctx: &Context<'_>,
        filter: LicenseFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<LicensedUserConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .licensed_users(caller.tenant, self.0.id, filter, &page)
            .await?;
        let rows: Vec<_> = page.items.iter().map(|(_, l)| l.clone()).collect();
        prime_licensed_user_page(ctx, &rows).await?;
        Ok(LicensedUserConnection::from_page(page, LicensedUser))
    }
}
