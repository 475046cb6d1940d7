//! A Flipt namespace, evaluated in process: its snapshot polled (any Flipt server) or streamed
//! (Flipt v2), on the HTTP polling source and the streaming reader, read in
//! [`Format::Flipt`] for the namespace.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flags_http::TransportConfig;

use super::http::{DEFAULT_MAX_BODY, HttpConfig, Secret};
use flags_schema::Format;

use super::plan::{ErrorStrategy, Kind, Options, Plan, Source, sealed};
use crate::error::Error;
use crate::wire::flipt::{
    ACCEPT_SERVER_VERSION, ACCEPT_SERVER_VERSION_HEADER, ENVIRONMENT_HEADER, snapshot_url,
    stream_line, stream_url,
};

/// Every flag of a Flipt namespace, evaluated in process as Flipt's client engine evaluates
/// it (entity id: the context's targeting key), kept current in the background:
///
/// - polled (the default) every [`interval`](FliptSource::interval): `GET
///   {url}/internal/v1/evaluation/snapshot/namespace/{namespace}[?reference=..]` with
///   `If-None-Match` (forgotten after a failed poll, so that the next one is unconditional);
/// - or [streamed](FliptSource::streaming) (Flipt v2): `GET
///   {url}/client/v2/environments/{environment}/namespaces/{namespace}/stream`, one
///   newline-delimited `{"result": <namespace>}` per change, each a whole namespace; the
///   stream is opened again when it ends, breaks or stays silent, after a capped backoff with
///   jitter.
///
/// Every request sends `Accept: application/json`, `X-Flipt-Accept-Server-Version: 1.47.0`,
/// `X-Flipt-Environment` and the credentials (`Bearer` client token or `JWT`), the path
/// segments and the reference percent-encoded, through the shared transport: a timeout (10 s
/// by default), retries with exponential backoff and jitter (3, from 1 s), and its TLS
/// settings ([`transport`](FliptSource::transport): a custom CA, mutual TLS, the
/// hostname-only skip).
///
/// `build()` returns at once; until the first snapshot lands, reads answer the caller's
/// default with `PROVIDER_NOT_READY`, or serve the [bootstrap](FliptSource::bootstrap) (a
/// snapshot exported by [`Client::snapshot`](crate::Client::snapshot) or by Flipt's own client
/// SDKs) or the [persisted](FliptSource::persist) copy;
/// [`Client::wait_ready`](crate::Client::wait_ready) waits for it. Then a new snapshot is
/// swapped in whole, with `CONFIGURATION_CHANGED` naming the flags that changed; a flag whose
/// own definition is broken answers `PARSE_ERROR`, the others serve. While the server fails
/// (a 5xx after the retries, a timeout, a body or a line that is not a snapshot, one too
/// large), the [error strategy](FliptSource::error_strategy) decides: keep serving the last
/// good snapshot (`STALE` after [`stale_after`](FliptSource::stale_after) failures in a row),
/// or fail evaluations until it answers. A `401` or `403` is final (`FATAL`).
///
/// ```no_run
/// let client = flags_runtime::Client::builder()
///     .in_process(flags_runtime::source::flipt("https://flipt.internal:8080")
///         .namespace("checkout")
///         .environment("production")
///         .client_token(std::env::var("FLIPT_TOKEN").unwrap_or_default())
///         .streaming())
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn flipt(url: impl Into<String>) -> FliptSource {
    FliptSource {
        url: url.into(),
        namespace: FliptSource::DEFAULT_NAMESPACE.to_owned(),
        environment: FliptSource::DEFAULT_ENVIRONMENT.to_owned(),
        auth: None,
        reference: None,
        interval: FliptSource::DEFAULT_INTERVAL,
        jitter: None,
        streaming: false,
        idle_timeout: FliptSource::DEFAULT_IDLE_TIMEOUT,
        timeout: FliptSource::DEFAULT_TIMEOUT,
        retries: FliptSource::DEFAULT_RETRIES,
        retry_delay: FliptSource::DEFAULT_RETRY_DELAY,
        max_body: DEFAULT_MAX_BODY,
        transport: TransportConfig::new(),
        options: Options::default(),
    }
}

/// A Flipt namespace, polled or streamed; see [`flipt()`].
#[derive(Clone)]
#[must_use]
pub struct FliptSource {
    url: String,
    namespace: String,
    environment: String,
    auth: Option<Auth>,
    reference: Option<String>,
    interval: Duration,
    jitter: Option<Duration>,
    streaming: bool,
    idle_timeout: Duration,
    timeout: Duration,
    retries: u32,
    retry_delay: Duration,
    max_body: usize,
    transport: TransportConfig,
    options: Options,
}

