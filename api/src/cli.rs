//! The `seatwise` command.
//!
//! ```text
//! seatwise migrate
//! seatwise tenant create NAME            # prints the tenant id
//! seatwise serve [--listen ADDR] [--demo] [--plugins DIR]
//! seatwise plugins list [--plugins DIR] [--server URL]
//!                                        # what loads from DIR, or why not;
//!                                        # with the health at a running server
//! seatwise plugins inspect PATH          # one plugin file; fails if refused
//! seatwise token --tenant ID [--roles A,B] [--user USER_ID] [--ttl 1h]
//! seatwise schema                        # prints the GraphQL SDL
//! seatwise import users --tenant ID [--dry-run] FILE.csv
//! seatwise import groups --tenant ID [--dry-run] FILE.csv
//! seatwise export assignments --tenant ID [--app ID] > out.csv
//! ```
//!
//! The CSV formats are described in `cli/csv_import.rs` and
//! `cli/csv_export.rs` (and in each subcommand's `--help`).
//!
//! `--database` (or `SEATWISE_DATABASE_URL`) applies to every subcommand.
//! Logs go to stderr (filter with `SEATWISE_LOG` or `RUST_LOG`); stdout
//! carries only what the command prints for scripts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use seatwise_core::ids::{AppId, TenantId, UserId};
use seatwise_core::model::Actor;
use seatwise_core::{CoreError, DatabaseUrl, Store, StoreOptions};
use tracing_subscriber::EnvFilter;

use crate::auth::secret::{self, SecretSource};
use crate::auth::token::parse_ttl;
use crate::auth::{Role, TokenKeys, TokenRequest};
use crate::graphql::ids::{self, Kind};
use crate::server;
use crate::settings::{ProcessEnv, ServeSettings};

mod csv_export;
mod csv_import;

type CliResult<T> = Result<T, String>;

/// Manage licenses of third-party apps: the Seatwise server and its tools.
#[derive(Debug, Parser)]
#[command(name = "seatwise", version, about)]
pub struct Cli {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "SEATWISE_DATABASE_URL", default_value = DatabaseUrl::DEFAULT)]
    database: String,
    #[command(flatten)]
    limits: DatabaseLimits,
    #[command(subcommand)]
    command: Command,
}

