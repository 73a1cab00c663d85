//! `seatwise-bench dirsync`: directory sync at scale, on each backend.
//!
//! * SCIM (`scim.rs`): an initial sync of N users and groups through the
//!   real server with concurrent clients, next to GraphQL `createUser` in
//!   the same run, checked through the core afterwards.
//! * CSV (`csv.rs`): `seatwise import users` on files of growing size,
//!   time and peak RSS per file, a re-run of the largest, and a raw
//!   multi-row INSERT of the same rows as the baseline.
//!
//! The report goes to `bench/results/dirsync.md`; see bench/README.md.

mod csv;
mod people;
mod scim;

use std::fmt::Write as _;
use std::path::PathBuf;

use seatwise_core::Backend;

pub use scim::ScimSettings;
use scim::{GroupPhases, ScimReport};

/// Goals (issue 10).
const GOAL_SCIM_USERS_PER_S: f64 = 1_000.0;
const GOAL_CSV_SECONDS: f64 = 20.0;
/// "Flat memory": the largest file's peak RSS within this factor of the
/// smallest's.
const GOAL_RSS_FACTOR: f64 = 1.25;

/// What to run.
pub struct Settings {
    pub server_bin: PathBuf,
    pub scim: Option<ScimSettings>,
    pub csv_rows: Option<Vec<usize>>,
}

/// One backend's figures (each part `Err` with what went wrong).
pub struct BackendReport {
    pub backend: Backend,
    pub scim: Option<Result<ScimReport, String>>,
    pub csv: Option<Result<csv::CsvReport, String>>,
}

impl BackendReport {
    /// Whether every part that ran succeeded.
    pub fn ok(&self) -> bool {
        self.scim.as_ref().is_none_or(|r| r.is_ok()) && self.csv.as_ref().is_none_or(|r| r.is_ok())
    }
}

/// Run both parts on `backend`; `None` when PostgreSQL is unreachable.
pub async fn run(backend: Backend, settings: &Settings) -> Option<BackendReport> {
    if backend == Backend::Postgres {
        // The parts make their own databases; ask once whether they can.
        seatwise_core::testing::TestDatabase::postgres().await?;
    }
    let scim = match &settings.scim {
        Some(s) => Some(scim::run(backend, &settings.server_bin, s).await),
        None => None,
    };
    if let Some(Err(e)) = &scim {
        eprintln!("error: {backend}: SCIM: {e}");
    }
    let csv = match &settings.csv_rows {
        Some(rows) => Some(csv::run(backend, &settings.server_bin, rows).await),
        None => None,
    };
    if let Some(Err(e)) = &csv {
        eprintln!("error: {backend}: CSV: {e}");
    }
    Some(BackendReport { backend, scim, csv })
}

fn mark(met: bool) -> &'static str {
    if met { "✅" } else { "❌" }
}

/// The report as Markdown.
pub fn render(reports: &[BackendReport], load_average: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Date: {} UTC. Load average at the end: {load_average}.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M")
    );
    render_scim(&mut out, reports);
    render_csv(&mut out, reports);
    render_goals(&mut out, reports);
    out
}

fn render_scim(out: &mut String, reports: &[BackendReport]) {
    let rows: Vec<(Backend, &Result<ScimReport, String>)> = reports
        .iter()
        .filter_map(|r| r.scim.as_ref().map(|s| (r.backend, s)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("### SCIM initial sync\n\n");
    out.push_str("| backend | phase | clients | requests | req/s | p50 ms | p99 ms | SQL/req | errors |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (backend, result) in &rows {
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(out, "| {backend} | failed: {e} | | | | | | | |");
                continue;
            }
        };
        let mut phase = |name: &str, p: &scim::Phase| {
            let _ = writeln!(
                out,
                "| {backend} | {name} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
                r.clients,
                p.requests,
                p.per_s(),
                p.p50_ms,
                p.p99_ms,
                p.sql_per_request,
                p.errors
            );
        };
        phase("baseline: GraphQL createUser", &r.baseline);
        phase("POST /Users", &r.users);
        match &r.groups {
            GroupPhases::Measured { create, patch, .. } => {
                phase("POST /Groups", create);
                phase("PATCH /Groups (add members)", patch);
            }
            GroupPhases::Pending(answer) => {
                let answer: String = answer.chars().take(60).collect();
                let _ = writeln!(
                    out,
                    "| {backend} | /Groups: pending (not served by this build: {answer}) | | | | | | | |"
                );
            }
        }
    }
    out.push_str("\n| backend | users | groups (members) | users phase | groups phase | whole sync | users/s (whole sync) | POST /Users ÷ GraphQL createUser | server peak RSS MB | check |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (backend, result) in &rows {
        let Ok(r) = result else { continue };
        let (groups, groups_phase, whole, rate) = match &r.groups {
            GroupPhases::Measured {
                create,
                patch,
                memberships,
            } => {
                let g = create.elapsed + patch.elapsed;
                let whole = r.users.elapsed + g;
                (
                    format!("{} ({memberships})", create.requests),
                    format!("{:.1} s", g.as_secs_f64()),
                    format!("{:.1} s", whole.as_secs_f64()),
                    format!("{:.0}", r.sync_users_per_s().unwrap_or(0.0)),
                )
            }
            GroupPhases::Pending(_) => (
                "pending".into(),
                "pending".into(),
                "pending".into(),
                format!("pending ({:.0} users phase only)", r.users.per_s()),
            ),
        };
        let _ = writeln!(
            out,
            "| {backend} | {} | {groups} | {:.1} s | {groups_phase} | {whole} | {rate} | {:.2} | {} | {} |",
            r.users.requests,
            r.users.elapsed.as_secs_f64(),
            r.users.per_s() / r.baseline.per_s().max(1e-9),
            r.server_peak_rss_mb
                .map_or("n/a".into(), |m| format!("{m:.0}")),
            r.verified
        );
    }
    out.push('\n');
}

