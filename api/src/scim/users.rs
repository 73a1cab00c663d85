//! `/scim/v2/Users`: list (filter, `startIndex`/`count`, `attributes`),
//! read, create, replace, patch and delete, each through the core in one
//! transaction, with the token's name as the audited actor.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatwise_core::CoreError;
use seatwise_core::directory::DirectoryUser;
use seatwise_core::ids::UserId;
use seatwise_core::model::{DirectorySource, User};
use seatwise_core::scim_tokens::ScimToken;
use serde_json::Value;

use super::discovery::{LIST_SCHEMA, USER_SCHEMAS};
use super::error::ScimError;
use super::filter::Filter;
use super::patch::{Operation, PatchRequest};
use super::user_resource::{etag, from_json, project, to_json, user_name, version_of};
use super::{ListQuery, ScimCaller, names, parse_body, scim_json};
use crate::server::AppState;

/// Users read per statement when a filter must look at every user.
const SCAN_CHUNK: i64 = 1_000;

/// Times a PATCH sent without `If-Match` is applied before it gives up,
/// each to the user as read again after a concurrent write changed it.
/// Each failed attempt means another write committed, so this many
/// concurrent writers of one user all succeed.
const PATCH_ATTEMPTS: usize = 4;

fn user_id(id: &str) -> Result<UserId, ScimError> {
    uuid::Uuid::parse_str(id)
        .map(UserId)
        .map_err(|_| ScimError::not_found("user", id))
}

