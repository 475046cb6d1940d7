//! Evaluation cost against the targets of `docs/design.md`, with criterion.
//!
//! ```text
//! cargo bench --bench evaluate                 # full run (figures worth quoting: idle machine)
//! cargo bench --bench evaluate -- targeting    # one group
//! cargo bench --bench evaluate -- --quick      # what CI runs: shows it works, not how fast
//! ```
//!
//! Groups: `static` (typed reads of flags without rules), `targeting` (an `ends_with` rule and
//! `fractional` rollouts), `flagship` (Cloudflare Flagship's rules: static, one `ends_with`
//! condition, a 50 % rollout), `flipt` (Flipt's dialect: a variant flag with one segment rule,
//! a boolean threshold rollout, a static boolean flag), `gofeatureflag` (GO Feature Flag's flags:
//! static, a one-clause query, a 50/50 percentage), `struct` (`client.flags::<S>()` over ten fields), `threads` (the
//! same read on one and on two threads; compare the throughputs), `load` (parse, validate and
//! compile a 10,000-flag configuration). `benches/README.md` has the measured table.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use flags::{Client, Context, FlagKey, Flags};

#[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
#[flags(schema = "benches/flags.json", key = "flag-3")]
enum Greeting {
    #[flags(rename = "Good afternoon")]
    Formal,
    #[flags(rename = "Hi there")]
    Casual,
}

/// Ten flags, as in the `client.flags::<S>()` target of `docs/design.md`, from a 1,000-flag
/// configuration.
#[allow(dead_code)] // read through `black_box`
#[derive(Flags)]
#[flags(schema = "benches/flags.json")]
struct Ten {
    #[flags(key = "flag-0")]
    a: bool,
    #[flags(key = "flag-1")]
    b: i64,
    #[flags(key = "flag-2")]
    c: f64,
    #[flags(key = "flag-3")]
    d: Greeting,
    #[flags(key = "flag-4")]
    e: Option<bool>,
    #[flags(key = "flag-5")]
    f: u32,
    #[flags(key = "flag-6")]
    g: f32,
    #[flags(key = "flag-7")]
    h: Greeting,
    #[flags(key = "flag-8")]
    i: bool,
    #[flags(key = "flag-9")]
    j: i64,
}

/// The flags read through a targeting rule, checked against the schema like any other.
#[allow(dead_code)]
#[derive(Flags)]
#[flags(schema = "benches/flags.json")]
struct Targeted {
    #[flags(key = "rule-ends-with")]
    staff: bool,
    #[flags(key = "rollout")]
    colour: String,
}

/// The rollouts' colours as an enum: a read that allocates nothing, so it measures the rule.
#[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
#[flags(schema = "benches/flags.json", key = "rollout")]
enum Colour {
    #[flags(rename = "red")]
    Red,
    #[flags(rename = "green")]
    Green,
    #[flags(rename = "blue")]
    Blue,
}

/// The same rollouts read as [`Colour`].
#[allow(dead_code)]
#[derive(Flags)]
#[flags(schema = "benches/flags.json")]
struct Rollouts {
    #[flags(key = "rollout")]
    colour: Colour,
    #[flags(key = "rollout-by-email")]
    by_email: Colour,
}

fn client() -> Client {
    client_with(flags::EngineOptions::default())
}

fn client_with(engine: flags::EngineOptions) -> Client {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/flags.json");
    Client::builder()
        .in_process(flags::source::file(path))
        .engine(engine)
        .build()
        .expect("benches/flags.json loads")
}

