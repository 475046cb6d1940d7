//! Build-script helper of [`flags`](https://docs.rs/flags): keeps the committed lock file
//! (`flags.lock.json`) in step with the flag service, and hands the macros what they check flag
//! keys and types against, offline and reproducibly. The `flags` command (`flags sync`,
//! `flags check`, ...) is the `flags-cli` crate (`cargo install --path flags-cli`); it runs the
//! same sync through [`Config::sync_lock`] and [`Config::read_lock`].
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
#![warn(missing_docs, unreachable_pub)]
// The examples are build scripts: their `fn main` is what the reader copies.
#![allow(clippy::needless_doctest_main)]

mod config;
mod config_file;
pub mod diff;
mod error;
#[cfg(feature = "http")]
mod fetch;
mod files;
mod gather;
mod merge;
mod source;
#[cfg(feature = "http")]
mod time;

use std::path::{Path, PathBuf};

use flags_schema::Manifest;

pub use config::Config;
pub use diff::Diff;
pub use error::Error;
pub(crate) use files::read_definitions;
pub use source::{DEFAULT_TIMEOUT, FLAGKIT_BASE_URL, FLAGSHIP_BASE_URL, Source};

/// The environment variable that turns on check mode: `1` or `true`.
pub const CHECK_ENV: &str = "FLAGS_CHECK";
/// The environment variable that asks a build to fetch remote sources: `1` or `true`.
pub const SYNC_ENV: &str = "FLAGS_SYNC";
/// The environment variable that forbids the network: `1` or `true`.
pub const OFFLINE_ENV: &str = "FLAGS_OFFLINE";
/// The environment variable that makes an unreachable source an error: `1` or `true`.
pub const STRICT_ENV: &str = "FLAGS_STRICT";

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
