//! Subscription terms of apps: the term, the price per seat, renewal
//! settings, and what follows from them on a given day: the state
//! (`state.rs`), the costs, and whether the app takes new assignments.
//!
//! - An app has at most one subscription (`app_subscriptions`, keyed by
//!   tenant and app). [`Store::set_subscription`] sets or replaces it
//!   whole, under the app's row lock, audited as `SUBSCRIPTION_SET`; a new
//!   `termEnd` is how a renewal is recorded, and it brings the app back to
//!   `ACTIVE`. Setting the same terms again writes nothing.
//! - The state is never stored: it is computed on every read from the
//!   terms and the store's [`Clock`](crate::clock::Clock), so it changes
//!   at midnight UTC with nothing to run.
//! - **Costs.** `pricePerSeat` is the price of one seat for one year (the
//!   figure renewal quotes are compared by), whatever the term's length.
//!   So `annualCost` = purchased seats × price and `unusedSeatCost` =
//!   unassigned seats (purchased − assigned) × price, both per year, both
//!   exact. [`Store::spend`] sums them per currency over the tenant's
//!   subscriptions that are not `DISABLED` (a lapsed subscription is no
//!   longer paid for).
//! - **Enforcement.** A `DISABLED` app refuses new assignments with
//!   [`CoreError::SubscriptionInactive`], checked by [`require_assignable`]
//!   inside the assigning transaction after the app's row lock is taken,
//!   so a concurrent renewal is either seen whole or not at all. This
//!   covers `assign_licenses`, direct and to groups. Members added to a
//!   group that holds a disabled app still get it (or wait for a seat):
//!   membership is the directory's business (SCIM, CSV imports), and one
//!   lapsed app must not make a whole membership change fail. Existing
//!   assignments and seats are kept; clients show them as inactive from
//!   the subscription's state.
//!
//! - **Lifecycle events.** [`Store::announce_subscription_states`]
//!   (`notices.rs`) is run periodically by a worker: it writes
//!   `subscription.expiring` / `.expired` / `.disabled` once per
//!   transition, remembering the announced state in `notified_state`.
//!
//! Architecture invariant: the subscription state is computed from stored
//! terms and the store's clock only, never stored; the assignability check
//! runs in the write transaction under the app's lock.

mod money;
mod notices;
mod state;

pub use money::{MAX_PRICE_PER_SEAT, PRICE_SCALE};
pub use state::{SubscriptionState, SubscriptionStatus};

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;

use crate::apps::MAX_SEATS;
use crate::audit::{self, AuditAction, Target};
use crate::db::{Conn, Store, on_conn, read_conn, write_txn};
use crate::error::{CoreError, CoreResult, InputField};
use crate::ids::{AppId, TenantId};
use crate::locks;
use crate::model::{Actor, App, Seats};
use crate::schema::{app_subscriptions, apps};
use state::Term;

/// Default [`SubscriptionInput::notice_days`].
pub const DEFAULT_NOTICE_DAYS: i32 = 30;
/// Default [`SubscriptionInput::grace_days`].
pub const DEFAULT_GRACE_DAYS: i32 = 30;
/// The most days of notice or grace accepted.
pub const MAX_NOTICE_OR_GRACE_DAYS: i32 = 365;

/// The terms a client sets; `None` takes the default.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionInput {
    /// The term's first day.
    pub term_start: NaiveDate,
    /// The term's last day; after `term_start`.
    pub term_end: NaiveDate,
    /// Whether the term renews itself when it ends (see `state.rs`).
    pub auto_renew: bool,
    /// The price of one seat for one year, at least 0, at most
    /// [`MAX_PRICE_PER_SEAT`], at most [`PRICE_SCALE`] decimals.
    pub price_per_seat: Decimal,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Days before `term_end` from which the state is `EXPIRING` (0 to
    /// 365, default 30).
    pub notice_days: Option<i32>,
    /// Days after `term_end` during which the state is `EXPIRED` and
    /// assignments still work (0 to 365, default 30).
    pub grace_days: Option<i32>,
    /// Free seats at or under which the app is low on seats (default 0).
    pub low_seat_threshold: Option<i64>,
}

