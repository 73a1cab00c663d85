//! The end-to-end harness: the real `seatwise` server on a free port
//! against a throw-away database, spoken to over HTTP.
//!
//! - [`TestApp::start`] runs the server **in this test process**: the same
//!   [`seatwise_api::server::assemble`] and router `seatwise serve` runs,
//!   on its own database and tenant, with no build step and no child
//!   process. Tokens are minted and tenants created in-process too.
//! - A test of the process itself asks for a child process
//!   ([`StartOptions::process`]): signals, crashes, its log, its secret
//!   file. Plugins loaded from disk ([`StartOptions::plugins`]) always run
//!   in one, so a hung or crashing plugin never takes the test with it.
//!   The `seatwise` binary is then built once per test process (set
//!   `SEATWISE_BIN` to use a prebuilt one).
//! - [`TestApp::gql`] starts a GraphQL call ([`GraphqlCall`]) whose
//!   [`GraphqlResponse`] has helpers for data, error codes and redacted
//!   snapshots ([`snapshot::redact`]).
//! - [`e2e_on_both_backends!`] runs each test on SQLite and PostgreSQL.
//! - [`StartOptions::demo`] starts `serve --demo` (the demo organisation's
//!   data, for the console's browser tests).
//! - [`TestApp::restart`] restarts the server on the same database and
//!   [`TestApp::replica`] starts a second server on it (same mode).
//! - [`receiver::Receiver`] is a local webhook receiver that records and
//!   verifies what the server sends.
//! - [`PostgresCluster`] runs a throwaway PostgreSQL server that a test may
//!   stop and start ([`TestApp::start_on`] serves a database on it);
//!   [`TestApp::kill_and_restart`] simulates a crash. The fault tests
//!   (`tests/tests/faults/`) use them.

mod cluster;
mod fixtures;
mod graphql;
pub mod receiver;
mod server;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use seatwise_api::auth::{Role, TokenKeys, TokenRequest};
use seatwise_core::ids::{TenantId, UserId};
use seatwise_core::model::Actor;
use seatwise_core::testing::TestDatabase;

pub use cluster::PostgresCluster;
pub use fixtures::*;
pub use graphql::{GraphqlCall, GraphqlResponse};
/// The plugin crates, built once per test process, and private plugin
/// directories: the adapter host's helpers, shared with its own tests.
pub use seatwise_adapter_host::testing::{Plugin, PluginDir, built_plugins_dir};

use server::Server;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// The `seatwise` binary, built once per test process.
pub fn seatwise_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(bin) = std::env::var("SEATWISE_BIN") {
            return PathBuf::from(bin);
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "seatwise-api",
                "--bin",
                "seatwise",
            ])
            .current_dir(workspace)
            .status()
            .expect("run cargo build for the seatwise binary");
        assert!(status.success(), "building the seatwise binary failed");
        // This test runs from <target>/debug/deps/; the binary is in <target>/debug/.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target profile directory");
        profile_dir.join(format!("seatwise{}", std::env::consts::EXE_SUFFIX))
    })
}

/// How to run `seatwise` for one test: its database, secret and folder.
struct Runner {
    database_url: String,
    secret: String,
    work_dir: PathBuf,
}

impl Runner {
    fn configure(&self, command: &mut Command, env: &[(String, String)]) {
        command
            .current_dir(&self.work_dir)
            .env("SEATWISE_DATABASE_URL", &self.database_url)
            .env("SEATWISE_LOG", "info")
            .env_remove("SEATWISE_CORS_ORIGINS")
            .env_remove("SEATWISE_LISTEN")
            .env_remove("SEATWISE_PLUGIN_DIR")
            .env_remove("SEATWISE_PLUGIN_DATA_DIR");
        if self.secret.is_empty() {
            command.env_remove("SEATWISE_JWT_SECRET");
        } else {
            command.env("SEATWISE_JWT_SECRET", &self.secret);
        }
        for (key, value) in env {
            command.env(key, value);
        }
    }

