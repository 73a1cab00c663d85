//! CSV imports: `seatwise import users` on files of growing size, each into
//! a fresh database, timed from spawn to exit, with the process's peak
//! resident memory; the largest file imported a second time (a re-run
//! changes nothing); and a raw multi-row INSERT of the same rows as the
//! baseline.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use diesel::SqliteConnection;
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
use seatwise_core::model::Actor;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{Backend, DatabaseUrl};
use tokio::process::Command;

use super::people::{Person, people};

/// Rows per INSERT of the baseline and per transaction (the import's
/// batch).
const BASELINE_CHUNK: usize = 2_000;
const BASELINE_TXN: usize = 5_000;

/// One run of `seatwise import users`.
pub struct ImportRun {
    pub rows: usize,
    pub file_bytes: u64,
    pub took: Duration,
    /// Peak resident memory of the import process (VmHWM), MB.
    pub peak_rss_mb: f64,
    /// The summary line it printed.
    pub summary: String,
}

impl ImportRun {
    pub fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.took.as_secs_f64().max(1e-9)
    }
}

/// The baseline: the same rows by hand-written multi-row INSERTs (SQLite
/// with the pragmas the product sets: WAL, `synchronous = NORMAL`).
pub struct Baseline {
    pub rows: usize,
    pub took: Duration,
}

impl Baseline {
    pub fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.took.as_secs_f64().max(1e-9)
    }
}

/// One backend's CSV figures.
pub struct CsvReport {
    /// One import per file size, smallest first.
    pub runs: Vec<ImportRun>,
    /// The largest file again, on the database it was imported into.
    pub rerun: ImportRun,
    pub baseline: Baseline,
}

/// Import each size into a fresh database on `backend`.
pub async fn run(
    backend: Backend,
    server_bin: &Path,
    sizes: &[usize],
) -> Result<CsvReport, String> {
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    let largest = *sizes.last().ok_or("no CSV size given")?;
    let folder =
        std::env::temp_dir().join(format!("seatwise-bench-dirsync-{}", std::process::id()));
    std::fs::create_dir_all(&folder).map_err(|e| format!("create {}: {e}", folder.display()))?;
    let mut runs = Vec::new();
    let mut rerun = None;
    let mut baseline = None;
    for &rows in &sizes {
        let people = people(rows, "fabrikam.example");
        let file = folder.join(format!("users-{rows}.csv"));
        write_csv(&file, &people)?;
        let db = fresh_database(backend).await?;
        let tenant = db
            .store()
            .await
            .create_tenant(&Actor::system(), "CSV Import Ltd")
            .await
            .map_err(|e| e.to_string())?
            .id;
        let url = db.url().as_str().to_owned();
        eprintln!("== {backend}: seatwise import users, {rows} rows");
        let run = import(server_bin, &url, tenant.0, &file, rows).await?;
        expect_summary(&run, rows, 0)?;
        let count = db
            .store()
            .await
            .user_count(tenant)
            .await
            .map_err(|e| e.to_string())?;
        if count != rows as i64 {
            return Err(format!(
                "{rows} rows imported but the tenant has {count} users"
            ));
        }
        eprintln!(
            "   {:.1?}, peak RSS {:.1} MB ({:.0} rows/s)",
            run.took,
            run.peak_rss_mb,
            run.rows_per_s()
        );
        runs.push(run);
        if rows == largest {
            eprintln!("== {backend}: the same file again (changes nothing)");
            let again = import(server_bin, &url, tenant.0, &file, rows).await?;
            expect_summary(&again, 0, rows)?;
            eprintln!(
                "   {:.1?}, peak RSS {:.1} MB",
                again.took, again.peak_rss_mb
            );
            rerun = Some(again);
            eprintln!("== {backend}: baseline, raw multi-row INSERTs of {rows} rows");
            let b = insert_baseline(db.url(), &people).await?;
            eprintln!("   {:.1?} ({:.0} rows/s)", b.took, b.rows_per_s());
            baseline = Some(b);
        }
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir(&folder);
    Ok(CsvReport {
        runs,
        rerun: rerun.ok_or("the largest file was not imported")?,
        baseline: baseline.ok_or("no baseline measured")?,
    })
}

async fn fresh_database(backend: Backend) -> Result<TestDatabase, String> {
    match backend {
        Backend::Sqlite => Ok(TestDatabase::sqlite().await),
        Backend::Postgres => TestDatabase::postgres()
            .await
            .ok_or_else(|| "PostgreSQL is not reachable".to_owned()),
    }
}

/// The file an identity provider's export would be: a header, then one
/// row per user.
fn write_csv(path: &Path, people: &[Person]) -> Result<(), String> {
    use std::io::Write as _;
    let file =
        std::fs::File::create(path).map_err(|e| format!("create {}: {e}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(out, "displayName,email,externalId")?;
        for p in people {
            writeln!(out, "{},{},{}", p.display_name, p.email, p.external_id)?;
        }
        out.flush()
    };
    write().map_err(|e| format!("write {}: {e}", path.display()))
}

/// Run `seatwise import users`, sampling its peak RSS until it exits.
async fn import(
    bin: &Path,
    database: &str,
    tenant: uuid::Uuid,
    file: &PathBuf,
    rows: usize,
) -> Result<ImportRun, String> {
    let log = std::env::temp_dir().join(format!("seatwise-bench-import-{rows}.log"));
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?;
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["import", "users", "--tenant", &tenant.to_string()])
        .arg(file)
        .env("SEATWISE_DATABASE_URL", database)
        .env("SEATWISE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("spawn seatwise import: {e}"))?;
    let pid = child.id().ok_or("the import exited at once")?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reading = tokio::spawn(async move {
        use tokio::io::AsyncReadExt as _;
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text).await;
        text
    });
    // VmHWM only grows, so the last reading before exit is the peak (the
    // import's memory is one batch, reached again in every batch).
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak_kb = peak_kb.max(kb);
        }
        match tokio::time::timeout(Duration::from_millis(10), child.wait()).await {
            Ok(status) => break status.map_err(|e| format!("wait for the import: {e}"))?,
            Err(_) => continue,
        }
    };
    let took = started.elapsed();
    let summary = reading.await.map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!(
            "seatwise import exited with {status}; see {}",
            log.display()
        ));
    }
    Ok(ImportRun {
        rows,
        file_bytes: std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
        took,
        peak_rss_mb: peak_kb as f64 * 1024.0 / 1e6,
        summary: summary.trim().to_owned(),
    })
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn expect_summary(run: &ImportRun, created: usize, unchanged: usize) -> Result<(), String> {
    let expected =
        format!("users: {created} created, 0 updated, {unchanged} unchanged, 0 bad rows");
    if run.summary != expected {
        return Err(format!(
            "the import printed {:?}, expected {expected:?}",
            run.summary
        ));
    }
    Ok(())
}

