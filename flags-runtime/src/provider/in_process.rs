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
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use flags_schema::Manifest;

use super::worker::{Failed, Worker};
use super::{diff, persist};
use crate::details::ErrorCode;
use crate::engine::Snapshot;
use crate::error::Error;
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::flag_value::Decoders;
use crate::source::{ErrorStrategy, Format, Kind, Options, Plan, Source};

/// How long shutting down waits for the background thread.
pub(crate) const SHUTDOWN_BOUND: Duration = Duration::from_secs(1);

/// Holds the current snapshot; swapped whole when a new configuration compiles.
pub(crate) struct InProcess {
    shared: Arc<Shared>,
    /// The background thread keeping the configuration current, if any.
    worker: Mutex<Option<Worker>>,
}

/// What the provider and its background thread share.
pub(crate) struct Shared {
    describe: String,
    decoders: Arc<Decoders>,
    /// How rules are compiled.
    engine: crate::engine::EngineOptions,
    snapshot: ArcSwap<Snapshot>,
    /// Unique among the providers of this process, for the per-thread cache.
    id: usize,
    /// Bumped after every swap: a thread whose cached snapshot carries an older version
    /// loads the current one.
    version: AtomicU64,
    /// Status and event handlers.
    events: Arc<Events>,
    options: Options,
    /// How `refresh` reloads, for sources read in the caller's thread.
    reload: Reload,
    state: Mutex<State>,
    /// Signalled when the first attempt settles and on shutdown.
    settled: Condvar,
    closed: AtomicBool,
}

enum Reload {
    Inline(String),
    File(std::path::PathBuf),
    /// Asks the background thread.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    Background,
}

/// Where the configuration served came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Nothing yet.
    Nothing,
    /// The bootstrap given in code.
    Bootstrap,
    /// The persisted copy of an earlier run.
    Persisted,
    /// The source.
    Live,
}

