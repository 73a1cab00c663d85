//! The model product's main scenario, as an admin clicks through it: list
//! the apps, open one, search for people, assign, unassign, read the audit
//! log. Each GraphQL type and mutation also has its own tests under
//! `types/` and `mutation/`; this story checks they fit together.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;

async fn list_apps_open_details_search_assign_and_unassign(app: TestApp) {
    let admin = app.admin_token();
    let whiteboard = app.register_app(&admin, "Contoso Whiteboard", 5).await;
    app.register_app(&admin, "Fabrikam Timesheets", 10).await;
    let ada = app
        .create_user(&admin, "Ada Lovelace", "ada@example.com")
        .await;
    let alan = app
        .create_user(&admin, "Alan Turing", "alan@example.com")
        .await;
    let grace = app
        .create_user(&admin, "Grace Hopper", "grace@example.com")
        .await;
    let engineering = app
        .create_group(&admin, "Engineering", &[alan.clone(), grace.clone()])
        .await;

    // 1. The list of apps, by name, with seats.
    let list = app
        .gql("{ apps { totalCount nodes { id name vendor { name website supportEmail } seats { purchased assigned available } } } }")
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("apps_list", list.redacted());
    let apps = &list.data()["apps"];
    assert_eq!(apps["totalCount"], 2);
    assert_eq!(apps["nodes"][0]["name"], "Contoso Whiteboard");
    assert_eq!(
        apps["nodes"][0]["vendor"]["supportEmail"],
        "help@contoso.example"
    );
    assert_eq!(
        apps["nodes"][0]["seats"],
        json!({ "purchased": 5, "assigned": 0, "available": 5 })
    );
    assert_eq!(apps["nodes"][1]["name"], "Fabrikam Timesheets");

    // 2. Typeahead over users and groups.
    let search = |text: &'static str| {
        app.gql("query($q: String!) { searchPrincipals(query: $q) { __typename ... on User { id displayName } ... on Group { id displayName } } }")
            .var("q", text)
            .token(&admin)
            .send()
    };
    let hits = search("a").await;
    let names: Vec<&str> = hits.data()["searchPrincipals"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["displayName"].as_str())
        .collect();
    assert_eq!(names, ["Ada Lovelace", "Alan Turing"]);
    let hits = search("eng").await;
    assert_eq!(
        hits.data()["searchPrincipals"],
        json!([{ "__typename": "Group", "id": engineering, "displayName": "Engineering" }])
    );

    // 3. Assign a user and a group: three distinct users take seats.
    let assigned = app
        .assign(&admin, &whiteboard, &[ada.clone(), engineering.clone()])
        .await;
    assert_eq!(assigned["userErrors"], json!([]));
    assert_eq!(assigned["assignments"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        assigned["app"]["seats"],
        json!({ "purchased": 5, "assigned": 3, "available": 2 })
    );

    // 4. License details: assignments and who holds the license, and how.
    let details = app
        .gql(
            "query($id: ID!) { app(id: $id) {
                seats { assigned available }
                assignments { totalCount nodes { assignedBy principal { __typename ... on User { displayName } ... on Group { displayName memberCount } } } }
                licensedUsers { totalCount nodes { user { displayName } state assignedDirectly viaGroups { nodes { displayName } } } }
                licenseErrorCount
            } }",
        )
        .var("id", whiteboard.as_str())
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("app_details", details.redacted());
    let details = &details.data()["app"];
    assert_eq!(details["assignments"]["totalCount"], 2);
    assert_eq!(
        details["assignments"]["nodes"][0]["assignedBy"],
        "seatwise-cli"
    );
    assert_eq!(
        details["assignments"]["nodes"][1]["principal"],
        json!({ "__typename": "Group", "displayName": "Engineering", "memberCount": 2 })
    );
    assert_eq!(details["licensedUsers"]["totalCount"], 3);
    let holders = details["licensedUsers"]["nodes"]
        .as_array()
        .expect("holders");
    let ada_holds = holders
        .iter()
        .find(|h| h["user"]["displayName"] == "Ada Lovelace")
        .expect("Ada");
    assert_eq!(ada_holds["assignedDirectly"], true);
    assert_eq!(ada_holds["state"], "ACTIVE");
    let alan_holds = holders
        .iter()
        .find(|h| h["user"]["displayName"] == "Alan Turing")
        .expect("Alan");
    assert_eq!(alan_holds["assignedDirectly"], false);
    assert_eq!(
        alan_holds["viaGroups"]["nodes"],
        json!([{ "displayName": "Engineering" }])
    );
    assert_eq!(details["licenseErrorCount"], 0);

    // 5. The user's side: Grace holds the app through Engineering.
    let grace_view = app
        .gql("query($id: ID!) { user(id: $id) { licenses { nodes { app { name } state errorCode assignedDirectly viaGroups { nodes { id } } } } groups { nodes { displayName } } } }")
        .var("id", grace.as_str())
        .token(&admin)
        .send()
        .await;
    insta::assert_json_snapshot!("user_holds_through_group", grace_view.redacted());
    let grace_license = &grace_view.data()["user"]["licenses"]["nodes"][0];
    assert_eq!(grace_license["state"], "ACTIVE");
    assert_eq!(
        grace_license["viaGroups"]["nodes"],
        json!([{ "id": engineering }])
    );

    // 6. Unassign: seats come back.
    let unassigned = app
        .unassign(&admin, &whiteboard, &[ada.clone(), engineering.clone()])
        .await;
    assert_eq!(unassigned["userErrors"], json!([]));
    assert_eq!(
        unassigned["app"]["seats"],
        json!({ "purchased": 5, "assigned": 0, "available": 5 })
    );

    // 7. The audit log tells the story, newest first.
    let audit = app
        .gql("query($app: ID!) { auditLog(appId: $app) { nodes { action actor targetId } } }")
        .var("app", whiteboard.as_str())
        .token(&admin)
        .send()
        .await;
    let actions: Vec<&str> = audit.data()["auditLog"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["LICENSE_UNASSIGNED", "LICENSE_ASSIGNED", "APP_REGISTERED"]
    );
}

e2e_on_both_backends!(list_apps_open_details_search_assign_and_unassign);
