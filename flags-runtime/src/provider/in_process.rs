//! The in-process provider: evaluates locally from a compiled snapshot, which its source keeps
//! current.
//!
//! Lifecycle (OpenFeature §1.7, §5): `NOT_READY` until a first configuration; `READY` once one
//! from the source is in use; `ERROR` when the first load fails or an update is rejected;
//! `STALE` when serving a persisted copy, or after `stale_after` consecutive failed refreshes
//! (then `READY` on recovery); `FATAL` when the source refuses the credentials. Each
//! transition is an event; `CONFIGURATION_CHANGED` lists the keys whose definitions changed.
//! With [`ErrorStrategy::Fail`], every failure of the source is an `ERROR` and gates the reads
//! (they answer `GENERAL`) until the source succeeds again.

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::shared::{Origin, Reload, Shared};
use super::worker::{Failed, Worker};
use crate::details::ErrorCode;
use crate::engine::Snapshot;
use crate::error::Error;
use crate::events::{Events, ProviderStatus};
use crate::source::{Format, Kind, Plan, Source};

/// How long shutting down waits for the background thread.
pub(crate) const SHUTDOWN_BOUND: Duration = Duration::from_secs(1);

/// Holds the current snapshot; swapped whole when a new configuration compiles.
pub(crate) struct InProcess {
    shared: Arc<Shared>,
    /// What answers the flags the engine cannot compile, if the source has one.
    fallback: Option<Box<super::view::Fallback>>,
    /// The background thread keeping the configuration current, if any.
    worker: Mutex<Option<Worker>>,
}

thread_local! {
    /// Per thread: the snapshots this thread read last (see [`super::thread_cache`]).
    static SNAPSHOTS: super::thread_cache::Slots<Arc<Snapshot>> = const { RefCell::new(Vec::new()) };
}

impl InProcess {
    /// Starts a provider on `source`: sources read locally are loaded now (an unreadable or
    /// invalid one is an error, unless a persisted copy or a bootstrap can serve); a remote
    /// one starts in the background.
    pub(crate) fn start(
        source: Box<dyn Source>,
        engine: crate::engine::EngineOptions,
    ) -> Result<InProcess, Error> {
        #[cfg_attr(not(feature = "http"), allow(unused_mut))]
        let Plan {
            describe,
            kind,
            mut options,
        } = source.plan()?;
        #[cfg(feature = "http")]
        let fallback = match options.remote_fallback.take() {
            Some(plan) => Some(Box::new(plan.start(&describe)?)),
            None => None,
        };
        #[cfg(not(feature = "http"))]
        let fallback = None;
        let reload = match &kind {
            Kind::Inline(text) => Reload::Inline(text.clone()),
            Kind::File { path, .. } => Reload::File(path.clone()),
            #[cfg(feature = "http")]
            Kind::Http(_) | Kind::Stream { .. } => Reload::Background,
        };
        let shared = Arc::new(Shared::new(describe, engine, options, reload));
        let worker = match kind {
            Kind::Inline(_) | Kind::File { .. } => {
                if let Err(error) = shared.reload_local() {
                    // Something else to serve meanwhile? Else the setup error.
                    if !shared.serve_fallback()? {
                        return Err(error);
                    }
                    shared.failed(&error);
                }
                match kind {
                    Kind::File {
                        path,
                        watch: Some(quiet),
                    } => match super::watch::start(shared.clone(), path, quiet) {
                        Ok(worker) => Some(worker),
                        // The configuration is there; only live updates are lost (out of
                        // inotify instances, say): `refresh` still reloads.
                        Err(error) => {
                            tracing::warn!(target: "flags", "{error}; changes will be picked up only by `refresh`");
                            None
                        }
                    },
                    _ => None,
                }
            }
            #[cfg(feature = "http")]
            Kind::Http(config) => {
                shared.serve_fallback()?;
                Some(super::poll::start(shared.clone(), *config)?)
            }
            #[cfg(feature = "http")]
            Kind::Stream {
                config,
                idle,
                decode,
            } => {
                shared.serve_fallback()?;
                Some(super::stream::start(shared.clone(), *config, idle, decode)?)
            }
        };
        Ok(InProcess {
            shared,
            fallback,
            worker: Mutex::new(worker),
        })
    }

    /// The current snapshot. Lock-free.
    #[inline]
    pub(crate) fn snapshot(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.shared.snapshot.load()
    }

