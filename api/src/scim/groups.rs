//! `/scim/v2/Groups`: list (filter, `startIndex`/`count`,
//! `attributes`/`excludedAttributes`), read, create, replace, patch and
//! delete, each through the core in one transaction, with the token's name
//! as the audited actor.
//!
//! Members are read only when the answer shows them or the filter looks at
//! them: identity providers ask for `excludedAttributes=members` on large
//! groups, and such a request reads no membership. A PATCH is answered
//! `204 No Content` with the new ETag (RFC 7644 §3.5.2 allows it; Entra ID
//! and Okta expect it), so a member PATCH never reads the whole member
//! list; with `attributes` or `excludedAttributes` in the query it is
//! answered `200` with the group, as asked.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatwise_core::Store;
use seatwise_core::directory_groups::GroupWritten;
use seatwise_core::ids::{GroupId, TenantId, UserId};
use seatwise_core::model::{DirectorySource, Group};
use serde_json::Value;

use super::discovery::LIST_SCHEMA;
use super::error::ScimError;
use super::filter::Filter;
use super::group_resource::{from_json, patch_of, to_json};
use super::patch::PatchRequest;
use super::projection::Projection;
use super::user_resource::{etag, version_of};
use super::{ListQuery, ScimCaller, names, parse_body, scim_json};
use crate::server::AppState;

/// Groups read per statement when a filter must look at every group.
const SCAN_CHUNK: i64 = 1_000;
/// Groups read per statement when the filter needs their members too, so
/// one step holds a bounded number of memberships.
const SCAN_CHUNK_WITH_MEMBERS: i64 = 50;

fn group_id(id: &str) -> Result<GroupId, ScimError> {
    uuid::Uuid::parse_str(id)
        .map(GroupId)
        .map_err(|_| ScimError::not_found("group", id))
}

/// What the query asks an answer to show (parsed once for a whole page).
fn projection_of(query: &ListQuery) -> Projection {
    Projection::new(
        &names(query.attributes.as_deref()),
        &names(query.excluded_attributes.as_deref()),
    )
}

/// Whether an answer shows members, i.e. whether they are worth reading.
fn shows_members(projection: &Projection) -> bool {
    projection.shows("members")
}

/// The group's resource, with its members when `with_members`.
async fn resource(
    store: &Store,
    tenant: TenantId,
    group: &Group,
    with_members: bool,
) -> Result<Value, ScimError> {
    if !with_members {
        return Ok(to_json(group, None));
    }
    let mut members = store.group_member_refs(tenant, &[group.id]).await?;
    let members = members.remove(&group.id).unwrap_or_default();
    Ok(to_json(group, Some(&members)))
}

/// One group, with its ETag (and `Location` when created).
fn answer(status: StatusCode, group: &Group, body: &Value) -> Response {
    let mut response = scim_json(status, body);
    if let Ok(value) = etag(group.directory.version).parse() {
        response.headers_mut().insert(header::ETAG, value);
    }
    if status == StatusCode::CREATED
        && let Ok(value) = format!("/scim/v2/Groups/{}", group.id.0).parse()
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn if_version(headers: &HeaderMap) -> Result<Option<i64>, ScimError> {
    version_of(headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()))
}

/// `GET /Groups/{id}`.
pub async fn get(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    query: ListQuery,
) -> Result<Response, ScimError> {
    let group = state.store.group(token.tenant, group_id(&id)?).await?;
    let projection = projection_of(&query);
    let body = resource(
        &state.store,
        token.tenant,
        &group,
        shows_members(&projection),
    )
    .await?;
    Ok(answer(StatusCode::OK, &group, &projection.apply(body)))
}

