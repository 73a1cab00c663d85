//! `User`: a person in the tenant.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use seatwise_core::model;
use seatwise_core::paging::{Cursor, Page};

use super::directory::{DirectorySource, DirectoryStatus};
use super::group::{Group, GroupConnection};
use super::license::{UserLicense, UserLicenseConnection};
use crate::graphql::connection::{connection, page_cost, page_request, selects_total_count};
use crate::graphql::context::{authorize_self_or_reader, loaders, store};
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::{Kind, encode};

/// A person in the organisation.
#[derive(Clone)]
pub struct User(pub model::User);

connection!(
    UserConnection,
    UserEdge,
    User,
    "A page of users, by name.",
    "A user in a page, with its cursor."
);

/// A person in the organisation.
#[Object]
impl User {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        encode(Kind::User, self.0.id.0)
    }

    /// Name shown to admins.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Email address, unique in the organisation.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// When the user was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Whether the account may sign in. An account an admin disabled
    /// keeps its licenses and seats until an admin removes them. False
    /// also while the identity provider has the user deactivated (see
    /// `directoryStatus`), and then the user holds no seat.
    async fn account_enabled(&self) -> bool {
        self.0.account_enabled
    }

    /// Whether the identity provider has the user active. `DEACTIVATED`
    /// users had their seats released and take them again only when the
    /// identity provider reactivates them; users created in Seatwise are
    /// always `ACTIVE`.
    async fn directory_status(&self) -> DirectoryStatus {
        DirectoryStatus::of(self.0.directory_active)
    }

    /// Where the user came from.
    async fn source(&self) -> DirectorySource {
        self.0.directory.source.into()
    }

    /// The identity provider's id for the user, when it was provisioned
    /// or imported with one.
    async fn external_id(&self) -> Option<&str> {
        self.0.directory.external_id.as_deref()
    }

    /// Department, as the identity provider sent it.
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }

    /// Groups the user belongs to, by name.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many groups to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the groups after this cursor.")] after: Option<String>,
    ) -> ApiResult<GroupConnection> {
        let caller = authorize_self_or_reader(ctx, self.0.id)?;
        let page = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        let page = store(ctx)?
            .groups_of_user(caller.tenant, self.0.id, &page)
            .await?;
        Ok(GroupConnection::from_page(page, Group))
    }

    /// Every app license the user holds, with how they hold it, in the
    /// order the apps were registered.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn licenses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many licenses to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the licenses after this cursor.")] after: Option<String>,
    ) -> ApiResult<UserLicenseConnection> {
        authorize_self_or_reader(ctx, self.0.id)?;
        let request =
            page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
        // The user's whole list comes from one batched statement for every
        // user of the request, then is paged here.
        let licenses = loaders(ctx)?
            .user_licenses
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let page = Page::of_sorted(&request, licenses, |license| {
            Cursor::new("", license.app_id.0)
        });
        Ok(UserLicenseConnection::from_page(page, UserLicense))
    }
}
