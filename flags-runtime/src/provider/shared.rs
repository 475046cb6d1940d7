//! What the in-process provider and its background tasks (`poll.rs`, `stream.rs`,
//! `watch.rs`) share: the snapshot served, the state of the source, and how a configuration is
//! applied and a failure recorded. A leaf the tasks import, so that they and the provider
//! import no circle.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use flags_schema::Manifest;

use super::{diff, persist};
use crate::details::ErrorCode;
use crate::engine::Snapshot;
use crate::error::Error;
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::flag_value::Decoders;
use crate::source::{ErrorStrategy, Options};

/// What the provider and its background thread share.
pub(crate) struct Shared {
    pub(super) describe: String,
    decoders: Arc<Decoders>,
    /// How rules are compiled.
    engine: crate::engine::EngineOptions,
    pub(super) snapshot: ArcSwap<Snapshot>,
    /// Unique among the providers of this process, for the per-thread cache.
    pub(super) id: usize,
    /// The generation of the snapshot served, set after every swap (under the state's lock):
    /// a thread whose cached snapshot carries another loads the current one, and a key slot
    /// caching a fixed value for this generation answers a read without the snapshot.
    pub(super) version: AtomicU64,
    /// Status and event handlers.
    pub(super) events: Arc<Events>,
    pub(super) options: Options,
    /// How `refresh` reloads, for sources read in the caller's thread.
    pub(super) reload: Reload,
    pub(super) state: Mutex<State>,
    /// Signalled when the first attempt settles and on shutdown.
    pub(super) settled: Condvar,
    pub(super) closed: AtomicBool,
}

pub(super) enum Reload {
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

pub(super) struct State {
    /// The definitions served, for change detection.
    pub(super) current: Option<Manifest>,
    /// The text they were read from, for [`InProcess::export`].
    pub(super) text: Option<Arc<str>>,
    /// With [`ErrorStrategy::Fail`], while the source fails: the snapshot the gate replaced.
    pub(super) gated: Option<Arc<Snapshot>>,
    /// The flags of `current` that cannot be served, with why (see `Loaded::broken`).
    pub(super) broken: BTreeMap<String, String>,
    pub(super) origin: Origin,
    /// Consecutive failed refreshes.
    pub(super) failures: u32,
    /// The message of the last error event, so that one problem is reported once.
    pub(super) last_error: Option<String>,
    /// The first attempt at the source has settled (success or failure).
    pub(super) settled: bool,
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
    /// The state of a provider named `describe`, with nothing served yet.
    pub(super) fn new(
        describe: String,
        engine: crate::engine::EngineOptions,
        options: Options,
        reload: Reload,
    ) -> Shared {
        let not_ready = Snapshot::gated(
            ErrorCode::ProviderNotReady,
            format!("no configuration from {describe} yet"),
        );
        Shared {
            describe: describe.clone(),
            decoders: Arc::new(Decoders::default()),
            engine,
            version: AtomicU64::new(not_ready.generation()),
            snapshot: ArcSwap::from_pointee(not_ready),
            id: super::thread_cache::next_id(),
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
        }
    }

    pub(crate) fn describe(&self) -> &str {
        &self.describe
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn swap(&self, snapshot: Snapshot) {
        self.publish(Arc::new(snapshot));
    }

    /// Serves `snapshot` (called with the state's lock held, so that the version set last is
    /// the snapshot's stored last) and returns the one it replaced.
    fn publish(&self, snapshot: Arc<Snapshot>) -> Arc<Snapshot> {
        let generation = snapshot.generation();
        let replaced = self.snapshot.swap(snapshot);
        self.version.store(generation, Ordering::Release);
        replaced
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
    pub(super) fn serve_fallback(&self) -> Result<bool, Error> {
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
        if unchanged && from == Origin::Live {
            // The source answers again: the snapshot the gate replaced serves again.
            if let Some(held) = state.gated.take() {
                self.publish(held);
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
            // A gate of the error strategy is lifted by the new snapshot (or, from a bootstrap
            // or persisted copy, stays until the source answers).
            if from == Origin::Live {
                state.gated = None;
                self.swap(snapshot);
            } else if let Some(held) = state.gated.as_mut() {
                *held = Arc::new(snapshot);
            } else {
                self.swap(snapshot);
            }
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
            self.publish(held);
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
            let replaced = self.publish(Arc::new(gate));
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
