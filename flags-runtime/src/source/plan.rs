//! What every source shares, a leaf its files import: the [`Source`] trait and the plan a
//! source turns into ([`Kind`], [`Options`]), the error strategy.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use flags_schema::Format;

/// A place flag definitions come from: [`file()`](super::file()), [`json()`](super::json()),
/// or `http()`, `flagship()` and `flipt()` (feature `http`).
/// Give one to [`ClientBuilder::in_process`](crate::ClientBuilder::in_process).
///
/// This trait is sealed: the sources are the ones this module builds.
pub trait Source: Send + 'static + sealed::Sealed {
    /// A description for messages: a path, or a URL without credentials.
    fn describe(&self) -> String;
}

pub(crate) mod sealed {
    /// What the provider needs to run a source; not nameable outside the crate.
    pub trait Sealed {
        /// Turns the source into its plan; `Err` for settings that cannot work.
        fn plan(self: Box<Self>) -> Result<Plan, crate::Error>;
    }

    /// How a provider obtains its configuration and keeps it current.
    pub struct Plan {
        pub(crate) describe: String,
        pub(crate) kind: super::Kind,
        pub(crate) options: super::Options,
    }
}

pub(crate) use sealed::Plan;

/// The ways configuration arrives.
pub(crate) enum Kind {
    /// Text given in code.
    Inline(String),
    /// A local file, watched when `watch` is set (with that debounce).
    File {
        path: PathBuf,
        watch: Option<Duration>,
    },
    /// A flag file polled over HTTP.
    #[cfg(feature = "http")]
    Http(Box<super::http::HttpConfig>),
    /// Newline-delimited states read from a long-lived HTTP response, each a whole
    /// configuration; a stream silent for `idle` is presumed dead.
    #[cfg(feature = "http")]
    Stream {
        config: Box<super::http::HttpConfig>,
        idle: Duration,
        /// Reads a line: the configuration's text, or why the line is not one.
        decode: fn(&str) -> Result<String, String>,
    },
}

/// What a live source's provider does while its source fails (after a successful start or
/// not): Flipt's client SDKs' `error_strategy`.
///
/// ```no_run
/// # #[cfg(feature = "http")] {
/// use flags_runtime::source::{self, ErrorStrategy};
/// let source = source::flipt("https://flipt.internal:8080").error_strategy(ErrorStrategy::Fail);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorStrategy {
    /// Keep serving the last good configuration (or the bootstrap or persisted one): reads
    /// answer as before, with reason `STALE` once the provider is `STALE` (after
    /// `stale_after` failures in a row). The default.
    #[default]
    Fallback,
    /// Fail evaluations while the source fails: from the first failed fetch (or rejected
    /// update) until the next success, every read answers the caller's default with
    /// `GENERAL` and why, and the provider is in `ERROR`.
    Fail,
}

/// What every live source can add.
#[derive(Clone)]
pub(crate) struct Options {
    /// Served until the source delivers.
    pub(crate) bootstrap: Option<String>,
    /// Where the last applied configuration is kept.
    pub(crate) persist: Option<PathBuf>,
    /// Consecutive failed refreshes after which the provider is `STALE`.
    pub(crate) stale_after: u32,
    /// The format of what the source delivers (and of its bootstrap and persisted copies);
    /// `None`: detected from each document.
    pub(crate) format: Option<Format>,
    /// What reads answer while the source fails.
    pub(crate) error_strategy: ErrorStrategy,
    /// What answers the flags the engine cannot compile, over OFREP (GO Feature Flag's).
    #[cfg(feature = "http")]
    pub(crate) remote_fallback: Option<crate::remote::FallbackPlan>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            bootstrap: None,
            persist: None,
            stale_after: DEFAULT_STALE_AFTER,
            format: None,
            error_strategy: ErrorStrategy::Fallback,
            #[cfg(feature = "http")]
            remote_fallback: None,
        }
    }
}

/// Consecutive failed refreshes after which a provider reports `STALE`, unless set.
pub const DEFAULT_STALE_AFTER: u32 = 3;

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Options");
        out.field("bootstrap", &self.bootstrap.as_ref().map(|b| b.len()))
            .field("persist", &self.persist)
            .field("stale_after", &self.stale_after)
            .field("format", &self.format)
            .field("error_strategy", &self.error_strategy);
        #[cfg(feature = "http")]
        out.field("remote_fallback", &self.remote_fallback);
        out.finish()
    }
}
