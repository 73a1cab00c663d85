//! The plugin crates under `plugins/`, built once per test process, and
//! private plugin directories for servers under test.
//!
//! Same approach as `adapters/host/tests/common`: one `cargo build` of every
//! plugin crate into the test's own target directory and profile, then a
//! fresh copy of each library a test needs in its own folder, so tests
//! neither see each other's files nor depend on order.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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

/// Where the freshly built libraries are; builds them on first use.
pub fn built_plugins_dir() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build_plugins) {
        Ok(dir) => dir,
        Err(error) => panic!("building the test plugins failed:\n{error}"),
    }
}

fn build_plugins() -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace root")?
        .to_path_buf();
    // The test executable lives in `<target>/<profile>/deps/`.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("unexpected test executable location")?;
    let profile = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or("unexpected profile directory name")?;
    let target_dir = profile_dir.parent().ok_or("unexpected target directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
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
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(profile_dir.to_path_buf())
}

/// A private directory of plugin copies, removed when dropped. Servers
/// loaded libraries from it keep them mapped, which Unix allows.
pub struct PluginDir {
    path: PathBuf,
}

impl PluginDir {
    /// A directory with a fresh copy of each of `plugins`.
    pub fn with(plugins: &[Plugin]) -> Self {
        let path = std::env::temp_dir().join(format!(
            "seatwise-e2e-plugins-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&path).expect("create a plugin directory");
        let dir = Self { path };
        for plugin in plugins {
            dir.add(*plugin);
        }
        dir
    }

    /// Copy `plugin` into the directory; the copy's path.
    pub fn add(&self, plugin: Plugin) -> PathBuf {
        let target = self.path.join(plugin.file_name());
        std::fs::copy(built_plugins_dir().join(plugin.file_name()), &target)
            .unwrap_or_else(|e| panic!("copy {plugin:?}: {e}"));
        target
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PluginDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