    /// Runs `f` on the current snapshot, through this thread's cache when it can. `f` runs
    /// while the cache is borrowed, so that no reference count is touched (an `Arc` clone per
    /// read would have every thread write one cache line); a read from within `f` finds the
    /// cache busy and goes through `arc-swap`.
    #[inline]
    pub(crate) fn with_snapshot<R>(&self, f: impl FnOnce(&Snapshot) -> R) -> R {
        let shared = &*self.shared;
        let version = shared.version.load(Ordering::Acquire);
        super::thread_cache::with_cached(
            &SNAPSHOTS,
            shared.id,
            version,
            || shared.snapshot.load_full(),
            |snapshot: &Arc<Snapshot>| f(snapshot),
            |f| f(&shared.snapshot.load()),
        )
    }

    /// The fixed scalar value the key's slot caches for the snapshot served now, if any: a
    /// read of a static `bool`, integer or float flag through a generated key constant, after
    /// its first read of this configuration, answers from it without the snapshot.
    #[inline(always)]
    pub(crate) fn fixed(&self, slot: &crate::key::KeySlot) -> crate::key::Fixed {
        slot.fixed(self.version())
    }

    /// The static answer the key's slot caches for the snapshot served now, if any (see
    /// [`crate::key::KeySlot::answer`]).
    #[inline(always)]
    pub(crate) fn answer(&self, slot: &crate::key::KeySlot) -> Option<crate::key::SlotAnswer> {
        slot.answer(self.version())
    }

    /// The generation of the snapshot served now.
    #[inline(always)]
    pub(crate) fn version(&self) -> u64 {
        self.shared.version.load(Ordering::Acquire)
    }

