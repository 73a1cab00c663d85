//! PostgreSQL goes away under a running server and comes back. While it is
//! down the server says so quickly (`/readyz` is 503, GraphQL answers
//! `UNAVAILABLE`) instead of hanging; once it is back the server serves
//! again without a restart. The database is a throwaway cluster of the
//! test's own: the shared server is never stopped.

use std::time::{Duration, Instant};

use seatwise_core::testing::TestDatabase;
use seatwise_e2e::{PostgresCluster, StartOptions, TestApp};
use serde_json::json;

/// A request answered within this while the database is down was not
/// hung (the connect timeout below is 2 s, the pool wait 3 s).
const ANSWER_BOUND: Duration = Duration::from_secs(8);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_postgres_going_away() {
    let Some(cluster) = PostgresCluster::start() else {
        return;
    };
    let database = TestDatabase::postgres_at(&cluster.admin_url()).await;
    let options = StartOptions {
        env: vec![
            ("SEATWISE_DB_CONNECT_TIMEOUT_MS".into(), "2000".into()),
            ("SEATWISE_DB_ACQUIRE_TIMEOUT_MS".into(), "3000".into()),
        ],
        process: true,
        ..StartOptions::default()
    };
    let app = TestApp::start_on(database, options).await;
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "Contoso CRM", 10).await;
    let ada = app.create_user(&admin, "Ada", "ada@example.com").await;
    let apps_query = "{ apps(first: 10) { nodes { id name } } }";
    assert_eq!(
        app.gql(apps_query).token(&admin).send().await.data()["apps"]["nodes"][0]["id"],
        crm
    );

    cluster.stop();

    // Not ready, said at once.
    let started = Instant::now();
    let ready = app
        .http()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("GET /readyz");
    assert_eq!(ready.status().as_u16(), 503);
    eprintln!(
        "readyz with PostgreSQL down answered in {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < ANSWER_BOUND,
        "readyz took {:?}",
        started.elapsed()
    );
    // Reads and writes fail with a code that says "try again", each within
    // the bound (several, so pooled connections broken by the outage are
    // all met).
    for _ in 0..3 {
        let started = Instant::now();
        let read = app.gql(apps_query).token(&admin).send().await;
        assert_eq!(read.error_code(), "UNAVAILABLE", "{:#}", read.body);
        let write = app
            .gql(
                "mutation($input: AssignLicensesInput!) {
                    assignLicenses(input: $input) { userErrors { code } }
                }",
            )
            .var("input", json!({ "appId": crm, "principalIds": [ada] }))
            .token(&admin)
            .send()
            .await;
        assert_eq!(write.error_code(), "UNAVAILABLE", "{:#}", write.body);
        eprintln!(
            "a read and a write with PostgreSQL down: {:?}",
            started.elapsed()
        );
        assert!(
            started.elapsed() < ANSWER_BOUND * 2,
            "took {:?}",
            started.elapsed()
        );
    }
    // The process is still there.
    assert_eq!(
        app.http()
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("healthz")
            .status()
            .as_u16(),
        200
    );

    cluster.start_again();
    let back = Instant::now();

    // Back without a restart: ready again, the data is there, writes work.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = app
            .http()
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz")
            .status();
        if status.is_success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never ready again; log:\n{}",
            app.server_log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "ready again {:?} after PostgreSQL came back",
        back.elapsed()
    );
    // Every pooled connection answers (none is a dead one from before).
    for _ in 0..20 {
        let read = app.gql(apps_query).token(&admin).send().await;
        assert_eq!(read.data()["apps"]["nodes"][0]["id"], crm);
    }
    let assigned = app.assign(&admin, &crm, &[ada]).await;
    assert_eq!(assigned["userErrors"], json!([]), "{assigned:#}");
    assert_eq!(assigned["app"]["seats"]["assigned"], 1);
    assert!(
        app.server_log().contains("database unavailable"),
        "the outage was logged"
    );
}