fn static_reads(c: &mut Criterion) {
    let client = client();
    let ctx = Context::new("user-123").with("plan", "premium");
    let enabled = FlagKey::<bool>::new("flag-0", false);
    let limit = FlagKey::<i64>::new("flag-1", 0);
    let rate = FlagKey::<f64>::new("flag-2", 0.0);
    let greeting = FlagKey::<String>::new("flag-3", String::new());

    let mut group = c.benchmark_group("static");
    group.bench_function("bool, derived key constant", |b| {
        b.iter(|| client.value(black_box(Ten::A), &ctx));
    });
    group.bench_function("bool, key made at run time", |b| {
        b.iter(|| client.value(black_box(&enabled), &ctx));
    });
    group.bench_function("i64", |b| b.iter(|| client.value(black_box(&limit), &ctx)));
    group.bench_function("f64", |b| b.iter(|| client.value(black_box(&rate), &ctx)));
    group.bench_function("enum from a string flag", |b| {
        b.iter(|| client.value(black_box(Ten::D), &ctx));
    });
    group.bench_function("String (allocates the string)", |b| {
        b.iter(|| client.value(black_box(&greeting), &ctx));
    });
    group.bench_function("details::<bool>", |b| {
        b.iter(|| client.details(black_box(&enabled), &ctx));
    });
    group.finish();
}

fn targeting(c: &mut Criterion) {
    let client = client();
    let staff = Context::new("user-123").with("email", "ada@example.com");
    let other = Context::new("user-456").with("email", "bob@elsewhere.org");
    let by_email = FlagKey::<String>::new("rollout-by-email", String::new());

    let mut group = c.benchmark_group("targeting");
    group.bench_function("ends_with on an attribute, matching", |b| {
        b.iter(|| client.value(black_box(Targeted::STAFF), &staff));
    });
    group.bench_function("ends_with on an attribute, not matching", |b| {
        b.iter(|| client.value(black_box(Targeted::STAFF), &other));
    });
    group.bench_function("fractional, flag key + targeting key", |b| {
        b.iter(|| client.value(black_box(Targeted::COLOUR), &staff));
    });
    group.bench_function("fractional, bucketing by cat of attributes", |b| {
        b.iter(|| client.value(black_box(&by_email), &staff));
    });
    group.bench_function("fractional, flag key + targeting key, as an enum", |b| {
        b.iter(|| client.value(black_box(Rollouts::COLOUR), &staff));
    });
    group.bench_function(
        "fractional, bucketing by cat of attributes, as an enum",
        |b| {
            b.iter(|| client.value(black_box(Rollouts::BY_EMAIL), &staff));
        },
    );
    // The other versions of flagd's `fractional` (the default is V2).
    for (name, version) in [
        ("V1", flags::FractionalVersion::V1),
        ("V3", flags::FractionalVersion::V3),
    ] {
        let client = client_with(flags::EngineOptions::default().with_fractional(version));
        group.bench_function(
            format!("fractional {name}, flag key + targeting key"),
            |b| {
                b.iter(|| client.value(black_box(Targeted::COLOUR), &staff));
            },
        );
        group.bench_function(
            format!("fractional {name}, bucketing by cat of attributes"),
            |b| {
                b.iter(|| client.value(black_box(&by_email), &staff));
            },
        );
        group.bench_function(
            format!("fractional {name}, flag key + targeting key, as an enum"),
            |b| {
                b.iter(|| client.value(black_box(Rollouts::COLOUR), &staff));
            },
        );
        group.bench_function(
            format!("fractional {name}, bucketing by cat of attributes, as an enum"),
            |b| {
                b.iter(|| client.value(black_box(Rollouts::BY_EMAIL), &staff));
            },
        );
    }
    group.finish();
}

