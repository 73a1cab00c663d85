//! Where a test's server runs: in the test process (the default) or as a
//! `seatwise serve` child process (for tests of the process itself).

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use seatwise_adapter_host::PluginRegistry;
use seatwise_api::auth::TokenKeys;
use seatwise_api::settings::ServeSettings;
use seatwise_core::{DatabaseUrl, Store, StoreOptions};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{Runner, StartOptions, seatwise_bin};

/// A running server.
pub(crate) enum Server {
    /// The server's tasks in this process.
    InProcess(InProcess),
    /// A `seatwise serve` child process.
    Process(ChildServer),
}

pub(crate) struct InProcess {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

pub(crate) struct ChildServer(Child);

impl Server {
    /// Start a server as `options` ask; it, its base URL and, with
    /// `--demo`, the demo tenant's id.
    pub(crate) async fn start(
        runner: &Runner,
        options: &StartOptions,
    ) -> (Self, String, Option<String>) {
        if options.needs_process() {
            assert!(
                options.clock.is_none(),
                "StartOptions::clock works in-process only; a child process runs the system clock"
            );
            let (child, url, demo_tenant) = spawn_child(runner, options);
            (Server::Process(ChildServer(child)), url, demo_tenant)
        } else {
            let (server, url) = start_in_process(runner, options).await;
            (Server::InProcess(server), url, None)
        }
    }

    /// Stop it and wait until it has stopped: SIGTERM for a child (which
    /// must exit successfully), the graceful stop in-process.
    pub(crate) async fn stop(&mut self) {
        match self {
            Server::InProcess(server) => {
                if let Some(stop) = server.stop.take() {
                    let _ = stop.send(());
                }
                let served = tokio::time::timeout(Duration::from_secs(20), &mut server.task)
                    .await
                    .expect("the in-process server stops within 20 s");
                served
                    .expect("the server task did not panic")
                    .expect("the server stopped cleanly");
            }
            Server::Process(child) => {
                let status = child.terminate();
                assert!(status.success(), "the server exited with {status}");
            }
        }
    }

    /// Stop it at once, without waiting (the test is over).
    pub(crate) fn abort(&mut self) {
        match self {
            Server::InProcess(server) => server.task.abort(),
            Server::Process(child) => child.kill_and_wait(),
        }
    }

    /// The child process, for what only a process has; `what` names the
    /// caller in the panic message.
    pub(crate) fn child(&mut self, what: &str) -> &mut ChildServer {
        match self {
            Server::Process(child) => child,
            Server::InProcess(_) => panic!("{}", needs_process(what)),
        }
    }

    /// [`Server::child`] by shared reference.
    pub(crate) fn child_ref(&self, what: &str) -> &ChildServer {
        match self {
            Server::Process(child) => child,
            Server::InProcess(_) => panic!("{}", needs_process(what)),
        }
    }
}

fn needs_process(what: &str) -> String {
    format!("TestApp::{what} needs a child-process server: start it with StartOptions::process(..)")
}

impl ChildServer {
    /// Its process id.
    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }

    /// Its exit status, once it has exited.
    pub(crate) fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().expect("check the server process")
    }

    /// SIGKILL (it may be dead already) and reap it.
    pub(crate) fn kill_and_wait(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Send SIGTERM and wait for it to exit; its exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.0.try_wait().expect("wait for the server") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The server `seatwise serve` would run, on this runtime: same settings
/// parser, same assembly, same router; no plugins.
async fn start_in_process(runner: &Runner, options: &StartOptions) -> (InProcess, String) {
    let vars: HashMap<String, String> = options.env.iter().cloned().collect();
    if let Some(flag) = vars
        .keys()
        .find(|k| k.starts_with("SEATWISE_DB_") || k.starts_with("SEATWISE_SQLITE_"))
    {
        panic!("{flag} is a flag of the seatwise binary: start with StartOptions::process(..)");
    }
    let settings = ServeSettings::from_vars(&vars).expect("valid test settings");
    let url: DatabaseUrl = runner.database_url.parse().expect("the test database URL");
    let store = Store::connect(&url, StoreOptions::default())
        .await
        .expect("connect to the test database")
        .with_clock(options.clock.clone().unwrap_or_default());
    let tokens = TokenKeys::from_secret(runner.secret.as_bytes());
    let plugins = Arc::new(PluginRegistry::empty());
    let (state, worker) = seatwise_api::server::assemble(store, tokens, plugins, &settings)
        .expect("assemble the server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = listener.local_addr().expect("the bound address");
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(seatwise_api::server::serve_until(
        listener,
        state,
        worker,
        async move {
            let _ = stopped.await;
        },
    ));
    (
        InProcess {
            stop: Some(stop),
            task,
        },
        format!("http://{address}"),
    )
}

/// Start `seatwise serve` (appending to the runner's log); the child, the
/// address it printed and, with `--demo`, the demo tenant's id.
fn spawn_child(runner: &Runner, options: &StartOptions) -> (Child, String, Option<String>) {
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
