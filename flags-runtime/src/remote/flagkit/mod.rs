//! The FlagKit provider: [`flagkit`] and its settings ([`FlagKit`] says what it does).

use std::fmt;
use std::time::Duration;

use crate::transport::TransportConfig;
use crate::wire::cache::CacheOptions;
use crate::wire::flagkit::config_error::FlagKitConfigError;
use crate::wire::flagkit::request::ContextRules;
use crate::wire::flagkit::sign;

mod evaluate;
mod send;
pub(crate) mod state;
pub(super) mod stream;
pub(super) mod values;

use state::{Mode, Secret, Settings, StreamTiming, UsageCallback};
pub use state::{SDK_VERSION, Usage};

/// FlagKit's API.
pub const DEFAULT_BASE_URL: &str = "https://api.flagkit.dev/api/v1";
/// The polling interval by default (the server may ask for a longer one).
pub const DEFAULT_POLLING_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// A FlagKit provider: [`flagkit`].
///
/// **Values mode** (the default, FlagKit's own model): FlagKit resolves one value per flag
/// per environment. The provider asks `GET /sdk/init` once, then `GET /sdk/updates?since=`
/// every polling interval (the longer of the server's `pollingIntervalSeconds` and
/// [`FlagKit::polling_interval`], plus up to a tenth of it at random), applying changed and
/// deleted flags (or listens to FlagKit's event stream: [`FlagKit::streaming`]). Every read is
/// answered locally, in nanoseconds and without allocating for scalars, as in OFREP's bulk
/// mode; the context of a read is not sent (the values do not depend on it).
///
/// Reads: a flag FlagKit serves → its value, reason `STATIC`, and `flagType`, `version` and
/// `lastModified` in the flag metadata; disabled → the caller's default, reason `DISABLED`;
/// missing → `FLAG_NOT_FOUND`; read as another type → `TYPE_MISMATCH`; before FlagKit first
/// answers → the bootstrap's value (reason `BOOTSTRAP`) or the caller's default with
/// `PROVIDER_NOT_READY`, while the provider keeps retrying.
///
/// **Evaluation modes**: [`FlagKit::evaluate`] (per evaluation, with the context) and
/// [`FlagKit::evaluate_all`] (every flag for one context, read locally).
///
/// Failures carry FlagKit's numeric error code in the error's flag metadata
/// (`flagkitErrorCode`, `flagkitError`, and `requestId` when the server gave one): 400 →
/// `INVALID_CONTEXT` (1203), 404 → `FLAG_NOT_FOUND` (1200), 429 → `GENERAL` (1104), 5xx →
/// `GENERAL` (1306), timeouts 1301, refused connections 1303. A `401` switches once, for good,
/// to the [secondary key](FlagKit::secondary_key) and retries (a `CONFIGURATION_CHANGED`
/// event without changed flags says so in its message, without the key); a `401` with no key left, or a `403`, makes the provider FATAL. Retries,
/// `Retry-After` and the circuit breaker are the shared transport's: only transport failures
/// and `5xx` count towards opening the breaker. Every request carries the key in `X-API-Key`
/// (never in a URL) and identifies the SDK (`User-Agent`, `X-FlagKit-SDK-Version`,
/// `X-FlagKit-SDK-Language: rust`); FlagKit's SDK version advice (`sdkVersionMin`,
/// `deprecationWarning`) is logged once.
#[must_use]
pub struct FlagKit {
    primary: Secret,
    secondary: Option<Secret>,
    base_url: String,
    polling_interval: Duration,
    timeout: Duration,
    deadline: Option<Duration>,
    transport: TransportConfig,
    bootstrap: Option<(String, Option<(String, Duration)>)>,
    strict_pii: bool,
    private_attributes: Vec<String>,
    on_usage: Option<UsageCallback>,
    mode: Mode,
    cache: Option<CacheOptions>,
    streaming: Option<StreamTiming>,
}

