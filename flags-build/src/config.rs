//! The options of a sync ([`Config`]), its entry points for a build script and for the `flags`
//! command, and where the crate, its sources and its lock are. The sync itself is in
//! `config/run.rs`.

mod run;

use std::io::Write;
use std::path::{Path, PathBuf};

use flags_schema::{Manifest, OUT_DIR_FILE, OUT_DIR_NAME_FILE};

use crate::files::{read_definitions_text, write_atomic};
use crate::{Error, Source, Synced, config_file};

/// Options of a sync; see the crate docs.
#[derive(Debug, Clone)]
#[must_use]
pub struct Config {
    lock: PathBuf,
    sources: Vec<Source>,
    out_dir: Option<PathBuf>,
    crate_root: Option<PathBuf>,
    check: Option<bool>,
    refresh: Option<bool>,
    offline: Option<bool>,
    strict: Option<bool>,
    cargo_metadata: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The defaults: lock file `flags.lock.json`, the sources of `[package.metadata.flags]`,
    /// `$OUT_DIR`, the crate root from `CARGO_MANIFEST_DIR`, the switches from the environment.
    pub fn new() -> Config {
        Config {
            lock: PathBuf::from(flags_schema::LOCK_FILE),
            sources: Vec::new(),
            out_dir: None,
            crate_root: None,
            check: None,
            refresh: None,
            offline: None,
            strict: None,
            cargo_metadata: true,
        }
    }

    /// The lock file (or, without sources, any definition file to read).
    pub fn lock(mut self, path: impl Into<PathBuf>) -> Config {
        self.lock = path.into();
        self
    }

    /// Adds a source: a [`Source`], or a path (a local definition file). Sources given here
    /// replace those of `[package.metadata.flags]`.
    pub fn source(mut self, source: impl Into<Source>) -> Config {
        self.sources.push(source.into());
        self
    }

    /// Where to write the file the macros read; `$OUT_DIR` by default.
    pub fn out_dir(mut self, path: impl Into<PathBuf>) -> Config {
        self.out_dir = Some(path.into());
        self
    }

    /// The crate root, against which relative paths resolve and where `Cargo.toml` is read;
    /// default `CARGO_MANIFEST_DIR`, else the current directory.
    pub fn crate_root(mut self, path: impl Into<PathBuf>) -> Config {
        self.crate_root = Some(path.into());
        self
    }

    /// Whether to read sources from `[package.metadata.flags]` in the crate's `Cargo.toml` when
    /// none are given with [`Config::source`] (default: yes).
    pub fn cargo_metadata(mut self, read: bool) -> Config {
        self.cargo_metadata = read;
        self
    }

    /// Check mode: compare the lock with the sources and fail on a difference, never write it.
    /// Fetches remote sources (unless offline). Default: `FLAGS_CHECK`.
    pub fn check(mut self, check: bool) -> Config {
        self.check = Some(check);
        self
    }

    /// Sync: read every source (fetching remote ones) and rewrite the lock when its content
    /// changed. Without it the lock is never written: local file sources are read, remote ones
    /// are not, and the lock stands for them. Check mode wins over it. Default: `FLAGS_SYNC`.
    pub fn refresh(mut self, refresh: bool) -> Config {
        self.refresh = Some(refresh);
        self
    }

    /// Forbid the network, even when a refresh or check asks for it. Default: `FLAGS_OFFLINE`,
    /// or Cargo's `--offline` (`CARGO_NET_OFFLINE`).
    pub fn offline(mut self, offline: bool) -> Config {
        self.offline = Some(offline);
        self
    }

    /// Make a source that cannot be reached an error, even when a lock exists. Default:
    /// `FLAGS_STRICT`, or `strict = true` in `[package.metadata.flags]`.
    pub fn strict(mut self, strict: bool) -> Config {
        self.strict = Some(strict);
        self
    }

    /// Runs the sync in a build script: prints Cargo's `rerun-if-*` directives and warnings to
    /// standard output, and writes the file the macros read into `OUT_DIR`.
    pub fn sync(&self) -> Result<Synced, Error> {
        let mut directives = Vec::new();
        let result = self.sync_to(&mut directives);
        // Printed even on error, so that fixing the file re-runs the build script.
        let _ = std::io::stdout().write_all(&directives);
        result
    }

