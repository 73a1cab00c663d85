//! DataLoaders: every relation between objects is loaded in batches, so a
//! page of N items costs a fixed number of SQL statements, not N.
//!
//! Loaders live for one request and one tenant ([`Loaders::new`]); they
//! cache what they loaded for the rest of that request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use seatwise_core::ids::{AppId, AssignmentId, GroupId, TenantId, UserId};
use seatwise_core::model::{App, EffectiveLicense, Group, User};
use seatwise_core::seat_changes::{SeatChangeOperation, SeatChangeOperationId};
use seatwise_core::subscriptions::Subscription;
use seatwise_core::{CoreError, Store};

use super::prefetch::PrefetchedAssignments;

/// A loader's error: shared, because one failed batch fails every waiter.
pub type LoadError = Arc<CoreError>;

/// The store scoped to the request's tenant.
#[derive(Clone)]
pub struct TenantStore {
    store: Store,
    tenant: TenantId,
}

macro_rules! batch_loader {
    ($(#[$doc:meta])* $name:ident: $key:ty => $value:ty, |$this:ident, $keys:ident| $load:expr) => {
        $(#[$doc])*
        pub struct $name(TenantStore);

        impl Loader<$key> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, $keys: &[$key]) -> Result<HashMap<$key, $value>, LoadError> {
                let $this = &self.0;
                Ok($load)
            }
        }
    };
}

batch_loader!(
    /// Apps by id.
    AppsById: AppId => App,
    |s, keys| s.store.apps_by_ids(s.tenant, keys).await?.into_iter().map(|a| (a.id, a)).collect()
);
batch_loader!(
    /// Users by id.
    UsersById: UserId => User,
    |s, keys| s.store.users_by_ids(s.tenant, keys).await?.into_iter().map(|u| (u.id, u)).collect()
);
batch_loader!(
    /// Groups by id.
    GroupsById: GroupId => Group,
    |s, keys| s.store.groups_by_ids(s.tenant, keys).await?.into_iter().map(|g| (g.id, g)).collect()
);
batch_loader!(
    /// Number of members per group (groups without members are absent: 0).
    MemberCounts: GroupId => i64,
    |s, keys| s.store.member_counts(s.tenant, keys).await?
);
batch_loader!(
    /// Every effective license of each user (absent: none).
    LicensesOfUsers: UserId => Vec<EffectiveLicense>,
    |s, keys| s.store.licenses_of_users(s.tenant, keys).await?
);
batch_loader!(
    /// Apps assigned to each group with their assignment ids, oldest
    /// first (absent: none).
    AppsOfGroups: GroupId => Vec<(AssignmentId, AppId)>,
    |s, keys| s.store.apps_assigned_to_groups(s.tenant, keys).await?
);
batch_loader!(
    /// Users waiting for a seat, per app (absent: 0).
    LicenseErrorCounts: AppId => i64,
    |s, keys| s.store.license_error_counts(s.tenant, keys).await?
);
batch_loader!(
    /// Seat-change operations by id.
    SeatChangeOperationsById: SeatChangeOperationId => SeatChangeOperation,
    |s, keys| s.store.seat_change_operations_by_ids(s.tenant, keys).await?.into_iter().map(|o| (o.id, o)).collect()
);
batch_loader!(
    /// Subscriptions of apps, as they stand today (absent: none).
    SubscriptionsOfApps: AppId => Subscription,
    |s, keys| s.store.subscriptions_of_apps(s.tenant, keys).await?
);

batch_loader!(
    /// When each user was last active in each app (absent: never).
    LastActivity: (AppId, UserId) => chrono::DateTime<chrono::Utc>,
    |s, keys| s.store.last_activity(s.tenant, keys).await?
);

batch_loader!(
    /// Idle seats per app and window of days (absent: 0): the licenses
    /// list's column, one statement for the page.
    IdleSeatCounts: (AppId, i32) => i64,
    |s, keys| s.store.idle_seat_counts(s.tenant, keys).await?
);

/// The request's loaders.
pub struct Loaders {
    /// Apps by id.
    pub apps: DataLoader<AppsById, HashMapCache>,
    /// Users by id.
    pub users: DataLoader<UsersById, HashMapCache>,
    /// Groups by id.
    pub groups: DataLoader<GroupsById, HashMapCache>,
    /// Member counts of groups.
    pub member_counts: DataLoader<MemberCounts, HashMapCache>,
    /// Licenses of users.
    pub user_licenses: DataLoader<LicensesOfUsers, HashMapCache>,
    /// Apps assigned to groups.
    pub group_apps: DataLoader<AppsOfGroups, HashMapCache>,
    /// License error counts of apps.
    pub license_error_counts: DataLoader<LicenseErrorCounts, HashMapCache>,
    /// Seat-change operations by id.
    pub seat_change_operations: DataLoader<SeatChangeOperationsById, HashMapCache>,
    /// Subscriptions of apps.
    pub subscriptions: DataLoader<SubscriptionsOfApps, HashMapCache>,
    /// Pages of assignments read ahead by `Query.app`'s plan.
    pub prefetched_assignments: PrefetchedAssignments,
    /// Last activity of users in apps.
    pub last_activity: DataLoader<LastActivity, HashMapCache>,
    /// Idle seat counts of apps per window.
    pub idle_seat_counts: DataLoader<IdleSeatCounts, HashMapCache>,
}

impl Loaders {
    /// Fresh loaders for one request of `tenant`.
    pub fn new(store: Store, tenant: TenantId) -> Self {
        let scoped = TenantStore { store, tenant };
        fn make<L>(loader: L) -> DataLoader<L, HashMapCache>
        where
            L: Send + Sync + 'static,
        {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
        }
        Self {
            apps: make(AppsById(scoped.clone())),
            users: make(UsersById(scoped.clone())),
            groups: make(GroupsById(scoped.clone())),
            member_counts: make(MemberCounts(scoped.clone())),
            user_licenses: make(LicensesOfUsers(scoped.clone())),
            group_apps: make(AppsOfGroups(scoped.clone())),
            license_error_counts: make(LicenseErrorCounts(scoped.clone())),
            seat_change_operations: make(SeatChangeOperationsById(scoped.clone())),
            subscriptions: make(SubscriptionsOfApps(scoped.clone())),
            last_activity: make(LastActivity(scoped.clone())),
            idle_seat_counts: make(IdleSeatCounts(scoped)),
            prefetched_assignments: PrefetchedAssignments::default(),
        }
    }

    /// Loaders for a long-lived subscription: batching stays, caching goes,
    /// so each event shows current data instead of what the connection saw
    /// first.
    pub fn uncached(store: Store, tenant: TenantId) -> Self {
        let loaders = Self::new(store, tenant);
        loaders.apps.enable_all_cache(false);
        loaders.users.enable_all_cache(false);
        loaders.groups.enable_all_cache(false);
        loaders.member_counts.enable_all_cache(false);
        loaders.user_licenses.enable_all_cache(false);
        loaders.group_apps.enable_all_cache(false);
        loaders.license_error_counts.enable_all_cache(false);
        loaders.seat_change_operations.enable_all_cache(false);
        loaders.subscriptions.enable_all_cache(false);
        loaders.last_activity.enable_all_cache(false);
        loaders.idle_seat_counts.enable_all_cache(false);
        loaders
    }
}
