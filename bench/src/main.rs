//! `seatwise-bench`: the end-to-end benchmark of the seatwise server.
//!
//! For each backend: seed a fresh database through the core, start the real
//! `seatwise serve`, drive it over HTTP with a closed-loop load generator,
//! compare scenario 1 with a hand-written baseline, and print (and save) a
//! Markdown report. See `bench/README.md`.

mod baseline;
mod cli;
mod cpu;
mod dirsync;
mod discover;
mod idle_subscriptions;
mod load;
mod report;
mod scenarios;
mod seed;
mod server;
mod suite;
mod webhooks;

use std::process::ExitCode;

use clap::Parser;
use seatwise_core::Backend;

use crate::cli::{BackendChoice, Cli, Internal, ScaleChoice};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Internal::BaselineServe {
        database,
        tenant,
        listen,
    }) = &cli.command
    {
        return match baseline::serve(database, *tenant, *listen).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("baseline: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Internal::Webhooks { events, rounds }) = &cli.command {
        return webhooks_main(&cli, *events, *rounds).await;
    }
    if let Err(e) = server::ensure_server_binary(&cli.server_bin) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let backends: &[Backend] = match cli.backend {
        BackendChoice::Sqlite => &[Backend::Sqlite],
        BackendChoice::Postgres => &[Backend::Postgres],
        BackendChoice::Both => &[Backend::Sqlite, Backend::Postgres],
    };
    if let Some(Internal::IdleSubscriptions { subscriptions }) = &cli.command {
        return idle_subscriptions_main(&cli, backends, *subscriptions).await;
    }
    if let Some(Internal::Dirsync {
        users,
        groups,
        members_per_patch,
        scim_clients,
        baseline_users,
        csv_rows,
        no_scim,
        no_csv,
    }) = &cli.command
    {
        let settings = dirsync::Settings {
            server_bin: cli.server_bin.clone(),
            scim: (!no_scim).then_some(dirsync::ScimSettings {
                users: *users,
                groups: *groups,
                members_per_patch: *members_per_patch,
                clients: *scim_clients,
                baseline_users: *baseline_users,
            }),
            csv_rows: (!no_csv).then(|| csv_rows.clone()),
        };
        return dirsync_main(backends, &settings).await;
    }
    let settings = suite::Settings {
        server_bin: cli.server_bin.clone(),
        scale: seed::Scale::of(cli.scale),
        duration: cli.duration,
        clients: cli.clients,
        keep_database: cli.keep_database,
        replicas: cli.replicas.max(1),
    };
    let mut reports = Vec::new();
    for &backend in backends {
        match suite::run(backend, &settings).await {
            Some(report) => reports.push(report),
            None => eprintln!("== {backend}: skipped (PostgreSQL not reachable)"),
        }
    }
    if reports.is_empty() {
        eprintln!("error: no backend could be run");
        return ExitCode::FAILURE;
    }
    let run = report::RunInfo {
        scale: match cli.scale {
            ScaleChoice::Default => "default".into(),
            ScaleChoice::Small => "small".into(),
        },
        duration: cli.duration,
        clients: cli.clients,
    };
    let markdown = report::render(&run, &reports);
    println!("{markdown}");
    if let Some(dir) = cli.output.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&cli.output, &markdown) {
        Ok(()) => {
            eprintln!("written to {}", cli.output.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", cli.output.display());
            ExitCode::FAILURE
        }
    }
}

/// `seatwise-bench webhooks`: print the table and write it to
/// `bench/results/webhooks.md`.
async fn webhooks_main(cli: &Cli, events: usize, rounds: usize) -> ExitCode {
    let backends: &[Backend] = match cli.backend {
        BackendChoice::Sqlite => &[Backend::Sqlite],
        BackendChoice::Postgres => &[Backend::Postgres],
        BackendChoice::Both => &[Backend::Sqlite, Backend::Postgres],
    };
    let mut reports = Vec::new();
    for &backend in backends {
        match webhooks::run(backend, events, rounds).await {
            Some(Ok(report)) => reports.push(report),
            Some(Err(e)) => {
                eprintln!("error: {backend}: {e}");
                return ExitCode::FAILURE;
            }
            None => eprintln!("== {backend}: skipped (PostgreSQL not reachable)"),
        }
    }
    let markdown = webhooks::render(&reports);
    println!("{markdown}");
    let _ = std::fs::create_dir_all("bench/results");
    if let Err(e) = std::fs::write("bench/results/webhooks.md", &markdown) {
        eprintln!("error: cannot write bench/results/webhooks.md: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `seatwise-bench idle-subscriptions`: print the table and write it to
/// `bench/results/idle-subscriptions.md`.
async fn idle_subscriptions_main(
    cli: &Cli,
    backends: &[Backend],
    subscriptions: usize,
) -> ExitCode {
    let mut reports = Vec::new();
    for &backend in backends {
        match idle_subscriptions::run(backend, &cli.server_bin, subscriptions, cli.duration).await {
            Some(Ok(report)) => reports.push(report),
            Some(Err(e)) => {
                eprintln!("error: {backend}: {e}");
                return ExitCode::FAILURE;
            }
            None => eprintln!("== {backend}: skipped (PostgreSQL not reachable)"),
        }
    }
    if reports.is_empty() {
        eprintln!("error: no backend could be run");
        return ExitCode::FAILURE;
    }
    let markdown = idle_subscriptions::render(&reports);
    println!("{markdown}");
    let output = concat!(env!("CARGO_MANIFEST_DIR"), "/results/idle-subscriptions.md");
    match std::fs::write(output, &markdown) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {output}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `seatwise-bench dirsync`: print the report and write it to
/// `bench/results/dirsync.md`; fails when any part failed.
async fn dirsync_main(backends: &[Backend], settings: &dirsync::Settings) -> ExitCode {
    let mut reports = Vec::new();
    for &backend in backends {
        match dirsync::run(backend, settings).await {
            Some(report) => reports.push(report),
            None => eprintln!("== {backend}: skipped (PostgreSQL not reachable)"),
        }
    }
    if reports.is_empty() {
        eprintln!("error: no backend could be run");
        return ExitCode::FAILURE;
    }
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into());
    let markdown = dirsync::render(&reports, &load);
    println!("{markdown}");
    let output = concat!(env!("CARGO_MANIFEST_DIR"), "/results/dirsync.md");
    if let Err(e) = std::fs::write(output, &markdown) {
        eprintln!("error: cannot write {output}: {e}");
        return ExitCode::FAILURE;
    }
    if reports.iter().all(dirsync::BackendReport::ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
