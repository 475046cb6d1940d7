//! Hostile or broken configurations cost work bounded by their size (issue 12, point 5): each
//! shape the fuzzer found, generated here (no fixtures), loaded through a client, evaluated, and
//! delivered as an update through a refresh. Memory is measured with a counting allocator
//! (bytes allocated, and the peak of bytes live, on the measuring thread), never with a clock.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::Mutex;

use flags_runtime::{Client, Context, ErrorCode, FlagKey, Reason, Value, source};
use serde_json::{Value as Json, json};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Bytes allocated since counting started.
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
    /// Bytes live (allocated minus freed on this thread) since counting started, and its peak.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn on_alloc(size: usize) {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + size as u64));
        let _ = LIVE.try_with(|live| {
            live.set(live.get() + size as i64);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
        });
    }
}

fn on_dealloc(size: usize) {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = LIVE.try_with(|live| live.set(live.get() - size as i64));
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; counting touches only const-initialised thread-locals, which do not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        on_dealloc(layout.size());
        on_alloc(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        on_dealloc(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What `f` allocated on this thread: `(bytes allocated, peak bytes live)`. The result is
/// dropped after counting stops.
fn measure<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    ALLOCATED.with(|a| a.set(0));
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    COUNTING.with(|c| c.set(true));
    let result = black_box(f());
    COUNTING.with(|c| c.set(false));
    let peak = PEAK.with(Cell::get).max(0) as u64;
    (result, ALLOCATED.with(Cell::get), peak)
}

/// The bounds this test holds loading to, as documented in the engine's docs: bytes allocated
/// while loading at most 128 times the document's text, plus 1 MiB; bytes live at the peak at
/// most 96 times, plus 1 MiB. (Parsing alone, into `serde_json::Value`, takes up to about 60
/// times the text of a document made of small objects.)
fn load_bound(text: &str) -> u64 {
    128 * text.len() as u64 + (1 << 20)
}

fn peak_bound(text: &str) -> u64 {
    96 * text.len() as u64 + (1 << 20)
}

/// A flag whose variants `a`, `b` are strings and whose rule is `targeting`.
fn flag(targeting: Json) -> Json {
    json!({
        "state": "ENABLED",
        "variants": { "a": "A", "b": "B" },
        "defaultVariant": "a",
        "targeting": targeting,
    })
}

/// A document with `flags` plus a flag `plain` (`{"if": [{"var": "vip"}, "b", "a"]}`), which
/// must keep serving whatever the others do.
fn document(mut flags: serde_json::Map<String, Json>, evaluators: Json) -> String {
    flags.insert(
        "plain".to_owned(),
        flag(json!({ "if": [{ "var": "vip" }, "b", "a"] })),
    );
    json!({ "$evaluators": evaluators, "flags": flags }).to_string()
}

fn one(key: &str, targeting: Json) -> serde_json::Map<String, Json> {
    [(key.to_owned(), flag(targeting))].into_iter().collect()
}

/// Loads `text`, checks the bound, and returns the client.
fn load(shape: &str, text: &str) -> Client {
    let (client, allocated, peak) = measure(|| {
        Client::builder()
            .in_process(source::json(text.to_owned()))
            .build()
    });
    let client = client.unwrap_or_else(|e| panic!("{shape}: {e}"));
    assert!(
        allocated <= load_bound(text),
        "{shape}: {allocated} bytes allocated for a document of {} bytes",
        text.len()
    );
    assert!(
        peak <= peak_bound(text),
        "{shape}: {peak} bytes live for a document of {} bytes",
        text.len()
    );
    plain_serves(&client, shape);
    client
}

fn plain_serves(client: &Client, shape: &str) {
    let vip = Context::new("u").with("vip", true);
    let details = client.details(FlagKey::<String>::new("plain", "code".into()), &vip);
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("B", Reason::TargetingMatch),
        "{shape}"
    );
}

/// `reduce` over `list` whose step builds the accumulator twice over (`cat` or `merge`).
fn doubling(op: &str, list: Json) -> Json {
    let init = if op == "cat" {
        json!("x")
    } else {
        json!(["x"])
    };
    let step = json!({ op: [{ "var": "accumulator" }, { "var": "accumulator" }] });
    json!({ "if": [{ "==": [{ "reduce": [list, step, init] }, "y"] }, "b", "a"] })
}

/// Held by the tests that make a rule exceed its budget: `tracing` caches per call site
/// whether anyone listens, and a test on another thread reaching the warning's call site for
/// the first time while the capturing test installs its subscriber can cache "no one".
static WARNING_SITE: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    WARNING_SITE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn over_budget(client: &Client, key: &str, ctx: &Context) {
    let details = client.details(FlagKey::<String>::new(key.to_owned(), "code".into()), ctx);
    assert_eq!(details.value, "code", "{key}");
    assert_eq!(details.reason, Reason::Error, "{key}");
    assert_eq!(details.error_code(), Some(ErrorCode::General), "{key}");
    let message = details.error_message().unwrap_or_default();
    assert!(
        message.contains("exceeded its evaluation budget"),
        "{key}: {message}"
    );
    assert!(message.len() < 200, "{key}: {message}");
}

#[test]
fn ordinary_configurations_load_within_the_bound() {
    let flags = (0..2000)
        .map(|i| {
            let rule = match i % 3 {
                0 => json!({ "if": [{ "ends_with": [{ "var": "email" }, "@example.com"] }, "b", "a"] }),
                1 => json!({ "fractional": [["a", 50], ["b", 50]] }),
                _ => json!({ "if": [{ "in": [{ "var": "plan" }, ["gold", "silver"]] }, "b", null] }),
            };
            (format!("flag-{i}"), flag(rule))
        })
        .collect();
    load("ordinary", &document(flags, json!({})));
}

#[test]
fn a_reduce_doubling_over_a_constant_list_loads_within_the_bound() {
    let _serial = serial();
    for op in ["cat", "merge"] {
        // Folded at load, this would need 2^64 bytes.
        let constant: Vec<u32> = (0..64).collect();
        let text = document(one("doubling", doubling(op, json!(constant))), json!({}));
        let client = load(op, &text);
        let (_, allocated, _) = measure(|| {
            over_budget(&client, "doubling", &Context::new("u"));
        });
        // The evaluation stops at its budget (1 MiB built).
        assert!(allocated < 8 << 20, "{op}: {allocated} bytes");
    }
}

#[test]
fn a_reduce_doubling_over_a_context_list_stops_at_the_budget_and_is_logged_once() {
    let _serial = serial();
    let text = document(
        [
            (
                "cat".to_owned(),
                flag(doubling("cat", json!({ "var": "items" }))),
            ),
            (
                "merge".to_owned(),
                flag(doubling("merge", json!({ "var": "items" }))),
            ),
        ]
        .into_iter()
        .collect(),
        json!({}),
    );
    let client = load("context list", &text);
    let many = Context::new("u").with("items", Value::List((0..64).map(Value::Int).collect()));
    let capture = support::Logs::default();
    tracing::subscriber::with_default(capture.clone(), || {
        for key in ["cat", "merge"] {
            for _ in 0..3 {
                let (_, allocated, peak) = measure(|| over_budget(&client, key, &many));
                assert!(allocated < 8 << 20, "{key}: {allocated} bytes allocated");
                assert!(peak < 4 << 20, "{key}: {peak} bytes live");
            }
        }
        plain_serves(&client, "context list");
    });
    let warnings = capture.messages();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .all(|w| w.contains("exceeded its evaluation budget"))
    );
    // A short list is evaluated as before.
    let few = Context::new("u").with("items", Value::List(vec![Value::Int(1)]));
    let details = client.details(FlagKey::<String>::new("cat", "code".into()), &few);
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("A", Reason::TargetingMatch)
    );
}