/// Flagship flags as its importer builds them (the rules in Flagship's dialect), from a lock file:
/// static, one `ends_with` condition, a 50 % rollout by targeting key.
fn flagship_client() -> Client {
    use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
    use serde_json::json;
    let flag = |rules: serde_json::Value| {
        let mut flag = Flag::new(FlagType::Boolean, Some(json!(false)));
        flag.variants = [
            ("on".to_owned(), json!(true)),
            ("off".to_owned(), json!(false)),
        ]
        .into();
        flag.default_variant = Some("off".to_owned());
        if rules.as_array().is_some_and(|r| !r.is_empty()) {
            flag.targeting = Some(Targeting::new(
                Dialect::Flagship,
                json!({ "account_id": "aaaabbbbccccdddd1111222233334444", "rules": rules }),
            ));
        }
        flag
    };
    let mut manifest = Manifest::new();
    manifest.flags.insert("fs-static".into(), flag(json!([])));
    manifest.flags.insert(
        "fs-ends-with".into(),
        flag(
            json!([{ "conditions": [{ "attribute": "email", "operator": "ends_with",
                                       "value": "@example.com" }], "serve_variation": "on" }]),
        ),
    );
    manifest.flags.insert(
        "rollout_test".into(),
        flag(
            json!([{ "conditions": [], "serve_variation": "on", "rollout": { "percentage": 50 } }]),
        ),
    );
    Client::builder()
        .in_process(flags::source::json(manifest.to_lock_string()))
        .build()
        .expect("the Flagship flags load")
}

fn flagship(c: &mut Criterion) {
    let client = flagship_client();
    let staff = Context::new("0").with("email", "ada@example.com");
    let other = Context::new("2").with("email", "bob@elsewhere.org");
    let fixed = FlagKey::<bool>::new("fs-static", false);
    let ends_with = FlagKey::<bool>::new("fs-ends-with", false);
    let rollout = FlagKey::<bool>::new("rollout_test", false);

    let mut group = c.benchmark_group("flagship");
    group.bench_function("static bool", |b| {
        b.iter(|| client.value(black_box(&fixed), &staff));
    });
    group.bench_function("ends_with condition, matching", |b| {
        b.iter(|| client.value(black_box(&ends_with), &staff));
    });
    group.bench_function("ends_with condition, not matching", |b| {
        b.iter(|| client.value(black_box(&ends_with), &other));
    });
    group.bench_function("50 % rollout by targeting key, in (SPLIT)", |b| {
        b.iter(|| client.value(black_box(&rollout), &staff));
    });
    group.bench_function("50 % rollout by targeting key, out (DEFAULT)", |b| {
        b.iter(|| client.value(black_box(&rollout), &other));
    });
    group.finish();
}

/// The flags of `conformance/flipt/bench.py`, which times Flipt's own client on the same cases.
fn flipt_flags() -> String {
    use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
    use serde_json::json;
    let flipt = |flag: serde_json::Value| {
        Some(Targeting::new(
            Dialect::Flipt,
            json!({ "namespace": "default", "flag": flag }),
        ))
    };
    let mut manifest = Manifest::new();
    let mut colour = Flag::new(FlagType::String, None);
    for key in ["red", "blue"] {
        colour.variants.insert(key.into(), json!(key));
    }
    colour.targeting = flipt(json!({
        "key": "colour", "type": "VARIANT_FLAG_TYPE", "enabled": true,
        "rules": [{ "segmentOperator": "OR_SEGMENT_OPERATOR",
            "segments": [{ "key": "pro", "matchType": "ALL_SEGMENT_MATCH_TYPE", "constraints": [
                { "type": "STRING_CONSTRAINT_COMPARISON_TYPE", "property": "plan", "operator": "eq", "value": "premium" }
            ] }],
            "distributions": [{ "variantKey": "red", "rollout": 50 }, { "variantKey": "blue", "rollout": 50 }] }]
    }));
    manifest.flags.insert("colour".into(), colour);
    let mut half = Flag::new(FlagType::Boolean, Some(json!(false)));
    half.targeting = flipt(json!({
        "key": "half", "type": "BOOLEAN_FLAG_TYPE", "enabled": false,
        "rollouts": [{ "threshold": { "percentage": 50, "value": true } }]
    }));
    manifest.flags.insert("half".into(), half);
    let mut on = Flag::new(FlagType::Boolean, Some(json!(true)));
    on.targeting = flipt(json!({ "key": "on", "type": "BOOLEAN_FLAG_TYPE", "enabled": true }));
    manifest.flags.insert("on".into(), on);
    manifest.to_lock_string()
}

