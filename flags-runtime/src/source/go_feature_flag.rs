//! A GO Feature Flag relay proxy's flag configuration, polled for in-process evaluation (what
//! GO Feature Flag's providers call in-process mode): the HTTP polling source with the relay's
//! configuration API, its API key and its format.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flags_http::TransportConfig;

use flags_schema::Format;

use super::http::{DEFAULT_MAX_BODY, HttpConfig, Secret};
use super::plan::{Kind, Options, Plan, Source, sealed};
use crate::error::Error;

/// How often the configuration is polled, unless set: GO Feature Flag's providers' default.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(120);

/// How long one request may take, unless set: GO Feature Flag's providers' default.
pub const DEFAULT_RELAY_TIMEOUT: Duration = Duration::from_secs(10);

/// The flag configuration of a GO Feature Flag relay proxy, evaluated in process: `POST
/// {endpoint}/v1/flag/configuration` with `{"flags": [..]}` (every flag, or the
/// [subset](GoFeatureFlagSource::flags)), polled every
/// [`interval`](GoFeatureFlagSource::interval) ± 10 % with `If-None-Match` echoing the relay's
/// ETag verbatim, and evaluated as GO Feature Flag's engine evaluates it.
///
/// `build()` returns at once; the first fetch runs in the background. Until it lands, reads
/// answer the caller's default with `PROVIDER_NOT_READY`, or serve the
/// [bootstrap](GoFeatureFlagSource::bootstrap) or [persisted](GoFeatureFlagSource::persist)
/// copy; [`Client::wait_ready`](crate::Client::wait_ready) waits for it. Then:
///
/// - a `304` keeps the configuration; a `304` to a request without `If-None-Match` (the relay
///   was sent no ETag) is a protocol error, a failed poll;
/// - a new configuration is swapped in whole, with `CONFIGURATION_CHANGED` naming the flags
///   whose definitions changed; a change of the relay's `evaluationContextEnrichment` names
///   every flag (each is evaluated with it); a flag whose own definition is broken answers
///   `PARSE_ERROR`, the others serve;
/// - a failed poll (a 4xx or 5xx, a timeout, a body that is not a configuration, one too large)
///   keeps the last good configuration and its ETag (the ETag of a body never advances unless
///   that body is applied): `STALE` after [`stale_after`](GoFeatureFlagSource::stale_after)
///   failures in a row (default 3), `READY` again when a poll succeeds; a `401` or `403` is
///   final (`FATAL`);
/// - a failed first fetch keeps polling, and the provider turns `READY` when one succeeds.
///
/// The relay's `evaluationContextEnrichment` is merged into the context of every evaluation,
/// over the caller's attributes (the targeting key stays the caller's), as GO Feature Flag's
/// engine merges it: it travels with each flag's rule (see `flags_schema::gofeatureflag`).
///
/// ```no_run
/// use std::time::Duration;
/// let client = flags_runtime::Client::builder()
///     .in_process(flags_runtime::source::go_feature_flag("http://relay-proxy:1031")
///         .api_key(std::env::var("GOFF_API_KEY").unwrap_or_default())
///         .flags(["new-checkout", "upload-limit"])
///         .interval(Duration::from_secs(120)))
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn go_feature_flag(endpoint: impl Into<String>) -> GoFeatureFlagSource {
    GoFeatureFlagSource {
        endpoint: endpoint.into(),
        api_key: None,
        headers: Vec::new(),
        flags: Vec::new(),
        interval: DEFAULT_POLL_INTERVAL,
        timeout: DEFAULT_RELAY_TIMEOUT,
        max_body: DEFAULT_MAX_BODY,
        transport: TransportConfig::new(),
        options: Options::default(),
    }
}

/// A GO Feature Flag relay proxy's configuration, polled; see [`go_feature_flag()`].
#[derive(Clone)]
#[must_use]
pub struct GoFeatureFlagSource {
    endpoint: String,
    api_key: Option<Secret>,
    headers: Vec<(String, Secret)>,
    flags: Vec<String>,
    interval: Duration,
    timeout: Duration,
    max_body: usize,
    transport: TransportConfig,
    options: Options,
}

impl GoFeatureFlagSource {
    /// Sends `X-API-Key: <key>` (over a custom header of that name). The key never appears in
    /// `Debug`, logs or errors.
    pub fn api_key(mut self, key: impl Into<String>) -> GoFeatureFlagSource {
        self.api_key = Some(Secret(Arc::from(key.into())));
        self
    }

    /// Sends a header with every request (the API key's `X-API-Key` wins over one of that
    /// name). Its value never appears in `Debug`, logs or errors; an invalid name or value
    /// fails `build()`.
    pub fn header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> GoFeatureFlagSource {
        self.headers
            .push((name.into(), Secret(Arc::from(value.into()))));
        self
    }

    /// Asks for these flags only (default: every flag); sent with every poll.
    pub fn flags<I>(mut self, keys: I) -> GoFeatureFlagSource
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.flags = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The time between two polls (default [`DEFAULT_POLL_INTERVAL`]), each drawn at random
    /// within ± 10 % of it, so that a fleet started together does not poll together. Zero
    /// fails `build()`.
    pub fn interval(mut self, interval: Duration) -> GoFeatureFlagSource {
        self.interval = interval;
        self
    }

