//! [`Transport`], its configuration, requests, responses and errors.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::sync::OnceCell;

use super::breaker::{Breaker, CircuitState, Outcome};
use super::deadline::Deadline;
use super::retry::{MAX_DELAY, backoff, parse_retry_after};
use super::summary::http_error_summary;
use super::tls::{TlsOptions, client_config};

/// The HTTP method of a [`Request`] (`reqwest`'s, re-exported).
pub use reqwest::Method;

/// Called once per [`Transport::send`] for headers computed at request time (a rotating token,
/// a request id); its headers win over the static ones and the bearer token. Its values are
/// treated as secrets.
pub type HeadersFactory = Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync>;

/// The most retries a transport makes after the first attempt.
const MAX_RETRIES: u32 = 10;
/// The most of an error response's body kept in [`TransportError::Status`].
const ERROR_BODY_LIMIT: usize = 16 * 1024;
/// The longest [`TransportConfig::deadline`] accepted.
pub const MAX_DEADLINE: Duration = Duration::from_secs(24 * 3600);
/// The least time a retry must have before the deadline to be started: a tenth of the
/// timeout, at most this.
const MIN_RETRY_BUDGET: Duration = Duration::from_millis(100);

/// How to build a [`Transport`]: a builder, validated by [`build`](TransportConfig::build).
///
/// Defaults: 10 s timeout, a deadline equal to the timeout, 5 s connect timeout, 2 retries
/// from a 250 ms delay, a breaker opening after 5 consecutive failures for 30 s, coalescing
/// on, a 10 MiB body limit, the platform's roots, no client identity.
#[derive(Clone)]
pub struct TransportConfig {
    timeout: Duration,
    /// `None`: the timeout.
    deadline: Option<Duration>,
    connect_timeout: Duration,
    retries: u32,
    retry_delay: Duration,
    /// `None`: the default, 5 failures, or as many as one request's attempts when that is
    /// more (so that the breaker never cuts the retries asked for short).
    breaker_threshold: Option<u32>,
    breaker_open_for: Duration,
    coalesce: bool,
    max_body: u64,
    headers: Vec<(String, String)>,
    bearer: Option<String>,
    headers_factory: Option<HeadersFactory>,
    roots_pem: Vec<Vec<u8>>,
    built_in_roots: bool,
    identity: Option<(Vec<u8>, Vec<u8>)>,
    user_agent: String,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            timeout: Duration::from_secs(10),
            deadline: None,
            connect_timeout: Duration::from_secs(5),
            retries: 2,
            retry_delay: Duration::from_millis(250),
            breaker_threshold: None,
            breaker_open_for: Duration::from_secs(30),
            coalesce: true,
            max_body: 10 * 1024 * 1024,
            headers: Vec::new(),
            bearer: None,
            headers_factory: None,
            roots_pem: Vec::new(),
            built_in_roots: true,
            identity: None,
            user_agent: concat!("flags/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl TransportConfig {
    /// The defaults (see the type's documentation).
    pub fn new() -> TransportConfig {
        TransportConfig::default()
    }

    /// The time one attempt may take, from connecting to the end of the body (default 10 s).
    /// A call's attempts, retries included, are bounded together by the
    /// [`deadline`](Self::deadline).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time one call of [`Transport::send`] may take in all: every attempt, every wait
    /// between attempts, and the wait for an identical request already in flight (default: the
    /// timeout, so that a caller never waits longer than the timeout, retries included). Each
    /// attempt gets the timeout or what is left before the deadline, whichever is shorter; a
    /// retry is not started when its wait would cross the deadline or would leave it less than
    /// a tenth of the timeout (at most 100 ms). Longer than the timeout, it makes room for
    /// retries of attempts that time out. Between zero (excluded) and 24 hours, or
    /// [`build`](Self::build) fails with [`ConfigError::InvalidDeadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    fn effective_deadline(&self) -> Duration {
        self.deadline.unwrap_or(self.timeout)
    }

