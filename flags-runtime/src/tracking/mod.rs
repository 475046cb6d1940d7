//! Tracking and evaluation events: [`Client::track`](crate::Client::track), one pipeline per
//! client, exporters, and the crash-safe event log.
//!
//! | file | job |
//! | --- | --- |
//! | `event.rs` | [`Event`], [`TrackingDetails`], ids, the log's encoding of an event |
//! | `exporter.rs` | the seam: [`Exporter`], [`ExportError`], [`Kinds`] |
//! | `options.rs` | [`EventOptions`] |
//! | `pipeline.rs` | queues, the publishing thread, flush, shutdown, [`EventStats`] |
//! | `log.rs` | the write-ahead log (`ClientBuilder::event_log`) |
//! | `hook.rs` | evaluation events, from a built-in hook |
//! | `go_feature_flag.rs` | GO Feature Flag's data collector (feature `http`) |
//! | `flagkit.rs` | FlagKit's signed event batches (feature `http`) |
//!
//! The module is named `tracking`, not `events`: the crate's events are OpenFeature's provider
//! events ([`ProviderEvent`](crate::ProviderEvent), [`EventDetails`](crate::EventDetails)).
//!
//! # The pipeline
//!
//! A client built with [`ClientBuilder::events`](crate::ClientBuilder::events) starts one
//! thread, `flags-events`. `track()` (and, for exporters that ask for them, every evaluation)
//! puts an event in a bounded queue per exporter and returns: it never waits for the network,
//! never starts a thread, never panics. The thread sends a batch when one is full, every flush
//! interval, when [`Client::flush_events`](crate::Client::flush_events) asks, and a last time
//! at shutdown (bounded by [`EventOptions::shutdown_timeout`]). One export runs at a time; a
//! failed batch goes back to the front of its queue (order kept) and is retried after a pause
//! that doubles up to the flush interval; over the cap the oldest events are dropped, with one
//! warning per outage and the count when the exporter recovers. Without exporters, `track()`
//! returns at once and reads are untouched.
//!
//! # The event log: what is promised
//!
//! With [`ClientBuilder::event_log`](crate::ClientBuilder::event_log), every event is written
//! to a log file in the directory (a `write` system call) **before** `track()` returns. So:
//!
//! - an event `track()` returned from survives the process being killed (SIGKILL, a panic
//!   with `panic = "abort"`, the OOM killer): the next client opened on the directory sends
//!   it, unless an exporter acknowledged it before;
//! - it survives a power cut or an operating system crash once the log was synced (`fsync`):
//!   at most [`EventOptions::sync_interval`] (100 ms) after `track()` returned, at shutdown,
//!   and when [`Client::sync_event_log`](crate::Client::sync_event_log) returns;
//! - delivery is at least once: an event exported but not yet marked acknowledged when the
//!   process died is sent again; its [`EventId`] lets the receiver drop the duplicate;
//! - exporters are told apart by [`Exporter::name`]: an event is owed to each exporter of the
//!   new client that takes its kind and had not acknowledged it under that name (an event
//!   owed only to exporters no longer configured is dropped when the log is opened);
//! - past the log's size cap ([`EventOptions::log_max_bytes`], 64 MiB) new events are kept in
//!   memory only (one warning), until exporters catch up;
//! - a torn or corrupt last record (a write cut by the crash) is detected by its checksum and
//!   skipped; the events before it are kept.
//!
//! The cost: `track()` takes the log's lock and makes one `write` call (about 2 µs in all on
//! this project's Linux VM, see `benches/README.md`), and evaluation events, when asked for,
//! are logged too.

mod event;
mod exporter;
#[cfg(feature = "http")]
mod flagkit;
#[cfg(feature = "http")]
mod go_feature_flag;
mod hook;
mod log;
mod options;
mod pipeline;

use std::path::PathBuf;
use std::sync::Arc;

pub use event::{EvaluationEvent, Event, EventId, EventKind, TrackingDetails, TrackingEvent};
pub use exporter::{ExportError, Exporter, Kinds};
#[cfg(feature = "http")]
pub use flagkit::{FlagKit, FlagKitExporter, flagkit};
#[cfg(feature = "http")]
pub use go_feature_flag::{GoFeatureFlag, GoFeatureFlagExporter, go_feature_flag};
pub use options::EventOptions;
pub use pipeline::EventStats;

use crate::context::Context;
use crate::error::Error;
use crate::hooks::Hook;

