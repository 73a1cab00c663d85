//! Parsing of `SEATWISE_DATABASE_URL` / `--database`.

use crate::error::{CoreError, CoreResult};
use std::fmt;
use std::str::FromStr;

/// The two supported database engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: several replicas share one database.
    Postgres,
    /// SQLite: one file, zero set-up, one server process.
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// A validated database URL: `postgres://…`, `postgresql://…`, or
/// `sqlite://PATH` (relative or absolute, e.g. `sqlite:///var/lib/seatwise.db`).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// The default: a SQLite file in the working directory.
    pub const DEFAULT: &'static str = "sqlite://seatwise.db";

    /// Which engine the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// For SQLite: the file path. Errors for PostgreSQL URLs.
    pub fn sqlite_path(&self) -> CoreResult<&str> {
        match self.backend {
            Backend::Sqlite => Ok(self
                .raw
                .strip_prefix("sqlite://")
                .or_else(|| self.raw.strip_prefix("sqlite:"))
                .unwrap_or(&self.raw)),
            Backend::Postgres => Err(CoreError::invalid("database", "not a SQLite URL")),
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = CoreError;

    fn from_str(raw: &str) -> CoreResult<Self> {
        let backend = if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Backend::Postgres
        } else if raw.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(CoreError::invalid(
                "database",
                "expected a postgres://… or sqlite://PATH URL",
            ));
        };
        let url = Self {
            raw: raw.to_owned(),
            backend,
        };
        if backend == Backend::Sqlite && url.sqlite_path()?.is_empty() {
            return Err(CoreError::invalid(
                "database",
                "the SQLite URL names no file",
            ));
        }
        Ok(url)
    }
}

/// Never print passwords that a PostgreSQL URL may carry.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.backend, self.raw.split_once('@')) {
            (Backend::Postgres, Some((userinfo, host))) if userinfo.contains(':') => {
                let user = userinfo.rsplit_once(':').map_or(userinfo, |(u, _)| u);
                write!(f, "{user}:***@{host}")
            }
            _ => f.write_str(&self.raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends_and_hides_passwords() {
        let pg: DatabaseUrl = "postgres://app:secret@db:5432/seatwise".parse().unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.to_string(), "postgres://app:***@db:5432/seatwise");
        let lite: DatabaseUrl = "sqlite://data/seatwise.db".parse().unwrap();
        assert_eq!(lite.sqlite_path().unwrap(), "data/seatwise.db");
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }
}