#[test]
fn deeply_nested_targeting_loads_within_the_bound_and_past_the_limit_is_rejected() {
    // 15 levels of `if` (60 levels of nesting), each with a constant array of 1,000 operations beside the next level.
    let mut rule = json!({ "var": "x" });
    for _ in 0..15 {
        let wide: Vec<Json> = (0..1000).map(|i| json!({ "+": [i, 1] })).collect();
        rule = json!({ "if": [{ "in": [rule, wide] }, "a", "b"] });
    }
    load("deep and wide", &document(one("deep", rule), json!({})));
    // Nested arrays and maps past the limit (80 levels, within JSON's 128): the document is
    // rejected, naming the path.
    let mut rule = json!({ "var": "x" });
    for _ in 0..20 {
        rule = json!({ "!": [{ "and": [rule, { "a": [[[1]]] }] }] });
    }
    let text = document(one("deeper", rule), json!({}));
    let (result, allocated, _) = measure(|| {
        Client::builder()
            .in_process(source::json(text.clone()))
            .build()
    });
    let Err(error) = result else {
        panic!("loaded a rule nested 80 levels deep");
    };
    let message = error.to_string();
    assert!(
        message.contains("flag `deeper`: `targeting.![0].and[0]"),
        "{message}"
    );
    assert!(message.contains("nested more than 64 levels"), "{message}");
    assert!(allocated <= load_bound(&text), "{allocated}");
}