    /// The time connecting (TCP and TLS) may take (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Attempts after the first one for retryable failures (default 2), capped at 10.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries.min(MAX_RETRIES);
        self
    }

    /// The base of the exponential backoff (default 250 ms), capped at 30 s: retry `n` waits a
    /// random time in `[0, min(30 s, retry_delay · 2^n)]`, or longer if the server's
    /// `Retry-After` asks for it (a `Retry-After` beyond 30 s ends the retries).
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay.min(MAX_DELAY);
        self
    }

    /// The circuit breaker: open after `failures` consecutive transport or 5xx failures (each
    /// attempt counts), for `open_for`, then let one probe through at a time. The default is
    /// 30 s and 5 failures, or as many failures as one request makes attempts (with its
    /// retries) when that is more. `0` failures disables it.
    pub fn breaker(mut self, failures: u32, open_for: Duration) -> Self {
        self.breaker_threshold = Some(failures);
        self.breaker_open_for = open_for;
        self
    }

    fn breaker_threshold(&self) -> u32 {
        self.breaker_threshold
            .unwrap_or_else(|| (self.retries + 1).max(5))
    }

    /// Whether identical requests in flight at the same time (same method, URL, headers and
    /// body) share one HTTP call (default on).
    pub fn coalesce(mut self, coalesce: bool) -> Self {
        self.coalesce = coalesce;
        self
    }

    /// The largest response body accepted, in bytes (default 10 MiB).
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// A header sent with every request. Its value is treated as a secret (never in `Debug`,
    /// logs or errors).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `Authorization: Bearer <token>` on every request (after the static headers, before the
    /// headers factory's).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// Headers computed for each request (see [`HeadersFactory`]).
    pub fn headers_factory(
        mut self,
        factory: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    ) -> Self {
        self.headers_factory = Some(Arc::new(factory));
        self
    }

    /// The `User-Agent` (default `flags/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts the certificates of this PEM (one or more `CERTIFICATE` blocks) as roots, in
    /// addition to the platform's (see [`tls_built_in_roots`](Self::tls_built_in_roots)).
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots_pem.push(pem.into());
        self
    }

    /// Whether the platform's roots are trusted (default `true`); with `false`, only the roots
    /// added with [`add_root_certificate_pem`](Self::add_root_certificate_pem) are.
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.built_in_roots = enabled;
        self
    }

    /// A client certificate (chain, leaf first) and its private key, in PEM, for servers that
    /// require mutual TLS.
    pub fn client_identity_pem(
        mut self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.identity = Some((cert_chain_pem.into(), key_pem.into()));
        self
    }

    /// Validates the configuration and builds the transport (no I/O; it needs no runtime).
    pub fn build(self) -> Result<Transport, ConfigError> {
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroDuration { option: "timeout" });
        }
        if self.connect_timeout.is_zero() {
            return Err(ConfigError::ZeroDuration {
                option: "connect_timeout",
            });
        }
        if let Some(deadline) = self.deadline
            && (deadline.is_zero() || deadline > MAX_DEADLINE)
        {
            return Err(ConfigError::InvalidDeadline { deadline });
        }
        if self.breaker_threshold() > 0 && self.breaker_open_for.is_zero() {
            return Err(ConfigError::ZeroDuration {
                option: "breaker(_, open_for)",
            });
        }
        if self.max_body == 0 {
            return Err(ConfigError::ZeroMaxBody);
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let (name, value) = header_pair(name, value).map_err(|name| ConfigError::Header {
                name: name.to_owned(),
            })?;
            headers.insert(name, value);
        }
        if let Some(token) = &self.bearer {
            let value = secret_value(&format!("Bearer {token}")).ok_or(ConfigError::Header {
                name: "authorization".to_owned(),
            })?;
            headers.insert(header::AUTHORIZATION, value);
        }
        let user_agent =
            HeaderValue::from_str(&self.user_agent).map_err(|_| ConfigError::Header {
                name: "user-agent".to_owned(),
            })?;
        let tls = client_config(&TlsOptions {
            roots_pem: &self.roots_pem,
            built_in_roots: self.built_in_roots,
            identity: self.identity.as_ref(),
        })?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(user_agent)
            .retry(reqwest::retry::never())
            // Static headers carry credentials (`X-Api-Key`, say) that reqwest would forward
            // across origins (it strips only `Authorization` and cookies), and `Referer`
            // would carry the query (a Flagship context): redirects stay within the origin,
            // and no `Referer`.
            .redirect(reqwest::redirect::Policy::custom(same_origin_redirects))
            .referer(false)
            .build()
            .map_err(|e| ConfigError::Client {
                message: super::describe_error(&e),
            })?;
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                headers,
                breaker: Breaker::new(self.breaker_threshold(), self.breaker_open_for),
                limits: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashMap::new()),
                stats: Counters::default(),
                config: self,
            }),
        })
    }
}

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("TransportConfig")
            .field("timeout", &self.timeout)
            .field("deadline", &self.effective_deadline())
            .field("connect_timeout", &self.connect_timeout)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .field("breaker_failures", &self.breaker_threshold())
            .field("breaker_open_for", &self.breaker_open_for)
            .field("coalesce", &self.coalesce)
            .field("max_body", &self.max_body)
            .field("headers (values redacted)", &names)
            .field("bearer_token", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field(
                "headers_factory",
                &self.headers_factory.as_ref().map(|_| "<fn>"),
            )
            .field("root_certificates", &self.roots_pem.len())
            .field("built_in_roots", &self.built_in_roots)
            .field(
                "client_identity",
                &self.identity.as_ref().map(|_| "<redacted>"),
            )
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Why a [`TransportConfig`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration that must be positive is zero.
    #[error("`{option}` must be greater than zero")]
    ZeroDuration {
        /// The option.
        option: &'static str,
    },
    /// The deadline is zero or longer than [`MAX_DEADLINE`] (24 hours).
    #[error(
        "`deadline` must be greater than zero and at most 24 h (it is {} ms)",
        deadline.as_millis()
    )]
    InvalidDeadline {
        /// The deadline given.
        deadline: Duration,
    },
    /// The body limit is zero.
    #[error("`max_body` must be at least 1 byte")]
    ZeroMaxBody,
    /// A header name or value is not valid in HTTP (the value is not shown: it may be a secret).
    #[error(
        "invalid header `{name}`: names are ASCII tokens (`x-api-key`), values visible ASCII or \
         spaces without line breaks"
    )]
    Header {
        /// The header's name, as given.
        name: String,
    },
    /// A root certificate could not be read or used.
    #[error("invalid root certificate: {message}")]
    Certificate {
        /// What is wrong.
        message: String,
    },
    /// The client identity (certificate chain and key) could not be read or used.
    #[error("invalid client identity for mutual TLS: {message}")]
    Identity {
        /// What is wrong (never key material).
        message: String,
    },
    /// The TLS set-up failed.
    #[error("cannot set up TLS: {message}")]
    Tls {
        /// What is wrong.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {message}")]
    Client {
        /// What is wrong.
        message: String,
    },
}