/// How the client authenticates.
#[derive(Clone, Debug)]
enum Auth {
    /// `Authorization: Bearer <token>`.
    ClientToken(Secret),
    /// `Authorization: JWT <token>`.
    Jwt(Secret),
}

impl FliptSource {
    /// The namespace read unless set, as in Flipt.
    pub const DEFAULT_NAMESPACE: &'static str = "default";
    /// The environment sent unless set (Flipt v2), as Flipt's clients send it.
    pub const DEFAULT_ENVIRONMENT: &'static str = "default";
    /// How often the snapshot is polled unless set, as Flipt's clients poll it.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(120);
    /// How long one request may take unless set (Flipt's clients have no timeout). A stream
    /// must answer within it; its body has no overall bound.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Attempts after a failed one within one poll unless set, as Flipt's clients make.
    pub const DEFAULT_RETRIES: u32 = 3;
    /// The base of the backoff between attempts (and between streams) unless set.
    pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);
    /// How long a stream may stay silent before it is presumed dead, unless set.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
    /// The most retries accepted (more are capped).
    pub const MAX_RETRIES: u32 = 10;

    /// The namespace to evaluate (default [`DEFAULT_NAMESPACE`](Self::DEFAULT_NAMESPACE)).
    /// A snapshot naming another namespace is refused.
    pub fn namespace(mut self, namespace: impl Into<String>) -> FliptSource {
        self.namespace = namespace.into();
        self
    }

    /// The environment (Flipt v2): sent as `X-Flipt-Environment`, and the stream's path
    /// segment (default [`DEFAULT_ENVIRONMENT`](Self::DEFAULT_ENVIRONMENT)).
    pub fn environment(mut self, environment: impl Into<String>) -> FliptSource {
        self.environment = environment.into();
        self
    }

    /// Authenticates with a client token: `Authorization: Bearer <token>`. It never appears
    /// in `Debug`, logs or errors. Replaces a [`jwt`](Self::jwt).
    pub fn client_token(mut self, token: impl Into<String>) -> FliptSource {
        self.auth = Some(Auth::ClientToken(Secret(Arc::from(token.into()))));
        self
    }

    /// Authenticates with a JSON Web Token: `Authorization: JWT <token>`. It never appears in
    /// `Debug`, logs or errors. Replaces a [`client_token`](Self::client_token).
    pub fn jwt(mut self, token: impl Into<String>) -> FliptSource {
        self.auth = Some(Auth::Jwt(Secret(Arc::from(token.into()))));
        self
    }

    /// The reference (a Git branch, tag or commit of a declarative store) the snapshot is
    /// read at: `?reference=`. Polling only: the stream has none.
    pub fn reference(mut self, reference: impl Into<String>) -> FliptSource {
        self.reference = Some(reference.into());
        self
    }

    /// The time between two polls (default [`DEFAULT_INTERVAL`](Self::DEFAULT_INTERVAL)),
    /// plus a random [jitter](Self::jitter); zero fails `build()`.
    pub fn interval(mut self, interval: Duration) -> FliptSource {
        self.interval = interval;
        self
    }

    /// The most added at random to each interval (default: a tenth of it).
    pub fn jitter(mut self, jitter: Duration) -> FliptSource {
        self.jitter = Some(jitter);
        self
    }

    /// Streams the namespace instead of polling it (Flipt v2 and Flipt Cloud): every change
    /// arrives as it is made.
    pub fn streaming(mut self) -> FliptSource {
        self.streaming = true;
        self
    }

    /// How long a stream may send nothing before it is presumed dead and opened again
    /// (default [`DEFAULT_IDLE_TIMEOUT`](Self::DEFAULT_IDLE_TIMEOUT)); zero fails `build()`.
    pub fn idle_timeout(mut self, idle: Duration) -> FliptSource {
        self.idle_timeout = idle;
        self
    }

    /// What reads answer while the server fails (default [`ErrorStrategy::Fallback`]: the
    /// last good snapshot).
    pub fn error_strategy(mut self, strategy: ErrorStrategy) -> FliptSource {
        self.options.error_strategy = strategy;
        self
    }

    /// How long one attempt may take, connection included (default
    /// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT)); for a stream, until its headers. Zero
    /// fails `build()`.
    pub fn timeout(mut self, timeout: Duration) -> FliptSource {
        self.timeout = timeout;
        self
    }

    /// Attempts after a failed one within one poll (default
    /// [`DEFAULT_RETRIES`](Self::DEFAULT_RETRIES), at most
    /// [`MAX_RETRIES`](Self::MAX_RETRIES)), for transport errors, 5xx and 429, after a random
    /// wait growing from [`retry_delay`](Self::retry_delay).
    pub fn retries(mut self, retries: u32) -> FliptSource {
        self.retries = retries.min(Self::MAX_RETRIES);
        self
    }

    /// The base of the backoff between attempts, and between streams (default
    /// [`DEFAULT_RETRY_DELAY`](Self::DEFAULT_RETRY_DELAY), at most 30 s).
    pub fn retry_delay(mut self, delay: Duration) -> FliptSource {
        self.retry_delay = delay.min(flags_http::MAX_DELAY);
        self
    }

    /// The largest snapshot accepted, a body or a line of the stream (default
    /// [`DEFAULT_MAX_BODY`](super::DEFAULT_MAX_BODY)); a larger one is a failure.
    pub fn max_body_size(mut self, bytes: usize) -> FliptSource {
        self.max_body = bytes;
        self
    }

    /// The transport's other settings: TLS (a custom CA with
    /// [`add_root_certificate_pem`](TransportConfig::add_root_certificate_pem), mutual TLS with
    /// [`client_identity_pem`](TransportConfig::client_identity_pem), the hostname-only skip
    /// with [`tls_skip_hostname_verification`](TransportConfig::tls_skip_hostname_verification)),
    /// the circuit breaker. Its timeout, retries, body limit and headers are replaced by this
    /// source's.
    pub fn transport(mut self, transport: TransportConfig) -> FliptSource {
        self.transport = transport;
        self
    }

    /// A snapshot served until the server answers: the server's namespace document or the
    /// snapshot Flipt's client engine exports (what [`Client::snapshot`](crate::Client::snapshot)
    /// returns, and Flipt's client SDKs' `snapshot` option), as JSON or base64. An invalid one
    /// fails `build()`.
    pub fn bootstrap(mut self, snapshot: impl Into<String>) -> FliptSource {
        self.options.bootstrap = Some(snapshot.into());
        self
    }

    /// Keeps a copy of each snapshot applied in `path` (written atomically), and serves it
    /// (reason `STALE`) from the start until the server answers.
    pub fn persist(mut self, path: impl Into<PathBuf>) -> FliptSource {
        self.options.persist = Some(path.into());
        self
    }

    /// After how many consecutive failures the provider reports `STALE`
    /// (default [`DEFAULT_STALE_AFTER`](super::DEFAULT_STALE_AFTER); at least 1).
    pub fn stale_after(mut self, failures: u32) -> FliptSource {
        self.options.stale_after = failures.max(1);
        self
    }

    /// The URL fetched.
    fn endpoint(&self) -> String {
        if self.streaming {
            stream_url(&self.url, &self.environment, &self.namespace)
        } else {
            snapshot_url(&self.url, &self.namespace, self.reference.as_deref())
        }
    }

    /// The most one poll may take: every attempt and every wait between them.
    fn deadline(&self) -> Duration {
        let attempts = self.timeout.saturating_mul(self.retries.saturating_add(1));
        (0..self.retries).fold(attempts, |total, retry| {
            let wait = self
                .retry_delay
                .checked_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
                .unwrap_or(flags_http::MAX_DELAY)
                .min(flags_http::MAX_DELAY);
            total.saturating_add(wait)
        })
    }

    /// The settings, checked.
    fn plan_parts(self) -> Result<(Kind, Options), String> {
        if self.namespace.is_empty() {
            return Err("the namespace is empty; name one with `.namespace(..)`".to_owned());
        }
        if self.streaming && self.environment.is_empty() {
            return Err("the environment is empty; name one with `.environment(..)`".to_owned());
        }
        if self.interval.is_zero() {
            return Err("the interval is zero".to_owned());
        }
        if self.timeout.is_zero() {
            return Err("the timeout is zero".to_owned());
        }
        if self.idle_timeout.is_zero() {
            return Err("the idle timeout is zero".to_owned());
        }
        let mut config = HttpConfig::new(self.endpoint(), self.interval, self.timeout);
        config.jitter = self.jitter;
        config.headers.push((
            ACCEPT_SERVER_VERSION_HEADER.to_owned(),
            Secret(Arc::from(ACCEPT_SERVER_VERSION)),
        ));
        config.headers.push((
            ENVIRONMENT_HEADER.to_owned(),
            Secret(Arc::from(self.environment.as_str())),
        ));
        match self.auth.clone() {
            Some(Auth::ClientToken(token)) => config.bearer = Some(token),
            Some(Auth::Jwt(token)) => config.headers.push((
                "authorization".to_owned(),
                Secret(Arc::from(format!("JWT {}", token.0))),
            )),
            None => {}
        }
        config.max_body = self.max_body;
        config.retries = self.retries;
        config.retry_delay = self.retry_delay;
        config.deadline = Some(self.deadline());
        config.forget_etag_on_error = true;
        config.transport = self.transport;
        let mut options = self.options;
        options.format = Some(Format::Flipt {
            namespace: self.namespace,
        });
        let kind = if self.streaming {
            Kind::Stream {
                config: Box::new(config),
                idle: self.idle_timeout,
                decode: stream_line,
            }
        } else {
            Kind::Http(Box::new(config))
        };
        Ok((kind, options))
    }
}

