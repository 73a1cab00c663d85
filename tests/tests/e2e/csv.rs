//! `seatwise import users|groups` and `seatwise export assignments`: the
//! CLI as a process, against the database of an in-process server, whose
//! GraphQL answers show what the import wrote.

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::{Value, json};

e2e_on_both_backends!(
    users_import_is_idempotent,
    a_bad_file_writes_nothing_and_names_every_bad_line,
    a_dry_run_writes_nothing,
    groups_import_adds_members_who_take_seats,
    assignments_export_one_row_each,
);

/// Write `contents` to a file in the app's work folder; its path.
fn csv_file(app: &TestApp, name: &str, contents: &str) -> String {
    let path = app.work_dir().join(name);
    std::fs::write(&path, contents).expect("write the CSV file");
    path.to_string_lossy().into_owned()
}

/// `seatwise import KIND --tenant ID [extra…] FILE`: exit status, stdout,
/// stderr.
fn import(app: &TestApp, kind: &str, file: &str, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec!["import", kind, "--tenant", app.tenant.as_str()];
    args.extend_from_slice(extra);
    args.push(file);
    let output = app.cli_output(&args, &[]);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The tenant's users as (displayName, email, source, externalId), by name.
async fn users(app: &TestApp) -> Vec<(String, String, String, Value)> {
    let response = app
        .gql("{ users(first: 100) { nodes { displayName email source externalId } } }")
        .token(&app.admin_token())
        .send()
        .await;
    response.data()["users"]["nodes"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["displayName"].as_str().unwrap_or_default().to_owned(),
                u["email"].as_str().unwrap_or_default().to_owned(),
                u["source"].as_str().unwrap_or_default().to_owned(),
                u["externalId"].clone(),
            )
        })
        .collect()
}

const USERS: &str = "displayName,email,externalId\n\
Ada Lovelace,ada@contoso.example,e-ada\n\
\"Hopper, Grace\",grace@contoso.example,\n";

async fn users_import_is_idempotent(app: TestApp) {
    let file = csv_file(&app, "users.csv", USERS);
    let (ok, out, err) = import(&app, "users", &file, &[]);
    assert!(ok, "{err}");
    assert_eq!(out, "users: 2 created, 0 updated, 0 unchanged, 0 bad rows");
    let (ok, out, err) = import(&app, "users", &file, &[]);
    assert!(ok, "{err}");
    assert_eq!(out, "users: 0 created, 0 updated, 2 unchanged, 0 bad rows");
    assert_eq!(
        users(&app).await,
        [
            (
                "Ada Lovelace".into(),
                "ada@contoso.example".into(),
                "CSV".into(),
                json!("e-ada")
            ),
            (
                "Hopper, Grace".into(),
                "grace@contoso.example".into(),
                "CSV".into(),
                Value::Null
            ),
        ]
    );
    // Renamed in the directory: the same user by externalId.
    let renamed = csv_file(
        &app,
        "renamed.csv",
        "externalId,email,displayName\ne-ada,ada.king@contoso.example,Ada King\n",
    );
    let (ok, out, err) = import(&app, "users", &renamed, &[]);
    assert!(ok, "{err}");
    assert_eq!(out, "users: 0 created, 1 updated, 0 unchanged, 0 bad rows");
    assert_eq!(users(&app).await[0].1, "ada.king@contoso.example");
}