impl From<ConfigError> for crate::Error {
    fn from(error: ConfigError) -> Self {
        crate::Error::Source {
            origin: "the HTTP transport".to_owned(),
            message: error.to_string(),
        }
    }
}

/// A request: method, full URL, extra headers (e.g. `If-None-Match`; they win over every
/// configured header) and an optional body.
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL (`http` or `https`).
    pub url: String,
    /// Headers for this request only.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Bytes>,
}

impl Request {
    /// A request with no header and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Request {
        Request::new(Method::GET, url)
    }

    /// `POST url` with a JSON body (`Content-Type: application/json`).
    pub fn post_json(url: impl Into<String>, body: impl Into<Bytes>) -> Request {
        Request::new(Method::POST, url)
            .header("content-type", "application/json")
            .body(body)
    }

    /// With a header for this request only.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// With a body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Request {
        self.body = Some(body.into());
        self
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &super::redact_url(&self.url))
            .field("headers (values redacted)", &names)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish()
    }
}

/// A response with a status below 400 (`304` included: the caller interprets it) and its whole
/// body. Cheap to clone.
#[derive(Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (empty for `304`).
    pub body: Bytes,
}

impl Response {
    /// The value of header `name` (any case), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `ETag`, verbatim (quotes included).
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// Whether the status is `304 Not Modified`.
    pub fn is_not_modified(&self) -> bool {
        self.status == 304
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why a request failed. Its `Display` never contains a URL, a header value or a token.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// An attempt took longer than the timeout (connecting, waiting or reading the body).
    #[error("the request timed out")]
    Timeout,
    /// The call's [deadline](TransportConfig::deadline) passed without an answer: its last
    /// attempt was cut by the deadline or timed out with no time left for a retry, or the
    /// call waited for an identical request in flight that did not finish in time. (A call
    /// whose last attempt failed otherwise, with no time left for a retry, returns that
    /// failure.)
    #[error("no answer within the deadline of {} ms{}", deadline.as_millis(), deadline_hint(*attempts, *joined))]
    DeadlineExceeded {
        /// The time the call (or the operation it belongs to) was given: its
        /// [`Deadline::budget`].
        deadline: Duration,
        /// The attempts this call made.
        attempts: u32,
        /// Whether the call waited for an identical request in flight, sent by another caller.
        joined: bool,
    },
    /// The server could not be reached.
    #[error("cannot connect: {message}")]
    Connect {
        /// The causes.
        message: String,
    },
    /// The TLS handshake failed (not retried).
    #[error("the TLS handshake failed: {message}")]
    Tls {
        /// The causes, with a hint when one applies.
        message: String,
    },
    /// The connection failed after it was established, before a response arrived.
    #[error("the request failed: {message}")]
    Network {
        /// The causes.
        message: String,
    },
    /// The server answered with a status of 400 or more; its `Display` is a short summary
    /// (see [`http_error_summary`](super::http_error_summary)).
    #[error(
        "the server answered {}{}",
        http_error_summary(*status, content_type.as_deref(), body),
        retry_hint(*retry_after)
    )]
    Status {
        /// The status code.
        status: u16,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// The answer's `Content-Type`, if any.
        content_type: Option<String>,
        /// The start of the body (at most 16 KiB), for error details such as OFREP's
        /// `errorCode`.
        body: Bytes,
    },
    /// The body is larger than the configured limit.
    #[error(
        "the response is larger than the limit of {limit} bytes; raise `max_body` if it is expected"
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The circuit breaker is open: no request was sent.
    #[error("the circuit breaker is open after repeated failures; no request sent{}", open_hint(*retry_in))]
    CircuitOpen {
        /// When the next attempt may go through (zero: a probe is in flight).
        retry_in: Duration,
    },
    /// The server answered 429 with a `Retry-After` that has not passed yet: requests to its
    /// origin fail fast, without I/O, until `until`.
    #[error(
        "rate limited by the server; no request until its `Retry-After` passes (in {} ms)",
        until.saturating_duration_since(Instant::now()).as_millis()
    )]
    RateLimited {
        /// When requests to this origin go out again.
        until: Instant,
    },
    /// Reading the body failed.
    #[error("cannot read the response body: {message}")]
    Body {
        /// The causes.
        message: String,
    },
    /// The request cannot be sent (a bad URL or header); not retried.
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong (without the URL or header values).
        message: String,
    },
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|d| format!(" (retry after {} s)", d.as_secs()))
        .unwrap_or_default()
}

