//! A flag file polled over HTTP(S).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flags_http::{HeadersFactory, TransportConfig};

use flags_schema::Format;

use super::plan::{Kind, Options, Plan, Source, sealed};
use crate::error::Error;

/// A flag file (any importable JSON format, detected or set with [`HttpSource::format`])
/// polled over HTTP(S), with `If-None-Match` so that
/// an unchanged file costs a `304`. `build()` returns at once; the first fetch runs in the
/// background (until it succeeds, reads answer `PROVIDER_NOT_READY`, or the
/// [bootstrap](HttpSource::bootstrap) or [persisted](HttpSource::persist) configuration);
/// [`Client::wait_ready`](crate::Client::wait_ready) waits for it. One background thread per
/// client does the polling; evaluation never waits for it.
///
/// A `401` or `403` is final: the provider turns `FATAL` and stops polling.
///
/// ```no_run
/// use std::time::Duration;
/// let client = flags_runtime::Client::builder()
///     .in_process(
///         flags_runtime::source::http("https://config.example.com/flags.json")
///             .bearer_token("secret")
///             .interval(Duration::from_secs(30))
///             .persist("/var/cache/my-app/flags.json"),
///     )
///     .build()?;
/// client.wait_ready(Duration::from_secs(5))?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn http(url: impl Into<String>) -> HttpSource {
    HttpSource {
        config: HttpConfig::new(url.into(), DEFAULT_INTERVAL, DEFAULT_TIMEOUT),
        options: Options::default(),
    }
}

/// How often a flag file is polled, unless set.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// How long one request may take, unless set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest body accepted, unless set.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// A flag file polled over HTTP; see [`http()`].
#[derive(Clone)]
#[must_use]
pub struct HttpSource {
    config: HttpConfig,
    options: Options,
}

/// A value that never shows in `Debug`, logs or errors.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) Arc<str>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How a document is polled (or streamed) over HTTP: a flag file's ([`http()`]), Flagship's
/// definitions ([`flagship()`](super::flagship())), a Flipt namespace
/// ([`flipt()`](super::flipt())), a GO Feature Flag relay's configuration
/// ([`go_feature_flag()`](super::go_feature_flag())).
#[derive(Clone)]
pub(crate) struct HttpConfig {
    pub(crate) url: String,
    pub(crate) interval: Duration,
    /// The most added at random to each interval; a tenth of the interval when unset.
    pub(crate) jitter: Option<Duration>,
    pub(crate) timeout: Duration,
    pub(crate) bearer: Option<Secret>,
    /// Header values are secrets too (API keys travel in headers).
    pub(crate) headers: Vec<(String, Secret)>,
    /// Headers computed for each request, merged over the others (but `If-None-Match`).
    pub(crate) headers_factory: Option<HeadersFactory>,
    pub(crate) max_body: usize,
    /// The transport's other settings (breaker, TLS, deadline); timeout, retries, body limit
    /// and headers are this config's.
    pub(crate) transport: TransportConfig,
    /// Attempts after a failed one within one poll (0: the next poll is the retry).
    pub(crate) retries: u32,
    /// The base of the backoff between those attempts.
    pub(crate) retry_delay: Duration,
    /// The most one poll may take, its attempts and waits included; `None`: the timeout.
    pub(crate) deadline: Option<Duration>,
    /// Forget the ETag after a failed poll, so that the next one is unconditional (Flipt's
    /// clients: a validator kept across an outage could pin an old state).
    pub(crate) forget_etag_on_error: bool,
    /// A JSON body: each poll is a `POST` with it (GO Feature Flag's configuration API);
    /// `None`: a `GET`.
    pub(crate) post_json: Option<bytes::Bytes>,
}

impl HttpConfig {
    pub(crate) fn new(url: String, interval: Duration, timeout: Duration) -> HttpConfig {
        HttpConfig {
            url,
            interval,
            jitter: None,
            timeout,
            bearer: None,
            headers: Vec::new(),
            headers_factory: None,
            max_body: DEFAULT_MAX_BODY,
            transport: TransportConfig::new(),
            retries: 0,
            retry_delay: Duration::ZERO,
            deadline: None,
            forget_etag_on_error: false,
            post_json: None,
        }
    }

