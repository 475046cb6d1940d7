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
use crate::details::EvaluationDetails;
use crate::details::{ErrorCode, EvaluationError};
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::key::{FlagKey, FlagValue};
use crate::provider::{Fetched, Provider, Query, Resolution, View, ViewKind};
use crate::transport::{Deadline, Request, Transport, TransportConfig, TransportError};
use crate::wire::cache::{CacheOptions, RemoteCache};
use crate::wire::flagship::{FlagshipConfig, FlagshipOptions, FlagshipRequest};
use crate::wire::ofrep::{
    self, BulkAnswer, EventStream, OfrepConfig, OfrepEnv, OfrepOptions, Refetch, Signal, SseParser,
};

pub use crate::wire::flagship::FlagshipConfigError;
pub use crate::wire::ofrep::OfrepConfigError;

/// An OFREP provider: [`ofrep`], [`ofrep_from_env`].
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

impl sealed::Sealed for Flagship {
    fn start(self: Box<Self>) -> Result<Remote, crate::Error> {
        let config = self.options.validate().map_err(|e| crate::Error::Source {
            origin: "the Flagship provider".to_owned(),
            message: e.to_string(),
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

impl Remote {
    fn start(
        name: String,
        transport: Transport,
        protocol: Protocol,
        cache: Option<CacheOptions>,
    ) -> Result<Remote, crate::Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| crate::Error::Source {
                origin: name.clone(),
                message: format!("cannot start the provider's runtime: {e}"),
            })?;
        let handle = runtime.handle().clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("flags-remote".to_owned())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stop_rx.await;
                });
                runtime.shutdown_timeout(Duration::from_millis(500));
            })
            .map_err(|e| crate::Error::Source {
                origin: name.clone(),
                message: format!("cannot start the provider's thread: {e}"),
            })?;
        let thread_id = thread.thread().id();
        let bulk = matches!(protocol, Protocol::OfrepBulk { .. });
        let context = match &protocol {
            Protocol::OfrepBulk { context, .. } => context.clone(),
            _ => Context::default(),
        };
        let (streams_tx, streams_rx) = tokio::sync::watch::channel(Vec::new());
        let inner = Arc::new(Inner {
            events: Events::new(
                name.clone(),
                if bulk {
                    ProviderStatus::NotReady
                } else {
                    ProviderStatus::Ready
                },
            ),
            name,
            transport,
            protocol,
            cache: cache.map(RemoteCache::new),
            bulk: crate::wire::bulk::BulkCell::empty(),
            control: BulkControl {
                context: std::sync::Mutex::new((0, Arc::new(context))),
                held_epoch: AtomicU64::new(0),
                refresh: tokio::sync::Mutex::new(()),
                streams: streams_tx,
                stream_stats: StreamStats::default(),
            },
            fatal: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            runtime: handle,
            thread_id,
            stop: std::sync::Mutex::new(Some(stop_tx)),
        });
        if let Protocol::OfrepBulk { poll, .. } = &inner.protocol {
            let poll = *poll;
            let weak = Arc::downgrade(&inner);
            inner.runtime.spawn(async move {
                loop {
                    let Some(inner) = weak.upgrade() else { return };
                    // Failures are reported through the provider's status and events.
                    let _ = inner.refresh_bulk(Trigger::Poll).await;
                    if inner.fatal.load(Ordering::Relaxed) {
                        return;
                    }
                    drop(inner);
                    match poll {
                        Some(every) => tokio::time::sleep(every).await,
                        None => return,
                    }
                }
            });
            inner
                .runtime
                .spawn(supervise_streams(Arc::downgrade(&inner), streams_rx));
        }
        if let Some(every) = inner.cache.as_ref().map(RemoteCache::tick_every) {
            // The cache's coarse time: hits compare expiry with it instead of reading a clock.
            let weak = Arc::downgrade(&inner);
            inner.runtime.spawn(async move {
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    match weak.upgrade() {
                        Some(inner) => match &inner.cache {
                            Some(cache) => cache.tick(),
                            None => return,
                        },
                        None => return,
                    }
                }
            });
        }
        Ok(Remote { inner })
    }

    pub(crate) fn is_bulk(&self) -> bool {
        matches!(self.inner.protocol, Protocol::OfrepBulk { .. })
    }

    pub(crate) fn shutdown(&self) {
        self.inner.stopped.store(true, Ordering::Relaxed);
        if let Some(stop) = self
            .inner
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _ = stop.send(());
        }
        if let Some(cache) = &self.inner.cache {
            cache.clear();
        }
        self.inner.events.set_status(ProviderStatus::NotReady);
    }

    /// Runs `future` on the provider's runtime and awaits it from any executor.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = R> + Send + 'static,
    ) -> Option<R> {
        self.inner.runtime.spawn(future).await.ok()
    }

    /// Runs `future` on the provider's runtime and waits for it, blocking this thread; `None`
    /// at once when called from the provider's own thread (an event handler), which would
    /// otherwise wait forever.
    pub(crate) fn run_blocking<R: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = R> + Send + 'static,
    ) -> Option<R> {
        if std::thread::current().id() == self.inner.thread_id {
            return None;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        self.inner.runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().ok()
    }

    /// Waits (at most `timeout`) for the first bulk evaluation; per-evaluation providers are
    /// ready at once.
    pub(crate) fn wait_ready(&self, timeout: Duration) -> Result<(), crate::Error> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let status = self.inner.events.status();
            // Reconciling: an evaluation (for the previous context) is held.
            if matches!(status, ProviderStatus::Ready | ProviderStatus::Reconciling) {
                return Ok(());
            }
            if status != ProviderStatus::NotReady || std::time::Instant::now() >= deadline {
                return Err(crate::Error::NotReady {
                    status,
                    message: format!("{} has not delivered a bulk evaluation", self.inner.name),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Refreshes now (bulk mode), waiting for the outcome at most the deadline (a refresh
    /// already in flight is waited for within it); the refresh lands even when it comes
    /// later.
    pub(crate) fn refresh_blocking(&self) -> Result<(), crate::Error> {
        if !self.is_bulk() {
            return Ok(());
        }
        if self.inner.stopped.load(Ordering::Relaxed) {
            return Err(crate::Error::ShutDown);
        }
        let inner = self.inner.clone();
        if std::thread::current().id() == self.inner.thread_id {
            // From an event handler: the refresh follows, this returns at once.
            self.inner.runtime.spawn(async move {
                let _ = inner.refresh_bulk(Trigger::Poll).await;
            });
            return Ok(());
        }
        let deadline = self.inner.transport.deadline();
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Detached: the evaluation lands even when the caller stops waiting.
        self.inner.runtime.spawn(async move {
            let _ = tx.send(inner.refresh_bulk(Trigger::Poll).await);
        });
        match self.run_blocking(async move { tokio::time::timeout(deadline, rx).await }) {
            Some(Ok(Ok(outcome))) => outcome,
            Some(Err(_)) => Err(self.not_in_time("the refreshed evaluation")),
            Some(Ok(Err(_))) | None => Err(crate::Error::ShutDown),
        }
    }

    /// Bulk mode: switches to `context` and starts its evaluation; the returned receiver
    /// gets the outcome. `Unsupported` on other providers.
    fn begin_context_change(
        &self,
        context: Context,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<(), crate::Error>>, crate::Error> {
        if !self.is_bulk() {
            return Err(crate::Error::Unsupported {
                operation: "set_bulk_context",
                provider: "remote evaluation per flag",
            });
        }
        if self.inner.stop_requested() {
            return Err(crate::Error::ShutDown);
        }
        let inner = self.inner.clone();
        {
            let mut current = inner
                .control
                .context
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            *current = (current.0 + 1, Arc::new(context));
        }
        if !inner.fatal.load(Ordering::Relaxed) && inner.bulk.load().is_some() {
            inner.events.emit(EventDetails::new(
                ProviderEvent::Reconciling,
                inner.name.clone(),
            ));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Detached: the evaluation lands even when the caller stops waiting.
        self.inner.runtime.spawn(async move {
            let _ = tx.send(inner.refresh_bulk(Trigger::Poll).await);
        });
        Ok(rx)
    }

    /// `what` has not arrived within the deadline.
    fn not_in_time(&self, what: &str) -> crate::Error {
        crate::Error::Fetch {
            origin: self.inner.name.clone(),
            message: format!(
                "{what} has not arrived within the deadline of {} ms; reads answer from the \
                 previous evaluation until it does",
                self.inner.transport.deadline().as_millis()
            ),
        }
    }

    /// Bulk mode: changes the context and waits (at most the provider's deadline) for its
    /// evaluation; from the provider's own thread (an event handler), returns at once.
    pub(crate) fn set_context_blocking(&self, context: Context) -> Result<(), crate::Error> {
        let rx = self.begin_context_change(context)?;
        if std::thread::current().id() == self.inner.thread_id {
            return Ok(());
        }
        let timeout = self.inner.transport.deadline();
        let (tx, done) = std::sync::mpsc::channel();
        self.inner.runtime.spawn(async move {
            let _ = tx.send(tokio::time::timeout(timeout, rx).await);
        });
        match done.recv() {
            Ok(Ok(Ok(outcome))) => outcome,
            Ok(Err(_)) => Err(self.not_in_time("the evaluation for the new context")),
            Ok(Ok(Err(_))) | Err(_) => Err(crate::Error::ShutDown),
        }
    }

    /// [`Remote::set_context_blocking`] as a future, for any executor.
    pub(crate) async fn set_context(&self, context: Context) -> Result<(), crate::Error> {
        let rx = self.begin_context_change(context)?;
        let timeout = self.inner.transport.deadline();
        match self
            .run(async move { tokio::time::timeout(timeout, rx).await })
            .await
        {
            Some(Ok(Ok(outcome))) => outcome,
            Some(Err(_)) => Err(self.not_in_time("the evaluation for the new context")),
            Some(Ok(Err(_))) | None => Err(crate::Error::ShutDown),
        }
    }
}

impl Inner {
    /// Resolves every `(flag, context)` pair, concurrently (identical requests are coalesced
    /// by the transport), answering in the same order, all within one deadline (the
    /// transport's, from now); the `bool` says whether an answer came from the cache.
    async fn resolve_each(self: Arc<Self>, queries: Vec<Query>) -> Vec<Fetched> {
        let deadline = Deadline::after(self.transport.deadline());
        let mut tasks = Vec::with_capacity(queries.len());
        for query in queries {
            let inner = self.clone();
            let key = query.key.clone();
            tasks.push((
                key,
                tokio::spawn(async move { inner.resolve(&query, deadline).await }),
            ));
        }
        let mut out = Vec::with_capacity(tasks.len());
        for (key, task) in tasks {
            // A panic in user code (a `headers_factory`) ends only this flag's task.
            out.push(task.await.unwrap_or_else(|_| {
                let message = format!(
                    "{}: the evaluation of `{key}` failed: the provider panicked (in \
                     `headers_factory`?)",
                    self.name
                );
                Fetched {
                    resolution: Arc::new(Resolution::error(ErrorCode::General, message)),
                    cached: false,
                }
            }));
        }
        out
    }

    async fn resolve(&self, query: &Query, deadline: Deadline) -> Fetched {
        let ctx = &query.context;
        if let Some(cache) = &self.cache
            && let Some(hit) = cache.get(&query.key, query.type_id, ctx)
        {
            return Fetched {
                resolution: hit,
                cached: true,
            };
        }
        let resolution = Arc::new(self.fetch_one(&query.key, ctx, deadline).await);
        if let Some(cache) = &self.cache {
            cache.insert(&query.key, query.type_id, ctx, resolution.clone());
        }
        Fetched {
            resolution,
            cached: false,
        }
    }

    async fn fetch_one(&self, key: &str, ctx: &Context, deadline: Deadline) -> Resolution {
        if self.stopped.load(Ordering::Relaxed) {
            return Resolution::error(
                ErrorCode::ProviderNotReady,
                format!("{} is shut down", self.name),
            );
        }
        if self.fatal.load(Ordering::Relaxed) {
            return Resolution::error(
                ErrorCode::ProviderFatal,
                format!(
                    "{} refused the credentials; the provider stopped (FATAL)",
                    self.name
                ),
            );
        }
        match &self.protocol {
            Protocol::Ofrep(config) => {
                let request = match ofrep::single_url(&config.base_url, key)
                    .and_then(|url| ofrep::request_body(ctx).map(|body| (url, body)))
                {
                    Ok((url, body)) => Request::post_json(url, body),
                    Err(error) => return from_error(error),
                };
                let (status, content_type, body) =
                    match answered(self.transport.send_until(request, deadline).await) {
                        Ok(answer) => answer,
                        Err(error) => return self.transport_failure(&error),
                    };
                let answer = ofrep::parse_single(key, status, content_type.as_deref(), &body);
                if answer.signal == Some(Signal::Fatal) {
                    self.go_fatal(&answer.resolution);
                }
                answer.resolution
            }
            Protocol::Flagship(config) => {
                let request = match crate::wire::flagship::evaluate_request(config, key, ctx) {
                    Ok(FlagshipRequest::Get { url }) => Request::get(url),
                    Ok(FlagshipRequest::Post { url, body }) => Request::post_json(url, body),
                    Err(error) => return from_error(error),
                };
                let mut request = request;
                for (name, value) in config.request_headers() {
                    request = request.header(name, value);
                }
                let (status, content_type, body) =
                    match answered(self.transport.send_until(request, deadline).await) {
                        Ok(answer) => answer,
                        Err(error) => return self.transport_failure(&error),
                    };
                crate::wire::flagship::parse_evaluate(key, status, content_type.as_deref(), &body)
            }
            Protocol::OfrepBulk { .. } => match self.bulk.load_full() {
                Some(bulk) => match bulk.flags.get(key) {
                    Some(resolution) => resolution.clone(),
                    None => Resolution::error(
                        ErrorCode::FlagNotFound,
                        format!("flag `{key}` is not in the bulk evaluation"),
                    ),
                },
                None => Resolution::error(
                    ErrorCode::ProviderNotReady,
                    "the bulk evaluation has not arrived yet",
                ),
            },
        }
    }

    /// `true` once the service refused the credentials (FATAL).
    fn is_fatal(&self) -> bool {
        self.fatal.load(Ordering::Relaxed)
    }

    fn transport_failure(&self, error: &TransportError) -> Resolution {
        Resolution::error(ErrorCode::General, format!("{}: {error}", self.name))
    }

    fn go_fatal(&self, resolution: &Resolution) {
        if !self.fatal.swap(true, Ordering::Relaxed) {
            let message = resolution.error.as_ref().map_or_else(
                || "credentials refused".to_owned(),
                |e| e.message.to_string(),
            );
            self.events.set_status(ProviderStatus::Fatal);
            // No more listening either.
            self.control.streams.send_replace(Vec::new());
            if let Some(cache) = &self.cache {
                cache.clear();
            }
            // Bulk reads stop answering from the last evaluation (OpenFeature 1.7.8): every
            // read gets the caller's default with PROVIDER_FATAL.
            if matches!(self.protocol, Protocol::OfrepBulk { .. }) {
                self.bulk
                    .store(Some(Arc::new(crate::wire::ofrep::Bulk::gated(
                        EvaluationError::new(
                            ErrorCode::ProviderFatal,
                            format!("{}: {message}", self.name),
                        ),
                    ))));
            }
            self.events.emit(
                EventDetails::new(ProviderEvent::Error, self.name.clone())
                    .with_message(message)
                    .with_error_code(ErrorCode::ProviderFatal),
            );
        }
    }

    /// Fetches the bulk evaluation (bulk mode) for the current context, one fetch at a time:
    /// with `If-None-Match` when the held evaluation is for this context (not after a stream
    /// reconnection, which refetches unconditionally), and with the event's metadata as
    /// query parameters when a `refetchEvaluation` message asked for it.
    async fn refresh_bulk(&self, trigger: Trigger) -> Result<(), crate::Error> {
        let Protocol::OfrepBulk { config, .. } = &self.protocol else {
            return Ok(());
        };
        let fail = |message: String| crate::Error::Fetch {
            origin: self.name.clone(),
            message,
        };
        let _one_at_a_time = self.control.refresh.lock().await;
        if self.fatal.load(Ordering::Relaxed) {
            return Err(fail(
                "the provider is FATAL: the credentials were refused".to_owned(),
            ));
        }
        let (epoch, context) = self.control.current();
        let body = ofrep::request_body(&context).map_err(|e| fail(e.message.to_string()))?;
        let url = match &trigger {
            Trigger::Event(event) => ofrep::refetch_url(&config.base_url, event),
            Trigger::Poll | Trigger::Reconnect => ofrep::bulk_url(&config.base_url),
        };
        let mut request = Request::post_json(url, body);
        let held = self.bulk.load_full();
        let same_context = self.control.held_epoch.load(Ordering::Acquire) == epoch;
        if same_context
            && !matches!(trigger, Trigger::Reconnect)
            && let Some(etag) = held.as_ref().and_then(|b| b.etag.clone())
        {
            request = request.header("If-None-Match", etag);
        }
        let sent = self.transport.send(request).await;
        if self.control.current().0 != epoch {
            // The context changed meanwhile: this outcome is for the previous one, and the
            // fetch for the new one follows.
            return Ok(());
        }
        let answer = match sent {
            Ok(response) => ofrep::parse_bulk(
                response.status,
                response.content_type(),
                &response.body,
                response.etag(),
            ),
            Err(TransportError::Status {
                status,
                content_type,
                body,
                ..
            }) => ofrep::parse_bulk(status, content_type.as_deref(), &body, None),
            Err(error) => {
                let message = error.to_string();
                self.bulk_failed(&message, same_context);
                return Err(fail(message));
            }
        };
        match answer {
            BulkAnswer::NotModified if same_context => Ok(()),
            BulkAnswer::NotModified => {
                // Only a conditional request may be answered 304.
                let message = "the server answered 304 to a request without `If-None-Match`";
                self.bulk_failed(message, same_context);
                Err(fail(message.to_owned()))
            }
            BulkAnswer::Updated(bulk) => {
                let changed: Vec<String> = match &held {
                    None => bulk.flags.keys().map(str::to_owned).collect(),
                    Some(old) => {
                        let mut keys: Vec<String> = old
                            .flags
                            .keys()
                            .chain(bulk.flags.keys())
                            .filter(|k| old.flags.get(k) != bulk.flags.get(k))
                            .map(str::to_owned)
                            .collect();
                        keys.sort();
                        keys.dedup();
                        keys
                    }
                };
                let streams = bulk.event_streams.clone();
                self.bulk.store(Some(Arc::new(bulk)));
                self.control.held_epoch.store(epoch, Ordering::Release);
                self.control.streams.send_if_modified(|current| {
                    let modified = *current != streams;
                    *current = streams;
                    modified
                });
                let was = self.events.status();
                self.events.set_status(ProviderStatus::Ready);
                if held.is_none()
                    || !matches!(was, ProviderStatus::Ready | ProviderStatus::Reconciling)
                {
                    self.events
                        .emit(EventDetails::new(ProviderEvent::Ready, self.name.clone()));
                }
                if held.is_some() && !same_context {
                    self.events.emit(
                        EventDetails::new(ProviderEvent::ContextChanged, self.name.clone())
                            .with_flags_changed(changed),
                    );
                } else if held.is_some() && !changed.is_empty() {
                    self.events.emit(
                        EventDetails::new(ProviderEvent::ConfigurationChanged, self.name.clone())
                            .with_flags_changed(changed),
                    );
                }
                Ok(())
            }
            BulkAnswer::Failed { error, signal } => {
                if signal == Some(Signal::Fatal) {
                    self.go_fatal(&Resolution::error(error.code, error.message.clone()));
                } else {
                    self.bulk_failed(&error.message, same_context);
                }
                Err(fail(error.message.to_string()))
            }
        }
    }

    fn stop_requested(&self) -> bool {
        self.stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// A failed bulk fetch: STALE when an evaluation for this context is held, else ERROR
    /// (none yet, or only one for a previous context).
    fn bulk_failed(&self, message: &str, same_context: bool) {
        let status = if same_context && self.bulk.load().is_some() {
            ProviderStatus::Stale
        } else {
            ProviderStatus::Error
        };
        self.events.set_status(status);
        let event = if status == ProviderStatus::Stale {
            ProviderEvent::Stale
        } else {
            ProviderEvent::Error
        };
        self.events.emit(
            EventDetails::new(event, self.name.clone())
                .with_message(format!("{}: {message}", self.name)),
        );
    }
}

/// An answer to read (a success or an HTTP error status): status, content type and body; or
/// the failure that left no answer.
impl Provider for Remote {
    fn events(&self) -> &Events {
        &self.inner.events
    }

    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        let inner = &*self.inner;
        if self.is_bulk() {
            inner.bulk.with(|bulk| {
                read(View(ViewKind::Remote(RemoteView {
                    inner,
                    bulk,
                    bulk_mode: true,
                })));
            });
        } else {
            // Per-evaluation mode has no bulk evaluation: nothing to load.
            read(View(ViewKind::Remote(RemoteView {
                inner,
                bulk: None,
                bulk_mode: false,
            })));
        }
    }

    fn describe(&self) -> String {
        self.inner.name.clone()
    }

    fn kind(&self) -> &'static str {
        "remote evaluation"
    }

    fn flag_count(&self) -> usize {
        self.inner.bulk.load().as_ref().map_or(0, |b| b.flags.len())
    }

    fn refresh(&self) -> Result<(), crate::Error> {
        self.refresh_blocking()
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), crate::Error> {
        Remote::wait_ready(self, timeout)
    }

    fn shutdown(&self) {
        Remote::shutdown(self);
    }

    fn set_context(&self, context: Context) -> Result<(), crate::Error> {
        self.set_context_blocking(context)
    }

    fn set_context_async(
        &self,
        context: Context,
    ) -> crate::provider::BoxFuture<'_, Result<(), crate::Error>> {
        Box::pin(Remote::set_context(self, context))
    }

    fn fetches(&self) -> bool {
        !self.is_bulk()
    }

    fn fetch(
        &self,
        queries: Vec<Query>,
    ) -> crate::provider::BoxFuture<'static, Option<Vec<Fetched>>> {
        let inner = self.inner.clone();
        let runtime = self.inner.runtime.clone();
        Box::pin(async move { runtime.spawn(inner.resolve_each(queries)).await.ok() })
    }

    fn fetch_blocking(&self, queries: Vec<Query>) -> Option<Vec<Fetched>> {
        let inner = self.inner.clone();
        self.run_blocking(inner.resolve_each(queries))
    }
}

/// A remote provider's answers read without waiting: the bulk evaluation, or the cache.
#[derive(Clone, Copy)]
pub(crate) struct RemoteView<'a> {
    inner: &'a Inner,
    bulk: Option<&'a crate::wire::ofrep::Bulk>,
    bulk_mode: bool,
}

impl RemoteView<'_> {
    /// The value alone: in bulk mode, read straight from the held evaluation, without
    /// building details.
    #[inline]
    pub(crate) fn value<T: FlagValue>(self, key: &FlagKey<T>, ctx: &Context) -> T {
        if self.bulk_mode {
            return match self.bulk {
                Some(bulk) => bulk.flags.value(key),
                None => key.default_value(),
            };
        }
        // A cache hit: the value stored decoded, without building details.
        if !self.inner.is_fatal()
            && let Some(value) = self.inner.cache.as_ref().and_then(|c| c.value(key, ctx))
        {
            return value;
        }
        self.details(key, ctx, false).0.value
    }

    pub(crate) fn details<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<crate::Value>) {
        let raw = |r: &Resolution| if dynamic { r.raw_value() } else { None };
        if self.bulk_mode {
            return match self.bulk {
                Some(bulk) => (bulk.details(key), bulk.flags.get(key.key()).and_then(raw)),
                None => (
                    Resolution::error(
                        ErrorCode::ProviderNotReady,
                        format!(
                            "{}: the bulk evaluation has not arrived yet",
                            self.inner.name
                        ),
                    )
                    .to_details(key),
                    None,
                ),
            };
        }
        if self.inner.is_fatal() {
            return (
                Resolution::error(
                    ErrorCode::ProviderFatal,
                    format!(
                        "{} refused the credentials; the provider stopped (FATAL)",
                        self.inner.name
                    ),
                )
                .to_details(key),
                None,
            );
        }
        if let Some(details) = self.inner.cache.as_ref().and_then(|c| c.details(key, ctx)) {
            return (details, None);
        }
        let message = format!(
            "`{}` is evaluated remotely by {}: use `details_async` or `flags_async`, or \
             `flags::blocking::Client` in sync code (this call never waits for the network)",
            key.key(),
            self.inner.name
        );
        (
            Resolution::error(ErrorCode::General, message).to_details(key),
            None,
        )
    }
}

