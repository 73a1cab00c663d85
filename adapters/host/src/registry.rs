//! Loading a directory of plugins and finding adapters by key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::adapter::AdapterHandle;
use crate::config::HostConfig;
use crate::error::CallError;
use crate::loader::load_plugin;
use crate::report::{LoadOutcome, LoadRefusal, LoadReport};

/// File extensions treated as plugins, whatever the platform: a library for
/// another platform is then reported as unloadable instead of silently ignored.
const PLUGIN_EXTENSIONS: [&str; 3] = ["so", "dylib", "dll"];

/// The plugin directory could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read plugin directory {}: {source}", dir.display())]
pub struct RegistryError {
    /// The directory.
    pub dir: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

/// The adapters loaded at start, by key, and a report for every plugin file.
#[derive(Debug, Default)]
pub struct PluginRegistry {
    adapters: BTreeMap<String, AdapterHandle>,
    reports: Vec<LoadReport>,
}

impl PluginRegistry {
    /// A registry without plugins.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads every `*.so`, `*.dylib` and `*.dll` file in `dir` (not
    /// recursively), in file-name order.
    ///
    /// A plugin that cannot be used is refused and reported, never fatal; when
    /// two plugins claim the same key, the first in file-name order keeps it.
    /// Only an unreadable directory is an error.
    pub fn load_dir(dir: &Path, config: &HostConfig) -> Result<Self, RegistryError> {
        let mut registry = Self::empty();
        for path in plugin_files(dir)? {
            registry.load_file(path, config);
        }
        Ok(registry)
    }

    /// Loads exactly the plugin files `paths`, in the order given (for a
    /// fixed set of plugins, such as the demo's, where a directory could
    /// hold others). A missing or unusable file is refused and reported,
    /// never fatal.
    pub fn load_files(paths: &[PathBuf], config: &HostConfig) -> Self {
        let mut registry = Self::empty();
        for path in paths {
            registry.load_file(path.clone(), config);
        }
        registry
    }

    /// The adapter for `key`, or [`CallError::NotLoaded`].
    pub fn adapter(&self, key: &str) -> Result<AdapterHandle, CallError> {
        self.adapters.get(key).cloned().ok_or_else(|| {
            tracing::warn!(
                adapter = key,
                call = "lookup",
                "no adapter plugin loaded for key"
            );
            CallError::NotLoaded(key.to_owned())
        })
    }

    /// The adapter for `key`, if loaded.
    pub fn get(&self, key: &str) -> Option<&AdapterHandle> {
        self.adapters.get(key)
    }

    /// All loaded adapters, in key order.
    pub fn adapters(&self) -> impl Iterator<Item = &AdapterHandle> {
        self.adapters.values()
    }

    /// One report per plugin file considered, in load order.
    pub fn reports(&self) -> &[LoadReport] {
        &self.reports
    }

    fn load_file(&mut self, path: PathBuf, config: &HostConfig) {
        let outcome = match load_plugin(&path, config) {
            Ok(adapter) => match self.adapters.get(adapter.key()) {
                Some(first) => LoadOutcome::Refused(LoadRefusal::DuplicateKey {
                    key: adapter.key().to_owned(),
                    first: first.path().to_path_buf(),
                }),
                None => {
                    let info = adapter.info().clone();
                    self.adapters.insert(info.key.clone(), adapter);
                    LoadOutcome::Loaded(info)
                }
            },
            Err(refusal) => LoadOutcome::Refused(refusal),
        };
        let report = LoadReport { path, outcome };
        log_report(&report);
        self.reports.push(report);
    }
}

/// Loads a single plugin file and reports on it, without registering it
/// anywhere; for `seatwise plugins inspect PATH`.
///
/// Like every load, this leaves the library mapped until the process exits.
pub fn inspect(path: &Path, config: &HostConfig) -> LoadReport {
    let outcome = match load_plugin(path, config) {
        Ok(adapter) => LoadOutcome::Loaded(adapter.info().clone()),
        Err(refusal) => LoadOutcome::Refused(refusal),
    };
    LoadReport {
        path: path.to_path_buf(),
        outcome,
    }
}

/// Plugin candidates in `dir`, sorted so load order (and so which of two
/// duplicate keys wins) does not depend on the file system.
fn plugin_files(dir: &Path) -> Result<Vec<PathBuf>, RegistryError> {
    let read_error = |source| RegistryError {
        dir: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let is_plugin = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| PLUGIN_EXTENSIONS.contains(&extension));
        if is_plugin && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn log_report(report: &LoadReport) {
    match &report.outcome {
        LoadOutcome::Loaded(info) => tracing::info!(
            adapter = %info.key,
            path = %report.path.display(),
            version = %info.version,
            "adapter plugin loaded"
        ),
        LoadOutcome::Refused(refusal) => tracing::warn!(
            path = %report.path.display(),
            "adapter plugin refused: {refusal}"
        ),
    }
}
