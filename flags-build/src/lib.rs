//! Build-script helper and command-line tool of [`flags`](https://docs.rs/flags): keeps the
//! committed lock file (`flags.lock.json`) in step with the flag service, and hands the macros
//! what they check flag keys and types against, offline and reproducibly.
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
//! and the sources in `Cargo.toml`, shared by the build script and the `flags` command:
//!
//! ```toml
//! [package.metadata.flags]
//! sources = [
//!     { kind = "url", url = "https://config.example.com/flags.json", token-env = "FLAGS_TOKEN" },
//! ]
//! ```
//!
//! # Offline by default
//!
//! A build reads the committed lock and never touches the network, and only a sync writes the
//! lock. Local file sources are re-read on every build (that needs no network): when they
//! differ from the lock, the build uses them, warns with the difference, and leaves the lock as
//! it is for `flags sync` to update. Remote sources are fetched only when asked:
//!
//! | asked by | effect |
//! | --- | --- |
//! | `flags sync` | fetch every source, rewrite the lock when its content changed |
//! | `FLAGS_SYNC=1` in a build | as `flags sync`, on every build while it is set |
//! | `flags check`, or `FLAGS_CHECK=1` in a build | fetch every source, fail when the lock differs (never write it) |
//! | a build, `flags generate`, `flags export` | read the lock (never write it); a build re-reads local file sources |
//! | `FLAGS_OFFLINE=1` (or Cargo's `--offline`) | forbid the network even when asked: the lock is used |
//! | `FLAGS_STRICT=1` | a source that cannot be reached is an error instead of a warning |
//!
//! A remote source that cannot be reached while a lock exists is a warning (`cargo:warning`)
//! and the lock is used as it is; without a lock it is an error naming the command that
//! creates one.
//!
//! # Sources
//!
//! See [`Source`]: local files (flagd, OpenFeature CLI manifest, a lock), a flag file over
//! HTTP(S), the OpenFeature manifest API, an OFREP bulk evaluation, a Flipt namespace snapshot,
//! a GO Feature Flag relay proxy, Cloudflare Flagship. Several sources are merged; a key
//! defined twice with different types is an error. Credentials are read from environment
//! variables the configuration names, only when a source is fetched; they never reach the lock,
//! logs, `Debug` output or error messages.
//!
//! # The lock file
//!
//! Pretty JSON with sorted keys and a trailing newline: a format version, the content hash of
//! the definitions, and per source its kind, its location without credentials and when it was
//! fetched. It is rewritten (atomically) only when the definitions or the sources change, so a
//! sync that finds nothing new leaves it, and its fetch time, alone.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The examples are build scripts: their `fn main` is what the reader copies.
#![allow(clippy::needless_doctest_main)]

mod config_file;
pub mod diff;
#[cfg(feature = "http")]
mod fetch;
#[cfg(feature = "cli")]
mod generate;
mod merge;
#[cfg(feature = "cli")]
pub mod scan;
mod source;
#[cfg(feature = "http")]
mod time;

use std::io::Write;
use std::path::{Path, PathBuf};

use flags_schema::{Manifest, OUT_DIR_FILE, OUT_DIR_NAME_FILE};

pub use diff::Diff;
#[cfg(feature = "cli")]
pub use generate::generate;
pub use source::{DEFAULT_TIMEOUT, FLAGSHIP_BASE_URL, Source};