    pub(crate) fn jitter(&self) -> Duration {
        self.jitter.unwrap_or(self.interval / 10)
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("url", &crate::transport::redact_url(&self.url))
            .field("interval", &self.interval)
            .field("jitter", &self.jitter())
            .field("timeout", &self.timeout)
            .field("bearer", &self.bearer)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("headers_factory", &self.headers_factory.is_some())
            .field("max_body", &self.max_body)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .field("deadline", &self.deadline)
            .field("forget_etag_on_error", &self.forget_etag_on_error)
            .field("post_json", &self.post_json.as_ref().map(|b| b.len()))
            .finish_non_exhaustive()
    }
}

impl HttpSource {
    /// The time between two polls (default [`DEFAULT_INTERVAL`]), plus a random
    /// [jitter](HttpSource::jitter).
    pub fn interval(mut self, interval: Duration) -> HttpSource {
        self.config.interval = interval;
        self
    }

    /// The most added at random to each interval, so that many processes started together do
    /// not poll together (default: a tenth of the interval).
    pub fn jitter(mut self, jitter: Duration) -> HttpSource {
        self.config.jitter = Some(jitter);
        self
    }

    /// How long one request may take, connection included (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> HttpSource {
        self.config.timeout = timeout;
        self
    }

    /// Sends `Authorization: Bearer <token>`. The token never appears in `Debug`, logs or
    /// errors.
    pub fn bearer_token(mut self, token: impl Into<String>) -> HttpSource {
        self.config.bearer = Some(Secret(Arc::from(token.into())));
        self
    }

    /// Sends a header with every request. Its value never appears in `Debug`, logs or errors;
    /// an invalid name or value fails `build()`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpSource {
        self.config
            .headers
            .push((name.into(), Secret(Arc::from(value.into()))));
        self
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY`]); a larger one is a failed
    /// fetch.
    pub fn max_body_size(mut self, bytes: usize) -> HttpSource {
        self.config.max_body = bytes;
        self
    }

    /// The transport's settings (circuit breaker, TLS roots, client certificate, deadline);
    /// its timeout, retries, body limit and headers are replaced by this source's. The
    /// default breaker opens after 5 consecutive failed polls for 30 s: a source polled more
    /// often than every few seconds may want a shorter one, so that it is back within a poll
    /// or two of the server.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use flags_runtime::{source, transport::TransportConfig};
    /// let source = source::http("https://flags.example.com/flags.json")
    ///     .interval(Duration::from_secs(1))
    ///     .transport(TransportConfig::new().breaker(10, Duration::from_secs(2)));
    /// ```
    pub fn transport(mut self, transport: TransportConfig) -> HttpSource {
        self.config.transport = transport;
        self
    }

    /// A configuration (any importable JSON format) served until the first successful fetch.
    pub fn bootstrap(mut self, json: impl Into<String>) -> HttpSource {
        self.options.bootstrap = Some(json.into());
        self
    }

    /// Keeps a copy of each configuration applied in `path` (written atomically, after the
    /// configuration is in use), and serves that copy (reason `STALE`) from the start, until
    /// the first successful fetch: a restart while the server is down serves the last
    /// configuration, not defaults.
    pub fn persist(mut self, path: impl Into<PathBuf>) -> HttpSource {
        self.options.persist = Some(path.into());
        self
    }

    /// After how many consecutive failed polls the provider reports `STALE`
    /// (default [`DEFAULT_STALE_AFTER`](super::DEFAULT_STALE_AFTER); at least 1).
    pub fn stale_after(mut self, failures: u32) -> HttpSource {
        self.options.stale_after = failures.max(1);
        self
    }

    /// Reads each body (and the bootstrap and persisted copies) in `format` instead of
    /// detecting it from each document; see [`FileSource::format`](super::FileSource::format).
    pub fn format(mut self, format: Format) -> HttpSource {
        self.options.format = Some(format);
        self
    }
}

#[cfg(test)]
impl HttpSource {
    pub(crate) fn config_for_tests(self) -> HttpConfig {
        self.config
    }
}

impl fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSource")
            .field("config", &self.config)
            .field("options", &self.options)
            .finish()
    }
}

impl Source for HttpSource {
    fn describe(&self) -> String {
        format!("`{}`", crate::transport::redact_url(&self.config.url))
    }
}

impl sealed::Sealed for HttpSource {
    fn plan(self: Box<Self>) -> Result<Plan, Error> {
        Ok(Plan {
            describe: self.describe(),
            kind: Kind::Http(Box::new(self.config)),
            options: self.options,
        })
    }
}
