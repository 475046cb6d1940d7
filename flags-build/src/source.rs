//! Where definitions come from: local files, and (feature `http`) flag files and flag services
//! over HTTP(S). Credentials are never held here: a source names the environment variables
//! they are read from when, and only when, it is fetched.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flags_schema::{Format, Manifest, SourceKind};
use serde_json::{Map, Value};

use crate::Error;

/// The default timeout of one request to a remote source.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One place flag definitions are read from.
///
/// Local files are read on every sync; remote sources are fetched only when a refresh is asked
/// for (`flags sync`, or `FLAGS_SYNC=1` in a build) and never when offline (see the crate docs).
///
/// ```
/// use flags_build::Source;
///
/// let sources = [
///     Source::file("flags.json"),
///     Source::url("https://config.example.com/flags.json").bearer_token_env("FLAGS_TOKEN"),
///     Source::ofrep("http://localhost:8016", serde_json::json!({ "targetingKey": "build" })),
///     Source::flipt("http://localhost:8080", "default").bearer_token_env("FLIPT_TOKEN"),
///     Source::go_feature_flag("http://localhost:1031").api_key_env("GOFF_API_KEY"),
///     Source::flagship("my-account", "my-app").bearer_token_env("CLOUDFLARE_API_TOKEN"),
///     Source::openfeature_api("https://flags.example.com").bearer_token_env("MANIFEST_TOKEN"),
///     Source::flagkit().api_key_env("FLAGKIT_API_KEY"),
/// ];
/// assert_eq!(sources[3].to_string(), "flipt `http://localhost:8080/internal/v1/evaluation/snapshot/namespace/default`");
/// ```
#[derive(Clone, PartialEq)]
#[must_use]
pub struct Source {
    pub(crate) kind: Kind,
    pub(crate) credentials: Credentials,
    pub(crate) timeout: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    File(PathBuf),
    Url(Location),
    OpenfeatureApi(Location),
    Ofrep {
        base: Location,
        context: Map<String, Value>,
    },
    Flipt {
        base: Location,
        namespace: String,
        environment: Option<String>,
        reference: Option<String>,
    },
    GoFeatureFlag {
        base: Location,
        flags: Vec<String>,
    },
    Flagship(FlagshipTarget),
    FlagKit(Location),
}

/// A URL, written in the configuration or read from an environment variable (for signed URLs,
/// whose query string is a credential).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Location {
    Literal(String),
    Env(String),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FlagshipTarget {
    Ids {
        base_url: String,
        account_id: String,
        app_id: String,
    },
    /// A full evaluate endpoint, ending in `/evaluate`.
    Endpoint(String),
}

/// The default base URL of FlagKit's API.
pub const FLAGKIT_BASE_URL: &str = "https://api.flagkit.dev/api/v1";

/// The default base URL of Cloudflare's API.
pub const FLAGSHIP_BASE_URL: &str = "https://api.cloudflare.com";

/// Names of environment variables, never their values.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Credentials {
    pub(crate) bearer_env: Option<String>,
    pub(crate) api_key_env: Option<String>,
    /// Header name → environment variable holding its value.
    pub(crate) header_envs: Vec<(String, String)>,
}

