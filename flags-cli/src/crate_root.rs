//! Finding the crate the command runs on.

use std::path::{Path, PathBuf};

/// The directory of `--manifest-path`, or of the nearest `Cargo.toml` with a `[package]` above
/// the current directory.
pub(crate) fn crate_root(manifest_path: Option<&String>) -> Result<PathBuf, String> {
    if let Some(path) = manifest_path {
        let path = Path::new(path);
        if !path.is_file() {
            return Err(format!("`{}` does not exist", path.display()));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        return Ok(if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.to_owned()
        });
    }
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    for dir in cwd.ancestors() {
        let candidate = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&candidate)
            && text.lines().any(|line| line.trim() == "[package]")
        {
            return Ok(dir.to_owned());
        }
    }
    Err(format!(
        "no `Cargo.toml` with a `[package]` in `{}` or above it; run in a crate or give `--manifest-path`",
        cwd.display()
    ))
}
