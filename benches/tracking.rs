//! The event pipeline (feature `http`), with criterion and the fault server of the tests on
//! 127.0.0.1 playing GO Feature Flag's collector.
//!
//! ```text
//! cargo bench --bench tracking --features http               # full run
//! cargo bench --bench tracking --features http -- --quick    # proves it runs
//! ```
//!
//! Groups: `track` (the caller's cost of `track()`: without exporter, with one, with one and
//! the event log; target ≤ 100 ns without the log), `read` (a static read without exporter,
//! and with an exporter of evaluation events, which runs the recording hook), `collector`
//! (events per second through the GO Feature Flag exporter to the loopback collector: 10,000
//! tracked, then flushed, per iteration).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flags::tracking::{self, Event, EventOptions, ExportError, Exporter, Kinds};
use flags::{Client, Context, FlagKey, TrackingDetails, source};
use flags_test_support::fault::{FaultServer, Reply};

const FLAGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/flags.json");

/// Takes every batch and drops it.
struct Discard(Kinds);

impl Exporter for Discard {
    fn name(&self) -> &str {
        "discard"
    }

    fn kinds(&self) -> Kinds {
        self.0
    }

    fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
        black_box(events);
        Ok(())
    }
}

fn client(exporter: Option<Kinds>, log: Option<&std::path::Path>) -> Client {
    let mut builder = Client::builder().in_process(source::file(FLAGS));
    if let Some(kinds) = exporter {
        builder = builder.events(Discard(kinds));
    }
    if let Some(dir) = log {
        builder = builder.event_log(dir);
    }
    builder.build().unwrap()
}

fn track(c: &mut Criterion) {
    let ctx = Context::new("user-123");
    let mut group = c.benchmark_group("track");
    let none = client(None, None);
    group.bench_function("no exporter", |b| {
        b.iter(|| {
            none.track(
                black_box("checkout"),
                black_box(&ctx),
                TrackingDetails::new(),
            )
        });
    });
    let one = client(Some(Kinds::TRACKING), None);
    group.bench_function("one exporter", |b| {
        b.iter(|| {
            one.track(
                black_box("checkout"),
                black_box(&ctx),
                TrackingDetails::new(),
            )
        });
    });
    group.bench_function("one exporter, value and a field", |b| {
        b.iter(|| {
            one.track(
                black_box("checkout"),
                black_box(&ctx),
                TrackingDetails::value(42.0).with("currency", "EUR"),
            );
        });
    });
    let dir = std::env::temp_dir().join(format!("flags-bench-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let logged = client(Some(Kinds::TRACKING), Some(&dir));
    group.bench_function("one exporter, event log", |b| {
        b.iter(|| {
            logged.track(
                black_box("checkout"),
                black_box(&ctx),
                TrackingDetails::new(),
            )
        });
    });
    group.finish();
    drop(logged);
    let _ = std::fs::remove_dir_all(&dir);
}

fn read(c: &mut Criterion) {
    let ctx = Context::new("user-123");
    let key = FlagKey::<bool>::new("flag-0", false);
    let mut group = c.benchmark_group("read");
    let none = client(None, None);
    group.bench_function("static bool, no exporter", |b| {
        b.iter(|| none.value(black_box(&key), black_box(&ctx)));
    });
    let tracking_only = client(Some(Kinds::TRACKING), None);
    group.bench_function("static bool, tracking exporter", |b| {
        b.iter(|| tracking_only.value(black_box(&key), black_box(&ctx)));
    });
    let evaluations = client(Some(Kinds::EVALUATION), None);
    group.bench_function("static bool, evaluation exporter", |b| {
        b.iter(|| evaluations.value(black_box(&key), black_box(&ctx)));
    });
    group.finish();
}

fn collector(c: &mut Criterion) {
    let server = FaultServer::start();
    server.route("POST", "/v1/data/collector", Reply::status(200));
    let client = Client::builder()
        .in_process(source::file(FLAGS))
        .events(tracking::go_feature_flag(server.url("")).tracking(true))
        .event_options(
            EventOptions::default()
                .batch_size(1000)
                .max_pending(20_000)
                .flush_interval(Duration::from_secs(3600)),
        )
        .build()
        .unwrap();
    let ctx = Context::new("user-123").with("plan", "premium");
    const N: u64 = 10_000;
    let mut group = c.benchmark_group("collector");
    group.throughput(Throughput::Elements(N));
    group.sample_size(10);
    group.bench_function("10,000 tracking events to the loopback collector", |b| {
        b.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                for _ in 0..N {
                    client.track("checkout", &ctx, TrackingDetails::value(1.0));
                }
                assert!(client.flush_events(Duration::from_secs(60)));
            }
            start.elapsed()
        });
    });
    group.finish();
    let stats = client.event_stats().unwrap();
    assert_eq!(stats.dropped, 0);
    assert_eq!(stats.queued, 0);
}

criterion_group!(benches, track, read, collector);
criterion_main!(benches);