impl Source {
    pub(crate) fn new(kind: Kind) -> Source {
        Source {
            kind,
            credentials: Credentials::default(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A local definition file in any format `flags-schema` imports (flagd, OpenFeature CLI
    /// manifest, a lock file, a flag service's export). Relative to the crate root.
    pub fn file(path: impl Into<PathBuf>) -> Source {
        Source::new(Kind::File(path.into()))
    }

    /// A definition file fetched with `GET` (any importable format, recognised by its shape).
    pub fn url(url: impl Into<String>) -> Source {
        Source::new(Kind::Url(Location::Literal(url.into())))
    }

    /// [`Source::url`] with the URL read from the environment variable `var` when fetched: for
    /// signed URLs, whose query string is a credential. The lock records it without its query.
    pub fn url_from_env(var: impl Into<String>) -> Source {
        Source::new(Kind::Url(Location::Env(var.into())))
    }

    /// The OpenFeature manifest management API: `GET {base}/openfeature/v0/manifest`.
    pub fn openfeature_api(base_url: impl Into<String>) -> Source {
        Source::new(Kind::OpenfeatureApi(Location::Literal(base_url.into())))
    }

    /// An OFREP bulk evaluation, `POST {base}/ofrep/v1/evaluate/flags`, under `context` (an
    /// object; anything else is an empty context). Every flag's type is inferred from the value
    /// it takes under that context; integral numbers are integers.
    pub fn ofrep(base_url: impl Into<String>, context: Value) -> Source {
        let context = match context {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Source::new(Kind::Ofrep {
            base: Location::Literal(base_url.into()),
            context,
        })
    }

    /// A Flipt namespace snapshot:
    /// `GET {base}/internal/v1/evaluation/snapshot/namespace/{namespace}`.
    pub fn flipt(base_url: impl Into<String>, namespace: impl Into<String>) -> Source {
        Source::new(Kind::Flipt {
            base: Location::Literal(base_url.into()),
            namespace: namespace.into(),
            environment: None,
            reference: None,
        })
    }

    /// The Flipt environment (`X-Flipt-Environment`, Flipt v2); ignored by other sources.
    pub fn environment(mut self, environment: impl Into<String>) -> Source {
        if let Kind::Flipt { environment: e, .. } = &mut self.kind {
            *e = Some(environment.into());
        }
        self
    }

    /// The Flipt reference (`?reference=`, a git ref for Flipt's git backends); ignored by other
    /// sources.
    pub fn reference(mut self, reference: impl Into<String>) -> Source {
        if let Kind::Flipt { reference: r, .. } = &mut self.kind {
            *r = Some(reference.into());
        }
        self
    }

    /// A GO Feature Flag relay proxy's flag configuration: `POST {base}/v1/flag/configuration`.
    pub fn go_feature_flag(base_url: impl Into<String>) -> Source {
        Source::new(Kind::GoFeatureFlag {
            base: Location::Literal(base_url.into()),
            flags: Vec::new(),
        })
    }

    /// Only these flags (GO Feature Flag's `evaluation_flag_list`; all when empty); ignored by
    /// other sources.
    pub fn only_flags<I, S>(mut self, keys: I) -> Source
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let Kind::GoFeatureFlag { flags, .. } = &mut self.kind {
            *flags = keys.into_iter().map(Into::into).collect();
        }
        self
    }

    /// Cloudflare Flagship app definitions:
    /// `GET {base}/client/v4/accounts/{account_id}/flagship/apps/{app_id}/definitions`, the ids
    /// percent-encoded. The base is [`FLAGSHIP_BASE_URL`] unless [`Source::base_url`] says
    /// otherwise.
    pub fn flagship(account_id: impl Into<String>, app_id: impl Into<String>) -> Source {
        Source::new(Kind::Flagship(FlagshipTarget::Ids {
            base_url: FLAGSHIP_BASE_URL.to_owned(),
            account_id: account_id.into(),
            app_id: app_id.into(),
        }))
    }

    /// Cloudflare Flagship definitions from a full evaluate endpoint (its path ends in
    /// `/evaluate`, replaced by `/definitions`).
    pub fn flagship_endpoint(endpoint: impl Into<String>) -> Source {
        Source::new(Kind::Flagship(FlagshipTarget::Endpoint(endpoint.into())))
    }

    /// FlagKit's flags, their types and their values in the environment of the API key:
    /// `GET {base}/sdk/init` with `X-API-Key` (name the variable that holds the key with
    /// [`Source::api_key_env`]). The base is [`FLAGKIT_BASE_URL`] unless [`Source::base_url`]
    /// says otherwise.
    pub fn flagkit() -> Source {
        Source::new(Kind::FlagKit(Location::Literal(
            FLAGKIT_BASE_URL.to_owned(),
        )))
    }

    /// The base URL of a Flagship source built from ids, or of a FlagKit source; ignored by
    /// other sources.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Source {
        match &mut self.kind {
            Kind::Flagship(FlagshipTarget::Ids { base_url: b, .. }) => *b = base_url.into(),
            Kind::FlagKit(location) => *location = Location::Literal(base_url.into()),
            _ => {}
        }
        self
    }

    /// Sends `Authorization: Bearer <value of var>`.
    pub fn bearer_token_env(mut self, var: impl Into<String>) -> Source {
        self.credentials.bearer_env = Some(var.into());
        self
    }

    /// Sends `X-API-Key: <value of var>` (GO Feature Flag's relay proxy, and OFREP servers that
    /// take an API key).
    pub fn api_key_env(mut self, var: impl Into<String>) -> Source {
        self.credentials.api_key_env = Some(var.into());
        self
    }

    /// Sends the header `name` with the value of `var` (for example Flipt's
    /// `Authorization: JWT ...`). Wins over [`Source::bearer_token_env`] and
    /// [`Source::api_key_env`] for the same header.
    pub fn header_env(mut self, name: impl Into<String>, var: impl Into<String>) -> Source {
        self.credentials.header_envs.push((name.into(), var.into()));
        self
    }

    /// The timeout of one request (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Source {
        self.timeout = timeout;
        self
    }

    /// Whether fetching it needs the network.
    pub fn is_remote(&self) -> bool {
        !matches!(self.kind, Kind::File(_))
    }

    /// What the lock records as this source's kind.
    pub fn kind(&self) -> SourceKind {
        match &self.kind {
            Kind::File(_) => SourceKind::File,
            Kind::Url(_) => SourceKind::Url,
            Kind::OpenfeatureApi(_) => SourceKind::OpenfeatureApi,
            Kind::Ofrep { .. } => SourceKind::Ofrep,
            Kind::Flipt { .. } => SourceKind::Flipt,
            Kind::GoFeatureFlag { .. } => SourceKind::GoFeatureFlag,
            Kind::Flagship(_) => SourceKind::Flagship,
            Kind::FlagKit(_) => SourceKind::FlagKit,
        }
    }

    /// The format a remote source's answer is in; `None` for files and plain URLs (recognised
    /// by shape).
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn expected_format(&self) -> Option<Format> {
        match &self.kind {
            Kind::File(_) | Kind::Url(_) => None,
            Kind::OpenfeatureApi(_) => Some(Format::OpenfeatureApi),
            Kind::Ofrep { .. } => Some(Format::Ofrep),
            Kind::Flipt { .. } => Some(Format::Flipt {
                namespace: String::new(),
            }),
            Kind::GoFeatureFlag { .. } => Some(Format::GoFeatureFlag),
            // No account id: the lock records the flags without their rules.
            Kind::Flagship(_) => Some(Format::Flagship {
                account_id: String::new(),
            }),
            Kind::FlagKit(_) => Some(Format::FlagKit),
        }
    }

    /// The URL requested, or `None` for a file; `Err` with the variable's name when it comes
    /// from an unset environment variable.
    pub(crate) fn request_url(&self) -> Result<Option<String>, Error> {
        let join = |base: &Location, path: &str| -> Result<String, Error> {
            let base = base.resolve()?;
            Ok(format!("{}{path}", base.trim_end_matches('/')))
        };
        let url = match &self.kind {
            Kind::File(_) => return Ok(None),
            Kind::Url(location) => location.resolve()?,
            Kind::OpenfeatureApi(base) => join(base, "/openfeature/v0/manifest")?,
            Kind::Ofrep { base, .. } => join(base, "/ofrep/v1/evaluate/flags")?,
            Kind::Flipt {
                base,
                namespace,
                reference,
                ..
            } => {
                let mut url = join(
                    base,
                    &format!(
                        "/internal/v1/evaluation/snapshot/namespace/{}",
                        encode(namespace)
                    ),
                )?;
                if let Some(reference) = reference {
                    url.push_str("?reference=");
                    url.push_str(&encode(reference));
                }
                url
            }
            Kind::GoFeatureFlag { base, .. } => join(base, "/v1/flag/configuration")?,
            Kind::FlagKit(base) => join(base, "/sdk/init")?,
            Kind::Flagship(FlagshipTarget::Ids {
                base_url,
                account_id,
                app_id,
            }) => format!(
                "{}/client/v4/accounts/{}/flagship/apps/{}/definitions",
                base_url.trim_end_matches('/'),
                encode(account_id),
                encode(app_id)
            ),
            Kind::Flagship(FlagshipTarget::Endpoint(endpoint)) => {
                flagship_definitions_url(endpoint).ok_or_else(|| Error::InvalidSource {
                    source_name: format!("flagship `{}`", redact(endpoint)),
                    message: "a Flagship endpoint must be a URL whose path ends in `/evaluate`"
                        .to_owned(),
                })?
            }
        };
        Ok(Some(url))
    }

    /// The location the lock records: the path as written, or the URL without credentials
    /// (user information, query string) and, for a URL read from the environment, without its
    /// query.
    pub(crate) fn recorded_location(&self, url: Option<&str>) -> Option<String> {
        match (&self.kind, url) {
            (Kind::File(path), _) => Some(path.display().to_string()),
            (Kind::Flipt { .. }, Some(url)) => Some(strip_user_info(url)),
            (_, Some(url)) => Some(redact(url)),
            (_, None) => None,
        }
    }

    /// Reads a local file source; `root` resolves relative paths.
    pub(crate) fn read_file(&self, root: Option<&Path>) -> Result<Manifest, Error> {
        let Kind::File(path) = &self.kind else {
            unreachable!("read_file is called on file sources only")
        };
        let full = match root {
            Some(root) if path.is_relative() => root.join(path),
            _ => path.clone(),
        };
        crate::read_definitions(&full, path)
    }

    /// The path of a file source, resolved against `root`.
    pub(crate) fn file_path(&self, root: Option<&Path>) -> Option<PathBuf> {
        match (&self.kind, root) {
            (Kind::File(path), Some(root)) if path.is_relative() => Some(root.join(path)),
            (Kind::File(path), _) => Some(path.clone()),
            _ => None,
        }
    }
}

impl Location {
    pub(crate) fn resolve(&self) -> Result<String, Error> {
        match self {
            Location::Literal(url) => Ok(url.clone()),
            Location::Env(var) => std::env::var(var).map_err(|_| Error::MissingEnv {
                var: var.clone(),
                what: "the URL of a source".to_owned(),
            }),
        }
    }
}

impl From<&str> for Source {
    /// A local file ([`Source::file`]).
    fn from(path: &str) -> Source {
        Source::file(path)
    }
}

impl From<String> for Source {
    /// A local file ([`Source::file`]).
    fn from(path: String) -> Source {
        Source::file(path)
    }
}

impl From<PathBuf> for Source {
    /// A local file ([`Source::file`]).
    fn from(path: PathBuf) -> Source {
        Source::file(path)
    }
}

impl From<&Path> for Source {
    /// A local file ([`Source::file`]).
    fn from(path: &Path) -> Source {
        Source::file(path)
    }
}

impl From<&PathBuf> for Source {
    /// A local file ([`Source::file`]).
    fn from(path: &PathBuf) -> Source {
        Source::file(path.clone())
    }
}

impl fmt::Display for Source {
    /// The kind and where it reads from, without credentials: ``flipt `http://host/...` ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match &self.kind {
            Kind::File(path) => write!(f, "file `{}`", path.display()),
            Kind::Url(Location::Env(var)) => write!(f, "url from `${var}`"),
            Kind::OpenfeatureApi(Location::Env(var))
            | Kind::Ofrep {
                base: Location::Env(var),
                ..
            }
            | Kind::Flipt {
                base: Location::Env(var),
                ..
            }
            | Kind::GoFeatureFlag {
                base: Location::Env(var),
                ..
            }
            | Kind::FlagKit(Location::Env(var)) => write!(f, "{kind} at `${var}`"),
            _ => match self.request_url() {
                Ok(Some(url)) => write!(
                    f,
                    "{kind} `{}`",
                    self.recorded_location(Some(&url)).unwrap_or(url)
                ),
                _ => write!(f, "{kind}"),
            },
        }
    }
}

