//! `importUsage` and `reclaimIdleSeats`: per-user activity for apps whose
//! vendor reports none, and giving idle seats back. Both need
//! `MANAGE_USAGE` (`GLOBAL_ADMIN`, `LICENSE_ADMIN`): usage decides whose
//! license is taken away, so it is the license administrators' tool.

use async_graphql::{Context, Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use seatwise_core::ids::UserId;
use seatwise_core::usage::{ActivitySource, UsageRecord, UsageUser};
use seatwise_core::{CoreError, EntityKind, InputField};

use super::committed;
use crate::auth::Permission;
use crate::graphql::context::{authorize, loaders, store};
use crate::graphql::errors::{ApiResult, UserError, outcome};
use crate::graphql::ids;
use crate::graphql::types::{App, User};

/// Per-user activity of an app, for apps without an adapter that reports it.
#[derive(InputObject)]
pub struct ImportUsageInput {
    /// The app's global id.
    pub app_id: ID,
    /// When each user was last active in the app (at most 10,000 records).
    pub records: Vec<UsageRecordInput>,
}

/// One user's last activity: name the user by `userId` or by `email`
/// (exactly one).
#[derive(InputObject)]
pub struct UsageRecordInput {
    /// The user's global id.
    pub user_id: Option<ID>,
    /// The user's email address (any case).
    pub email: Option<String>,
    /// When the user was last active in the app (kept to the second; at
    /// most 5 minutes in the future).
    pub last_active_at: DateTime<Utc>,
}

/// Why one usage record was not applied.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "seatwise_core::usage::UsageRejectionReason")]
pub enum UsageRecordRejectionReason {
    /// No user of this organisation has that id or email.
    UnknownUser,
    /// The time lies more than 5 minutes in the future.
    InFuture,
}

/// A usage record that was not applied; the others were.
#[derive(SimpleObject)]
pub struct UsageRecordRejection {
    /// The record's position in `records`, from 0.
    pub index: i32,
    /// Why it was not applied.
    pub reason: UsageRecordRejectionReason,
}

/// Result of `importUsage`.
#[derive(SimpleObject)]
pub struct ImportUsagePayload {
    /// The app (null when `userErrors` is not empty).
    pub app: Option<App>,
    /// Records applied (one older than the stored time is applied and
    /// changes nothing: the latest time is kept).
    pub applied: i32,
    /// Users whose last activity moved forward.
    pub users_updated: i32,
    /// Records not applied, in input order.
    pub rejected: Vec<UsageRecordRejection>,
    /// Why nothing was imported (`NOT_FOUND`, `INVALID_INPUT` naming the
    /// field); nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Which idle seats to give back.
#[derive(InputObject)]
pub struct ReclaimIdleSeatsInput {
    /// The app's global id.
    pub app_id: ID,
    /// Days without activity after which a seat counts as idle (1 to 3650).
    pub idle_days: i32,
    /// Only list what would be reclaimed; change nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

/// A direct assignment reclaimed from an idle user (or, in a dry run, that
/// would be).
#[derive(SimpleObject)]
pub struct ReclaimedSeat {
    /// The idle user.
    pub user: User,
    /// When they were last seen active in the app; null when never.
    pub last_active_at: Option<DateTime<Utc>>,
    /// True when a seat is freed; false when the user keeps the app
    /// through a group (group licenses are never touched).
    pub seat_freed: bool,
}

/// Result of `reclaimIdleSeats`.
#[derive(SimpleObject)]
pub struct ReclaimIdleSeatsPayload {
    /// The app after the reclaim, with its seats (null when `userErrors`
    /// is not empty).
    pub app: Option<App>,
    /// Whether this was only a listing.
    pub dry_run: bool,
    /// The direct assignments removed (or that would be), in user id order.
    pub seats: Vec<ReclaimedSeat>,
    /// How many direct assignments were removed (or would be).
    pub count: i32,
    /// How many seats were freed (or would be); users waiting for a seat
    /// take them.
    pub seats_freed: i32,
    /// Why nothing was reclaimed (`NOT_FOUND`, `INVALID_INPUT` naming
    /// `idleDays`); nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn app_field(entity: EntityKind) -> Option<InputField> {
    (entity == EntityKind::App).then_some(InputField::AppId)
}

/// The core's record for one input record; a user id that names no user
/// (malformed, or of another kind) becomes an id no user has, which the
/// core reports as `UNKNOWN_USER` like any unknown user.
fn usage_record(index: usize, input: UsageRecordInput) -> Result<UsageRecord, CoreError> {
    let user = match (input.user_id, input.email) {
        (Some(id), None) => UsageUser::Id(
            ids::user_id(InputField::UserId, &id).unwrap_or(UserId(uuid::Uuid::nil())),
        ),
        (None, Some(email)) => UsageUser::Email(email),
        _ => {
            return Err(CoreError::InvalidInput {
                field: InputField::UsageRecords,
                message: format!("record {index}: name the user by userId or by email, not both"),
            });
        }
    };
    Ok(UsageRecord {
        user,
        last_active_at: input.last_active_at,
    })
}

pub(super) async fn import_usage(
    ctx: &Context<'_>,
    input: ImportUsageInput,
) -> ApiResult<ImportUsagePayload> {
    let caller = authorize(ctx, Permission::ManageUsage)?;
    let store = store(ctx)?;
    let result = async {
        let app = ids::app_id(InputField::AppId, &input.app_id)?;
        let records = input
            .records
            .into_iter()
            .enumerate()
            .map(|(i, r)| usage_record(i, r))
            .collect::<Result<Vec<_>, _>>()?;
        let recorded = store
            .record_usage(
                caller.tenant,
                &caller.actor(),
                app,
                &records,
                ActivitySource::Import,
            )
            .await?;
        Ok::<_, CoreError>((store.app(caller.tenant, app).await?, recorded))
    }
    .await;
    let (done, user_errors) = outcome(result, app_field)?;
    Ok(match done {
        Some((app, recorded)) => ImportUsagePayload {
            app: Some(App(app)),
            applied: count(recorded.applied),
            users_updated: count(recorded.users_updated),
            rejected: recorded
                .rejected
                .into_iter()
                .map(|r| UsageRecordRejection {
                    index: count(r.index),
                    reason: r.reason.into(),
                })
                .collect(),
            user_errors,
        },
        None => ImportUsagePayload {
            app: None,
            applied: 0,
            users_updated: 0,
            rejected: Vec::new(),
            user_errors,
        },
    })
}

pub(super) async fn reclaim_idle_seats(
    ctx: &Context<'_>,
    input: ReclaimIdleSeatsInput,
) -> ApiResult<ReclaimIdleSeatsPayload> {
    let caller = authorize(ctx, Permission::ManageUsage)?;
    let store = store(ctx)?;
    let result = async {
        let app = ids::app_id(InputField::AppId, &input.app_id)?;
        store
            .reclaim_idle_seats(
                caller.tenant,
                &caller.actor(),
                app,
                input.idle_days,
                input.dry_run,
            )
            .await
    }
    .await;
    let (reclaimed, user_errors) = outcome(result, app_field)?;
    let Some(reclaimed) = reclaimed else {
        return Ok(ReclaimIdleSeatsPayload {
            app: None,
            dry_run: input.dry_run,
            seats: Vec::new(),
            count: 0,
            seats_freed: 0,
            user_errors,
        });
    };
    committed(ctx, caller, &reclaimed.license_changes)?;
    let mut users = loaders(ctx)?
        .users
        .load_many(reclaimed.seats.iter().map(|s| s.user_id))
        .await?;
    let seats_freed = count(reclaimed.seats_freed());
    // A user deleted since the reclaim committed is left out of the list.
    let seats: Vec<ReclaimedSeat> = reclaimed
        .seats
        .iter()
        .filter_map(|seat| {
            users.remove(&seat.user_id).map(|user| ReclaimedSeat {
                user: User(user),
                last_active_at: seat.last_active_at,
                seat_freed: seat.seat_freed,
            })
        })
        .collect();
    Ok(ReclaimIdleSeatsPayload {
        app: Some(App(reclaimed.app)),
        dry_run: reclaimed.dry_run,
        count: count(reclaimed.seats.len()),
        seats,
        seats_freed,
        user_errors,
    })
}
