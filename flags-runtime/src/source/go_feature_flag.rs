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
use crate::remote::{DEFAULT_FALLBACK_PERIOD, DEFAULT_FALLBACK_REQUESTS, FallbackPlan, Ofrep};

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
/// GO Feature Flag's providers ask the relay over OFREP when their engine fails. Ours does not
/// fail; the flags it cannot compile (`PARSE_ERROR`) can be asked for over OFREP with
/// [`remote_fallback`](GoFeatureFlagSource::remote_fallback): in the background, rate-limited
/// and counted, never on the path of the other flags' reads.
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
        fallback: None,
        fallback_rate: (DEFAULT_FALLBACK_REQUESTS, DEFAULT_FALLBACK_PERIOD),
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
    /// Asked for the flags the engine cannot compile.
    fallback: Option<Ofrep>,
    /// The fallback's requests per period.
    fallback_rate: (u32, Duration),
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

    /// Asks `ofrep` for the flags this engine cannot compile, as GO Feature Flag's own
    /// providers ask the relay when their engine fails (ours does not fail otherwise).
    ///
    /// Such a flag is one whose definition cannot be read or compiled: it answers
    /// `PARSE_ERROR` while the others serve. With a fallback, a read of it answers the remote
    /// answer held for the flag, the type read and the context, with the service's value,
    /// variant and reason and the flag metadata [`EVALUATED_REMOTELY`](crate::remote::EVALUATED_REMOTELY)
    /// `= true`; when there is none, the read answers `PARSE_ERROR` at once, without waiting,
    /// and a request starts in the background (one at a time per flag and context) whose
    /// answer serves the next reads for as long as `ofrep`'s cache keeps it (its
    /// [`cache`](crate::remote::Ofrep::cache), 60 s and 1000 answers unless set). When the
    /// service fails, reads keep answering `PARSE_ERROR`, with its failure in the message. The
    /// async and blocking reads behave as the sync ones: they do not wait for the fallback.
    /// Reads of the other flags never reach it: they cost and allocate what they did.
    ///
    /// The requests are rate-limited ([`remote_fallback_rate`](Self::remote_fallback_rate));
    /// each goes through `ofrep`'s transport (timeout, deadline, retries, breaker). When
    /// `ofrep` is at this source's endpoint, the relay's, it also sends this source's API key
    /// and headers (but those it sets itself); at another URL, only its own. What the fallback
    /// did is counted ([`Client::remote_fallback_stats`](crate::Client::remote_fallback_stats))
    /// and logged at `WARNING`, at most once a minute. A fallback in bulk mode
    /// ([`Ofrep::bulk`]) or whose cache keeps nothing fails `build()`.
    ///
    /// ```no_run
    /// let relay = "http://relay-proxy:1031";
    /// let client = flags_runtime::Client::builder()
    ///     .in_process(flags_runtime::source::go_feature_flag(relay)
    ///         .api_key(std::env::var("GOFF_API_KEY").unwrap_or_default())
    ///         .remote_fallback(flags_runtime::remote::ofrep(relay)))
    ///     .build()?;
    /// # Ok::<(), flags_runtime::Error>(())
    /// ```
    pub fn remote_fallback(mut self, ofrep: Ofrep) -> GoFeatureFlagSource {
        self.fallback = Some(ofrep);
        self
    }

    /// At most `requests` requests of the [remote fallback](Self::remote_fallback) at once,
    /// and `requests` per `per` after (a token bucket over all its requests; default
    /// [`DEFAULT_FALLBACK_REQUESTS`] per [`DEFAULT_FALLBACK_PERIOD`]). A read that would send
    /// one more answers `PARSE_ERROR` without sending it (counted as `limited`). Zero in
    /// either fails `build()`.
    pub fn remote_fallback_rate(mut self, requests: u32, per: Duration) -> GoFeatureFlagSource {
        self.fallback_rate = (requests, per);
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
        let fallback = self.fallback.map(|ofrep| {
            // The API key first: it wins over a custom header of its name, as here.
            let headers = self
                .api_key
                .iter()
                .map(|key| ("X-API-Key".to_owned(), key.0.to_string()))
                .chain(
                    self.headers
                        .iter()
                        .map(|(n, v)| (n.clone(), v.0.to_string())),
                )
                .collect();
            let (requests, per) = self.fallback_rate;
            FallbackPlan::new(ofrep.inherit(&self.endpoint, headers), requests, per)
        });
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
        options.remote_fallback = fallback;
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
            .field("remote_fallback", &self.fallback)
            .field("remote_fallback_rate", &self.fallback_rate)
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