struct State {
    /// The definitions served, for change detection.
    current: Option<Manifest>,
    /// The text they were read from, for [`InProcess::export`].
    text: Option<Arc<str>>,
    /// With [`ErrorStrategy::Fail`], while the source fails: the snapshot the gate replaced.
    gated: Option<Arc<Snapshot>>,
    /// The flags of `current` that cannot be served, with why (see `Loaded::broken`).
    broken: BTreeMap<String, String>,
    origin: Origin,
    /// Consecutive failed refreshes.
    failures: u32,
    /// The message of the last error event, so that one problem is reported once.
    last_error: Option<String>,
    /// The first attempt at the source has settled (success or failure).
    settled: bool,
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
        let Plan {
            describe,
            kind,
            options,
        } = source.plan()?;
        let reload = match &kind {
            Kind::Inline(text) => Reload::Inline(text.clone()),
            Kind::File { path, .. } => Reload::File(path.clone()),
            #[cfg(feature = "http")]
            Kind::Http(_) | Kind::Stream { .. } => Reload::Background,
        };
        let shared = Arc::new(Shared {
            describe: describe.clone(),
            decoders: Arc::new(Decoders::default()),
            engine,
            snapshot: ArcSwap::from_pointee(Snapshot::gated(
                ErrorCode::ProviderNotReady,
                format!("no configuration from {describe} yet"),
            )),
            id: super::thread_cache::next_id(),
            version: AtomicU64::new(0),
            events: Arc::new(Events::new("in-process", ProviderStatus::NotReady)),
            options,
            reload,
            state: Mutex::new(State {
                current: None,
                text: None,
                gated: None,
                broken: BTreeMap::new(),
                origin: Origin::Nothing,
                failures: 0,
                last_error: None,
                settled: false,
            }),
            settled: Condvar::new(),
            closed: AtomicBool::new(false),
        });
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
        match super::thread_cache::with_cached(
            &SNAPSHOTS,
            shared.id,
            version,
            || shared.snapshot.load_full(),
            |snapshot: &Arc<Snapshot>| f(snapshot),
        ) {
            Ok(out) => out,
            Err(f) => f(&shared.snapshot.load()),
        }
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
    /// the provider is then `READY`.
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
        drop(state);
        match self.shared.events.status() {
            ProviderStatus::Ready => Ok(()),
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
        self.with_snapshot(|snapshot| read(super::View::snapshot(snapshot)));
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

/// At most this many load warnings are logged one by one per configuration; the rest are
/// counted (the events carry them all).
const LOGGED_WARNINGS: usize = 50;

/// Logs the warnings of a configuration from `origin` (`tracing`, target `flags`).
fn log_warnings(origin: &str, warnings: &[flags_schema::Warning]) {
    for warning in warnings.iter().take(LOGGED_WARNINGS) {
        match &warning.flag {
            Some(flag) => {
                tracing::warn!(target: "flags", flag = %flag, "{origin}: {}", warning.message)
            }
            None => tracing::warn!(target: "flags", "{origin}: {}", warning.message),
        }
    }
    if warnings.len() > LOGGED_WARNINGS {
        tracing::warn!(
            target: "flags",
            "{origin}: {} more warnings; the event reporting the configuration carries them all",
            warnings.len() - LOGGED_WARNINGS
        );
    }
}

/// What a failed attempt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The source could not be reached or read: counts towards `STALE`.
    Unreachable,
    /// The source delivered definitions that cannot be used: rejected, `ERROR`.
    Rejected,
}

impl Shared {
    pub(crate) fn describe(&self) -> &str {
        &self.describe
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn swap(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(snapshot));
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Reads an inline or file source in the calling thread and applies it.
    pub(crate) fn reload_local(&self) -> Result<(), Error> {
        let (text, origin) = match &self.reload {
            Reload::Inline(text) => (text.clone(), "inline JSON".to_owned()),
            Reload::File(path) => {
                let origin = path.display().to_string();
                match std::fs::read_to_string(path) {
                    Ok(text) => (text, origin),
                    Err(source) => {
                        return Err(Error::Load {
                            origin: self.describe.clone(),
                            error: Box::new(flags_schema::Error::Io {
                                path: origin,
                                source,
                            }),
                        });
                    }
                }
            }
            Reload::Background => return Ok(()),
        };
        self.apply(&text, &origin, Origin::Live)
    }

    /// Serves the persisted copy or the bootstrap, when there is one; `Ok(false)` when there is
    /// neither. An invalid bootstrap is a setup error; an unreadable persisted copy is skipped.
    fn serve_fallback(&self) -> Result<bool, Error> {
        if let Some(path) = &self.options.persist {
            match persist::read(path) {
                Ok(Some(text)) => {
                    let origin = path.display().to_string();
                    match self.apply(&text, &origin, Origin::Persisted) {
                        Ok(()) => return Ok(true),
                        Err(error) => tracing::warn!(
                            target: "flags",
                            "ignoring the persisted configuration: {error}"
                        ),
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(
                    target: "flags",
                    path = %path.display(),
                    "cannot read the persisted configuration: {error}"
                ),
            }
        }
        match &self.options.bootstrap {
            Some(text) => {
                self.apply(text, "bootstrap", Origin::Bootstrap)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Imports, compiles and swaps in `text` from `from`, then reports what changed. The text
    /// is read in the source's format, or in the format its shape says. A flagd file loads
    /// whenever flagd loads it, Flagship definitions whenever Flagship loads them: what they
    /// tolerate, and targeting that is probably not what was meant, are warnings (logged once
    /// per new configuration and carried by the event reporting it), not failures, and a flag
    /// whose own definition is broken answers `PARSE_ERROR`. A configuration that cannot load
    /// is rejected whole: the current one stays (the caller reports the failure with
    /// [`Shared::failed`]). `name` names the text in messages. The runtime needs no
    /// provenance: loading skips the content hash, a third of the load time of a large
    /// configuration.
    pub(crate) fn apply(&self, text: &str, name: &str, from: Origin) -> Result<(), Error> {
        let loaded = match &self.options.format {
            Some(format) => flags_schema::load_as(format.clone(), text, name),
            None => flags_schema::load_str(text, name),
        };
        let (manifest, mut warnings, broken) = match loaded {
            Ok(loaded) => (loaded.manifest, loaded.warnings, loaded.broken),
            Err(error) => {
                return Err(Error::Load {
                    origin: self.describe_origin(from, name),
                    error: Box::new(error),
                });
            }
        };
        let mut events = Vec::new();
        let mut state = self.lock();
        if self.is_closed() {
            return Err(Error::ShutDown);
        }
        let unchanged = state.origin == from
            && state.broken == broken
            && state
                .current
                .as_ref()
                .is_some_and(|current| diff::same_content(current, &manifest));
        if from == Origin::Live {
            // The source answers again: the snapshot the gate replaced serves again, unless
            // a new one replaces it below.
            if let Some(held) = state.gated.take() {
                self.snapshot.store(held);
                self.version.fetch_add(1, Ordering::Release);
            }
        }
        if !unchanged {
            let snapshot = match Snapshot::compile(&manifest, &self.decoders, &self.engine) {
                Ok(snapshot) => snapshot.with_broken(&broken),
                Err(error) => {
                    return Err(Error::Compile {
                        origin: self.describe_origin(from, name),
                        error: Box::new(error),
                    });
                }
            };
            // A rule that cannot be compiled, unless the lint already said why.
            let explained: std::collections::HashSet<&str> = warnings
                .iter()
                .filter(|w| w.kind == flags_schema::WarningKind::ParseError)
                .filter_map(|w| w.flag.as_deref())
                .collect();
            let unexplained: Vec<_> = snapshot
                .rule_failures()
                .iter()
                .filter(|f| {
                    f.flag
                        .as_deref()
                        .is_none_or(|flag| !explained.contains(flag))
                })
                .cloned()
                .collect();
            warnings.extend(unexplained);
            log_warnings(&self.describe_origin(from, name), &warnings);
            self.events.set_warnings(warnings.clone());
            let snapshot = if from == Origin::Persisted {
                snapshot.served_stale()
            } else {
                snapshot
            };
            self.swap(snapshot);
            let changed = match &state.current {
                Some(previous) => {
                    diff::changed_keys_broken(previous, &manifest, &state.broken, &broken)
                }
                None => Vec::new(),
            };
            let first = state.origin == Origin::Nothing;
            state.current = Some(manifest);
            state.text = Some(Arc::from(text));
            state.broken = broken;
            state.origin = from;
            let name = self.events.provider_name();
            if first {
                let event = if from == Origin::Persisted {
                    EventDetails::new(ProviderEvent::Stale, name).with_message(format!(
                        "serving the configuration persisted in `{}` until {} answers",
                        self.options
                            .persist
                            .as_deref()
                            .unwrap_or(std::path::Path::new(""))
                            .display(),
                        self.describe
                    ))
                } else {
                    EventDetails::new(ProviderEvent::Ready, name)
                };
                events.push(event.with_warnings(warnings));
            } else if !changed.is_empty() {
                events.push(
                    EventDetails::new(ProviderEvent::ConfigurationChanged, name)
                        .with_flags_changed(changed)
                        .with_warnings(warnings),
                );
            }
        }
        if from == Origin::Live {
            state.failures = 0;
            state.last_error = None;
            if self.events.status() != ProviderStatus::Ready
                && !events.iter().any(|e| e.event == ProviderEvent::Ready)
            {
                events.insert(
                    0,
                    EventDetails::new(ProviderEvent::Ready, self.events.provider_name())
                        .with_warnings(self.events.warnings()),
                );
            }
        }
        drop(state);
        if from == Origin::Live
            && !unchanged
            && let Some(path) = &self.options.persist
            && let Err(error) = persist::write(path, text)
        {
            tracing::warn!(
                target: "flags",
                path = %path.display(),
                "cannot persist the configuration: {error}"
            );
        }
        for event in events {
            self.events.emit(event);
        }
        if from == Origin::Live {
            self.settle();
        }
        Ok(())
    }

    /// Marks the first attempt at the source as settled, once its events are out (so that
    /// `wait_ready` sees the status they set).
    fn settle(&self) {
        let mut state = self.lock();
        if !state.settled {
            state.settled = true;
            self.settled.notify_all();
        }
    }

    /// The input `name` came from, for messages; it names the input once (a live source's
    /// description names its file or URL).
    fn describe_origin(&self, from: Origin, name: &str) -> String {
        match from {
            Origin::Bootstrap => "the bootstrap configuration".to_owned(),
            Origin::Persisted => format!("the persisted configuration `{name}`"),
            Origin::Nothing | Origin::Live => self.describe.clone(),
        }
    }

    /// The source confirmed that the configuration served is current (HTTP `304`).
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn confirmed(&self) {
        let mut state = self.lock();
        if self.is_closed() {
            return;
        }
        state.failures = 0;
        state.last_error = None;
        if let Some(held) = state.gated.take() {
            self.snapshot.store(held);
            self.version.fetch_add(1, Ordering::Release);
        }
        let recover = state.origin == Origin::Live && self.events.status() != ProviderStatus::Ready;
        drop(state);
        if recover {
            self.events.emit(EventDetails::new(
                ProviderEvent::Ready,
                self.events.provider_name(),
            ));
        }
        self.settle();
    }

    /// Records a failed attempt and emits what it changes: an unreadable source counts towards
    /// `STALE`, invalid definitions are rejected with an error event.
    pub(crate) fn failed(&self, error: &Error) {
        let kind = match error {
            Error::Load { error, .. } if matches!(**error, flags_schema::Error::Io { .. }) => {
                Failure::Unreachable
            }
            Error::Fetch { .. } => Failure::Unreachable,
            Error::ShutDown => return,
            Error::Rejected { .. } => Failure::Rejected,
            _ => Failure::Rejected,
        };
        self.record_failure(kind, error.to_string());
    }

    /// Records a failed attempt of `kind` with `message`: a rejected update is an error
    /// event (once per distinct message); an unreachable source is an error while nothing from
    /// it was ever served, and `STALE` after `stale_after` consecutive failures.
    pub(crate) fn record_failure(&self, kind: Failure, message: String) {
        let mut state = self.lock();
        if self.is_closed() {
            return;
        }
        state.failures = state.failures.saturating_add(1);
        let status = self.events.status();
        let name = self.events.provider_name();
        let fail = self.options.error_strategy == ErrorStrategy::Fail;
        if fail {
            // Reads answer an error until the source succeeds again.
            let gate = Snapshot::gated(
                ErrorCode::General,
                format!(
                    "{} is failing and its error strategy is `Fail`: {}",
                    self.describe,
                    crate::message::cut(&message, 300)
                ),
            );
            let replaced = self.snapshot.swap(Arc::new(gate));
            self.version.fetch_add(1, Ordering::Release);
            if state.gated.is_none() {
                state.gated = Some(replaced);
            }
        }
        let event = match (kind, state.origin) {
            _ if fail => {
                let repeated =
                    status == ProviderStatus::Error && state.last_error.as_ref() == Some(&message);
                let code = match kind {
                    Failure::Rejected => ErrorCode::ParseError,
                    Failure::Unreachable => ErrorCode::General,
                };
                (!repeated).then(|| {
                    EventDetails::new(ProviderEvent::Error, name)
                        .with_message(message.clone())
                        .with_error_code(code)
                })
            }
            // Serving a persisted copy: already stale.
            (Failure::Unreachable, Origin::Persisted) => None,
            (Failure::Unreachable, Origin::Live) => (status == ProviderStatus::Ready
                && state.failures >= self.options.stale_after)
                .then(|| {
                    EventDetails::new(ProviderEvent::Stale, name).with_message(format!(
                        "{} failed {} times in a row; the last configuration stays: {message}",
                        self.describe, state.failures
                    ))
                }),
            (Failure::Unreachable, Origin::Nothing | Origin::Bootstrap)
            | (Failure::Rejected, _) => {
                let repeated =
                    status == ProviderStatus::Error && state.last_error.as_ref() == Some(&message);
                let code = match kind {
                    Failure::Rejected => ErrorCode::ParseError,
                    Failure::Unreachable => ErrorCode::General,
                };
                (!repeated).then(|| {
                    EventDetails::new(ProviderEvent::Error, name)
                        .with_message(message.clone())
                        .with_error_code(code)
                })
            }
        };
        if event
            .as_ref()
            .is_some_and(|e| e.event == ProviderEvent::Error)
        {
            state.last_error = Some(message);
        }
        drop(state);
        if let Some(event) = event {
            self.events.emit(event);
        }
        self.settle();
    }

    /// The source refused for good (credentials): reads answer `PROVIDER_FATAL` from now on.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn fatal(&self, message: String) {
        let mut state = self.lock();
        if self.is_closed() {
            return;
        }
        state.last_error = Some(message.clone());
        self.swap(Snapshot::gated(ErrorCode::ProviderFatal, message.as_str()));
        drop(state);
        self.events.emit(
            EventDetails::new(ProviderEvent::Error, self.events.provider_name())
                .with_message(message)
                .with_error_code(ErrorCode::ProviderFatal),
        );
        self.settle();
    }
}
