//! Build-script helper of [`flags`](https://docs.rs/flags): makes the flag definitions
//! available to the macros at compile time, offline and reproducibly.
//!
//! The common case is one line in `build.rs`:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     flags_build::sync("flags.lock.json").unwrap();
//! }
//! ```
//!
//! [`sync`] reads the named file (a lock file, or any definition file `flags-schema` imports:
//! a flagd `flags.json`, an OpenFeature CLI manifest), validates it, writes what the macros
//! read to `$OUT_DIR/flags.lock.json`, and tells Cargo to re-run when the file changes.
//!
//! [`Config`] does the rest: import a definition file into a committed lock file (written only
//! when it changes, atomically), or, in CI, fail when the lock is out of date:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     flags_build::Config::new()
//!         .source("flags.json")        // the definitions, as the flag service exports them
//!         .lock("flags.lock.json")     // committed; refreshed when `flags.json` changes
//!         .sync()
//!         .unwrap();
//! }
//! ```
//!
//! With `FLAGS_CHECK=1` in the environment (or [`Config::check`]) the lock is compared, never
//! written, and a difference is an error.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The examples are build scripts: their `fn main` is what the reader copies.
#![allow(clippy::needless_doctest_main)]

#[cfg(feature = "cli")]
pub mod scan;

use std::io::Write;
use std::path::{Path, PathBuf};

use flags_schema::{Manifest, OUT_DIR_FILE};

/// The environment variable that turns on check mode: `1` or `true`.
pub const CHECK_ENV: &str = "FLAGS_CHECK";

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `OUT_DIR` is not set and no output directory was given.
    #[error(
        "`OUT_DIR` is not set: `flags_build::sync` is meant to run in a build script (build.rs); elsewhere, give the directory with `Config::out_dir`"
    )]
    MissingOutDir,
    /// A definition or lock file could not be read or is invalid.
    #[error("{0}")]
    Schema(#[from] flags_schema::Error),
    /// A file could not be written.
    #[error("could not write `{path}`: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Check mode found a lock file that differs from the definitions.
    #[error(
        "`{lock}` is out of date with `{source_file}`; run the build without `{CHECK_ENV}` to update it, then commit it"
    )]
    Stale {
        /// The lock file.
        lock: String,
        /// The definition file.
        source_file: String,
    },
    /// Check mode found no lock file.
    #[error(
        "`{lock}` does not exist; run the build without `{CHECK_ENV}` to create it, then commit it"
    )]
    MissingLock {
        /// The lock file.
        lock: String,
    },
}

/// What a sync did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Synced {
    /// The definitions the macros will read.
    pub manifest: Manifest,
    /// The file written for the macros (`$OUT_DIR/flags.lock.json`).
    pub out_file: PathBuf,
    /// Whether the committed lock file was (re)written.
    pub lock_written: bool,
}

/// Reads `path` (a lock file or any importable definition file) and writes what the macros read
/// into `OUT_DIR`. Relative paths are relative to the crate root.
pub fn sync(path: impl AsRef<Path>) -> Result<Synced, Error> {
    Config::new().lock(path.as_ref()).sync()
}

/// Options of a sync; see the crate docs.
#[derive(Debug, Clone)]
#[must_use]
pub struct Config {
    lock: PathBuf,
    source: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    check: Option<bool>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The defaults: lock file `flags.lock.json`, no source, `$OUT_DIR`, check mode from
    /// `FLAGS_CHECK`.
    pub fn new() -> Config {
        Config {
            lock: PathBuf::from(flags_schema::LOCK_FILE),
            source: None,
            out_dir: None,
            check: None,
        }
    }

    /// The lock file (or, without [`Config::source`], any definition file to read).
    pub fn lock(mut self, path: impl Into<PathBuf>) -> Config {
        self.lock = path.into();
        self
    }

    /// A local definition file to import into the lock file.
    pub fn source(mut self, path: impl Into<PathBuf>) -> Config {
        self.source = Some(path.into());
        self
    }

