//! The event pipeline through the public API, with recording exporters: `track()`, batches,
//! flushes, failures, shutdown, one export at a time, and evaluation events.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flags_runtime::tracking::{Event, EventKind, EventOptions, ExportError, Exporter, Kinds};
use flags_runtime::{Client, Context, FlagKey, TrackingDetails, Value, source};
use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
use serde_json::json;

#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<Event>>>,
    batches: Arc<Mutex<Vec<usize>>>,
    kinds: Option<Kinds>,
    /// While set, exports fail.
    down: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Exporter for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn kinds(&self) -> Kinds {
        self.kinds.unwrap_or(Kinds::TRACKING)
    }

    fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(ExportError::failed("down"));
        }
        self.batches.lock().unwrap().push(events.len());
        self.events.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

impl Recorder {
    fn names(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Tracked(t) => Some(t.name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Waits (bounded) until `n` events arrived.
    fn wait_for(&self, n: usize) -> usize {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let seen = self.events.lock().unwrap().len();
            if seen >= n || Instant::now() > until {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn empty() -> flags_runtime::source::JsonSource {
    source::json(r#"{"flags": {}}"#)
}

fn quiet() -> EventOptions {
    // Nothing is sent by the timer during a test unless it asks.
    EventOptions::default().flush_interval(Duration::from_secs(3600))
}

#[test]
fn without_exporters_track_does_nothing() {
    let client = Client::builder().in_process(empty()).build().unwrap();
    client.track("x", &Context::new("u"), TrackingDetails::new());
    assert_eq!(client.event_stats(), None);
    assert!(!client.flush_events(Duration::from_secs(1)));
    assert!(!client.sync_event_log());
}

#[test]
fn a_tracked_event_carries_name_context_value_and_fields() {
    let recorder = Recorder::default();
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(quiet())
        .build()
        .unwrap();
    client.set_context(Context::default().with("region", "eu"));
    client.track(
        "checkout-completed",
        &Context::new("user-1").with("plan", "pro"),
        TrackingDetails::value(42.0).with("currency", "EUR"),
    );
    assert!(client.flush_events(Duration::from_secs(10)));
    let events = recorder.events.lock().unwrap();
    let [event] = &events[..] else {
        panic!("one event expected: {events:?}")
    };
    let EventKind::Tracked(tracked) = &event.kind else {
        panic!("a tracking event expected")
    };
    assert_eq!(tracked.name, "checkout-completed");
    assert_eq!(tracked.context.targeting_key(), Some("user-1"));
    assert_eq!(tracked.context.get("plan"), Some(&Value::from("pro")));
    assert_eq!(
        tracked.context.get("region"),
        Some(&Value::from("eu")),
        "merged with the client's context"
    );
    assert_eq!(tracked.details.numeric(), Some(42.0));
    assert_eq!(tracked.details.field("currency"), Some(&Value::from("EUR")));
    assert!(event.created_ms > 1_700_000_000_000);
    assert_eq!(event.id.to_string().len(), 32);
}

#[test]
fn a_full_batch_is_sent_without_waiting_for_the_timer() {
    let recorder = Recorder::default();
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(quiet().batch_size(5))
        .build()
        .unwrap();
    for i in 0..5 {
        client.track(&format!("e{i}"), &Context::new("u"), TrackingDetails::new());
    }
    assert_eq!(recorder.wait_for(5), 5);
    assert_eq!(*recorder.batches.lock().unwrap(), [5]);
    // Fewer than a batch wait for the timer (an hour here) or a flush.
    client.track("e5", &Context::new("u"), TrackingDetails::new());
    assert_eq!(client.event_stats().unwrap().queued, 1);
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(recorder.names(), ["e0", "e1", "e2", "e3", "e4", "e5"]);
}

#[test]
fn the_timer_sends_what_is_queued() {
    let recorder = Recorder::default();
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(EventOptions::default().flush_interval(Duration::from_millis(20)))
        .build()
        .unwrap();
    client.track("lonely", &Context::new("u"), TrackingDetails::new());
    assert_eq!(recorder.wait_for(1), 1);
    assert_eq!(recorder.names(), ["lonely"]);
}

#[test]
fn shutdown_flushes_and_later_events_are_dropped() {
    let recorder = Recorder::default();
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(quiet())
        .build()
        .unwrap();
    for i in 0..3 {
        client.track(&format!("e{i}"), &Context::new("u"), TrackingDetails::new());
    }
    client.shutdown();
    assert_eq!(recorder.names(), ["e0", "e1", "e2"]);
    client.track("late", &Context::new("u"), TrackingDetails::new());
    let stats = client.event_stats().unwrap();
    assert_eq!((stats.exported, stats.dropped, stats.queued), (3, 1, 0));
}

#[test]
fn dropping_the_last_clone_flushes() {
    let recorder = Recorder::default();
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(quiet())
        .build()
        .unwrap();
    let clone = client.with_domain("other");
    clone.track("from-a-clone", &Context::new("u"), TrackingDetails::new());
    drop(client);
    assert!(recorder.names().is_empty(), "a clone is still alive");
    drop(clone);
    assert_eq!(recorder.names(), ["from-a-clone"]);
}

/// An exporter blocked on a gate, telling when it entered.
struct Hanging {
    entered: mpsc::Sender<()>,
    gate: Arc<Mutex<mpsc::Receiver<()>>>,
    in_flight: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    exported: Arc<AtomicUsize>,
}

impl Exporter for Hanging {
    fn name(&self) -> &str {
        "hanging"
    }

    fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        let _ = self.entered.send(());
        let _ = self
            .gate
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(20));
        self.exported.fetch_add(events.len(), Ordering::SeqCst);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn shutdown_is_bounded_when_the_exporter_hangs() {
    let (entered_tx, entered) = mpsc::channel();
    let (release, gate) = mpsc::channel();
    let exported = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .in_process(empty())
        .events(Hanging {
            entered: entered_tx,
            gate: Arc::new(Mutex::new(gate)),
            in_flight: Arc::default(),
            most: Arc::default(),
            exported: exported.clone(),
        })
        .event_options(
            quiet()
                .batch_size(1)
                .shutdown_timeout(Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    client.track("stuck", &Context::new("u"), TrackingDetails::new());
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    // The export is held until after shutdown returns: shutdown did not wait for it.
    client.shutdown();
    assert_eq!(exported.load(Ordering::SeqCst), 0);
    release.send(()).unwrap();
}

#[test]
fn one_export_at_a_time_and_track_never_waits_for_it() {
    let (entered_tx, entered) = mpsc::channel();
    let (release, gate) = mpsc::channel();
    let most = Arc::new(AtomicUsize::new(0));
    let exported = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .in_process(empty())
        .events(Hanging {
            entered: entered_tx,
            gate: Arc::new(Mutex::new(gate)),
            in_flight: Arc::default(),
            most: most.clone(),
            exported: exported.clone(),
        })
        .event_options(quiet().batch_size(10))
        .build()
        .unwrap();
    let ctx = Context::new("u");
    for i in 0..10 {
        client.track(&format!("e{i}"), &ctx, TrackingDetails::new());
    }
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    // A publish is in flight and held: tracking from four threads goes on meanwhile and fills
    // more batches, which wait for it.
    std::thread::scope(|scope| {
        for t in 0..4 {
            let client = &client;
            let ctx = &ctx;
            scope.spawn(move || {
                for i in 0..100 {
                    client.track(&format!("t{t}-{i}"), ctx, TrackingDetails::new());
                }
            });
        }
    });
    assert_eq!(client.event_stats().unwrap().queued, 400);
    for _ in 0..60 {
        let _ = release.send(());
    }
    client.shutdown();
    assert_eq!(exported.load(Ordering::SeqCst), 410);
    assert_eq!(most.load(Ordering::SeqCst), 1, "never two exports at once");
}

#[test]
fn a_failing_exporter_keeps_its_events_in_order_and_reports_drops_over_the_cap() {
    let recorder = Recorder::default();
    recorder.down.store(true, Ordering::SeqCst);
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(
            quiet()
                .batch_size(4)
                .max_pending(8)
                .retry_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    for i in 0..12 {
        client.track(&format!("e{i}"), &Context::new("u"), TrackingDetails::new());
        // Each full batch is attempted (and fails) before the next events come.
        assert!(client.flush_events(Duration::from_secs(10)));
    }
    let stats = client.event_stats().unwrap();
    assert_eq!(stats.queued, 8, "the cap");
    assert_eq!(stats.dropped, 4, "the oldest");
    assert!(stats.failed_exports >= 3);
    recorder.down.store(false, Ordering::SeqCst);
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(
        recorder.names(),
        ["e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11"]
    );
    assert_eq!(client.event_stats().unwrap().exported, 8);
}

#[test]
fn a_panicking_exporter_never_reaches_the_caller() {
    struct Panics(Arc<AtomicUsize>);
    impl Exporter for Panics {
        fn name(&self) -> &str {
            "panics"
        }
        fn export(&mut self, _: &[Event]) -> Result<(), ExportError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            panic!("exporter bug");
        }
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .in_process(empty())
        .events(Panics(calls.clone()))
        .event_options(quiet())
        .build()
        .unwrap();
    client.track("x", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let stats = client.event_stats().unwrap();
    assert_eq!(
        (stats.failed_exports, stats.queued),
        (1, 1),
        "kept for later"
    );
}

#[test]
fn an_unsupported_receiver_disables_its_exporter_once() {
    struct Absent(Arc<AtomicUsize>);
    impl Exporter for Absent {
        fn name(&self) -> &str {
            "absent"
        }
        fn export(&mut self, _: &[Event]) -> Result<(), ExportError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(ExportError::unsupported("no tracking endpoint"))
        }
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .in_process(empty())
        .events(Absent(calls.clone()))
        .event_options(quiet())
        .build()
        .unwrap();
    for _ in 0..3 {
        client.track("x", &Context::new("u"), TrackingDetails::new());
        assert!(client.flush_events(Duration::from_secs(10)));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(client.event_stats().unwrap().queued, 0);
}

#[test]
fn exporters_need_distinct_names() {
    let error = Client::builder()
        .in_process(empty())
        .events(Recorder::default())
        .events(Recorder::default())
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, flags_runtime::Error::Exporter { exporter, .. } if exporter == "recorder")
    );
    assert!(error.to_string().contains("give each its own"), "{error}");
}

/// A manifest of GO Feature Flag flags, their targeting the flag objects.
fn goff(flags: &[(&str, serde_json::Value)]) -> source::JsonSource {
    let mut manifest = Manifest::new();
    for (key, object) in flags {
        let mut flag = Flag::new(FlagType::String, None);
        flag.variants = object["variations"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        flag.targeting = Some(Targeting::new(
            Dialect::GoFeatureFlag,
            json!({ "flag": object }),
        ));
        manifest.flags.insert((*key).to_owned(), flag);
    }
    source::json(manifest.to_lock_string())
}

fn evaluations(recorder: &Recorder) -> Vec<flags_runtime::tracking::EvaluationEvent> {
    recorder
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Evaluated(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn evaluation_events_record_what_the_caller_got() {
    let recorder = Recorder {
        kinds: Some(Kinds::EVALUATION),
        ..Recorder::default()
    };
    let variations = json!({ "a": "A", "b": "B" });
    let client = Client::builder()
        .in_process(goff(&[
            (
                "tracked",
                json!({ "variations": variations, "version": "7",
                    "targeting": [{ "query": "plan eq \"pro\"", "variation": "a" }],
                    "defaultRule": { "variation": "b" } }),
            ),
            (
                "untracked",
                json!({ "variations": variations, "trackEvents": false,
                    "targeting": [{ "query": "plan eq \"pro\"", "variation": "a" }],
                    "defaultRule": { "variation": "b" } }),
            ),
        ]))
        .events(recorder.clone())
        .event_options(quiet())
        .build()
        .unwrap();
    let key = |k: &str| FlagKey::<String>::new(k.to_owned(), "dflt".to_owned());
    let pro = Context::new("user-1").with("plan", "pro");
    let anonymous = Context::new("visitor").with("anonymous", true);
    assert_eq!(client.value(key("tracked"), &pro), "A");
    assert_eq!(client.value(key("tracked"), &anonymous), "B");
    assert_eq!(client.value(key("untracked"), &pro), "A");
    assert_eq!(client.value(key("missing"), &pro), "dflt");
    // A typed read of the wrong type: the caller's default, with an error.
    assert!(client.value(FlagKey::<bool>::new("tracked", true), &pro));
    // Tracking events are not this exporter's.
    client.track("ignored", &pro, TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    let seen = evaluations(&recorder);
    assert_eq!(recorder.events.lock().unwrap().len(), 4, "{seen:?}");
    let [pro_read, anonymous_read, missing, mismatch] = &seen[..] else {
        panic!("four events expected: {seen:?}")
    };
    assert_eq!(pro_read.flag_key, "tracked");
    assert_eq!(pro_read.targeting_key.as_deref(), Some("user-1"));
    assert_eq!(pro_read.variant.as_deref(), Some("a"));
    assert_eq!(pro_read.value, Value::from("A"));
    assert!(!pro_read.default && !pro_read.anonymous);
    assert_eq!(pro_read.version.as_deref(), Some("7"));
    assert!(anonymous_read.anonymous);
    assert_eq!(anonymous_read.variant.as_deref(), Some("b"));
    assert_eq!(missing.flag_key, "missing", "an unknown flag counts");
    assert!(missing.default);
    assert_eq!(missing.variant, None);
    assert_eq!(missing.value, Value::from("dflt"));
    assert!(mismatch.default);
    assert_eq!(mismatch.value, Value::Bool(true));
}

#[test]
fn anonymous_must_be_the_boolean_true() {
    let recorder = Recorder {
        kinds: Some(Kinds::EVALUATION),
        ..Recorder::default()
    };
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(quiet())
        .build()
        .unwrap();
    let key = FlagKey::<bool>::new("f", false);
    client.value(&key, &Context::new("a").with("anonymous", "true"));
    client.value(&key, &Context::new("b").with("anonymous", 1));
    client.value(&key, &Context::new("c").with("anonymous", true));
    assert!(client.flush_events(Duration::from_secs(10)));
    let anonymous: Vec<bool> = evaluations(&recorder).iter().map(|e| e.anonymous).collect();
    assert_eq!(anonymous, [false, false, true]);
}

#[test]
fn the_last_clone_dropped_by_an_exporter_does_not_wait_for_itself() {
    type Slot = Arc<Mutex<Option<Client>>>;
    struct Holder(Slot, mpsc::Sender<()>);
    impl Exporter for Holder {
        fn name(&self) -> &str {
            "holder"
        }
        fn export(&mut self, _: &[Event]) -> Result<(), ExportError> {
            // The last clone of the client, dropped on the pipeline's thread.
            drop(self.0.lock().unwrap().take());
            let _ = self.1.send(());
            Ok(())
        }
    }
    let slot: Slot = Arc::default();
    let (dropped_tx, dropped) = mpsc::channel();
    let client = Client::builder()
        .in_process(empty())
        .events(Holder(slot.clone(), dropped_tx))
        .event_options(
            EventOptions::default()
                .flush_interval(Duration::from_millis(10))
                // Waiting for itself would take this long.
                .shutdown_timeout(Duration::from_secs(3600)),
        )
        .build()
        .unwrap();
    client.track("x", &Context::new("u"), TrackingDetails::new());
    *slot.lock().unwrap() = Some(client);
    dropped
        .recv_timeout(Duration::from_secs(20))
        .expect("the drop on the pipeline's thread returned");
}

/// A log subscriber that tracks an event for every warning it sees.
struct Tracks(Client);

impl tracing::Subscriber for Tracks {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.0
                .track("warned", &Context::new("logger"), TrackingDetails::new());
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_log_subscriber_that_tracks_events_does_not_deadlock_the_pipeline() {
    let recorder = Recorder::default();
    recorder.down.store(true, Ordering::SeqCst);
    let client = Client::builder()
        .in_process(empty())
        .events(recorder.clone())
        .event_options(quiet().batch_size(2).max_pending(2))
        .build()
        .unwrap();
    let (done_tx, done) = mpsc::channel();
    let tracked = client.clone();
    std::thread::spawn(move || {
        tracing::subscriber::with_default(Tracks(tracked.clone()), || {
            // Over the cap: the drop warning is logged, and its subscriber tracks.
            for i in 0..4 {
                tracked.track(&format!("e{i}"), &Context::new("u"), TrackingDetails::new());
            }
        });
        let _ = done_tx.send(());
    });
    done.recv_timeout(Duration::from_secs(20))
        .expect("tracking from a log subscriber returned");
    let stats = client.event_stats().unwrap();
    assert_eq!(stats.queued, 2);
    assert!(stats.dropped >= 2, "{stats:?}");
}

/// Two exporters, each with its own queue: one failing does not hold the other back, and each
/// gets every event it asks for.
#[test]
fn each_exporter_has_its_own_queue() {
    struct Named(&'static str, Recorder);
    impl Exporter for Named {
        fn name(&self) -> &str {
            self.0
        }
        fn kinds(&self) -> Kinds {
            self.1.kinds()
        }
        fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
            self.1.export(events)
        }
    }
    let up = Recorder::default();
    let down = Recorder {
        kinds: Some(Kinds::ALL),
        ..Recorder::default()
    };
    down.down.store(true, Ordering::SeqCst);
    let client = Client::builder()
        .in_process(empty())
        .events(Named("up", up.clone()))
        .events(Named("down", down.clone()))
        .event_options(quiet())
        .build()
        .unwrap();
    client.track("a", &Context::new("u"), TrackingDetails::new());
    client.value(FlagKey::<bool>::new("f", false), &Context::new("u"));
    client.track("b", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(up.names(), ["a", "b"], "tracking events only");
    assert_eq!(up.events.lock().unwrap().len(), 2);
    let stats = client.event_stats().unwrap();
    assert_eq!(
        (stats.exported, stats.queued),
        (2, 3),
        "three kept for `down`"
    );
    down.down.store(false, Ordering::SeqCst);
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(down.names(), ["a", "b"]);
    assert_eq!(
        down.events.lock().unwrap().len(),
        3,
        "and the evaluation between them"
    );
}