/// Stored terms of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionTerms {
    /// The term's first day.
    pub term_start: NaiveDate,
    /// The term's last day.
    pub term_end: NaiveDate,
    /// Whether the term renews itself.
    pub auto_renew: bool,
    /// The price of one seat for one year, shown in its currency's minor
    /// unit.
    pub price_per_seat: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Days of notice before the term end.
    pub notice_days: i32,
    /// Days of grace after the term end.
    pub grace_days: i32,
    /// Free seats at or under which the app is low on seats.
    pub low_seat_threshold: i64,
}

/// An app's subscription as it stands today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The app.
    pub app_id: AppId,
    /// The terms as set.
    pub terms: SubscriptionTerms,
    /// The state today, and the day it counts to.
    pub status: SubscriptionStatus,
    /// The app's seats the costs were computed from.
    pub seats: Seats,
    /// Purchased seats × price, per year.
    pub annual_cost: Decimal,
    /// Unassigned seats × price, per year.
    pub unused_seat_cost: Decimal,
}

impl Subscription {
    /// What `seats` seats cost a year at the price per seat, shown in the
    /// currency (the idle seats' cost on the licenses list).
    pub fn cost_of_seats(&self, seats: i64) -> Decimal {
        money::shown(
            self.terms.price_per_seat * Decimal::from(seats),
            &self.terms.currency,
        )
    }
}

/// The tenant's yearly spend in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencySpend {
    /// ISO 4217 code.
    pub currency: String,
    /// Subscriptions counted (those not `DISABLED`).
    pub subscriptions: i64,
    /// Sum of their annual costs.
    pub annual_cost: Decimal,
    /// Sum of their unused-seat costs.
    pub unused_seat_cost: Decimal,
}

/// What `set_subscription` returns.
#[derive(Debug, Clone)]
pub struct SubscriptionSet {
    /// The app.
    pub app: App,
    /// Its subscription after the change.
    pub subscription: Subscription,
}

/// The columns of [`SubscriptionRow`]: the terms, without the watcher's
/// `notified_state` (`notices.rs`), which is no term.
const TERM_COLUMNS: (
    app_subscriptions::tenant_id,
    app_subscriptions::app_id,
    app_subscriptions::term_start,
    app_subscriptions::term_end,
    app_subscriptions::auto_renew,
    app_subscriptions::price_per_seat_e4,
    app_subscriptions::currency,
    app_subscriptions::notice_days,
    app_subscriptions::grace_days,
    app_subscriptions::low_seat_threshold,
) = (
    app_subscriptions::tenant_id,
    app_subscriptions::app_id,
    app_subscriptions::term_start,
    app_subscriptions::term_end,
    app_subscriptions::auto_renew,
    app_subscriptions::price_per_seat_e4,
    app_subscriptions::currency,
    app_subscriptions::notice_days,
    app_subscriptions::grace_days,
    app_subscriptions::low_seat_threshold,
);

#[derive(Insertable, Queryable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = app_subscriptions)]
struct SubscriptionRow {
    tenant_id: TenantId,
    app_id: AppId,
    term_start: NaiveDate,
    term_end: NaiveDate,
    auto_renew: bool,
    price_per_seat_e4: i64,
    currency: String,
    notice_days: i32,
    grace_days: i32,
    low_seat_threshold: i64,
}

impl SubscriptionRow {
    fn term(&self) -> Term {
        Term {
            start: self.term_start,
            end: self.term_end,
            auto_renew: self.auto_renew,
            notice_days: self.notice_days,
            grace_days: self.grace_days,
        }
    }

    fn into_subscription(self, seats: Seats, today: NaiveDate) -> Subscription {
        let status = self.term().status(today);
        let price = money::price_from_stored(self.price_per_seat_e4);
        // Exact: price < 10^13 (scale 4) times seats < 10^7 stays far
        // inside a Decimal's 96 bits.
        let annual_cost = price * Decimal::from(seats.purchased);
        let unused_seat_cost = price * Decimal::from(seats.available());
        let currency = self.currency;
        Subscription {
            app_id: self.app_id,
            status,
            seats,
            annual_cost: money::shown(annual_cost, &currency),
            unused_seat_cost: money::shown(unused_seat_cost, &currency),
            terms: SubscriptionTerms {
                term_start: self.term_start,
                term_end: self.term_end,
                auto_renew: self.auto_renew,
                price_per_seat: money::shown(price, &currency),
                currency,
                notice_days: self.notice_days,
                grace_days: self.grace_days,
                low_seat_threshold: self.low_seat_threshold,
            },
        }
    }
}

