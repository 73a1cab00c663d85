//! `seatwise import users|groups`: a CSV file into the directory.
//!
//! Formats (UTF-8, comma-separated, a header row naming the columns in any
//! order; quoting as RFC 4180):
//!
//! - users: `displayName,email[,externalId]`;
//! - groups: `displayName[,description][,members][,externalId]`, one row per
//!   group, `members` the members' emails separated by `;`. Members must
//!   exist (import users first); members not listed are kept.
//!
//! A row matches an existing user by `externalId` when given, else by email
//! (case-insensitive); a group by `externalId`, else by name. Re-running a
//! file changes nothing.
//!
//! Two passes over the file, streamed in batches of [`USER_BATCH`] users or
//! [`GROUP_BATCH`] groups, so memory stays flat whatever its size (only a
//! 64-bit hash per key seen, to find a row that repeats an earlier one,
//! grows with it; see `SeenKeys`):
//!
//! 1. check: every row is parsed and checked against the database
//!    (`ImportMode::Check`); every bad row is reported with its line. Any
//!    bad row, or `--dry-run`, and the command stops here having written
//!    nothing.
//! 2. apply: each batch is checked again and written in one transaction.
//!    Should a concurrent change make a batch bad between the passes, that
//!    batch and those after it are not written; the ones before stay.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasher as _, RandomState};
use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use seatwise_core::directory_import::{
    DirectoryGroup, DirectoryUser, ImportColumn, ImportMode, RejectedRow, UpsertSummary,
};
use seatwise_core::ids::TenantId;
use seatwise_core::model::{Actor, DirectorySource};
use seatwise_core::{Store, validate};

use super::CliResult;

/// Users per batch (one transaction each).
pub const USER_BATCH: usize = 5_000;
/// Groups per batch (one transaction each; a group row may carry many
/// members).
pub const GROUP_BATCH: usize = 500;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// Users: `displayName,email[,externalId]`.
    Users,
    /// Groups: `displayName[,description][,members][,externalId]`.
    Groups,
}

impl ImportKind {
    fn noun(self) -> &'static str {
        match self {
            ImportKind::Users => "users",
            ImportKind::Groups => "groups",
        }
    }

    fn batch(self) -> usize {
        match self {
            ImportKind::Users => USER_BATCH,
            ImportKind::Groups => GROUP_BATCH,
        }
    }

    /// Its columns, required ones first.
    fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ImportKind::Users => (&["displayName", "email"], &["externalId"]),
            ImportKind::Groups => (&["displayName"], &["description", "members", "externalId"]),
        }
    }
}

/// The column's name in the file's header.
fn header_of(column: ImportColumn) -> &'static str {
    match column {
        ImportColumn::DisplayName => "displayName",
        ImportColumn::Email => "email",
        ImportColumn::ExternalId => "externalId",
        ImportColumn::Description => "description",
        ImportColumn::Members => "members",
    }
}

/// A row of the file, or why it cannot be read.
enum Row {
    User(DirectoryUser),
    Group(DirectoryGroup),
}

/// Where each known column is in the file.
struct Columns {
    at: HashMap<&'static str, usize>,
}

impl Columns {
    fn from_header(kind: ImportKind, header: &csv::StringRecord) -> CliResult<Self> {
        let (required, optional) = kind.columns();
        let mut at = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}');
            let Some(known) = required.iter().chain(optional).find(|c| **c == name) else {
                return Err(format!(
                    "line 1: unknown column {name:?}; {} files have the columns {}",
                    kind.noun(),
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(",")
                ));
            };
            if at.insert(*known, i).is_some() {
                return Err(format!("line 1: column {name:?} appears twice"));
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !at.contains_key(c))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "line 1: the header lacks the column(s) {}",
                missing.join(",")
            ));
        }
        Ok(Self { at })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.at.get(name).and_then(|i| record.get(*i))
    }

    fn row(&self, kind: ImportKind, line: u64, record: &csv::StringRecord) -> Row {
        let text = |name| self.get(record, name).unwrap_or_default().to_owned();
        let external_id = self
            .get(record, "externalId")
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
        match kind {
            ImportKind::Users => Row::User(DirectoryUser {
                line,
                display_name: text("displayName"),
                email: text("email"),
                external_id,
            }),
            ImportKind::Groups => Row::Group(DirectoryGroup {
                line,
                display_name: text("displayName"),
                description: text("description"),
                external_id,
                member_emails: self
                    .get(record, "members")
                    .unwrap_or_default()
                    .split(';')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }),
        }
    }
}

