//! Browser tests of the admin console: each flow is one test with its own
//! `seatwise serve --demo` (the harness's [`TestApp`] with
//! `StartOptions::demo`, on SQLite, with the Contoso and Fabrikam example
//! plugins) and its own headless Chromium, so a failing test names its flow
//! and no flow depends on another's state. A flow that needs earlier state
//! (unassign after assign) makes it through GraphQL first.
//!
//! One module per console page or panel. Needs Debian's `chromium` and
//! `chromium-driver`; see `browser.rs` for how they are found and when a
//! missing chromedriver skips or fails the tests (`SEATWISE_REQUIRE_BROWSER`),
//! and for where screenshots go (`SEATWISE_UPDATE_SCREENSHOTS`).

mod browser;

mod assign;
mod directory_sync;
mod groups;
mod install;
mod license_details;
mod licenses_list;
mod my_licenses;
mod phone;
mod seat_change;
mod sign_in;
mod subscription;
mod unassign;
mod usage;
mod users;
mod webhooks;

use seatwise_e2e::{Backend, Plugin, PluginDir, StartOptions, TestApp};
use serde_json::json;

use browser::Browser;

/// Demo data (api/src/demo.rs): Northwind Analytics (no adapter) has 4 of 5
/// seats used by Adele Vance, Alex Wilber, Diego Siciliani and Grady Archie;
/// Sales has four members who hold no Northwind seat.
const NEARLY_FULL_APP: &str = "Northwind Analytics";

/// Demo data: Contoso Whiteboard, 25 seats, managed by the `contoso`
/// example plugin (changes seats at once, builds a signed install URL at
/// `https://apps.contoso.example`).
const CONTOSO: &str = "Contoso Whiteboard";

/// Demo data: Isaiah Langer's account is disabled (sign-in blocked); he
/// keeps Fabrikam Timesheets, which he holds through the Sales group.
const BLOCKED_USER: &str = "Isaiah Langer";

/// Demo data: provisioned by the identity provider over SCIM, with an
/// external id and a department, and a member of Engineering.
const SCIM_USER: &str = "Pradeep Gupta";

/// One flow's server and browser.
struct Console {
    browser: Browser,
    app: TestApp,
    /// Kept until the server stops: it loaded its plugins from here.
    _plugins: PluginDir,
}

impl Console {
    /// The demo server and a browser on its sign-in page; `None` when the
    /// browser tests are skipped (no chromedriver, not required).
    async fn start() -> Option<Self> {
        Self::start_with_env(&[]).await
    }

    /// [`Console::start`] with these `SEATWISE_*` settings for the server.
    async fn start_with_env(env: &[(&str, &str)]) -> Option<Self> {
        // The demo's Contoso and Fabrikam apps are managed by these plugins,
        // so seat changes and installs run against real vendor adapters.
        let plugins = PluginDir::with(&[Plugin::Contoso, Plugin::Fabrikam]);
        let options = StartOptions {
            demo: true,
            ..StartOptions::with_plugins(plugins.path(), env)
        };
        // The server first: the first test of a run builds the plugins and
        // the binary, and a browser started meanwhile would start on cores
        // that cargo holds.
        let app = TestApp::start_with(Backend::Sqlite, options)
            .await
            .expect("SQLite always starts");
        let browser = Browser::open().await?;
        browser.goto(&app.base_url).await;
        Some(Self {
            browser,
            app,
            _plugins: plugins,
        })
    }

    /// [`Console::start`], signed in as the demo's Global admin, on the
    /// licenses list.
    async fn signed_in_as_admin() -> Option<Self> {
        let console = Self::start().await?;
        console.browser.sign_in(&console.app.admin_token()).await;
        console.browser.wait_text("h1", "Licenses").await;
        Some(console)
    }

    /// From the licenses list, open the details of the app named `name`.
    async fn open_app(&self, name: &str) {
        self.browser.click_link(name).await;
        self.browser.wait_text("h1", name).await;
    }

    /// The GraphQL id of the demo app named `name`.
    async fn app_id(&self, name: &str) -> String {
        let response = self
            .app
            .gql("query($s: String) { apps(search: $s, first: 1) { nodes { id name } } }")
            .var("s", name)
            .token(&self.app.admin_token())
            .send()
            .await;
        let node = &response.data()["apps"]["nodes"][0];
        assert_eq!(node["name"], json!(name), "the demo app {name}");
        node["id"].as_str().expect("an app id").to_owned()
    }