/// A provider for FlagKit's service with `api_key` (`sdk_...`, `srv_...` or `cli_...`; checked
/// when the client is built, never printed). Building does no I/O; see [`FlagKit`] for what
/// it asks and how reads answer.
///
/// ```no_run
/// let client = flags_runtime::Client::builder()
///     .remote(flags_runtime::remote::flagkit("sdk_your_key"))
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn flagkit(api_key: impl Into<String>) -> FlagKit {
    FlagKit {
        primary: Secret(api_key.into()),
        secondary: None,
        base_url: DEFAULT_BASE_URL.to_owned(),
        polling_interval: DEFAULT_POLLING_INTERVAL,
        timeout: DEFAULT_TIMEOUT,
        deadline: None,
        transport: TransportConfig::new(),
        bootstrap: None,
        strict_pii: false,
        private_attributes: Vec::new(),
        on_usage: None,
        mode: Mode::Values,
        cache: None,
        streaming: None,
    }
}

impl FlagKit {
    /// The key to switch to, once and for good, when FlagKit refuses the primary one with a
    /// `401` (key rotation); same format rules as the primary key, never printed.
    pub fn secondary_key(mut self, api_key: impl Into<String>) -> FlagKit {
        self.secondary = Some(Secret(api_key.into()));
        self
    }

    /// The API's base URL (default [`DEFAULT_BASE_URL`]). Unlike FlagKit's Python SDK, no
    /// environment variable overrides it.
    pub fn base_url(mut self, base_url: impl Into<String>) -> FlagKit {
        self.base_url = base_url.into();
        self
    }

    /// How often to ask for updates (default 30 s); the server's `pollingIntervalSeconds`
    /// wins when it is longer. Must be positive and at most 24 h.
    pub fn polling_interval(mut self, interval: Duration) -> FlagKit {
        self.polling_interval = interval;
        self
    }