#[test]
fn long_var_paths_and_long_strings_load_within_the_bound() {
    let path = vec!["segment"; 100_000].join(".");
    load(
        "long var path",
        &document(
            one("path", json!({ "if": [{ "var": path }, "b"] })),
            json!({}),
        ),
    );
    let long = "s".repeat(4 << 20);
    load(
        "long strings",
        &document(
            one(
                "strings",
                json!({ "if": [{ "in": [{ "var": "s" }, [long.clone(), { "cat": [long.clone(), long] }]] }, "b"] }),
            ),
            json!({}),
        ),
    );
}

#[test]
fn long_unknown_names_load_within_the_bound_with_short_messages() {
    let long = "n".repeat(1 << 20);
    let evaluators = json!({ "n".repeat((1 << 20) - 1): { "var": "x" }, "staff": { "var": "x" } });
    let mut operation = serde_json::Map::new();
    operation.insert(long.clone(), json!([1]));
    let mut flags = one("missing-ref", json!({ "if": [{ "$ref": long }, "b"] }));
    flags.extend(one(
        "unknown-operator",
        json!({ "if": [Json::Object(operation), "b"] }),
    ));
    let client = load("long names", &document(flags, evaluators));
    for key in ["missing-ref", "unknown-operator"] {
        let details = client.details(
            FlagKey::<String>::new(key.to_owned(), "code".into()),
            &Context::new("u"),
        );
        assert_eq!(details.error_code(), Some(ErrorCode::ParseError), "{key}");
        let message = details.error_message().unwrap_or_default();
        assert!(message.len() < 300, "{key}: {} bytes", message.len());
    }
}

#[test]
fn many_uses_of_a_large_evaluator_load_within_the_bound() {
    // An evaluator of ~3,000 nodes, used by 2,000 flags: 6,000,000 nodes if each copied it.
    let big: Vec<Json> = (0..1000)
        .map(|i| json!({ "==": [{ "var": "n" }, i] }))
        .collect();
    let evaluators = json!({ "big": { "or": big } });
    let flags = (0..2000)
        .map(|i| {
            (
                format!("f{i}"),
                flag(json!({ "if": [{ "$ref": "big" }, "b"] })),
            )
        })
        .collect();
    let client = load("many uses", &document(flags, evaluators));
    let hit = Context::new("u").with("n", 7);
    let details = client.details(FlagKey::<String>::new("f1999", "code".into()), &hit);
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("B", Reason::TargetingMatch)
    );
    // Many unknown names against many evaluators: suggestions stop at the configuration's
    // budget, loading stays within the bound.
    let evaluators: serde_json::Map<String, Json> = (0..2000)
        .map(|i| (format!("segment-{i:04}"), json!({ "var": "x" })))
        .collect();
    let flags = (0..2000)
        .map(|i| {
            let rule = json!({ "if": [{ "$ref": format!("segment-{i:04}-typo") }, "b"] });
            (format!("f{i}"), flag(rule))
        })
        .collect();
    load("many misses", &document(flags, Json::Object(evaluators)));
}