    fn cli(&self, args: &[&str], env: &[(String, String)]) -> String {
        let mut command = Command::new(seatwise_bin());
        command.args(args);
        self.configure(&mut command, env);
        let output = command.output().expect("run seatwise");
        assert!(
            output.status.success(),
            "seatwise {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("UTF-8 output")
            .trim()
            .to_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.work_dir.join("server.log")).unwrap_or_default()
    }
}

/// A running server with its own database and tenant.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The tenant created for the test.
    pub tenant: String,
    runner: Runner,
    client: reqwest::Client,
    server: Server,
    options: StartOptions,
    /// Mints tokens in-process (`None` when the server made its own secret).
    keys: Option<TokenKeys>,
    // Dropped after the server is stopped (fields drop after `Drop::drop`);
    // shared with replicas.
    database: Arc<TestDatabase>,
}

/// Options for starting a server.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// `SEATWISE_*` settings for the server (and CLI) beyond the defaults.
    /// In-process they are read by the same parser `seatwise serve` uses.
    pub env: Vec<(String, String)>,
    /// Do not set `SEATWISE_JWT_SECRET` (the server then generates one;
    /// runs a child process).
    pub no_secret_env: bool,
    /// Start the server with `--plugins DIR` (runs a child process).
    pub plugins: Option<PathBuf>,
    /// Run `seatwise serve` as a child process even without plugins: for
    /// tests of the process itself (signals, crashes, its log, database
    /// timeouts given as flags).
    pub process: bool,
    /// Start the server with `--demo` (runs a child process):
    /// [`TestApp::tenant`] is then the demo organisation it seeds
    /// (api/src/demo.rs), not a fresh empty tenant.
    pub demo: bool,
    /// The clock the in-process server's store reads "today" from (a
    /// [`ManualClock`](seatwise_core::clock::ManualClock)'s, which the
    /// test keeps to move the date); the system clock when `None`.
    /// In-process only: a child process always runs the system clock.
    pub clock: Option<seatwise_core::Clock>,
}

impl StartOptions {
    /// Options with `--plugins dir` and `env`.
    pub fn with_plugins(dir: &Path, env: &[(&str, &str)]) -> Self {
        Self {
            env: pairs(env),
            plugins: Some(dir.to_path_buf()),
            ..Self::default()
        }
    }

    /// In-process, with the store reading the date from `clock` (a
    /// [`ManualClock`](seatwise_core::clock::ManualClock)'s clock).
    pub fn with_clock(clock: seatwise_core::Clock) -> Self {
        Self {
            clock: Some(clock),
            ..Self::default()
        }
    }

    /// In-process, on a fresh [`ManualClock`](seatwise_core::clock::ManualClock)
    /// standing at 2026-01-01; the test moves it through
    /// [`TestApp::manual_clock`].
    pub fn with_manual_clock() -> Self {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date");
        Self::with_clock(seatwise_core::clock::ManualClock::on(day).clock())
    }

    /// In-process, with `env` settings.
    pub fn with_env(env: &[(&str, &str)]) -> Self {
        Self {
            env: pairs(env),
            ..Self::default()
        }
    }

    /// In-process, with the seat-change and webhook workers and the
    /// subscription watcher polling once an hour instead of every few
    /// hundred milliseconds, so the only SQL the server sends is what the
    /// test's requests cause (statement budgets).
    pub fn quiet() -> Self {
        Self::with_env(&[
            ("SEATWISE_WORKER_POLL_MS", "3600000"),
            ("SEATWISE_WEBHOOK_POLL_MS", "3600000"),
            ("SEATWISE_SUBSCRIPTION_WATCH_MS", "3600000"),
        ])
    }

    /// A child process, with `env` settings.
    pub fn process(env: &[(&str, &str)]) -> Self {
        Self {
            env: pairs(env),
            process: true,
            ..Self::default()
        }
    }

    /// Whether the server runs as a child process.
    fn needs_process(&self) -> bool {
        self.process || self.plugins.is_some() || self.no_secret_env || self.demo
    }
}

