//! One client's pipeline: a bounded queue per exporter, one thread that publishes one batch at a
//! time, failed batches back at the front, the oldest events dropped over the cap (one warning
//! per outage, the count on recovery), periodic and size-triggered flushes, a bounded flush on
//! shutdown, and the event log written before an event is queued.
//!
//! Time is in milliseconds from the pipeline's start, read by the worker only: [`Worker::step`]
//! takes "now", so that a test can drive hours of simulated time without waiting.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::event::{Event, EventId};
use super::exporter::{ExportError, Exporter};
use super::log::EventLog;
use super::options::EventOptions;

/// What a pipeline did so far ([`Client::event_stats`](crate::Client::event_stats)); counts
/// are per exporter and summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventStats {
    /// Events waiting in memory now.
    pub queued: usize,
    /// Events acknowledged by an exporter.
    pub exported: u64,
    /// Events dropped: the oldest over the cap, batches an exporter rejected, the events of a
    /// disabled exporter, events tracked after shutdown.
    pub dropped: u64,
    /// Export calls that failed (their batches were kept).
    pub failed_exports: u64,
    /// Export calls in all.
    pub exports: u64,
    /// Events the log could not take (over its size cap, or a write failed): kept in memory
    /// only.
    pub not_logged: u64,
    /// Events read back from the log when the client started.
    pub recovered: u64,
    /// Events in the log not yet acknowledged by every exporter that wants them.
    pub log_pending: usize,
    /// Bytes of a torn or corrupt last record skipped when the log was opened.
    pub log_torn_bytes: u64,
}

/// One exporter's queue.
#[derive(Default)]
struct Queue {
    events: VecDeque<Event>,
    disabled: bool,
    /// Events dropped since the last successful export, while the receiver fails.
    outage_dropped: u64,
    /// Whether this outage's drop warning was given.
    outage_warned: bool,
    /// No export before this time after a failure (ms).
    retry_at: u64,
    backoff: u64,
    /// The next periodic flush (ms).
    flush_at: u64,
}

struct State {
    queues: Vec<Queue>,
    stopping: bool,
    exited: bool,
    /// Flushes asked for, and the last one done (generations).
    flush_asked: u64,
    flushed: u64,
    stats: EventStats,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    settled: Condvar,
    options: EventOptions,
    /// The exporters (bits) that take tracking events, and evaluation events.
    tracking: u64,
    evaluation: u64,
    names: Box<[String]>,
    log: Option<EventLog>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether some exporter wants events of `event`'s kind.
    pub(crate) fn wants_tracking(&self) -> bool {
        self.tracking != 0
    }

    /// Queues `event` for every exporter that wants it, after writing it to the log. Never
    /// blocks on I/O but the log's `write` (when a log is configured).
    pub(crate) fn push(&self, event: Event) {
        let mask = self.mask(&event);
        if mask == 0 {
            return;
        }
        let logged = match &self.log {
            Some(log) => log.append(&event, mask),
            None => true,
        };
        let cap = self.options.max_pending;
        let batch = self.options.batch_size;
        let mut state = self.lock();
        if !logged {
            state.stats.not_logged += 1;
        }
        if state.stopping {
            state.stats.dropped += 1;
            return;
        }
        let mut wake = false;
        // The queues whose drop warning is due (bits).
        let mut warn = 0u64;
        let last = 63 - u64::leading_zeros(mask) as usize;
        let mut enqueue = |state: &mut State, i: usize, item: Event| {
            let State { queues, stats, .. } = state;
            let queue = &mut queues[i];
            if queue.disabled {
                return;
            }
            if queue.events.len() >= cap {
                queue.events.pop_front();
                if note_drop(queue, stats, 1) {
                    warn |= 1 << i;
                }
            }
            queue.events.push_back(item);
            wake |= queue.events.len() == batch;
        };
        // Copies for all exporters but the last that wants it, which takes the event.
        let mut others = mask & !(1 << last);
        while others != 0 {
            let i = others.trailing_zeros() as usize;
            others &= others - 1;
            enqueue(&mut state, i, event.clone());
        }
        enqueue(&mut state, last, event);
        drop(state);
        if wake {
            self.wake.notify_one();
        }
        if warn != 0 {
            self.warn_dropping(warn);
        }
    }

    #[cold]
    fn warn_dropping(&self, queues: u64) {
        for (i, name) in self.names.iter().enumerate() {
            if queues & (1 << i) != 0 {
                Notice::Dropping.emit(name);
            }
        }
    }

