//! The root `Query` type.

use async_graphql::{Context, ID, Object};
use seatwise_core::ids::{AppId, GroupId, UserId};
use seatwise_core::paging::{Cursor, Page};
use seatwise_core::seat_changes::SeatChangeOperationId;
use seatwise_core::{CoreError, InputField, MAX_SEARCH_RESULTS, model};

use super::connection::{page_cost, page_request, selects_total_count};
use super::context::{authorize, loaders, store};
use super::errors::ApiResult;
use super::ids::{self, Kind};
use super::prefetch::planned_assignment_page;
use super::types::{
    App, AppConnection, AuditEvent, AuditEventConnection, Group, GroupConnection, Node, Principal,
    ScimToken, ScimTokenConnection, SeatChangeOperation, User, UserConnection, Viewer,
    WebhookEndpoint, WebhookEndpointConnection, prime_group_page, prime_user_page,
};
use crate::auth::Permission;

/// Most ids `nodes(ids)` accepts at once.
const MAX_NODES: usize = 100;

/// The complexity of `nodes(ids)`: each id resolves its own object with
/// the whole selection, so the cost is the selection times the ids, like a
/// connection's page ([`page_cost`]).
fn nodes_cost(ids: usize, per_node: usize) -> usize {
    ids.max(1).saturating_mul(per_node.max(1)).saturating_add(1)
}

/// Everything a client can read.
pub struct QueryRoot;

/// Everything a client can read.
#[Object(name = "Query")]
impl QueryRoot {
    /// Who is calling: their organisation, roles and own user. Works for
    /// every valid token, including a plain user's.
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Viewer> {
        super::context::caller(ctx)?;
        Ok(Viewer)
    }

    /// Any object by its global id; null when it does not exist.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let mut found = load_nodes(ctx, std::slice::from_ref(&id)).await?;
        Ok(found.pop().flatten())
    }

    /// Objects by their global ids, in the same order; null for each id that
    /// names nothing.
    #[graphql(complexity = "nodes_cost(ids.len(), child_complexity)")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids (at most 100).")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(CoreError::InvalidInput {
                field: InputField::Ids,
                message: format!("at most {MAX_NODES} ids at once"),
            }
            .into());
        }
        load_nodes(ctx, &ids).await
    }

    /// The organisation's apps, by name.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn apps(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many apps to return (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the apps after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only apps whose name contains this text (case-insensitive).")]
        search: Option<String>,
    ) -> ApiResult<AppConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .list_apps(caller.tenant, search.as_deref(), &page)
            .await?;
        Ok(AppConnection::from_page(page, App))
    }

    /// One app; null when the id names no app of this organisation.
    async fn app(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app's global id.")] id: ID,
    ) -> ApiResult<Option<App>> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let Some((Kind::App, uuid)) = decoded(&id)? else {
            return Ok(None);
        };
        let app = AppId(uuid);
        let loaders = loaders(ctx)?;
        if let Some(page) = planned_assignment_page(ctx) {
            // The license-details screen: the app, then the page with its
            // count and principals, on one connection (see `prefetch`).
            let Some(details) = store(ctx)?
                .app_with_assignments(caller.tenant, app, &page)
                .await?
            else {
                return Ok(None);
            };
            loaders
                .users
                .feed_many(details.users.into_iter().map(|u| (u.id, u)))
                .await;
            loaders
                .groups
                .feed_many(details.groups.into_iter().map(|g| (g.id, g)))
                .await;
            loaders
                .prefetched_assignments
                .put(app, &page, details.assignments);
            loaders.apps.feed_one(app, details.app.clone()).await;
            return Ok(Some(App(details.app)));
        }
        Ok(loaders.apps.load_one(app).await?.map(App))
    }

    /// One seat-change operation (as returned by `requestSeatChange`); null
    /// when the id names no operation of this organisation.
    async fn seat_change_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The operation's global id.")] id: ID,
    ) -> ApiResult<Option<SeatChangeOperation>> {
        authorize(ctx, Permission::ReadTenant)?;
        let Some((Kind::SeatChangeOperation, uuid)) = decoded(&id)? else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .seat_change_operations
            .load_one(SeatChangeOperationId(uuid))
            .await?
            .map(SeatChangeOperation))
    }

    /// The organisation's users, by name.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many users to return (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the users after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only users whose name or email contains this text (case-insensitive).")]
        search: Option<String>,
    ) -> ApiResult<UserConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .list_users(caller.tenant, search.as_deref(), &page)
            .await?;
        let users: Vec<model::User> = page.items.iter().map(|(_, u)| u.clone()).collect();
        prime_user_page(ctx, &users).await?;
        Ok(UserConnection::from_page(page, User))
    }

    /// One user; null when the id names no user of this organisation.
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] id: ID,
    ) -> ApiResult<Option<User>> {
        authorize(ctx, Permission::ReadTenant)?;
        let Some((Kind::User, uuid)) = decoded(&id)? else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.users.load_one(UserId(uuid)).await?.map(User))
    }

    /// The organisation's groups, by name.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many groups to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the groups after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only groups whose name contains this text (case-insensitive).")]
        search: Option<String>,
    ) -> ApiResult<GroupConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .list_groups(caller.tenant, search.as_deref(), &page)
            .await?;
        let groups: Vec<model::Group> = page.items.iter().map(|(_, g)| g.clone()).collect();
        prime_group_page(ctx, &groups).await?;
        Ok(GroupConnection::from_page(page, Group))
    }

    /// One group; null when the id names no group of this organisation.
    async fn group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's global id.")] id: ID,
    ) -> ApiResult<Option<Group>> {
        authorize(ctx, Permission::ReadTenant)?;
        let Some((Kind::Group, uuid)) = decoded(&id)? else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .groups
            .load_one(GroupId(uuid))
            .await?
            .map(Group))
    }

    /// Typeahead over users and groups: names (or later words of names) and
    /// emails starting with `query`, best matches first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn search_principals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the admin typed so far.")] query: String,
        #[graphql(desc = "How many results to return (at most 50, default 10).")] first: Option<
            i32,
        >,
    ) -> ApiResult<Vec<Principal>> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let limit = match first {
            None => 10,
            Some(n) if (1..=MAX_SEARCH_RESULTS as i32).contains(&n) => n as usize,
            Some(_) => {
                return Err(CoreError::InvalidInput {
                    field: InputField::First,
                    message: format!("must be between 1 and {MAX_SEARCH_RESULTS}"),
                }
                .into());
            }
        };
        let hits = store(ctx)?
            .search_principals(caller.tenant, &query, limit)
            .await?;
        Ok(hits
            .into_iter()
            .map(|hit| match hit {
                model::Principal::User(u) => Principal::User(User(u)),
                model::Principal::Group(g) => Principal::Group(Group(g)),
            })
            .collect())
    }

    /// The organisation's audit trail, newest first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many events to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the events after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only events about this app.")] app_id: Option<ID>,
    ) -> ApiResult<AuditEventConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let app = app_id
            .as_ref()
            .map(|id| ids::app_id(InputField::AppId, id))
            .transpose()?;
        let page = store(ctx)?.audit_log(caller.tenant, app, &page).await?;
        Ok(AuditEventConnection::from_page(page, AuditEvent))
    }

    /// The SCIM tokens identity providers sync the directory with, oldest
    /// first, revoked ones included; secrets are never shown again. Needs
    /// `GLOBAL_ADMIN` or `USER_ADMIN`.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn scim_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many tokens to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the tokens after this cursor.")] after: Option<String>,
    ) -> ApiResult<ScimTokenConnection> {
        let caller = authorize(ctx, Permission::ManageDirectorySync)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let tokens = store(ctx)?.scim_tokens(caller.tenant).await?;
        let page = Page::of_sorted(&page, tokens, |t| Cursor::new("", t.id.0));
        Ok(ScimTokenConnection::from_page(page, ScimToken))
    }

    /// The organisation's outbound webhook endpoints, oldest first; their
    /// secrets are never shown again. Needs `GLOBAL_ADMIN`.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many endpoints to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the endpoints after this cursor.")] after: Option<String>,
    ) -> ApiResult<WebhookEndpointConnection> {
        let caller = authorize(ctx, Permission::ManageWebhooks)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let endpoints = store(ctx)?.webhook_endpoints(caller.tenant).await?;
        let page = Page::of_sorted(&page, endpoints, |e| Cursor::new("", e.id.0));
        Ok(WebhookEndpointConnection::from_page(page, WebhookEndpoint))
    }
}

