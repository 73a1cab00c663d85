//! Shared test helpers: build the real plugin crates once per process and
//! lay out private plugin directories for each test.
//!
//! Every test gets its own directory holding fresh copies of the libraries it
//! asks for, so tests neither see each other's files nor depend on order, and
//! they run the same under `cargo test` (threads) and nextest (processes).

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use seatwise_adapter_host::{CallContext, HostConfig, PluginRegistry};

/// The plugin crates under `plugins/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plugin {
    Contoso,
    Fabrikam,
    BadPanic,
    BadHang,
    BadGarbage,
    BadAbi,
    BadNoEntry,
}

impl Plugin {
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
pub fn built_plugins_dir() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build_plugins) {
        Ok(dir) => dir,
        Err(error) => panic!("building the test plugins failed:\n{error}"),
    }
}

fn build_plugins() -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // The test executable lives in `<target>/<profile>/deps/`.
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("unexpected test executable location")?;
    let profile = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or("unexpected profile directory name")?;
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        // Relative to where cargo was started, i.e. the workspace root.
        Some(dir) => workspace.join(dir),
        None => profile_dir
            .parent()
            .ok_or("unexpected target directory")?
            .to_path_buf(),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .arg("build")
        .arg("--target-dir")
        .arg(&target_dir);
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
    Ok(target_dir.join(profile))
}

/// A private directory of plugin copies, removed when dropped. Libraries
/// loaded from it stay mapped (the host never unloads), which Unix allows.
pub struct PluginDir {
    path: PathBuf,
}

impl PluginDir {
    /// A new, empty directory.
    pub fn empty() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "seatwise-adapter-tests-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create plugin test directory");
        Self { path }
    }

    /// A directory with a copy of each plugin. Copies get their own inode,
    /// so the dynamic loader maps them afresh instead of reusing a library
    /// another test already loaded.
    pub fn with(plugins: &[Plugin]) -> Self {
        let dir = Self::empty();
        for plugin in plugins {
            dir.add(*plugin, &plugin.file_name());
        }
        dir
    }

    /// Copies `plugin` into the directory under `file_name`.
    pub fn add(&self, plugin: Plugin, file_name: &str) -> PathBuf {
        let target = self.path.join(file_name);
        std::fs::copy(built_plugins_dir().join(plugin.file_name()), &target)
            .unwrap_or_else(|error| panic!("copy {plugin:?}: {error}"));
        target
    }

    /// Writes an arbitrary file into the directory.
    pub fn write(&self, file_name: &str, contents: &[u8]) -> PathBuf {
        let target = self.path.join(file_name);
        std::fs::write(&target, contents).expect("write test file");
        target
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the directory into a registry.
    pub fn load(&self, config: &HostConfig) -> PluginRegistry {
        PluginRegistry::load_dir(&self.path, config).expect("plugin directory is readable")
    }
}

impl Drop for PluginDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A host configuration with short timeouts, for tests.
pub fn fast_config() -> HostConfig {
    HostConfig {
        call_timeout: Duration::from_secs(10),
        load_timeout: Duration::from_secs(10),
        max_abandoned_calls: 2,
    }
}

/// A call context for tenant `tenant-1`, app `app-1`.
pub fn context(settings: serde_json::Value) -> CallContext {
    CallContext {
        tenant_id: "tenant-1".into(),
        app_id: "app-1".into(),
        settings,
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