    /// The exporters (bits) that want `event`.
    fn mask(&self, event: &Event) -> u64 {
        if event.is_evaluation() {
            self.evaluation
        } else {
            self.tracking
        }
    }

    /// Syncs the event log to disk; `false` without one.
    pub(crate) fn sync_log(&self) -> bool {
        match &self.log {
            Some(log) => {
                log.sync();
                true
            }
            None => false,
        }
    }

    pub(crate) fn stats(&self) -> EventStats {
        let state = self.lock();
        let mut stats = state.stats;
        stats.queued = state.queues.iter().map(|q| q.events.len()).sum();
        drop(state);
        if let Some(log) = &self.log {
            stats.log_pending = log.pending();
            stats.log_torn_bytes = log.torn();
        }
        stats
    }

    /// The longest queue's length and its capacity (tests of the memory bound).
    #[cfg(test)]
    fn longest(&self) -> (usize, usize) {
        let state = self.lock();
        state
            .queues
            .iter()
            .map(|q| (q.events.len(), q.events.capacity()))
            .max()
            .unwrap_or_default()
    }
}

/// Counts `n` dropped events of `queue`; `true` when this outage's warning is due (given by
/// the caller once the lock is released, so that a log subscriber that tracks events cannot
/// deadlock the pipeline).
fn note_drop(queue: &mut Queue, stats: &mut EventStats, n: u64) -> bool {
    queue.outage_dropped += n;
    stats.dropped += n;
    !std::mem::replace(&mut queue.outage_warned, true)
}

/// What the pipeline logs, after releasing its lock.
enum Notice {
    Dropping,
    Recovered { dropped: u64 },
    Failing(String),
    Rejected { events: u64, message: String },
    Disabled(String),
}

impl Notice {
    fn emit(self, exporter: &str) {
        match self {
            Notice::Dropping => tracing::warn!(
                target: "flags",
                exporter,
                "events are dropped, oldest first: the queue is full while the exporter fails; \
                 the count follows when it recovers"
            ),
            Notice::Recovered { dropped: 0 } => {
                tracing::info!(target: "flags", exporter, "the exporter recovered");
            }
            Notice::Recovered { dropped } => tracing::warn!(
                target: "flags",
                exporter,
                dropped,
                "the exporter recovered; {dropped} events were dropped meanwhile"
            ),
            Notice::Failing(message) => tracing::warn!(
                target: "flags",
                exporter,
                "cannot export events: {message}; they are kept and sent again later"
            ),
            Notice::Rejected { events, message } => tracing::warn!(
                target: "flags",
                exporter,
                "the receiver rejected a batch of {events} events, which is dropped: {message}"
            ),
            Notice::Disabled(message) => {
                tracing::warn!(target: "flags", exporter, "the exporter is disabled: {message}");
            }
        }
    }
}