    /// [`Config::sync`], writing Cargo's directives to `directives` instead of standard output.
    pub fn sync_to(&self, directives: &mut dyn Write) -> Result<Synced, Error> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::MissingOutDir)?,
        };
        let mut synced = self.run(Some(directives))?;
        for warning in &synced.warnings {
            for line in warning.lines() {
                let _ = writeln!(directives, "cargo:warning={line}");
            }
        }
        let out_file = out_dir.join(OUT_DIR_FILE);
        let text = synced.manifest.to_lock_string();
        if std::fs::read_to_string(&out_file).ok().as_deref() != Some(text.as_str()) {
            write_atomic(&out_file, &text)?;
        }
        // The name compile errors give the definitions: the crate's file, not this copy.
        let name_file = out_dir.join(OUT_DIR_NAME_FILE);
        if std::fs::read_to_string(&name_file).ok().as_deref() != Some(synced.name.as_str()) {
            write_atomic(&name_file, &synced.name)?;
        }
        synced.out_file = Some(out_file);
        Ok(synced)
    }

    /// The sync without a build script: updates the lock file when asked to
    /// ([`Config::refresh`]), checks it in check mode, else reads it; returns warnings instead
    /// of printing them; nothing is written to `OUT_DIR`. What `flags sync` and `flags check`
    /// run.
    pub fn sync_lock(&self) -> Result<Synced, Error> {
        self.run(None)
    }

    /// The lock file as committed, without reading any source: what `flags check` reports
    /// unused flags against, and what `flags generate` and `flags export` read. Without
    /// sources, the named file is the definitions (a lock, or any importable file). Never
    /// writes anything.
    pub fn read_lock(&self) -> Result<Manifest, Error> {
        read_committed(&self.setup()?)
    }

    /// Where the crate, its sources and its lock are: from the builder, else `Cargo.toml`.
    fn setup(&self) -> Result<Setup, Error> {
        let root = self
            .crate_root
            .clone()
            .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from));
        // The sources: given in code, else `[package.metadata.flags]`.
        let file_config = match (&root, self.cargo_metadata && self.sources.is_empty()) {
            (Some(root), true) => config_file::read(root)?,
            _ => None,
        };
        let (sources, file_strict) = match &file_config {
            Some(config) if self.sources.is_empty() => (config.sources.clone(), config.strict),
            _ => (self.sources.clone(), None),
        };
        let lock_written_as = match &file_config {
            Some(config)
                if config.lock.is_some() && self.lock == Path::new(flags_schema::LOCK_FILE) =>
            {
                config.lock.clone().unwrap_or_default()
            }
            _ => self.lock.clone(),
        };
        let lock_path = match &root {
            Some(root) if lock_written_as.is_relative() => root.join(&lock_written_as),
            _ => lock_written_as.clone(),
        };
        Ok(Setup {
            cargo_toml: root
                .as_ref()
                .filter(|_| file_config.is_some())
                .map(|root| root.join("Cargo.toml")),
            root,
            sources,
            file_strict,
            lock_name: lock_written_as.display().to_string(),
            lock_written_as,
            lock_path,
        })
    }
}

/// Where the crate, its sources and its lock are.
struct Setup {
    root: Option<PathBuf>,
    /// `Cargo.toml`, when its `[package.metadata.flags]` was read.
    cargo_toml: Option<PathBuf>,
    sources: Vec<Source>,
    file_strict: Option<bool>,
    /// The lock as the user names it, relative to the crate root.
    lock_written_as: PathBuf,
    lock_name: String,
    lock_path: PathBuf,
}

/// The lock as committed (without sources: the named definition file), read and nothing else.
fn read_committed(setup: &Setup) -> Result<Manifest, Error> {
    let text = match std::fs::read_to_string(&setup.lock_path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let hint = if setup.sources.is_empty() {
                "configure a source in `[package.metadata.flags]` of `Cargo.toml` (or with \
                 `Config::source`) and run `flags sync` to create it, then commit it"
            } else {
                "run `flags sync` in the crate (or the build with `FLAGS_SYNC=1`) to create it \
                 from the sources in `Cargo.toml`, then commit it"
            };
            return Err(Error::MissingLock {
                lock: setup.lock_name.clone(),
                hint: hint.to_owned(),
            });
        }
        Err(source) => {
            return Err(flags_schema::Error::Io {
                path: setup.lock_name.clone(),
                source,
            }
            .into());
        }
    };
    if setup.sources.is_empty() {
        read_definitions_text(&text, &setup.lock_path, &setup.lock_written_as)
    } else {
        Ok(Manifest::from_lock_str(&text, &setup.lock_name)?)
    }
}
