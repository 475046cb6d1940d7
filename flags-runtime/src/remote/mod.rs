//! Remote evaluation (feature `http`): the flag service evaluates, over OFREP or Cloudflare
//! Flagship, through the shared [`transport`](crate::transport) (retries, circuit breaker,
//! coalescing of identical in-flight requests, size limit, TLS).
//!
//! Two ways to use a service:
//!
//! - **per evaluation** ([`ofrep`], [`flagship`]): each evaluation asks the service, with the
//!   whole context. Use the async methods ([`Client::details_async`](crate::Client::details_async),
//!   [`Client::flags_async`](crate::Client::flags_async)), or [`crate::blocking::Client`] in
//!   sync code. The sync methods of [`Client`](crate::Client) never wait for the network: they
//!   answer from the cache (opt-in, [`Ofrep::cache`]) or with the default and an error that
//!   says to use one of those.
//! - **bulk** ([`Ofrep::bulk`]): the service evaluates every flag for one context once, and
//!   every read is answered locally, in nanoseconds, sync or async; the provider refreshes with
//!   `If-None-Match` (a `304` costs nothing). `client.flags::<S>()` costs no request.
//!
//! FlagKit ([`flagkit`]) serves one value per flag per environment: its provider fetches them
//! once and polls for changes and deletions, and every read is local, as in the bulk mode; its
//! [`FlagKit::evaluate`] and [`FlagKit::evaluate_all`] ask FlagKit's targeting per evaluation
//! or for one context. See [`FlagKit`] for its keys, signatures, bootstrap and PII settings.
//!
//! An OFREP provider also serves as the remote fallback of GO Feature Flag's in-process source,
//! for the flags the engine cannot compile
//! ([`GoFeatureFlagSource::remote_fallback`](crate::source::GoFeatureFlagSource::remote_fallback),
//! [`FallbackStats`]).
//!
//! Every evaluation (one flag, or all the fields of a struct, asked for concurrently) and every
//! bulk fetch has one deadline covering all its attempts and the waits between them: by
//! default the timeout, longer with [`Ofrep::deadline`] / [`Flagship::deadline`] to make room
//! for retries of attempts that time out. Past it, the caller has its default, with `GENERAL`
//! and a message saying so.
//!
//! ```no_run
//! # #[derive(Clone, Default)] struct Checkout;
//! let client = flags_runtime::Client::builder()
//!     .remote(flags_runtime::remote::ofrep("http://localhost:8016"))
//!     .build()?;
//! # Ok::<(), flags_runtime::Error>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError};
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::provider::{Fetched, Query, Resolution};
use crate::transport::{Deadline, Request, Transport, TransportConfig, TransportError};
use crate::wire::cache::{CacheOptions, RemoteCache};
use crate::wire::flagship::{FlagshipConfig, FlagshipOptions, FlagshipRequest};
use crate::wire::ofrep::{
    self, BulkAnswer, EventStream, OfrepConfig, OfrepEnv, OfrepOptions, Refetch, Signal, SseParser,
};

mod bulk;
mod fallback;
mod flagkit;
mod provider;
mod resolve;
mod running;
mod view;

pub use fallback::{
    DEFAULT_FALLBACK_PERIOD, DEFAULT_FALLBACK_REQUESTS, EVALUATED_REMOTELY, FallbackStats,
};
pub(crate) use fallback::{FallbackPlan, RemoteFallback};
pub(crate) use flagkit::{check_key as check_flagkit_key, sdk_headers as flagkit_sdk_headers};
pub(crate) use view::RemoteView;

pub use crate::wire::flagkit::config_error::FlagKitConfigError;
pub use crate::wire::flagship::FlagshipConfigError;
pub use crate::wire::ofrep::OfrepConfigError;
pub use flagkit::{
    DEFAULT_BASE_URL as FLAGKIT_BASE_URL, DEFAULT_POLLING_INTERVAL as FLAGKIT_POLLING_INTERVAL,
    FlagKit, SDK_VERSION as FLAGKIT_SDK_VERSION, Usage as FlagKitUsage, flagkit,
};

/// An OFREP provider: [`ofrep`], [`ofrep_from_env`].
#[derive(Clone)]
#[must_use]
pub struct Ofrep {
    options: OfrepOptions,
    env: bool,
    bulk: Option<(Context, Option<Duration>)>,
    cache: Option<CacheOptions>,
    transport: TransportConfig,
}