/// The pipeline of one client: the shared state and the worker thread.
pub(crate) struct Pipeline {
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Pipeline {
    /// Starts the worker. `recovered` are the events the log still owes, with the exporters
    /// (bits) that owe them.
    pub(crate) fn start(
        exporters: Vec<Box<dyn Exporter>>,
        options: EventOptions,
        log: Option<EventLog>,
        recovered: Vec<(Event, u64)>,
    ) -> std::io::Result<Pipeline> {
        let (shared, worker) = Worker::new(exporters, options, log, recovered);
        let thread = std::thread::Builder::new()
            .name("flags-events".to_owned())
            .spawn(move || worker.run())?;
        Ok(Pipeline {
            shared,
            worker: Mutex::new(Some(thread)),
        })
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Asks every queue to be sent now and waits, at most `timeout`, for one attempt at each
    /// batch; `true` when it ended in time.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        if state.exited {
            return false;
        }
        state.flush_asked += 1;
        let target = state.flush_asked;
        self.shared.wake.notify_one();
        while state.flushed < target && !state.exited {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .shared
                .settled
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        state.flushed >= target
    }

    /// Stops the pipeline: one last attempt at what is queued, waiting at most the shutdown
    /// timeout (a hung exporter is left to finish on its own thread). Later events are
    /// dropped. Idempotent.
    pub(crate) fn shutdown(&self) {
        let deadline = Instant::now() + self.shared.options.shutdown_timeout;
        let mut state = self.shared.lock();
        state.stopping = true;
        self.shared.wake.notify_one();
        if self.on_worker() {
            // The last clone dropped by an exporter, on the pipeline's own thread: it stops
            // after this round, and cannot be waited for from here.
            return;
        }
        while !state.exited {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(
                    target: "flags",
                    "the event pipeline did not finish its last flush within the shutdown \
                     timeout; events still queued are lost (kept in the event log, if any)"
                );
                return;
            }
            state = self
                .shared
                .settled
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        drop(state);
        let thread = self
            .worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
        if let Some(log) = &self.shared.log {
            log.sync();
        }
    }
}

impl Pipeline {
    /// Whether the caller runs on the pipeline's thread.
    fn on_worker(&self) -> bool {
        self.worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .is_some_and(|thread| thread.thread().id() == std::thread::current().id())
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The thread's side: the exporters, and the clock.
pub(crate) struct Worker {
    shared: Arc<Shared>,
    exporters: Vec<Box<dyn Exporter>>,
    start: Instant,
    /// The next sync of the log (ms).
    sync_at: u64,
}

/// Outcome of one batch.
enum Sent {
    Done,
    Failed,
}

impl Worker {
    pub(crate) fn new(
        exporters: Vec<Box<dyn Exporter>>,
        options: EventOptions,
        log: Option<EventLog>,
        recovered: Vec<(Event, u64)>,
    ) -> (Arc<Shared>, Worker) {
        let interval = millis(options.flush_interval);
        let mut queues: Vec<Queue> = exporters
            .iter()
            .map(|_| Queue {
                flush_at: interval,
                ..Queue::default()
            })
            .collect();
        let recovered_count = recovered.len() as u64;
        for (event, mask) in recovered {
            for (i, queue) in queues.iter_mut().enumerate() {
                // All of them, past the cap if need be (the log's size cap bounds them): new
                // events then push the oldest out of memory, and the log keeps them for the
                // next start.
                if mask & (1 << i) != 0 {
                    queue.events.push_back(event.clone());
                }
            }
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queues,
                stopping: false,
                exited: false,
                flush_asked: 0,
                flushed: 0,
                stats: EventStats {
                    recovered: recovered_count,
                    ..EventStats::default()
                },
            }),
            wake: Condvar::new(),
            settled: Condvar::new(),
            tracking: bits(exporters.iter().map(|e| e.kinds().tracking)),
            evaluation: bits(exporters.iter().map(|e| e.kinds().evaluation)),
            names: exporters.iter().map(|e| e.name().to_owned()).collect(),
            options,
            log,
        });
        let worker = Worker {
            shared: shared.clone(),
            exporters,
            start: Instant::now(),
            sync_at: 0,
        };
        (shared, worker)
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn run(mut self) {
        loop {
            let stopping = self.shared.lock().stopping;
            let now = self.now();
            let wait = self.step(now);
            let mut state = self.shared.lock();
            if stopping {
                state.exited = true;
                self.shared.settled.notify_all();
                return;
            }
            let asked = state.stopping || state.flush_asked > state.flushed;
            if !asked && !Self::ready(&state, &self.shared.options) {
                let _ = self
                    .shared
                    .wake
                    .wait_timeout(state, Duration::from_millis(wait))
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        }
    }

    /// Whether some queue holds a full batch it may send now.
    fn ready(state: &State, options: &EventOptions) -> bool {
        state
            .queues
            .iter()
            .any(|q| !q.disabled && q.events.len() >= options.batch_size && q.backoff == 0)
    }

    /// One round at time `now` (ms): every queue that is due (a full batch, its periodic
    /// flush, a flush asked for, shutdown) sends its batches until it is empty or fails.
    /// Returns how long the thread may sleep (ms).
    pub(crate) fn step(&mut self, now: u64) -> u64 {
        let (flushing, target) = {
            let state = self.shared.lock();
            (
                state.stopping || state.flush_asked > state.flushed,
                state.flush_asked,
            )
        };
        for i in 0..self.exporters.len() {
            // Set when the periodic flush is due: the queue is then sent until it is empty.
            let mut draining = flushing;
            // The batches this round may send: what the queue holds when it starts, so that a
            // flush ends while events keep coming.
            let mut rounds = None;
            loop {
                let batch = {
                    let mut state = self.shared.lock();
                    let options = &self.shared.options;
                    let queue = &mut state.queues[i];
                    let left = rounds.get_or_insert(queue.events.len() / options.batch_size + 1);
                    if *left == 0 {
                        break;
                    }
                    *left -= 1;
                    if queue.disabled || queue.events.is_empty() {
                        queue.flush_at = now + millis(options.flush_interval);
                        break;
                    }
                    let waiting = now < queue.retry_at;
                    draining |= now >= queue.flush_at && !waiting;
                    let full = queue.events.len() >= options.batch_size;
                    if !(draining || (full && !waiting)) {
                        break;
                    }
                    let n = queue.events.len().min(options.batch_size);
                    queue.events.drain(..n).collect::<Vec<Event>>()
                };
                match self.send(i, batch, now) {
                    Sent::Done => {}
                    Sent::Failed => break,
                }
            }
        }
        if let Some(log) = &self.shared.log
            && now >= self.sync_at
        {
            log.sync();
            log.maintain();
            self.sync_at = now + millis(self.shared.options.sync_interval);
        }
        let mut state = self.shared.lock();
        if flushing && state.flushed < target {
            state.flushed = target;
            self.shared.settled.notify_all();
        }
        let mut next = if self.shared.log.is_some() {
            self.sync_at
        } else {
            u64::MAX
        };
        for queue in &state.queues {
            if !queue.disabled && !queue.events.is_empty() {
                next = next.min(queue.flush_at.max(queue.retry_at));
            }
        }
        next.saturating_sub(now)
            .clamp(1, millis(self.shared.options.flush_interval).max(1))
    }

    /// Exports one batch of queue `i` and applies the outcome.
    fn send(&mut self, i: usize, batch: Vec<Event>, now: u64) -> Sent {
        let exporter = &mut self.exporters[i];
        let result = crate::hooks::isolated(|| exporter.export(&batch))
            .unwrap_or_else(|| Err(ExportError::failed("the exporter panicked")));
        let name = &self.shared.names[i];
        let options = &self.shared.options;
        let mut acked: Option<Vec<EventId>> = None;
        let mut notices = Vec::new();
        let outcome = {
            let mut state = self.shared.lock();
            let State { queues, stats, .. } = &mut *state;
            let queue = &mut queues[i];
            stats.exports += 1;
            let n = batch.len() as u64;
            match result {
                Ok(()) => {
                    stats.exported += n;
                    if queue.outage_dropped > 0 || queue.backoff > 0 {
                        notices.push(Notice::Recovered {
                            dropped: queue.outage_dropped,
                        });
                    }
                    queue.outage_dropped = 0;
                    queue.outage_warned = false;
                    queue.backoff = 0;
                    queue.retry_at = 0;
                    if queue.events.len() < options.batch_size {
                        queue.flush_at = now + millis(options.flush_interval);
                    }
                    acked = Some(batch.iter().map(|e| e.id).collect());
                    Sent::Done
                }
                Err(ExportError::Failed { message }) => {
                    stats.failed_exports += 1;
                    if queue.backoff == 0 {
                        notices.push(Notice::Failing(message));
                    }
                    let first = millis(options.retry_delay).max(1);
                    let cap = millis(options.flush_interval).max(first);
                    queue.backoff = (queue.backoff.saturating_mul(2)).clamp(first, cap);
                    queue.retry_at = now + queue.backoff;
                    let free = options.max_pending.saturating_sub(queue.events.len());
                    let over = batch.len().saturating_sub(free);
                    for event in batch.into_iter().skip(over).rev() {
                        queue.events.push_front(event);
                    }
                    if over > 0 && note_drop(queue, stats, over as u64) {
                        notices.push(Notice::Dropping);
                    }
                    Sent::Failed
                }
                Err(ExportError::Rejected { message }) => {
                    stats.dropped += n;
                    notices.push(Notice::Rejected { events: n, message });
                    acked = Some(batch.iter().map(|e| e.id).collect());
                    Sent::Done
                }
                Err(ExportError::Unsupported { message }) => {
                    notices.push(Notice::Disabled(message));
                    let mut all: Vec<EventId> = batch.iter().map(|e| e.id).collect();
                    all.extend(queue.events.iter().map(|e| e.id));
                    stats.dropped += all.len() as u64;
                    queue.events = VecDeque::new();
                    queue.disabled = true;
                    acked = Some(all);
                    Sent::Failed
                }
            }
        };
        for notice in notices {
            notice.emit(name);
        }
        if let (Some(log), Some(ids)) = (&self.shared.log, acked) {
            log.ack(i, name, &ids);
            log.maintain();
        }
        outcome
    }
}

/// The positions of the `true`s, as bits.
fn bits(flags: impl Iterator<Item = bool>) -> u64 {
    flags
        .enumerate()
        .fold(0, |bits, (i, set)| bits | (u64::from(set) << i))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::tracking::event::{EventKind, TrackingDetails, TrackingEvent};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    fn event(n: usize) -> Event {
        Event::new(EventKind::Tracked(TrackingEvent {
            name: format!("e{n}"),
            context: Context::new("user"),
            details: TrackingDetails::new(),
        }))
    }

    struct Flaky {
        up: Arc<AtomicBool>,
        calls: Arc<AtomicUsize>,
        seen: Arc<Mutex<Vec<String>>>,
    }

    impl Exporter for Flaky {
        fn name(&self) -> &str {
            "flaky"
        }

        fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if !self.up.load(Ordering::Relaxed) {
                return Err(ExportError::failed("down"));
            }
            let mut seen = self.seen.lock().unwrap();
            for e in events {
                if let EventKind::Tracked(t) = &e.kind {
                    seen.push(t.name.clone());
                }
            }
            Ok(())
        }
    }