fn answered(
    sent: Result<crate::transport::Response, TransportError>,
) -> Result<(u16, Option<String>, bytes::Bytes), TransportError> {
    match sent {
        Ok(response) => Ok((
            response.status,
            response.content_type().map(str::to_owned),
            response.body,
        )),
        Err(TransportError::Status {
            status,
            content_type,
            body,
            ..
        }) => Ok((status, content_type, body)),
        Err(error) => Err(error),
    }
}

fn from_error(error: EvaluationError) -> Resolution {
    Resolution {
        value: None,
        variant: None,
        reason: crate::details::Reason::Error,
        error: Some(error),
        metadata: crate::details::FlagMetadata::empty(),
    }
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

/// The most event streams listened to at once.
const MAX_STREAMS: usize = 4;
/// The largest SSE line or event accepted; longer ones are dropped.
const MAX_EVENT: usize = 64 * 1024;
/// The reconnection delay when the server gave none (`retry:`).
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// The bounds of the server's `retry:` and of the backoff.
const MIN_RECONNECT: Duration = Duration::from_millis(50);
const MAX_RECONNECT: Duration = Duration::from_secs(60);
/// A stream silent this long (not even a comment) is presumed dead: reconnect.
const STREAM_IDLE: Duration = Duration::from_secs(5 * 60);
/// A connection that lasted this long resets the backoff.
const STABLE_CONNECTION: Duration = Duration::from_secs(30);

/// Listens to the streams the latest bulk answer announced, switching when a new answer
/// announces others; ends with the provider (its sender dropped) and stops listening on
/// FATAL (the list emptied).
async fn supervise_streams(
    weak: Weak<Inner>,
    mut announced: tokio::sync::watch::Receiver<Vec<EventStream>>,
) {
    let mut listeners = tokio::task::JoinSet::new();
    loop {
        let streams = announced.borrow_and_update().clone();
        listeners.abort_all();
        if streams.len() > MAX_STREAMS {
            tracing::warn!(
                target: "flags",
                "the bulk answer announces {} event streams; listening to the first {MAX_STREAMS}",
                streams.len()
            );
        }
        for stream in streams.into_iter().take(MAX_STREAMS) {
            listeners.spawn(listen(weak.clone(), stream));
        }
        if announced.changed().await.is_err() {
            return;
        }
    }
}

/// One event stream: connect, read messages, refetch on `refetchEvaluation`, reconnect with
/// capped exponential backoff and jitter when it ends or fails (`204` stops it, as SSE says).
///
/// The stream's `inactivityDelaySec` is not used: it asks clients to disconnect while the
/// *application* is inactive (a hidden tab, a backgrounded phone app), which a server
/// process never is. A stream silent for [`STREAM_IDLE`] is presumed dead instead.
async fn listen(weak: Weak<Inner>, stream: EventStream) {
    let mut failures: u32 = 0;
    let mut connected_before = false;
    let mut server_retry: Option<Duration> = None;
    let mut last_id: Option<String> = None;
    loop {
        let (transport, url, name) = {
            let Some(inner) = weak.upgrade() else { return };
            if inner.fatal.load(Ordering::Relaxed) {
                return;
            }
            let Protocol::OfrepBulk { config, .. } = &inner.protocol else {
                return;
            };
            (
                inner.transport.clone(),
                stream.url(&config.base_url),
                inner.name.clone(),
            )
        };
        let Some(url) = url else {
            tracing::warn!(target: "flags", "{name}: an event stream has no usable URL; ignored");
            return;
        };
        let mut request = Request::get(url)
            .header("Accept", "text/event-stream")
            .header("Cache-Control", "no-cache");
        if let Some(id) = &last_id {
            request = request.header("Last-Event-ID", id.clone());
        }
        match transport.open_stream(request).await {
            Ok(open) if open.status() == 204 => {
                // The SSE standard's "stop reconnecting".
                tracing::debug!(target: "flags", "{name}: the event stream answered 204; not listening");
                return;
            }
            Ok(mut open) if open.status() == 200 => {
                let opened = Instant::now();
                if let Some(inner) = weak.upgrade() {
                    inner
                        .control
                        .stream_stats
                        .connections
                        .fetch_add(1, Ordering::Relaxed);
                    if connected_before {
                        // Messages may have been missed while disconnected.
                        let _ = inner.refresh_bulk(Trigger::Reconnect).await;
                    }
                }
                connected_before = true;
                let mut parser = SseParser::new(MAX_EVENT);
                let content_type = open.header("content-type").unwrap_or("text/event-stream");
                if !content_type
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("text/event-stream")
                {
                    tracing::debug!(target: "flags", "{name}: the event stream is not `text/event-stream`; retrying");
                    failures = failures.saturating_add(1);
                    tokio::time::sleep(reconnect_delay(server_retry, failures)).await;
                    continue;
                }
                loop {
                    let chunk = match tokio::time::timeout(STREAM_IDLE, open.chunk()).await {
                        Ok(Ok(Some(chunk))) => chunk,
                        Ok(Ok(None)) => break,
                        Ok(Err(error)) => {
                            tracing::debug!(target: "flags", "{name}: the event stream failed: {error}");
                            break;
                        }
                        Err(_) => {
                            tracing::debug!(target: "flags", "{name}: the event stream is silent; reconnecting");
                            break;
                        }
                    };
                    let events = parser.feed(&chunk);
                    if events.is_empty() {
                        continue;
                    }
                    let Some(inner) = weak.upgrade() else { return };
                    // Several messages in one read make one refetch, with the last one's
                    // metadata.
                    let mut refetch = None;
                    for event in &events {
                        match event.refetch() {
                            Some(found) => {
                                inner
                                    .control
                                    .stream_stats
                                    .refetch_messages
                                    .fetch_add(1, Ordering::Relaxed);
                                refetch = Some(found);
                            }
                            None => {
                                inner
                                    .control
                                    .stream_stats
                                    .ignored_messages
                                    .fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    if let Some(event) = refetch {
                        let _ = inner.refresh_bulk(Trigger::Event(event)).await;
                    }
                    if inner.fatal.load(Ordering::Relaxed) {
                        return;
                    }
                }
                if let Some(inner) = weak.upgrade() {
                    let stats = &inner.control.stream_stats;
                    tracing::debug!(
                        target: "flags",
                        "{name}: event stream closed; {} connections, {} refetch messages, {} other messages ignored so far",
                        stats.connections.load(Ordering::Relaxed),
                        stats.refetch_messages.load(Ordering::Relaxed),
                        stats.ignored_messages.load(Ordering::Relaxed)
                    );
                }
                server_retry = parser.retry().or(server_retry);
                last_id = parser.last_id().map(str::to_owned).or(last_id);
                // A server that keeps dropping streams early gets fewer and fewer attempts.
                if opened.elapsed() >= STABLE_CONNECTION {
                    failures = 0;
                }
            }
            Ok(open) => {
                tracing::debug!(
                    target: "flags",
                    "{name}: the event stream answered {}; retrying",
                    open.status()
                );
            }
            Err(error) => {
                tracing::debug!(target: "flags", "{name}: cannot open the event stream: {error}");
            }
        }
        failures = failures.saturating_add(1);
        tokio::time::sleep(reconnect_delay(server_retry, failures)).await;
    }
}

/// The wait before reconnection attempt `failures` (1 for the first): the server's `retry:`
/// (or 1 s) doubled per consecutive failure, capped at 60 s, half of it random.
fn reconnect_delay(server_retry: Option<Duration>, failures: u32) -> Duration {
    let base = server_retry
        .unwrap_or(RECONNECT_DELAY)
        .clamp(MIN_RECONNECT, MAX_RECONNECT);
    let doublings = failures.saturating_sub(1).min(16);
    let ceiling = base
        .checked_mul(1 << doublings)
        .unwrap_or(MAX_RECONNECT)
        .min(MAX_RECONNECT);
    let half = ceiling / 2;
    half + crate::transport::jitter(ceiling - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_grow_within_their_bounds() {
        for _ in 0..50 {
            let first = reconnect_delay(None, 1);
            assert!(
                (RECONNECT_DELAY / 2..=RECONNECT_DELAY).contains(&first),
                "{first:?}"
            );
            let asked = reconnect_delay(Some(Duration::from_millis(200)), 3);
            let ceiling = Duration::from_millis(800);
            assert!((ceiling / 2..=ceiling).contains(&asked), "{asked:?}");
            // A server asking for no delay still gets the floor; one asking for hours, the cap.
            assert!(reconnect_delay(Some(Duration::ZERO), 1) >= MIN_RECONNECT / 2);
            assert!(reconnect_delay(Some(Duration::from_secs(7200)), 1) <= MAX_RECONNECT);
            assert!(reconnect_delay(None, u32::MAX) <= MAX_RECONNECT);
            assert!(reconnect_delay(None, u32::MAX) >= MAX_RECONNECT / 2);
        }
    }
}
