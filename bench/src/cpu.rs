//! CPU time per request, from `/proc`: the server process(es) and the
//! PostgreSQL backends serving this run's database.
//!
//! Why: on a 2-core machine shared with other engineers' builds, requests/s
//! moves by ±30 % between runs, while the CPU a request costs barely moves.
//! These are the figures to lower.

use std::sync::OnceLock;

/// The database whose PostgreSQL backends are counted (set once per run;
/// `None`: SQLite, nothing to count).
static DATABASE: OnceLock<std::sync::Mutex<Option<String>>> = OnceLock::new();

/// Count the PostgreSQL backends of `url`'s database from now on (SQLite
/// URLs count nothing).
pub fn watch_database(url: &str) {
    let name = url
        .starts_with("postgres")
        .then(|| url.rsplit('/').next().unwrap_or_default())
        .map(|tail| tail.split('?').next().unwrap_or_default().to_owned());
    let slot = DATABASE.get_or_init(|| std::sync::Mutex::new(None));
    if let Ok(mut guard) = slot.lock() {
        *guard = name;
    }
}

fn database() -> Option<String> {
    DATABASE.get()?.lock().ok()?.clone()
}

/// Clock ticks per second of `/proc/*/stat` times (`getconf CLK_TCK`,
/// 100 on every Linux we run on).
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// utime + stime of a process, in ticks.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields after it are fixed.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the whole line are 12 and 13 after "pid (comm)".
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn comm(pid: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_owned())
}

/// Whether a `postgres` process works for this run: a client backend of
/// our database, or a shared background process (WAL writer, checkpointer,
/// …) whose work our commits cause. Other databases' backends (other
/// engineers' tests on the shared server) are left out.
fn serves_us(pid: &str, database: &str) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let cmdline = String::from_utf8_lossy(&cmdline);
    // A client backend: "postgres: [CLUSTER_NAME:] USER DATABASE
    // HOST(PORT) STATE" (Debian sets `cluster_name`, e.g. "15/main:", which
    // shifts the words), so the database is the word before the client's
    // address.
    let words: Vec<&str> = cmdline.split_whitespace().collect();
    match words
        .iter()
        .position(|w| w.contains('(') || *w == "[local]")
    {
        Some(address) => address
            .checked_sub(1)
            .and_then(|i| words.get(i))
            .is_some_and(|d| *d == database),
        None => !cmdline.contains("autovacuum worker") || cmdline.contains(database),
    }
}

/// CPU ticks of every PostgreSQL process serving this run, or `None` on
/// SQLite.
fn postgres_ticks() -> Option<u64> {
    let database = database()?;
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str() else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let is_postgres = comm(pid).is_some_and(|c| c.starts_with("postgres"));
        if is_postgres && serves_us(pid, &database) {
            total += pid.parse().ok().and_then(process_ticks).unwrap_or(0);
        }
    }
    Some(total)
}

/// CPU counters at one instant.
pub struct CpuMark {
    servers: Option<u64>,
    postgres: Option<u64>,
}

/// Read the counters of `pids` (the servers) and of PostgreSQL.
pub fn mark(pids: &[Option<u32>]) -> CpuMark {
    let servers = pids
        .iter()
        .map(|pid| pid.and_then(process_ticks))
        .sum::<Option<u64>>();
    CpuMark {
        servers,
        postgres: postgres_ticks(),
    }
}

/// CPU µs per request between two marks: (servers, PostgreSQL).
pub fn per_request(before: &CpuMark, after: &CpuMark, requests: u64) -> (Option<f64>, Option<f64>) {
    let per = |b: Option<u64>, a: Option<u64>| {
        let (b, a) = (b?, a?);
        (requests > 0)
            .then(|| a.saturating_sub(b) as f64 / ticks_per_second() * 1e6 / requests as f64)
    };
    (
        per(before.servers, after.servers),
        per(before.postgres, after.postgres),
    )
}