/// The database's time limits, in milliseconds (every subcommand that opens
/// the database uses them). See `StoreOptions` for what each bounds.
#[derive(Debug, clap::Args)]
struct DatabaseLimits {
    /// PostgreSQL `statement_timeout`: the longest one SQL statement may run.
    #[arg(long, global = true, env = "SEATWISE_DB_STATEMENT_TIMEOUT_MS",
          default_value_t = millis(StoreOptions::DEFAULT_STATEMENT_TIMEOUT),
          value_parser = clap::value_parser!(u64).range(1..))]
    db_statement_timeout_ms: u64,
    /// PostgreSQL `lock_timeout`: the longest a statement waits for a lock.
    #[arg(long, global = true, env = "SEATWISE_DB_LOCK_TIMEOUT_MS",
          default_value_t = millis(StoreOptions::DEFAULT_LOCK_TIMEOUT),
          value_parser = clap::value_parser!(u64).range(1..))]
    db_lock_timeout_ms: u64,
    /// PostgreSQL `idle_in_transaction_session_timeout`: a session idle
    /// inside a transaction this long is ended and its locks released.
    #[arg(long, global = true, env = "SEATWISE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
          default_value_t = millis(StoreOptions::DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT),
          value_parser = clap::value_parser!(u64).range(1..))]
    db_idle_in_transaction_timeout_ms: u64,
    /// How long opening one database connection may take.
    #[arg(long, global = true, env = "SEATWISE_DB_CONNECT_TIMEOUT_MS",
          default_value_t = millis(StoreOptions::default().connect_timeout),
          value_parser = clap::value_parser!(u64).range(1..))]
    db_connect_timeout_ms: u64,
    /// How long a request waits for a free pooled connection.
    #[arg(long, global = true, env = "SEATWISE_DB_ACQUIRE_TIMEOUT_MS",
          default_value_t = millis(StoreOptions::default().acquire_timeout),
          value_parser = clap::value_parser!(u64).range(1..))]
    db_acquire_timeout_ms: u64,
    /// SQLite `busy_timeout`: how long a writer waits for the write lock.
    #[arg(long, global = true, env = "SEATWISE_SQLITE_BUSY_TIMEOUT_MS",
          default_value_t = millis(StoreOptions::DEFAULT_SQLITE_BUSY_TIMEOUT),
          value_parser = clap::value_parser!(u64).range(1..))]
    sqlite_busy_timeout_ms: u64,
    /// Largest number of pooled SQLite connections (SQLite has one writer;
    /// each connection keeps its own page cache and prepared statements).
    #[arg(long, global = true, env = "SEATWISE_SQLITE_MAX_CONNECTIONS",
          default_value_t = StoreOptions::DEFAULT_SQLITE_MAX_CONNECTIONS as u64,
          value_parser = clap::value_parser!(u64).range(1..=64))]
    sqlite_max_connections: u64,
    /// SQLite page cache per connection, in KiB [default: 2000; `import`:
    /// 32768].
    #[arg(long, global = true, env = "SEATWISE_SQLITE_CACHE_KIB",
          value_parser = clap::value_parser!(u32).range(64..))]
    sqlite_cache_kib: Option<u32>,
    /// SQLite `wal_autocheckpoint`, in pages: how long the write-ahead log
    /// grows before a commit copies it into the database file [default:
    /// 1000; `import`: 16384].
    #[arg(long, global = true, env = "SEATWISE_SQLITE_CHECKPOINT_PAGES",
          value_parser = clap::value_parser!(u32).range(1..))]
    sqlite_checkpoint_pages: Option<u32>,
    /// SQLite `mmap_size`, in MiB: how much of the database file is read
    /// through a shared memory map rather than copied into each
    /// connection's page cache; 0 turns it off.
    #[arg(long, global = true, env = "SEATWISE_SQLITE_MMAP_MIB",
          default_value_t = StoreOptions::DEFAULT_SQLITE_MMAP_MIB,
          value_parser = clap::value_parser!(u32).range(0..=65_536))]
    sqlite_mmap_mib: u32,
    /// Coalesce concurrent single-app user (un)assignments into one
    /// transaction (group commit); `false` runs each alone.
    #[arg(long, global = true, env = "SEATWISE_GROUP_COMMIT", default_value_t = true,
          action = clap::ArgAction::Set)]
    db_group_commit: bool,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl DatabaseLimits {
    /// `base` with the limits given on the command line (or in the
    /// environment).
    fn store_options(&self, base: StoreOptions) -> StoreOptions {
        StoreOptions {
            statement_timeout: Duration::from_millis(self.db_statement_timeout_ms),
            lock_timeout: Duration::from_millis(self.db_lock_timeout_ms),
            idle_in_transaction_timeout: Duration::from_millis(
                self.db_idle_in_transaction_timeout_ms,
            ),
            connect_timeout: Duration::from_millis(self.db_connect_timeout_ms),
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
            sqlite_busy_timeout: Duration::from_millis(self.sqlite_busy_timeout_ms),
            // At most 64 (the parser's range), so it fits any usize.
            sqlite_max_connections: usize::try_from(self.sqlite_max_connections)
                .unwrap_or(StoreOptions::DEFAULT_SQLITE_MAX_CONNECTIONS),
            sqlite_cache_kib: self.sqlite_cache_kib.unwrap_or(base.sqlite_cache_kib),
            sqlite_checkpoint_pages: self
                .sqlite_checkpoint_pages
                .unwrap_or(base.sqlite_checkpoint_pages),
            sqlite_mmap_mib: self.sqlite_mmap_mib,
            group_commit: self.db_group_commit,
            ..base
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or update the database schema.
    Migrate,
    /// Manage tenants (organisations).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Serve the GraphQL API (migrates the database first).
    Serve(ServeArgs),
    /// Print a signed access token.
    Token(TokenArgs),
    /// Manage the SCIM tokens identity providers sync the directory with.
    ScimToken {
        #[command(subcommand)]
        command: ScimTokenCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Show vendor adapter plugins and why any are refused.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Create or update users or groups from a CSV file.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Write data as CSV on stdout.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Create or update users from a CSV file with the header
    /// `displayName,email[,externalId]` (columns in any order).
    ///
    /// A row updates the user with its externalId, else the one with its
    /// email (case-insensitive), else creates one; re-running a file changes
    /// nothing. Every bad row is printed with its line on stderr and then
    /// nothing is written; a summary (created, updated, unchanged, bad rows)
    /// goes to stdout. Rows are written in batches of 5,000, each in one
    /// transaction, after the whole file was checked.
    Users(ImportArgs),
    /// Create or update groups from a CSV file with the header
    /// `displayName[,description][,members][,externalId]`, one row per group.
    ///
    /// `members` lists the members' emails separated by `;`
    /// (`ada@contoso.com;grace@contoso.com`); each must be a user already
    /// (import users first) or the row is bad. Members are added, never
    /// removed, and take seats of the group's apps like any new member (or
    /// wait for one). A row updates the group with its externalId, else the
    /// one with its name (case-insensitive), else creates one. Bad rows,
    /// summary and batches (of 500 groups) as for users.
    Groups(ImportArgs),
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The tenant id, as printed by `seatwise tenant create`.
    #[arg(long)]
    tenant: uuid::Uuid,
    /// Check every row against the database and print the summary, but
    /// write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The CSV file (UTF-8, comma-separated, with a header row).
    file: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// One row per license assignment, with the header
    /// `app,appId,principalKind,principalName,principalId,email,assignedBy,assignedAt`
    /// (`principalKind` is USER or GROUP; a group's row has no email).
    Assignments {
        /// The tenant id, as printed by `seatwise tenant create`.
        #[arg(long)]
        tenant: uuid::Uuid,
        /// Only this app: its GraphQL id or UUID.
        #[arg(long)]
        app: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum PluginsCommand {
    /// Load every plugin in the directory and print one line per file.
    List {
        /// Directory of adapter plugins (`*.so`, `*.dylib`, `*.dll`).
        #[arg(long, env = "SEATWISE_PLUGIN_DIR")]
        plugins: Option<PathBuf>,
        /// A running server (`http://HOST:PORT`) whose adapters' health to
        /// show: ok, or quarantined with its timed-out calls still running.
        #[arg(long)]
        server: Option<String>,
    },
    /// Load one plugin file and print what it is, or why it is refused
    /// (then exit with a failure status).
    Inspect {
        /// The plugin file.
        path: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ScimTokenCommand {
    /// Create a token and print its secret (once: only a hash is kept).
    Create {
        /// The tenant id, as printed by `seatwise tenant create`.
        #[arg(long)]
        tenant: uuid::Uuid,
        /// What to call it, e.g. the identity provider.
        #[arg(long, default_value = "SCIM")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant and print its id.
    Create {
        /// The organisation's name.
        name: String,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SEATWISE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Create a demo organisation (once) and print an admin token for it.
    /// Without --plugins, loads exactly the two example vendor plugins
    /// (Contoso, Fabrikam) from beside the binary.
    #[arg(long)]
    demo: bool,
    /// Directory of vendor adapter plugins to load at start (every plugin
    /// file in it). A plugin that cannot be loaded is logged and skipped.
    #[arg(long, env = "SEATWISE_PLUGIN_DIR")]
    plugins: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct TokenArgs {
    /// The tenant id, as printed by `seatwise tenant create`.
    #[arg(long)]
    tenant: uuid::Uuid,
    /// Comma-separated roles: GLOBAL_ADMIN, LICENSE_ADMIN, USER_ADMIN,
    /// BILLING_ADMIN, GLOBAL_READER.
    #[arg(long, value_delimiter = ',')]
    roles: Vec<Role>,
    /// The caller's user: its GraphQL `id` (a raw UUID works too).
    #[arg(long)]
    user: Option<String>,
    /// Lifetime, e.g. 90s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    ttl: std::time::Duration,
    /// The subject (`sub`), recorded as the author of changes.
    #[arg(long)]
    subject: Option<String>,
}

/// Parse the command line and run it.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run_command(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = std::env::var("SEATWISE_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn run_command(cli: Cli) -> CliResult<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            return Ok(());
        }
        Command::Plugins { command } => return plugins_command(command).await,
        _ => {}
    }
    let database: DatabaseUrl = cli.database.parse().map_err(|e| match e {
        CoreError::InvalidInput { message, .. } => format!("--database: {message}"),
        e => format!("--database: {e}"),
    })?;
    let options = cli.limits.store_options(StoreOptions::default());
    let import_options = cli
        .limits
        .store_options(StoreOptions::default().bulk_import());
    match cli.command {
        Command::Migrate => {
            let applied = Store::migrate(&database).await.map_err(|e| e.to_string())?;
            tracing::info!(count = applied.len(), "migrations applied");
            Ok(())
        }
        Command::Tenant {
            command: TenantCommand::Create { name },
        } => {
            Store::migrate(&database).await.map_err(|e| e.to_string())?;
            let store = connect(&database, options).await?;
            let tenant = store
                .create_tenant(&Actor::named("seatwise-cli"), &name)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", tenant.id);
            Ok(())
        }
        Command::Token(args) => {
            let keys = token_keys(&database)?;
            println!("{}", mint(&keys, args)?);
            Ok(())
        }
        Command::ScimToken {
            command: ScimTokenCommand::Create { tenant, name },
        } => {
            Store::migrate(&database).await.map_err(|e| e.to_string())?;
            let store = connect(&database, options).await?;
            let (token, secret) = store
                .create_scim_token(TenantId(tenant), &Actor::named("seatwise-cli"), &name)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(token = %token.id, name = %token.name, "SCIM token created");
            println!("{}", secret.expose());
            Ok(())
        }
        Command::Serve(args) => serve(&database, options, args).await,
        Command::Import { command } => {
            let (kind, args) = match command {
                ImportCommand::Users(args) => (csv_import::ImportKind::Users, args),
                ImportCommand::Groups(args) => (csv_import::ImportKind::Groups, args),
            };
            Store::migrate(&database).await.map_err(|e| e.to_string())?;
            let store = connect(&database, import_options).await?;
            csv_import::run(
                &store,
                TenantId(args.tenant),
                kind,
                &args.file,
                args.dry_run,
            )
            .await
        }
        Command::Export {
            command: ExportCommand::Assignments { tenant, app },
        } => {
            let app = app.as_deref().map(parse_app).transpose()?;
            let store = connect(&database, options).await?;
            let stdout = std::io::stdout().lock();
            let written = csv_export::assignments(&store, TenantId(tenant), app, stdout).await?;
            tracing::info!(assignments = written, "exported");
            Ok(())
        }
        Command::Schema | Command::Plugins { .. } => Ok(()),
    }
}

async fn plugins_command(command: PluginsCommand) -> CliResult<()> {
    let config = crate::settings::host_config(&ProcessEnv)?;
    match command {
        PluginsCommand::List { plugins, server } => {
            let Some(dir) = plugins else {
                return Err(
                    "no plugin directory: pass --plugins DIR or set SEATWISE_PLUGIN_DIR".into(),
                );
            };
            let status = match server {
                Some(url) => Some(crate::plugin_status::ServerStatus::fetch(&url).await?),
                None => None,
            };
            let registry = crate::plugins::load(Some(&dir), &config)?;
            let lines = crate::plugins::list_lines(&registry, status.as_ref());
            if lines.is_empty() {
                println!("{}: no plugin files", dir.display());
            }
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        PluginsCommand::Inspect { path } => {
            let report = seatwise_adapter_host::inspect(&path, &config);
            println!("{report}");
            match report.refusal() {
                None => Ok(()),
                Some(_) => Err(format!(
                    "{} cannot be used as an adapter plugin",
                    path.display()
                )),
            }
        }
    }
}

async fn connect(database: &DatabaseUrl, options: StoreOptions) -> CliResult<Store> {
    Store::connect(database, options)
        .await
        .map_err(|e| format!("cannot open {database}: {e}"))
}

fn token_keys(database: &DatabaseUrl) -> CliResult<TokenKeys> {
    let (secret, source) =
        secret::load_or_create(database).map_err(|e| format!("cannot use the JWT secret: {e}"))?;
    match source {
        SecretSource::Environment => tracing::debug!("JWT secret from {}", secret::SECRET_ENV),
        SecretSource::File(path) => tracing::debug!(path = %path.display(), "JWT secret from file"),
    }
    Ok(TokenKeys::from_secret(&secret))
}

fn mint(keys: &TokenKeys, args: TokenArgs) -> CliResult<String> {
    let user = args.user.as_deref().map(parse_user).transpose()?;
    let subject = args.subject.unwrap_or_else(|| match user {
        Some(user) => format!("user:{user}"),
        None => "seatwise-cli".to_owned(),
    });
    let request = TokenRequest {
        subject,
        tenant: TenantId(args.tenant),
        roles: args.roles,
        user,
        ttl: args.ttl,
    };
    keys.mint(&request)
        .map_err(|e| format!("cannot sign the token: {e}"))
}

/// An app's GraphQL id, or a raw UUID.
fn parse_app(text: &str) -> CliResult<AppId> {
    match ids::decode(text) {
        Some((Kind::App, uuid)) => Ok(AppId(uuid)),
        Some(_) => Err(format!("--app {text}: not an app id")),
        None => uuid::Uuid::parse_str(text)
            .map(AppId)
            .map_err(|_| format!("--app {text}: expected an app's GraphQL id or UUID")),
    }
}

/// A user's GraphQL id, or a raw UUID.
fn parse_user(text: &str) -> CliResult<UserId> {
    match ids::decode(text) {
        Some((Kind::User, uuid)) => Ok(UserId(uuid)),
        Some(_) => Err(format!("--user {text}: not a user id")),
        None => uuid::Uuid::parse_str(text)
            .map(UserId)
            .map_err(|_| format!("--user {text}: expected a user's GraphQL id or UUID")),
    }
}

async fn serve(database: &DatabaseUrl, options: StoreOptions, args: ServeArgs) -> CliResult<()> {
    // Settings first: a bad one stops the start before anything is touched.
    let settings = ServeSettings::from_vars(&ProcessEnv)?;
    let applied = Store::migrate(database)
        .await
        .map_err(|e| format!("migrating {database}: {e}"))?;
    tracing::info!(database = %database, migrations = applied.len(), "database ready");
    let store = connect(database, options).await?;
    let keys = token_keys(database)?;
    let plugins = match (&args.plugins, args.demo) {
        (None, true) => crate::plugins::load_demo(&settings.host)?,
        (dir, _) => crate::plugins::load(dir.as_deref(), &settings.host)?,
    };
    let (state, worker) = server::assemble(store.clone(), keys.clone(), plugins, &settings)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%address, "listening");
    println!("seatwise listening on http://{address}");
    if args.demo {
        let tenant = crate::demo::ensure_demo_tenant(&store)
            .await
            .map_err(|e| format!("demo: {e}"))?;
        let token = keys
            .mint(&TokenRequest {
                subject: "demo-admin".into(),
                tenant: tenant.id,
                roles: vec![Role::GlobalAdmin],
                user: None,
                ttl: std::time::Duration::from_secs(12 * 3_600),
            })
            .map_err(|e| e.to_string())?;
        println!("Demo organisation: {} (tenant {})", tenant.name, tenant.id);
        println!("Console: http://{address}/");
        println!("GraphiQL: http://{address}/graphiql");
        println!(
            "Admin token (GLOBAL_ADMIN, 12h): paste it into the console, or in GraphiQL's Headers tab use:"
        );
        println!("{{\"Authorization\": \"Bearer {token}\"}}");
    }
    server::serve(listener, state, worker)
        .await
        .map_err(|e| e.to_string())
}
