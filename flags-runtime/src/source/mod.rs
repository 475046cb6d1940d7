//! Where in-process configuration comes from, and how it is kept current.
//!
//! | source | loads | then |
//! | --- | --- | --- |
//! | [`file()`] | in `build()`, synchronously | watched: every change is applied (debounced) |
//! | [`json()`] | in `build()`, synchronously | fixed |
//! | `http()` (feature `http`) | in the background; `build()` returns at once | polled with `If-None-Match` |
//! | `flagship()` (feature `http`) | Cloudflare Flagship's definitions, in the background | polled with `If-None-Match` |
//! | `flipt()` (feature `http`) | a Flipt namespace snapshot, in the background | polled with `If-None-Match`, or streamed |
//! | `go_feature_flag()` (feature `http`) | a GO Feature Flag relay's configuration, in the background | polled (`POST`) with `If-None-Match` |
//!
//! Every source reads any format the runtime knows: the format is detected from the document
//! when its shape says it (flagd, OpenFeature CLI manifest, lock file, ...), or set with
//! `.format(..)` ([`Format`]), which its bootstrap and persisted copies are read in too.
//! Cloudflare Flagship definitions always need it, with the account id that seeds their
//! rollouts:
//!
//! ```no_run
//! let client = flags_runtime::Client::builder()
//!     .in_process(flags_runtime::source::file("definitions.json")
//!         .format(flags_runtime::Format::Flagship { account_id: "my-account".into() }))
//!     .build()?;
//! # Ok::<(), flags_runtime::Error>(())
//! ```
//!
//! Read without it, Flagship definitions fail to load ([`Error::Load`],
//! whose problem is [`LoadProblem::AccountIdRequired`](crate::LoadProblem::AccountIdRequired)), and the
//! configuration served stays. In Flagship definitions a flag whose own definition is broken
//! (no variations, a default variation that names none) answers `PARSE_ERROR` while the
//! others serve, with a warning as below.
//!
//! A Flipt namespace snapshot (the server's document, or the snapshot Flipt's client engine
//! exports, as JSON or base64) is evaluated with its rules given the namespace:
//! `.format(Format::Flipt { namespace: "checkout".into() })`; detected without it, its flags
//! serve their defaults.
//! A GO Feature Flag configuration (the relay's answer, or a flag file in JSON, YAML with the
//! `yaml` feature, or TOML with the `toml` feature) is detected, or read as such with
//! `.format(Format::GoFeatureFlag)`; each flag is evaluated as GO Feature Flag's engine does.
//!
//! Every source can start from a [bootstrap](FileSource::bootstrap) configuration given in code
//! and can [persist](FileSource::persist) the last configuration it applied, so that a restart
//! while the source is down serves that configuration (reason `STALE`) instead of defaults.
//! [`Client::snapshot`](crate::Client::snapshot) returns the configuration served, as a
//! document the same source accepts back as its bootstrap.
//! A flagd file loads whenever flagd loads it: a targeting rule with a malformed operator call
//! evaluates as in flagd, a flag whose rule cannot be evaluated answers `PARSE_ERROR` while the
//! others serve, and each such problem is a warning, logged and carried by the `READY` /
//! `CONFIGURATION_CHANGED` event ([`EventDetails::warnings`](crate::EventDetails::warnings)).
//! An update that cannot be read or compiled (what flagd rejects too: not JSON, an unknown
//! `state`, a `defaultVariant` that names no variant) is rejected whole: the configuration
//! served stays, and a `PROVIDER_ERROR` event says why.
//! [`Client::refresh`](crate::Client::refresh) reloads on demand.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;
pub use flags_schema::Format;

#[cfg(feature = "http")]
mod flagship;
#[cfg(feature = "http")]
mod flipt;
#[cfg(feature = "http")]
mod go_feature_flag;
#[cfg(feature = "http")]
pub(crate) mod http;
mod plan;

#[cfg(feature = "http")]
pub use flagship::{DEFAULT_REFRESH_INTERVAL, FlagshipSource, MAX_REFRESH_INTERVAL, flagship};
#[cfg(feature = "http")]
pub use flipt::{FliptSource, flipt};
#[cfg(feature = "http")]
pub use go_feature_flag::{
    DEFAULT_POLL_INTERVAL, DEFAULT_RELAY_TIMEOUT, GoFeatureFlagSource, go_feature_flag,
};
#[cfg(feature = "http")]
pub use http::{DEFAULT_INTERVAL, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, HttpSource, http};
pub use plan::{DEFAULT_STALE_AFTER, ErrorStrategy, Source};
pub(crate) use plan::{Kind, Options, Plan, sealed};

/// How long a watched file must stay quiet after a change before it is read, unless set.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(50);

/// A local flag file: a flagd flag-definition file, an OpenFeature CLI manifest, a lock file or
/// any other format the runtime knows, detected from its contents or set with
/// [`FileSource::format`]. It is read when the client is built (an unreadable or invalid
/// file fails `build()`, unless a [bootstrap](FileSource::bootstrap) or a
/// [persisted](FileSource::persist) configuration can serve meanwhile), then watched: each
/// change is applied once the file has been quiet for a moment, including editors that save
/// by writing a new file and renaming it over the old one.
///
/// ```no_run
/// let client = flags_runtime::Client::builder()
///     .in_process(flags_runtime::source::file("flags.json"))
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn file(path: impl Into<PathBuf>) -> FileSource {
    FileSource {
        path: path.into(),
        watch: Some(DEFAULT_DEBOUNCE),
        options: Options::default(),
    }
}

