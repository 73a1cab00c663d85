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
//! to a temporary file created with that mode (never readable by others,
//! not even for a moment) and hard-linked into place, so two processes
//! starting at once end up with the same secret.
//!
//! A secret anyone can guess or read lets them mint tokens for any tenant,
//! so start-up refuses a secret shorter than [`MIN_SECRET_BYTES`] and a
//! secret file that another user owns or that group or others may read or
//! write.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::RngCore as _;
use seatwise_core::{Backend, DatabaseUrl};

/// The environment variable that holds the secret.
pub const SECRET_ENV: &str = "SEATWISE_JWT_SECRET";

/// Shortest secret accepted: HS256 signs with a 256-bit key, and RFC 7518
/// (section 3.2) requires a key at least that long.
pub const MIN_SECRET_BYTES: usize = 32;

/// Why no secret could be had. Each message says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured secret is too short to resist guessing.
    #[error(
        "{source_name} is {len} bytes long; a token-signing secret must be at least {min} bytes (for example `openssl rand -hex 32`)",
        min = MIN_SECRET_BYTES
    )]
    TooShort {
        /// Where the secret came from (`SEATWISE_JWT_SECRET` or the file).
        source_name: String,
        /// Its length in bytes.
        len: usize,
    },
    /// The secret file could be read or replaced by someone else.
    #[error("{path} {problem}; fix it with `{fix}` (or delete it to generate a new secret)")]
    Exposed {
        /// The file.
        path: String,
        /// What is wrong, e.g. "is readable by group or others (mode 0644)".
        problem: String,
        /// The command that fixes it.
        fix: String,
    },
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

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
pub fn load_or_create(database: &DatabaseUrl) -> Result<(Vec<u8>, SecretSource), SecretError> {
    if let Ok(secret) = std::env::var(SECRET_ENV)
        && !secret.trim().is_empty()
    {
        let secret = secret.into_bytes();
        long_enough(SECRET_ENV, &secret)?;
        return Ok((secret, SecretSource::Environment));
    }
    let path = secret_file(database);
    let secret = read_or_create(&path)?;
    long_enough(&path.display().to_string(), &secret)?;
    Ok((secret, SecretSource::File(path)))
}

fn long_enough(source_name: &str, secret: &[u8]) -> Result<(), SecretError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(SecretError::TooShort {
            source_name: source_name.to_owned(),
            len: secret.len(),
        });
    }
    Ok(())
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read_or_create(path: &Path) -> Result<Vec<u8>, SecretError> {
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
        // The mode applies from the moment the file exists (the umask can
        // only remove bits), so the secret is never readable by others.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp).map_err(io_error(&temp))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io_error(&temp))?;
    }
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(text.into_bytes()),
        // Another process won the race: use its secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_secret(path)?
            .ok_or_else(|| io_error(path)(std::io::Error::other("the secret file is empty"))),
        Err(e) => Err(io_error(path)(e)),
    }
}

fn read_secret(path: &Path) -> Result<Option<Vec<u8>>, SecretError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path)(e)),
    };
    // Checked on the open file, so what is checked is what is read.
    check_private(path, &file)?;
    let text = std::io::read_to_string(file).map_err(io_error(path))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(text.trim().as_bytes().to_vec()))
}

/// Refuse a secret file another user owns or group or others may access:
/// whoever can read it can mint tokens, whoever can write it can pick the
/// secret.
#[cfg(unix)]
fn check_private(path: &Path, file: &std::fs::File) -> Result<(), SecretError> {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = file.metadata().map_err(io_error(path))?;
    let shown = path.display().to_string();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if metadata.uid() != me {
        return Err(SecretError::Exposed {
            problem: format!(
                "is owned by user id {}, not by the server's user (id {me})",
                metadata.uid()
            ),
            fix: format!("chown {me} {shown} && chmod 600 {shown}"),
            path: shown,
        });
    }
    let mode = metadata.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretError::Exposed {
            problem: format!("is readable or writable by group or others (mode {mode:04o})"),
            fix: format!("chmod 600 {shown}"),
            path: shown,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _file: &std::fs::File) -> Result<(), SecretError> {
    Ok(())
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

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir =
            std::env::temp_dir().join(format!("seatwise-secret-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.jwt-secret");
        let secret = read_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();

        let refused = read_or_create(&path).unwrap_err().to_string();
        assert!(refused.contains("mode 0644"), "{refused}");
        assert!(refused.contains("chmod 600"), "{refused}");
        // Refusing rewrote nothing: after the fix the same secret serves.
        assert_eq!(std::fs::read(&path).unwrap(), secret);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_or_create(&path).unwrap(), secret);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_short_secret_is_refused_with_how_to_make_a_long_one() {
        let refused = long_enough(SECRET_ENV, b"12345").unwrap_err().to_string();
        assert!(
            refused.contains("SEATWISE_JWT_SECRET is 5 bytes"),
            "{refused}"
        );
        assert!(refused.contains("at least 32 bytes"), "{refused}");
        assert!(long_enough(SECRET_ENV, &[b'x'; MIN_SECRET_BYTES]).is_ok());
    }
}
