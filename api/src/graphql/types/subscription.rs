//! `AppSubscription`: an app's subscription terms, its state today and its
//! costs; `CurrencySpend`: the tenant's yearly spend in one currency.
//! (Named `AppSubscription` because `Subscription` is the schema's root
//! type of live updates.)

use async_graphql::{Enum, Object, SimpleObject};
use seatwise_core::subscriptions;

use crate::graphql::scalars::{Date, Decimal};

/// Where an app's subscription stands today (UTC days).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    /// In its term, more than `noticeDays` before its end (or not started
    /// yet).
    Active,
    /// Within `noticeDays` of the end of its term (the end day included);
    /// everything works.
    Expiring,
    /// The term ended less than `graceDays` ago; everything works, but the
    /// subscription should be renewed: show a warning.
    Expired,
    /// The term ended and the grace period is over: new assignments are
    /// refused with `SUBSCRIPTION_INACTIVE`. Existing assignments and
    /// seats are kept but inactive: show them as such. A renewal (a later
    /// `termEnd` through `setSubscription`) makes the app `ACTIVE` again.
    Disabled,
}

impl From<subscriptions::SubscriptionState> for SubscriptionState {
    fn from(state: subscriptions::SubscriptionState) -> Self {
        use subscriptions::SubscriptionState as S;
        match state {
            S::Active => SubscriptionState::Active,
            S::Expiring => SubscriptionState::Expiring,
            S::Expired => SubscriptionState::Expired,
            S::Disabled => SubscriptionState::Disabled,
        }
    }
}

/// An app's subscription: the terms bought from the vendor, where they
/// stand today, and what the seats cost.
pub struct AppSubscription(pub subscriptions::Subscription);

/// An app's subscription: the terms bought from the vendor, where they
/// stand today, and what the seats cost.
#[Object]
impl AppSubscription {
    /// The first day of the term.
    async fn term_start(&self) -> Date {
        Date(self.0.terms.term_start)
    }

    /// The last day of the term, as set.
    async fn term_end(&self) -> Date {
        Date(self.0.terms.term_end)
    }

    /// Whether the term renews itself when it ends. When true, a term that
    /// ended is rolled forward by its own length (whole calendar months
    /// when it is a whole number of them, else days), so the subscription
    /// is never `EXPIRED` or `DISABLED`; `renewsOn` is then the current
    /// term's last day.
    async fn auto_renew(&self) -> bool {
        self.0.terms.auto_renew
    }

    /// The price of one seat for one year, in `currency`.
    async fn price_per_seat(&self) -> Decimal {
        Decimal(self.0.terms.price_per_seat)
    }

    /// The ISO 4217 code of the prices and costs, e.g. `EUR`.
    async fn currency(&self) -> &str {
        &self.0.terms.currency
    }

    /// Days before the term's end from which the state is `EXPIRING`.
    async fn notice_days(&self) -> i32 {
        self.0.terms.notice_days
    }

    /// Days after the term's end during which the state is `EXPIRED` and
    /// assignments still work.
    async fn grace_days(&self) -> i32 {
        self.0.terms.grace_days
    }

    /// Free seats at or under which the app is low on seats.
    async fn low_seat_threshold(&self) -> i64 {
        self.0.terms.low_seat_threshold
    }

    /// Where the subscription stands today.
    async fn state(&self) -> SubscriptionState {
        self.0.status.state.into()
    }

    /// The last day of the current term: `termEnd`, or with `autoRenew`
    /// the end of the rolled-forward term today falls in.
    async fn renews_on(&self) -> Date {
        Date(self.0.status.renews_on)
    }

    /// Days from today to `renewsOn`: 0 on that day, negative once it has
    /// passed (the days since the term ended).
    async fn days_to_renewal(&self) -> i64 {
        self.0.status.days_to_renewal
    }

    /// What the app's seats cost a year: purchased seats × `pricePerSeat`.
    async fn annual_cost(&self) -> Decimal {
        Decimal(self.0.annual_cost)
    }

    /// What the unassigned seats cost a year: (purchased − assigned seats)
    /// × `pricePerSeat`.
    async fn unused_seat_cost(&self) -> Decimal {
        Decimal(self.0.unused_seat_cost)
    }
}

/// The organisation's yearly spend in one currency, over its subscriptions
/// that are not `DISABLED`.
#[derive(SimpleObject)]
pub struct CurrencySpend {
    /// The ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// How many subscriptions in this currency are counted.
    pub subscriptions: i64,
    /// Their `annualCost`, summed.
    pub annual_cost: Decimal,
    /// Their `unusedSeatCost`, summed.
    pub unused_seat_cost: Decimal,
}

impl From<subscriptions::CurrencySpend> for CurrencySpend {
    fn from(spend: subscriptions::CurrencySpend) -> Self {
        Self {
            currency: spend.currency,
            subscriptions: spend.subscriptions,
            annual_cost: Decimal(spend.annual_cost),
            unused_seat_cost: Decimal(spend.unused_seat_cost),
        }
    }
}