fn deadline_hint(attempts: u32, joined: bool) -> String {
    match (attempts, joined) {
        (0, true) => " (waiting for an identical request in flight)".to_owned(),
        (0, false) => " (no time left for an attempt)".to_owned(),
        (1, _) => " (1 attempt)".to_owned(),
        (n, _) => format!(" ({n} attempts)"),
    }
}

fn open_hint(retry_in: Duration) -> String {
    if retry_in.is_zero() {
        "; a probe request is in flight".to_owned()
    } else {
        format!("; next attempt in {} ms", retry_in.as_millis())
    }
}

impl TransportError {
    /// The HTTP status, for [`Status`](Self::Status) (and `429` for
    /// [`RateLimited`](Self::RateLimited)).
    pub fn status(&self) -> Option<u16> {
        match self {
            TransportError::Status { status, .. } => Some(*status),
            TransportError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Whether the transport retries this failure (when it has retries left).
    pub fn is_retryable(&self) -> bool {
        match self {
            TransportError::Timeout
            | TransportError::Connect { .. }
            | TransportError::Network { .. }
            | TransportError::Body { .. } => true,
            TransportError::Status { status, .. } => *status >= 500 || *status == 429,
            TransportError::RateLimited { .. } => true,
            TransportError::Tls { .. }
            | TransportError::DeadlineExceeded { .. }
            | TransportError::TooLarge { .. }
            | TransportError::CircuitOpen { .. }
            | TransportError::InvalidRequest { .. } => false,
        }
    }

    /// Whether no request was sent because of the breaker or a rate limit window.
    pub fn is_fail_fast(&self) -> bool {
        matches!(
            self,
            TransportError::CircuitOpen { .. } | TransportError::RateLimited { .. }
        )
    }

    fn outcome(&self) -> Outcome {
        match self {
            TransportError::Timeout
            | TransportError::Connect { .. }
            | TransportError::Tls { .. }
            | TransportError::Network { .. }
            | TransportError::Body { .. } => Outcome::Failure,
            TransportError::Status { status, .. } if *status >= 500 => Outcome::Failure,
            TransportError::Status { .. } | TransportError::RateLimited { .. } => Outcome::Success,
            // The attempt's own timeout was reported as it happened.
            TransportError::DeadlineExceeded { .. }
            | TransportError::TooLarge { .. }
            | TransportError::CircuitOpen { .. }
            | TransportError::InvalidRequest { .. } => Outcome::Neutral,
        }
    }
}

/// Counters of a transport (cumulative, all clones together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// HTTP attempts started (each retry counts).
    pub requests: u64,
    /// Retries (attempts after a first one).
    pub retries: u64,
    /// Callers that joined an identical request in flight instead of sending their own.
    pub coalesced: u64,
    /// Calls that failed fast, without I/O (breaker open, rate limit window).
    pub failed_fast: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    coalesced: AtomicU64,
    failed_fast: AtomicU64,
}

type Shared = Arc<OnceCell<Result<Response, TransportError>>>;

/// What makes two requests identical.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    method: Method,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Option<Bytes>,
}