/// Evaluates each flag with `POST {base_url}/ofrep/v1/evaluate/flags/{key}` (per evaluation);
/// see [`Ofrep::bulk`] for the bulk mode. `OFREP_HEADERS` and `OFREP_TIMEOUT_MS` apply unless
/// set here.
pub fn ofrep(base_url: impl Into<String>) -> Ofrep {
    Ofrep {
        options: OfrepOptions {
            base_url: Some(base_url.into()),
            ..OfrepOptions::default()
        },
        env: true,
        bulk: None,
        cache: None,
        transport: TransportConfig::new(),
    }
}

/// [`ofrep`] with the base URL from `OFREP_ENDPOINT`.
pub fn ofrep_from_env() -> Ofrep {
    Ofrep {
        options: OfrepOptions::default(),
        env: true,
        bulk: None,
        cache: None,
        transport: TransportConfig::new(),
    }
}

impl Ofrep {
    /// A header sent with every request (authentication, say); never printed.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Ofrep {
        self.options.headers.push((name.into(), value.into()));
        self
    }

    /// `Authorization: Bearer <token>`; never printed.
    pub fn bearer_token(self, token: impl AsRef<str>) -> Ofrep {
        let value = format!("Bearer {}", token.as_ref());
        self.header("Authorization", value)
    }

    /// The timeout of one attempt (default 10 s, or `OFREP_TIMEOUT_MS`).
    pub fn timeout(mut self, timeout: Duration) -> Ofrep {
        self.options.timeout = Some(timeout);
        self
    }

    /// The time one evaluation (one flag, or every field of a struct, asked for concurrently)
    /// or one bulk fetch may take in all, every attempt and every wait between retries
    /// included; the caller has its answer, or its default with `GENERAL` and a message saying
    /// so, by then. Default: the [`TransportConfig::deadline`] given to
    /// [`Ofrep::transport`], which defaults to the timeout, so that by default a caller never
    /// waits longer than the timeout and a retry happens only when the failed attempt left
    /// time for it. Longer than the timeout, it makes room for retries of attempts that time
    /// out. Must be positive and at most 24 hours (`build()` fails otherwise, with
    /// [`OfrepConfigError::InvalidDeadline`]).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// let provider = flags_runtime::remote::ofrep("http://localhost:8016")
    ///     .timeout(Duration::from_secs(1))   // each attempt
    ///     .deadline(Duration::from_secs(3)); // all attempts of one evaluation
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Ofrep {
        self.options.deadline = Some(deadline);
        self
    }

    /// Bulk mode: evaluate every flag for `context` once (`POST /ofrep/v1/evaluate/flags`),
    /// answer every read locally, and refresh every `poll` (none: only on
    /// [`Client::refresh`](crate::Client::refresh)) with `If-None-Match`. The context of each
    /// read is not sent: the service evaluated for `context`
    /// ([`Client::set_bulk_context`](crate::Client::set_bulk_context) changes it).
    ///
    /// When the answer announces an SSE event stream (`eventStreams`), the provider listens
    /// to it and refetches on each `refetchEvaluation` message, reconnecting with capped
    /// exponential backoff when the stream ends (each reconnection refetches
    /// unconditionally, since messages may have been missed).
    pub fn bulk(mut self, context: Context, poll: Option<Duration>) -> Ofrep {
        self.bulk = Some((context, poll));
        self
    }

    /// Caches per-evaluation results for `ttl`, at most `max_entries` of them (beyond, an
    /// expired entry or one not read lately is evicted: second-chance LRU), keyed by
    /// the flag, the type read and the whole context. Hits report reason `CACHED`; errors and
    /// `DISABLED` results are never cached. A hit reads no clock: expiry is checked against a
    /// time the provider ticks every sixteenth of `ttl` (10 ms to 1 s), so an entry may be
    /// served up to one tick past `ttl`.
    pub fn cache(mut self, ttl: Duration, max_entries: usize) -> Ofrep {
        self.cache = Some(CacheOptions { ttl, max_entries });
        self
    }

    /// The transport's settings (retries, breaker, TLS, size limit, deadline); its timeout is
    /// replaced by [`Ofrep::timeout`], and its deadline by [`Ofrep::deadline`] when set.
    pub fn transport(mut self, transport: TransportConfig) -> Ofrep {
        self.transport = transport;
        self
    }
}

impl fmt::Debug for Ofrep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ofrep")
            .field("options", &self.options)
            .field("bulk", &self.bulk.is_some())
            .finish_non_exhaustive()
    }
}

