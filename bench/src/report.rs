//! The Markdown report: machine, data set, figures, ratios and goals.

use std::fmt::Write as _;
use std::time::Duration;

use seatwise_core::Backend;

use crate::scenarios::ScenarioResult;
use crate::suite::BackendReport;

/// The goals, in figures.
const DETAILS_RATIO_MIN: f64 = 0.7;
const DETAILS_P99_MS: f64 = 25.0;
const SEARCH_P99_MS: f64 = 10.0;
const MUTATIONS_PER_S: f64 = 1_000.0;
const HOT_ASSIGNMENTS_PER_S: f64 = 2_000.0;
const BULK_MAX: Duration = Duration::from_secs(1);
const RSS_MAX_MB: f64 = 100.0;
const STARTUP_MAX: Duration = Duration::from_millis(300);

/// What the run was asked to do.
pub struct RunInfo {
    pub scale: String,
    pub duration: Duration,
    pub clients: usize,
}

/// The whole report as Markdown.
pub fn render(run: &RunInfo, reports: &[BackendReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Latest results\n");
    let _ = writeln!(out, "{}\n", machine());
    let _ = writeln!(
        out,
        "Scale `{}`, {} s measured per load scenario after a 1 s warm-up, {} concurrent clients \
         (closed loop; the load generator shares the machine with the server).\n",
        run.scale,
        run.duration.as_secs_f64(),
        run.clients
    );
    data_set(&mut out, reports);
    figures(&mut out, reports);
    extras(&mut out, reports);
    goals(&mut out, reports);
    out
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    // Other engineers' builds share this machine: say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "Machine: {cores} cores (`nproc`), {cpu}, {memory_gb:.1} GiB memory, Linux {}. \
         Load average at the end of the run: {}. Date: {}.",
        kernel.trim(),
        load.join(" "),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    )
}

fn data_set(out: &mut String, reports: &[BackendReport]) {
    let _ = writeln!(out, "### Data set (seeded through `seatwise-core`)\n");
    let _ = writeln!(
        out,
        "| backend | users | apps | groups | memberships | assignments | licensed (app, user) | seeding time |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in reports {
        let s = &r.seed;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} s |",
            r.backend,
            s.users,
            s.apps,
            s.groups,
            s.memberships,
            s.assignments,
            s.licensed,
            s.took.as_secs_f64()
        );
    }
    let _ = writeln!(out);
}

