//! [`TransportConfig`]: the builder of a [`Transport`], its defaults and its validation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::classify::describe_error;
use crate::headers::{header_pair, secret_value};
use crate::retry::MAX_DELAY;
use crate::tls::{TlsOptions, client_config};
use crate::{ConfigError, Transport};

/// Called once per [`Transport::send`] for headers computed at request time (a rotating token,
/// a request id); its headers win over the static ones and the bearer token. Its values are
/// treated as secrets.
pub type HeadersFactory = Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync>;

/// The most retries a transport makes after the first attempt.
const MAX_RETRIES: u32 = 10;
/// The longest [`TransportConfig::deadline`] accepted.
pub const MAX_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// How to build a [`Transport`]: a builder, validated by [`build`](TransportConfig::build).
///
/// Defaults: 10 s timeout, a deadline equal to the timeout, 5 s connect timeout, 2 retries
/// from a 250 ms delay, a breaker opening after 5 consecutive failures for 30 s, coalescing
/// on, a 10 MiB body limit, the platform's roots, no client identity.
#[derive(Clone)]
pub struct TransportConfig {
    pub(crate) timeout: Duration,
    /// `None`: the timeout.
    pub(crate) deadline: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) retry_delay: Duration,
    /// `None`: the default, 5 failures, or as many as one request's attempts when that is
    /// more (so that the breaker never cuts the retries asked for short).
    pub(crate) breaker_threshold: Option<u32>,
    pub(crate) breaker_open_for: Duration,
    pub(crate) coalesce: bool,
    pub(crate) max_body: u64,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) bearer: Option<String>,
    pub(crate) headers_factory: Option<HeadersFactory>,
    pub(crate) roots_pem: Vec<Vec<u8>>,
    pub(crate) built_in_roots: bool,
    pub(crate) identity: Option<(Vec<u8>, Vec<u8>)>,
    pub(crate) skip_hostname: bool,
    pub(crate) user_agent: String,
    pub(crate) cross_origin_redirects: bool,
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
            skip_hostname: false,
            user_agent: concat!("flags/", env!("CARGO_PKG_VERSION")).to_owned(),
            cross_origin_redirects: false,
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

    pub(crate) fn effective_deadline(&self) -> Duration {
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

    pub(crate) fn breaker_threshold(&self) -> u32 {
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

    /// Accepts a server certificate issued for another name than the URL's host (default
    /// `false`); its chain is still verified against the trusted roots, and mutual TLS works
    /// as usual. For servers reached by an address their certificate does not name (an IP
    /// address, an internal alias): Flipt's `insecure_skip_hostname_verify`. There is no option
    /// to skip the chain's verification.
    pub fn tls_skip_hostname_verification(mut self, skip: bool) -> Self {
        self.skip_hostname = skip;
        self
    }

    /// Whether redirects to another origin are followed (default `false`: a redirect leaving
    /// the origin of the request is returned as it is, its 3xx status included). Turn it on
    /// only for requests that carry no credentials: the configured headers follow a redirect
    /// (reqwest drops only `Authorization` and cookies). At most 5 redirects are followed
    /// either way.
    pub fn cross_origin_redirects(mut self, follow: bool) -> Self {
        self.cross_origin_redirects = follow;
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
            skip_hostname: self.skip_hostname,
        })?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(user_agent)
            .retry(reqwest::retry::never())
            // Static headers carry credentials (`X-Api-Key`, say) that reqwest would forward
            // across origins (it strips only `Authorization` and cookies), and `Referer`
            // would carry the query (a Flagship context): redirects stay within the origin
            // unless asked otherwise, and no `Referer`.
            .redirect(if self.cross_origin_redirects {
                reqwest::redirect::Policy::custom(any_redirects)
            } else {
                reqwest::redirect::Policy::custom(same_origin_redirects)
            })
            .referer(false)
            .build()
            .map_err(|e| ConfigError::Client {
                message: describe_error(&e),
            })?;
        Ok(Transport::from_parts(client, headers, self))
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
            .field("skip_hostname_verification", &self.skip_hostname)
            .field("user_agent", &self.user_agent)
            .field("cross_origin_redirects", &self.cross_origin_redirects)
            .finish()
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

/// Follows at most 5 redirects, wherever they lead; the 6th is returned as it is.
fn any_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    if attempt.previous().len() <= 5 {
        attempt.follow()
    } else {
        attempt.stop()
    }
}
