//! ARCHITECTURE.md is the map a new reader starts from, so every module of
//! the core and of the API must be on it. A module counts as named when its
//! section of the map mentions it in backticks, by file (`url.rs`), by path
//! (`db/url.rs`), by module name (`installs`), or when the map names its
//! whole folder (`types/`, "one module per object type").

use std::path::{Path, PathBuf};

/// The crates whose modules must be on the map, with the heading of their
/// section in ARCHITECTURE.md.
const CRATES: [(&str, &str); 2] = [("core", "### `core/`"), ("api", "### `api/`")];

#[test]
fn every_module_of_core_and_api_is_on_the_architecture_map() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let map =
        std::fs::read_to_string(workspace.join("ARCHITECTURE.md")).expect("read ARCHITECTURE.md");
    let mut missing = Vec::new();
    for (krate, heading) in CRATES {
        let section = section(&map, heading);
        let src = workspace.join(krate).join("src");
        for module in modules(&src) {
            if !is_named(section, &module) {
                missing.push(format!("{krate}/src/{module}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules missing from ARCHITECTURE.md's code map (add each to its crate's section, \
         with what it does and its invariants):\n  {}",
        missing.join("\n  ")
    );
}

/// The text of one `###` section: from its heading to the next heading.
fn section<'a>(map: &'a str, heading: &str) -> &'a str {
    let start = map
        .find(heading)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no section {heading}"));
    let rest = &map[start + heading.len()..];
    let end = rest.find("\n#").unwrap_or(rest.len());
    &rest[..end]
}

/// Every `.rs` file under `src`, as a path relative to it with `/` separators.
fn modules(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut folders: Vec<PathBuf> = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).expect("read a source folder");
        for entry in entries {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).expect("under src");
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// Whether `section` names `module` (e.g. `graphql/types/app.rs`).
fn is_named(section: &str, module: &str) -> bool {
    let (folder, file) = match module.rsplit_once('/') {
        Some((folder, file)) => (Some(folder), file),
        None => (None, module),
    };
    // `lib.rs` is the crate itself.
    if folder.is_none() && file == "lib.rs" {
        return true;
    }
    let stem = file.trim_end_matches(".rs");
    let mut names = vec![
        format!("`{module}`"),
        format!("`{file}`"),
        format!("`{stem}`"),
    ];
    if let Some(folder) = folder {
        let last = folder.rsplit('/').next().unwrap_or(folder);
        // `mod.rs` is the folder itself; any file is covered when the map
        // names its whole folder.
        names.push(format!("`{folder}/`"));
        names.push(format!("`{last}/`"));
        names.push(format!("`{folder}/{stem}`"));
        names.push(format!("`{folder}/{file}`"));
    }
    names.iter().any(|name| section.contains(name.as_str()))
}