/// The environment variable that turns on check mode: `1` or `true`.
pub const CHECK_ENV: &str = "FLAGS_CHECK";
/// The environment variable that asks a build to fetch remote sources: `1` or `true`.
pub const SYNC_ENV: &str = "FLAGS_SYNC";
/// The environment variable that forbids the network: `1` or `true`.
pub const OFFLINE_ENV: &str = "FLAGS_OFFLINE";
/// The environment variable that makes an unreachable source an error: `1` or `true`.
pub const STRICT_ENV: &str = "FLAGS_STRICT";

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
    /// Check mode found a lock file that differs from the sources.
    #[error(
        "`{lock}` is out of date with its sources:\n{diff}run `flags sync` (or the build with `FLAGS_SYNC=1`) to update it, then commit it"
    )]
    Drift {
        /// The lock file.
        lock: String,
        /// What differs.
        diff: Diff,
    },
    /// No lock file, and nothing to create it from in this build.
    #[error("`{lock}` does not exist; {hint}")]
    MissingLock {
        /// The lock file.
        lock: String,
        /// What creates it.
        hint: String,
    },
    /// A remote source could not be fetched, or its answer could not be used.
    #[error("{source_name}: {message}")]
    Fetch {
        /// The source, without credentials.
        source_name: String,
        /// What went wrong, without credentials.
        message: String,
        /// Whether the source could not be reached (a transport error or an error status),
        /// which is a warning when a lock exists, rather than a bad answer.
        unreachable: bool,
    },
    /// A source is configured wrongly.
    #[error("{source_name}: {message}")]
    InvalidSource {
        /// The source.
        source_name: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An environment variable a source reads is not set.
    #[error("`{var}` is not set; it holds {what}")]
    MissingEnv {
        /// The variable.
        var: String,
        /// What it holds.
        what: String,
    },
    /// `[package.metadata.flags]` in `Cargo.toml` is invalid.
    #[error("`{path}`: {message}")]
    Config {
        /// The `Cargo.toml`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Two sources define one key with different types.
    #[error(
        "flag `{key}` is {first_type} in {first} but {second_type} in {second}; a key must have one type in every source"
    )]
    Conflict {
        /// The flag.
        key: String,
        /// The first source defining it.
        first: String,
        /// Its type there.
        first_type: flags_schema::FlagType,
        /// The other source.
        second: String,
        /// Its type there.
        second_type: flags_schema::FlagType,
    },
    /// A remote source is configured, but this build of `flags-build` has no `http` feature.
    #[error(
        "{source_name} needs the network, but `flags-build` was built without its `http` feature; enable it"
    )]
    NoHttp {
        /// The source.
        source_name: String,
    },
}

/// What a sync did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Synced {
    /// The definitions the macros will read: the lock as it now is, or, in a build whose local
    /// file sources differ from the lock, what they define.
    pub manifest: Manifest,
    /// The file written for the macros (`$OUT_DIR/flags.lock.json`, and beside it
    /// `flags.lock.name` with the name messages give it: the lock as the crate names it, or the
    /// file sources read instead); `None` from [`Config::sync_lock`].
    pub out_file: Option<PathBuf>,
    /// Whether the committed lock file was (re)written.
    pub lock_written: bool,
    /// Whether it did not exist before.
    pub lock_created: bool,
    /// Whether remote sources were fetched.
    pub fetched: bool,
    /// What went wrong but did not fail the sync (an unreachable source while a lock exists);
    /// printed as `cargo:warning` by [`Config::sync`].
    pub warnings: Vec<String>,
    /// What changed in the lock (empty when nothing did).
    pub diff: Diff,
    /// The name messages give these definitions: the lock as the crate names it, or the file
    /// sources they were read from when a build uses those instead of the lock.
    name: String,
}

impl Synced {
    /// Definitions read (from the lock or the sources) with nothing written.
    fn read(manifest: Manifest, fetched: bool, warnings: Vec<String>, name: String) -> Synced {
        Synced {
            manifest,
            out_file: None,
            lock_written: false,
            lock_created: false,
            fetched,
            warnings,
            diff: Diff::default(),
            name,
        }
    }
}