fn pairs(env: &[(&str, &str)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl TestApp {
    /// Start a server on `backend`; `None` when PostgreSQL is unavailable
    /// (the skip message is printed by `TestDatabase`).
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, StartOptions::default()).await
    }

    /// Start a server with options.
    pub async fn start_with(backend: Backend, options: StartOptions) -> Option<Self> {
        let database = match backend {
            Backend::Sqlite => TestDatabase::sqlite().await,
            Backend::Postgres => TestDatabase::postgres().await?,
        };
        Some(Self::start_on(database, options).await)
    }

    /// Start a server on a database the test made (for example one on a
    /// [`PostgresCluster`] it stops and starts).
    pub async fn start_on(database: TestDatabase, options: StartOptions) -> Self {
        let secret = if options.no_secret_env {
            String::new()
        } else {
            format!("e2e-secret-{}", uuid::Uuid::new_v4().simple())
        };
        let runner = Runner {
            database_url: database.url().as_str().to_owned(),
            secret,
            work_dir: new_work_dir(),
        };
        // `--demo` seeds its own tenant; an extra empty one is not what the
        // demo shows.
        let created = if options.demo {
            None
        } else {
            let tenant = database
                .store()
                .await
                .create_tenant(&Actor::named("seatwise-cli"), "Test Organisation")
                .await
                .expect("create the test tenant");
            Some(tenant.id.to_string())
        };
        let keys =
            (!runner.secret.is_empty()).then(|| TokenKeys::from_secret(runner.secret.as_bytes()));
        let (server, base_url, demo_tenant) = Server::start(&runner, &options).await;
        let tenant = created
            .or(demo_tenant)
            .expect("a tenant: created here, or seeded by --demo");
        let app = Self {
            base_url,
            tenant,
            runner,
            client: reqwest::Client::new(),
            server,
            options,
            keys,
            database: Arc::new(database),
        };
        app.wait_until_ready().await;
        app
    }

    /// Kill the server with SIGKILL (no chance to finish anything, as in a
    /// power cut) and start it again on the same database. Child process
    /// only.
    pub async fn kill_and_restart(&mut self) {
        self.server.child("kill_and_restart").kill_and_wait();
        let (server, base_url, _) = Server::start(&self.runner, &self.options).await;
        self.server = server;
        self.base_url = base_url;
        self.wait_until_ready().await;
    }

    /// The server's process id (to signal it). Child process only.
    pub fn pid(&self) -> u32 {
        self.server.child_ref("pid").id()
    }

    /// Whether the server process has exited; its status then. Child
    /// process only.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.server.child("exited").try_wait()
    }

    /// The manual clock the server reads "today" from (started with
    /// [`StartOptions::with_clock`] or [`StartOptions::with_manual_clock`]),
    /// to move the date.
    pub fn manual_clock(&self) -> &seatwise_core::clock::ManualClock {
        match &self.options.clock {
            Some(seatwise_core::Clock::Manual(manual)) => manual,
            _ => panic!("TestApp::manual_clock needs StartOptions::with_manual_clock()"),
        }
    }

    /// The test's database, e.g. to check it through the core's `Store`.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// Stop the server (SIGTERM for a child process; its graceful stop
    /// in-process) and start it again on the same database, with the same
    /// options (the address changes).
    pub async fn restart(&mut self) {
        self.server.stop().await;
        let (server, base_url, _) = Server::start(&self.runner, &self.options).await;
        self.server = server;
        self.base_url = base_url;
        self.wait_until_ready().await;
    }

    /// Start a second server on the same database and tenant, with the same
    /// options (its own folder and log).
    pub async fn replica(&self) -> TestApp {
        self.replica_with(&[]).await
    }

    /// [`TestApp::replica`] with `env` added to (or overriding) the
    /// options' environment, e.g. a different worker poll interval.
    pub async fn replica_with(&self, env: &[(&str, &str)]) -> TestApp {
        let mut options = self.options.clone();
        options.env.extend(pairs(env));
        let runner = Runner {
            database_url: self.runner.database_url.clone(),
            secret: self.runner.secret.clone(),
            work_dir: new_work_dir(),
        };
        let (server, base_url, _) = Server::start(&runner, &options).await;
        let app = Self {
            base_url,
            tenant: self.tenant.clone(),
            runner,
            client: reqwest::Client::new(),
            server,
            options,
            keys: self.keys.clone(),
            database: self.database.clone(),
        };
        app.wait_until_ready().await;
        app
    }

    /// Run a `seatwise` subcommand that may fail; its whole output.
    pub fn cli_output(&self, args: &[&str], env: &[(String, String)]) -> std::process::Output {
        let mut command = Command::new(seatwise_bin());
        command.args(args);
        self.runner.configure(&mut command, env);
        command.output().expect("run seatwise")
    }

    /// Start another `seatwise serve` on this app's database with `env`
    /// added, expecting it to refuse to start: its exit status and output.
    /// Panics when it is still running after 30 s (it started).
    pub fn serve_refused(&self, env: &[(String, String)]) -> std::process::Output {
        let mut command = Command::new(seatwise_bin());
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.runner.configure(&mut command, env);
        let mut child = command.spawn().expect("start seatwise serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().expect("poll seatwise serve").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let output = child.wait_with_output().expect("stopped server output");
                panic!(
                    "seatwise serve started instead of refusing: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().expect("refused server output")
    }

    /// Run a `seatwise` subcommand against this app's database; its stdout.
    pub fn cli(&self, args: &[&str], env: &[(String, String)]) -> String {
        self.runner.cli(args, env)
    }

    async fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.client.get(self.url("/readyz")).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server never became ready; log:\n{}",
                self.runner.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Send SIGTERM and wait for the server to exit; its exit status.
    /// Child process only.
    #[cfg(unix)]
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.server.child("terminate").terminate()
    }

    /// What the server wrote to stderr so far. Child process only: an
    /// in-process server logs to the test's output.
    pub fn server_log(&self) -> String {
        self.server.child_ref("server_log");
        self.runner.log()
    }

    /// The folder the server and CLI run in (where a PostgreSQL secret file
    /// would go).
    pub fn work_dir(&self) -> &Path {
        &self.runner.work_dir
    }

    /// The database URL the server uses.
    pub fn database_url(&self) -> &str {
        &self.runner.database_url
    }

    /// The signing secret given to the server (empty when it generated one).
    pub fn secret(&self) -> &str {
        &self.runner.secret
    }

    /// An absolute URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// The server's `/metrics` page, in Prometheus' text format.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// The value of one series at `/metrics`, named as the page writes it
    /// (`name` or `name{label="value"}`); `None` when the page lacks it.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let text = self.metrics_text().await;
        let prefix = format!("{series} ");
        text.lines()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
            .and_then(|value| value.trim().parse().ok())
    }

    /// SQL statements the server has sent so far
    /// (`seatwise_db_statements_total` from `/metrics`).
    pub async fn statements_total(&self) -> u64 {
        self.metric("seatwise_db_statements_total")
            .await
            .map(|v| v as u64)
            .expect("seatwise_db_statements_total at /metrics")
    }

    /// [`statements_total`](Self::statements_total) once the server's
    /// background work has gone quiet: unchanged over three reads 100 ms
    /// apart. The workers' first passes run right after start-up (an
    /// interval's first tick is immediate), and on a busy machine they can
    /// land inside a statement-budget test's window; a budget measured
    /// from here counts only the requests under test (with
    /// [`StartOptions::quiet`], which puts the next passes an hour away).
    pub async fn settled_statements_total(&self) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = self.statements_total().await;
        let mut unchanged = 0;
        while unchanged < 3 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.statements_total().await;
            if now == last {
                unchanged += 1;
            } else {
                (last, unchanged) = (now, 0);
            }
            assert!(
                Instant::now() < deadline,
                "the server kept sending SQL for 30 s with no request"
            );
        }
        last
    }

    /// A token for this app's tenant with `roles` (e.g. `["GLOBAL_ADMIN"]`).
    pub fn token(&self, roles: &[&str]) -> String {
        self.token_for(&self.tenant, roles, None)
    }

    /// A token for any tenant, roles and optional user (a GraphQL user id),
    /// valid for an hour, with the subject `seatwise token` would give it.
    pub fn token_for(&self, tenant: &str, roles: &[&str], user: Option<&str>) -> String {
        let Some(keys) = &self.keys else {
            // The server made its own secret: only the CLI can read it.
            return self.cli_token(tenant, roles, user);
        };
        let user = user.map(|id| match seatwise_api::graphql::ids::decode(id) {
            Some((seatwise_api::graphql::ids::Kind::User, uuid)) => UserId(uuid),
            _ => UserId(uuid::Uuid::parse_str(id).expect("a user's GraphQL id or UUID")),
        });
        let request = TokenRequest {
            subject: match user {
                Some(user) => format!("user:{user}"),
                None => "seatwise-cli".to_owned(),
            },
            tenant: TenantId(uuid::Uuid::parse_str(tenant).expect("a tenant UUID")),
            roles: roles
                .iter()
                .map(|role| role.parse::<Role>().expect("a role name"))
                .collect(),
            user,
            ttl: Duration::from_secs(3_600),
        };
        keys.mint(&request).expect("sign a test token")
    }

    fn cli_token(&self, tenant: &str, roles: &[&str], user: Option<&str>) -> String {
        let roles = roles.join(",");
        let mut args = vec!["token", "--tenant", tenant];
        if !roles.is_empty() {
            args.extend(["--roles", roles.as_str()]);
        }
        if let Some(user) = user {
            args.extend(["--user", user]);
        }
        self.cli(&args, &[])
    }

    /// A token for the global admin of this app's tenant.
    pub fn admin_token(&self) -> String {
        self.token(&["GLOBAL_ADMIN"])
    }

    /// Create another tenant on this app's database; its id.
    pub async fn create_tenant(&self, name: &str) -> String {
        self.database
            .store()
            .await
            .create_tenant(&Actor::named("seatwise-cli"), name)
            .await
            .expect("create a tenant")
            .id
            .to_string()
    }

    /// Start a GraphQL call.
    pub fn gql(&self, query: &str) -> GraphqlCall<'_> {
        GraphqlCall::new(self, query)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.runner.work_dir);
    }
}