fn flipt(c: &mut Criterion) {
    #[derive(Clone, Copy, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Colour {
        Red,
        Blue,
    }
    let client = Client::builder()
        .in_process(flags::source::json(flipt_flags()))
        .build()
        .expect("the Flipt flags load");
    let ctx = Context::new("user-123").with("plan", "premium");
    let colour = FlagKey::<Colour>::new("colour", Colour::Red);
    let colour_name = FlagKey::<String>::new("colour", String::new());
    let half = FlagKey::<bool>::new("half", false);
    let on = FlagKey::<bool>::new("on", false);

    let mut group = c.benchmark_group("flipt");
    group.bench_function("variant, one segment rule, read as an enum", |b| {
        b.iter(|| client.value(black_box(&colour), &ctx));
    });
    group.bench_function(
        "variant, one segment rule, String (allocates the string)",
        |b| {
            b.iter(|| client.value(black_box(&colour_name), &ctx));
        },
    );
    group.bench_function("boolean, threshold rollout", |b| {
        b.iter(|| client.value(black_box(&half), &ctx));
    });
    group.bench_function("boolean, static", |b| {
        b.iter(|| client.value(black_box(&on), &ctx));
    });
    group.finish();
}

/// GO Feature Flag's flags, from a flag file as users write it.
fn gofeatureflag(c: &mut Criterion) {
    let file = serde_json::json!({
        "static": { "variations": { "on": true, "off": false }, "defaultRule": { "variation": "on" } },
        "staff": {
            "variations": { "on": true, "off": false },
            "targeting": [{ "name": "staff", "query": "email ew \"@example.com\"", "variation": "on" }],
            "defaultRule": { "variation": "off" }
        },
        "half": {
            "variations": { "on": true, "off": false },
            "defaultRule": { "percentage": { "on": 50, "off": 50 } }
        }
    });
    let client = Client::builder()
        .in_process(flags::source::json(file.to_string()).format(flags::Format::GoFeatureFlag))
        .build()
        .expect("the GO Feature Flag flags load");
    let staff_ctx = Context::new("user-123").with("email", "ada@example.com");
    let other_ctx = Context::new("user-456").with("email", "bob@elsewhere.org");
    let fixed = FlagKey::<bool>::new("static", false);
    let staff = FlagKey::<bool>::new("staff", false);
    let half = FlagKey::<bool>::new("half", false);

    let mut group = c.benchmark_group("gofeatureflag");
    group.bench_function("static bool", |b| {
        b.iter(|| client.value(black_box(&fixed), &staff_ctx));
    });
    group.bench_function("one-clause query (ew), matching", |b| {
        b.iter(|| client.value(black_box(&staff), &staff_ctx));
    });
    group.bench_function("one-clause query (ew), not matching", |b| {
        b.iter(|| client.value(black_box(&staff), &other_ctx));
    });
    group.bench_function("50/50 percentage", |b| {
        b.iter(|| client.value(black_box(&half), &staff_ctx));
    });
    group.finish();
}

fn whole_struct(c: &mut Criterion) {
    let client = client();
    let ctx = Context::new("user-123").with("plan", "premium");
    let mut group = c.benchmark_group("struct");
    group.bench_function("flags::<Ten> (10 fields, one snapshot)", |b| {
        b.iter(|| client.flags::<Ten>(black_box(&ctx)));
    });
    group.finish();
}

/// Runs `iters` reads on each of `threads` threads at once and returns the wall time: with
/// throughput set to `threads` elements per iteration, criterion reports reads per second,
/// comparable between one and two threads.
fn parallel_reads(client: &Client, threads: usize, iters: u64) -> Duration {
    let key = FlagKey::<bool>::new("flag-0", false);
    let ctx = Context::new("user-123");
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..iters {
                    black_box(client.value(black_box(&key), &ctx));
                }
            });
        }
    });
    start.elapsed()
}

