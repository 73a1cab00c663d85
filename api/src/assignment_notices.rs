//! Telling vendor adapters which users gained or lost an app's license
//! (`assignments_changed`), for adapters that ask for it.
//!
//! Notices are fire-and-forget: they are sent from a spawned task after the
//! change committed, so a slow or broken plugin never delays or fails an
//! admin's request, and a failure is only logged (the vendor's service can
//! always reconcile from its own view). When no loaded adapter wants
//! notices, nothing is spawned and no extra SQL runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use seatwise_adapter_host::{AssignmentNotice, CallContext, PluginRegistry, UserRef};
use seatwise_core::Store;
use seatwise_core::ids::{AppId, TenantId, UserId};

/// Per app, the users who gained and who lost its license.
#[derive(Debug, Default)]
pub struct AssignmentChanges(BTreeMap<AppId, (Vec<UserId>, Vec<UserId>)>);

impl AssignmentChanges {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record that `gained` took a seat of `app` and `lost` lost it.
    pub fn add(&mut self, app: AppId, gained: &[UserId], lost: &[UserId]) -> &mut Self {
        if !gained.is_empty() || !lost.is_empty() {
            let entry = self.0.entry(app).or_default();
            entry.0.extend_from_slice(gained);
            entry.1.extend_from_slice(lost);
        }
        self
    }

    /// Record per-app maps of gained and lost users.
    pub fn add_maps(
        &mut self,
        gained: &BTreeMap<AppId, Vec<UserId>>,
        lost: &BTreeMap<AppId, Vec<UserId>>,
    ) -> &mut Self {
        for (app, users) in gained {
            self.add(*app, users, &[]);
        }
        for (app, users) in lost {
            self.add(*app, &[], users);
        }
        self
    }

    /// Send the notices in the background (see the module docs).
    pub fn send(self, store: &Store, registry: &Arc<PluginRegistry>, tenant: TenantId) {
        let wanted = registry
            .adapters()
            .any(|a| a.info().capabilities.assignment_notices);
        if self.0.is_empty() || !wanted {
            return;
        }
        let (store, registry) = (store.clone(), registry.clone());
        tokio::spawn(async move {
            if let Err(error) = deliver(&store, &registry, tenant, self.0).await {
                tracing::warn!(tenant = %tenant, %error, "assignment notices not sent");
            }
        });
    }
}

async fn deliver(
    store: &Store,
    registry: &PluginRegistry,
    tenant: TenantId,
    changes: BTreeMap<AppId, (Vec<UserId>, Vec<UserId>)>,
) -> seatwise_core::CoreResult<()> {
    let app_ids: Vec<AppId> = changes.keys().copied().collect();
    let apps = store.apps_by_ids(tenant, &app_ids).await?;
    let apps: Vec<_> = apps
        .into_iter()
        .filter_map(|app| {
            let adapter = registry.get(app.adapter_key.as_deref()?)?;
            adapter
                .info()
                .capabilities
                .assignment_notices
                .then(|| (app, adapter.clone()))
        })
        .collect();
    if apps.is_empty() {
        return Ok(());
    }
    let mut user_ids: Vec<UserId> = apps
        .iter()
        .flat_map(|(app, _)| {
            let (gained, lost) = &changes[&app.id];
            gained.iter().chain(lost).copied()
        })
        .collect();
    user_ids.sort();
    user_ids.dedup();
    // Deleted users are gone from the store: they are sent by id only.
    let users: HashMap<UserId, _> = store
        .users_by_ids(tenant, &user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let user_ref = |id: &UserId| match users.get(id) {
        Some(user) => UserRef {
            id: id.to_string(),
            name: Some(user.display_name.clone()),
            email: Some(user.email.clone()),
        },
        None => UserRef {
            id: id.to_string(),
            name: None,
            email: None,
        },
    };
    for (app, adapter) in apps {
        let (gained, lost) = &changes[&app.id];
        let notice = AssignmentNotice {
            gained: gained.iter().map(user_ref).collect(),
            lost: lost.iter().map(user_ref).collect(),
        };
        let ctx = CallContext {
            tenant_id: tenant.to_string(),
            app_id: app.id.to_string(),
            settings: app.adapter_settings.clone(),
        };
        match adapter.assignments_changed(&ctx, &notice).await {
            Ok(()) => {
                tracing::debug!(adapter = adapter.key(), app = %app.id, gained = gained.len(), lost = lost.len(), "assignment notice sent")
            }
            Err(error) => {
                tracing::warn!(adapter = adapter.key(), app = %app.id, %error, "assignment notice failed")
            }
        }
    }
    Ok(())
}