fn new_work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seatwise-e2e-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create a work folder");
    dir
}

/// Declare end-to-end tests that run once on SQLite and once on PostgreSQL.
/// Each name is an `async fn name(app: TestApp)` in scope. The servers run
/// in-process; after `process:` they run as child processes (tests of the
/// process itself); after `manual_clock:` the server reads the date from a
/// manual clock the test moves ([`TestApp::manual_clock`]).
#[macro_export]
macro_rules! e2e_on_both_backends {
    (process: $($name:ident),* $(,)?) => {
        $crate::e2e_on_both_backends!(@with $crate::StartOptions::process(&[]); $($name),*);
    };
    (manual_clock: $($name:ident),* $(,)?) => {
        $crate::e2e_on_both_backends!(@with $crate::StartOptions::with_manual_clock(); $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::e2e_on_both_backends!(@with $crate::StartOptions::default(); $($name),*);
    };
    (@with $options:expr; $($name:ident),*) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::TestApp::start_with($crate::Backend::Sqlite, $options)
                        .await
                        .expect("SQLite always starts");
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(app) = $crate::TestApp::start_with($crate::Backend::Postgres, $options).await else {
                        return;
                    };
                    super::$name(app).await;
                }
            }
        )*
    };
}

/// Like [`e2e_on_both_backends!`] for tests that start their own servers
/// (with plugins, replicas, …): each name is an `async fn name(backend:
/// Backend)` that returns early when [`TestApp::start_with`] gives `None`.
#[macro_export]
macro_rules! e2e_for_each_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await;
                }
            }
        )*
    };
}
