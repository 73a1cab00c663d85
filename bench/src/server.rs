//! Starting and watching server processes: the real `seatwise serve` and
//! the baseline (this binary in `baseline-serve` mode).
//!
//! Both run as child processes so their memory and CPU are their own, and
//! the load generator competes with each for the same two cores alike.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::load::Http;

/// A running server process, killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
    /// Where its stderr goes.
    pub log: PathBuf,
}

impl ServerProcess {
    /// Start `command` (which must listen on `address`), wait until
    /// `/readyz` answers 200, and return how long that took.
    pub async fn start(
        mut command: Command,
        address: SocketAddr,
        log: PathBuf,
    ) -> Result<(Self, Duration), String> {
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("spawn the server: {e}"))?;
        let mut server = Self {
            child,
            address,
            log,
        };
        let http = Http::new(server.base_url(), None);
        // Poll often: start-up itself is one of the figures.
        loop {
            if http.get_text("/readyz").await.is_ok() {
                return Ok((server, started.elapsed()));
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "the server exited with {status} before it was ready; see {}",
                    server.log.display()
                ));
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "not ready after 60 s; see {}",
                    server.log.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// `http://ADDRESS`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The process id, for /proc.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Reset the peak-RSS mark, so the next [`ServerProcess::peak_rss_mb`]
    /// covers only what follows. Returns false where the kernel refuses.
    pub fn reset_peak_rss(&self) -> bool {
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
        self.pid()
            .is_some_and(|pid| std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok())
    }

    /// Peak resident memory (VmHWM) in MB (10^6 bytes, as the goal is stated).
    pub fn peak_rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024.0 / 1e6)
    }

    /// Kill the process and wait for it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A free local port: bind port 0, note it, release it. The server binds it
/// a moment later; nothing else on this machine races for ports that fast.
pub fn free_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    listener.local_addr().expect("read the bound address")
}

/// The `seatwise serve` command for `database`, logging warnings only (a
/// log line per request would measure the terminal, not the server).
pub fn seatwise_serve(bin: &Path, database: &str, secret: &str, address: SocketAddr) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("serve")
        .arg("--listen")
        .arg(address.to_string())
        .env("SEATWISE_DATABASE_URL", database)
        .env("SEATWISE_JWT_SECRET", secret)
        .env("SEATWISE_LOG", "warn");
    command
}

/// Mint a GLOBAL_ADMIN token for `tenant` with `seatwise token`.
pub async fn mint_token(
    bin: &Path,
    database: &str,
    secret: &str,
    tenant: uuid::Uuid,
) -> Result<String, String> {
    let output = Command::new(bin)
        .args([
            "token",
            "--tenant",
            &tenant.to_string(),
            "--roles",
            "GLOBAL_ADMIN",
            "--ttl",
            "2h",
        ])
        .env("SEATWISE_DATABASE_URL", database)
        .env("SEATWISE_JWT_SECRET", secret)
        .env("SEATWISE_LOG", "warn")
        .output()
        .await
        .map_err(|e| format!("run seatwise token: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "seatwise token failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if token.is_empty() {
        return Err("seatwise token printed nothing".into());
    }
    Ok(token)
}

/// Make sure the release server binary exists, building it if missing.
pub fn ensure_server_binary(bin: &Path) -> Result<(), String> {
    if bin.exists() {
        return Ok(());
    }
    eprintln!(
        "{} is missing: building it (cargo build --release -p seatwise-api)",
        bin.display()
    );
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "seatwise-api"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .map_err(|e| format!("run cargo: {e}"))?;
    if !status.success() || !bin.exists() {
        return Err(format!("building {} failed", bin.display()));
    }
    Ok(())
}

/// The statement counter from a Prometheus text page.
pub async fn statements_total(http: &Http) -> Result<u64, String> {
    let text = http.get_text("/metrics").await?;
    text.lines()
        .find_map(|line| line.strip_prefix("seatwise_db_statements_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .ok_or_else(|| "no seatwise_db_statements_total in /metrics".into())
}

/// A random secret shared by the server and `seatwise token`.
pub fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
