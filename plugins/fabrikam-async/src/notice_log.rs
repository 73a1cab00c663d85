//! Appends assignment notices to a file, one JSON object per line, in the
//! directory the operator set aside for plugin data.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use seatwise_adapter::{AdapterError, AssignmentNotice, CallContext};

/// The operator's directory for plugin data. Set in the server's
/// environment, never by tenants.
pub const DATA_DIR_ENV: &str = "SEATWISE_PLUGIN_DATA_DIR";

/// The notice file: a name this plugin chooses inside the operator's data
/// directory, or `None` when the operator set none (notices are then only
/// acknowledged).
pub fn operator_notice_file() -> Option<PathBuf> {
    let dir = std::env::var_os(DATA_DIR_ENV).filter(|dir| !dir.is_empty())?;
    Some(Path::new(&dir).join("fabrikam").join("notices.jsonl"))
}

/// Serialises appends: calls arrive from several host threads at once and
/// each line must land whole.
#[derive(Default)]
pub struct NoticeLog {
    lock: Mutex<()>,
}

impl NoticeLog {
    /// Appends `{"tenant_id", "app_id", "gained", "lost"}` as one line to `path`.
    pub fn append(
        &self,
        path: &Path,
        ctx: &CallContext,
        notice: &AssignmentNotice,
    ) -> Result<(), AdapterError> {
        let mut line = serde_json::to_vec(&serde_json::json!({
            "tenant_id": ctx.tenant_id,
            "app_id": ctx.app_id,
            "gained": notice.gained,
            "lost": notice.lost,
        }))
        .map_err(|error| AdapterError::permanent(format!("cannot encode notice: {error}")))?;
        line.push(b'\n');
        // A poisoned lock only means another append panicked; the file is
        // still usable, so carry on with the guard.
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|error| {
                AdapterError::transient(format!("cannot create the notice directory: {error}"))
            })?;
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| file.write_all(&line))
            .map_err(|error| {
                AdapterError::transient(format!("cannot append to notice log: {error}"))
            })
    }
}
