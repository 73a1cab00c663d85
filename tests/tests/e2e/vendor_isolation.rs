//! Vendor fault isolation: a hung vendor plugin delays only its own work.
//!
//! - Side by side with a hung vendor that holds its full concurrency, a
//!   healthy vendor's seat change and an app without an adapter finish in
//!   about a second, not after the hung one's 30 s timeout (both backends).
//! - Past the bound of abandoned (timed-out, still running) calls, the hung
//!   adapter is quarantined: `seatwise plugins list --server` and the
//!   metrics say so, the log says so once, and neighbours keep working.
//! - An adapter timeout at or above the worker lease is refused at start.
//! - Assignment notices to a hung vendor wait in a bounded queue; what does
//!   not fit is dropped and counted, and other vendors still hear theirs.
//! - `serve --demo` loads only the example vendors, even when a workspace
//!   build left the misbehaving test plugins beside the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seatwise_e2e::{
    Backend, Plugin, TestApp, built_plugins_dir, e2e_for_each_backend, seatwise_bin,
};
use serde_json::json;

use crate::vendor_support::{adapter_metric, start_with_plugins_and_env, wait_for_metric};

/// The real default call timeout: "not blocked" must mean well under it.
const REAL_TIMEOUT_MS: &str = "30000";
/// Far below [`REAL_TIMEOUT_MS`], generous for a loaded CI machine.
const NOT_BLOCKED: Duration = Duration::from_secs(10);

fn operation_id(payload: &serde_json::Value) -> String {
    payload["operation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an operation: {payload:#}"))
        .to_owned()
}

async fn a_hung_vendor_does_not_delay_a_healthy_one(backend: Backend) {
    let Some((app, _plugins)) = start_with_plugins_and_env(
        backend,
        &[Plugin::Contoso, Plugin::BadHang],
        &[
            ("SEATWISE_PLUGIN_TIMEOUT_MS", REAL_TIMEOUT_MS),
            ("SEATWISE_PLUGIN_CONCURRENCY", "2"),
        ],
    )
    .await
    else {
        return;
    };
    let admin = app.admin_token();
    // Three hung apps for two slots: the third keeps being claimed and
    // given back while the other two hang.
    let mut hung = Vec::new();
    for n in 0..3 {
        let hangs = app
            .register_app_with_adapter(
                &admin,
                &format!("Hangy {n}"),
                2,
                Some("bad-hang"),
                json!({}),
            )
            .await;
        let requested = app
            .request_seat_change(&admin, &hangs, 5, &format!("hang-{n}"))
            .await;
        hung.push(operation_id(&requested));
    }
    let healthy = app
        .register_app_with_adapter(
            &admin,
            "Contoso Office",
            2,
            Some("contoso"),
            json!({ "signing_secret": "s", "install_base_url": "https://install.contoso.example" }),
        )
        .await;
    let plain = app.register_app(&admin, "Plain App", 2).await;

    // The hung vendor holds its full concurrency: two calls inside it.
    wait_for_metric(&app, "seatwise_adapter_calls_running", "bad-hang", 2.0).await;

    let started = Instant::now();
    let healthy_op = operation_id(
        &app.request_seat_change(&admin, &healthy, 4, "grow-office")
            .await,
    );
    let plain_op = operation_id(
        &app.request_seat_change(&admin, &plain, 4, "grow-plain")
            .await,
    );
    let healthy_done = app.wait_for_final_seat_change(&admin, &healthy_op).await;
    let plain_done = app.wait_for_final_seat_change(&admin, &plain_op).await;
    let took = started.elapsed();

    assert_eq!(healthy_done["status"], "SUCCEEDED", "{healthy_done:#}");
    assert_eq!(healthy_done["app"]["seats"]["purchased"], 4);
    assert_eq!(plain_done["status"], "CONTACT_VENDOR", "{plain_done:#}");
    assert!(
        took < NOT_BLOCKED,
        "the healthy vendor and the no-adapter app waited {took:?} behind the hung vendor"
    );
    // Still hung, still holding exactly its two slots: the third waits its turn.
    assert_eq!(
        adapter_metric(&app, "seatwise_adapter_calls_running", "bad-hang").await,
        Some(2.0)
    );
    for id in &hung {
        let op = app.seat_change(&admin, id).await;
        assert_eq!(op["status"], "PENDING", "{op:#}");
        assert_eq!(
            op["attempts"], 0,
            "a released claim counts no attempt: {op:#}"
        );
    }
}