    /// Runs `f` on the view of the current snapshot (see [`InProcess::with_snapshot`]), with
    /// the remote fallback, if any.
    #[inline]
    pub(crate) fn with_view<R>(&self, f: impl FnOnce(super::View<'_>) -> R) -> R {
        let fallback = self.fallback.as_deref();
        self.with_snapshot(|snapshot| f(super::View::snapshot(snapshot, fallback)))
    }

    /// The details of `key` for `ctx` (without the value hooks see): a static flag's built in
    /// the caller's frame (see [`super::view::snapshot_details_only`]).
    #[inline(always)]
    pub(crate) fn details<T: crate::key::FlagValue>(
        &self,
        key: &crate::key::FlagKey<T>,
        ctx: &crate::context::Context,
    ) -> crate::details::EvaluationDetails<T> {
        let fallback = self.fallback.as_deref();
        self.with_snapshot(|snapshot| {
            super::view::snapshot_details_only(snapshot, fallback, key, ctx)
        })
    }

    /// Whether evaluations of `key` are recorded as evaluation events (see
    /// [`Snapshot::tracks_events`]).
    pub(crate) fn tracks_events(&self, key: &str) -> bool {
        self.with_snapshot(|snapshot| snapshot.tracks_events(key))
    }

    /// What the remote fallback did so far; `None` without one.
    #[cfg(feature = "http")]
    pub(crate) fn fallback_stats(&self) -> Option<crate::remote::FallbackStats> {
        self.fallback.as_ref().map(|fallback| fallback.stats())
    }

    /// Reloads the source now; on failure the current snapshot stays. A remote source is
    /// fetched by its background thread, and this waits for the outcome.
    pub(crate) fn refresh(&self) -> Result<(), Error> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(Error::ShutDown);
        }
        match &self.shared.reload {
            Reload::Background => {
                let reply = match self.lock_worker().as_ref() {
                    // From an event handler, on the polling thread: it cannot wait for
                    // itself, so the refresh runs once the handler returns.
                    Some(worker) if worker.is_current() => {
                        worker.refresh()?;
                        return Ok(());
                    }
                    Some(worker) => worker.refresh()?,
                    None => return Err(Error::ShutDown),
                };
                let origin = || self.shared.describe.clone();
                match reply.recv() {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(Failed::Fetch(message) | Failed::Fatal(message))) => Err(Error::Fetch {
                        origin: origin(),
                        message,
                    }),
                    Ok(Err(Failed::Rejected(message))) => Err(Error::Rejected { message }),
                    Err(_) => Err(Error::ShutDown),
                }
            }
            _ => {
                let result = self.shared.reload_local();
                if let Err(error) = &result {
                    self.shared.failed(error);
                }
                result
            }
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.shared.describe.clone()
    }

    /// The configuration served, as a document the source accepts back as its bootstrap: the
    /// text it was read from or, for a Flipt namespace read with its namespace, the snapshot
    /// Flipt's client engine would export (see [`flags_schema::flipt::engine_snapshot`]),
    /// without the flags whose definition is broken. With [`ErrorStrategy::Fail`] while the
    /// source fails, the last good one.
    pub(crate) fn export(&self) -> Result<String, Error> {
        if self.shared.is_closed() {
            return Err(Error::ShutDown);
        }
        let state = self.shared.lock();
        let (Some(text), Some(manifest)) = (&state.text, &state.current) else {
            return Err(Error::NotReady {
                status: self.shared.events.status(),
                message: state.last_error.clone().unwrap_or_else(|| {
                    format!("no configuration from {} yet", self.shared.describe)
                }),
            });
        };
        match &self.shared.options.format {
            Some(Format::Flipt { namespace }) if !namespace.is_empty() => {
                // Each flag read is its own targeting, as the server listed it.
                let flags: Vec<serde_json::Value> = manifest
                    .flags
                    .values()
                    .filter_map(|flag| flag.targeting.as_ref())
                    .filter(|targeting| targeting.dialect == flags_schema::Dialect::Flipt)
                    .filter_map(|targeting| targeting.rule.get("flag").cloned())
                    .collect();
                let key = match manifest
                    .metadata
                    .get(flags_schema::flipt::NAMESPACE_METADATA)
                {
                    Some(flags_schema::MetadataValue::String(key)) => key.as_str(),
                    _ => namespace.as_str(),
                };
                let document = serde_json::json!({ "namespace": { "key": key }, "flags": flags });
                Ok(flags_schema::flipt::engine_snapshot(&document, namespace).to_string())
            }
            _ => Ok(text.to_string()),
        }
    }

    /// Waits until the first attempt at the source has settled, at most `timeout`; `Ok` when
    /// the provider then serves what its source gave: `READY`, or `STALE` after a live
    /// configuration (the polls since have failed: a short interval may fail before this
    /// looks), not a persisted copy the source has not confirmed.
    pub(crate) fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while !state.settled && !self.shared.closed.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = match self.shared.settled.wait_timeout(state, deadline - now) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        let message = state.last_error.clone();
        let live = state.origin == Origin::Live;
        drop(state);
        match self.shared.events.status() {
            ProviderStatus::Ready => Ok(()),
            ProviderStatus::Stale if live => Ok(()),
            status => Err(Error::NotReady {
                status,
                message: message.unwrap_or_else(|| {
                    format!("no configuration from {} yet", self.shared.describe)
                }),
            }),
        }
    }

    /// Stops the background thread (waiting at most [`SHUTDOWN_BOUND`]) and returns the
    /// provider to `NOT_READY`: reads answer `PROVIDER_NOT_READY`. Idempotent.
    pub(crate) fn shutdown(&self) {
        let shared = &*self.shared;
        shared.closed.store(true, Ordering::Release);
        if let Some(worker) = self.lock_worker().take() {
            worker.stop(SHUTDOWN_BOUND);
        }
        #[cfg(feature = "http")]
        if let Some(fallback) = &self.fallback {
            fallback.shutdown();
        }
        shared.swap(Snapshot::gated(
            ErrorCode::ProviderNotReady,
            "the provider is shut down",
        ));
        shared.events.set_status(ProviderStatus::NotReady);
        let _state = shared.lock();
        shared.settled.notify_all();
    }

    fn lock_worker(&self) -> MutexGuard<'_, Option<Worker>> {
        self.worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl super::Provider for InProcess {
    fn events(&self) -> &Events {
        &self.shared.events
    }

    fn read(&self, read: &mut dyn FnMut(super::View<'_>)) {
        self.with_view(read);
    }

    fn describe(&self) -> String {
        InProcess::describe(self)
    }

    fn kind(&self) -> &'static str {
        "in-process evaluation"
    }

    fn flag_count(&self) -> usize {
        self.snapshot().len()
    }

    fn refresh(&self) -> Result<(), Error> {
        InProcess::refresh(self)
    }

    fn snapshot(&self) -> Result<String, Error> {
        InProcess::export(self)
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        InProcess::wait_ready(self, timeout)
    }

    fn shutdown(&self) {
        InProcess::shutdown(self);
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        if let Some(worker) = self.lock_worker().take() {
            worker.stop(SHUTDOWN_BOUND);
        }
    }
}
