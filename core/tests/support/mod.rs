//! Builders shared by the storage tests: a tenant with apps, users and
//! groups, made through the core's own operations.
#![allow(dead_code)]

use seatwise_core::ids::*;
use seatwise_core::model::*;
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{CoreResult, LicenseChange, LicenseFilter, Store};

pub struct Fixture {
    pub store: Store,
    pub tenant: TenantId,
    pub actor: Actor,
}

impl Fixture {
    /// A new tenant on a new pool of `db`.
    pub async fn new(db: &TestDatabase) -> Self {
        let store = db.store().await;
        let actor = Actor::named("admin@test");
        let tenant = store
            .create_tenant(&actor, "Contoso Ltd")
            .await
            .expect("tenant")
            .id;
        Self {
            store,
            tenant,
            actor,
        }
    }

    /// Another fixture on the same tenant but its own pool (a second replica).
    pub async fn replica(&self, db: &TestDatabase) -> Self {
        Self {
            store: db.store().await,
            tenant: self.tenant,
            actor: self.actor.clone(),
        }
    }

    pub fn new_app(name: &str, seats: i64) -> NewApp {
        NewApp {
            name: name.into(),
            description: format!("{name} for the whole team"),
            vendor: Vendor {
                name: "Fabrikam".into(),
                website: "https://fabrikam.example".into(),
                support_email: "support@fabrikam.example".into(),
            },
            seats,
            adapter_key: None,
            adapter_settings: serde_json::json!({}),
        }
    }

    pub async fn app(&self, seats: i64) -> AppId {
        self.store
            .register_app(
                self.tenant,
                &self.actor,
                Self::new_app("Fabrikam Whiteboard", seats),
            )
            .await
            .expect("register app")
            .id
    }

    pub async fn user(&self, name: &str) -> UserId {
        let email = format!(
            "{}.{}@contoso.example",
            name.to_lowercase().replace(' ', "."),
            uuid::Uuid::new_v4().simple()
        );
        self.store
            .create_user(
                self.tenant,
                &self.actor,
                NewUser {
                    display_name: name.into(),
                    email,
                },
            )
            .await
            .expect("create user")
            .id
    }

    pub async fn users(&self, n: usize) -> Vec<UserId> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            out.push(self.user(&format!("User {i}")).await);
        }
        out
    }

    pub async fn group(&self, name: &str, members: &[UserId]) -> GroupId {
        self.store
            .create_group(
                self.tenant,
                &self.actor,
                NewGroup {
                    display_name: name.into(),
                    description: String::new(),
                    member_ids: members.to_vec(),
                },
            )
            .await
            .expect("create group")
            .id
    }

    pub async fn seats(&self, app: AppId) -> Seats {
        self.store.app(self.tenant, app).await.expect("app").seats
    }

    pub async fn assign(
        &self,
        app: AppId,
        principals: &[PrincipalId],
    ) -> CoreResult<LicenseChange> {
        self.store
            .assign_licenses(self.tenant, &self.actor, app, principals)
            .await
    }

    pub async fn unassign(
        &self,
        app: AppId,
        principals: &[PrincipalId],
    ) -> CoreResult<LicenseChange> {
        self.store
            .unassign_licenses(self.tenant, &self.actor, app, principals)
            .await
    }

    /// The user's license for `app`, if they hold it by any path.
    pub async fn license(&self, user: UserId, app: AppId) -> Option<EffectiveLicense> {
        self.store
            .licenses_of_users(self.tenant, &[user])
            .await
            .expect("licenses")
            .remove(&user)
            .unwrap_or_default()
            .into_iter()
            .find(|l| l.app_id == app)
    }

    /// Every effective license of an app (all pages).
    pub async fn licensed(&self, app: AppId, filter: LicenseFilter) -> Vec<EffectiveLicense> {
        let mut out = Vec::new();
        let mut page = PageRequest::first(100);
        loop {
            let result = self
                .store
                .licensed_users(self.tenant, app, filter, &page)
                .await
                .expect("licensed users");
            let last = result.items.last().map(|(c, _)| c.clone());
            out.extend(result.items.into_iter().map(|(_, l)| l));
            if !result.has_next_page {
                return out;
            }
            page = PageRequest::first(100).after(last);
        }
    }

    /// What `endpoint` is owed, in event order, as the delivery worker
    /// sees it: the events written so far fanned out (its first step),
    /// then the front of the endpoint's queue.
    pub async fn webhook_queue(
        &self,
        endpoint: seatwise_core::ids::WebhookEndpointId,
        limit: i64,
    ) -> Vec<seatwise_core::events::QueuedDelivery> {
        self.store
            .fan_out_webhook_events()
            .await
            .expect("fan out the outbox");
        self.store
            .webhook_queue(self.tenant, endpoint, limit)
            .await
            .expect("the webhook queue")
    }

    /// The stored seat counter equals the real number of active licenses.
    pub async fn assert_seats_consistent(&self, app: AppId) {
        let seats = self.seats(app).await;
        let active = self
            .licensed(app, LicenseFilter::All)
            .await
            .iter()
            .filter(|l| l.state == LicenseState::Active)
            .count() as i64;
        assert_eq!(
            seats.assigned, active,
            "stored assigned seats differ from active licenses"
        );
        assert!(
            seats.assigned <= seats.purchased,
            "over-assigned: {seats:?}"
        );
    }
}

pub fn u(id: UserId) -> PrincipalId {
    PrincipalId::User(id)
}

pub fn g(id: GroupId) -> PrincipalId {
    PrincipalId::Group(id)
}