    /// The collector is down for 10 minutes of simulated time while 100 events a second are
    /// tracked: the queue stays at its cap (and its memory with it), the oldest are dropped,
    /// retries back off to the flush interval, and on recovery what is queued goes out in
    /// order.
    #[test]
    fn a_collector_down_for_ten_minutes_keeps_the_queue_at_its_cap() {
        let up = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let options = EventOptions::default()
            .max_pending(1000)
            .batch_size(100)
            .flush_interval(Duration::from_secs(10))
            .retry_delay(Duration::from_secs(1));
        let (shared, mut worker) = Worker::new(
            vec![Box::new(Flaky {
                up: up.clone(),
                calls: calls.clone(),
                seen: seen.clone(),
            })],
            options,
            None,
            Vec::new(),
        );
        let mut n = 0;
        let mut longest = 0;
        let mut capacity = 0;
        for second in 0..600u64 {
            for _ in 0..100 {
                shared.push(event(n));
                n += 1;
            }
            // The worker wakes as often as it asks to, within this second.
            let mut now = second * 1000;
            while now < (second + 1) * 1000 {
                now += worker.step(now);
            }
            let (len, cap) = shared.longest();
            longest = longest.max(len);
            capacity = capacity.max(cap);
        }
        assert_eq!(
            longest, 1000,
            "the queue fills up to its cap and no further"
        );
        assert!(
            capacity <= 2048,
            "its memory stays bounded: {capacity} slots"
        );
        let stats = shared.stats();
        assert_eq!(stats.dropped, 60_000 - 1000);
        assert_eq!(stats.exported, 0);
        // Backoff: 1, 2, 4, 8 s then every 10 s, over 600 s: about 63 attempts, not one per
        // full batch.
        let attempts = calls.load(Ordering::Relaxed);
        assert!((55..=70).contains(&attempts), "{attempts} attempts");

        up.store(true, Ordering::Relaxed);
        let mut now = 600_000;
        for _ in 0..100 {
            now += worker.step(now);
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1000);
        let expected: Vec<String> = (59_000..60_000).map(|i| format!("e{i}")).collect();
        assert_eq!(*seen, expected, "the newest 1000, in order");
        assert_eq!(shared.stats().queued, 0);
    }

    /// A failed batch goes back to the front: the order is kept across failures.
    #[test]
    fn a_failed_batch_goes_back_to_the_front() {
        let up = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (shared, mut worker) = Worker::new(
            vec![Box::new(Flaky {
                up: up.clone(),
                calls: Arc::default(),
                seen: seen.clone(),
            })],
            EventOptions::default().batch_size(3),
            None,
            Vec::new(),
        );
        for i in 0..5 {
            shared.push(event(i));
        }
        worker.step(0);
        assert_eq!(shared.stats().queued, 5);
        assert_eq!(shared.stats().failed_exports, 1);
        for i in 5..7 {
            shared.push(event(i));
        }
        up.store(true, Ordering::Relaxed);
        worker.step(100_000);
        let expected: Vec<String> = (0..7).map(|i| format!("e{i}")).collect();
        assert_eq!(*seen.lock().unwrap(), expected);
    }
}