/// Storage plays no part in quarantine itself: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_of_abandoned_calls_the_adapter_is_quarantined() {
    let (app, plugins) = start_with_plugins_and_env(
        Backend::Sqlite,
        &[Plugin::Contoso, Plugin::BadHang],
        &[
            ("SEATWISE_PLUGIN_TIMEOUT_MS", "300"),
            // One call at a time: each starts only after the last timed out,
            // so the count stops exactly at the bound.
            ("SEATWISE_PLUGIN_CONCURRENCY", "1"),
            ("SEATWISE_PLUGIN_MAX_ABANDONED", "3"),
        ],
    )
    .await
    .expect("SQLite always starts");
    let admin = app.admin_token();
    for n in 0..3 {
        let hangs = app
            .register_app_with_adapter(
                &admin,
                &format!("Hangy {n}"),
                2,
                Some("bad-hang"),
                json!({}),
            )
            .await;
        app.request_seat_change(&admin, &hangs, 5, &format!("hang-{n}"))
            .await;
    }

    // Each call times out after 300 ms and its thread stays stuck; at three
    // the adapter is fenced off.
    wait_for_metric(&app, "seatwise_adapter_quarantined", "bad-hang", 1.0).await;
    assert_eq!(
        adapter_metric(&app, "seatwise_adapter_abandoned_calls", "bad-hang").await,
        Some(3.0)
    );
    assert_eq!(
        adapter_metric(&app, "seatwise_adapter_quarantined", "contoso").await,
        Some(0.0)
    );

    // The operator sees it in `plugins list` against the running server.
    let list = app.cli(
        &[
            "plugins",
            "list",
            "--plugins",
            plugins.path().to_str().expect("UTF-8 path"),
            "--server",
            app.base_url.as_str(),
        ],
        &[],
    );
    let line = |key: &str| {
        list.lines()
            .find(|line| line.contains(&format!("loaded adapter `{key}`")))
            .unwrap_or_else(|| panic!("no line for {key}: {list}"))
            .to_owned()
    };
    assert!(
        line("bad-hang").ends_with(&format!(
            "status at {}: QUARANTINED (3 timed-out calls still running; calls fail at once until some return)",
            app.base_url
        )),
        "{list}"
    );
    assert!(
        line("contoso").ends_with(&format!("status at {}: ok", app.base_url)),
        "{list}"
    );

    // One log line for entering quarantine, however many calls it refuses.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = app.server_log();
    assert_eq!(log.matches("adapter quarantined").count(), 1, "{log}");
    assert!(log.contains("calls fail at once"), "{log}");

    // The neighbour is untouched.
    let healthy = app
        .register_app_with_adapter(
            &admin,
            "Contoso Office",
            2,
            Some("contoso"),
            json!({ "signing_secret": "s", "install_base_url": "https://install.contoso.example" }),
        )
        .await;
    let op = operation_id(&app.request_seat_change(&admin, &healthy, 4, "grow").await);
    let done = app.wait_for_final_seat_change(&admin, &op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done:#}");
}

