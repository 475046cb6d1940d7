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
//! ```no_run
//! # #[derive(Clone, Default)] struct Checkout;
//! let client = flags_runtime::Client::builder()
//!     .remote(flags_runtime::remote::ofrep("http://localhost:8016"))
//!     .build()?;
//! # Ok::<(), flags_runtime::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError};
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::transport::{Request, Transport, TransportConfig, TransportError};
use crate::wire::Resolution;
use crate::wire::cache::{CacheOptions, RemoteCache};
use crate::wire::flagship::{FlagshipConfig, FlagshipOptions, FlagshipRequest};
use crate::wire::ofrep::{self, Bulk, BulkAnswer, OfrepConfig, OfrepEnv, OfrepOptions, Signal};

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

    /// The timeout of one request (default 10 s, or `OFREP_TIMEOUT_MS`).
    pub fn timeout(mut self, timeout: Duration) -> Ofrep {
        self.options.timeout = Some(timeout);
        self
    }

    /// Bulk mode: evaluate every flag for `context` once (`POST /ofrep/v1/evaluate/flags`),
    /// answer every read locally, and refresh every `poll` (none: only on
    /// [`Client::refresh`](crate::Client::refresh)) with `If-None-Match`. The context of each
    /// read is not sent: the service evaluated for `context`.
    pub fn bulk(mut self, context: Context, poll: Option<Duration>) -> Ofrep {
        self.bulk = Some((context, poll));
        self
    }

    /// Caches per-evaluation results for `ttl`, at most `max_entries` of them (beyond, an
    /// expired entry or one not read lately is evicted: second-chance LRU), keyed by
    /// the flag, the type read and the whole context. Hits report reason `CACHED`; errors and
    /// `DISABLED` results are never cached.
    pub fn cache(mut self, ttl: Duration, max_entries: usize) -> Ofrep {
        self.cache = Some(CacheOptions { ttl, max_entries });
        self
    }

    /// The transport's settings (retries, breaker, TLS, size limit); its timeout is replaced
    /// by [`Ofrep::timeout`].
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

    /// Headers computed for every request (rotating credentials); they win over the token.
    pub fn headers_factory(
        mut self,
        factory: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    ) -> Flagship {
        self.options.headers_factory = Some(Arc::new(factory));
        self
    }

    /// The timeout of one request (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Flagship {
        self.options.timeout = Some(timeout);
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

    /// See [`Ofrep::transport`]; timeout, retries and delay are replaced by this provider's.
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
        let transport = self
            .transport
            .timeout(config.timeout)
            .retries(config.retries)
            .retry_delay(config.retry_delay)
            .build()?;
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
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) events: Events,
    transport: Transport,
    protocol: Protocol,
    pub(crate) cache: Option<RemoteCache>,
    /// Bulk mode: the last good evaluations.
    pub(crate) bulk: ArcSwapOption<Bulk>,
    /// 401/403 seen: no more requests.
    fatal: AtomicBool,
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
            bulk: ArcSwapOption::empty(),
            fatal: AtomicBool::new(false),
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
                    let _ = inner.refresh_bulk().await;
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
        }
        Ok(Remote { inner })
    }

    pub(crate) fn events(&self) -> &Events {
        &self.inner.events
    }

    pub(crate) fn describe(&self) -> String {
        self.inner.name.clone()
    }

    pub(crate) fn is_bulk(&self) -> bool {
        matches!(self.inner.protocol, Protocol::OfrepBulk { .. })
    }

    pub(crate) fn shutdown(&self) {
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
            if status == ProviderStatus::Ready {
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

    /// Refreshes now (bulk mode), waiting for the outcome.
    pub(crate) fn refresh_blocking(&self) -> Result<(), crate::Error> {
        if !self.is_bulk() {
            return Ok(());
        }
        let inner = self.inner.clone();
        if std::thread::current().id() == self.inner.thread_id {
            // From an event handler: the refresh follows, this returns at once.
            self.inner.runtime.spawn(async move {
                let _ = inner.refresh_bulk().await;
            });
            return Ok(());
        }
        self.run_blocking(async move { inner.refresh_bulk().await })
            .ok_or(crate::Error::ShutDown)?
    }
}

/// One flag to resolve: its key and the type read (for the cache key).
#[derive(Clone)]
pub(crate) struct Wanted {
    pub(crate) key: Arc<str>,
    pub(crate) ty: std::any::TypeId,
}

impl Wanted {
    pub(crate) fn of<T: crate::key::FlagValue>(key: &crate::key::FlagKey<T>) -> Wanted {
        Wanted {
            key: Arc::from(key.key()),
            ty: std::any::TypeId::of::<T>(),
        }
    }
}

/// What a prefetch found, by key.
pub(crate) type Resolved = HashMap<Arc<str>, (Arc<Resolution>, bool)>;

impl Inner {
    /// Resolves every flag of `wanted` for `ctx`, concurrently (identical requests are
    /// coalesced by the transport); the `bool` says whether it came from the cache.
    pub(crate) async fn resolve_all(
        self: Arc<Self>,
        wanted: Vec<Wanted>,
        ctx: Context,
    ) -> Resolved {
        let ctx = Arc::new(ctx);
        let mut tasks = Vec::with_capacity(wanted.len());
        for want in wanted {
            let inner = self.clone();
            let ctx = ctx.clone();
            tasks.push(tokio::spawn(async move {
                let resolved = inner.resolve(&want, &ctx).await;
                (want.key, resolved)
            }));
        }
        let mut out = HashMap::with_capacity(tasks.len());
        for task in tasks {
            if let Ok((key, resolved)) = task.await {
                out.insert(key, resolved);
            }
        }
        out
    }

    async fn resolve(&self, want: &Wanted, ctx: &Context) -> (Arc<Resolution>, bool) {
        if let Some(cache) = &self.cache
            && let Some(hit) = cache.get(&want.key, want.ty, ctx)
        {
            return (hit, true);
        }
        let resolution = Arc::new(self.fetch_one(&want.key, ctx).await);
        if let Some(cache) = &self.cache {
            cache.insert(&want.key, want.ty, ctx, resolution.clone());
        }
        (resolution, false)
    }

    async fn fetch_one(&self, key: &str, ctx: &Context) -> Resolution {
        if self.fatal.load(Ordering::Relaxed) {
            return Resolution::error(
                ErrorCode::General,
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
                let (status, body) = match self.transport.send(request).await {
                    Ok(response) => (response.status, response.body),
                    Err(TransportError::Status { status, body, .. }) => (status, body),
                    Err(error) => return self.transport_failure(&error),
                };
                let answer = ofrep::parse_single(key, status, &body);
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
                let (status, body) = match self.transport.send(request).await {
                    Ok(response) => (response.status, response.body),
                    Err(TransportError::Status { status, body, .. }) => (status, body),
                    Err(error) => return self.transport_failure(&error),
                };
                crate::wire::flagship::parse_evaluate(key, status, &body)
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
            self.events.emit(
                EventDetails::new(ProviderEvent::Error, self.name.clone())
                    .with_message(message)
                    .with_error_code(ErrorCode::ProviderFatal),
            );
        }
    }

    /// Fetches the bulk evaluation (bulk mode), with `If-None-Match` when one is held.
    async fn refresh_bulk(&self) -> Result<(), crate::Error> {
        let Protocol::OfrepBulk {
            config, context, ..
        } = &self.protocol
        else {
            return Ok(());
        };
        let fail = |message: String| crate::Error::Fetch {
            origin: self.name.clone(),
            message,
        };
        if self.fatal.load(Ordering::Relaxed) {
            return Err(fail(
                "the provider is FATAL: the credentials were refused".to_owned(),
            ));
        }
        let body = ofrep::request_body(context).map_err(|e| fail(e.message.to_string()))?;
        let mut request = Request::post_json(ofrep::bulk_url(&config.base_url), body);
        let held = self.bulk.load_full();
        if let Some(etag) = held.as_ref().and_then(|b| b.etag.clone()) {
            request = request.header("If-None-Match", etag);
        }
        let answer = match self.transport.send(request).await {
            Ok(response) => ofrep::parse_bulk(response.status, &response.body, response.etag()),
            Err(TransportError::Status { status, body, .. }) => {
                ofrep::parse_bulk(status, &body, None)
            }
            Err(error) => {
                let message = error.to_string();
                self.bulk_failed(&message);
                return Err(fail(message));
            }
        };
        match answer {
            BulkAnswer::NotModified => Ok(()),
            BulkAnswer::Updated(bulk) => {
                let changed: Vec<String> = match &held {
                    None => bulk.flags.keys().cloned().collect(),
                    Some(old) => {
                        let mut keys: Vec<String> = old
                            .flags
                            .keys()
                            .chain(bulk.flags.keys())
                            .filter(|k| old.flags.get(*k) != bulk.flags.get(*k))
                            .cloned()
                            .collect();
                        keys.sort();
                        keys.dedup();
                        keys
                    }
                };
                self.bulk.store(Some(Arc::new(bulk)));
                let was = self.events.status();
                self.events.set_status(ProviderStatus::Ready);
                if held.is_none() || was != ProviderStatus::Ready {
                    self.events
                        .emit(EventDetails::new(ProviderEvent::Ready, self.name.clone()));
                }
                if held.is_some() && !changed.is_empty() {
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
                    self.bulk_failed(&error.message);
                }
                Err(fail(error.message.to_string()))
            }
        }
    }

    fn bulk_failed(&self, message: &str) {
        let status = if self.bulk.load().is_some() {
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

fn from_error(error: EvaluationError) -> Resolution {
    Resolution {
        value: None,
        variant: None,
        reason: crate::details::Reason::Error,
        error: Some(error),
        metadata: crate::details::FlagMetadata::empty(),
    }
}