/// A Cloudflare Flagship provider (HTTP mode): [`flagship`], [`flagship_endpoint`].
#[must_use]
pub struct Flagship {
    options: FlagshipOptions,
    cache: Option<CacheOptions>,
    transport: TransportConfig,
}

/// Evaluates with Flagship's API for `account_id` and `app_id` (percent-encoded), under
/// `https://api.cloudflare.com` unless [`Flagship::base_url`] says otherwise. Building does
/// no I/O.
pub fn flagship(account_id: impl Into<String>, app_id: impl Into<String>) -> Flagship {
    Flagship {
        options: FlagshipOptions {
            account_id: Some(account_id.into()),
            app_id: Some(app_id.into()),
            ..FlagshipOptions::default()
        },
        cache: None,
        transport: TransportConfig::new(),
    }
}

/// Evaluates with a full Flagship evaluate endpoint.
pub fn flagship_endpoint(endpoint: impl Into<String>) -> Flagship {
    Flagship {
        options: FlagshipOptions {
            endpoint: Some(endpoint.into()),
            ..FlagshipOptions::default()
        },
        cache: None,
        transport: TransportConfig::new(),
    }
}

impl Flagship {
    /// The API's base URL (with ids only).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Flagship {
        self.options.base_url = Some(base_url.into());
        self
    }

    /// `Authorization: Bearer <token>`; never printed.
    pub fn auth_token(mut self, token: impl Into<String>) -> Flagship {
        self.options.auth_token = Some(token.into());
        self
    }

    /// Headers computed for every evaluation request (rotating credentials); they win over the
    /// token. Called once per request: its retries reuse the headers. Headers that differ on
    /// every call (a request id) make identical concurrent evaluations distinct requests, which
    /// are then not coalesced.
    pub fn headers_factory(
        mut self,
        factory: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    ) -> Flagship {
        self.options.headers_factory = Some(Arc::new(factory));
        self
    }

    /// The timeout of one attempt (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Flagship {
        self.options.timeout = Some(timeout);
        self
    }

    /// The time one evaluation may take in all, retries and the waits between them included
    /// (default: the timeout); see [`Ofrep::deadline`]. Fails `build()` with
    /// [`FlagshipConfigError::InvalidDeadline`] unless positive and at most 24 hours.
    pub fn deadline(mut self, deadline: Duration) -> Flagship {
        self.options.deadline = Some(deadline);
        self
    }

    /// Retries after a failed attempt (default 1, at most 10).
    pub fn retries(mut self, retries: u32) -> Flagship {
        self.options.retries = Some(retries);
        self
    }

    /// The base delay of the exponential backoff between attempts (default 1 s, at most 30 s).
    pub fn retry_delay(mut self, delay: Duration) -> Flagship {
        self.options.retry_delay = Some(delay);
        self
    }

    /// See [`Ofrep::cache`].
    pub fn cache(mut self, ttl: Duration, max_entries: usize) -> Flagship {
        self.cache = Some(CacheOptions { ttl, max_entries });
        self
    }

    /// See [`Ofrep::transport`]; timeout, retries and delay are replaced by this provider's, and
    /// the deadline by [`Flagship::deadline`] when set.
    pub fn transport(mut self, transport: TransportConfig) -> Flagship {
        self.transport = transport;
        self
    }
}

impl fmt::Debug for Flagship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flagship").finish_non_exhaustive()
    }
}

/// A remote provider's settings, for [`ClientBuilder::remote`](crate::ClientBuilder::remote).
pub trait RemoteProvider: sealed::Sealed {}

impl RemoteProvider for Ofrep {}
impl RemoteProvider for Flagship {}

pub(crate) mod sealed {
    /// What starts a remote provider; not nameable outside the crate.
    pub trait Sealed: Send {
        /// Validates the settings and starts the provider (no network I/O).
        fn start(self: Box<Self>) -> Result<super::Remote, crate::Error>;
    }
}

