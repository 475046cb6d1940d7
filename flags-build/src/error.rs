//! Why a sync fails: one error type for the build script and the `flags` command.

use crate::Diff;

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
