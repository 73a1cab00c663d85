//! A throwaway PostgreSQL server for tests that stop and start their
//! database. It never touches the shared server on 5432: it has its own data
//! folder (in a temporary folder), its own free port and its own socket
//! folder, and is stopped and removed when dropped.
//!
//! It needs PostgreSQL's server programs (`initdb`, `pg_ctl` under
//! `/usr/lib/postgresql/*/bin`, or wherever `SEATWISE_TEST_PG_BIN` says).
//! Run as root, the programs run as the `postgres` user through `runuser`
//! (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL server of the test's own.
pub struct PostgresCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl PostgresCluster {
    /// Create and start one; `None` (with a message) when PostgreSQL's
    /// programs are missing and `SEATWISE_REQUIRE_POSTGRES` is not 1.
    pub fn start() -> Option<Self> {
        let Some(bin) = server_programs() else {
            let why = "no initdb/pg_ctl under /usr/lib/postgresql/*/bin (set SEATWISE_TEST_PG_BIN)";
            let required = std::env::var("SEATWISE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(!required, "SEATWISE_REQUIRE_POSTGRES=1 but {why}");
            eprintln!("SKIPPED: throwaway PostgreSQL cluster: {why}");
            return None;
        };
        let dir =
            std::env::temp_dir().join(format!("seatwise-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create the cluster folder");
        let port = free_port();
        let cluster = Self { bin, dir, port };
        if running_as_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&cluster.dir));
        }
        run(cluster
            .program("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "--pgdata",
            ])
            .arg(cluster.data()));
        cluster.start_again();
        Some(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stop the server (fast shutdown: sessions are ended, as when an
    /// operator restarts PostgreSQL or its host goes away).
    pub fn stop(&self) {
        run(self
            .program("pg_ctl")
            .args(["stop", "--wait", "--mode=fast", "--pgdata"])
            .arg(self.data()));
    }

    /// Start the (stopped) server again on the same port and data.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.display()
        );
        run(self
            .program("pg_ctl")
            .args(["start", "--wait", "--timeout=60", "--pgdata"])
            .arg(self.data())
            .arg("--log")
            .arg(self.dir.join("server.log"))
            .args(["-o", &options]));
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn program(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        let _ = self
            .program("pg_ctl")
            .args(["stop", "--wait", "--mode=immediate", "--pgdata"])
            .arg(self.data())
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn server_programs() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("SEATWISE_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    // The newest version (numeric order: 9 < 10).
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port")
        .port()
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL program");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