/// A query argument's global id: malformed is `INVALID_INPUT`, unknown kinds
/// are `None`.
fn decoded(id: &ID) -> ApiResult<Option<(Kind, uuid::Uuid)>> {
    match ids::decode(id) {
        Some(decoded) => Ok(Some(decoded)),
        None => Err(CoreError::InvalidInput {
            field: InputField::Id,
            message: format!("{:?} is not a valid id", id.as_str()),
        }
        .into()),
    }
}

/// Load nodes of any kind, one batch per kind, keeping the order of `ids`.
async fn load_nodes(ctx: &Context<'_>, ids: &[ID]) -> ApiResult<Vec<Option<Node>>> {
    authorize(ctx, Permission::ReadTenant)?;
    let loaders = loaders(ctx)?;
    let decoded = ids.iter().map(decoded).collect::<ApiResult<Vec<_>>>()?;
    let pick = |kind: Kind| {
        decoded
            .iter()
            .flatten()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, u)| *u)
    };
    let (apps, users, groups, operations) = futures::try_join!(
        loaders.apps.load_many(pick(Kind::App).map(AppId)),
        loaders.users.load_many(pick(Kind::User).map(UserId)),
        loaders.groups.load_many(pick(Kind::Group).map(GroupId)),
        loaders
            .seat_change_operations
            .load_many(pick(Kind::SeatChangeOperation).map(SeatChangeOperationId)),
    )?;
    Ok(decoded
        .into_iter()
        .map(|d| match d {
            Some((Kind::App, u)) => apps.get(&AppId(u)).cloned().map(|a| Node::App(App(a))),
            Some((Kind::User, u)) => users.get(&UserId(u)).cloned().map(|u| Node::User(User(u))),
            Some((Kind::Group, u)) => groups
                .get(&GroupId(u))
                .cloned()
                .map(|g| Node::Group(Group(g))),
            Some((Kind::SeatChangeOperation, u)) => operations
                .get(&SeatChangeOperationId(u))
                .cloned()
                .map(|o| Node::SeatChangeOperation(SeatChangeOperation(o))),
            _ => None,
        })
        .collect())
}
