//! `seatwise export assignments`: license assignments as CSV on stdout.
//!
//! One row per assignment (a group's assignment is one row, not one per
//! member), apps by name and each app's assignments oldest first, with the
//! header
//! `app,appId,principalKind,principalName,principalId,email,assignedBy,assignedAt`:
//! `principalKind` is `USER` or `GROUP`, `email` is empty for a group, ids
//! are UUIDs and `assignedAt` is RFC 3339 in UTC. Read page by page, so
//! memory stays flat whatever the tenant's size.

use std::collections::HashMap;
use std::io::Write;

use seatwise_core::ids::{AppId, GroupId, PrincipalId, TenantId, UserId};
use seatwise_core::model::App;
use seatwise_core::paging::PageRequest;
use seatwise_core::{Store, StoredEnum};

use super::CliResult;

/// Rows read per statement.
const PAGE: usize = 100;

const HEADER: [&str; 8] = [
    "app",
    "appId",
    "principalKind",
    "principalName",
    "principalId",
    "email",
    "assignedBy",
    "assignedAt",
];

/// The tenant's apps (or just `app`), by name.
async fn apps(store: &Store, tenant: TenantId, app: Option<AppId>) -> CliResult<Vec<App>> {
    if let Some(app) = app {
        return Ok(vec![
            store.app(tenant, app).await.map_err(|e| e.to_string())?,
        ]);
    }
    let mut apps = Vec::new();
    let mut after = None;
    loop {
        let request = PageRequest::first(PAGE).after(after).counting_total(false);
        let page = store
            .list_apps(tenant, None, &request)
            .await
            .map_err(|e| e.to_string())?;
        after = page.items.last().map(|(c, _)| c.clone());
        let more = page.has_next_page;
        apps.extend(page.items.into_iter().map(|(_, a)| a));
        if !more {
            return Ok(apps);
        }
    }
}

/// Write the CSV to `out`; the number of assignments written.
pub async fn assignments(
    store: &Store,
    tenant: TenantId,
    app: Option<AppId>,
    out: impl Write,
) -> CliResult<usize> {
    let mut writer = csv::Writer::from_writer(out);
    let failed = |e: csv::Error| format!("writing the CSV: {e}");
    writer.write_record(HEADER).map_err(failed)?;
    let mut written = 0;
    for app in apps(store, tenant, app).await? {
        let mut after = None;
        loop {
            let request = PageRequest::first(PAGE).after(after).counting_total(false);
            let page = store
                .assignments(tenant, app.id, &request)
                .await
                .map_err(|e| e.to_string())?;
            let user_ids: Vec<UserId> = page
                .items
                .iter()
                .filter_map(|(_, a)| match a.principal {
                    PrincipalId::User(u) => Some(u),
                    PrincipalId::Group(_) => None,
                })
                .collect();
            let group_ids: Vec<GroupId> = page
                .items
                .iter()
                .filter_map(|(_, a)| match a.principal {
                    PrincipalId::Group(g) => Some(g),
                    PrincipalId::User(_) => None,
                })
                .collect();
            let users: HashMap<UserId, _> = store
                .users_by_ids(tenant, &user_ids)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|u| (u.id, u))
                .collect();
            let groups: HashMap<GroupId, _> = store
                .groups_by_ids(tenant, &group_ids)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|g| (g.id, g))
                .collect();
            for (_, a) in &page.items {
                let (name, id, email) = match a.principal {
                    PrincipalId::User(u) => match users.get(&u) {
                        Some(user) => (user.display_name.as_str(), u.0, user.email.as_str()),
                        None => continue, // deleted since the page was read
                    },
                    PrincipalId::Group(g) => match groups.get(&g) {
                        Some(group) => (group.display_name.as_str(), g.0, ""),
                        None => continue,
                    },
                };
                writer
                    .write_record([
                        app.name.as_str(),
                        &app.id.0.to_string(),
                        a.principal.kind().stored(),
                        name,
                        &id.to_string(),
                        email,
                        &a.assigned_by,
                        &a.assigned_at
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ])
                    .map_err(failed)?;
                written += 1;
            }
            after = page.items.last().map(|(c, _)| c.clone());
            if !page.has_next_page {
                break;
            }
        }
    }
    writer
        .flush()
        .map_err(|e| format!("writing the CSV: {e}"))?;
    Ok(written)
}
