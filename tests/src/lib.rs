//! The end-to-end harness: start the real `seatwise` binary on a free port
//! against a throw-away database, and speak HTTP to it.
//!
//! - [`TestApp::start`] builds the binary once per test process (with
//!   `cargo build -p seatwise-api --bin seatwise`; set `SEATWISE_BIN` to use
//!   a prebuilt one), creates a tenant with `seatwise tenant create`,
//!   starts `seatwise serve --listen 127.0.0.1:0`, reads the address it
//!   printed and waits for `/readyz`. Dropping it stops the server.
//! - [`TestApp::token`] mints tokens with `seatwise token`.
//! - [`TestApp::gql`] starts a GraphQL call ([`GraphqlCall`]) whose
//!   [`GraphqlResponse`] has helpers for data and error codes.
//! - [`e2e_on_both_backends!`] runs each test on SQLite and PostgreSQL.
//! - [`StartOptions::plugins`] starts the server with `--plugins DIR`
//!   ([`PluginDir`] lays one out from the crates in `plugins/`), and
//!   [`StartOptions::demo`] with `--demo` (the demo organisation's data);
//!   [`TestApp::restart`] restarts the server on the same database and
//!   [`TestApp::replica`] starts a second server on it.
//! - [`PostgresCluster`] runs a throwaway PostgreSQL server that a test may
//!   stop and start ([`TestApp::start_on`] serves a database on it);
//!   [`TestApp::kill_and_restart`] simulates a crash. The fault tests
//!   (`tests/tests/faults/`) use them.

mod cluster;
mod fixtures;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use seatwise_core::testing::TestDatabase;
use serde_json::{Value, json};

pub use cluster::PostgresCluster;
pub use fixtures::*;
/// The plugin crates, built once per test process, and private plugin
/// directories: the adapter host's helpers, shared with its own tests.
pub use seatwise_adapter_host::testing::{Plugin, PluginDir, built_plugins_dir};

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

/// A running `seatwise serve` with its own database and tenant.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The tenant created for the test.
    pub tenant: String,
    runner: Runner,
    client: reqwest::Client,
    server: Child,
    options: StartOptions,
    // Dropped after the server is stopped (fields drop after `Drop::drop`);
    // shared with replicas.
    database: Arc<TestDatabase>,
}

/// Options for starting a server.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Environment variables for the server (and CLI) beyond the defaults.
    pub env: Vec<(String, String)>,
    /// Do not set `SEATWISE_JWT_SECRET` (the server then generates one).
    pub no_secret_env: bool,
    /// Start the server with `--plugins DIR`.
    pub plugins: Option<PathBuf>,
    /// Start the server with `--demo`: [`TestApp::tenant`] is then the demo
    /// organisation it seeds (api/src/demo.rs), not a fresh empty tenant.
    pub demo: bool,
}

impl StartOptions {
    /// Options with `--plugins dir` and `env`.
    pub fn with_plugins(dir: &Path, env: &[(&str, &str)]) -> Self {
        Self {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            no_secret_env: false,
            plugins: Some(dir.to_path_buf()),
            demo: false,
        }
    }
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
        let work_dir =
            std::env::temp_dir().join(format!("seatwise-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&work_dir).expect("create a work folder");
        let runner = Runner {
            database_url: database.url().as_str().to_owned(),
            secret: if options.no_secret_env {
                String::new()
            } else {
                format!("e2e-secret-{}", uuid::Uuid::new_v4().simple())
            },
            work_dir,
        };
        // `--demo` seeds its own tenant; an extra empty one would do no harm
        // but is not what the demo shows.
        let created = (!options.demo)
            .then(|| runner.cli(&["tenant", "create", "Test Organisation"], &options.env));
        let (server, base_url, demo_tenant) = spawn_server(&runner, &options);
        let tenant = created.or(demo_tenant).unwrap_or_default();
        let app = Self {
            base_url,
            tenant,
            runner,
            client: reqwest::Client::new(),
            server,
            options,
            database: Arc::new(database),
        };
        app.wait_until_ready().await;
        app
    }

    /// Kill the server with SIGKILL (no chance to finish anything, as in a
    /// power cut) and start it again on the same database.
    pub async fn kill_and_restart(&mut self) {
        // It may be dead already (killed by the test).
        let _ = self.server.kill();
        self.server.wait().expect("wait for the killed server");
        let (server, base_url, _) = spawn_server(&self.runner, &self.options);
        self.server = server;
        self.base_url = base_url;
        self.wait_until_ready().await;
    }

    /// The server's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self.server.id()
    }