    /// Where to write the file the macros read; `$OUT_DIR` by default.
    pub fn out_dir(mut self, path: impl Into<PathBuf>) -> Config {
        self.out_dir = Some(path.into());
        self
    }

    /// Check mode: compare the lock with the source and fail on a difference, never write it.
    /// Default: on when `FLAGS_CHECK` is `1` or `true`.
    pub fn check(mut self, check: bool) -> Config {
        self.check = Some(check);
        self
    }

    /// Runs the sync, printing Cargo's `rerun-if-*` directives to standard output.
    pub fn sync(&self) -> Result<Synced, Error> {
        let mut directives = Vec::new();
        let result = self.sync_to(&mut directives);
        // Printed even on error, so that fixing the file re-runs the build script.
        let _ = std::io::stdout().write_all(&directives);
        result
    }

    /// Runs the sync, writing Cargo's directives to `directives` instead of standard output.
    pub fn sync_to(&self, directives: &mut dyn Write) -> Result<Synced, Error> {
        let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        let resolve = |p: &Path| match &root {
            Some(root) if p.is_relative() => root.join(p),
            _ => p.to_owned(),
        };
        let lock_path = resolve(&self.lock);
        let check = self.check.unwrap_or_else(|| {
            std::env::var(CHECK_ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
        });
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::MissingOutDir)?,
        };
        let _ = writeln!(directives, "cargo:rerun-if-env-changed={CHECK_ENV}");
        let _ = writeln!(directives, "cargo:rerun-if-changed={}", lock_path.display());

        let (manifest, lock_written) = match &self.source {
            None => (read(&lock_path, &self.lock)?, false),
            Some(source) => {
                let source_path = resolve(source);
                let _ = writeln!(
                    directives,
                    "cargo:rerun-if-changed={}",
                    source_path.display()
                );
                let manifest = read(&source_path, source)?;
                let text = manifest.to_lock_string();
                let current = std::fs::read_to_string(&lock_path).ok();
                let written = match current {
                    // Line endings may be rewritten by a checkout (CRLF on Windows).
                    Some(current) if current.replace("\r\n", "\n") == text => false,
                    None if check => {
                        return Err(Error::MissingLock {
                            lock: self.lock.display().to_string(),
                        });
                    }
                    Some(_) if check => {
                        return Err(Error::Stale {
                            lock: self.lock.display().to_string(),
                            source_file: source.display().to_string(),
                        });
                    }
                    _ => {
                        write_atomic(&lock_path, &text)?;
                        true
                    }
                };
                (manifest, written)
            }
        };

        let out_file = out_dir.join(OUT_DIR_FILE);
        let text = manifest.to_lock_string();
        if std::fs::read_to_string(&out_file).ok().as_deref() != Some(text.as_str()) {
            write_atomic(&out_file, &text)?;
        }
        Ok(Synced {
            manifest,
            out_file,
            lock_written,
        })
    }
}

/// Reads any importable file. The provenance of an imported definition file names it as
/// written (relative), not by the machine's absolute path, so that a committed lock file is the
/// same on every machine. A lock file keeps the provenance it carries: its `format` is that of
/// the file it was imported from (never `Format::Lock`), so a lock is recognised by parsing it
/// as one.
fn read(path: &Path, written: &Path) -> Result<Manifest, Error> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| flags_schema::Error::Io {
        path: origin.clone(),
        source,
    })?;
    if let Ok(lock) = Manifest::from_lock_str(&text, &origin) {
        return Ok(lock);
    }
    let mut manifest = flags_schema::import_str(&text, &origin)?;
    if let Some(provenance) = manifest.source.as_mut() {
        provenance.location = Some(written.display().to_string());
    }
    Ok(manifest)
}

/// Writes through a temporary file in the same directory and renames it into place, so that a
/// reader never sees half a file.
fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
    let fail = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}