fn days(field: InputField, value: Option<i32>, default: i32) -> CoreResult<i32> {
    let value = value.unwrap_or(default);
    if !(0..=MAX_NOTICE_OR_GRACE_DAYS).contains(&value) {
        return Err(CoreError::invalid(
            field,
            format!("must be between 0 and {MAX_NOTICE_OR_GRACE_DAYS}"),
        ));
    }
    Ok(value)
}

/// Check a client's terms; the row to store. Fields are checked in the
/// input's order and the first fault is reported.
fn checked(tenant: TenantId, app: AppId, input: &SubscriptionInput) -> CoreResult<SubscriptionRow> {
    if input.term_end <= input.term_start {
        return Err(CoreError::invalid(
            InputField::TermEnd,
            "must be after termStart",
        ));
    }
    let price_per_seat_e4 = money::price_to_stored(InputField::PricePerSeat, input.price_per_seat)?;
    let currency = money::currency(InputField::Currency, &input.currency)?;
    let notice_days = days(
        InputField::NoticeDays,
        input.notice_days,
        DEFAULT_NOTICE_DAYS,
    )?;
    let grace_days = days(InputField::GraceDays, input.grace_days, DEFAULT_GRACE_DAYS)?;
    let low_seat_threshold = input.low_seat_threshold.unwrap_or(0);
    if !(0..=MAX_SEATS).contains(&low_seat_threshold) {
        return Err(CoreError::invalid(
            InputField::LowSeatThreshold,
            format!("must be between 0 and {MAX_SEATS}"),
        ));
    }
    Ok(SubscriptionRow {
        tenant_id: tenant,
        app_id: app,
        term_start: input.term_start,
        term_end: input.term_end,
        auto_renew: input.auto_renew,
        price_per_seat_e4,
        currency: currency.code().to_owned(),
        notice_days,
        grace_days,
        low_seat_threshold,
    })
}

async fn stored_row(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
) -> CoreResult<Option<SubscriptionRow>> {
    let query = app_subscriptions::table
        .filter(app_subscriptions::tenant_id.eq(tenant))
        .filter(app_subscriptions::app_id.eq(app))
        .select(TERM_COLUMNS);
    Ok(on_conn!(conn, c => query.first(c).await.optional())?)
}

/// The columns of an app's terms a batched assignment needs, in this
/// order: `term_start`, `term_end`, `auto_renew`, `notice_days`,
/// `grace_days`, `low_seat_threshold`; as a LEFT JOIN or scalar subqueries
/// read them, all NULL when the app has no terms.
pub(crate) type AssignTermsColumns = (
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<bool>,
    Option<i32>,
    Option<i32>,
    Option<i64>,
);

/// What a batched assignment needs from an app's terms (read under the
/// app's lock, see `licensing/batch.rs`): whether the app takes new
/// assignments `today`, and its low-seat threshold (`None`: no terms
/// recorded).
pub(crate) fn assign_terms(columns: AssignTermsColumns, today: NaiveDate) -> (bool, Option<i64>) {
    match columns {
        (
            Some(start),
            Some(end),
            Some(auto_renew),
            Some(notice_days),
            Some(grace_days),
            Some(threshold),
        ) => {
            let term = Term {
                start,
                end,
                auto_renew,
                notice_days,
                grace_days,
            };
            (
                term.status(today).state.takes_new_assignments(),
                Some(threshold),
            )
        }
        // The columns are NOT NULL, so a row has all of them or none: no
        // terms recorded, nothing limits the app.
        _ => (true, None),
    }
}

/// Refuse a new assignment of `app` when its subscription is `DISABLED`
/// on `today`. Call inside the write transaction, after the app's row lock
/// (`locks::apps`): the row read here is then the one that commits.
pub(crate) async fn require_assignable(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    app: AppId,
    today: NaiveDate,
) -> CoreResult<()> {
    let Some(row) = stored_row(conn, tenant, app).await? else {
        // No subscription recorded: nothing limits the app.
        return Ok(());
    };
    if row.term().status(today).state.takes_new_assignments() {
        return Ok(());
    }
    Err(CoreError::SubscriptionInactive {
        term_end: row.term_end,
        grace_days: row.grace_days,
    })
}