    /// Whether the server process has exited; its status then.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.server.try_wait().expect("check the server process")
    }

    /// The test's database, e.g. to check it through the core's `Store`.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// Stop the server with SIGTERM and start it again on the same database,
    /// with the same options (the address changes).
    #[cfg(unix)]
    pub async fn restart(&mut self) {
        let status = self.terminate();
        assert!(status.success(), "the server exited with {status}");
        let (server, base_url, _) = spawn_server(&self.runner, &self.options);
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
        options
            .env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let work_dir =
            std::env::temp_dir().join(format!("seatwise-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&work_dir).expect("create a work folder");
        let runner = Runner {
            database_url: self.runner.database_url.clone(),
            secret: self.runner.secret.clone(),
            work_dir,
        };
        let (server, base_url, _) = spawn_server(&runner, &options);
        let app = Self {
            base_url,
            tenant: self.tenant.clone(),
            runner,
            client: reqwest::Client::new(),
            server,
            options,
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
                self.server_log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Send SIGTERM and wait for the server to exit; its exit status.
    #[cfg(unix)]
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.server.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.server.try_wait().expect("wait for the server") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the server wrote to stderr so far.
    pub fn server_log(&self) -> String {
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

    /// A token for this app's tenant with `roles` (e.g. `["GLOBAL_ADMIN"]`).
    pub fn token(&self, roles: &[&str]) -> String {
        self.token_for(&self.tenant, roles, None)
    }

    /// A token for any tenant, roles and optional user (a GraphQL user id).
    pub fn token_for(&self, tenant: &str, roles: &[&str], user: Option<&str>) -> String {
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

    /// Create another tenant (through the CLI); its id.
    pub fn create_tenant(&self, name: &str) -> String {
        self.cli(&["tenant", "create", name], &[])
    }

    /// Start a GraphQL call.
    pub fn gql(&self, query: &str) -> GraphqlCall<'_> {
        GraphqlCall {
            app: self,
            query: query.to_owned(),
            variables: serde_json::Map::new(),
            token: None,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.runner.work_dir);
    }
}

/// Start `seatwise serve` (appending to the runner's log); the child, the
/// address it printed and, with `--demo`, the demo tenant's id.
fn spawn_server(runner: &Runner, options: &StartOptions) -> (Child, String, Option<String>) {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(runner.work_dir.join("server.log"))
        .expect("server log file");
    let mut command = Command::new(seatwise_bin());
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(stderr)
        .stdin(Stdio::null());
    if let Some(dir) = &options.plugins {
        command.arg("--plugins").arg(dir);
    }
    if options.demo {
        command.arg("--demo");
    }
    runner.configure(&mut command, &options.env);
    let mut server = command.spawn().expect("start seatwise serve");
    let (base_url, demo_tenant) = read_address(&mut server, runner, options.demo);
    (server, base_url, demo_tenant)
}

/// What `seatwise serve` prints on stdout that the harness reads.
enum ServeLine {
    /// "seatwise listening on URL".
    Listening(String),
    /// "Demo organisation: NAME (tenant ID)", printed once `--demo` seeded it.
    DemoTenant(String),
}

/// Read the address `seatwise serve` prints once it listens and, when
/// `demo`, the demo tenant it prints once seeded (so the data is there).
fn read_address(server: &mut Child, runner: &Runner, demo: bool) -> (String, Option<String>) {
    let stdout = server.stdout.take().expect("server stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Keep reading to the end so the server never blocks on a full pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("seatwise listening on ") {
                let _ = tx.send(ServeLine::Listening(url.trim().to_owned()));
            } else if let Some((_, id)) = line
                .strip_prefix("Demo organisation: ")
                .and_then(|rest| rest.rsplit_once("(tenant "))
            {
                let _ = tx.send(ServeLine::DemoTenant(id.trim_end_matches(')').to_owned()));
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut base_url, mut demo_tenant) = (None, None);
    while base_url.is_none() || (demo && demo_tenant.is_none()) {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(ServeLine::Listening(url)) => base_url = Some(url),
            Ok(ServeLine::DemoTenant(id)) => demo_tenant = Some(id),
            Err(_) => {
                let _ = server.kill();
                panic!("the server did not start; log:\n{}", runner.log());
            }
        }
    }
    (base_url.unwrap_or_default(), demo_tenant)
}

/// A GraphQL request being built.
pub struct GraphqlCall<'a> {
    app: &'a TestApp,
    query: String,
    variables: serde_json::Map<String, Value>,
    token: Option<String>,
}

impl GraphqlCall<'_> {
    /// Set a variable.
    pub fn var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.variables.insert(name.to_owned(), value.into());
        self
    }

    /// Send `Authorization: Bearer <token>`.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// POST it.
    pub async fn send(self) -> GraphqlResponse {
        let body = json!({ "query": self.query, "variables": Value::Object(self.variables) });
        let mut request = self.app.client.post(self.app.url("/graphql")).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        GraphqlResponse::from_http(request.send().await.expect("POST /graphql")).await
    }
}

/// A GraphQL response.
#[derive(Debug, Clone)]
pub struct GraphqlResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl GraphqlResponse {
    /// Read an HTTP response as GraphQL.
    pub async fn from_http(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON (status {status}): {text}"));
        Self { status, body }
    }

    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        assert_eq!(self.status, 200, "{:#}", self.body);
        &self.body["data"]
    }

    /// The `extensions.code` of every top-level error.
    pub fn error_codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_owned()
            })
            .collect()
    }

    /// The code of the only top-level error.
    pub fn error_code(&self) -> String {
        let codes = self.error_codes();
        assert_eq!(codes.len(), 1, "expected one error: {:#}", self.body);
        codes[0].clone()
    }
}

/// Declare end-to-end tests that run once on SQLite and once on PostgreSQL.
/// Each name is an `async fn name(app: TestApp)` in scope.
#[macro_export]
macro_rules! e2e_on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::TestApp::start($crate::Backend::Sqlite).await.expect("SQLite always starts");
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(app) = $crate::TestApp::start($crate::Backend::Postgres).await else {
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