fn threads(c: &mut Criterion) {
    let client = client();
    let mut group = c.benchmark_group("threads");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_function(format!("{threads} thread(s), static bool"), |b| {
            b.iter_custom(|iters| parallel_reads(&client, threads, iters));
        });
    }
    group.finish();
}

/// A 10,000-flag flagd configuration: static flags of every type, rules and rollouts.
fn ten_thousand_flags() -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "{\"$evaluators\": {\"staff\": {\"ends_with\": [{\"var\": \"email\"}, \"@example.com\"]}},\n\"flags\": {\n",
    );
    for i in 0..10_000 {
        if i > 0 {
            out.push_str(",\n");
        }
        let flag = match i % 10 {
            0..=2 => r#"{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}"#.to_owned(),
            3 => r#"{"state": "ENABLED", "variants": {"small": 10, "large": 250}, "defaultVariant": "small"}"#.to_owned(),
            4 => r#"{"state": "ENABLED", "variants": {"a": "alpha", "b": "beta"}, "defaultVariant": "a", "metadata": {"team": "web"}}"#.to_owned(),
            5 => r#"{"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}"#.to_owned(),
            6 => r#"{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off", "targeting": {"if": [{"$ref": "staff"}, "on", null]}}"#.to_owned(),
            7 => r#"{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off", "targeting": {"if": [{"and": [{"in": [{"var": "plan"}, ["pro", "team"]]}, {">=": [{"var": "seats"}, 5]}]}, "on", "off"]}}"#.to_owned(),
            8 => r#"{"state": "ENABLED", "variants": {"red": "red", "green": "green"}, "defaultVariant": "red", "targeting": {"fractional": [["red", 50], ["green", 50]]}}"#.to_owned(),
            _ => r#"{"state": "ENABLED", "variants": {"v1": {"size": 1}, "v2": {"size": 2}}, "defaultVariant": "v1", "targeting": {"if": [{"sem_ver": [{"var": "version"}, ">=", "2.1.0"]}, "v2", null]}}"#.to_owned(),
        };
        let _ = write!(out, "\"flag-{i:05}\": {flag}");
    }
    out.push_str("\n}}\n");
    out
}

fn load(c: &mut Criterion) {
    let text = ten_thousand_flags();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("parse + validate + compile, 10,000 flags", |b| {
        b.iter_batched(
            || text.clone(),
            |text| {
                Client::builder()
                    .in_process(flags::source::json(text))
                    .build()
                    .expect("the generated configuration loads")
            },
            BatchSize::PerIteration,
        );
    });

    // Reads while another thread loads 10,000-flag configurations one after the other (two
    // contents alternating, so that every reload compiles and swaps): reads never wait.
    let dir = std::env::temp_dir().join(format!("flags-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("flags.json");
    let other = text.replace("\"small\": 10", "\"small\": 11");
    std::fs::write(&path, &text).expect("the configuration is written");
    let client = Client::builder()
        .in_process(flags::source::file(&path).watch(false))
        .build()
        .expect("the generated configuration loads");
    let key = FlagKey::<bool>::new("flag-00006", false);
    let ctx = Context::new("user-1").with("email", "ada@example.com");
    let stop = AtomicBool::new(false);
    let reloads = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut flip = false;
            while !stop.load(Ordering::Relaxed) {
                flip = !flip;
                let content = if flip { &other } else { &text };
                if std::fs::write(&path, content).is_ok() && client.refresh().is_ok() {
                    reloads.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        group.bench_function("rule read while another thread reloads 10,000 flags", |b| {
            b.iter(|| client.value(black_box(&key), &ctx));
        });
        stop.store(true, Ordering::Relaxed);
    });
    println!(
        "  ({} reloads of 10,000 flags ran during that benchmark)",
        reloads.load(Ordering::Relaxed)
    );
    let _ = std::fs::remove_dir_all(&dir);
    group.finish();
}

criterion_group!(
    benches,
    static_reads,
    targeting,
    flagship,
    flipt,
    gofeatureflag,
    whole_struct,
    threads,
    load
);
criterion_main!(benches);