/// A validated request, with its merged headers.
struct Prepared {
    method: Method,
    url: reqwest::Url,
    origin: String,
    headers: HeaderMap,
    body: Option<Bytes>,
}

impl Prepared {
    fn key(&self) -> Key {
        let mut headers: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        headers.sort();
        Key {
            method: self.method.clone(),
            url: self.url.as_str().to_owned(),
            headers,
            body: self.body.clone(),
        }
    }
}

struct Inner {
    client: reqwest::Client,
    /// The static headers and the bearer token, marked sensitive.
    headers: HeaderMap,
    breaker: Breaker,
    /// Per origin: no request before this instant (429 with `Retry-After`).
    limits: Mutex<HashMap<String, Instant>>,
    in_flight: Mutex<HashMap<Key, Shared>>,
    stats: Counters,
    config: TransportConfig,
}

/// The HTTP transport shared by remote providers: one connection pool, retries, a circuit
/// breaker, coalescing, limits (see the [module](crate::transport) documentation). Cheap to clone (an
/// `Arc`); clones share everything, counters and breaker included.
///
/// [`send`](Self::send) may be polled from any tokio runtime with the I/O and time drivers
/// (`enable_all`), current-thread or multi-thread. Pooled connections are driven by the
/// runtime that opened them: drive one transport from one long-lived runtime where possible
/// (a connection whose runtime is gone is discarded, and such a failure is retried).
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.inner.config)
            .field("circuit", &self.circuit_state())
            .field("stats", &self.stats())
            .finish()
    }
}

/// Removes a coalescing entry when its leader finishes or is cancelled.
struct Leave<'a> {
    in_flight: &'a Mutex<HashMap<Key, Shared>>,
    key: &'a Key,
    cell: &'a Shared,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(self.key).is_some_and(|c| Arc::ptr_eq(c, self.cell)) {
            map.remove(self.key);
        }
    }
}

impl Transport {
    /// A transport with the default configuration.
    pub fn new() -> Result<Transport, ConfigError> {
        TransportConfig::new().build()
    }

    /// The configuration builder.
    pub fn builder() -> TransportConfig {
        TransportConfig::new()
    }

    /// The circuit breaker's state.
    pub fn circuit_state(&self) -> CircuitState {
        self.inner.breaker.state()
    }