fn figures(out: &mut String, reports: &[BackendReport]) {
    let _ = writeln!(out, "### Figures\n");
    let _ = writeln!(
        out,
        "| backend | scenario | clients | requests | req/s | p50 ms | p99 ms | SQL/req | server CPU µs/req | PG CPU µs/req | errors | peak RSS MB |"
    );
    let _ = writeln!(
        out,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in reports {
        let [details, rest @ ..] = r.scenarios.as_slice() else {
            continue;
        };
        row(out, r.backend, details);
        row(out, r.backend, &r.baseline);
        for s in rest.iter().take(2) {
            row(out, r.backend, s);
        }
        let b = &r.bulk;
        let _ = writeln!(
            out,
            "| {} | 4. assign a group of 10,000 (single request) | 1 | {} | {:.2} | {:.0} (median) | {:.0} (max) | {} | | | {} | {} |",
            r.backend,
            b.assign.len(),
            1.0 / median(&b.assign).as_secs_f64().max(1e-9),
            ms(median(&b.assign)),
            ms(b.assign.iter().copied().max().unwrap_or_default()),
            b.sql_per_assign.map_or("?".into(), |v| format!("{v:.0}")),
            b.errors.len(),
            b.peak_rss_mb.map_or("?".into(), |v| format!("{v:.0}")),
        );
        for s in rest.iter().skip(2).chain(&r.hot).chain(&r.rollout) {
            row(out, r.backend, s);
        }
    }
    let _ = writeln!(out);
}

fn row(out: &mut String, backend: Backend, s: &ScenarioResult) {
    let _ = writeln!(
        out,
        "| {backend} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {} | {} |",
        s.name,
        s.clients,
        s.load.requests,
        s.load.rps(),
        s.load.quantile_ms(0.5),
        s.load.quantile_ms(0.99),
        s.sql_per_request.map_or("?".into(), |v| format!("{v:.1}")),
        s.server_cpu_us.map_or("?".into(), |v| format!("{v:.0}")),
        s.pg_cpu_us.map_or("–".into(), |v| format!("{v:.0}")),
        s.load.errors,
        s.peak_rss_mb.map_or("?".into(), |v| format!("{v:.0}")),
    );
}

fn extras(out: &mut String, reports: &[BackendReport]) {
    let _ = writeln!(out, "### Ratios, bulk runs, start-up, seat check\n");
    let _ = writeln!(
        out,
        "| backend | scenario 1 / baseline req/s | SQL/req by page size (10 / 50 / 100) | scenario 4 runs (assign; unassign) | start-up to ready (3 runs, median) | no over-assignment |"
    );
    let _ = writeln!(out, "|---|---:|---|---|---|---|");
    for r in reports {
        let pages: Vec<String> = r
            .page_sizes
            .iter()
            .map(|(_, v)| format!("{v:.1}"))
            .collect();
        let list = |d: &[Duration]| {
            d.iter()
                .map(|x| format!("{:.0}", ms(*x)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {:.2} | {} | {} ms; {} ms | {} ms → {:.0} ms | {} |",
            r.backend,
            details_ratio(r),
            pages.join(" / "),
            list(&r.bulk.assign),
            list(&r.bulk.unassign),
            list(&r.startup),
            ms(median(&r.startup)),
            match &r.seats_check {
                Ok(n) => format!("yes ({n} apps checked via the core)"),
                Err(e) => format!("**NO**: {e}"),
            }
        );
    }
    let _ = writeln!(out);
}

struct Goal {
    name: &'static str,
    /// Whether the goal applies to SQLite too (else SQLite is informative).
    both: bool,
    check: fn(&BackendReport) -> (String, bool),
}

const GOALS: &[Goal] = &[
    Goal {
        name: "Scenario 1 ≥ 0.7 × baseline throughput",
        both: false,
        check: |r| {
            let ratio = details_ratio(r);
            (format!("{ratio:.2}"), ratio >= DETAILS_RATIO_MIN)
        },
    },
    Goal {
        name: "Scenario 1 p99 < 25 ms at 32 clients",
        both: false,
        check: |r| p99_goal(&r.scenarios[0], DETAILS_P99_MS),
    },
    Goal {
        name: "Scenario 1 SQL/request constant in page size",
        both: false,
        check: |r| {
            let values: Vec<f64> = r.page_sizes.iter().map(|p| p.1).collect();
            let (lo, hi) = values
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            let text = values
                .iter()
                .map(|v| format!("{v:.1}"))
                .collect::<Vec<_>>()
                .join(" / ");
            // Background work (none today) could add a fraction; a real
            // N+1 adds several per row.
            (text, !values.is_empty() && hi - lo < 0.5)
        },
    },
    Goal {
        name: "Scenario 2 p99 < 10 ms",
        both: false,
        check: |r| p99_goal(&r.scenarios[1], SEARCH_P99_MS),
    },
    Goal {
        name: "Scenario 3 no over-assignment",
        both: true,
        check: |r| match &r.seats_check {
            Ok(_) => ("none".into(), true),
            Err(e) => (e.clone(), false),
        },
    },
    Goal {
        name: "Scenario 3 ≥ 1,000 mutations/s",
        both: false,
        check: |r| {
            let rps = r.scenarios[2].load.rps();
            (format!("{rps:.0}/s"), rps >= MUTATIONS_PER_S)
        },
    },
    Goal {
        name: "Hot app ≥ 2,000 assignments/s (one server)",
        both: false,
        check: |r| hot_goal(r.rollout.first(), r.hot.first()),
    },
    Goal {
        name: "Hot app ≥ 2,000 assignments/s (2 replicas)",
        both: false,
        check: |r| hot_goal(r.rollout.get(1), r.hot.get(1)),
    },
    Goal {
        name: "Scenario 4 < 1 s (slowest of 3)",
        both: true,
        check: |r| {
            let worst = r.bulk.assign.iter().copied().max().unwrap_or(Duration::MAX);
            (
                format!("{:.0} ms", ms(worst)),
                worst < BULK_MAX && r.bulk.errors.is_empty(),
            )
        },
    },
    Goal {
        name: "Server RSS < 100 MB at load",
        both: false,
        check: |r| {
            let peak = r
                .scenarios
                .iter()
                .filter_map(|s| s.peak_rss_mb)
                .chain(r.bulk.peak_rss_mb)
                .fold(0.0, f64::max);
            (format!("{peak:.0} MB"), peak > 0.0 && peak < RSS_MAX_MB)
        },
    },
    Goal {
        name: "Start-up to ready < 300 ms (existing database)",
        both: false,
        check: |r| {
            let m = median(&r.startup);
            (format!("{:.0} ms", ms(m)), m < STARTUP_MAX)
        },
    },
    Goal {
        name: "Zero errors",
        both: true,
        check: |r| {
            let n: u64 = r
                .scenarios
                .iter()
                .chain(&r.hot)
                .chain(&r.rollout)
                .map(|s| s.load.errors)
                .sum::<u64>()
                + r.baseline.load.errors
                + r.bulk.errors.len() as u64;
            (n.to_string(), n == 0)
        },
    },
];

fn goals(out: &mut String, reports: &[BackendReport]) {
    let _ = writeln!(out, "### Goals\n");
    let _ = writeln!(
        out,
        "Goals are stated for PostgreSQL; those marked (both) hold for SQLite too. \
         SQLite figures without (both) are for information.\n"
    );
    let header: Vec<String> = reports.iter().map(|r| r.backend.to_string()).collect();
    let _ = writeln!(out, "| goal | {} | met |", header.join(" | "));
    let _ = writeln!(out, "|---|{}---|", "---|".repeat(reports.len()));
    for goal in GOALS {
        let mut met = true;
        let mut cells = Vec::new();
        for r in reports {
            let (text, ok) = (goal.check)(r);
            if goal.both || r.backend == Backend::Postgres {
                met &= ok;
            }
            cells.push(format!("{text} {}", if ok { "✅" } else { "❌" }));
        }
        let name = if goal.both {
            format!("{} (both)", goal.name)
        } else {
            goal.name.to_owned()
        };
        let counted = reports
            .iter()
            .any(|r| goal.both || r.backend == Backend::Postgres);
        let verdict = match (counted, met) {
            (false, _) => "n/a (no PostgreSQL run)",
            (true, true) => "**met**",
            (true, false) => "**missed**",
        };
        let _ = writeln!(out, "| {name} | {} | {verdict} |", cells.join(" | "));
    }
    let _ = writeln!(out);
}

fn details_ratio(r: &BackendReport) -> f64 {
    r.scenarios[0].load.rps() / r.baseline.load.rps().max(1e-9)
}

/// The hot-app goal, judged on the rollout (every request a single-user
/// assignment, the goal's workload), with the assign + unassign run's
/// assignments/s (half its requests) shown beside it.
fn hot_goal(rollout: Option<&ScenarioResult>, pairs: Option<&ScenarioResult>) -> (String, bool) {
    let Some(rollout) = rollout else {
        return ("not run".into(), false);
    };
    let per_s = rollout.load.rps();
    let mut text = format!("rollout {per_s:.0}/s");
    if let Some(pairs) = pairs {
        text += &format!(" (assign + unassign: {:.0}/s)", pairs.load.rps() / 2.0);
    }
    (
        text,
        per_s >= HOT_ASSIGNMENTS_PER_S && rollout.load.errors == 0,
    )
}

fn p99_goal(s: &ScenarioResult, max_ms: f64) -> (String, bool) {
    let p99 = s.load.quantile_ms(0.99);
    (format!("{p99:.1} ms"), p99 < max_ms)
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
