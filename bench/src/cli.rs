//! Command line of `seatwise-bench`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// Benchmark the real `seatwise` server on SQLite and PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "seatwise-bench", about)]
pub struct Cli {
    /// Which database backends to run on.
    #[arg(long, value_enum, default_value = "both")]
    pub backend: BackendChoice,
    /// How long each load scenario is measured (after a 1 s warm-up).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Size of the seeded data set.
    #[arg(long, value_enum, default_value = "default")]
    pub scale: ScaleChoice,
    /// Concurrent clients of the closed-loop load generator.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// The `seatwise` release binary; built with cargo when missing.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/seatwise"))]
    pub server_bin: PathBuf,
    /// Where to write the Markdown table (besides printing it).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/latest.md"))]
    pub output: PathBuf,
    /// Servers on the same database for a second hot-app run, clients
    /// split between them (1: only the single-server run).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Keep each seeded database afterwards (its URL is printed), e.g. to
    /// EXPLAIN the server's queries on it. Drop it by hand when done.
    #[arg(long)]
    pub keep_database: bool,
    /// Other measurements, and internal modes (the baseline server runs as
    /// a child process).
    #[command(subcommand)]
    pub command: Option<Internal>,
}

/// Measurements besides the main suite, and modes the harness starts
/// itself in (hidden; not meant to be run by hand).
#[derive(Debug, Subcommand)]
pub enum Internal {
    /// Outbound webhooks: delivery throughput to a local receiver, and the
    /// added latency of an assignment with the outbox write (uses
    /// `--backend`; in-process, no server binary).
    Webhooks {
        /// Events to deliver (one group assignment of this many members).
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        /// Assign + unassign rounds per latency sample set.
        #[arg(long, default_value_t = 500)]
        rounds: usize,
    },
    /// SQL statements per second with N idle subscriptions open, next to
    /// the same figure with none (uses `--backend`, `--duration`).
    IdleSubscriptions {
        /// Subscriptions to open (20 per websocket connection).
        #[arg(long, default_value_t = 1000)]
        subscriptions: usize,
    },
    /// Directory sync: an initial SCIM sync (users, then groups and their
    /// members) with N concurrent clients, and CSV imports of growing
    /// files through `seatwise import users` (uses `--backend`). Writes
    /// `bench/results/dirsync.md`.
    Dirsync {
        /// Users the SCIM sync creates (one POST each).
        #[arg(long, default_value_t = 20_000)]
        users: usize,
        /// Groups the SCIM sync creates, then fills by member PATCHes.
        #[arg(long, default_value_t = 500)]
        groups: usize,
        /// Members per PATCH.
        #[arg(long, default_value_t = 100)]
        members_per_patch: usize,
        /// Concurrent SCIM clients.
        #[arg(long, default_value_t = 8)]
        scim_clients: usize,
        /// Users created through GraphQL `createUser` in the same run, as
        /// the SCIM figure's baseline.
        #[arg(long, default_value_t = 4_000)]
        baseline_users: usize,
        /// Rows of the CSV files imported, each into a fresh database
        /// (comma-separated; the largest is also imported a second time).
        #[arg(long, value_delimiter = ',', default_value = "25000,100000")]
        csv_rows: Vec<usize>,
        /// Skip the SCIM sync (CSV only).
        #[arg(long)]
        no_scim: bool,
        /// Skip the CSV imports (SCIM only).
        #[arg(long)]
        no_csv: bool,
    },
    /// Serve the hand-written scenario-1 baseline.
    #[command(hide = true)]
    BaselineServe {
        /// Database URL (sqlite://PATH or postgres://…).
        #[arg(long)]
        database: String,
        /// The seeded tenant's id.
        #[arg(long)]
        tenant: uuid::Uuid,
        /// Address to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
    },
}

/// `--backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// SQLite only.
    Sqlite,
    /// PostgreSQL only (from `SEATWISE_TEST_POSTGRES_URL`).
    Postgres,
    /// SQLite, then PostgreSQL.
    Both,
}

/// `--scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleChoice {
    /// 200 apps, 20,000 users, 500 groups, ~100,000 licensed users.
    Default,
    /// A tenth of that, for a quick look.
    Small,
}

/// `250ms`, `10s`, `2m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |i| text.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text}: expected e.g. 10s, 500ms, 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("{text}: unit must be ms, s or m")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("1h").is_err());
    }
}