diesel::table! {
    /// The baseline's table: the file's columns, keyed and unique like
    /// the users table (line, email, external id).
    bench_csv_baseline (line) {
        line -> BigInt,
        display_name -> Text,
        email -> Text,
        external_id -> Text,
    }
}

const BASELINE_DDL: &str = "CREATE TABLE bench_csv_baseline (
    line BIGINT PRIMARY KEY,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    external_id TEXT NOT NULL UNIQUE
)";

type BaselineRow = (
    diesel::dsl::Eq<bench_csv_baseline::line, i64>,
    diesel::dsl::Eq<bench_csv_baseline::display_name, String>,
    diesel::dsl::Eq<bench_csv_baseline::email, String>,
    diesel::dsl::Eq<bench_csv_baseline::external_id, String>,
);

fn baseline_rows(people: &[Person], offset: usize) -> Vec<BaselineRow> {
    people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                bench_csv_baseline::line.eq((offset + i) as i64),
                bench_csv_baseline::display_name.eq(p.display_name.clone()),
                bench_csv_baseline::email.eq(p.email.clone()),
                bench_csv_baseline::external_id.eq(p.external_id.clone()),
            )
        })
        .collect()
}

/// The rows into a table of their own: multi-row INSERTs of
/// [`BASELINE_CHUNK`], a transaction per [`BASELINE_TXN`] (the import's
/// batch), nothing else: no parsing, no lookups, no search terms, no audit.
async fn insert_baseline(url: &DatabaseUrl, people: &[Person]) -> Result<Baseline, String> {
    match url.backend() {
        Backend::Postgres => {
            let mut conn = AsyncPgConnection::establish(url.as_str())
                .await
                .map_err(|e| e.to_string())?;
            conn.batch_execute(BASELINE_DDL)
                .await
                .map_err(|e| e.to_string())?;
            let started = Instant::now();
            for (t, txn) in people.chunks(BASELINE_TXN).enumerate() {
                conn.batch_execute("BEGIN")
                    .await
                    .map_err(|e| e.to_string())?;
                for (c, chunk) in txn.chunks(BASELINE_CHUNK).enumerate() {
                    let rows = baseline_rows(chunk, t * BASELINE_TXN + c * BASELINE_CHUNK);
                    diesel_async::RunQueryDsl::execute(
                        diesel::insert_into(bench_csv_baseline::table).values(rows),
                        &mut conn,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                }
                conn.batch_execute("COMMIT")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(Baseline {
                rows: people.len(),
                took: started.elapsed(),
            })
        }
        Backend::Sqlite => {
            let path = url.sqlite_path().map_err(|e| e.to_string())?.to_owned();
            let txns: Vec<Vec<Vec<BaselineRow>>> = people
                .chunks(BASELINE_TXN)
                .enumerate()
                .map(|(t, txn)| {
                    txn.chunks(BASELINE_CHUNK)
                        .enumerate()
                        .map(|(c, chunk)| {
                            baseline_rows(chunk, t * BASELINE_TXN + c * BASELINE_CHUNK)
                        })
                        .collect()
                })
                .collect();
            let rows = people.len();
            tokio::task::spawn_blocking(move || -> Result<Baseline, String> {
                let mut conn = SqliteConnection::establish(&path).map_err(|e| e.to_string())?;
                diesel::connection::SimpleConnection::batch_execute(
                    &mut conn,
                    &format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 5000; {BASELINE_DDL}"
                    ),
                )
                .map_err(|e| e.to_string())?;
                let started = Instant::now();
                for txn in txns {
                    conn.immediate_transaction(|conn| {
                        for rows in txn {
                            diesel::insert_into(bench_csv_baseline::table)
                                .values(rows)
                                .execute(conn)?;
                        }
                        diesel::QueryResult::Ok(())
                    })
                    .map_err(|e| e.to_string())?;
                }
                Ok(Baseline {
                    rows,
                    took: started.elapsed(),
                })
            })
            .await
            .map_err(|e| e.to_string())?
        }
    }
}