#[test]
fn hostile_updates_through_a_refresh_stay_within_the_bound() {
    let _serial = serial();
    let dir = std::env::temp_dir().join(format!("flags-bounded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flags.json");
    let good = document(one("doubling", json!({ "if": [true, "b"] })), json!({}));
    std::fs::write(&path, &good).unwrap();
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let key = FlagKey::<String>::new("doubling", "code".into());
    let served = |client: &Client| client.details(&key, &Context::new("u")).value;
    assert_eq!(served(&client), "B");

    // Nesting past the limit: rejected whole, the old configuration keeps serving.
    let mut rule = json!({ "var": "x" });
    for _ in 0..40 {
        rule = json!({ "!": [rule] });
    }
    let deep = document(one("doubling", rule), json!({}));
    assert!(deep.contains(r#"[{"!":[{"!":"#));
    std::fs::write(&path, &deep).unwrap();
    let (result, allocated, _) = measure(|| client.refresh());
    assert!(result.is_err());
    assert!(allocated <= load_bound(&deep), "{allocated}");
    assert_eq!(served(&client), "B");
    plain_serves(&client, "rejected update");

    // A rule doubling its accumulator: the update loads within the bound; the flag answers
    // its default with GENERAL; the others serve.
    let constant: Vec<u32> = (0..64).collect();
    let doubling = document(
        one("doubling", doubling("merge", json!(constant))),
        json!({}),
    );
    std::fs::write(&path, &doubling).unwrap();
    let (result, allocated, peak) = measure(|| client.refresh());
    result.unwrap();
    assert!(allocated <= load_bound(&doubling), "{allocated}");
    assert!(peak <= peak_bound(&doubling), "{peak}");
    over_budget(&client, "doubling", &Context::new("u"));
    plain_serves(&client, "doubling update");

    // The other shapes, one update each: within the bound, the other flags serving.
    let long = "n".repeat(1 << 20);
    let big: Vec<Json> = (0..1000)
        .map(|i| json!({ "==": [{ "var": "n" }, i] }))
        .collect();
    let many_uses = (0..2000)
        .map(|i| {
            (
                format!("f{i}"),
                flag(json!({ "if": [{ "$ref": "big" }, "b"] })),
            )
        })
        .collect();
    let updates = [
        (
            "long names",
            document(
                one("doubling", json!({ "if": [{ "$ref": long.clone() }, "b"] })),
                json!({ long.clone() + "x": { "var": "x" } }),
            ),
        ),
        (
            "long path",
            document(
                one("doubling", json!({ "var": vec!["s"; 200_000].join(".") })),
                json!({}),
            ),
        ),
        (
            "many uses",
            document(many_uses, json!({ "big": { "or": big } })),
        ),
    ];
    for (shape, text) in updates {
        std::fs::write(&path, &text).unwrap();
        let (result, allocated, peak) = measure(|| client.refresh());
        result.unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert!(allocated <= load_bound(&text), "{shape}: {allocated}");
        assert!(peak <= peak_bound(&text), "{shape}: {peak}");
        plain_serves(&client, shape);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flagship_definitions_load_within_the_bound_broken_flags_included() {
    let _serial = serial();
    let long = "v".repeat(1 << 16);
    let flags: serde_json::Map<String, Json> = (0..2000)
        .map(|i| {
            let flag = match i % 4 {
                0 => json!({ "enabled": true, "default_variation": "a",
                             "variations": { "a": "A", "b": "B" },
                             "rules": [{ "conditions": [{ "attribute": "email",
                                 "operator": "ends_with", "value": "@example.com" }],
                                 "serve_variation": "b", "rollout": { "percentage": 50 } }] }),
                // Broken: a default variation that names none, long.
                1 => json!({ "enabled": true, "default_variation": long,
                             "variations": { "a": "A" } }),
                2 => json!({ "enabled": true, "variations": [1, 2, 3] }),
                _ => json!({ "enabled": true, "default_variation": "a",
                             "variations": { "a": "A", "b": 2, "c": [long] }, "rules": [] }),
            };
            (format!("flag-{i}"), flag)
        })
        .collect();
    let text = json!({ "flags": flags }).to_string();
    let (client, allocated, peak) = measure(|| {
        Client::builder()
            .in_process(
                source::json(text.clone()).format(flags_runtime::Format::Flagship {
                    account_id: "acc".into(),
                }),
            )
            .build()
    });
    let client = client.unwrap();
    assert!(
        allocated <= load_bound(&text),
        "{allocated} for {}",
        text.len()
    );
    assert!(peak <= peak_bound(&text), "{peak} for {}", text.len());
    let broken = client.details(
        FlagKey::<String>::new("flag-1", "code".into()),
        &Context::new("u"),
    );
    assert_eq!(broken.error_code(), Some(ErrorCode::ParseError));
    assert!(broken.error_message().unwrap().len() < 400);
    let served = client.details(
        FlagKey::<String>::new("flag-3", "code".into()),
        &Context::new("u"),
    );
    assert_eq!(
        (served.value.as_str(), served.reason),
        ("A", Reason::Static)
    );
}