impl fmt::Debug for Source {
    /// The [`Display`](fmt::Display) form and the names (never the values) of the variables
    /// credentials are read from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Source");
        s.field("source", &format_args!("{self}"));
        if let Some(var) = &self.credentials.bearer_env {
            s.field("bearer_token_env", var);
        }
        if let Some(var) = &self.credentials.api_key_env {
            s.field("api_key_env", var);
        }
        if !self.credentials.header_envs.is_empty() {
            s.field("header_envs", &self.credentials.header_envs);
        }
        s.field("timeout", &self.timeout).finish()
    }
}

/// Percent-encodes everything but unreserved characters (`/` and spaces included).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The definitions URL of a Flagship evaluate endpoint: its path, without trailing slashes,
/// must end in `/evaluate`.
fn flagship_definitions_url(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    if scheme.is_empty() || rest.is_empty() || rest.starts_with('/') {
        return None;
    }
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let (path, tail) = rest.split_at(end);
    let path = path.trim_end_matches('/');
    let stem = path.strip_suffix("/evaluate")?;
    Some(format!("{scheme}://{stem}/definitions{tail}"))
}

/// The URL without user information, query or fragment.
pub(crate) use flags_http::redact_url as redact;

/// The URL without user information.
pub(crate) fn strip_user_info(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{tail}")
}