/// Subscriptions with their apps' seats; `apps` = `None` for all of the
/// tenant's.
async fn load_with_seats(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    only: Option<&[AppId]>,
) -> CoreResult<Vec<(SubscriptionRow, Seats)>> {
    let rows: Vec<(SubscriptionRow, i64, i64)> = on_conn!(conn, c => {
        let mut query = app_subscriptions::table
            .inner_join(
                apps::table.on(apps::tenant_id
                    .eq(app_subscriptions::tenant_id)
                    .and(apps::id.eq(app_subscriptions::app_id))),
            )
            .filter(app_subscriptions::tenant_id.eq(tenant))
            .select((
                TERM_COLUMNS,
                apps::purchased_seats,
                apps::assigned_seats,
            ))
            .into_boxed();
        if let Some(ids) = only {
            query = query.filter(app_subscriptions::app_id.eq_any(ids));
        }
        query.order(app_subscriptions::app_id).load(c).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(row, purchased, assigned)| {
            (
                row,
                Seats {
                    purchased,
                    assigned,
                },
            )
        })
        .collect())
}

/// Store `row` over `previous` (under the app's row lock, in the write
/// transaction), audited as `SUBSCRIPTION_SET` unless nothing changed; the
/// app with its subscription as it stands `today`.
async fn write_terms(
    conn: &mut Conn<'_>,
    actor: &Actor,
    previous: Option<SubscriptionRow>,
    row: SubscriptionRow,
    today: NaiveDate,
) -> CoreResult<SubscriptionSet> {
    let (tenant, app) = (row.tenant_id, row.app_id);
    if previous.as_ref() != Some(&row) {
        match &previous {
            Some(_) => {
                let update = diesel::update(
                    app_subscriptions::table
                        .filter(app_subscriptions::tenant_id.eq(tenant))
                        .filter(app_subscriptions::app_id.eq(app)),
                )
                .set((
                    app_subscriptions::term_start.eq(row.term_start),
                    app_subscriptions::term_end.eq(row.term_end),
                    app_subscriptions::auto_renew.eq(row.auto_renew),
                    app_subscriptions::price_per_seat_e4.eq(row.price_per_seat_e4),
                    app_subscriptions::currency.eq(&row.currency),
                    app_subscriptions::notice_days.eq(row.notice_days),
                    app_subscriptions::grace_days.eq(row.grace_days),
                    app_subscriptions::low_seat_threshold.eq(row.low_seat_threshold),
                ));
                on_conn!(conn, c => update.execute(c).await)?;
            }
            None => {
                let insert = diesel::insert_into(app_subscriptions::table).values(&row);
                on_conn!(conn, c => insert.execute(c).await)?;
            }
        }
        let state_before = previous.as_ref().map(|p| p.term().status(today).state);
        audit::record(conn, tenant, actor, AuditAction::SubscriptionSet, Target::app(app), serde_json::json!({
            "termStart": row.term_start,
            "termEnd": row.term_end,
            "autoRenew": row.auto_renew,
            "pricePerSeat": money::shown(money::price_from_stored(row.price_per_seat_e4), &row.currency).to_string(),
            "currency": row.currency,
            "noticeDays": row.notice_days,
            "graceDays": row.grace_days,
            "lowSeatThreshold": row.low_seat_threshold,
            "previousTermEnd": previous.as_ref().map(|p| p.term_end),
            "renewed": previous.as_ref().is_some_and(|p| row.term_end > p.term_end),
            "wasDisabled": state_before == Some(SubscriptionState::Disabled),
        })).await?;
    }
    let app = crate::apps::load(conn, tenant, app).await?;
    let subscription = row.into_subscription(app.seats, today);
    Ok(SubscriptionSet { app, subscription })
}