/// What [`ClientBuilder::events`](crate::ClientBuilder::events) takes: an [`Exporter`], or a
/// built-in exporter's configuration, checked when the client is built.
pub trait IntoExporter {
    /// The exporter.
    ///
    /// # Errors
    ///
    /// [`Error::Exporter`] when the configuration is invalid.
    fn into_exporter(self) -> Result<Box<dyn Exporter>, Error>;
}

impl<E: Exporter> IntoExporter for E {
    fn into_exporter(self) -> Result<Box<dyn Exporter>, Error> {
        Ok(Box::new(self))
    }
}

#[cfg(feature = "http")]
impl IntoExporter for GoFeatureFlag {
    fn into_exporter(self) -> Result<Box<dyn Exporter>, Error> {
        Ok(Box::new(self.build()?))
    }
}

/// What a client builder collected.
#[derive(Default)]
pub(crate) struct Config {
    pub(crate) exporters: Vec<Result<Box<dyn Exporter>, Error>>,
    pub(crate) log: Option<PathBuf>,
    pub(crate) options: EventOptions,
}

/// A client's pipeline, shared by its clones; dropped with the last, which flushes.
pub(crate) struct Tracking {
    pipeline: pipeline::Pipeline,
    hook: Option<Arc<dyn Hook>>,
    log: bool,
}

impl Tracking {
    /// Starts the pipeline; `None` without exporters. `trackable` says whether a flag's
    /// evaluations are recorded.
    pub(crate) fn start(
        config: Config,
        trackable: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Result<Option<Tracking>, Error> {
        let Config {
            exporters,
            log,
            options,
        } = config;
        if exporters.is_empty() {
            if let Some(dir) = log {
                return Err(Error::EventLog {
                    path: dir.display().to_string(),
                    message: "no exporter is configured, so nothing would ever read it; add \
                              one with `.events(..)`"
                        .to_owned(),
                });
            }
            return Ok(None);
        }
        let exporters = exporters.into_iter().collect::<Result<Vec<_>, _>>()?;
        if exporters.len() > 64 {
            return Err(Error::Exporter {
                exporter: exporters[64].name().to_owned(),
                message: "a client takes at most 64 exporters".to_owned(),
            });
        }
        let names: Vec<String> = exporters.iter().map(|e| e.name().to_owned()).collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(Error::Exporter {
                    exporter: name.clone(),
                    message: "two exporters of the client have this name; give each its own \
                              (the event log tells them apart by name)"
                        .to_owned(),
                });
            }
        }
        let kinds: Vec<Kinds> = exporters.iter().map(|e| e.kinds()).collect();
        let (log, owed) = match log {
            Some(dir) => {
                let opened = log::EventLog::open(&dir, &names, &kinds, options.log_max_bytes)
                    .map_err(|message| Error::EventLog {
                        path: dir.display().to_string(),
                        message,
                    })?;
                (Some(opened.log), opened.owed)
            }
            None => (None, Vec::new()),
        };
        let logged = log.is_some();
        let evaluation = kinds.iter().any(|k| k.evaluation);
        let pipeline = pipeline::Pipeline::start(exporters, options, log, owed).map_err(|e| {
            Error::Exporter {
                exporter: names.join(", "),
                message: format!("cannot start the event thread: {e}"),
            }
        })?;
        let hook = evaluation.then(|| {
            Arc::new(hook::EvaluationEvents {
                pipeline: pipeline.shared().clone(),
                trackable: Box::new(trackable),
            }) as Arc<dyn Hook>
        });
        Ok(Some(Tracking {
            pipeline,
            hook,
            log: logged,
        }))
    }

    /// The hook recording evaluation events, when an exporter wants them.
    pub(crate) fn hook(&self) -> Option<&Arc<dyn Hook>> {
        self.hook.as_ref()
    }

    /// Records a tracking event (`ctx` merged already).
    pub(crate) fn track(&self, name: &str, ctx: Context, details: TrackingDetails) {
        let shared = self.pipeline.shared();
        if !shared.wants_tracking() {
            return;
        }
        shared.push(Event::new(EventKind::Tracked(TrackingEvent {
            name: name.to_owned(),
            context: ctx,
            details,
        })));
    }

    pub(crate) fn wants_tracking(&self) -> bool {
        self.pipeline.shared().wants_tracking()
    }

    pub(crate) fn flush(&self, timeout: std::time::Duration) -> bool {
        self.pipeline.flush(timeout)
    }

    pub(crate) fn shutdown(&self) {
        self.pipeline.shutdown();
    }

    pub(crate) fn stats(&self) -> EventStats {
        self.pipeline.shared().stats()
    }

    /// Syncs the log; `false` without one.
    pub(crate) fn sync_log(&self) -> bool {
        self.pipeline.shared().sync_log() && self.log
    }
}
