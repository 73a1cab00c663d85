//! The demo organisation of `seatwise serve --demo`: a few apps, users and
//! groups so a newcomer can click around GraphiQL at once.
//!
//! Seeding is idempotent: the tenant is found by name, and only created
//! (with all its data) when missing.

use seatwise_core::directory::DirectoryUser;
use seatwise_core::ids::{PrincipalId, TenantId, UserId};
use seatwise_core::model::{
    Actor, DirectorySource, NewApp, NewGroup, NewUser, Tenant, UserUpdate, Vendor,
};
use seatwise_core::{CoreResult, Store};

/// The demo tenant's name.
pub const DEMO_TENANT: &str = "Demo Organisation";

const USERS: [(&str, &str); 12] = [
    ("Adele Vance", "adele.vance"),
    ("Alex Wilber", "alex.wilber"),
    ("Diego Siciliani", "diego.siciliani"),
    ("Grady Archie", "grady.archie"),
    ("Henrietta Mueller", "henrietta.mueller"),
    ("Isaiah Langer", "isaiah.langer"),
    ("Johanna Lorenz", "johanna.lorenz"),
    ("Lee Gu", "lee.gu"),
    ("Lidia Holloway", "lidia.holloway"),
    ("Lynne Robbins", "lynne.robbins"),
    ("Megan Bowen", "megan.bowen"),
    ("Nestor Wilke", "nestor.wilke"),
];

struct DemoApp {
    name: &'static str,
    description: &'static str,
    vendor: &'static str,
    domain: &'static str,
    seats: i64,
    /// Which example vendor plugin manages the app (see `plugins/`): with
    /// `--plugins` pointing at the built plugins, seat changes and "Install
    /// this product" work end to end; without, the app gets the built-in
    /// "contact the vendor" answer.
    adapter: Option<&'static str>,
}

const APPS: [DemoApp; 4] = [
    DemoApp {
        name: "Contoso Whiteboard",
        description: "Infinite canvas for workshops and planning.",
        vendor: "Contoso Ltd",
        domain: "contoso.example",
        seats: 25,
        adapter: Some("contoso"),
    },
    DemoApp {
        name: "Fabrikam Timesheets",
        description: "Time tracking and approvals for project teams.",
        vendor: "Fabrikam, Inc.",
        domain: "fabrikam.example",
        seats: 10,
        adapter: Some("fabrikam"),
    },
    DemoApp {
        name: "Northwind Analytics",
        description: "Dashboards over sales and inventory data.",
        vendor: "Northwind Traders",
        domain: "northwind.example",
        seats: 5,
        adapter: None,
    },
    DemoApp {
        name: "Tailspin Design Studio",
        description: "Vector design and prototyping.",
        vendor: "Tailspin Toys",
        domain: "tailspin.example",
        seats: 3,
        adapter: None,
    },
];

/// Settings for the example vendor plugins. The signing secret is random per
/// demo database: it only has to be shared between Seatwise and the (fake)
/// vendor, and both read it from here.
fn demo_adapter_settings(adapter: Option<&str>) -> serde_json::Value {
    match adapter {
        Some("contoso") => serde_json::json!({
            "signing_secret": uuid::Uuid::new_v4().simple().to_string(),
            "install_base_url": "https://apps.contoso.example",
            "max_seats": 500,
        }),
        Some("fabrikam") => serde_json::json!({ "complete_after_ms": 3000 }),
        _ => serde_json::Value::Null,
    }
}

/// The demo tenant, created with its data on first call.
pub async fn ensure_demo_tenant(store: &Store) -> CoreResult<Tenant> {
    if let Some(tenant) = store.tenant_named(DEMO_TENANT).await? {
        return Ok(tenant);
    }
    let actor = Actor::system();
    let tenant = store.create_tenant(&actor, DEMO_TENANT).await?;
    seed(store, tenant.id, &actor).await?;
    tracing::info!(tenant = %tenant.id, "created the demo organisation");
    Ok(tenant)
}

async fn seed(store: &Store, tenant: TenantId, actor: &Actor) -> CoreResult<()> {
    let mut users: Vec<UserId> = Vec::new();
    for (name, mailbox) in USERS {
        let new = NewUser {
            display_name: name.to_owned(),
            email: format!("{mailbox}@demo.seatwise.example"),
        };
        users.push(store.create_user(tenant, actor, new).await?.id);
    }
    // One user as an identity provider provisions them over SCIM (Entra ID
    // sends its object id as `externalId`, and a department), so the
    // console's Users page shows a directory-managed user beside the
    // manual ones. In Engineering, so the license comes through a group.
    let scim_user = store
        .provision_user(
            tenant,
            &Actor::named("scim:Entra ID"),
            DirectorySource::Scim,
            DirectoryUser {
                user_name: Some("pradeep.gupta@demo.seatwise.example".to_owned()),
                display_name: "Pradeep Gupta".to_owned(),
                email: "pradeep.gupta@demo.seatwise.example".to_owned(),
                external_id: Some("5f8c2a71-93d4-4b6e-a0c2-7d1e9b34f865".to_owned()),
                active: true,
                department: Some("Engineering".to_owned()),
                manager_external_id: None,
            },
        )
        .await?;
    let mut apps = Vec::new();
    for app in &APPS {
        let new = NewApp {
            name: app.name.to_owned(),
            description: app.description.to_owned(),
            vendor: Vendor {
                name: app.vendor.to_owned(),
                website: format!("https://www.{}", app.domain),
                support_email: format!("support@{}", app.domain),
            },
            seats: app.seats,
            adapter_key: app.adapter.map(str::to_owned),
            adapter_settings: demo_adapter_settings(app.adapter),
        };
        apps.push(store.register_app(tenant, actor, new).await?.id);
    }
    let group = |name: &str, description: &str, members: &[UserId]| NewGroup {
        display_name: name.to_owned(),
        description: description.to_owned(),
        member_ids: members.to_vec(),
    };
    let mut engineers = users[0..5].to_vec();
    engineers.push(scim_user.id);
    let engineering = store
        .create_group(
            tenant,
            actor,
            group("Engineering", "Builds the product.", &engineers),
        )
        .await?;
    let sales = store
        .create_group(
            tenant,
            actor,
            group("Sales", "Sells the product.", &users[5..9]),
        )
        .await?;
    store
        .create_group(
            tenant,
            actor,
            group("Design", "Designs the product.", &users[9..12]),
        )
        .await?;

    let (whiteboard, timesheets, analytics) = (apps[0], apps[1], apps[2]);
    let assign = |principals: Vec<PrincipalId>, app| async move {
        store
            .assign_licenses(tenant, actor, app, &principals)
            .await
            .map(|_| ())
    };
    assign(
        vec![
            PrincipalId::Group(engineering.id),
            PrincipalId::User(users[9]),
        ],
        whiteboard,
    )
    .await?;
    assign(vec![PrincipalId::Group(sales.id)], timesheets).await?;
    // Four of five seats: the "nearly full" case of the license page.
    assign(
        users[0..4].iter().map(|u| PrincipalId::User(*u)).collect(),
        analytics,
    )
    .await?;
    // A disabled account keeps its licenses and seats, as in the model
    // product: Isaiah Langer (Sales) still holds Fabrikam Timesheets
    // through his group while he cannot sign in.
    let blocked = UserUpdate {
        account_enabled: Some(false),
        ..UserUpdate::default()
    };
    store.update_user(tenant, actor, users[5], blocked).await?;
    Ok(())
}