    /// How long one request may take, connection included (default
    /// [`DEFAULT_RELAY_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> GoFeatureFlagSource {
        self.timeout = timeout;
        self
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY`]); a
    /// larger one is a failed poll.
    pub fn max_body_size(mut self, bytes: usize) -> GoFeatureFlagSource {
        self.max_body = bytes;
        self
    }

    /// The transport's settings (circuit breaker, TLS roots, client certificate, deadline);
    /// its timeout, retries, body limit and headers are replaced by this source's.
    pub fn transport(mut self, transport: TransportConfig) -> GoFeatureFlagSource {
        self.transport = transport;
        self
    }

    /// A configuration (the relay's JSON, or a GO Feature Flag flag file) served until the
    /// first successful fetch.
    pub fn bootstrap(mut self, json: impl Into<String>) -> GoFeatureFlagSource {
        self.options.bootstrap = Some(json.into());
        self
    }

    /// Keeps a copy of the configuration applied in `path` (written atomically), and serves it
    /// (reason `STALE`) from the start until the first successful fetch.
    pub fn persist(mut self, path: impl Into<PathBuf>) -> GoFeatureFlagSource {
        self.options.persist = Some(path.into());
        self
    }

    /// After how many consecutive failed polls the provider reports `STALE`
    /// (default [`DEFAULT_STALE_AFTER`](super::DEFAULT_STALE_AFTER); at least 1).
    pub fn stale_after(mut self, failures: u32) -> GoFeatureFlagSource {
        self.options.stale_after = failures.max(1);
        self
    }

    /// The configuration API's URL.
    fn url(&self) -> String {
        format!(
            "{}/v1/flag/configuration",
            self.endpoint.trim().trim_end_matches('/')
        )
    }

    /// The settings, checked.
    fn config(self) -> Result<(HttpConfig, Options), String> {
        if self.interval.is_zero() {
            return Err("the poll interval must not be zero".to_owned());
        }
        // ± 10 %: 90 % of the interval plus at most a fifth of it.
        let mut config = HttpConfig::new(self.url(), self.interval / 10 * 9, self.timeout);
        config.jitter = Some(self.interval / 5);
        config.headers = self.headers;
        if let Some(key) = self.api_key {
            config.headers.push(("X-API-Key".to_owned(), key));
        }
        config.max_body = self.max_body;
        config.transport = self.transport;
        let body = serde_json::json!({ "flags": self.flags });
        config.post_json = Some(bytes::Bytes::from(body.to_string()));
        let mut options = self.options;
        options.format = Some(Format::GoFeatureFlag);
        Ok((config, options))
    }
}

impl fmt::Debug for GoFeatureFlagSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoFeatureFlagSource")
            .field("endpoint", &crate::transport::redact_url(&self.endpoint))
            .field("api_key", &self.api_key)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("flags", &self.flags)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Source for GoFeatureFlagSource {
    fn describe(&self) -> String {
        format!(
            "GO Feature Flag `{}`",
            crate::transport::redact_url(&self.url())
        )
    }
}

impl sealed::Sealed for GoFeatureFlagSource {
    fn plan(self: Box<Self>) -> Result<Plan, Error> {
        let describe = self.describe();
        let (config, options) = self.config().map_err(|message| Error::Source {
            origin: describe.clone(),
            message,
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

    #[test]
    fn settings_url_body_and_the_key_never_shows() {
        let source = go_feature_flag("http://relay:1031/ ")
            .api_key("sekrit-key")
            .header("X-Team", "sekrit-header")
            .flags(["a", "b"])
            .interval(Duration::from_secs(100));
        let debug = format!("{source:?}");
        assert!(!debug.contains("sekrit"), "{debug}");
        assert_eq!(
            source.describe(),
            "GO Feature Flag `http://relay:1031/v1/flag/configuration`"
        );
        let (config, options) = source.config().unwrap();
        assert_eq!(config.url, "http://relay:1031/v1/flag/configuration");
        assert_eq!(config.interval, Duration::from_secs(90));
        assert_eq!(config.jitter(), Duration::from_secs(20));
        assert_eq!(
            config.post_json.as_deref(),
            Some(&br#"{"flags":["a","b"]}"#[..])
        );
        let names: Vec<&str> = config.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["X-Team", "X-API-Key"]);
        assert!(!format!("{config:?}").contains("sekrit"));
        assert_eq!(options.format, Some(Format::GoFeatureFlag));
        let (config, _) = go_feature_flag("http://relay").config().unwrap();
        assert_eq!(config.post_json.as_deref(), Some(&br#"{"flags":[]}"#[..]));
        assert_eq!(config.timeout, DEFAULT_RELAY_TIMEOUT);
        assert!(
            go_feature_flag("http://relay")
                .interval(Duration::ZERO)
                .config()
                .is_err()
        );
    }
}
