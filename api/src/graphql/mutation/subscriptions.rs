//! `setSubscription`: an app's subscription terms (term, price per seat,
//! renewal settings). A later `termEnd` is a renewal, and brings a
//! `DISABLED` app back. The state and costs are read back through
//! `App.subscription`.

use async_graphql::{Context, ID, InputObject, SimpleObject};
use seatwise_core::subscriptions::SubscriptionInput;
use seatwise_core::{EntityKind, InputField};

use crate::auth::Permission;
use crate::graphql::context::{authorize, loaders, store};
use crate::graphql::errors::{ApiResult, UserError, outcome};
use crate::graphql::ids;
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::types::App;

/// An app's subscription terms; they replace any it had.
#[derive(InputObject)]
pub struct SetSubscriptionInput {
    /// The app's global id.
    pub app_id: ID,
    /// The first day of the term.
    pub term_start: Date,
    /// The last day of the term; after `termStart`.
    pub term_end: Date,
    /// Whether the term renews itself when it ends (see
    /// `AppSubscription.autoRenew`).
    #[graphql(default)]
    pub auto_renew: bool,
    /// The price of one seat for one year: at least 0, at most
    /// 1,000,000,000, at most 4 decimal places.
    pub price_per_seat: Decimal,
    /// The ISO 4217 code of the price, in capitals, e.g. `EUR`.
    pub currency: String,
    /// Days before `termEnd` from which the state is `EXPIRING` (0 to 365;
    /// default 30).
    pub notice_days: Option<i32>,
    /// Days after `termEnd` during which the state is `EXPIRED` and
    /// assignments still work (0 to 365; default 30).
    pub grace_days: Option<i32>,
    /// Free seats at or under which the app is low on seats (at least 0;
    /// default 0).
    pub low_seat_threshold: Option<i32>,
}

/// Result of `setSubscription`.
#[derive(SimpleObject)]
pub struct SetSubscriptionPayload {
    /// The app, with its subscription (null when `userErrors` is not
    /// empty).
    pub app: Option<App>,
    /// Why the terms were not set (`INVALID_INPUT` naming the field,
    /// `NOT_FOUND`); nothing was changed.
    pub user_errors: Vec<UserError>,
}

pub(super) async fn set_subscription(
    ctx: &Context<'_>,
    input: SetSubscriptionInput,
) -> ApiResult<SetSubscriptionPayload> {
    let caller = authorize(ctx, Permission::ManageSubscriptions)?;
    let store = store(ctx)?;
    let result = async {
        let app = ids::app_id(InputField::AppId, &input.app_id)?;
        let terms = SubscriptionInput {
            term_start: input.term_start.0,
            term_end: input.term_end.0,
            auto_renew: input.auto_renew,
            price_per_seat: input.price_per_seat.0,
            currency: input.currency,
            notice_days: input.notice_days,
            grace_days: input.grace_days,
            low_seat_threshold: input.low_seat_threshold.map(i64::from),
        };
        store
            .set_subscription(caller.tenant, &caller.actor(), app, terms)
            .await
    }
    .await;
    let (set, user_errors) = outcome(result, |entity| {
        (entity == EntityKind::App).then_some(InputField::AppId)
    })?;
    let app = match set {
        Some(set) => {
            // The answer shows the terms just written, not a re-read.
            loaders(ctx)?
                .subscriptions
                .feed_one(set.app.id, set.subscription)
                .await;
            Some(App(set.app))
        }
        None => None,
    };
    Ok(SetSubscriptionPayload { app, user_errors })
}
