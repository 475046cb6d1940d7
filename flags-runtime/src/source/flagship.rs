//! Cloudflare Flagship's flag definitions, polled for in-process evaluation (Flagship's "local
//! mode"): the HTTP polling source with Flagship's URL, credentials, retries and format.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flags_http::TransportConfig;

use super::http::{HttpConfig, Secret};
use flags_schema::Format;

use super::plan::{Kind, Options, Plan, Source, sealed};
use crate::error::Error;
use crate::wire::flagship::{
    DEFAULT_RETRIES, DEFAULT_RETRY_DELAY, DEFAULT_TIMEOUT, FlagshipConfigError, HeadersFactory,
    MAX_RETRIES, MAX_RETRY_DELAY, definitions_url,
};

/// How often the definitions are polled, unless set.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// The longest refresh interval accepted.
pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Every flag definition of a Cloudflare Flagship app, evaluated in process: `GET
/// {base_url}/client/v4/accounts/{account_id}/flagship/apps/{app_id}/definitions` (the ids
/// percent-encoded), polled every [`refresh_interval`](FlagshipSource::refresh_interval) with
/// `If-None-Match`, and evaluated as Flagship's data plane evaluates them (the account id
/// seeds the rollouts). The token needs the app's read permission.
///
/// `build()` returns at once and checks the settings (a typed
/// [`Error::Flagship`](crate::Error::Flagship) for an endpoint that is not an evaluate URL or a
/// refresh interval out of bounds); the first fetch runs in the background. Until it lands,
/// reads answer the caller's default with `PROVIDER_NOT_READY`, or serve the
/// [bootstrap](FlagshipSource::bootstrap) or [persisted](FlagshipSource::persist) copy;
/// [`Client::wait_ready`](crate::Client::wait_ready) waits for it. Then:
///
/// - a `304` keeps the definitions; a response without an `ETag` makes the next polls
///   unconditional;
/// - new definitions are swapped in whole, with `CONFIGURATION_CHANGED` naming the flags whose
///   definitions changed; a flag whose own definition is broken answers `PARSE_ERROR`, the
///   others serve;
/// - a failed poll (a 5xx after the retries, a timeout, a body that is not
///   `{"flags": {...}}`, one too large) keeps the last good definitions: `STALE` after
///   [`stale_after`](FlagshipSource::stale_after) failures in a row, `READY` again when a poll
///   succeeds; a `401` or `403` is final (`FATAL`);
/// - after [`Client::shutdown`](crate::Client::shutdown), a poll still in flight is dropped
///   and never applies.
///
/// ```no_run
/// use std::time::Duration;
/// let client = flags_runtime::Client::builder()
///     .in_process(flags_runtime::source::flagship("my-account", "my-app")
///         .auth_token(std::env::var("CLOUDFLARE_API_TOKEN").unwrap_or_default())
///         .refresh_interval(Duration::from_secs(30)))
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
///
/// Local mode has nothing to cache (every read is answered in process, in nanoseconds), so
/// this source has no per-evaluation cache; the cache is the remote provider's
/// ([`remote::Flagship::cache`](crate::remote::Flagship::cache)), for HTTP mode only:
///
/// ```compile_fail,E0599
/// let source = flags_runtime::source::flagship("my-account", "my-app")
///     .cache(std::time::Duration::from_secs(60), 1000); // no such method
/// ```
pub fn flagship(account_id: impl Into<String>, app_id: impl Into<String>) -> FlagshipSource {
    FlagshipSource {
        account_id: account_id.into(),
        app_id: app_id.into(),
        base_url: None,
        endpoint: None,
        auth_token: None,
        headers_factory: None,
        refresh_interval: DEFAULT_REFRESH_INTERVAL,
        jitter: None,
        timeout: DEFAULT_TIMEOUT,
        retries: DEFAULT_RETRIES,
        retry_delay: DEFAULT_RETRY_DELAY,
        max_body: super::http::DEFAULT_MAX_BODY,
        transport: TransportConfig::new(),
        options: Options::default(),
    }
}

/// Cloudflare Flagship's definitions, polled; see [`flagship()`].
#[derive(Clone)]
#[must_use]
pub struct FlagshipSource {
    account_id: String,
    app_id: String,
    base_url: Option<String>,
    endpoint: Option<String>,
    auth_token: Option<Secret>,
    headers_factory: Option<HeadersFactory>,
    refresh_interval: Duration,
    jitter: Option<Duration>,
    timeout: Duration,
    retries: u32,
    retry_delay: Duration,
    max_body: usize,
    transport: TransportConfig,
    options: Options,
}

impl FlagshipSource {
    /// The API's base URL (default `https://api.cloudflare.com`; trailing slashes are
    /// stripped).
    pub fn base_url(mut self, base_url: impl Into<String>) -> FlagshipSource {
        self.base_url = Some(base_url.into());
        self
    }

    /// A full evaluate URL (`https://.../evaluate`, what the remote provider's
    /// [`flagship_endpoint`](crate::remote::flagship_endpoint) takes) instead of the URL built
    /// from the ids: its `/evaluate` becomes `/definitions`. The account id still seeds the
    /// rollouts; the app id is not used. Any other URL fails `build()`
    /// ([`FlagshipConfigError::NotAnEvaluateEndpoint`], or
    /// [`InvalidUrl`](FlagshipConfigError::InvalidUrl) without a scheme and a host).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> FlagshipSource {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sends `Authorization: Bearer <token>`. The token never appears in `Debug`, logs or
    /// errors.
    pub fn auth_token(mut self, token: impl Into<String>) -> FlagshipSource {
        self.auth_token = Some(Secret(Arc::from(token.into())));
        self
    }

    /// Headers computed for every request (a rotating credential), merged over the token's: a
    /// factory's `Authorization` wins. `If-None-Match` is the poll's own. A factory that panics
    /// fails that poll.
    pub fn headers_factory(
        mut self,
        factory: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    ) -> FlagshipSource {
        self.headers_factory = Some(Arc::new(factory));
        self
    }

    /// The time between two polls (default [`DEFAULT_REFRESH_INTERVAL`]), plus a random
    /// [jitter](FlagshipSource::jitter). Positive and at most [`MAX_REFRESH_INTERVAL`], or
    /// `build()` fails with [`FlagshipConfigError::InvalidRefreshInterval`].
    pub fn refresh_interval(mut self, interval: Duration) -> FlagshipSource {
        self.refresh_interval = interval;
        self
    }

    /// The most added at random to each interval (default: a tenth of it).
    pub fn jitter(mut self, jitter: Duration) -> FlagshipSource {
        self.jitter = Some(jitter);
        self
    }

    /// The timeout of one attempt (default 5 s); zero fails `build()`.
    pub fn timeout(mut self, timeout: Duration) -> FlagshipSource {
        self.timeout = timeout;
        self
    }

    /// Attempts after a failed one within one poll (default 1, at most 10), for transport
    /// errors and 5xx, with exponential backoff from [`retry_delay`](Self::retry_delay); the
    /// next poll retries anyway.
    pub fn retries(mut self, retries: u32) -> FlagshipSource {
        self.retries = retries.min(MAX_RETRIES);
        self
    }

    /// The base delay of the backoff between attempts (default 1 s, at most 30 s).
    pub fn retry_delay(mut self, delay: Duration) -> FlagshipSource {
        self.retry_delay = delay.min(MAX_RETRY_DELAY);
        self
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY`](super::DEFAULT_MAX_BODY)); a
    /// larger one is a failed poll.
    pub fn max_body_size(mut self, bytes: usize) -> FlagshipSource {
        self.max_body = bytes;
        self
    }

    /// The transport's settings (circuit breaker, TLS roots, client certificate, deadline);
    /// its timeout, retries, retry delay, body limit and headers are replaced by this
    /// source's.
    pub fn transport(mut self, transport: TransportConfig) -> FlagshipSource {
        self.transport = transport;
        self
    }

    /// Definitions (Flagship's JSON, read for this account) served until the first successful
    /// fetch.
    pub fn bootstrap(mut self, json: impl Into<String>) -> FlagshipSource {
        self.options.bootstrap = Some(json.into());
        self
    }

    /// Keeps a copy of the definitions applied in `path` (written atomically), and serves it
    /// (reason `STALE`) from the start until the first successful fetch.
    pub fn persist(mut self, path: impl Into<PathBuf>) -> FlagshipSource {
        self.options.persist = Some(path.into());
        self
    }

    /// After how many consecutive failed polls the provider reports `STALE`
    /// (default [`DEFAULT_STALE_AFTER`](super::DEFAULT_STALE_AFTER); at least 1).
    pub fn stale_after(mut self, failures: u32) -> FlagshipSource {
        self.options.stale_after = failures.max(1);
        self
    }

    /// The definitions URL, or why there is none.
    fn url(&self) -> Result<String, FlagshipConfigError> {
        definitions_url(
            &self.account_id,
            &self.app_id,
            self.base_url.as_deref(),
            self.endpoint.as_deref(),
        )
    }

    /// The settings, checked.
    fn config(self) -> Result<(HttpConfig, Options), FlagshipConfigError> {
        let url = self.url()?;
        if self.refresh_interval.is_zero() || self.refresh_interval > MAX_REFRESH_INTERVAL {
            return Err(FlagshipConfigError::InvalidRefreshInterval {
                interval: self.refresh_interval,
                max: MAX_REFRESH_INTERVAL,
            });
        }
        if self.timeout.is_zero() {
            return Err(FlagshipConfigError::ZeroTimeout);
        }
        let mut config = HttpConfig::new(url, self.refresh_interval, self.timeout);
        config.jitter = self.jitter;
        config.bearer = self.auth_token;
        config.headers_factory = self.headers_factory;
        config.max_body = self.max_body;
        config.transport = self.transport;
        config.retries = self.retries;
        config.retry_delay = self.retry_delay;
        let mut options = self.options;
        options.format = Some(Format::Flagship {
            account_id: self.account_id,
        });
        Ok((config, options))
    }
}

impl fmt::Debug for FlagshipSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |url: &Option<String>| url.as_deref().map(crate::transport::redact_url);
        f.debug_struct("FlagshipSource")
            .field("account_id", &self.account_id)
            .field("app_id", &self.app_id)
            .field("base_url", &redacted(&self.base_url))
            .field("endpoint", &redacted(&self.endpoint))
            .field("auth_token", &self.auth_token)
            .field("headers_factory", &self.headers_factory.is_some())
            .field("refresh_interval", &self.refresh_interval)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .field("max_body", &self.max_body)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Source for FlagshipSource {
    fn describe(&self) -> String {
        match self.url() {
            Ok(url) => format!("Flagship `{}`", crate::transport::redact_url(&url)),
            Err(_) => "the Flagship source".to_owned(),
        }
    }
}

impl sealed::Sealed for FlagshipSource {
    fn plan(self: Box<Self>) -> Result<Plan, Error> {
        let describe = self.describe();
        let (config, options) = self.config().map_err(|error| Error::Flagship {
            origin: describe.clone(),
            error,
        })?;
        Ok(Plan {
            describe,
            kind: Kind::Http(Box::new(config)),
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(source: FlagshipSource) -> Result<String, FlagshipConfigError> {
        source.url()
    }

    #[test]
    fn the_definitions_url_from_ids_or_from_an_evaluate_endpoint() {
        assert_eq!(
            url(flagship("acc", "app")).unwrap(),
            "https://api.cloudflare.com/client/v4/accounts/acc/flagship/apps/app/definitions"
        );
        assert_eq!(
            url(flagship("a/c c", "ap p?").base_url("http://127.0.0.1:9/api//")).unwrap(),
            "http://127.0.0.1:9/api/client/v4/accounts/a%2Fc%20c/flagship/apps/ap%20p%3F/definitions"
        );
        for (endpoint, expected) in [
            ("https://h/x/evaluate", "https://h/x/definitions"),
            ("https://h/x/evaluate/", "https://h/x/definitions"),
            ("https://h/evaluate?v=1", "https://h/definitions?v=1"),
            (
                " http://h:8080/a/evaluate// ",
                "http://h:8080/a/definitions",
            ),
        ] {
            assert_eq!(
                url(flagship("acc", "").endpoint(endpoint)).unwrap(),
                expected
            );
        }
        for endpoint in [
            "https://h/x/evaluation",
            "https://h/x",
            "https://evaluate",
            "https://h/evaluate/x",
            "https://h/x?path=/evaluate",
        ] {
            assert_eq!(
                url(flagship("acc", "app").endpoint(endpoint)),
                Err(FlagshipConfigError::NotAnEvaluateEndpoint),
                "{endpoint}"
            );
        }
        for endpoint in ["h/x/evaluate", "ftp://h/evaluate", "https:///evaluate"] {
            assert!(
                matches!(
                    url(flagship("acc", "app").endpoint(endpoint)),
                    Err(FlagshipConfigError::InvalidUrl {
                        field: "endpoint",
                        ..
                    })
                ),
                "{endpoint}"
            );
        }
        assert_eq!(
            url(flagship("", "app")),
            Err(FlagshipConfigError::EmptyId {
                field: "account_id"
            })
        );
        assert_eq!(
            url(flagship("", "app").endpoint("https://h/evaluate")),
            Err(FlagshipConfigError::EmptyId {
                field: "account_id"
            })
        );
        assert_eq!(
            url(flagship("acc", "")),
            Err(FlagshipConfigError::EmptyId { field: "app_id" })
        );
    }

    #[test]
    fn settings_are_checked_and_the_token_never_shows() {
        for interval in [
            Duration::ZERO,
            MAX_REFRESH_INTERVAL + Duration::from_nanos(1),
        ] {
            let error = flagship("acc", "app")
                .refresh_interval(interval)
                .config()
                .err();
            assert_eq!(
                error,
                Some(FlagshipConfigError::InvalidRefreshInterval {
                    interval,
                    max: MAX_REFRESH_INTERVAL
                })
            );
        }
        assert_eq!(
            flagship("acc", "app")
                .timeout(Duration::ZERO)
                .config()
                .err(),
            Some(FlagshipConfigError::ZeroTimeout)
        );
        let source = flagship("acc", "app")
            .auth_token("sekrit-token")
            .headers_factory(|| vec![("x-key".to_owned(), "sekrit-header".to_owned())])
            .retries(99)
            .retry_delay(Duration::from_secs(999));
        let debug = format!("{source:?}");
        assert!(!debug.contains("sekrit"), "{debug}");
        let (config, options) = source.config().unwrap();
        assert_eq!(config.retries, MAX_RETRIES);
        assert_eq!(config.retry_delay, MAX_RETRY_DELAY);
        assert_eq!(config.interval, DEFAULT_REFRESH_INTERVAL);
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        assert!(!format!("{config:?}").contains("sekrit"));
        assert_eq!(
            options.format,
            Some(Format::Flagship {
                account_id: "acc".into()
            })
        );
    }
}
