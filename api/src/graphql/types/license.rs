//! Licenses: assignments (what admins did) and effective licenses (what
//! users hold as a result).

use async_graphql::{Context, Enum, ID, Object, Union};
use chrono::{DateTime, Utc};
use seatwise_core::ids::PrincipalId;
use seatwise_core::model;
use seatwise_core::paging::{Cursor, Page};
use seatwise_core::{CoreError, EntityKind, ids::GroupId};

use super::app::App;
use super::group::Group;
use super::user::User;
use crate::graphql::connection::{connection, page_cost, page_request, selects_total_count};
use crate::graphql::context::loaders;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::{Kind, encode};

/// A user or a group: who a license can be assigned to.
#[derive(Union, Clone)]
pub enum Principal {
    /// A single user.
    User(User),
    /// A group: each member holds the license.
    Group(Group),
}

/// Whether a user's license is in use.
// `remote` generates both conversions with exhaustive matches, so a state
// added to the core does not compile until it is mirrored here.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "seatwise_core::model::LicenseState")]
pub enum LicenseState {
    /// The user holds a seat.
    Active,
    /// The user should hold the license but no seat was free.
    Error,
}

/// Why a license is in the `ERROR` state.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "seatwise_core::model::LicenseErrorCode")]
pub enum LicenseErrorCode {
    /// No seat was free when the user gained the license through a group.
    CountViolation,
}

/// A page of the groups through which a user holds a license (kept in
/// group id order by the core), loaded through the groups loader.
async fn via_groups_page(
    ctx: &Context<'_>,
    ids: &[GroupId],
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<ViaGroupConnection> {
    let request = page_request(first, after.as_deref())?.counting_total(selects_total_count(ctx));
    let page = Page::of_sorted(&request, ids.to_vec(), |id| Cursor::new("", id.0));
    let mut found = loaders(ctx)?
        .groups
        .load_many(page.items.iter().map(|(_, id)| *id))
        .await?;
    let page = Page {
        items: page
            .items
            .into_iter()
            .filter_map(|(cursor, id)| found.remove(&id).map(|group| (cursor, group)))
            .collect(),
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        total_count: page.total_count,
    };
    Ok(ViaGroupConnection::from_page(page, Group))
}

connection!(
    ViaGroupConnection,
    ViaGroupEdge,
    Group,
    "A page of the groups through which a user holds a license, oldest group first.",
    "A group through which a user holds a license, with its cursor."
);

/// One assignment of an app's license to a user or a group, made by an
/// admin.
#[derive(Clone)]
pub struct LicenseAssignment(pub model::Assignment);

connection!(
    LicenseAssignmentConnection,
    LicenseAssignmentEdge,
    LicenseAssignment,
    "A page of license assignments, oldest first.",
    "A license assignment in a page, with its cursor."
);

/// One assignment of an app's license to a user or a group, made by an
/// admin.
#[Object]
impl LicenseAssignment {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::LicenseAssignment, self.0.id.0)
    }

    /// The user or group the license is assigned to.
    async fn principal(&self, ctx: &Context<'_>) -> ApiResult<Principal> {
        let loaders = loaders(ctx)?;
        let missing = |entity| CoreError::NotFound {
            entity,
            id: self.0.principal.any().to_string(),
        };
        Ok(match self.0.principal {
            PrincipalId::User(id) => Principal::User(User(
                loaders
                    .users
                    .load_one(id)
                    .await?
                    .ok_or_else(|| missing(EntityKind::User))?,
            )),
            PrincipalId::Group(id) => Principal::Group(Group(
                loaders
                    .groups
                    .load_one(id)
                    .await?
                    .ok_or_else(|| missing(EntityKind::Group))?,
            )),
        })
    }

    /// The app.
    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        Ok(loaders(ctx)?.apps.load_one(self.0.app_id).await?.map(App))
    }

    /// When it was assigned.
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.assigned_at
    }

    /// Who assigned it (the token subject of the admin).
    async fn assigned_by(&self) -> &str {
        &self.0.assigned_by
    }
}

/// A user holding an app's license, seen from the app.
#[derive(Clone)]
pub struct LicensedUser(pub model::EffectiveLicense);