impl fmt::Debug for FliptSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FliptSource")
            .field("url", &crate::transport::redact_url(&self.url))
            .field("namespace", &self.namespace)
            .field("environment", &self.environment)
            .field("auth", &self.auth)
            .field("reference", &self.reference)
            .field("interval", &self.interval)
            .field("streaming", &self.streaming)
            .field("idle_timeout", &self.idle_timeout)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .field("max_body", &self.max_body)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Source for FliptSource {
    fn describe(&self) -> String {
        format!(
            "Flipt `{}` (namespace `{}`)",
            crate::transport::redact_url(&self.url),
            crate::message::cut(&self.namespace, 60)
        )
    }
}

impl sealed::Sealed for FliptSource {
    fn plan(self: Box<Self>) -> Result<Plan, Error> {
        let describe = self.describe();
        let (kind, options) = self.plan_parts().map_err(|message| Error::Source {
            origin: describe.clone(),
            message,
        })?;
        Ok(Plan {
            describe,
            kind,
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(source: FliptSource) -> (HttpConfig, Options) {
        match source.plan_parts().unwrap() {
            (Kind::Http(config), options) => (*config, options),
            _ => panic!("not polled"),
        }
    }

    #[test]
    fn polling_settings() {
        let (config, options) = http(
            flipt("http://127.0.0.1:8080/")
                .namespace("check out")
                .reference("v1.2")
                .jwt("sekrit-jwt")
                .retries(99)
                .retry_delay(Duration::from_secs(2)),
        );
        assert_eq!(
            config.url,
            "http://127.0.0.1:8080/internal/v1/evaluation/snapshot/namespace/check%20out?reference=v1.2"
        );
        assert_eq!(config.interval, FliptSource::DEFAULT_INTERVAL);
        assert_eq!(config.retries, FliptSource::MAX_RETRIES);
        assert!(config.forget_etag_on_error);
        assert!(config.bearer.is_none());
        let names: Vec<&str> = config.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "x-flipt-accept-server-version",
                "x-flipt-environment",
                "authorization"
            ]
        );
        assert_eq!(&*config.headers[2].1.0, "JWT sekrit-jwt");
        assert!(!format!("{config:?}").contains("sekrit"));
        assert_eq!(
            options.format,
            Some(Format::Flipt {
                namespace: "check out".into()
            })
        );
        // Eleven attempts of 10 s, and the ten waits between them (2, 4, 8, 16, then 30 s).
        assert_eq!(
            config.deadline,
            Some(Duration::from_secs(110 + 2 + 4 + 8 + 16 + 6 * 30))
        );
        let (config, _) = http(flipt("http://h").client_token("sekrit-token"));
        assert_eq!(&*config.bearer.unwrap().0, "sekrit-token");
        let source = flipt("http://h").client_token("sekrit-token");
        assert!(!format!("{source:?}").contains("sekrit"), "{source:?}");
        assert_eq!(source.describe(), "Flipt `http://h` (namespace `default`)");
    }

    #[test]
    fn streaming_settings() {
        let source = flipt("http://h/").environment("prod").streaming();
        let Ok((Kind::Stream { config, idle, .. }, _)) = source.plan_parts() else {
            panic!("not streamed");
        };
        assert_eq!(
            config.url,
            "http://h/client/v2/environments/prod/namespaces/default/stream"
        );
        assert_eq!(idle, FliptSource::DEFAULT_IDLE_TIMEOUT);
    }

    #[test]
    fn settings_that_cannot_work() {
        for (source, says) in [
            (flipt("http://h").namespace(""), "the namespace is empty"),
            (
                flipt("http://h").environment("").streaming(),
                "the environment is empty",
            ),
            (flipt("http://h").interval(Duration::ZERO), "interval"),
            (flipt("http://h").timeout(Duration::ZERO), "timeout"),
            (flipt("http://h").idle_timeout(Duration::ZERO), "idle"),
        ] {
            let error = source.plan_parts().err().unwrap();
            assert!(error.contains(says), "{error}");
        }
    }
}
