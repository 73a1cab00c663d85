//! Parsing of `SEATWISE_DATABASE_URL` / `--database`.

use crate::error::{CoreError, CoreResult, InputField};
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
            Backend::Postgres => Err(CoreError::invalid(InputField::Database, "not a SQLite URL")),
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
                InputField::Database,
                "expected a postgres://… or sqlite://PATH URL",
            ));
        };
        let url = Self {
            raw: raw.to_owned(),
            backend,
        };
        if backend == Backend::Sqlite && url.sqlite_path()?.is_empty() {
            return Err(CoreError::invalid(
                InputField::Database,
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

/// The URL with every password replaced by `***`: the one in the user
/// part (`postgres://user:secret@host`) and a `password=` parameter in the
/// query string, which libpq accepts too (`postgres://host/db?password=…`).
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            Backend::Postgres => f.write_str(&redact_postgres(&self.raw)),
            Backend::Sqlite => f.write_str(&self.raw),
        }
    }
}

const REDACTED: &str = "***";

fn redact_postgres(raw: &str) -> String {
    // Pass 1, the user part: everything between the first `:` and the LAST
    // `@`, so a password holding an unencoded `@`, `/` or `?` is hidden
    // whole (when in doubt this hides more than the password, never less).
    let (scheme, rest) = raw.split_once("://").unwrap_or(("", raw));
    let mut out = String::with_capacity(raw.len());
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push_str("://");
    }
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(REDACTED);
                }
                None => out.push_str(userinfo),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(rest),
    }
    // Pass 2, the query string: every `password=` parameter.
    let Some((base, query)) = out.split_once('?') else {
        return out;
    };
    let parameters: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((key, _)) if is_password_key(key) => format!("{key}={REDACTED}"),
            _ => parameter.to_owned(),
        })
        .collect();
    format!("{base}?{}", parameters.join("&"))
}

/// `password`, also percent-encoded or in another case, which a reader of
/// the log would still recognise.
fn is_password_key(key: &str) -> bool {
    let decoded = key.replace("%61", "a").replace("%41", "A");
    decoded.eq_ignore_ascii_case("password")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(url: &str) -> String {
        let url: DatabaseUrl = url.parse().unwrap();
        assert_eq!(
            format!("{url:?}"),
            url.to_string(),
            "Debug shows what Display shows"
        );
        url.to_string()
    }

    #[test]
    fn parses_both_backends() {
        let pg: DatabaseUrl = "postgres://app:secret@db:5432/seatwise".parse().unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.as_str(), "postgres://app:secret@db:5432/seatwise");
        let lite: DatabaseUrl = "sqlite://data/seatwise.db".parse().unwrap();
        assert_eq!(lite.sqlite_path().unwrap(), "data/seatwise.db");
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn a_password_in_the_user_part_is_hidden() {
        assert_eq!(
            shown("postgres://app:secret@db:5432/seatwise"),
            "postgres://app:***@db:5432/seatwise"
        );
        assert_eq!(
            shown("postgresql://app:s3cr%40t@db/seatwise?sslmode=require"),
            "postgresql://app:***@db/seatwise?sslmode=require"
        );
    }

    #[test]
    fn a_password_holding_at_signs_slashes_or_question_marks_is_hidden_whole() {
        assert_eq!(
            shown("postgres://app:p@ss/w:rd@db/seatwise"),
            "postgres://app:***@db/seatwise"
        );
        assert_eq!(
            shown("postgres://app:wh?at&password@db/seatwise?sslmode=require"),
            "postgres://app:***@db/seatwise?sslmode=require"
        );
        assert_eq!(
            shown("postgres://db/seatwise?password=secret&options=a@b"),
            "postgres://db/seatwise?password=***&options=a@b"
        );
    }

    #[test]
    fn a_password_in_the_query_string_is_hidden() {
        assert_eq!(
            shown("postgres://db/seatwise?user=app&password=secret&sslmode=require"),
            "postgres://db/seatwise?user=app&password=***&sslmode=require"
        );
        assert_eq!(
            shown("postgres://app:one@db/seatwise?PASSWORD=two&p%61ssword=three"),
            "postgres://app:***@db/seatwise?PASSWORD=***&p%61ssword=***"
        );
    }

    #[test]
    fn urls_without_passwords_are_shown_as_given() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://db/seatwise?sslmode=disable&application_name=seatwise",
            "postgresql:///seatwise?host=/var/run/postgresql",
            "sqlite://data/seatwise.db",
        ] {
            assert_eq!(shown(url), url);
        }
    }
}
