//! Where the token-signing secret comes from.
//!
//! `SEATWISE_JWT_SECRET` wins. Without it, a random secret is generated once
//! and kept in a file that `serve` and `token` both find from the database
//! URL alone, so they agree without configuration:
//!
//! - SQLite: beside the database file, `<file>.jwt-secret`
//!   (e.g. `seatwise.db.jwt-secret`); it travels with the data.
//! - PostgreSQL: `.seatwise-jwt-secret` in the working directory (the
//!   database is elsewhere). Replicas must share the secret, so set
//!   `SEATWISE_JWT_SECRET` when running more than one.
//!
//! The file is created with mode 0600, atomically: a new secret is written
//! to a temporary file and hard-linked into place, so two processes starting
//! at once end up with the same secret.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::RngCore as _;
use seatwise_core::{Backend, DatabaseUrl};

/// The environment variable that holds the secret.
pub const SECRET_ENV: &str = "SEATWISE_JWT_SECRET";

/// Where the secret came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `SEATWISE_JWT_SECRET`.
    Environment,
    /// A file (created now or earlier).
    File(PathBuf),
}

/// The file that keeps the generated secret for `database`.
pub fn secret_file(database: &DatabaseUrl) -> PathBuf {
    match (database.backend(), database.sqlite_path()) {
        (Backend::Sqlite, Ok(path)) => PathBuf::from(format!("{path}.jwt-secret")),
        _ => PathBuf::from(".seatwise-jwt-secret"),
    }
}

/// The secret for `database`: from the environment, else from its file,
/// generating the file the first time.
pub fn load_or_create(database: &DatabaseUrl) -> std::io::Result<(Vec<u8>, SecretSource)> {
    if let Ok(secret) = std::env::var(SECRET_ENV)
        && !secret.trim().is_empty()
    {
        if secret.len() < 32 {
            tracing::warn!("{SECRET_ENV} is shorter than 32 bytes; use a longer random value");
        }
        return Ok((secret.into_bytes(), SecretSource::Environment));
    }
    let path = secret_file(database);
    let secret = read_or_create(&path)?;
    Ok((secret, SecretSource::File(path)))
}

fn read_or_create(path: &Path) -> std::io::Result<Vec<u8>> {
    if let Some(secret) = read_secret(path)? {
        return Ok(secret);
    }
    let mut random = [0u8; 32];
    rand::rng().fill_bytes(&mut random);
    let text: String = random.iter().map(|b| format!("{b:02x}")).collect();

    let temp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(text.into_bytes()),
        // Another process won the race: use its secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_secret(path)?
            .ok_or_else(|| std::io::Error::other(format!("{} is empty", path.display()))),
        Err(e) => Err(e),
    }
}

fn read_secret(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(text.trim().as_bytes().to_vec())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_file_sits_beside_a_sqlite_database() {
        let url: DatabaseUrl = "sqlite://data/x.db".parse().unwrap();
        assert_eq!(secret_file(&url), PathBuf::from("data/x.db.jwt-secret"));
        let url: DatabaseUrl = "postgres://h/db".parse().unwrap();
        assert_eq!(secret_file(&url), PathBuf::from(".seatwise-jwt-secret"));
    }

    #[test]
    fn a_generated_secret_is_kept_and_private() {
        let dir =
            std::env::temp_dir().join(format!("seatwise-secret-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.jwt-secret");
        let first = read_or_create(&path).unwrap();
        let second = read_or_create(&path).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
