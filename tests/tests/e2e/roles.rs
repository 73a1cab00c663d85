//! The permission matrix: each role may do exactly what the model product
//! allows, and a refused change changes nothing.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

/// What each role may do: read, assign, manage users, register apps.
const MATRIX: [(&str, [bool; 4]); 5] = [
    ("GLOBAL_ADMIN", [true, true, true, true]),
    ("LICENSE_ADMIN", [true, true, false, false]),
    ("USER_ADMIN", [true, true, true, false]),
    ("BILLING_ADMIN", [true, false, false, true]),
    ("GLOBAL_READER", [true, false, false, false]),
];

async fn every_role_may_do_exactly_what_it_should(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 50).await;
    let users = app.create_users(&admin, "Person", MATRIX.len()).await;

    for ((role, [read, assign, manage_users, register_apps]), user) in
        MATRIX.into_iter().zip(&users)
    {
        let token = app.token(&[role]);
        let expect = |allowed: bool| {
            if allowed {
                None
            } else {
                Some("FORBIDDEN".to_owned())
            }
        };

        let response = app.gql("{ apps { totalCount } users { totalCount } groups { totalCount } auditLog { totalCount } }").token(&token).send().await;
        assert_eq!(
            response.error_codes().first().cloned(),
            expect(read),
            "{role} reads"
        );

        let before = app.seats(&admin, &whiteboard).await["assigned"].as_i64();
        let response = app
            .gql("mutation($input: AssignLicensesInput!) { assignLicenses(input: $input) { userErrors { code } } }")
            .var("input", json!({ "appId": whiteboard, "principalIds": [user] }))
            .token(&token)
            .send()
            .await;
        assert_eq!(
            response.error_codes().first().cloned(),
            expect(assign),
            "{role} assigns"
        );
        let after = app.seats(&admin, &whiteboard).await["assigned"].as_i64();
        assert_eq!(
            after.zip(before).map(|(a, b)| a - b),
            Some(i64::from(assign)),
            "{role}: seats after assign"
        );

        let response = app
            .gql("mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }")
            .var("input", json!({ "displayName": role, "email": format!("{}@example.com", role.to_lowercase()) }))
            .token(&token)
            .send()
            .await;
        assert_eq!(
            response.error_codes().first().cloned(),
            expect(manage_users),
            "{role} creates users"
        );

        let response = app
            .gql("mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { code } } }")
            .var("input", json!({ "displayName": format!("{role} group") }))
            .token(&token)
            .send()
            .await;
        assert_eq!(
            response.error_codes().first().cloned(),
            expect(manage_users),
            "{role} creates groups"
        );

        let response = app
            .gql("mutation($input: RegisterAppInput!) { registerApp(input: $input) { app { id } userErrors { code } } }")
            .var(
                "input",
                Some(json!({ "name": format!("{role} app"), "seats": 1, "vendor": { "name": "V", "website": "https://v.example", "supportEmail": "s@v.example" } })),
            )
            .token(&token)
            .send()
            .await;
        assert_eq!(
            response.error_codes().first().cloned(),
            expect(register_apps),
            "{role} registers apps"
        );
    }

    // Refused changes left nothing behind: only permitted roles created.
    let totals = app
        .gql("{ users { totalCount } groups { totalCount } apps { totalCount } }")
        .token(&admin)
        .send()
        .await;
    let allowed = |i: usize| MATRIX.iter().filter(|(_, can)| can[i]).count() as i64;
    assert_eq!(
        totals.data()["users"]["totalCount"],
        users.len() as i64 + allowed(2)
    );
    assert_eq!(totals.data()["groups"]["totalCount"], allowed(2));
    assert_eq!(totals.data()["apps"]["totalCount"], 1 + allowed(3));
}