    /// The counters.
    pub fn stats(&self) -> TransportStats {
        let c = &self.inner.stats;
        TransportStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            coalesced: c.coalesced.load(Ordering::Relaxed),
            failed_fast: c.failed_fast.load(Ordering::Relaxed),
        }
    }

    /// The configured [deadline](TransportConfig::deadline) of one call.
    pub fn deadline(&self) -> Duration {
        self.inner.config.effective_deadline()
    }

    /// Sends `request`: retried, coalesced and limited as configured, and answered within the
    /// [deadline](TransportConfig::deadline) from now. A status below 400 is a [`Response`];
    /// 400 and above is a [`TransportError::Status`] (or [`TransportError::RateLimited`] for
    /// a 429 with `Retry-After`).
    pub async fn send(&self, request: Request) -> Result<Response, TransportError> {
        self.send_until(request, Deadline::after(self.deadline()))
            .await
    }

    /// [`send`](Self::send), answered by `deadline` rather than within the configured deadline
    /// from now: several calls that make one operation (the flags of one struct, say) share
    /// one deadline. After `deadline`, no attempt is started and a caller waiting for an
    /// identical request in flight stops waiting; either way
    /// [`TransportError::DeadlineExceeded`].
    pub async fn send_until(
        &self,
        request: Request,
        deadline: Deadline,
    ) -> Result<Response, TransportError> {
        let prepared = self.prepare(request)?;
        self.check_limit(&prepared.origin)?;
        let attempts = AtomicU32::new(0);
        let cut_off = |joined: bool| TransportError::DeadlineExceeded {
            deadline: deadline.budget(),
            attempts: attempts.load(Ordering::Relaxed),
            joined,
        };
        if deadline.has_passed() {
            return Err(cut_off(false));
        }
        let until = tokio::time::Instant::from_std(deadline.instant());
        if !self.inner.config.coalesce {
            // The attempts keep to the deadline themselves; this bounds what they cannot
            // (a name lookup that ignores its timeout, say).
            let work = self.execute(&prepared, deadline, &attempts);
            return match tokio::time::timeout_at(until, work).await {
                Ok(result) => result,
                Err(_) => Err(cut_off(false)),
            };
        }
        let key = prepared.key();
        let (cell, joined) = {
            let mut map = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match map.get(&key) {
                Some(cell) => {
                    self.inner.stats.coalesced.fetch_add(1, Ordering::Relaxed);
                    (cell.clone(), true)
                }
                None => {
                    let cell = Shared::default();
                    map.insert(key.clone(), cell.clone());
                    (cell, false)
                }
            }
        };
        // Whoever runs the request (the caller that started it, or a caller that takes over
        // when that one gives up) runs it to its own deadline; everyone stops waiting at
        // their own.
        let work = cell.get_or_init(|| async {
            let _leave = Leave {
                in_flight: &self.inner.in_flight,
                key: &key,
                cell: &cell,
            };
            self.execute(&prepared, deadline, &attempts).await
        });
        match tokio::time::timeout_at(until, work).await {
            Ok(result) => result.clone(),
            Err(_) => Err(cut_off(joined && attempts.load(Ordering::Relaxed) == 0)),
        }
    }

    /// Parses the URL and merges the headers: static and bearer, then the factory's, then the
    /// request's.
    fn prepare(&self, request: Request) -> Result<Prepared, TransportError> {
        let invalid = |message: String| TransportError::InvalidRequest { message };
        let url = reqwest::Url::parse(&request.url)
            .map_err(|e| invalid(format!("the URL cannot be parsed ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "the URL's scheme is `{}`; use `http` or `https`",
                url.scheme()
            )));
        }
        let origin = url.origin().ascii_serialization();
        let mut headers = self.inner.headers.clone();
        let factory = self
            .inner
            .config
            .headers_factory
            .as_ref()
            .map(|f| f())
            .unwrap_or_default();
        // Within each layer, several values of a name are all sent; a layer replaces the
        // names it sets in the layers below.
        for layer in [factory, request.headers] {
            let mut replaced = Vec::new();
            for (name, value) in &layer {
                let (name, value) = header_pair(name, value)
                    .map_err(|name| invalid(format!("header `{name}` is not valid HTTP")))?;
                if !replaced.contains(&name) {
                    headers.remove(&name);
                    replaced.push(name.clone());
                }
                headers.append(name, value);
            }
        }
        Ok(Prepared {
            method: request.method,
            url,
            origin,
            headers,
            body: request.body,
        })
    }

    fn check_limit(&self, origin: &str) -> Result<(), TransportError> {
        let mut limits = self.inner.limits.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match limits.get(origin) {
            Some(&until) if now < until => {
                self.inner.stats.failed_fast.fetch_add(1, Ordering::Relaxed);
                Err(TransportError::RateLimited { until })
            }
            Some(_) => {
                limits.remove(origin);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The attempts of one request, within `deadline`; `attempts` counts them.
    async fn execute(
        &self,
        request: &Prepared,
        deadline: Deadline,
        attempts: &AtomicU32,
    ) -> Result<Response, TransportError> {
        let config = &self.inner.config;
        let min_retry_budget = (config.timeout / 10).min(MIN_RETRY_BUDGET);
        let mut retry = 0;
        loop {
            if retry > 0 {
                self.check_limit(&request.origin)?;
            }
            let remaining = deadline.remaining();
            if remaining.is_zero() {
                return Err(TransportError::DeadlineExceeded {
                    deadline: deadline.budget(),
                    attempts: attempts.load(Ordering::Relaxed),
                    joined: false,
                });
            }
            let permit = self.inner.breaker.acquire().map_err(|retry_in| {
                self.inner.stats.failed_fast.fetch_add(1, Ordering::Relaxed);
                TransportError::CircuitOpen { retry_in }
            })?;
            self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            attempts.fetch_add(1, Ordering::Relaxed);
            let budget = config.timeout.min(remaining);
            // The attempt's own timer ends no later than the deadline, so when both end in the
            // same tick the caller's cut-off (which polls the attempt first) sees the attempt's
            // timeout, and the breaker hears of it.
            let attempt_until = (tokio::time::Instant::now() + config.timeout)
                .min(tokio::time::Instant::from_std(deadline.instant()));
            let result = tokio::time::timeout_at(attempt_until, self.attempt(request, budget))
                .await
                .unwrap_or(Err(TransportError::Timeout));
            let error = match result {
                Ok(response) => {
                    permit.report(Outcome::Success);
                    return Ok(response);
                }
                Err(error) => error,
            };
            // An attempt the deadline cut well short of the timeout says little about the
            // server: it does not count towards opening the breaker.
            let cut_short = budget < config.timeout / 2;
            permit.report(match error {
                TransportError::Timeout if cut_short => Outcome::Neutral,
                _ => error.outcome(),
            });
            // A timeout with no time left for a retry is the deadline's doing.
            let out_of_time = |error: TransportError| match error {
                TransportError::Timeout => TransportError::DeadlineExceeded {
                    deadline: deadline.budget(),
                    attempts: attempts.load(Ordering::Relaxed),
                    joined: false,
                },
                error => error,
            };
            if !error.is_retryable() || retry >= config.retries {
                return Err(if budget < config.timeout {
                    out_of_time(error)
                } else {
                    error
                });
            }
            let asked = match &error {
                TransportError::Status { retry_after, .. } => *retry_after,
                TransportError::RateLimited { until } => {
                    Some(until.saturating_duration_since(Instant::now()))
                }
                _ => None,
            };
            let wait = backoff(config.retry_delay, retry).max(asked.unwrap_or_default());
            // A server that asks for a longer wait than one request may take is not waited
            // for: the caller gets the error now (a rate limit fails fast until it passes).
            if wait > MAX_DELAY || asked.is_some_and(|asked| asked > config.timeout) {
                return Err(error);
            }
            // Nor is a wait that would leave the retry too little time before the deadline.
            let remaining = deadline.remaining();
            if wait.saturating_add(min_retry_budget) > remaining {
                tracing::debug!(
                    target: "flags",
                    "not retrying: {} ms left before the deadline after: {error}",
                    remaining.as_millis()
                );
                return Err(out_of_time(error));
            }
            tracing::debug!(target: "flags", "retrying in {} ms after: {error}", wait.as_millis());
            tokio::time::sleep(wait).await;
            retry += 1;
            self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One HTTP exchange, from connecting to the end of the body within `timeout`.
    async fn attempt(
        &self,
        request: &Prepared,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let config = &self.inner.config;
        let mut builder = self
            .inner
            .client
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone())
            .timeout(timeout);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if status >= 400 {
            return Err(self.status_error(request, status, &headers, response).await);
        }
        if response
            .content_length()
            .is_some_and(|n| n > config.max_body)
        {
            return Err(TransportError::TooLarge {
                limit: config.max_body,
            });
        }
        let body = read_body(&mut response, config.max_body, false).await?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Follows at most 5 redirects, each to the origin of the first request; any other redirect
/// response is returned as it is (the caller sees its 3xx status).
fn same_origin_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let same_origin = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    if same_origin && attempt.previous().len() <= 5 {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

impl Transport {
    /// The error for an answer of 400 or more: a 429 with `Retry-After` opens the origin's
    /// fail-fast window.
    async fn status_error(
        &self,
        request: &Prepared,
        status: u16,
        headers: &HeaderMap,
        mut response: reqwest::Response,
    ) -> TransportError {
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        if status == 429
            && let Some(wait) = retry_after
        {
            let until = Instant::now() + wait.min(Duration::from_secs(24 * 3600));
            tracing::warn!(
                target: "flags",
                "rate limited (429); no request to this origin for {} s",
                wait.as_secs()
            );
            self.inner
                .limits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(request.origin.clone(), until);
            return TransportError::RateLimited { until };
        }
        // The start of the body, for error details; a failure to read it loses only that.
        let body = read_body(&mut response, ERROR_BODY_LIMIT as u64, true)
            .await
            .unwrap_or_default();
        TransportError::Status {
            status,
            retry_after,
            content_type: headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body,
        }
    }

    /// Opens a long-lived response (server-sent events, say) and returns it once its headers
    /// arrive; its body is then read as it comes with [`Stream::chunk`]. The configured
    /// headers, TLS and connect timeout apply, and the timeout bounds the wait for the
    /// headers; the body has no overall timeout (bound each read, if needed, on the caller's
    /// side). One attempt: no retry, no coalescing, no circuit breaker (a stream's failures
    /// are the caller's to pace); an origin in its 429 window fails fast.
    pub async fn open_stream(&self, request: Request) -> Result<Stream, TransportError> {
        let prepared = self.prepare(request)?;
        self.check_limit(&prepared.origin)?;
        self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut builder = self
            .inner
            .client
            .request(prepared.method.clone(), prepared.url.clone())
            .headers(prepared.headers.clone())
            // Replaces the client's overall timeout, which would cut the stream.
            .timeout(STREAM_LIFETIME);
        if let Some(body) = &prepared.body {
            builder = builder.body(body.clone());
        }
        let mut response = tokio::time::timeout(self.inner.config.timeout, builder.send())
            .await
            .map_err(|_| TransportError::Timeout)?
            .map_err(classify)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if status >= 400 {
            return Err(self
                .status_error(&prepared, status, &headers, response)
                .await);
        }
        Ok(Stream {
            status,
            headers,
            response,
        })
    }
}

/// How long an open stream may last at most (in effect: no limit).
const STREAM_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// A response whose body is read as it arrives ([`Transport::open_stream`]).
pub struct Stream {
    status: u16,
    headers: HeaderMap,
    response: reqwest::Response,
}

impl Stream {
    /// The status code (below 400).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value of header `name` (any case), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next piece of the body as it arrives; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        self.response.chunk().await.map_err(|error| {
            if error.is_timeout() {
                TransportError::Timeout
            } else {
                TransportError::Body {
                    message: causes(&error),
                }
            }
        })
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Stream")
            .field("status", &self.status)
            .field("headers", &names)
            .finish_non_exhaustive()
    }
}

/// The body, up to `limit` bytes: beyond it, an error (or, with `truncate`, the first `limit`
/// bytes).
async fn read_body(
    response: &mut reqwest::Response,
    limit: u64,
    truncate: bool,
) -> Result<Bytes, TransportError> {
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    let hint = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(limit_usize)
        .min(1 << 20);
    let mut body = BytesMut::with_capacity(hint);
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(body.freeze()),
            Err(error) if error.is_timeout() => return Err(TransportError::Timeout),
            Err(error) => {
                return Err(TransportError::Body {
                    message: causes(&error),
                });
            }
        };
        if body.len().saturating_add(chunk.len()) > limit_usize {
            if truncate {
                body.extend_from_slice(&chunk[..limit_usize - body.len()]);
                return Ok(body.freeze());
            }
            return Err(TransportError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
}

/// A `reqwest` error as a transport error, without the URL.
fn classify(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        return TransportError::Timeout;
    }
    if let Some(tls) = find_tls_error(&error) {
        return TransportError::Tls {
            message: tls_message(tls),
        };
    }
    let message = causes(&error);
    if error.is_builder() {
        TransportError::InvalidRequest { message }
    } else if error.is_connect() {
        TransportError::Connect { message }
    } else if error.is_body() || error.is_decode() {
        TransportError::Body { message }
    } else {
        TransportError::Network { message }
    }
}

/// The causes of an error, without the top level (whose text carries the URL).
fn causes(error: &reqwest::Error) -> String {
    let mut message = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        source = cause.source();
    }
    if message.is_empty() {
        message = if error.is_connect() {
            "connection failed"
        } else {
            "unknown cause"
        }
        .to_owned();
    }
    message
}

/// The rustls error in the chain, including inside I/O errors (whose `source` skips it).
fn find_tls_error(error: &reqwest::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // I/O errors nest: look inside each.
        let mut io = cause.downcast_ref::<std::io::Error>();
        while let Some(inner) = io.and_then(std::io::Error::get_ref) {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            io = inner.downcast_ref::<std::io::Error>();
        }
        source = cause.source();
    }
    None
}

fn tls_message(error: &rustls::Error) -> String {
    use rustls::{AlertDescription as Alert, CertificateError, Error};
    let hint = match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "; the server's certificate is not signed by a trusted root: add its CA with \
             `add_root_certificate_pem`"
        }
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "; the certificate does not name this host",
        Error::AlertReceived(
            Alert::CertificateRequired | Alert::HandshakeFailure | Alert::BadCertificate,
        ) => "; the server may require a client certificate: set one with `client_identity_pem`",
        _ => "",
    };
    format!("{error}{hint}")
}

fn header_pair<'a>(name: &'a str, value: &str) -> Result<(HeaderName, HeaderValue), &'a str> {
    let header_name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| name)?;
    let value = secret_value(value.trim()).ok_or(name)?;
    Ok((header_name, value))
}

fn secret_value(value: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(value).ok()?;
    value.set_sensitive(true);
    Some(value)
}