connection!(
    LicensedUserConnection,
    LicensedUserEdge,
    LicensedUser,
    "A page of users holding an app's license.",
    "A licensed user in a page, with its cursor."
);

/// A user holding an app's license, seen from the app.
#[Object]
impl LicensedUser {
    /// The user.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        Ok(loaders(ctx)?
            .users
            .load_one(self.0.user_id)
            .await?
            .map(User))
    }

    /// Whether the user has a seat.
    async fn state(&self) -> LicenseState {
        self.0.state.into()
    }

    /// Why the license is in `ERROR`, if it is.
    async fn error_code(&self) -> Option<LicenseErrorCode> {
        self.0.error_code.map(Into::into)
    }

    /// True when the license is assigned to the user directly.
    async fn assigned_directly(&self) -> bool {
        self.0.assigned_directly
    }

    /// Groups through which the user holds the license, oldest group
    /// first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn via_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many groups to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the groups after this cursor.")] after: Option<String>,
    ) -> ApiResult<ViaGroupConnection> {
        via_groups_page(ctx, &self.0.via_groups, first, after).await
    }

    /// Since when the license has been in its current state.
    async fn since(&self) -> DateTime<Utc> {
        self.0.since
    }
}

/// One of a user's licenses, seen from the user.
#[derive(Clone)]
pub struct UserLicense(pub model::EffectiveLicense);

connection!(
    UserLicenseConnection,
    UserLicenseEdge,
    UserLicense,
    "A page of a user's licenses, in the order the apps were registered.",
    "A user's license in a page, with its cursor."
);

/// One of a user's licenses, seen from the user.
#[Object]
impl UserLicense {
    /// The app.
    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        Ok(loaders(ctx)?.apps.load_one(self.0.app_id).await?.map(App))
    }

    /// Whether the user has a seat.
    async fn state(&self) -> LicenseState {
        self.0.state.into()
    }

    /// Why the license is in `ERROR`, if it is.
    async fn error_code(&self) -> Option<LicenseErrorCode> {
        self.0.error_code.map(Into::into)
    }

    /// True when the license is assigned to the user directly.
    async fn assigned_directly(&self) -> bool {
        self.0.assigned_directly
    }

    /// Groups through which the user holds the license, oldest group
    /// first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn via_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many groups to return (at most 100, default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the groups after this cursor.")] after: Option<String>,
    ) -> ApiResult<ViaGroupConnection> {
        via_groups_page(ctx, &self.0.via_groups, first, after).await
    }

    /// Since when the license has been in its current state.
    async fn since(&self) -> DateTime<Utc> {
        self.0.since
    }

    /// When the user was last seen active in the app (reported by its
    /// adapter or imported); null when never.
    async fn last_active_at(&self, ctx: &Context<'_>) -> ApiResult<Option<DateTime<Utc>>> {
        Ok(loaders(ctx)?
            .last_activity
            .load_one((self.0.app_id, self.0.user_id))
            .await?)
    }
}

/// Does the selection under a connection field ask for `path` in its items
/// (through `edges { node { … } }` or `nodes { … }`)?
pub(crate) fn items_select(ctx: &Context<'_>, path: &[&str]) -> bool {
    let lookahead = ctx.look_ahead();
    [
        lookahead.field("edges").field("node"),
        lookahead.field("nodes"),
    ]
    .into_iter()
    .any(|mut selection| {
        for name in path {
            selection = selection.field(name);
        }
        selection.exists()
    })
}

/// Load, in one batch each, what the items of an assignments page will ask
/// for. Without this, items resolved a little apart in time can fall into
/// separate DataLoader batches; primed, each item finds its data cached and
/// the page costs the same number of statements at any size.
pub(crate) async fn prime_assignment_page(
    ctx: &Context<'_>,
    assignments: &[model::Assignment],
) -> ApiResult<()> {
    if !items_select(ctx, &["principal"]) {
        return Ok(());
    }
    let loaders = loaders(ctx)?;
    let users = assignments.iter().filter_map(|a| match a.principal {
        PrincipalId::User(u) => Some(u),
        PrincipalId::Group(_) => None,
    });
    let groups: Vec<GroupId> = assignments
        .iter()
        .filter_map(|a| match a.principal {
            PrincipalId::Group(g) => Some(g),
            PrincipalId::User(_) => None,
        })
        .collect();
    let counts = items_select(ctx, &["principal", "memberCount"]).then(|| groups.clone());
    futures::try_join!(
        loaders.users.load_many(users),
        loaders.groups.load_many(groups),
        loaders
            .member_counts
            .load_many(counts.into_iter().flatten()),
    )?;
    Ok(())
}