/// Reads the lock at `path` (or any importable definition file) and the sources configured in
/// `Cargo.toml`, and writes what the macros read into `OUT_DIR`. Relative paths are relative
/// to the crate root. See the crate docs for when the network is used.
pub fn sync(path: impl AsRef<Path>) -> Result<Synced, Error> {
    Config::new().lock(path.as_ref()).sync()
}

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

    fn run(&self, mut directives: Option<&mut dyn Write>) -> Result<Synced, Error> {
        let in_build_script = directives.is_some();
        let mut directive = |line: String| {
            if let Some(out) = directives.as_mut() {
                let _ = writeln!(out, "{line}");
            }
        };
        for var in [CHECK_ENV, SYNC_ENV, OFFLINE_ENV, STRICT_ENV] {
            directive(format!("cargo:rerun-if-env-changed={var}"));
        }
        let setup = self.setup()?;
        if let Some(cargo_toml) = &setup.cargo_toml {
            directive(format!("cargo:rerun-if-changed={}", cargo_toml.display()));
        }
        directive(format!(
            "cargo:rerun-if-changed={}",
            setup.lock_path.display()
        ));
        let Setup {
            root,
            sources,
            file_strict,
            lock_name,
            lock_path,
            ..
        } = &setup;
        let lock_name = lock_name.clone();

        let check = self.check.unwrap_or_else(|| env_flag(CHECK_ENV));
        let refresh = self.refresh.unwrap_or_else(|| env_flag(SYNC_ENV));
        let offline = self
            .offline
            .unwrap_or_else(|| env_flag(OFFLINE_ENV) || env_flag("CARGO_NET_OFFLINE"));
        let strict = self
            .strict
            .or(*file_strict)
            .unwrap_or_else(|| env_flag(STRICT_ENV));

        // Without sources: the named file is the definitions (a lock, or any importable file).
        if sources.is_empty() {
            return Ok(Synced::read(
                read_committed(&setup)?,
                false,
                Vec::new(),
                lock_name,
            ));
        }

        for source in sources {
            if let Some(path) = source.file_path(root.as_deref()) {
                directive(format!("cargo:rerun-if-changed={}", path.display()));
            }
        }
        let remote = sources.iter().any(Source::is_remote);
        let wants_network = remote && (refresh || check);
        if wants_network && !offline && in_build_script && refresh {
            // Asked to refresh in a build: re-run on every build while it is asked, since
            // nothing Cargo tracks says when the service changed.
            directive(format!(
                "cargo:rerun-if-changed={}",
                lock_path.with_extension("always-refresh").display()
            ));
        }
        let current_text = match std::fs::read_to_string(lock_path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(flags_schema::Error::Io {
                    path: lock_name,
                    source,
                }
                .into());
            }
        };
        let mut warnings = Vec::new();
        let parsed = current_text
            .as_deref()
            .map(|text| Manifest::from_lock_str(text, &lock_name))
            .transpose();
        let will_read_sources = !remote || (wants_network && !offline);
        // Only a sync writes the lock: `flags sync`, or a build with `FLAGS_SYNC`. A check, a
        // plain build and the commands that read the lock compare or read, never write.
        let may_write = refresh && !check;
        let current = match parsed {
            Ok(current) => current,
            // A lock that cannot be read (an older format, a bad merge) is replaced by a sync;
            // a build not asked to sync reads the sources instead.
            Err(error) if will_read_sources && !check => {
                warnings.push(if may_write {
                    format!("{error}\nit is replaced with what the sources define")
                } else {
                    format!(
                        "{error}\nthis build reads its sources instead: run `flags sync` (or the \
                         build with `FLAGS_SYNC=1`) to replace it, then commit it"
                    )
                });
                None
            }
            Err(error) => return Err(error.into()),
        };

        // Remote sources not fetched: the lock is used as it is.
        if remote && (!wants_network || offline) {
            let Some(current) = current else {
                let hint = if wants_network {
                    format!(
                        "the network is forbidden (`{OFFLINE_ENV}` or Cargo's `--offline`); run \
                         `flags sync` where the sources can be reached, then commit it"
                    )
                } else {
                    "run `flags sync` in the crate (or the build with `FLAGS_SYNC=1`) to create \
                     it from the sources in `Cargo.toml`, then commit it"
                        .to_owned()
                };
                return Err(Error::MissingLock {
                    lock: lock_name,
                    hint,
                });
            };
            if wants_network {
                let message =
                    format!("offline: `{lock_name}` was not compared with its remote sources");
                if strict && check {
                    return Err(Error::Fetch {
                        source_name: lock_name,
                        message: "check mode needs the network, which is forbidden".to_owned(),
                        unreachable: true,
                    });
                }
                warnings.push(message);
            }
            return Ok(Synced::read(current, false, warnings, lock_name));
        }

        // Every source is read: files from disk, remote ones over the network.
        let gathered = match gather(sources, root.as_deref()) {
            Ok(gathered) => gathered,
            Err(error) => {
                let unreachable = matches!(
                    error,
                    Error::Fetch {
                        unreachable: true,
                        ..
                    }
                );
                match current {
                    Some(current) if unreachable && !strict => {
                        warnings.push(format!(
                            "{error}\n`{lock_name}` is used as it is (set `{STRICT_ENV}=1` to make this an error)"
                        ));
                        return Ok(Synced::read(current, false, warnings, lock_name));
                    }
                    None if unreachable => {
                        return Err(Error::MissingLock {
                            lock: lock_name,
                            hint: format!(
                                "it is created from its sources, and {error}; fix the source and run `flags sync` again"
                            ),
                        });
                    }
                    _ => return Err(error),
                }
            }
        };
        let fresh = merge::merge(gathered, &mut warnings)?;

        // Written only when the definitions or the sources changed: a fetch time alone is no
        // change.
        let diff = match &current {
            Some(current) => Diff::between(current, &fresh),
            None => Diff::between(&Manifest::new(), &fresh),
        };
        let unchanged = current
            .as_ref()
            .is_some_and(|current| same_but_fetch_times(current, &fresh));
        if unchanged {
            let current = current.unwrap_or_default();
            // Line endings may be rewritten by a checkout (CRLF on Windows); the text is kept.
            return Ok(Synced::read(current, remote, warnings, lock_name));
        }
        if check {
            return Err(match current {
                None => Error::MissingLock {
                    lock: lock_name,
                    hint: "run `flags sync` (or the build without `FLAGS_CHECK`) to create it, \
                           then commit it"
                        .to_owned(),
                },
                Some(_) => Error::Drift {
                    lock: lock_name,
                    diff,
                },
            });
        }
        if !may_write {
            // A build not asked to sync never writes the lock. Its sources are local files
            // here (remote ones are only read when asked), so the macros see them as they are
            // now, and the difference from the lock is a warning: `flags sync` updates it.
            match &current {
                Some(_) => warnings.push(drift_warning(&lock_name, &diff)),
                None if current_text.is_none() => warnings.push(format!(
                    "`{lock_name}` does not exist; this build reads its sources instead: run \
                     `flags sync` (or the build with `FLAGS_SYNC=1`) to create it, then commit it"
                )),
                // Unreadable: said above.
                None => {}
            }
            let name = sources
                .iter()
                .filter_map(|source| source.recorded_location(None))
                .collect::<Vec<_>>()
                .join(", ");
            return Ok(Synced::read(fresh, remote, warnings, name));
        }
        let text = fresh.to_lock_string();
        if current_text.as_deref().map(|t| t.replace("\r\n", "\n")) != Some(text.clone()) {
            write_atomic(lock_path, &text)?;
        }
        Ok(Synced {
            manifest: fresh,
            out_file: None,
            lock_written: true,
            lock_created: current_text.is_none(),
            fetched: remote,
            warnings,
            diff,
            name: lock_name,
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

/// The warning of a build that finds the lock out of date with its sources: the first
/// changes, and the command that updates it.
fn drift_warning(lock: &str, diff: &Diff) -> String {
    const SHOWN: usize = 10;
    let text = diff.to_string();
    let mut out = format!("`{lock}` differs from its sources, which this build reads instead:\n");
    for line in text.lines().take(SHOWN) {
        out.push_str(line);
        out.push('\n');
    }
    let more = text.lines().count().saturating_sub(SHOWN);
    if more > 0 {
        out.push_str(&format!("  … and {more} more\n"));
    }
    out.push_str(
        "run `flags sync` (or the build with `FLAGS_SYNC=1`) to update it, then commit it",
    );
    out
}

/// One imported manifest per source, in order, each with its provenance.
fn gather(sources: &[Source], root: Option<&Path>) -> Result<Vec<(String, Manifest)>, Error> {
    let mut fetched_at: Option<String> = None;
    #[cfg(feature = "http")]
    let mut answers = {
        let remote: Vec<&Source> = sources.iter().filter(|s| s.is_remote()).collect();
        if !remote.is_empty() {
            fetched_at = Some(time::now_rfc3339());
        }
        fetch::fetch_all(&remote).into_iter()
    };
    let mut out = Vec::with_capacity(sources.len());
    for source in sources {
        let name = source.to_string();
        if !source.is_remote() {
            let mut manifest = source.read_file(root)?;
            for provenance in &mut manifest.sources {
                if provenance.kind == flags_schema::SourceKind::File {
                    provenance.location = source.recorded_location(None);
                }
            }
            out.push((name, manifest));
            continue;
        }
        #[cfg(not(feature = "http"))]
        {
            let _ = &mut fetched_at;
            return Err(Error::NoHttp { source_name: name });
        }
        #[cfg(feature = "http")]
        {
            let answer = answers
                .next()
                .unwrap_or_else(|| unreachable!("one answer per remote source"))?;
            let origin = source
                .recorded_location(Some(&answer.url))
                .unwrap_or_else(|| name.clone());
            let detected = flags_schema::Format::detect(&answer.document);
            if let (Some(expected), Some(found)) = (source.expected_format(), detected)
                && expected != found
                && found != flags_schema::Format::Lock
            {
                return Err(Error::Fetch {
                    source_name: name,
                    message: format!(
                        "expected a {expected} document, but the answer looks like {found}"
                    ),
                    unreachable: false,
                });
            }
            let mut manifest = match source.expected_format() {
                Some(format) => flags_schema::import_as(format, &answer.document, &origin),
                None => flags_schema::import(&answer.document, &origin),
            }
            .map_err(|error| Error::Fetch {
                source_name: name.clone(),
                // The source's name says where the document came from.
                message: error.without_origin().to_string(),
                unreachable: false,
            })?;
            let format = manifest
                .sources
                .first()
                .map_or(detected.unwrap_or(flags_schema::Format::Lock), |p| p.format);
            manifest.sources = vec![flags_schema::Provenance {
                kind: source.kind(),
                format,
                location: Some(origin),
                fetched_at: fetched_at.clone(),
            }];
            out.push((name, manifest));
        }
    }
    Ok(out)
}

/// Whether two manifests differ in nothing but their sources' fetch times.
fn same_but_fetch_times(a: &Manifest, b: &Manifest) -> bool {
    let strip = |m: &Manifest| {
        let mut m = m.clone();
        for source in &mut m.sources {
            source.fetched_at = None;
        }
        m
    };
    strip(a) == strip(b)
}

fn env_flag(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Reads any importable file. The provenance of an imported definition file names it as
/// written (relative), not by the machine's absolute path, so that a committed lock file is the
/// same on every machine. A lock file keeps the provenance it carries.
pub(crate) fn read_definitions(path: &Path, written: &Path) -> Result<Manifest, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| flags_schema::Error::Io {
        path: written.display().to_string(),
        source,
    })?;
    read_definitions_text(&text, path, written)
}

/// [`read_definitions`] of text already read.
fn read_definitions_text(text: &str, path: &Path, written: &Path) -> Result<Manifest, Error> {
    let origin = path.display().to_string();
    if let Ok(lock) = Manifest::from_lock_str(text, &origin) {
        return Ok(lock);
    }
    let mut manifest = flags_schema::import_str(text, &written.display().to_string())?;
    for provenance in &mut manifest.sources {
        provenance.location = Some(written.display().to_string());
    }
    Ok(manifest)
}

/// Writes through a temporary file in the same directory and renames it into place, so that a
/// reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
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
