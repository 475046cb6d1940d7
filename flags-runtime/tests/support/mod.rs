//! Helpers shared by the source tests.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use flags_runtime::{Client, EventDetails, ProviderEvent};

/// How long a test waits for something that should happen (a bound, not an expectation).
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Waits until `done` holds; panics naming `what` when it does not within [`PATIENCE`].
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within the patience bound"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every event of a client, in order.
pub struct Recorder {
    rx: mpsc::Receiver<EventDetails>,
}

/// Records `client`'s events (a late handler of the current state runs at once: that event
/// is recorded first).
pub fn record(client: &Client) -> Recorder {
    let (tx, rx) = mpsc::channel();
    for event in [
        ProviderEvent::Ready,
        ProviderEvent::Error,
        ProviderEvent::Stale,
        ProviderEvent::ConfigurationChanged,
    ] {
        let tx = tx.clone();
        client.on(event, move |details| {
            let _ = tx.send(details.clone());
        });
    }
    Recorder { rx }
}

impl Recorder {
    /// The next event; panics when none comes within [`PATIENCE`].
    pub fn next(&self) -> EventDetails {
        self.rx
            .recv_timeout(PATIENCE)
            .expect("an event within the patience bound")
    }

    /// The next `event`, skipping others; panics when none comes within [`PATIENCE`].
    pub fn next_of(&self, event: ProviderEvent) -> EventDetails {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let details = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {event:?} event within the patience bound"));
            if details.event == event {
                return details;
            }
        }
    }

    /// The events recorded so far, without waiting.
    pub fn drain(&self) -> Vec<EventDetails> {
        self.rx.try_iter().collect()
    }
}

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "flags-sources-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `name` in place.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes `name` as editors do: a new file renamed over the old one.
    pub fn replace(&self, name: &str, text: &str) -> PathBuf {
        let temp = self.0.join(format!(".{name}.swp"));
        std::fs::write(&temp, text).unwrap();
        let path = self.0.join(name);
        std::fs::rename(&temp, &path).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A flagd document with one integer flag `limit` (variants small/large) plus `extra`.
pub fn limit(default: &str, extra: &str) -> String {
    format!(
        r#"{{"flags": {{"limit": {{"state": "ENABLED", "variants": {{"small": 10, "large": 100}},
            "defaultVariant": "{default}"}}{extra}}}}}"#
    )
}

/// The messages of `WARN` and `ERROR` events, captured by a subscriber installed for one scope
/// (`tracing::subscriber::with_default(logs.clone(), ..)`) or, with [`Logs::global`], for
/// every thread of the test binary (providers and pipelines log from their own threads).
#[derive(Clone, Default)]
pub struct Logs(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Logs {
    /// The binary's global capture, installed at the first call.
    pub fn global() -> Logs {
        static GLOBAL: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let logs = Logs::default();
                let _ = tracing::subscriber::set_global_default(logs.clone());
                logs
            })
            .clone()
    }

    /// The messages so far, in order.
    pub fn messages(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

struct Message<'a>(&'a mut String);

impl tracing::field::Visit for Message<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        }
    }
}

impl tracing::Subscriber for Logs {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut message = String::new();
        event.record(&mut Message(&mut message));
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A transport for tests of exporters: a 2 s timeout, two retries 1 ms apart.
#[cfg(feature = "http")]
pub fn fast_transport() -> flags_runtime::transport::TransportConfig {
    flags_runtime::transport::TransportConfig::new()
        .timeout(Duration::from_secs(2))
        .retries(2)
        .retry_delay(Duration::from_millis(1))
}

/// A client of `flags` (flagd JSON) exporting to `exporter`, whose batches go only when a
/// test flushes (the periodic flush is an hour away) and are retried 1 ms after a failure.
pub fn events_client(flags: &str, exporter: impl flags_runtime::tracking::IntoExporter) -> Client {
    Client::builder()
        .in_process(flags_runtime::source::json(flags))
        .events(exporter)
        .event_options(
            flags_runtime::tracking::EventOptions::default()
                .flush_interval(Duration::from_secs(3600))
                .retry_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap()
}