impl Store {
    /// Set (or replace) the subscription terms of `app`, audited as
    /// `SUBSCRIPTION_SET`. A later `term_end` is a renewal: the state is
    /// computed afresh from the new terms. Bad input fails with
    /// `INVALID_INPUT` naming the field, and nothing changes; setting the
    /// terms the app already has writes nothing.
    pub async fn set_subscription(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        input: SubscriptionInput,
    ) -> CoreResult<SubscriptionSet> {
        let row = checked(tenant, app, &input)?;
        let today = self.clock().today();
        write_txn!(self, conn => {
            // The lock `require_assignable` reads under: an assignment
            // sees these terms whole, or the previous ones.
            locks::apps(conn, tenant, &[app]).await?;
            let previous = stored_row(conn, tenant, app).await?;
            write_terms(conn, actor, previous, row, today).await
        })
    }

    /// The vendor renewed `app`'s subscription (reported by its adapter):
    /// the term now ends on `term_end`, and renews itself as `auto_renew`
    /// says (unchanged when `None`); every other term stays. Written and
    /// audited (`SUBSCRIPTION_SET`, by `actor`) like [`Store::set_subscription`],
    /// so the state is computed afresh: a renewed `EXPIRED` app is
    /// `ACTIVE` again. `None` when the app has no subscription terms (a
    /// renewal alone carries no price to create them from); a `term_end`
    /// not after the term's start is `INVALID_INPUT` on `termEnd`.
    pub async fn renew_subscription(
        &self,
        tenant: TenantId,
        actor: &Actor,
        app: AppId,
        term_end: NaiveDate,
        auto_renew: Option<bool>,
    ) -> CoreResult<Option<SubscriptionSet>> {
        let today = self.clock().today();
        write_txn!(self, conn => {
            locks::apps(conn, tenant, &[app]).await?;
            let Some(previous) = stored_row(conn, tenant, app).await? else {
                return Ok(None);
            };
            if term_end <= previous.term_start {
                return Err(CoreError::invalid(InputField::TermEnd, "must be after termStart"));
            }
            let row = SubscriptionRow {
                term_end,
                auto_renew: auto_renew.unwrap_or(previous.auto_renew),
                ..previous.clone()
            };
            write_terms(conn, actor, Some(previous), row, today).await.map(Some)
        })
    }

    /// The subscriptions of the given apps as they stand today; apps
    /// without one (or unknown) are absent.
    pub async fn subscriptions_of_apps(
        &self,
        tenant: TenantId,
        apps: &[AppId],
    ) -> CoreResult<HashMap<AppId, Subscription>> {
        let today = self.clock().today();
        read_conn!(self, conn => {
            let rows = load_with_seats(conn, tenant, Some(apps)).await?;
            Ok(rows
                .into_iter()
                .map(|(row, seats)| (row.app_id, row.into_subscription(seats, today)))
                .collect())
        })
    }

    /// The tenant's yearly spend per currency (by code), over its
    /// subscriptions that are not `DISABLED` today.
    pub async fn spend(&self, tenant: TenantId) -> CoreResult<Vec<CurrencySpend>> {
        let today = self.clock().today();
        let rows = read_conn!(self, conn => load_with_seats(conn, tenant, None).await)?;
        let mut totals: BTreeMap<String, CurrencySpend> = BTreeMap::new();
        for (row, seats) in rows {
            let subscription = row.into_subscription(seats, today);
            if subscription.status.state == SubscriptionState::Disabled {
                continue;
            }
            let currency = subscription.terms.currency;
            let total = totals
                .entry(currency.clone())
                .or_insert_with(|| CurrencySpend {
                    currency,
                    subscriptions: 0,
                    annual_cost: Decimal::ZERO,
                    unused_seat_cost: Decimal::ZERO,
                });
            total.subscriptions += 1;
            total.annual_cost = add(total.annual_cost, subscription.annual_cost)?;
            total.unused_seat_cost = add(total.unused_seat_cost, subscription.unused_seat_cost)?;
        }
        Ok(totals
            .into_values()
            .map(|mut total| {
                total.annual_cost = money::shown(total.annual_cost, &total.currency);
                total.unused_seat_cost = money::shown(total.unused_seat_cost, &total.currency);
                total
            })
            .collect())
    }
}

/// Sum of costs. Each is below 10^16, so overflowing a Decimal (about
/// 7.9 × 10^28) would take a trillion apps; say so rather than wrap.
fn add(a: Decimal, b: Decimal) -> CoreResult<Decimal> {
    a.checked_add(b)
        .ok_or_else(|| CoreError::Internal("a spend total overflowed".into()))
}
