//! How a client's pipeline batches, retries and stops. A leaf.

use std::time::Duration;

/// How a client's event pipeline batches, retries and stops
/// ([`ClientBuilder::event_options`](crate::ClientBuilder::event_options)).
///
/// Defaults: batches of 100 events, at most 10,000 waiting per exporter (then the oldest are
/// dropped), a flush every 10 s, a failed batch retried after 1 s and then twice as late each
/// time up to the flush interval, 5 s for the last flush of a shutdown, the event log synced
/// to disk every 100 ms, and a log of at most 64 MiB.
///
/// ```
/// use std::time::Duration;
/// use flags_runtime::tracking::EventOptions;
/// let options = EventOptions::default()
///     .batch_size(500)
///     .flush_interval(Duration::from_secs(30));
/// assert_eq!(options.get_batch_size(), 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct EventOptions {
    pub(crate) batch_size: usize,
    pub(crate) max_pending: usize,
    pub(crate) flush_interval: Duration,
    pub(crate) retry_delay: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) sync_interval: Duration,
    pub(crate) log_max_bytes: u64,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            batch_size: 100,
            max_pending: 10_000,
            flush_interval: Duration::from_secs(10),
            retry_delay: Duration::from_secs(1),
            shutdown_timeout: Duration::from_secs(5),
            sync_interval: Duration::from_millis(100),
            log_max_bytes: 64 << 20,
        }
    }
}

impl EventOptions {
    /// The events of one export call at most; reaching it sends a batch at once (at least 1).
    pub fn batch_size(mut self, events: usize) -> Self {
        self.batch_size = events.max(1);
        self.max_pending = self.max_pending.max(self.batch_size);
        self
    }

    /// The events kept in memory per exporter at most (at least the batch size); past it the
    /// oldest are dropped, with one warning per outage and the count when the exporter
    /// recovers.
    pub fn max_pending(mut self, events: usize) -> Self {
        self.max_pending = events.max(self.batch_size);
        self
    }

    /// How often queued events are sent when no batch fills up (at least 1 ms).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The pause after a failed export; it doubles with each failure up to the flush interval.
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay.max(Duration::from_millis(1));
        self
    }

    /// How long a shutdown (or the drop of the last clone of the client) waits for the last
    /// flush.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How often the event log is synced to disk (`fsync`) while events arrive.
    pub fn sync_interval(mut self, interval: Duration) -> Self {
        self.sync_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The event log's size cap in bytes (at least 64 KiB; default 64 MiB): past it, new
    /// events are kept in memory only until exporters catch up.
    pub fn log_max_bytes(mut self, bytes: u64) -> Self {
        self.log_max_bytes = bytes.max(64 << 10);
        self
    }

    /// The batch size.
    pub fn get_batch_size(&self) -> usize {
        self.batch_size
    }
}
