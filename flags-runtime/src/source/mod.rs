//! Where in-process configuration comes from.

use std::fmt;
use std::path::{Path, PathBuf};

use flags_schema::Manifest;

/// A place flag definitions are loaded from.
///
/// The runtime calls [`Source::load`] when a client is built and on
/// [`Client::refresh`](crate::Client::refresh); a failed load leaves the last good
/// configuration in place.
pub trait Source: Send + Sync + 'static {
    /// Loads and validates the definitions.
    fn load(&self) -> Result<Manifest, flags_schema::Error>;

    /// A description for messages (a path or a URL without credentials).
    fn describe(&self) -> String;
}

/// A local flag file: a flagd flag-definition file, an OpenFeature CLI manifest or a lock file,
/// detected from its contents.
///
/// ```no_run
/// let client = flags_runtime::Client::builder()
///     .in_process(flags_runtime::source::file("flags.json"))
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn file(path: impl Into<PathBuf>) -> FileSource {
    FileSource { path: path.into() }
}

/// Flag definitions in a local file; see [`file()`].
#[derive(Clone)]
pub struct FileSource {
    path: PathBuf,
}

impl FileSource {
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSource")
            .field("path", &self.path)
            .finish()
    }
}

impl Source for FileSource {
    fn load(&self) -> Result<Manifest, flags_schema::Error> {
        flags_schema::read(&self.path)
    }

    fn describe(&self) -> String {
        format!("file `{}`", self.path.display())
    }
}

/// Flag definitions given as JSON text (any importable format), for tests and bootstrapping.
///
/// ```
/// let source = flags_runtime::source::json(r#"{"flags": {"dark-mode": {
///     "state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}}}"#);
/// let client = flags_runtime::Client::builder().in_process(source).build().unwrap();
/// let dark = flags_runtime::FlagKey::<bool>::new("dark-mode", false);
/// assert!(client.value(&dark, &flags_runtime::Context::anonymous()));
/// ```
pub fn json(text: impl Into<String>) -> JsonSource {
    JsonSource { text: text.into() }
}

/// Flag definitions held in memory as JSON text; see [`json()`].
#[derive(Clone)]
pub struct JsonSource {
    text: String,
}

impl fmt::Debug for JsonSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonSource")
            .field("len", &self.text.len())
            .finish()
    }
}

impl Source for JsonSource {
    fn load(&self) -> Result<Manifest, flags_schema::Error> {
        flags_schema::import_str(&self.text, "inline JSON")
    }

    fn describe(&self) -> String {
        "inline JSON".to_owned()
    }
}
