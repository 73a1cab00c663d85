//! Builders for the objects tests need, made through the public API
//! (GraphQL mutations), so set-up exercises what users use.

use serde_json::{Value, json};

use crate::{GraphqlResponse, TestApp};

/// What `SeatChangeOperation` fields tests read back.
pub const SEAT_CHANGE_FIELDS: &str = "id status previousQuantity requestedQuantity vendorReference message
    contact { name email website phone message } attempts createdAt updatedAt completedAt requestedBy
    app { id seats { purchased assigned available } licenseErrorCount }";

/// What `App` fields tests read back after changes.
pub const APP_FIELDS: &str = "id name seats { purchased assigned available } licenseErrorCount";

impl TestApp {
    /// Register an app with `seats` seats; its id.
    pub async fn register_app(&self, token: &str, name: &str, seats: i64) -> String {
        let response = self
            .gql(
                "mutation($input: RegisterAppInput!) {
                    registerApp(input: $input) { app { id } userErrors { field message code } }
                }",
            )
            .var(
                "input",
                json!({
                    "name": name,
                    "description": format!("{name} for tests"),
                    "vendor": { "name": "Contoso Ltd", "website": "https://contoso.example", "supportEmail": "help@contoso.example" },
                    "seats": seats,
                }),
            )
            .token(token)
            .send()
            .await;
        payload_id(&response.data()["registerApp"], "app")
    }

    /// Register an app (vendor Contoso Ltd, support `help@contoso.example`)
    /// managed by adapter `adapter_key` with `settings`; its id.
    pub async fn register_app_with_adapter(
        &self,
        token: &str,
        name: &str,
        seats: i64,
        adapter_key: Option<&str>,
        settings: Value,
    ) -> String {
        let response = self
            .gql(
                "mutation($input: RegisterAppInput!) {
                    registerApp(input: $input) { app { id } userErrors { field message code } }
                }",
            )
            .var(
                "input",
                json!({
                    "name": name,
                    "vendor": { "name": "Contoso Ltd", "website": "https://contoso.example", "supportEmail": "help@contoso.example" },
                    "seats": seats,
                    "adapterKey": adapter_key,
                    "adapterSettings": settings,
                }),
            )
            .token(token)
            .send()
            .await;
        payload_id(&response.data()["registerApp"], "app")
    }

    /// Run `requestSeatChange`; the payload (`operation`, `userErrors`).
    pub async fn request_seat_change(
        &self,
        token: &str,
        app: &str,
        quantity: i64,
        idempotency_key: &str,
    ) -> Value {
        let query = format!(
            "mutation($input: RequestSeatChangeInput!) {{
                requestSeatChange(input: $input) {{
                    operation {{ {SEAT_CHANGE_FIELDS} }}
                    userErrors {{ field message code }}
                }}
            }}"
        );
        let response = self
            .gql(&query)
            .var(
                "input",
                json!({ "appId": app, "quantity": quantity, "idempotencyKey": idempotency_key }),
            )
            .token(token)
            .send()
            .await;
        response.data()["requestSeatChange"].clone()
    }

    /// A seat-change operation by id (null when unknown).
    pub async fn seat_change(&self, token: &str, id: &str) -> Value {
        let query = format!(
            "query($id: ID!) {{ seatChangeOperation(id: $id) {{ {SEAT_CHANGE_FIELDS} }} }}"
        );
        let response = self.gql(&query).var("id", id).token(token).send().await;
        response.data()["seatChangeOperation"].clone()
    }

    /// Poll a seat-change operation until it reaches a final status (at
    /// most 60 s); its last state.
    pub async fn wait_for_final_seat_change(&self, token: &str, id: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let op = self.seat_change(token, id).await;
            let status = op["status"].as_str().unwrap_or_default();
            if !["PENDING", "IN_PROGRESS"].contains(&status) {
                return op;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "operation never finished: {op:#}\nlog:\n{}",
                self.server_log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Create a user; its id.
    pub async fn create_user(&self, token: &str, name: &str, email: &str) -> String {
        let response = self
            .gql(
                "mutation($input: CreateUserInput!) {
                    createUser(input: $input) { user { id } userErrors { field message code } }
                }",
            )
            .var("input", json!({ "displayName": name, "email": email }))
            .token(token)
            .send()
            .await;
        payload_id(&response.data()["createUser"], "user")
    }

    /// Create `count` users named `<prefix> N`; their ids.
    pub async fn create_users(&self, token: &str, prefix: &str, count: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for n in 0..count {
            let email = format!(
                "{}.{n}@example.com",
                prefix.to_lowercase().replace(' ', ".")
            );
            ids.push(
                self.create_user(token, &format!("{prefix} {n}"), &email)
                    .await,
            );
        }
        ids
    }

    /// Create a group with members; its id.
    pub async fn create_group(&self, token: &str, name: &str, members: &[String]) -> String {
        let response = self
            .gql(
                "mutation($input: CreateGroupInput!) {
                    createGroup(input: $input) { group { id } userErrors { field message code } }
                }",
            )
            .var(
                "input",
                json!({ "displayName": name, "description": "", "memberIds": members }),
            )
            .token(token)
            .send()
            .await;
        payload_id(&response.data()["createGroup"], "group")
    }

    /// Run `addGroupMembers`; the payload's `userErrors`.
    pub async fn add_group_members(&self, token: &str, group: &str, users: &[String]) -> Value {
        let response = self
            .gql(
                "mutation($input: AddGroupMembersInput!) {
                    addGroupMembers(input: $input) { userErrors { field message code } }
                }",
            )
            .var("input", json!({ "groupId": group, "userIds": users }))
            .token(token)
            .send()
            .await;
        response.data()["addGroupMembers"]["userErrors"].clone()
    }

    /// Run `assignLicenses`; the payload (`app`, `assignments`, `userErrors`).
    pub async fn assign(&self, token: &str, app: &str, principals: &[String]) -> Value {
        self.licenses_mutation(
            "assignLicenses",
            "AssignLicensesInput",
            token,
            app,
            principals,
        )
        .await
    }

    /// Run `unassignLicenses`; the payload.
    pub async fn unassign(&self, token: &str, app: &str, principals: &[String]) -> Value {
        self.licenses_mutation(
            "unassignLicenses",
            "UnassignLicensesInput",
            token,
            app,
            principals,
        )
        .await
    }

    async fn licenses_mutation(
        &self,
        name: &str,
        input: &str,
        token: &str,
        app: &str,
        principals: &[String],
    ) -> Value {
        let query = format!(
            "mutation($input: {input}!) {{
                {name}(input: $input) {{
                    app {{ {APP_FIELDS} }}
                    assignments {{ id }}
                    userErrors {{ field message code needed available }}
                }}
            }}"
        );
        let response = self
            .gql(&query)
            .var("input", json!({ "appId": app, "principalIds": principals }))
            .token(token)
            .send()
            .await;
        response.data()[name].clone()
    }

    /// Run `importUsage` with `records` (`{userId | email, lastActiveAt}`).
    pub async fn import_usage(&self, token: &str, app: &str, records: Value) -> GraphqlResponse {
        self.gql(
            "mutation($input: ImportUsageInput!) {
                importUsage(input: $input) {
                    app { id }
                    applied usersUpdated
                    rejected { index reason }
                    userErrors { field message code }
                }
            }",
        )
        .var("input", json!({ "appId": app, "records": records }))
        .token(token)
        .send()
        .await
    }

    /// Run `reclaimIdleSeats`.
    pub async fn reclaim_idle_seats(
        &self,
        token: &str,
        app: &str,
        idle_days: i64,
        dry_run: bool,
    ) -> GraphqlResponse {
        self.gql(
            "mutation($input: ReclaimIdleSeatsInput!) {
                reclaimIdleSeats(input: $input) {
                    app { seats { purchased assigned available } licenseErrorCount }
                    dryRun count seatsFreed
                    seats { user { displayName } lastActiveAt seatFreed }
                    userErrors { field message code }
                }
            }",
        )
        .var(
            "input",
            json!({ "appId": app, "idleDays": idle_days, "dryRun": dry_run }),
        )
        .token(token)
        .send()
        .await
    }

    /// An app's seats `{ purchased assigned available }`.
    pub async fn seats(&self, token: &str, app: &str) -> Value {
        let response = self
            .gql("query($id: ID!) { app(id: $id) { seats { purchased assigned available } } }")
            .var("id", app)
            .token(token)
            .send()
            .await;
        response.data()["app"]["seats"].clone()
    }
}

/// The id of the object in a mutation payload, asserting no user errors.
fn payload_id(payload: &Value, object: &str) -> String {
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    payload[object]["id"].as_str().expect("an id").to_owned()
}