async fn a_bad_file_writes_nothing_and_names_every_bad_line(app: TestApp) {
    let file = csv_file(
        &app,
        "bad.csv",
        "displayName,email\n\
         Good,good@contoso.example\n\
         Bad,not-an-email\n\
         ,nameless@contoso.example\n\
         Twin,GOOD@contoso.example\n\
         Too,many,fields\n",
    );
    let (ok, out, err) = import(&app, "users", &file, &[]);
    assert!(!ok, "a bad file fails the command");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(
        lines,
        [
            "line 3: email: is not an email address",
            "line 4: displayName: must not be empty",
            "line 5: email: repeats line 2",
            "line 6: displayName: the row has a different number of fields than the header",
        ]
    );
    assert!(
        err.contains("error: 4 bad row(s) in") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(
        out,
        "users: 1 created, 0 updated, 0 unchanged, 4 bad rows (nothing was written)"
    );
    assert!(users(&app).await.is_empty());

    let unknown_column = csv_file(&app, "columns.csv", "name,email\nAda,ada@contoso.example\n");
    let (ok, _, err) = import(&app, "users", &unknown_column, &[]);
    assert!(!ok);
    assert!(err.contains("line 1: unknown column \"name\""), "{err}");
}

async fn a_dry_run_writes_nothing(app: TestApp) {
    let file = csv_file(&app, "users.csv", USERS);
    let (ok, out, err) = import(&app, "users", &file, &["--dry-run"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "users: 2 created, 0 updated, 0 unchanged, 0 bad rows (dry run: nothing was written)"
    );
    assert!(users(&app).await.is_empty());
}

/// The app's seats and the number of users waiting for one.
async fn seats(app: &TestApp, id: &str) -> (i64, i64) {
    let seats = app.seats(&app.admin_token(), id).await;
    let response = app
        .gql("query($id: ID!) { app(id: $id) { licenseErrorCount } }")
        .var("id", id)
        .token(&app.admin_token())
        .send()
        .await;
    (
        seats["assigned"].as_i64().expect("assigned seats"),
        response.data()["app"]["licenseErrorCount"]
            .as_i64()
            .expect("error count"),
    )
}

async fn groups_import_adds_members_who_take_seats(app: TestApp) {
    let token = app.admin_token();
    let (ok, _, err) = import(&app, "users", &csv_file(&app, "users.csv", USERS), &[]);
    assert!(ok, "{err}");
    let first = csv_file(
        &app,
        "groups.csv",
        "displayName,description,members,externalId\n\
         Engineering,Builders,ada@contoso.example,g-eng\n",
    );
    let (ok, out, err) = import(&app, "groups", &first, &[]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "groups: 1 created, 0 updated, 0 unchanged, 0 bad rows, 0 members waiting for a seat"
    );
    let group = app
        .gql("{ groups(first: 5) { nodes { id displayName source } } }")
        .token(&token)
        .send()
        .await
        .data()["groups"]["nodes"][0]
        .clone();
    assert_eq!(group["source"], "CSV");
    let app_id = app.register_app(&token, "Visio", 1).await;
    app.assign(&token, &app_id, &[group["id"].as_str().unwrap().to_owned()])
        .await;
    assert_eq!(seats(&app, &app_id).await, (1, 0));

    // Grace joins a group whose app has no free seat: she waits.
    let more = csv_file(
        &app,
        "more.csv",
        "displayName,description,members,externalId\n\
         Engineering,Builders,ada@contoso.example; GRACE@contoso.example,g-eng\n\
         Sales,,nobody@contoso.example,\n",
    );
    let (ok, _, err) = import(&app, "groups", &more, &[]);
    assert!(!ok);
    assert!(
        err.contains("line 3: members: no user has the email nobody@contoso.example"),
        "{err}"
    );
    assert_eq!(seats(&app, &app_id).await, (1, 0), "nothing written");

    let fixed = csv_file(
        &app,
        "fixed.csv",
        "displayName,description,members,externalId\n\
         Engineering,Builders,ada@contoso.example; GRACE@contoso.example,g-eng\n",
    );
    let (ok, out, err) = import(&app, "groups", &fixed, &[]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "groups: 0 created, 1 updated, 0 unchanged, 0 bad rows, 1 members waiting for a seat"
    );
    assert_eq!(seats(&app, &app_id).await, (1, 1));
    let (ok, out, _) = import(&app, "groups", &fixed, &[]);
    assert!(ok);
    assert_eq!(
        out,
        "groups: 0 created, 0 updated, 1 unchanged, 0 bad rows, 0 members waiting for a seat"
    );
}

async fn assignments_export_one_row_each(app: TestApp) {
    let token = app.admin_token();
    let ada = app
        .create_user(&token, "Ada Lovelace", "ada@contoso.example")
        .await;
    let group = app
        .create_group(&token, "Engineering", std::slice::from_ref(&ada))
        .await;
    let visio = app.register_app(&token, "Visio", 5).await;
    let teams = app.register_app(&token, "Teams", 5).await;
    app.assign(&token, &visio, &[ada.clone(), group.clone()])
        .await;
    app.assign(&token, &teams, &[group]).await;

    let all = app.cli(&["export", "assignments", "--tenant", &app.tenant], &[]);
    let rows: Vec<Vec<String>> = all
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(
        rows[0].join(","),
        "app,appId,principalKind,principalName,principalId,email,assignedBy,assignedAt"
    );
    let summary: Vec<(&str, &str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str(), r[3].as_str(), r[5].as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Teams", "GROUP", "Engineering", ""),
            ("Visio", "USER", "Ada Lovelace", "ada@contoso.example"),
            ("Visio", "GROUP", "Engineering", ""),
        ]
    );

    let one = app.cli(
        &[
            "export",
            "assignments",
            "--tenant",
            &app.tenant,
            "--app",
            &visio,
        ],
        &[],
    );
    assert_eq!(one.lines().count(), 3, "the header and Visio's two rows");
}