    /// The timeout of one attempt (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> FlagKit {
        self.timeout = timeout;
        self
    }

    /// The time one request may take in all, retries included (default: the timeout); see
    /// [`Ofrep::deadline`](super::Ofrep::deadline).
    pub fn deadline(mut self, deadline: Duration) -> FlagKit {
        self.deadline = Some(deadline);
        self
    }

    /// The transport's settings (retries, breaker, TLS, size limit); its timeout is replaced
    /// by [`FlagKit::timeout`], its deadline by [`FlagKit::deadline`] when set, and its
    /// `User-Agent` by the provider's.
    pub fn transport(mut self, transport: TransportConfig) -> FlagKit {
        self.transport = transport;
        self
    }

    /// Values to serve until FlagKit first answers (reason `BOOTSTRAP`; values and
    /// `evaluate_all` modes): a JSON object of `key: value`, or
    /// `{"flags": {key: value}, "timestamp": ms}`. Unsigned: used as given.
    /// A document that cannot be read is not used, and an `ERROR` event says why.
    pub fn bootstrap(mut self, json: impl Into<String>) -> FlagKit {
        self.bootstrap = Some((json.into(), None));
        self
    }

    /// [`FlagKit::bootstrap`], verified before use: `signature` is the lowercase hex
    /// HMAC-SHA256, under the API key, of `"{timestamp}.{flags}"` (the flags as canonical
    /// JSON: keys sorted, no spaces, non-ASCII escaped), as FlagKit's SDKs sign bootstraps;
    /// the document must carry its `timestamp` (Unix milliseconds) and be at most `max_age`
    /// old. A bootstrap that fails the check is not used, an `ERROR` event says why (when
    /// FlagKit's first answer, or failure, arrives, so handlers registered after `build()`
    /// see it), and it is logged at once.
    pub fn bootstrap_signed(
        mut self,
        json: impl Into<String>,
        signature: impl Into<String>,
        max_age: Duration,
    ) -> FlagKit {
        self.bootstrap = Some((json.into(), Some((signature.into(), max_age))));
        self
    }

    /// Strict PII mode: a context attribute that looks like an e-mail address, a phone
    /// number, a payment card number or a national id number (by its value, or by its name:
    /// `email`, `phone`, `ssn`, ...) is refused, with `INVALID_CONTEXT` naming it, unless it
    /// is [private](FlagKit::private_attribute). Applies wherever a context is sent.
    pub fn strict_pii(mut self) -> FlagKit {
        self.strict_pii = true;
        self
    }

    /// A context attribute never sent to FlagKit (a top-level name, or a dotted path into a
    /// map attribute: `profile.email`).
    pub fn private_attribute(mut self, name: impl Into<String>) -> FlagKit {
        self.private_attributes.push(name.into());
        self
    }

    /// Called with the usage headers of every answer that carries any, errors included (a
    /// `429`'s `x-rate-limit-remaining: 0` is how a rate limit shows itself)
    /// (`x-api-usage-percent`, `x-evaluation-usage-percent`, `x-rate-limit-warning`,
    /// `x-rate-limit-limit`, `x-rate-limit-remaining`, `x-rate-limit-reset`,
    /// `x-subscription-status`), on the provider's thread: keep it short. Besides, a
    /// `CONFIGURATION_CHANGED` event without changed flags (the status unchanged) says in its
    /// message each change to a subscription that is not `active` or `trial`, a rate limit
    /// warning appearing, and usage reaching 80 %; they are logged too.
    pub fn on_usage(mut self, callback: impl Fn(&Usage) + Send + Sync + 'static) -> FlagKit {
        self.on_usage = Some(std::sync::Arc::new(callback));
        self
    }

    /// Values mode: listen to FlagKit's event stream and apply its changes as they come,
    /// polling only while it is down. The provider exchanges its key for a short-lived token
    /// (`POST /sdk/stream/token`, signed), so that the key never appears in a URL, and opens
    /// `GET /sdk/stream?token=`; it renews the token at 80 % of its lifetime, reconnects with
    /// a new one on `TOKEN_INVALID` / `TOKEN_EXPIRED`, treats a stream silent for the
    /// heartbeat timeout as dead, and after 3 consecutive failures (or `SUBSCRIPTION_SUSPENDED`,
    /// `STREAMING_UNAVAILABLE`) falls back to polling and tries streaming again later (a
    /// `CONFIGURATION_CHANGED` event without changed flags says so in its message; the status
    /// stays, polling serves). `flag_updated`, `flag_deleted` and
    /// `flags_reset` raise `CONFIGURATION_CHANGED`; after a reconnection the provider asks
    /// for the updates it may have missed.
    pub fn streaming(mut self) -> FlagKit {
        self.streaming.get_or_insert_with(StreamTiming::default);
        self
    }

    /// Streaming's pacing: the first reconnection delay (default 3 s, doubled per consecutive
    /// failure up to 30 s), the silence after which a stream is presumed dead (default 60 s,
    /// twice FlagKit's heartbeat period) and the wait before streaming is tried again after a
    /// fallback to polling (default 300 s). Implies [`FlagKit::streaming`]. Each must be
    /// positive and at most 24 h.
    pub fn stream_timing(
        mut self,
        reconnect_delay: Duration,
        heartbeat_timeout: Duration,
        retry_after: Duration,
    ) -> FlagKit {
        self.streaming = Some(StreamTiming {
            reconnect_delay,
            heartbeat_timeout,
            retry_after,
        });
        self
    }

    /// Evaluation mode: each evaluation asks `POST /sdk/evaluate` with its context
    /// (`{flagKey, context}`, signed), FlagKit's targeting deciding. Read with the async
    /// methods or [`crate::blocking::Client`], as OFREP per evaluation; errors carry FlagKit's
    /// code in the flag metadata (404 → `FLAG_NOT_FOUND`, 400 → `INVALID_CONTEXT`).
    pub fn evaluate(mut self) -> FlagKit {
        self.mode = Mode::Evaluate;
        self
    }

    /// Bulk evaluation mode: FlagKit evaluates every flag for `context` (`POST
    /// /sdk/evaluate/all`, signed) once and on every poll, and every read is answered locally,
    /// as OFREP's bulk mode; [`Client::set_bulk_context`](crate::Client::set_bulk_context)
    /// changes the context.
    pub fn evaluate_all(mut self, context: crate::Context) -> FlagKit {
        self.mode = Mode::EvaluateAll(context);
        self
    }

    /// Evaluation mode: caches results for `ttl`, at most `max_entries` (see
    /// [`Ofrep::cache`](super::Ofrep::cache)).
    pub fn cache(mut self, ttl: Duration, max_entries: usize) -> FlagKit {
        self.cache = Some(CacheOptions { ttl, max_entries });
        self
    }

    /// The settings, validated, and the transport's (the bootstrap read and checked).
    #[allow(clippy::type_complexity)] // three results, named where they are taken apart
    pub(super) fn validate(
        self,
    ) -> Result<(Settings, TransportConfig, Option<CacheOptions>), FlagKitConfigError> {
        check_key(&self.primary.0, "primary")?;
        if let Some(secondary) = &self.secondary {
            check_key(&secondary.0, "secondary")?;
        }
        crate::wire::context::check_http_url(&self.base_url)
            .map_err(|problem| FlagKitConfigError::InvalidUrl { problem })?;
        if self.timeout.is_zero() {
            return Err(FlagKitConfigError::ZeroTimeout);
        }
        if self.polling_interval.is_zero() || self.polling_interval > MAX_INTERVAL {
            return Err(FlagKitConfigError::InvalidPollingInterval {
                interval: self.polling_interval,
            });
        }
        if self.bootstrap.is_some() && matches!(self.mode, Mode::Evaluate) {
            return Err(FlagKitConfigError::BootstrapNeedsLocalReads);
        }
        if self.streaming.is_some() && !matches!(self.mode, Mode::Values) {
            return Err(FlagKitConfigError::StreamingNeedsValues);
        }
        if let Some(timing) = &self.streaming {
            for (name, value) in [
                ("reconnect_delay", timing.reconnect_delay),
                ("heartbeat_timeout", timing.heartbeat_timeout),
                ("retry_after", timing.retry_after),
            ] {
                if value.is_zero() || value > MAX_INTERVAL {
                    return Err(FlagKitConfigError::InvalidStreamTiming { name, value });
                }
            }
        }
        if self.private_attributes.iter().any(String::is_empty) {
            return Err(FlagKitConfigError::EmptyPrivateAttribute);
        }
        let bootstrap = self
            .bootstrap
            .map(|(json, signed)| read_bootstrap(&self.primary.0, &json, signed));
        let mut transport = sdk_headers(self.transport.timeout(self.timeout));
        if let Some(deadline) = self.deadline {
            transport = transport.deadline(deadline);
        }
        Ok((
            Settings {
                base_url: self.base_url.trim_end_matches('/').to_owned(),
                primary: self.primary,
                secondary: self.secondary,
                polling_interval: self.polling_interval,
                mode: self.mode,
                streaming: self.streaming,
                context_rules: ContextRules {
                    private: self.private_attributes,
                    strict_pii: self.strict_pii,
                },
                on_usage: self.on_usage,
                bootstrap,
            },
            transport,
            self.cache,
        ))
    }
}