/// Runs `seatwise serve` with `env` and waits (at most 60 s) for it to
/// exit; `None` if it was still running (then it is killed).
fn serve_exit(app: &TestApp, env: &[(&str, &str)]) -> Option<std::process::Output> {
    let mut command = Command::new(seatwise_bin());
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(app.work_dir())
        .env("SEATWISE_DATABASE_URL", app.database_url())
        .env("SEATWISE_JWT_SECRET", app.secret())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start seatwise serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if child.try_wait().expect("poll seatwise serve").is_some() {
            return Some(child.wait_with_output().expect("its output"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_timeout_at_or_above_the_lease_is_refused_at_start() {
    let app = TestApp::start(Backend::Sqlite)
        .await
        .expect("SQLite always starts");
    for (timeout, lease) in [("60000", "60000"), ("90000", "60000")] {
        let output = serve_exit(
            &app,
            &[
                ("SEATWISE_PLUGIN_TIMEOUT_MS", timeout),
                ("SEATWISE_WORKER_LEASE_MS", lease),
            ],
        )
        .unwrap_or_else(|| {
            panic!("serve with timeout {timeout} ms, lease {lease} ms kept running")
        });
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "the adapter call timeout (SEATWISE_PLUGIN_TIMEOUT_MS={timeout} ms) must be shorter \
                 than the seat-change worker lease (SEATWISE_WORKER_LEASE_MS={lease} ms)"
            )),
            "{stderr}"
        );
    }
    // The running server (default 30 s timeout, 5 min lease) is fine.
    let viewer = app
        .gql("{ viewer { tenant { name } } }")
        .token(&app.admin_token())
        .send()
        .await;
    assert_eq!(
        viewer.data()["viewer"]["tenant"]["name"],
        "Test Organisation"
    );
}

/// The notice file Fabrikam keeps in the operator's data directory.
fn fabrikam_notices(data_dir: &Path) -> usize {
    std::fs::read_to_string(data_dir.join("fabrikam").join("notices.jsonl"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_to_a_hung_vendor_are_bounded_and_drops_counted() {
    let data_dir = std::env::temp_dir().join(format!(
        "seatwise-plugin-data-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let data_dir_text = data_dir.to_str().expect("UTF-8 path").to_owned();
    let (app, _plugins) = start_with_plugins_and_env(
        Backend::Sqlite,
        &[Plugin::Fabrikam, Plugin::BadHang],
        &[
            ("SEATWISE_PLUGIN_TIMEOUT_MS", REAL_TIMEOUT_MS),
            ("SEATWISE_NOTICE_QUEUE", "2"),
            ("SEATWISE_PLUGIN_DATA_DIR", data_dir_text.as_str()),
        ],
    )
    .await
    .expect("SQLite always starts");
    let admin = app.admin_token();
    let hangs = app
        .register_app_with_adapter(&admin, "Hangy", 10, Some("bad-hang"), json!({}))
        .await;
    let crm = app
        .register_app_with_adapter(&admin, "Fabrikam CRM", 10, Some("fabrikam"), json!({}))
        .await;
    let users = app.create_users(&admin, "Staff", 6).await;

    // The first notice is taken by the hung vendor's one consumer and hangs.
    app.assign(&admin, &hangs, &users[..1]).await;
    wait_for_metric(&app, "seatwise_adapter_calls_running", "bad-hang", 1.0).await;
    // Two more fit its queue; the last three are dropped.
    for user in &users[1..] {
        app.assign(&admin, &hangs, std::slice::from_ref(user)).await;
    }
    wait_for_metric(
        &app,
        "seatwise_assignment_notices_dropped_total",
        "bad-hang",
        3.0,
    )
    .await;
    let log = app.server_log();
    assert!(
        log.contains("assignment notices dropped: the adapter's queue is full"),
        "{log}"
    );

    // The assignments themselves all went through at once.
    let seats = app
        .gql("query($id: ID!) { app(id: $id) { seats { assigned } } }")
        .var("id", hangs.as_str())
        .token(&admin)
        .send()
        .await;
    assert_eq!(seats.data()["app"]["seats"]["assigned"], 6);

    // Another vendor still hears its notices.
    app.assign(&admin, &crm, &users[..2]).await;
    let deadline = Instant::now() + NOT_BLOCKED;
    while fabrikam_notices(&data_dir) < 1 {
        assert!(
            Instant::now() < deadline,
            "Fabrikam heard nothing\n{}",
            app.server_log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        adapter_metric(
            &app,
            "seatwise_assignment_notices_dropped_total",
            "fabrikam"
        )
        .await,
        None,
        "nothing of Fabrikam's was dropped"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// A folder holding the `seatwise` binary and every plugin a full
/// workspace build produces, like `target/release` after
/// `cargo build --workspace --release`.
struct FullBuild {
    dir: PathBuf,
}

impl FullBuild {
    fn new() -> Self {
        let built = built_plugins_dir();
        // Beside the real build so a hard link works; the binary must not
        // be a symlink, since the demo looks beside the resolved binary.
        let dir = built.join(format!("full-build-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create a build folder");
        let bin = dir.join("seatwise");
        if std::fs::hard_link(seatwise_bin(), &bin).is_err() {
            std::fs::copy(seatwise_bin(), &bin).expect("copy the seatwise binary");
        }
        for plugin in Plugin::ALL {
            std::fs::copy(built.join(plugin.file_name()), dir.join(plugin.file_name()))
                .unwrap_or_else(|e| panic!("copy {plugin:?}: {e}"));
        }
        Self { dir }
    }
}

impl Drop for FullBuild {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_loads_only_the_example_vendors_after_a_full_build() {
    let build = FullBuild::new();
    let work = build.dir.join("work");
    std::fs::create_dir_all(&work).expect("create a work folder");
    let mut server = Command::new(build.dir.join("seatwise"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .current_dir(&work)
        .env(
            "SEATWISE_DATABASE_URL",
            format!("sqlite://{}", work.join("demo.db").display()),
        )
        .env(
            "SEATWISE_JWT_SECRET",
            format!("demo-secret-{}", uuid::Uuid::new_v4().simple()),
        )
        .env("SEATWISE_LOG", "info")
        .env_remove("SEATWISE_PLUGIN_DIR")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(work.join("server.log")).expect("log file"))
        .spawn()
        .expect("start the demo");
    // The token line comes last, after the plugins loaded.
    let stdout = server.stdout.take().expect("stdout");
    let printed = tokio::task::spawn_blocking(move || {
        use std::io::BufRead as _;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let done = line.contains("Authorization");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let printed = tokio::time::timeout(Duration::from_secs(60), printed).await;
    let _ = server.kill();
    let _ = server.wait();
    let log = std::fs::read_to_string(work.join("server.log")).unwrap_or_default();
    let printed = printed
        .unwrap_or_else(|_| panic!("the demo did not start\n{log}"))
        .expect("reading stdout");
    assert!(
        printed.iter().any(|line| line.contains("Authorization")),
        "{printed:?}\n{log}"
    );

    let loaded: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("adapter plugin loaded"))
        .collect();
    assert_eq!(loaded.len(), 2, "{log}");
    assert!(
        loaded.iter().any(|line| line.contains("adapter=contoso")),
        "{log}"
    );
    assert!(
        loaded.iter().any(|line| line.contains("adapter=fabrikam")),
        "{log}"
    );
    assert!(
        !log.contains("plugin_bad") && !log.contains("adapter=bad-"),
        "a misbehaving plugin was considered:\n{log}"
    );
}

e2e_for_each_backend!(a_hung_vendor_does_not_delay_a_healthy_one);
