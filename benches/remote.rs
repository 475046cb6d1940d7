//! Remote evaluation against the targets of `docs/design.md` (feature `http`), with criterion
//! and the fault-injecting server of the tests on 127.0.0.1.
//!
//! ```text
//! cargo bench --bench remote --features http               # full run
//! cargo bench --bench remote --features http -- --quick    # what CI runs
//! ```
//!
//! Groups: `cache` (a per-evaluation read answered by the cache, `value` and `details`:
//! target ≤ 100 ns), `bulk`
//! (reads in bulk mode, answered locally: the in-process targets), `flagkit` (a read of
//! FlagKit's values, answered locally the same way), and `requests` (10,000
//! evaluations of one flag for one context from 100 concurrent tasks: how many HTTP requests
//! reach the server, printed; coalescing makes it a handful, not 10,000).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use flags::{Client, Context, FlagKey, remote};
use flags_test_support::fault::{FaultServer, Reply};

fn single(key: &str, value: serde_json::Value) -> String {
    serde_json::json!({ "key": key, "value": value, "reason": "TARGETING_MATCH", "variant": "on" })
        .to_string()
}

fn cache(c: &mut Criterion) {
    let server = FaultServer::start();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/beta",
        Reply::json(&single("beta", serde_json::json!(true))),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")).cache(Duration::from_secs(3600), 1000))
        .build()
        .unwrap();
    let beta = FlagKey::<bool>::new("beta", false);
    let ctx = Context::new("user-123")
        .with("plan", "premium")
        .with("region", "eu");
    // One request fills the cache; every read below is a hit (reason CACHED).
    assert!(client.blocking().value(&beta, &ctx));
    assert_eq!(client.details(&beta, &ctx).reason, flags::Reason::Cached);

    let mut group = c.benchmark_group("cache");
    group.bench_function("hit, bool, context of 3 attributes", |b| {
        b.iter(|| client.value(black_box(&beta), black_box(&ctx)));
    });
    group.bench_function("details hit, bool, context of 3 attributes", |b| {
        b.iter(|| client.details(black_box(&beta), black_box(&ctx)));
    });
    group.finish();
    assert_eq!(server.count(), 1);
}

fn bulk(c: &mut Criterion) {
    let server = FaultServer::start();
    let flags: Vec<_> = (0..1000)
        .map(|i| serde_json::json!({ "key": format!("flag-{i}"), "value": i % 2 == 0, "reason": "STATIC", "variant": "v" }))
        .collect();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags",
        Reply::json(&serde_json::json!({ "flags": flags }).to_string()),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")).bulk(Context::new("device-1"), None))
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let key = FlagKey::<bool>::new("flag-500", false);
    let ctx = Context::anonymous();
    let mut group = c.benchmark_group("bulk");
    group.bench_function("bool read of 1,000 bulk-evaluated flags", |b| {
        b.iter(|| client.value(black_box(&key), &ctx));
    });
    // The same read in process, in the same run: the machine's noise moves both alike.
    let mut local = serde_json::Map::new();
    for i in 0..1000 {
        let default = if i % 2 == 0 { "on" } else { "off" };
        local.insert(
            format!("flag-{i}"),
            serde_json::json!({ "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": default }),
        );
    }
    let local = Client::builder()
        .in_process(flags::source::json(
            serde_json::json!({ "flags": local }).to_string(),
        ))
        .build()
        .unwrap();
    assert_eq!(local.value(&key, &ctx), client.value(&key, &ctx));
    group.bench_function("the same read in process (for comparison)", |b| {
        b.iter(|| local.value(black_box(&key), &ctx));
    });
    group.finish();
    assert_eq!(server.count(), 1, "bulk reads sent requests");
}

/// FlagKit's values mode: 1,000 flags from one init answer, each read answered locally from
/// the same table as the bulk mode's.
fn flagkit(c: &mut Criterion) {
    use flags_test_support::flagkit::{FlagKitService, INIT, flag, init_body};

    let service = FlagKitService::start();
    let flags: Vec<_> = (0..1000)
        .map(|i| flag(&format!("flag-{i}"), i % 2 == 0))
        .collect();
    service.route(
        "GET",
        INIT,
        Reply::json(&init_body(&flags, 3600.0, "2026-12-05T03:00:00Z")),
    );
    let client = Client::builder()
        .remote(remote::flagkit("sdk_bench_key").base_url(service.base_url()))
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let key = FlagKey::<bool>::new("flag-500", false);
    let ctx = Context::anonymous();
    assert!(client.value(&key, &ctx));
    let mut group = c.benchmark_group("flagkit");
    group.bench_function("bool read of 1,000 FlagKit flags", |b| {
        b.iter(|| client.value(black_box(&key), &ctx));
    });
    group.finish();
    assert_eq!(service.count(), 1, "FlagKit reads sent requests");
}

fn requests(_: &mut Criterion) {
    let server = FaultServer::start();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/beta",
        Reply::json(&single("beta", serde_json::json!(true))).delay(Duration::from_millis(2)),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")))
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let beta = FlagKey::<bool>::new("beta", false);
                let ctx = Context::new("user-123");
                for _ in 0..100 {
                    assert!(client.value_async(&beta, &ctx).await);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    println!(
        "requests/10,000 evaluations: {} HTTP requests for 10,000 concurrent evaluations of one flag and context ({} ms)",
        server.count(),
        started.elapsed().as_millis()
    );
}

criterion_group!(benches, cache, bulk, flagkit, requests);
criterion_main!(benches);
