//! Test and benchmark helpers (cargo feature `testing`): build the plugin
//! crates under `plugins/` once per process, and lay out private plugin
//! directories.
//!
//! The one place that knows how to build the plugins: this crate's tests,
//! the end-to-end tests (`tests/`) and the benchmarks all use it. The
//! libraries are built with `$CARGO` into the calling executable's own target
//! directory and profile, so a test run never loads a library from another
//! build. Every [`PluginDir`] holds fresh copies of the libraries it asks
//! for, so tests neither see each other's files nor depend on order, and
//! they run the same under `cargo test` (threads) and nextest (processes).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{HostConfig, PluginRegistry};

/// The plugin crates under `plugins/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plugin {
    /// Key `contoso`: immediate seat changes, signed install URLs.
    Contoso,
    /// Key `fabrikam`: asynchronous seat changes, assignment notices.
    Fabrikam,
    /// Key `bad-panic`: panics in every call.
    BadPanic,
    /// Key `bad-hang`: `change_seats` never returns.
    BadHang,
    /// Key `bad-garbage`: answers malformed output.
    BadGarbage,
    /// Declares a wrong ABI version.
    BadAbi,
    /// Lacks the entry symbol.
    BadNoEntry,
}

impl Plugin {
    /// Every plugin crate.
    pub const ALL: [Plugin; 7] = [
        Plugin::Contoso,
        Plugin::Fabrikam,
        Plugin::BadPanic,
        Plugin::BadHang,
        Plugin::BadGarbage,
        Plugin::BadAbi,
        Plugin::BadNoEntry,
    ];

    /// Cargo package name.
    pub fn package(self) -> &'static str {
        match self {
            Plugin::Contoso => "plugin-contoso-immediate",
            Plugin::Fabrikam => "plugin-fabrikam-async",
            Plugin::BadPanic => "plugin-bad-panic",
            Plugin::BadHang => "plugin-bad-hang",
            Plugin::BadGarbage => "plugin-bad-garbage",
            Plugin::BadAbi => "plugin-bad-abi",
            Plugin::BadNoEntry => "plugin-bad-no-entry",
        }
    }

    /// File name of the built library on this platform.
    pub fn file_name(self) -> String {
        format!(
            "{}{}{}",
            std::env::consts::DLL_PREFIX,
            self.package().replace('-', "_"),
            std::env::consts::DLL_SUFFIX
        )
    }
}

/// Directory holding the freshly built plugin libraries. Builds them on the
/// first use in this process; later calls (and later processes) reuse
/// cargo's up-to-date check.
///
/// # Panics
/// When the build fails; the panic message carries cargo's output.
pub fn built_plugins_dir() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build_plugins) {
        Ok(dir) => dir,
        Err(error) => panic!("building the test plugins failed:\n{error}"),
    }
}

/// One `cargo build` of every plugin crate, into the target directory and
/// profile of the running executable; returns that profile's directory.
fn build_plugins() -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Test and bench executables live in `<target>/<profile>/deps/`.
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("unexpected executable location")?;
    let profile = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or("unexpected profile directory name")?;
    let target_dir = profile_dir.parent().ok_or("unexpected target directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--quiet", "--target-dir"])
        .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    for plugin in Plugin::ALL {
        command.args(["-p", plugin.package()]);
    }
    let output = command
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(profile_dir.to_path_buf())
}

/// A private directory of plugin copies, removed when dropped. Libraries
/// loaded from it stay mapped (the host never unloads), which Unix allows.
pub struct PluginDir {
    path: PathBuf,
}

impl PluginDir {
    /// A new, empty directory.
    ///
    /// # Panics
    /// When the directory cannot be created.
    pub fn empty() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "seatwise-test-plugins-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a plugin directory");
        Self { path }
    }

    /// A directory with a copy of each plugin. Copies get their own inode,
    /// so the dynamic loader maps them afresh instead of reusing a library
    /// another test already loaded.
    pub fn with(plugins: &[Plugin]) -> Self {
        let dir = Self::empty();
        for plugin in plugins {
            dir.add(*plugin);
        }
        dir
    }

    /// Copies `plugin` into the directory under its own file name; the
    /// copy's path.
    pub fn add(&self, plugin: Plugin) -> PathBuf {
        self.add_as(plugin, &plugin.file_name())
    }

    /// Copies `plugin` into the directory under `file_name`; the copy's path.
    ///
    /// # Panics
    /// When the copy fails (or building the plugins does).
    pub fn add_as(&self, plugin: Plugin, file_name: &str) -> PathBuf {
        let target = self.path.join(file_name);
        std::fs::copy(built_plugins_dir().join(plugin.file_name()), &target)
            .unwrap_or_else(|error| panic!("copy {plugin:?}: {error}"));
        target
    }

    /// Writes an arbitrary file into the directory; its path.
    ///
    /// # Panics
    /// When the write fails.
    pub fn write(&self, file_name: &str, contents: &[u8]) -> PathBuf {
        let target = self.path.join(file_name);
        std::fs::write(&target, contents).expect("write a file into the plugin directory");
        target
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the directory into a registry.
    ///
    /// # Panics
    /// When the directory cannot be read.
    pub fn load(&self, config: &HostConfig) -> PluginRegistry {
        PluginRegistry::load_dir(&self.path, config).expect("plugin directory is readable")
    }
}

impl Drop for PluginDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