/// Whether a URL written in configuration carries user information (a credential that belongs
/// in the environment).
pub(crate) fn has_user_info(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..authority_end].contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_ids_with_nothing_left_safe() {
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(encode("abc-_.~9"), "abc-_.~9");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn flagship_urls() {
        let source = Source::flagship("acc/1", "my app").base_url("http://127.0.0.1:9/");
        assert_eq!(
            source.request_url().unwrap().unwrap(),
            "http://127.0.0.1:9/client/v4/accounts/acc%2F1/flagship/apps/my%20app/definitions"
        );
        let source = Source::flagship_endpoint("https://edge.example.com/x/evaluate/");
        assert_eq!(
            source.request_url().unwrap().unwrap(),
            "https://edge.example.com/x/definitions"
        );
        for bad in ["https://edge.example.com/x", "/x/evaluate", "edge/evaluate"] {
            let error = Source::flagship_endpoint(bad).request_url().unwrap_err();
            assert!(error.to_string().contains("`/evaluate`"), "{error}");
        }
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("https://user:secret@host:8443/path?sig=abc#x"),
            "https://host:8443/path"
        );
        assert_eq!(strip_user_info("http://u@h/p?q=1"), "http://h/p?q=1");
        assert!(has_user_info("http://u:p@h/"));
        assert!(!has_user_info("http://h/p?email=a@b"));
    }

    #[test]
    fn debug_names_variables_not_values() {
        let source = Source::url("http://127.0.0.1/f.json")
            .bearer_token_env("TOKEN_VAR")
            .header_env("X-Key", "KEY_VAR");
        let debug = format!("{source:?}");
        assert!(
            debug.contains("TOKEN_VAR") && debug.contains("KEY_VAR"),
            "{debug}"
        );
    }
}