/// The user agent and headers every FlagKit request carries (the SDK's version and language).
pub(crate) fn sdk_headers(transport: TransportConfig) -> TransportConfig {
    transport
        .user_agent(concat!(
            "flags/",
            env!("CARGO_PKG_VERSION"),
            " (FlagKit; rust)"
        ))
        .header("Accept", "application/json")
        .header("X-FlagKit-SDK-Version", SDK_VERSION)
        .header("X-FlagKit-SDK-Language", "rust")
}

pub(crate) fn check_key(key: &str, which: &'static str) -> Result<(), FlagKitConfigError> {
    if key.trim().is_empty() {
        return Err(FlagKitConfigError::MissingKey { which });
    }
    if !["sdk_", "srv_", "cli_"].iter().any(|p| key.starts_with(p))
        || key.len() <= 4
        || !key.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(FlagKitConfigError::InvalidKey { which });
    }
    Ok(())
}

/// The bootstrap's flags, or why they are not used.
fn read_bootstrap(
    key: &str,
    json: &str,
    signed: Option<(String, Duration)>,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let document = sign::parse_bootstrap(json).map_err(|e| e.to_string())?;
    if let Some((signature, max_age)) = signed {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        sign::verify_bootstrap(key, &document, &signature, Some(max_age), now_ms)
            .map_err(|e| e.to_string())?;
    }
    Ok(document.flags)
}

impl fmt::Debug for FlagKit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagKit")
            .field("api_key", &self.primary)
            .field(
                "secondary_key",
                &self.secondary.as_ref().map(|_| "[redacted]"),
            )
            .field("base_url", &crate::wire::context::redacted(&self.base_url))
            .field("polling_interval", &self.polling_interval)
            .field("strict_pii", &self.strict_pii)
            .finish_non_exhaustive()
    }
}