/// Streams a file's rows.
struct RowReader {
    kind: ImportKind,
    reader: csv::Reader<File>,
    columns: Columns,
    record: csv::StringRecord,
}

impl RowReader {
    fn open(kind: ImportKind, path: &Path) -> CliResult<Self> {
        let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .clone();
        let columns = Columns::from_header(kind, &header)?;
        Ok(Self {
            kind,
            reader,
            columns,
            record: csv::StringRecord::new(),
        })
    }

    /// Bytes read so far (for the progress bar).
    fn position(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next row; `Ok(None)` at the end; a row the CSV reader cannot
    /// split (wrong number of fields, not UTF-8) is a bad row of its line.
    fn next(&mut self) -> CliResult<Option<Result<Row, RejectedRow>>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Ok(Some(Ok(self.columns.row(self.kind, line, &self.record))))
            }
            Err(e) => {
                let line = e.position().map(|p| p.line());
                match (e.kind(), line) {
                    (
                        csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. },
                        Some(line),
                    ) => {
                        let message = match e.kind() {
                            csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
                            _ => "has a different number of fields than the header".to_owned(),
                        };
                        Ok(Some(Err(RejectedRow {
                            line,
                            column: ImportColumn::DisplayName,
                            message: format!("the row {message}"),
                        })))
                    }
                    _ => Err(format!("reading the file: {e}")),
                }
            }
        }
    }
}

/// Rows that repeat an earlier row of the file in another batch (a batch
/// finds its own repeats).
///
/// Keeps a 64-bit hash per key, not the key: 16 bytes a key in place of
/// the key's text and its allocation, so a 100,000-row file needs about
/// 3 MB here rather than 15. The hasher is keyed at random per run
/// (`RandomState`), so no file can be made to collide on purpose. Two
/// different keys share a hash with a chance of about n²/2⁶⁵ (3·10⁻¹⁰
/// for 200,000 keys); should it happen, the later row is reported as
/// repeating the earlier and nothing is written, and running the import
/// again draws new hash keys.
#[derive(Default)]
struct SeenKeys {
    hasher: RandomState,
    first_line: HashMap<u64, u64>,
}

/// What a key of a row is, so equal texts of different kinds differ.
#[derive(Hash)]
enum KeyKind {
    Email,
    ExternalId,
    Name,
}

impl SeenKeys {
    fn check(&mut self, row: &Row) -> Option<RejectedRow> {
        let keys: Vec<(KeyKind, String, ImportColumn)> = match row {
            Row::User(u) => {
                let mut keys = vec![(
                    KeyKind::Email,
                    validate::sort_key(&u.email),
                    ImportColumn::Email,
                )];
                if let Some(ext) = &u.external_id {
                    keys.push((KeyKind::ExternalId, ext.clone(), ImportColumn::ExternalId));
                }
                keys
            }
            Row::Group(g) => vec![match &g.external_id {
                Some(ext) => (KeyKind::ExternalId, ext.clone(), ImportColumn::ExternalId),
                None => (
                    KeyKind::Name,
                    validate::sort_key(&g.display_name),
                    ImportColumn::DisplayName,
                ),
            }],
        };
        let line = match row {
            Row::User(u) => u.line,
            Row::Group(g) => g.line,
        };
        for (kind, key, column) in keys {
            let hash = self.hasher.hash_one((kind, key));
            match self.first_line.get(&hash) {
                Some(first) if *first != line => {
                    return Some(RejectedRow {
                        line,
                        column,
                        message: format!("repeats line {first}"),
                    });
                }
                _ => {
                    self.first_line.insert(hash, line);
                }
            }
        }
        None
    }
}

/// The totals of a whole file.
#[derive(Default)]
struct Totals {
    created: usize,
    updated: usize,
    unchanged: usize,
    waiting_for_seat: usize,
    rejected: Vec<RejectedRow>,
}

impl Totals {
    fn add(&mut self, summary: UpsertSummary) {
        self.created += summary.created;
        self.updated += summary.updated;
        self.unchanged += summary.unchanged;
        self.waiting_for_seat += summary.waiting_for_seat;
        self.rejected.extend(summary.rejected);
    }

    fn line(&self, kind: ImportKind) -> String {
        let mut line = format!(
            "{}: {} created, {} updated, {} unchanged, {} bad rows",
            kind.noun(),
            self.created,
            self.updated,
            self.unchanged,
            self.rejected.len()
        );
        if kind == ImportKind::Groups {
            line.push_str(&format!(
                ", {} members waiting for a seat",
                self.waiting_for_seat
            ));
        }
        line
    }
}