fn render_csv(out: &mut String, reports: &[BackendReport]) {
    let rows: Vec<(Backend, &Result<csv::CsvReport, String>)> = reports
        .iter()
        .filter_map(|r| r.csv.as_ref().map(|c| (r.backend, c)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("### CSV import (`seatwise import users`, a fresh database per file)\n\n");
    out.push_str("| backend | run | rows | file MB | time | rows/s | peak RSS MB | printed |\n|---|---|---:|---:|---:|---:|---:|---|\n");
    for (backend, result) in &rows {
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(out, "| {backend} | failed: {e} | | | | | | |");
                continue;
            }
        };
        let mut line = |name: &str, run: &csv::ImportRun| {
            let _ = writeln!(
                out,
                "| {backend} | {name} | {} | {:.1} | {:.1} s | {:.0} | {:.1} | {} |",
                run.rows,
                run.file_bytes as f64 / 1e6,
                run.took.as_secs_f64(),
                run.rows_per_s(),
                run.peak_rss_mb,
                run.summary
            );
        };
        for run in &r.runs {
            line("import", run);
        }
        line("same file again", &r.rerun);
        let _ = writeln!(
            out,
            "| {backend} | baseline: raw multi-row INSERT | {} | | {:.1} s | {:.0} | | |",
            r.baseline.rows,
            r.baseline.took.as_secs_f64(),
            r.baseline.rows_per_s()
        );
    }
    out.push_str("\n| backend | largest import rows/s ÷ baseline rows/s | peak RSS largest ÷ smallest |\n|---|---:|---:|\n");
    for (backend, result) in &rows {
        let Ok(r) = result else { continue };
        let (Some(small), Some(large)) = (r.runs.first(), r.runs.last()) else {
            continue;
        };
        let _ = writeln!(
            out,
            "| {backend} | {:.2} | {:.2} ({:.1} → {:.1} MB for {} → {} rows) |",
            large.rows_per_s() / r.baseline.rows_per_s().max(1e-9),
            large.peak_rss_mb / small.peak_rss_mb.max(1e-9),
            small.peak_rss_mb,
            large.peak_rss_mb,
            small.rows,
            large.rows
        );
    }
    out.push('\n');
}

fn render_goals(out: &mut String, reports: &[BackendReport]) {
    out.push_str("### Goals\n\n| goal | backend | figure | met |\n|---|---|---|---|\n");
    for r in reports {
        let b = r.backend;
        if let Some(Ok(s)) = &r.scim {
            let goal = format!(
                "SCIM initial sync ≥ {GOAL_SCIM_USERS_PER_S:.0} users/s{}",
                if b == Backend::Postgres {
                    ""
                } else {
                    " (stated for PostgreSQL)"
                }
            );
            match s.sync_users_per_s() {
                Some(rate) => {
                    let _ = writeln!(
                        out,
                        "| {goal} | {b} | {rate:.0} users/s | {} |",
                        mark(rate >= GOAL_SCIM_USERS_PER_S)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "| {goal} | {b} | users phase alone {:.0} users/s; groups pending | pending |",
                        s.users.per_s()
                    );
                }
            }
        }
        if let Some(Ok(c)) = &r.csv {
            if let Some(large) = c.runs.last() {
                let secs = large.took.as_secs_f64();
                let _ = writeln!(
                    out,
                    "| CSV import of {} users < {GOAL_CSV_SECONDS:.0} s (both) | {b} | {secs:.1} s | {} |",
                    large.rows,
                    mark(secs < GOAL_CSV_SECONDS)
                );
            }
            if let (Some(small), Some(large)) = (c.runs.first(), c.runs.last()) {
                let factor = large.peak_rss_mb / small.peak_rss_mb.max(1e-9);
                let _ = writeln!(
                    out,
                    "| CSV import memory flat ({} vs {} rows, ≤ {GOAL_RSS_FACTOR}×) (both) | {b} | {:.1} vs {:.1} MB ({factor:.2}×) | {} |",
                    large.rows,
                    small.rows,
                    large.peak_rss_mb,
                    small.peak_rss_mb,
                    mark(factor <= GOAL_RSS_FACTOR)
                );
            }
        }
    }
}