    /// The GraphQL id of the demo user named `name`.
    async fn user_id(&self, name: &str) -> String {
        let response = self
            .app
            .gql("query($s: String) { users(search: $s, first: 1) { nodes { id displayName } } }")
            .var("s", name)
            .token(&self.app.admin_token())
            .send()
            .await;
        let node = &response.data()["users"]["nodes"][0];
        assert_eq!(node["displayName"], json!(name), "the demo user {name}");
        node["id"].as_str().expect("a user id").to_owned()
    }

    /// The GraphQL id of the demo group named `name`.
    async fn group_id(&self, name: &str) -> String {
        let response = self
            .app
            .gql("query($s: String) { groups(search: $s, first: 1) { nodes { id displayName } } }")
            .var("s", name)
            .token(&self.app.admin_token())
            .send()
            .await;
        let node = &response.data()["groups"]["nodes"][0];
        assert_eq!(node["displayName"], json!(name), "the demo group {name}");
        node["id"].as_str().expect("a group id").to_owned()
    }

    /// Record, as the admin through `importUsage`, that each demo user of
    /// `last_active` (name, days ago) last used the demo app `app`; all
    /// must be applied.
    async fn import_last_active(&self, app: &str, last_active: &[(&str, i64)]) {
        let mut records = Vec::new();
        for (name, days_ago) in last_active {
            records.push(json!({
                "userId": self.user_id(name).await,
                "lastActiveAt": chrono::Utc::now() - chrono::Duration::days(*days_ago),
            }));
        }
        let imported = self
            .app
            .import_usage(
                &self.app.admin_token(),
                &self.app_id(app).await,
                json!(records),
            )
            .await;
        assert_eq!(
            imported.data()["importUsage"]["applied"],
            json!(last_active.len()),
            "{imported:?}"
        );
    }

    /// Set the subscription terms of the demo app named `name` as the
    /// admin (`terms`: `SetSubscriptionInput` without `appId`); they must
    /// be accepted.
    async fn set_subscription(&self, name: &str, terms: serde_json::Value) {
        let mut input = terms;
        input["appId"] = json!(self.app_id(name).await);
        let response = self
            .app
            .gql(
                "mutation($input: SetSubscriptionInput!) {
                    setSubscription(input: $input) { userErrors { field message } }
                }",
            )
            .var("input", input)
            .token(&self.app.admin_token())
            .send()
            .await;
        assert_eq!(
            response.data()["setSubscription"]["userErrors"],
            json!([]),
            "set the subscription of {name}"
        );
    }

    /// Run `addGroupMembers` as the admin; it must succeed.
    async fn add_members(&self, group: &str, users: &[String]) {
        let response = self
            .app
            .gql(
                "mutation($input: AddGroupMembersInput!) {
                    addGroupMembers(input: $input) { userErrors { message } }
                }",
            )
            .var("input", json!({ "groupId": group, "userIds": users }))
            .token(&self.app.admin_token())
            .send()
            .await;
        assert_eq!(
            response.data()["addGroupMembers"]["userErrors"],
            json!([]),
            "add members to {group}"
        );
    }
}

/// The row of the licenses table for the app named `app`.
fn row_of(app: &str) -> String {
    format!("tr[data-app-name='{app}']")
}

/// The UTC day `offset` days from today, `YYYY-MM-DD`: the server's
/// "today" (it runs the system clock), so term dates relative to it give
/// subscription states that do not depend on when the test runs.
fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::TimeDelta::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

/// `amount` of `currency` as this browser formats money (the console uses
/// the browser's locale), so a test can look for the exact text shown.
async fn money(browser: &browser::Browser, amount: &str, currency: &str) -> String {
    let shown = browser
        .execute(&format!(
            "return new Intl.NumberFormat(undefined, {{ style: 'currency', currency: {currency:?}, maximumFractionDigits: 4 }}).format({amount:?})"
        ))
        .await;
    shown.as_str().expect("formatted money").to_owned()
}