/// One batch through the core.
async fn submit(
    store: &Store,
    tenant: TenantId,
    actor: &Actor,
    batch: Vec<Row>,
    mode: ImportMode,
) -> CliResult<UpsertSummary> {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for row in batch {
        match row {
            Row::User(u) => users.push(u),
            Row::Group(g) => groups.push(g),
        }
    }
    let source = DirectorySource::Csv;
    let summary = if groups.is_empty() {
        store
            .upsert_directory_users(tenant, actor, source, users, mode)
            .await
    } else {
        store
            .upsert_directory_groups(tenant, actor, source, groups, mode)
            .await
    };
    summary.map_err(|e| e.to_string())
}

fn progress(kind: ImportKind, path: &Path, message: &'static str) -> ProgressBar {
    // Drawn on stderr, and only for a person watching: hidden when either
    // stream goes to a file or a pipe, so logs and scripts see no escapes.
    if !(std::io::stderr().is_terminal() && std::io::stdout().is_terminal()) {
        return ProgressBar::hidden();
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style);
    }
    bar.set_message(format!("{message} {}", kind.noun()));
    bar
}

/// One pass over the file: every batch through the core in `mode`.
async fn pass(
    store: &Store,
    tenant: TenantId,
    actor: &Actor,
    kind: ImportKind,
    path: &Path,
    mode: ImportMode,
) -> CliResult<Totals> {
    let mut reader = RowReader::open(kind, path)?;
    let bar = progress(
        kind,
        path,
        match mode {
            ImportMode::Check => "checking",
            ImportMode::Apply => "importing",
        },
    );
    let mut totals = Totals::default();
    let mut seen = SeenKeys::default();
    let mut batch = Vec::with_capacity(kind.batch());
    let mut batches_written = 0usize;
    loop {
        let next = reader.next()?;
        let end = next.is_none();
        match next {
            Some(Ok(row)) => match mode {
                ImportMode::Check => match seen.check(&row) {
                    Some(rejected) => totals.rejected.push(rejected),
                    None => batch.push(row),
                },
                ImportMode::Apply => batch.push(row),
            },
            Some(Err(rejected)) => totals.rejected.push(rejected),
            None => {}
        }
        if batch.len() >= kind.batch() || (end && !batch.is_empty()) {
            let summary = submit(store, tenant, actor, std::mem::take(&mut batch), mode).await?;
            if mode == ImportMode::Apply && summary.is_rejected() {
                bar.finish_and_clear();
                totals.add(summary);
                report_rejected(&totals.rejected);
                return Err(format!(
                    "the file changed under the import or the directory did: batch {} was refused \
                     and not written, nor any after it; {} batch(es) before it were written ({})",
                    batches_written + 1,
                    batches_written,
                    totals.line(kind)
                ));
            }
            totals.add(summary);
            batches_written += 1;
            bar.set_position(reader.position());
        }
        if end {
            break;
        }
    }
    bar.finish_and_clear();
    totals.rejected.sort_by_key(|r| r.line);
    Ok(totals)
}

fn report_rejected(rejected: &[RejectedRow]) {
    for r in rejected {
        eprintln!("line {}: {}: {}", r.line, header_of(r.column), r.message);
    }
}

/// Import `path` into `tenant`. Prints each bad row on stderr and the
/// summary on stdout; fails (nothing written) when any row is bad.
pub async fn run(
    store: &Store,
    tenant: TenantId,
    kind: ImportKind,
    path: &Path,
    dry_run: bool,
) -> CliResult<()> {
    let actor = Actor::named("seatwise-cli");
    let checked = pass(store, tenant, &actor, kind, path, ImportMode::Check).await?;
    if !checked.rejected.is_empty() {
        report_rejected(&checked.rejected);
        println!("{} (nothing was written)", checked.line(kind));
        return Err(format!(
            "{} bad row(s) in {}; nothing was written",
            checked.rejected.len(),
            path.display()
        ));
    }
    if dry_run {
        println!("{} (dry run: nothing was written)", checked.line(kind));
        return Ok(());
    }
    if checked.created + checked.updated == 0 {
        println!("{}", checked.line(kind));
        return Ok(());
    }
    let applied = pass(store, tenant, &actor, kind, path, ImportMode::Apply).await?;
    println!("{}", applied.line(kind));
    Ok(())
}