impl sealed::Sealed for Ofrep {
    fn start(self: Box<Self>) -> Result<Remote, crate::Error> {
        let env = if self.env {
            OfrepEnv::read(|k| std::env::var(k).ok())
        } else {
            OfrepEnv::default()
        };
        for problem in &env.problems {
            tracing::warn!(target: "flags", "OFREP_HEADERS: {problem}");
        }
        let config = self
            .options
            .resolve(&env)
            .map_err(|e| crate::Error::Source {
                origin: "the OFREP provider".to_owned(),
                message: e.to_string(),
            })?;
        let mut transport = self.transport.timeout(config.timeout);
        if let Some(deadline) = config.deadline {
            transport = transport.deadline(deadline);
        }
        for (name, value) in &config.headers {
            transport = transport.header(name.clone(), value.clone());
        }
        let transport = transport.build()?;
        let name = format!(
            "OFREP `{}`",
            crate::wire::context::redacted(&config.base_url)
        );
        let protocol = match self.bulk {
            Some((context, poll)) => Protocol::OfrepBulk {
                config,
                context,
                poll,
            },
            None => Protocol::Ofrep(config),
        };
        Remote::start(name, transport, protocol, self.cache)
    }
}

impl RemoteProvider for FlagKit {}

impl sealed::Sealed for FlagKit {
    fn start(self: Box<Self>) -> Result<Remote, crate::Error> {
        let (settings, transport, cache) =
            self.validate().map_err(|error| crate::Error::FlagKit {
                origin: "the FlagKit provider".to_owned(),
                error,
            })?;
        let transport = transport.build()?;
        let name = format!(
            "FlagKit `{}`",
            crate::wire::context::redacted(&settings.base_url)
        );
        if let Some(Err(why)) = &settings.bootstrap {
            tracing::error!(target: "flags", "{name}: {why}");
        }
        let state = flagkit::state::State::new(settings);
        Remote::start(name, transport, Protocol::FlagKit(Box::new(state)), cache)
    }
}

impl sealed::Sealed for Flagship {
    fn start(self: Box<Self>) -> Result<Remote, crate::Error> {
        let config = self
            .options
            .validate()
            .map_err(|error| crate::Error::Flagship {
                origin: "the Flagship provider".to_owned(),
                error,
            })?;
        let mut transport = self
            .transport
            .timeout(config.timeout)
            .retries(config.retries)
            .retry_delay(config.retry_delay);
        if let Some(deadline) = config.deadline {
            transport = transport.deadline(deadline);
        }
        let transport = transport.build()?;
        let name = format!(
            "Flagship `{}`",
            crate::wire::context::redacted(&config.evaluate_url)
        );
        Remote::start(name, transport, Protocol::Flagship(config), self.cache)
    }
}

pub(crate) enum Protocol {
    Ofrep(OfrepConfig),
    OfrepBulk {
        config: OfrepConfig,
        context: Context,
        poll: Option<Duration>,
    },
    Flagship(FlagshipConfig),
    FlagKit(Box<flagkit::state::State>),
}

/// A running remote provider: its runtime thread, transport, cache and state. Not nameable
/// outside the crate.
pub struct Remote {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    events: Events,
    transport: Transport,
    protocol: Protocol,
    cache: Option<RemoteCache>,
    /// Bulk mode: the last good evaluations.
    bulk: crate::wire::bulk::BulkCell,
    /// 401/403 seen: no more requests.
    fatal: AtomicBool,
    /// Shut down: no more requests (a task may still run until the runtime stops).
    stopped: AtomicBool,
    /// Bulk mode: the context, the streams, the refresh lock.
    control: BulkControl,
    runtime: tokio::runtime::Handle,
    /// The thread that drives `runtime`: waiting on it from there would never end.
    thread_id: std::thread::ThreadId,
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

/// What started a bulk fetch.
enum Trigger {
    /// A poll, a manual refresh or a context change.
    Poll,
    /// A `refetchEvaluation` message.
    Event(Refetch),
    /// A stream (re)connected after messages may have been missed: no `If-None-Match`.
    Reconnect,
}

/// The mutable part of the bulk mode.
struct BulkControl {
    /// The static context and its epoch (bumped by each change).
    context: std::sync::Mutex<(u64, Arc<Context>)>,
    /// The epoch of the context the held evaluation is for.
    held_epoch: AtomicU64,
    /// Fetches go one at a time (refetches triggered meanwhile wait, then usually get a 304).
    refresh: tokio::sync::Mutex<()>,
    /// The event streams the last evaluation announced.
    streams: tokio::sync::watch::Sender<Vec<EventStream>>,
    stream_stats: StreamStats,
}

impl BulkControl {
    fn current(&self) -> (u64, Arc<Context>) {
        let current = self.context.lock().unwrap_or_else(|p| p.into_inner());
        (current.0, current.1.clone())
    }
}

/// Counters of the event streams, for tracing and tests.
#[derive(Default)]
struct StreamStats {
    connections: AtomicU64,
    refetch_messages: AtomicU64,
    ignored_messages: AtomicU64,
}
