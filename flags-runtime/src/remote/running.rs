//! A running remote provider: its runtime thread, waiting for readiness, refreshes and
//! context changes from any thread or executor.

use super::*;

impl Remote {
    pub(super) fn start(
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
        let bulk = match &protocol {
            Protocol::OfrepBulk { .. } => true,
            Protocol::FlagKit(fk) => fk.is_bulk(),
            _ => false,
        };
        let context = match &protocol {
            Protocol::OfrepBulk { context, .. } => context.clone(),
            Protocol::FlagKit(fk) => fk.bulk_context().cloned().unwrap_or_default(),
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
            inner.runtime.spawn(super::bulk::supervise_streams(
                Arc::downgrade(&inner),
                streams_rx,
            ));
        }
        if let Protocol::FlagKit(fk) = &inner.protocol
            && fk.is_bulk()
        {
            inner.flagkit_bootstrap(fk);
            inner
                .runtime
                .spawn(super::flagkit::values::poll(Arc::downgrade(&inner)));
            if fk.settings.streaming.is_some() {
                inner
                    .runtime
                    .spawn(super::flagkit::stream::supervise(Arc::downgrade(&inner)));
            }
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

    /// Reads answer locally from a bulk evaluation (OFREP's bulk mode, FlagKit's values).
    pub(crate) fn is_bulk(&self) -> bool {
        match &self.inner.protocol {
            Protocol::OfrepBulk { .. } => true,
            Protocol::FlagKit(fk) => fk.is_bulk(),
            _ => false,
        }
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
            // Reconciling: an evaluation (for the previous context) is held. Stale: one is
            // held, and refreshes fail since (a quick poll may fail before this looks).
            if matches!(
                status,
                ProviderStatus::Ready | ProviderStatus::Reconciling | ProviderStatus::Stale
            ) {
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
    pub(super) fn begin_context_change(
        &self,
        context: Context,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<(), crate::Error>>, crate::Error> {
        let contextual = match &self.inner.protocol {
            Protocol::OfrepBulk { .. } => true,
            Protocol::FlagKit(fk) => fk.bulk_context().is_some(),
            _ => false,
        };
        if !contextual {
            return Err(crate::Error::Unsupported {
                operation: "set_bulk_context",
                provider: if self.is_bulk() {
                    "FlagKit's values, which do not depend on a context"
                } else {
                    "remote evaluation per flag"
                },
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
    pub(super) fn not_in_time(&self, what: &str) -> crate::Error {
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