/// Flag definitions in a local file; see [`file()`].
#[derive(Clone)]
#[must_use]
pub struct FileSource {
    path: PathBuf,
    watch: Option<Duration>,
    options: Options,
}

impl FileSource {
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is watched for changes (the default) or read only when the client is
    /// built and on [`Client::refresh`](crate::Client::refresh).
    ///
    /// ```no_run
    /// let source = flags_runtime::source::file("flags.json").watch(false);
    /// ```
    pub fn watch(mut self, watch: bool) -> FileSource {
        self.watch = watch.then(|| self.watch.unwrap_or(DEFAULT_DEBOUNCE));
        self
    }

    /// How long the file must stay unchanged after a change before it is read
    /// (default [`DEFAULT_DEBOUNCE`]), so that a save in several writes is read once, whole.
    pub fn debounce(mut self, quiet: Duration) -> FileSource {
        if self.watch.is_some() {
            self.watch = Some(quiet);
        }
        self
    }

    /// A configuration (any importable JSON format) served when the file cannot be read at
    /// start, until it can.
    pub fn bootstrap(mut self, json: impl Into<String>) -> FileSource {
        self.options.bootstrap = Some(json.into());
        self
    }

    /// Keeps a copy of each configuration applied in `path` (written atomically), and serves
    /// that copy (reason `STALE`) when the file cannot be read at start.
    pub fn persist(mut self, path: impl Into<PathBuf>) -> FileSource {
        self.options.persist = Some(path.into());
        self
    }

    /// After how many consecutive failed reads the provider reports `STALE`
    /// (default [`DEFAULT_STALE_AFTER`]; at least 1).
    pub fn stale_after(mut self, failures: u32) -> FileSource {
        self.options.stale_after = failures.max(1);
        self
    }

    /// Reads the file (and the bootstrap and persisted copies) in `format` instead of
    /// detecting it from each document: what Cloudflare Flagship definitions need, with their
    /// account id.
    ///
    /// ```no_run
    /// use flags_runtime::{Format, source};
    /// let source = source::file("definitions.json")
    ///     .format(Format::Flagship { account_id: "my-account".into() });
    /// ```
    pub fn format(mut self, format: Format) -> FileSource {
        self.options.format = Some(format);
        self
    }
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSource")
            .field("path", &self.path)
            .field("watch", &self.watch)
            .field("options", &self.options)
            .finish()
    }
}

impl Source for FileSource {
    fn describe(&self) -> String {
        format!("file `{}`", self.path.display())
    }
}

impl sealed::Sealed for FileSource {
    fn plan(self: Box<Self>) -> Result<Plan, Error> {
        Ok(Plan {
            describe: self.describe(),
            kind: Kind::File {
                path: self.path,
                watch: self.watch,
            },
            options: self.options,
        })
    }
}

/// Flag definitions given as JSON text (any importable format), for tests and examples.
///
/// ```
/// let source = flags_runtime::source::json(r#"{"flags": {"dark-mode": {
///     "state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}}}"#);
/// let client = flags_runtime::Client::builder().in_process(source).build().unwrap();
/// let dark = flags_runtime::FlagKey::<bool>::new("dark-mode", false);
/// assert!(client.value(&dark, &flags_runtime::Context::anonymous()));
/// ```
pub fn json(text: impl Into<String>) -> JsonSource {
    JsonSource {
        text: text.into(),
        format: None,
    }
}

/// Flag definitions held in memory as JSON text; see [`json()`].
#[derive(Clone)]
#[must_use]
pub struct JsonSource {
    text: String,
    format: Option<Format>,
}

impl JsonSource {
    /// Reads the text in `format` instead of detecting it: what Cloudflare Flagship
    /// definitions need, with their account id.
    ///
    /// ```
    /// use flags_runtime::{Client, Context, FlagKey, Format, Reason, source};
    /// let definitions = r#"{"flags": {"dark-mode": {"key": "dark-mode", "enabled": true,
    ///     "default_variation": "on", "variations": {"on": true, "off": false}, "rules": []}}}"#;
    /// let client = Client::builder()
    ///     .in_process(source::json(definitions)
    ///         .format(Format::Flagship { account_id: "my-account".into() }))
    ///     .build()?;
    /// let details = client.details(&FlagKey::<bool>::new("dark-mode", false), &Context::anonymous());
    /// assert!(details.value);
    /// assert_eq!(details.reason, Reason::Static);
    /// # Ok::<(), flags_runtime::Error>(())
    /// ```
    pub fn format(mut self, format: Format) -> JsonSource {
        self.format = Some(format);
        self
    }
}

impl fmt::Debug for JsonSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonSource")
            .field("len", &self.text.len())
            .field("format", &self.format)
            .finish()
    }
}

impl Source for JsonSource {
    fn describe(&self) -> String {
        "inline JSON".to_owned()
    }
}

impl sealed::Sealed for JsonSource {
    fn plan(self: Box<Self>) -> Result<Plan, Error> {
        Ok(Plan {
            describe: self.describe(),
            kind: Kind::Inline(self.text),
            options: Options {
                format: self.format,
                ..Options::default()
            },
        })
    }
}
