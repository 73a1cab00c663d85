//! `Group`: a group of users; a license assigned to it reaches each member.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use seatwise_core::model;
use seatwise_core::paging::{Cursor, Page};

use super::app::App;
use super::user::{User, UserConnection};
use crate::auth::Permission;
use crate::graphql::connection::{connection, page_cost, page_request, selects_total_count};
use crate::graphql::context::{authorize, loaders, store};
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::{Kind, encode};

/// A group of users. Assigning an app to a group gives its license to every
/// member.
#[derive(Clone)]
pub struct Group(pub model::Group);

connection!(
    AssignedAppConnection,
    AssignedAppEdge,
    App,
    "A page of the apps assigned to a group, oldest assignment first.",
    "An app assigned to a group, with its cursor."
);

connection!(
    GroupConnection,
    GroupEdge,
    Group,
    "A page of groups, by name.",
    "A group in a page, with its cursor."
);

/// A group of users. Assigning an app to a group gives its license to every
/// member.
#[Object]
impl Group {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        encode(Kind::Group, self.0.id.0)
    }

    /// Name shown to admins.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// What the group is for.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// When the group was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Where the group came from.
    async fn source(&self) -> super::DirectorySource {
        self.0.directory.source.into()
    }

    /// The identity provider's id for the group, when it was provisioned
    /// with one.
    async fn external_id(&self) -> Option<&str> {
        self.0.directory.external_id.as_deref()
    }

    /// How many users are in the group.
    async fn member_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        authorize(ctx, Permission::ReadTenant)?;
        Ok(loaders(ctx)?
            .member_counts
            .load_one(self.0.id)
            .await?
            .unwrap_or(0))
    }

    /// Members of the group, by name.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many members to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the members after this cursor.")] after: Option<String>,
    ) -> ApiResult<UserConnection> {
        let caller = authorize(ctx, Permission::ReadTenant)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .group_members(caller.tenant, self.0.id, &page)
            .await?;
        Ok(UserConnection::from_page(page, User))
    }

    /// Apps assigned to the group, oldest assignment first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn assigned_apps(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many apps to return (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the apps after this cursor.")] after: Option<String>,
    ) -> ApiResult<AssignedAppConnection> {
        authorize(ctx, Permission::ReadTenant)?;
        let request =
            page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let loaders = loaders(ctx)?;
        // The whole (batched) list of the group's assignments, paged here:
        // one statement for every group of the request, whatever the page.
        let assigned = loaders
            .group_apps
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let page = Page::of_sorted(&request, assigned, |(assignment, _)| {
            Cursor::new("", assignment.0)
        });
        let mut apps = loaders
            .apps
            .load_many(page.items.iter().map(|(_, (_, app))| *app))
            .await?;
        let page = Page {
            items: page
                .items
                .into_iter()
                .filter_map(|(cursor, (_, app))| apps.remove(&app).map(|app| (cursor, app)))
                .collect(),
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            total_count: page.total_count,
        };
        Ok(AssignedAppConnection::from_page(page, App))
    }
}