/// `GET /Groups`.
pub async fn list(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    query: ListQuery,
) -> Result<Response, ScimError> {
    let (start, count) = query.page();
    let filter = query.filter()?;
    let projection = projection_of(&query);
    let store = &state.store;
    let tenant = token.tenant;
    let (total, page): (i64, Vec<Value>) = match &filter {
        None => {
            let total = store.group_count(tenant).await?;
            let groups = store.groups_at_offset(tenant, start - 1, count).await?;
            (
                total,
                resources(store, tenant, &groups, shows_members(&projection)).await?,
            )
        }
        Some(filter) => {
            let matches = matching(store, tenant, filter).await?;
            let total = i64::try_from(matches.len()).unwrap_or(i64::MAX);
            let page: Vec<(Group, Value)> = matches
                .into_iter()
                .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .take(usize::try_from(count).unwrap_or(0))
                .collect();
            // A filter on members already read them; otherwise read them
            // now for this page only, when the answer shows them.
            let page = if filter.mentions("members") || !shows_members(&projection) {
                page.into_iter().map(|(_, resource)| resource).collect()
            } else {
                let groups: Vec<Group> = page.into_iter().map(|(g, _)| g).collect();
                resources(store, tenant, &groups, true).await?
            };
            (total, page)
        }
    };
    // The projection also drops members a filter read but the answer
    // does not show.
    let resources: Vec<Value> = page.into_iter().map(|r| projection.apply(r)).collect();
    Ok(scim_json(
        StatusCode::OK,
        &serde_json::json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}

/// The resources of `groups`, their members read in one statement when
/// `with_members`.
async fn resources(
    store: &Store,
    tenant: TenantId,
    groups: &[Group],
    with_members: bool,
) -> Result<Vec<Value>, ScimError> {
    if !with_members {
        return Ok(groups.iter().map(|g| to_json(g, None)).collect());
    }
    let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
    let mut members = store.group_member_refs(tenant, &ids).await?;
    Ok(groups
        .iter()
        .map(|g| to_json(g, Some(&members.remove(&g.id).unwrap_or_default())))
        .collect())
}

/// Every group `filter` matches, in id order, with the resource it was
/// matched on (members included when the filter looks at them). A
/// provider's lookups (`displayName eq`, `externalId eq`, `id eq`,
/// `members.value eq`) read their candidates only; other filters walk
/// every group.
async fn matching(
    store: &Store,
    tenant: TenantId,
    filter: &Filter,
) -> Result<Vec<(Group, Value)>, ScimError> {
    let with_members = filter.mentions("members");
    let candidates = if let Some(name) = filter.equality_on("displayname", None) {
        Some(store.groups_by_display_name(tenant, name).await?)
    } else if let Some(external) = filter.equality_on("externalid", None) {
        Some(
            store
                .group_by_external_id(tenant, external)
                .await?
                .into_iter()
                .collect(),
        )
    } else if let Some(id) = filter.equality_on("id", None) {
        match uuid::Uuid::parse_str(id) {
            Ok(uuid) => Some(store.groups_by_ids(tenant, &[GroupId(uuid)]).await?),
            Err(_) => Some(Vec::new()),
        }
    } else if let Some(member) = filter.equality_on("members", Some("value")) {
        match uuid::Uuid::parse_str(member) {
            Ok(uuid) => Some(store.groups_with_member(tenant, UserId(uuid)).await?),
            Err(_) => Some(Vec::new()),
        }
    } else {
        None
    };
    if let Some(candidates) = candidates {
        return matches_of(store, tenant, filter, candidates, with_members).await;
    }
    let chunk_size = if with_members {
        SCAN_CHUNK_WITH_MEMBERS
    } else {
        SCAN_CHUNK
    };
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let chunk = store.groups_in_id_order(tenant, after, chunk_size).await?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = Some(last.id);
        let full = chunk.len() == usize::try_from(chunk_size).unwrap_or(usize::MAX);
        found.extend(matches_of(store, tenant, filter, chunk, with_members).await?);
        if !full {
            break;
        }
    }
    Ok(found)
}

async fn matches_of(
    store: &Store,
    tenant: TenantId,
    filter: &Filter,
    groups: Vec<Group>,
    with_members: bool,
) -> Result<Vec<(Group, Value)>, ScimError> {
    let resources = resources(store, tenant, &groups, with_members).await?;
    Ok(groups
        .into_iter()
        .zip(resources)
        .filter(|(_, resource)| filter.matches(resource))
        .collect())
}

/// `POST /Groups`.
pub async fn create(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    body: Bytes,
) -> Result<Response, ScimError> {
    let resource: Value = parse_body(&body)?;
    let group = from_json(&resource)?;
    let created = state
        .store
        .provision_group(token.tenant, &token.actor(), DirectorySource::Scim, group)
        .await?;
    written(&state, token.tenant, StatusCode::CREATED, &created).await
}

/// `PUT /Groups/{id}`: replace the name, external id and every member.
pub async fn replace(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let id = group_id(&id)?;
    let resource: Value = parse_body(&body)?;
    let group = from_json(&resource)?;
    let replaced = state
        .store
        .replace_directory_group(
            token.tenant,
            &token.actor(),
            id,
            group,
            if_version(&headers)?,
        )
        .await?;
    written(&state, token.tenant, StatusCode::OK, &replaced).await
}

/// Pass a write's seat changes on, and answer with the whole group.
async fn written(
    state: &AppState,
    tenant: TenantId,
    status: StatusCode,
    written: &GroupWritten,
) -> Result<Response, ScimError> {
    state
        .vendor_effects
        .license_changes_committed(tenant, &written.license_changes);
    let body = resource(&state.store, tenant, &written.group, true).await?;
    Ok(answer(status, &written.group, &body))
}

/// `PATCH /Groups/{id}`: the operations become one change of the group
/// (name, external id, members added and removed), written in one
/// transaction, all or nothing.
pub async fn patch(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    query: ListQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let id = group_id(&id)?;
    let request: PatchRequest = parse_body(&body)?;
    let change = patch_of(&request.operations()?)?;
    let patched = state
        .store
        .patch_directory_group(
            token.tenant,
            &token.actor(),
            id,
            change,
            if_version(&headers)?,
        )
        .await?;
    state
        .vendor_effects
        .license_changes_committed(token.tenant, &patched.license_changes);
    let projection = projection_of(&query);
    if projection.asked() {
        let body = resource(
            &state.store,
            token.tenant,
            &patched.group,
            shows_members(&projection),
        )
        .await?;
        return Ok(answer(
            StatusCode::OK,
            &patched.group,
            &projection.apply(body),
        ));
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(patched.group.directory.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// `DELETE /Groups/{id}`: the group, its memberships and assignments; its
/// members give back the seats they held only through it, which waiting
/// users take.
pub async fn delete(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let group = group_id(&id)?;
    let deleted = state
        .store
        .delete_group_at_version(token.tenant, &token.actor(), group, if_version(&headers)?)
        .await?;
    state
        .vendor_effects
        .license_changes_committed(token.tenant, &deleted.license_changes);
    Ok(StatusCode::NO_CONTENT.into_response())
}