/// `viewer.permissions` is what the console decides from, so it must be
/// exactly what the server enforces: for each role, one request per
/// permission shows which are allowed, and the list must name those.
async fn each_roles_viewer_permissions_are_what_the_server_enforces(app: TestApp) {
    let admin = app.admin_token();
    // No vendor adapter: a permitted installApp answers with a user error,
    // a refused one with FORBIDDEN, and nothing is installed either way.
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 50).await;
    let users = app.create_users(&admin, "Person", MATRIX.len()).await;

    // One probe per permission, named as in the schema's `Permission` enum.
    let probes = |role: &str, user: &str| {
        [
            ("READ_TENANT", "{ apps { totalCount } }".to_owned(), None),
            (
                "ASSIGN_LICENSES",
                "mutation($input: AssignLicensesInput!) { assignLicenses(input: $input) { userErrors { code } } }".to_owned(),
                Some(json!({ "appId": whiteboard, "principalIds": [user] })),
            ),
            (
                "MANAGE_USERS_AND_GROUPS",
                "mutation($input: CreateGroupInput!) { createGroup(input: $input) { userErrors { code } } }".to_owned(),
                Some(json!({ "displayName": format!("{role} group") })),
            ),
            (
                "MANAGE_APPS",
                "mutation($input: RegisterAppInput!) { registerApp(input: $input) { userErrors { code } } }".to_owned(),
                Some(json!({ "name": format!("{role} app"), "seats": 1, "vendor": { "name": "V", "website": "https://v.example", "supportEmail": "s@v.example" } })),
            ),
            (
                "INSTALL_APPS",
                "mutation($input: InstallAppInput!) { installApp(input: $input) { redirectUrl userErrors { code } } }".to_owned(),
                Some(json!({ "appId": whiteboard, "returnUrl": "https://console.example/back" })),
            ),
            (
                "MANAGE_DIRECTORY_SYNC",
                "mutation($input: CreateScimTokenInput!) { createScimToken(input: $input) { userErrors { code } } }".to_owned(),
                Some(json!({ "name": format!("{role} token") })),
            ),
            (
                "MANAGE_SUBSCRIPTIONS",
                "mutation($input: SetSubscriptionInput!) { setSubscription(input: $input) { userErrors { code } } }".to_owned(),
                Some(json!({ "appId": whiteboard, "termStart": "2026-01-01", "termEnd": "2026-12-31", "pricePerSeat": "1.00", "currency": "EUR" })),
            ),
            (
                // A private address: a permitted call answers with the
                // URL_NOT_ALLOWED user error, and nothing is created.
                "MANAGE_WEBHOOKS",
                "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }".to_owned(),
                Some(json!({ "url": "https://10.0.0.1/hook", "events": ["SEATS_LOW"] })),
            ),
            (
                // A dry run: a permitted call changes nothing.
                "MANAGE_USAGE",
                "mutation($input: ReclaimIdleSeatsInput!) { reclaimIdleSeats(input: $input) { userErrors { code } } }".to_owned(),
                Some(json!({ "appId": whiteboard, "idleDays": 30, "dryRun": true })),
            ),
        ]
    };

    // The probes cover every permission the schema declares.
    let declared = app
        .gql("{ __type(name: \"Permission\") { enumValues { name } } }")
        .token(&admin)
        .send()
        .await;
    let declared: Vec<&str> = declared.data()["__type"]["enumValues"]
        .as_array()
        .expect("Permission is an enum")
        .iter()
        .filter_map(|value| value["name"].as_str())
        .collect();
    let probed: Vec<&str> = probes("", "").iter().map(|(name, _, _)| *name).collect();
    assert_eq!(probed, declared);

    for ((role, _), user) in MATRIX.into_iter().zip(&users) {
        let token = app.token(&[role]);
        let mut enforced = Vec::new();
        for (permission, query, input) in probes(role, user) {
            let mut request = app.gql(&query).token(&token);
            if let Some(input) = input {
                request = request.var("input", input);
            }
            let response = request.send().await;
            match response.error_codes().first().map(String::as_str) {
                None => enforced.push(permission),
                Some("FORBIDDEN") => {}
                Some(other) => panic!("{role} {permission}: unexpected error {other}"),
            }
        }

        let viewer = app
            .gql("{ viewer { permissions } }")
            .token(&token)
            .send()
            .await;
        assert_eq!(
            viewer.data()["viewer"]["permissions"],
            json!(enforced),
            "{role}"
        );
    }
}

async fn a_user_token_without_roles_sees_only_the_viewer(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let alan = app
        .create_user(&admin, "Alan Turing", "alan@example.com")
        .await;
    let team = app
        .create_group(&admin, "Team", std::slice::from_ref(&ada))
        .await;
    app.assign(&admin, &whiteboard, std::slice::from_ref(&team))
        .await;
    let token = app.token_for(&app.tenant, &[], Some(&ada));

    let me = app
        .gql("{ viewer { roles permissions tenant { id } user { displayName licenses { nodes { app { name seats { available } } state assignedDirectly viaGroups { nodes { displayName } } } } } } }")
        .token(&token)
        .send()
        .await;
    insta::assert_json_snapshot!("plain_user_viewer", me.redacted());
    assert_eq!(
        me.data()["viewer"],
        json!({
            "roles": [],
            "permissions": [],
            "tenant": { "id": app.tenant },
            "user": { "displayName": "Ada Lovelace", "licenses": { "nodes": [{
                "app": { "name": "Contoso Whiteboard", "seats": { "available": 4 } },
                "state": "ACTIVE", "assignedDirectly": false, "viaGroups": { "nodes": [{ "displayName": "Team" }] }
            }] } }
        })
    );

    for query in [
        "{ apps { totalCount } }",
        "{ users { totalCount } }",
        "{ groups { totalCount } }",
        "{ auditLog { totalCount } }",
        "{ searchPrincipals(query: \"a\") { __typename } }",
        "{ viewer { user { licenses { nodes { app { assignments { totalCount } } } } } } }",
        "{ viewer { user { licenses { nodes { viaGroups { nodes { memberCount } } } } } } }",
    ] {
        let response = app.gql(query).token(&token).send().await;
        assert_eq!(response.error_code(), "FORBIDDEN", "{query}");
    }
    let other = app
        .gql("query($id: ID!) { node(id: $id) { id } }")
        .var("id", alan.as_str())
        .token(&token)
        .send()
        .await;
    assert_eq!(other.error_code(), "FORBIDDEN");
    let assign = app
        .gql("mutation($input: AssignLicensesInput!) { assignLicenses(input: $input) { userErrors { code } } }")
        .var("input", json!({ "appId": whiteboard, "principalIds": [ada] }))
        .token(&token)
        .send()
        .await;
    assert_eq!(assign.error_code(), "FORBIDDEN");
}

e2e_on_both_backends!(
    every_role_may_do_exactly_what_it_should,
    each_roles_viewer_permissions_are_what_the_server_enforces,
    a_user_token_without_roles_sees_only_the_viewer
);