/// Like [`prime_assignment_page`], for a page of licensed users.
pub(crate) async fn prime_licensed_user_page(
    ctx: &Context<'_>,
    licenses: &[model::EffectiveLicense],
) -> ApiResult<()> {
    let loaders = loaders(ctx)?;
    let users: Vec<_> = licenses.iter().map(|l| l.user_id).collect();
    let groups: std::collections::BTreeSet<GroupId> = licenses
        .iter()
        .flat_map(|l| l.via_groups.iter().copied())
        .collect();
    fn wanted<K>(ctx: &Context<'_>, path: &[&str], keys: Vec<K>) -> Vec<K> {
        if items_select(ctx, path) {
            keys
        } else {
            Vec::new()
        }
    }
    futures::try_join!(
        loaders
            .users
            .load_many(wanted(ctx, &["user"], users.clone())),
        loaders
            .user_licenses
            .load_many(wanted(ctx, &["user", "licenses"], users)),
        loaders.groups.load_many(wanted(
            ctx,
            &["viaGroups"],
            groups.iter().copied().collect()
        )),
        loaders.member_counts.load_many(
            if items_select(ctx, &["viaGroups", "nodes", "memberCount"])
                || items_select(ctx, &["viaGroups", "edges", "node", "memberCount"])
            {
                groups.into_iter().collect()
            } else {
                Vec::new()
            }
        ),
    )?;
    Ok(())
}

/// Whether the items of the connection being resolved select the items of
/// their own connection `field` and, below those, `path`.
fn nested_items_select(ctx: &Context<'_>, field: &str, path: &[&str]) -> bool {
    [["nodes"].as_slice(), ["edges", "node"].as_slice()]
        .into_iter()
        .any(|items| {
            let full: Vec<&str> = std::iter::once(field)
                .chain(items.iter().copied())
                .chain(path.iter().copied())
                .collect();
            items_select(ctx, &full)
        })
}

/// Like [`prime_assignment_page`], for a page of users: their licenses,
/// and the apps and groups those name, each in one batch.
pub(crate) async fn prime_user_page(ctx: &Context<'_>, users: &[model::User]) -> ApiResult<()> {
    if !items_select(ctx, &["licenses"]) {
        return Ok(());
    }
    let loaders = loaders(ctx)?;
    let licenses = loaders
        .user_licenses
        .load_many(users.iter().map(|u| u.id))
        .await?;
    let licenses = licenses.values().flatten();
    let apps: std::collections::BTreeSet<_> = licenses.clone().map(|l| l.app_id).collect();
    let groups: std::collections::BTreeSet<GroupId> = licenses
        .flat_map(|l| l.via_groups.iter().copied())
        .collect();
    let wanted = |path: &[&str]| nested_items_select(ctx, "licenses", path);
    futures::try_join!(
        loaders
            .apps
            .load_many(apps.into_iter().filter(|_| wanted(&["app"]))),
        loaders
            .groups
            .load_many(groups.into_iter().filter(|_| wanted(&["viaGroups"]))),
    )?;
    Ok(())
}

/// Like [`prime_assignment_page`], for a page of groups: their assigned
/// apps, in one batch.
pub(crate) async fn prime_group_page(ctx: &Context<'_>, groups: &[model::Group]) -> ApiResult<()> {
    if !items_select(ctx, &["assignedApps"]) {
        return Ok(());
    }
    let loaders = loaders(ctx)?;
    let assigned = loaders
        .group_apps
        .load_many(groups.iter().map(|g| g.id))
        .await?;
    if nested_items_select(ctx, "assignedApps", &[]) {
        let apps: std::collections::BTreeSet<_> =
            assigned.values().flatten().map(|(_, app)| *app).collect();
        loaders.apps.load_many(apps).await?;
    }
    Ok(())
}