/// One user, with its ETag.
fn answer(status: StatusCode, user: &User) -> Response {
    let mut response = scim_json(status, &to_json(user));
    if let Ok(value) = etag(user.directory.version).parse() {
        response.headers_mut().insert(header::ETAG, value);
    }
    if status == StatusCode::CREATED
        && let Ok(value) = format!("/scim/v2/Users/{}", user.id.0).parse()
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

async fn read(state: &AppState, token: &ScimToken, id: &str) -> Result<User, ScimError> {
    Ok(state.store.user(token.tenant, user_id(id)?).await?)
}

/// `GET /Users/{id}`.
pub async fn get(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    query: ListQuery,
) -> Result<Response, ScimError> {
    let user = read(&state, &token, &id).await?;
    let mut response = answer(StatusCode::OK, &user);
    let projected = project(
        to_json(&user),
        &names(query.attributes.as_deref()),
        &names(query.excluded_attributes.as_deref()),
    );
    *response.body_mut() = projected.to_string().into();
    Ok(response)
}

/// `GET /Users`.
pub async fn list(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    query: ListQuery,
) -> Result<Response, ScimError> {
    let (start, count) = query.page();
    let filter = query.filter()?;
    let store = &state.store;
    let tenant = token.tenant;
    let (total, page): (i64, Vec<User>) = match &filter {
        None => {
            let total = store.user_count(tenant).await?;
            let page = store.users_at_offset(tenant, start - 1, count).await?;
            (total, page)
        }
        Some(filter) => {
            let matches = matching(state.store.clone(), tenant, filter).await?;
            let total = i64::try_from(matches.len()).unwrap_or(i64::MAX);
            let page = matches
                .into_iter()
                .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .take(usize::try_from(count).unwrap_or(0))
                .collect();
            (total, page)
        }
    };
    let attributes = names(query.attributes.as_deref());
    let excluded = names(query.excluded_attributes.as_deref());
    let resources: Vec<Value> = page
        .iter()
        .map(|u| project(to_json(u), &attributes, &excluded))
        .collect();
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

/// Every user `filter` matches, in id order. A provider's lookups
/// (`userName eq`, `externalId eq`, `emails.value eq`, `id eq`) read one
/// row (`userName eq` at most two: the user with that userName, and one
/// without a userName whose email it is); other filters walk every user.
async fn matching(
    store: seatwise_core::Store,
    tenant: seatwise_core::ids::TenantId,
    filter: &Filter,
) -> Result<Vec<User>, ScimError> {
    let candidates: Option<Vec<User>> = if let Some(name) = filter.equality_on("username", None) {
        Some(store.users_by_user_name(tenant, name).await?)
    } else if let Some(email) = filter.equality_on("emails", Some("value")) {
        Some(
            store
                .user_by_email(tenant, email)
                .await?
                .into_iter()
                .collect(),
        )
    } else if let Some(external) = filter.equality_on("externalid", None) {
        Some(
            store
                .user_by_external_id(tenant, external)
                .await?
                .into_iter()
                .collect(),
        )
    } else if let Some(id) = filter.equality_on("id", None) {
        match uuid::Uuid::parse_str(id) {
            Ok(uuid) => Some(store.users_by_ids(tenant, &[UserId(uuid)]).await?),
            Err(_) => Some(Vec::new()),
        }
    } else {
        None
    };
    if let Some(candidates) = candidates {
        return Ok(candidates
            .into_iter()
            .filter(|u| filter.matches(&to_json(u)))
            .collect());
    }
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let chunk = store.users_in_id_order(tenant, after, SCAN_CHUNK).await?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = Some(last.id);
        let full = chunk.len() == usize::try_from(SCAN_CHUNK).unwrap_or(usize::MAX);
        found.extend(chunk.into_iter().filter(|u| filter.matches(&to_json(u))));
        if !full {
            break;
        }
    }
    Ok(found)
}

/// `POST /Users`.
pub async fn create(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    body: Bytes,
) -> Result<Response, ScimError> {
    let resource: Value = parse_body(&body)?;
    let user = from_json(&resource)?;
    let created = state
        .store
        .provision_user(token.tenant, &token.actor(), DirectorySource::Scim, user)
        .await?;
    Ok(answer(StatusCode::CREATED, &created))
}

/// `PUT /Users/{id}`: replace every attribute.
pub async fn replace(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let resource: Value = parse_body(&body)?;
    let user = from_json(&resource)?;
    let id = user_id(&id)?;
    let if_version = if_match(&headers)?;
    Ok(write(&state, &token, id, user, if_version).await?)
}

/// `PATCH /Users/{id}`: operations applied to the current representation,
/// then written as a replacement, all or nothing.
///
/// The write names the version the operations were applied to, so a
/// change committed in between is never overwritten. With the client's
/// `If-Match`, that change answers 412. Without one the client set no
/// precondition, and RFC 7644 §3.14 gives 412 only for a failed
/// precondition: the operations are applied again to the user as it is
/// now, up to [`PATCH_ATTEMPTS`] times, then answered 409 (the version
/// conflict RFC 7644 §3.12 names).
pub async fn patch(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let request: PatchRequest = parse_body(&body)?;
    let operations = request.operations()?;
    let id = user_id(&id)?;
    if let Some(expected) = if_match(&headers)? {
        let current = state.store.user(token.tenant, id).await?;
        let user = patched(&current, &operations)?;
        return Ok(write(&state, &token, id, user, Some(expected)).await?);
    }
    for _ in 0..PATCH_ATTEMPTS {
        let current = state.store.user(token.tenant, id).await?;
        let user = patched(&current, &operations)?;
        match write(&state, &token, id, user, Some(current.directory.version)).await {
            Err(CoreError::VersionMismatch { .. }) => continue,
            written => return Ok(written?),
        }
    }
    Err(ScimError::new(
        StatusCode::CONFLICT,
        None,
        format!(
            "the user changed while this PATCH was applied, {PATCH_ATTEMPTS} times in a row; \
             send it again"
        ),
    ))
}

/// `current` with `operations` applied, as the user to write.
fn patched(current: &User, operations: &[Operation]) -> Result<DirectoryUser, ScimError> {
    let Value::Object(mut resource) = to_json(current) else {
        return Err(ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "internal error",
        ));
    };
    for operation in operations {
        operation.apply(&mut resource, &USER_SCHEMAS)?;
    }
    let mut user = from_json(&Value::Object(resource))?;
    // A user without a userName answers its email as one. Operations that
    // leave that answer as it was do not make the email the userName: it
    // keeps following the email, as before, unless the directory names one.
    if current.user_name.is_none() && user.user_name.as_deref() == Some(user_name(current)) {
        user.user_name = None;
    }
    Ok(user)
}

/// The version the client's `If-Match` names (`None`: no header, or `*`).
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ScimError> {
    version_of(headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()))
}

/// Write `user` over user `id` (at `if_version` when set) and answer it.
async fn write(
    state: &AppState,
    token: &ScimToken,
    id: UserId,
    user: DirectoryUser,
    if_version: Option<i64>,
) -> Result<Response, CoreError> {
    let replaced = state
        .store
        .replace_directory_user(token.tenant, &token.actor(), id, user, if_version)
        .await?;
    state
        .vendor_effects
        .license_changes_committed(token.tenant, &replaced.license_changes);
    Ok(answer(StatusCode::OK, &replaced.user))
}

/// `DELETE /Users/{id}`: the user and their seats, which waiting users
/// take.
pub async fn delete(
    State(state): State<AppState>,
    ScimCaller(token): ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let user = user_id(&id)?;
    let if_version = if_match(&headers)?;
    let deleted = state
        .store
        .delete_user_at_version(token.tenant, &token.actor(), user, if_version)
        .await?;
    state
        .vendor_effects
        .license_changes_committed(token.tenant, &deleted.license_changes);
    Ok(StatusCode::NO_CONTENT.into_response())
}
