//! The evaluation fast path allocates nothing (`docs/design.md`): a typed read of a static scalar
//! flag and its details, a `Flags` struct of scalar fields, and scalar flags decided by
//! targeting rules (an `ends_with` on an attribute, `fractional` rollouts in each version, a
//! `sem_ver` and an `in` test) count zero heap allocations once warm; so do Flipt's rules (a segment rule, a threshold rollout, a
//! static boolean flag), GO Feature Flag's (also with a remote fallback configured), and a
//! scalar read answered by the cache of a per-evaluation remote provider, and FlagKit's values
//! (feature `http`).
//!
//! A counting global allocator wraps the system allocator and counts only on the thread that
//! turned counting on, so the test harness's other threads do not disturb the count. The file
//! holds a single test so that the measured sections run one after the other.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Duration;

use flags_runtime::tracking::{Event, EventOptions, ExportError, Exporter};
use flags_runtime::{
    Client, Context, Evaluation, FlagKey, Flags, Hook, InMemory, InMemoryFlag, Reason,
    TrackingDetails, Value, api, source,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    // `try_with`: the allocator may run while thread-locals are being torn down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; counting touches only an atomic and a const-initialised thread-local, neither of
// which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The number of allocations `f` makes on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    let n = ALLOCATIONS.load(Ordering::SeqCst);
    // Dropped after counting stops: freeing is not allocating, but the result is kept alive
    // through the measured section so that nothing is optimised away.
    drop(black_box(result));
    n
}

const FLAGS: &str = r#"{
  "metadata": { "flagSetId": "shop" },
  "flags": {
    "dark-mode": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "on",
      "metadata": { "owner": "web" }
    },
    "upload-limit": {
      "state": "ENABLED",
      "variants": { "small": 10, "large": 100 },
      "defaultVariant": "large"
    },
    "discount": {
      "state": "ENABLED",
      "variants": { "none": 0.0, "some": 0.15 },
      "defaultVariant": "some"
    },
    "staff-banner": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "off",
      "targeting": { "if": [{ "ends_with": [{ "var": "email" }, "@example.com"] }, "on", "off"] }
    },
    "rollout": {
      "state": "ENABLED",
      "variants": { "old": 1, "new": 2 },
      "defaultVariant": "old",
      "targeting": { "fractional": [["old", 50], ["new", 50]] }
    },
    "by-version": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "off",
      "targeting": {
        "if": [
          { "and": [
            { "sem_ver": [{ "var": "app.version" }, ">=", "2.1.0"] },
            { "in": [{ "var": "plan" }, ["premium", "team"]] },
            { ">=": [{ "var": "seats" }, 10] }
          ] },
          "on",
          "off"
        ]
      }
    }
  }
}"#;

struct Checkout {
    dark_mode: bool,
    upload_limit: i64,
    discount: f64,
}

impl Checkout {
    const DARK_MODE: FlagKey<bool> = FlagKey::from_fn("dark-mode", || false);
    const UPLOAD_LIMIT: FlagKey<i64> = FlagKey::from_fn("upload-limit", || 1);
    const DISCOUNT: FlagKey<f64> = FlagKey::from_fn("discount", || 0.0);
}

impl Flags for Checkout {
    fn evaluate(evaluation: &Evaluation<'_>) -> Self {
        Checkout {
            dark_mode: evaluation.value(&Self::DARK_MODE),
            upload_limit: evaluation.value(&Self::UPLOAD_LIMIT),
            discount: evaluation.value(&Self::DISCOUNT),
        }
    }
}

#[test]
fn scalar_evaluation_does_not_allocate() {
    // The counter counts: an allocation in a measured section is seen.
    assert!(allocations(|| black_box(Vec::<u8>::with_capacity(16))) >= 1);
    assert_eq!(allocations(|| black_box(1 + 1)), 0);

    let client = Client::builder()
        .in_process(source::json(FLAGS))
        .build()
        .unwrap();
    let ctx = Context::new("user-1")
        .with("plan", "premium")
        .with("email", "ann@example.com")
        .with("seats", 12)
        .with(
            "app",
            std::collections::BTreeMap::from([("version", Value::from("2.3.0"))]),
        );
    let dark_mode = FlagKey::<bool>::new("dark-mode", false);
    let upload_limit = FlagKey::<i64>::new("upload-limit", 1);
    let discount = FlagKey::<f64>::new("discount", 0.0);
    let limit_as_float = FlagKey::<f64>::new("upload-limit", 0.0);

    // Warm up: the first read on a thread may set up per-thread state (arc-swap's debt list).
    assert!(client.value(&dark_mode, &ctx));
    assert_eq!(client.value(&upload_limit, &ctx), 100);
    assert_eq!(client.value(&discount, &ctx), 0.15);
    assert_eq!(client.value(&limit_as_float, &ctx), 100.0);
    let checkout: Checkout = client.flags(&ctx);
    assert!(checkout.dark_mode);
    assert_eq!(checkout.upload_limit, 100);
    assert_eq!(checkout.discount, 0.15);

    let n = allocations(|| client.value(&dark_mode, &ctx));
    assert_eq!(n, 0, "`value` of a boolean flag allocated {n} times");
    let n = allocations(|| client.value(&upload_limit, &ctx));
    assert_eq!(n, 0, "`value` of an integer flag allocated {n} times");
    let n = allocations(|| client.value(&discount, &ctx));
    assert_eq!(n, 0, "`value` of a float flag allocated {n} times");
    let n = allocations(|| client.value(&limit_as_float, &ctx));
    assert_eq!(
        n, 0,
        "`value` of an integer flag read as f64 allocated {n} times"
    );
    let n = allocations(|| client.flags::<Checkout>(&ctx));
    assert_eq!(n, 0, "`flags` of a 3-field struct allocated {n} times");
    // Details of a static flag, through a key with a `'static` name: its variant and metadata
    // are shared, not copied.
    let details = client.details(&dark_mode, &ctx);
    assert_eq!(
        (details.value, details.variant.as_deref()),
        (true, Some("on"))
    );
    assert!(details.flag_metadata.get("owner").is_some());
    let n = allocations(|| client.details(&dark_mode, &ctx));
    assert_eq!(n, 0, "`details` of a static flag allocated {n} times");

    // Many reads, not only one.
    let n = allocations(|| {
        let mut sum = 0i64;
        for _ in 0..1000 {
            sum += client.value(&upload_limit, &ctx);
            sum += i64::from(client.value(&dark_mode, &ctx));
            sum += client.value(&discount, &ctx) as i64;
            sum += client.flags::<Checkout>(&ctx).upload_limit;
        }
        sum
    });
    assert_eq!(n, 0, "1000 rounds of reads allocated {n} times");

    // Targeting rules with scalar results.
    let staff = FlagKey::<bool>::new("staff-banner", false);
    let rollout = FlagKey::<i64>::new("rollout", 0);
    let by_version = FlagKey::<bool>::new("by-version", false);
    // Warm, and the rules decide (not a default): TARGETING_MATCH.
    for (reason, name) in [
        (client.details(&staff, &ctx).reason, "staff-banner"),
        (client.details(&rollout, &ctx).reason, "rollout"),
        (client.details(&by_version, &ctx).reason, "by-version"),
    ] {
        assert_eq!(reason, Reason::TargetingMatch, "{name}");
    }
    assert!(client.value(&staff, &ctx));
    assert!(client.value(&by_version, &ctx));
    let n = allocations(|| client.value(&staff, &ctx));
    assert_eq!(n, 0, "an `ends_with` rule allocated {n} times");
    let n = allocations(|| client.value(&rollout, &ctx));
    assert_eq!(n, 0, "a `fractional` rollout allocated {n} times");
    let n = allocations(|| client.value(&by_version, &ctx));
    assert_eq!(n, 0, "a `sem_ver` / `in` / `>=` rule allocated {n} times");
    // With and without the attributes the rules read (no targeting key: `fractional` gives
    // null, the default variant).
    let anonymous = Context::anonymous();
    let n = allocations(|| {
        let mut on = 0;
        for i in 0..1000 {
            let ctx = if i % 2 == 0 { &ctx } else { &anonymous };
            on += i64::from(client.value(&staff, ctx)) + client.value(&rollout, ctx);
        }
        on
    });
    assert_eq!(n, 0, "1000 rounds of targeted reads allocated {n} times");

    // Every version of `fractional` (v3 hashes the CBOR encoding of the bucketing value,
    // written nowhere): the implicit key, a string attribute, a number attribute, a `cat`.
    fractional_versions_do_not_allocate();

    // A static flag read through a key caching its flag (as generated constants do): the
    // value the key's slot caches.
    static SLOT: flags_runtime::__private::KeySlot = flags_runtime::__private::KeySlot::new();
    let slotted =
        flags_runtime::__private::with_slot(FlagKey::from_fn("dark-mode", || false), &SLOT);
    assert!(client.value(&slotted, &ctx));
    let n = allocations(|| client.value(&slotted, &ctx));
    assert_eq!(
        n, 0,
        "a static flag through a key with a slot allocated {n} times"
    );

    // Flagship's rules: static, one `ends_with` condition, a 50 % rollout (by a string key, by
    // a number written on the stack, and without the key: a random bucket).
    let flagship = flagship_client();
    let fs_static = FlagKey::<bool>::new("fs-static", false);
    let fs_ends_with = FlagKey::<bool>::new("fs-ends-with", false);
    let fs_rollout = FlagKey::<bool>::new("rollout_test", false);
    let split_ctx = Context::new("0")
        .with("email", "ada@example.com")
        .with("n", 12.5);
    for (key, reason) in [
        (&fs_static, Reason::Static),
        (&fs_ends_with, Reason::TargetingMatch),
        (&fs_rollout, Reason::Split),
    ] {
        assert_eq!(
            flagship.details(key, &split_ctx).reason,
            reason,
            "{}",
            key.key()
        );
        assert!(flagship.value(key, &split_ctx), "{}", key.key());
    }
    for (key, what) in [
        (&fs_static, "a static Flagship flag"),
        (&fs_ends_with, "a Flagship `ends_with` rule"),
        (&fs_rollout, "a Flagship 50 % rollout"),
    ] {
        let n = allocations(|| flagship.value(key, &split_ctx));
        assert_eq!(n, 0, "{what} allocated {n} times");
    }
    let by_number = FlagKey::<bool>::new("fs-rollout-by-number", false);
    let _ = flagship.value(&by_number, &split_ctx);
    let _ = flagship.value(&fs_rollout, &anonymous);
    let n = allocations(|| {
        let mut on = 0;
        for i in 0..1000 {
            let ctx = if i % 2 == 0 { &split_ctx } else { &anonymous };
            on += u32::from(flagship.value(&by_number, ctx))
                + u32::from(flagship.value(&fs_rollout, ctx));
        }
        on
    });
    assert_eq!(n, 0, "1000 rounds of Flagship rollouts allocated {n} times");

    // The measured results are the flags' values, not defaults.
    assert!(allocations(|| client.value(&dark_mode, &ctx)) == 0 && client.value(&dark_mode, &ctx));

    // Hooks and contexts registered, then removed: reads are back on the plain path.
    struct Nothing;
    impl Hook for Nothing {}
    api().add_hook(Nothing);
    api().set_context(Context::anonymous().with("region", "eu"));
    client.add_hook(Nothing);
    client.set_context(Context::anonymous().with("tier", "gold"));
    assert!(
        allocations(|| client.value(&dark_mode, &ctx)) > 0,
        "hooks run"
    );
    api().clear_hooks();
    api().set_context(Context::anonymous());
    client.clear_hooks();
    client.set_context(Context::anonymous());
    let n = allocations(|| client.value(&dark_mode, &ctx));
    assert_eq!(n, 0, "`value` with hooks unset allocated {n} times");
    let n = allocations(|| client.flags::<Checkout>(&ctx));
    assert_eq!(n, 0, "`flags` with hooks unset allocated {n} times");

    // The in-memory provider reads scalars without allocating too.
    let memory = InMemory::new([(
        "upload-limit",
        InMemoryFlag::new([("small", 10), ("large", 100)]).default_variant("large"),
    )])
    .client();
    assert_eq!(memory.value(&upload_limit, &ctx), 100);
    let n = allocations(|| memory.value(&upload_limit, &ctx));
    assert_eq!(n, 0, "in-memory `value` allocated {n} times");

    // A multi-provider reads its members' views: the first member's answer allocates
    // nothing, and a fall-through to the second nothing of its own.
    let second = InMemory::new([(
        "only-in-memory",
        InMemoryFlag::new([("seven", 7)]).default_variant("seven"),
    )]);
    let multi = flags_runtime::provider::multi(flags_runtime::provider::Strategy::FirstMatch)
        .provider(client.clone())
        .provider(second)
        .build();
    let multi = flags_runtime::Client::builder()
        .provider(multi)
        .build()
        .unwrap();
    let only_in_memory = FlagKey::<i64>::new("only-in-memory", 1);
    assert!(multi.value(&dark_mode, &ctx));
    assert_eq!(multi.value(&only_in_memory, &ctx), 7);
    let n = allocations(|| multi.value(&dark_mode, &ctx));
    assert_eq!(
        n, 0,
        "multi-provider `value`, first member, allocated {n} times"
    );
    // A value read of a missing flag builds no message; falling through a multi-provider
    // costs what the first member's FLAG_NOT_FOUND details cost: the message.
    let n = allocations(|| client.value(&only_in_memory, &ctx));
    assert_eq!(n, 0, "in-process FLAG_NOT_FOUND value allocated {n} times");
    let n = allocations(|| multi.value(&only_in_memory, &ctx));
    assert_eq!(
        n, 1,
        "multi-provider `value`, second member, allocated {n} times"
    );

    flipt_reads_do_not_allocate();
    gofeatureflag_reads_do_not_allocate();

    #[cfg(feature = "http")]
    gofeatureflag_reads_with_a_remote_fallback_do_not_allocate();
    #[cfg(feature = "http")]
    remote_cache_hits_do_not_allocate(&ctx);
    #[cfg(feature = "http")]
    bulk_reads_do_not_allocate(&ctx);
    #[cfg(feature = "http")]
    flagkit_reads_do_not_allocate(&ctx);

    tracking_allocates_only_the_event();
}

/// `fractional` in each version, bucketing by the implicit key, a string, a number, a `cat`
/// of attributes and one of the flag key and an attribute: nothing allocated.
fn fractional_versions_do_not_allocate() {
    let flags = r#"{"flags": {
      "implicit": { "state": "ENABLED", "variants": { "a": 1, "b": 2 }, "defaultVariant": "a",
        "targeting": { "fractional": [["a", 50], ["b", 50]] } },
      "by-email": { "state": "ENABLED", "variants": { "a": 1, "b": 2 }, "defaultVariant": "a",
        "targeting": { "fractional": [{ "var": "email" }, ["a", 50], ["b", 50]] } },
      "by-seats": { "state": "ENABLED", "variants": { "a": 1, "b": 2 }, "defaultVariant": "a",
        "targeting": { "fractional": [{ "var": "seats" }, ["a", 50], ["b", 50]] } },
      "by-cat": { "state": "ENABLED", "variants": { "a": 1, "b": 2 }, "defaultVariant": "a",
        "targeting": { "fractional": [{ "cat": [{ "var": "plan" }, { "var": "email" }] },
          ["a", 50], ["b", 50]] } },
      "by-key-cat": { "state": "ENABLED", "variants": { "a": 1, "b": 2 }, "defaultVariant": "a",
        "targeting": { "fractional": [{ "cat": [{ "var": "$flagd.flagKey" }, { "var": "email" }] },
          ["a", 50], ["b", 50]] } }
    }}"#;
    let ctx = Context::new("user-1")
        .with("email", "ann@example.com")
        .with("plan", "premium")
        .with("seats", 12);
    for version in [
        flags_runtime::FractionalVersion::V1,
        flags_runtime::FractionalVersion::V2,
        flags_runtime::FractionalVersion::V3,
    ] {
        let client = Client::builder()
            .in_process(source::json(flags))
            .engine(flags_runtime::EngineOptions::default().with_fractional(version))
            .build()
            .unwrap();
        for name in ["implicit", "by-email", "by-seats", "by-cat", "by-key-cat"] {
            let key = FlagKey::<i64>::new(name, 0);
            // A bucket was chosen (not the code default, not an error); a number is a bucketing
            // value in v3 only (before, null: the default variant).
            let details = client.details(&key, &ctx);
            let reason = if name == "by-seats" && version != flags_runtime::FractionalVersion::V3 {
                Reason::Default
            } else {
                Reason::TargetingMatch
            };
            assert_eq!(details.reason, reason, "{name} {version:?}");
            assert!(matches!(details.value, 1 | 2), "{name} {version:?}");
            let n = allocations(|| client.value(&key, &ctx));
            // `cat` of string attributes too: the rule's specialised form hashes the strings
            // in place, where the interpreter builds the string and its list of arguments.
            assert_eq!(
                n, 0,
                "`fractional` {version:?} by {name} allocated {n} times"
            );
        }
    }
}

/// `track()`: nothing without an exporter; with one, the event's own strings (its name and
/// the context's targeting key), the queue's room being kept; with the event log, one more
/// for the record. A read without an exporter of evaluation events allocates nothing more.
fn tracking_allocates_only_the_event() {
    struct Discard;
    impl Exporter for Discard {
        fn name(&self) -> &str {
            "discard"
        }
        fn export(&mut self, _: &[Event]) -> Result<(), ExportError> {
            Ok(())
        }
    }
    let ctx = Context::new("user-1");
    let none = Client::builder()
        .in_process(source::json(FLAGS))
        .build()
        .unwrap();
    none.track("checkout", &ctx, TrackingDetails::new());
    let n = allocations(|| none.track("checkout", &ctx, TrackingDetails::new()));
    assert_eq!(n, 0, "`track` without exporter allocated {n} times");

    let options = EventOptions::default()
        .batch_size(1000)
        .flush_interval(Duration::from_secs(3600));
    let one = Client::builder()
        .in_process(source::json(FLAGS))
        .events(Discard)
        .event_options(options)
        .build()
        .unwrap();
    // Warm up: the queue grows once, and keeps its room when it is sent.
    for _ in 0..10 {
        one.track("checkout", &ctx, TrackingDetails::new());
    }
    assert!(one.flush_events(Duration::from_secs(10)));
    let n = allocations(|| one.track("checkout", &ctx, TrackingDetails::new()));
    assert_eq!(
        n, 2,
        "`track` with an exporter allocated {n} times (name, targeting key)"
    );
    let dark_mode = FlagKey::<bool>::new("dark-mode", false);
    assert!(one.value(&dark_mode, &ctx));
    let n = allocations(|| one.value(&dark_mode, &ctx));
    assert_eq!(
        n, 0,
        "a read beside a tracking exporter allocated {n} times"
    );

    let dir = std::env::temp_dir().join(format!("flags-alloc-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let logged = Client::builder()
        .in_process(source::json(FLAGS))
        .events(Discard)
        .event_options(options)
        .event_log(&dir)
        .build()
        .unwrap();
    for _ in 0..10 {
        logged.track("checkout", &ctx, TrackingDetails::new());
    }
    assert!(logged.flush_events(Duration::from_secs(10)));
    let n = allocations(|| logged.track("checkout", &ctx, TrackingDetails::new()));
    assert_eq!(
        n, LOGGED_TRACK,
        "`track` with the event log allocated {n} times"
    );
    drop(logged);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The allocations of one `track()` with the event log: the event (2) and its frame, the JSON
/// written in place.
const LOGGED_TRACK: usize = 3;

/// Flipt's dialect: a variant flag with one segment rule (read as an enum of its variant
/// keys), a boolean threshold rollout, a static boolean flag; a `String` read allocates only
/// the string.
fn flipt_reads_do_not_allocate() {
    #[derive(Clone, Copy, PartialEq, Debug, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Colour {
        Red,
        Blue,
    }
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
    colour.variants.insert("red".into(), json!("red"));
    colour.variants.insert("blue".into(), json!("blue"));
    colour.targeting = flipt(
        json!({ "key": "colour", "type": "VARIANT_FLAG_TYPE", "enabled": true,
        "rules": [{ "segmentOperator": "OR_SEGMENT_OPERATOR",
            "segments": [{ "key": "pro", "matchType": "ALL_SEGMENT_MATCH_TYPE", "constraints": [
                { "type": "STRING_CONSTRAINT_COMPARISON_TYPE", "property": "plan", "operator": "eq", "value": "premium" }] }],
            "distributions": [{ "variantKey": "red", "rollout": 50 }, { "variantKey": "blue", "rollout": 50 }] }] }),
    );
    manifest.flags.insert("colour".into(), colour);
    let mut half = Flag::new(FlagType::Boolean, Some(json!(false)));
    half.targeting = flipt(
        json!({ "key": "half", "type": "BOOLEAN_FLAG_TYPE", "enabled": false,
        "rollouts": [{ "threshold": { "percentage": 99, "value": true } }] }),
    );
    manifest.flags.insert("half".into(), half);
    let mut on = Flag::new(FlagType::Boolean, Some(json!(true)));
    on.targeting = flipt(json!({ "key": "on", "type": "BOOLEAN_FLAG_TYPE", "enabled": true }));
    manifest.flags.insert("on".into(), on);
    let lock = manifest.to_lock_string();
    let client = Client::builder()
        .in_process(source::json(lock))
        .build()
        .unwrap();
    let colour = FlagKey::<Colour>::new("colour", Colour::Red);
    let colour_name = FlagKey::<String>::new("colour", String::new());
    let half = FlagKey::<bool>::new("half", false);
    let on = FlagKey::<bool>::new("on", false);
    let ctx = Context::new("user-1").with("plan", "premium");
    assert_eq!(client.details(&colour, &ctx).reason, Reason::Split);
    assert_eq!(client.details(&half, &ctx).reason, Reason::Split);
    assert_eq!(client.details(&on, &ctx).reason, Reason::Default);
    assert!(client.value(&on, &ctx));
    let n = allocations(|| client.value(&colour, &ctx));
    assert_eq!(
        n, 0,
        "a Flipt variant flag read as an enum allocated {n} times"
    );
    let n = allocations(|| client.value(&half, &ctx));
    assert_eq!(n, 0, "a Flipt threshold rollout allocated {n} times");
    let n = allocations(|| client.value(&on, &ctx));
    assert_eq!(n, 0, "a static Flipt boolean flag allocated {n} times");
    let n = allocations(|| client.value(&colour_name, &ctx));
    assert_eq!(
        n, 1,
        "a Flipt variant flag read as a String allocated {n} times"
    );
    // With and without the attribute the segment reads.
    let other = Context::new("user-2");
    let n = allocations(|| {
        let mut count = 0;
        for i in 0..1000 {
            let ctx = if i % 2 == 0 { &ctx } else { &other };
            count += usize::from(client.value(&colour, ctx) == Colour::Blue);
            count += usize::from(client.value(&half, ctx)) + usize::from(client.value(&on, ctx));
        }
        count
    });
    assert_eq!(n, 0, "1000 rounds of Flipt reads allocated {n} times");
}

/// GO Feature Flag's dialect, from a flag file as users write it: a static flag, a one-clause
/// query rule (matching, not matching, against upper case), a 50/50 percentage and a flag
/// whose answer depends on "now" read as an integer.
fn gofeatureflag_reads_do_not_allocate() {
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
        },
        "limit": {
            "variations": { "small": 10, "large": 100 },
            "defaultRule": { "progressiveRollout": {
                "initial": { "variation": "small", "date": "2025-01-01T00:00:00Z" },
                "end": { "variation": "large", "date": "2025-02-01T00:00:00Z" } } }
        }
    });
    let client = Client::builder()
        .in_process(source::json(file.to_string()).format(flags_runtime::Format::GoFeatureFlag))
        .build()
        .unwrap();
    let fixed = FlagKey::<bool>::new("static", false);
    let staff = FlagKey::<bool>::new("staff", false);
    let half = FlagKey::<bool>::new("half", false);
    let limit = FlagKey::<i64>::new("limit", 0);
    let ada = Context::new("user-1").with("email", "ada@example.com");
    let upper = Context::new("user-2").with("email", "BOB@EXAMPLE.COM");
    let other = Context::new("user-3").with("email", "eve@elsewhere.org");
    assert_eq!(client.details(&fixed, &ada).reason, Reason::Static);
    assert!(client.value(&staff, &ada) && client.value(&staff, &upper));
    assert!(!client.value(&staff, &other));
    assert_eq!(client.details(&half, &ada).reason, Reason::Split);
    assert_eq!(client.value(&limit, &ada), 100);
    for (name, n) in [
        ("a static flag", allocations(|| client.value(&fixed, &ada))),
        (
            "a query rule, matching",
            allocations(|| client.value(&staff, &ada)),
        ),
        (
            "a query rule, upper case",
            allocations(|| client.value(&staff, &upper)),
        ),
        (
            "a query rule, not matching",
            allocations(|| client.value(&staff, &other)),
        ),
        (
            "a 50/50 percentage",
            allocations(|| client.value(&half, &ada)),
        ),
        (
            "a progressive rollout",
            allocations(|| client.value(&limit, &ada)),
        ),
    ] {
        assert_eq!(n, 0, "GO Feature Flag: {name} allocated {n} times");
    }
}

/// GO Feature Flag's relay source with a remote fallback, whose configuration holds a flag the
/// engine cannot read: reads of the healthy flags (a static flag, a query rule, a percentage)
/// allocate nothing and never ask the fallback.
#[cfg(feature = "http")]
fn gofeatureflag_reads_with_a_remote_fallback_do_not_allocate() {
    use std::time::Duration;

    use flags_test_support::fault::{FaultServer, Reply};

    let server = FaultServer::start();
    let configuration = serde_json::json!({ "flags": {
        "static": { "variations": { "on": true, "off": false }, "defaultRule": { "variation": "on" } },
        "staff": {
            "variations": { "on": true, "off": false },
            "targeting": [{ "query": "email ew \"@example.com\"", "variation": "on" }],
            "defaultRule": { "variation": "off" }
        },
        "half": {
            "variations": { "on": true, "off": false },
            "defaultRule": { "percentage": { "on": 50, "off": 50 } }
        },
        "broken": { "variations": { "on": true }, "disable": "maybe" }
    } });
    server.route(
        "POST",
        "/v1/flag/configuration",
        Reply::json(&configuration.to_string()),
    );
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/broken",
        Reply::json(r#"{"key":"broken","value":true,"reason":"STATIC","variant":"on"}"#),
    );
    let client = Client::builder()
        .in_process(
            source::go_feature_flag(server.url(""))
                .interval(Duration::from_secs(3600))
                .remote_fallback(flags_runtime::remote::ofrep(server.url(""))),
        )
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let fixed = FlagKey::<bool>::new("static", false);
    let staff = FlagKey::<bool>::new("staff", false);
    let half = FlagKey::<bool>::new("half", false);
    let ada = Context::new("user-1").with("email", "ada@example.com");
    assert_eq!(client.details(&fixed, &ada).reason, Reason::Static);
    assert!(client.value(&staff, &ada));
    assert_eq!(client.details(&half, &ada).reason, Reason::Split);
    let n = allocations(|| {
        let mut count = 0;
        for _ in 0..1000 {
            count += usize::from(client.value(&fixed, &ada));
            count +=
                usize::from(client.value(&staff, &ada)) + usize::from(client.value(&half, &ada));
        }
        count
    });
    assert_eq!(
        n, 0,
        "1000 rounds of GO Feature Flag reads with a remote fallback allocated {n} times"
    );
    assert_eq!(
        server.count_path("/ofrep"),
        0,
        "a healthy flag asked the fallback"
    );
    assert_eq!(
        client.remote_fallback_stats().map(|s| s.reads),
        Some(0),
        "a healthy flag reached the fallback"
    );
}

/// An OFREP client in bulk mode: once the evaluation is held, scalar reads and a struct of
/// scalars allocate nothing, as in-process reads.
#[cfg(feature = "http")]
fn bulk_reads_do_not_allocate(ctx: &Context) {
    use std::time::Duration;

    use flags_test_support::fault::{FaultServer, Reply};

    let server = FaultServer::start();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags",
        Reply::json(
            r#"{"flags":[
                {"key":"beta","value":true,"reason":"TARGETING_MATCH","variant":"on"},
                {"key":"limit","value":250,"reason":"STATIC"},
                {"key":"ratio","value":0.25,"reason":"SPLIT"}
            ]}"#,
        ),
    );
    let client = Client::builder()
        .remote(flags_runtime::remote::ofrep(server.url("")).bulk(Context::new("device-1"), None))
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let beta = FlagKey::<bool>::new("beta", false);
    let limit = FlagKey::<i64>::new("limit", 1);
    let ratio = FlagKey::<f64>::new("ratio", 0.0);
    assert!(client.value(&beta, ctx));
    assert_eq!(client.value(&limit, ctx), 250);
    assert_eq!(client.value(&ratio, ctx), 0.25);
    let n = allocations(|| {
        let mut sum = 0.0;
        for _ in 0..1000 {
            sum += f64::from(u8::from(client.value(&beta, ctx)));
            sum += client.value(&limit, ctx) as f64 + client.value(&ratio, ctx);
        }
        sum
    });
    assert_eq!(n, 0, "1000 rounds of bulk reads allocated {n} times");
    assert_eq!(server.count(), 1, "bulk reads sent requests");
}

/// A FlagKit client (values mode): once the init answer is held, scalar reads allocate
/// nothing, as bulk reads.
#[cfg(feature = "http")]
fn flagkit_reads_do_not_allocate(ctx: &Context) {
    use std::time::Duration;

    use flags_test_support::fault::Reply;
    use flags_test_support::flagkit::{FlagKitService, INIT, flag, init_body};

    let service = FlagKitService::start();
    service.route(
        "GET",
        INIT,
        Reply::json(&init_body(
            &[flag("beta", true), flag("limit", 250), flag("ratio", 0.25)],
            3600.0,
            "2026-12-05T03:00:00Z",
        )),
    );
    let client = Client::builder()
        .remote(flags_runtime::remote::flagkit("sdk_alloc_test").base_url(service.base_url()))
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let beta = FlagKey::<bool>::new("beta", false);
    let limit = FlagKey::<i64>::new("limit", 1);
    let ratio = FlagKey::<f64>::new("ratio", 0.0);
    assert!(client.value(&beta, ctx));
    assert_eq!(client.value(&limit, ctx), 250);
    assert_eq!(client.value(&ratio, ctx), 0.25);
    let n = allocations(|| {
        let mut sum = 0.0;
        for _ in 0..1000 {
            sum += f64::from(u8::from(client.value(&beta, ctx)));
            sum += client.value(&limit, ctx) as f64 + client.value(&ratio, ctx);
        }
        sum
    });
    assert_eq!(n, 0, "1000 rounds of FlagKit reads allocated {n} times");
    assert_eq!(service.count(), 1, "reads sent requests");
}

/// A per-evaluation OFREP client with a cache, filled by one blocking evaluation per flag
/// against the fault server: the sync `value` of a scalar answered by the cache allocates
/// nothing.
#[cfg(feature = "http")]
fn remote_cache_hits_do_not_allocate(ctx: &Context) {
    use std::time::Duration;

    use flags_test_support::fault::{FaultServer, Reply};

    let server = FaultServer::start();
    for (key, value) in [("beta", "true"), ("limit", "250"), ("ratio", "0.25")] {
        server.route(
            "POST",
            &format!("/ofrep/v1/evaluate/flags/{key}"),
            Reply::json(&format!(
                r#"{{"key":"{key}","value":{value},"reason":"TARGETING_MATCH","variant":"v"}}"#
            )),
        );
    }
    let client = Client::builder()
        .remote(flags_runtime::remote::ofrep(server.url("")).cache(Duration::from_secs(3600), 100))
        .build()
        .unwrap();
    let beta = FlagKey::<bool>::new("beta", false);
    let limit = FlagKey::<i64>::new("limit", 1);
    let ratio = FlagKey::<f64>::new("ratio", 0.0);
    let blocking = client.blocking();
    assert!(blocking.value(&beta, ctx));
    assert_eq!(blocking.value(&limit, ctx), 250);
    assert_eq!(blocking.value(&ratio, ctx), 0.25);
    // From now on the cache answers: reason CACHED, the server's values, no request.
    assert_eq!(client.details(&beta, ctx).reason, Reason::Cached);
    assert!(client.value(&beta, ctx));
    assert_eq!(client.value(&limit, ctx), 250);
    assert_eq!(client.value(&ratio, ctx), 0.25);

    let n = allocations(|| client.value(&beta, ctx));
    assert_eq!(n, 0, "a cached remote `value::<bool>` allocated {n} times");
    let n = allocations(|| client.value(&limit, ctx));
    assert_eq!(n, 0, "a cached remote `value::<i64>` allocated {n} times");
    let n = allocations(|| client.value(&ratio, ctx));
    assert_eq!(n, 0, "a cached remote `value::<f64>` allocated {n} times");
    let n = allocations(|| {
        let mut sum = 0.0;
        for _ in 0..1000 {
            sum += f64::from(u8::from(client.value(&beta, ctx)));
            sum += client.value(&limit, ctx) as f64 + client.value(&ratio, ctx);
        }
        sum
    });
    assert_eq!(
        n, 0,
        "1000 rounds of cached remote reads allocated {n} times"
    );
    assert!(allocations(|| client.value(&beta, ctx)) == 0 && client.value(&beta, ctx));
    // A miss (another context) is not free: the counter sees the error path.
    let someone_else = Context::new("someone-else");
    assert!(allocations(|| client.value(&beta, &someone_else)) > 0);
    assert!(!client.value(&beta, &someone_else));
    assert_eq!(server.count(), 3, "every read after the first was a hit");
}

/// Three Flagship flags (static, an `ends_with` rule, 50 % rollouts), in Flagship's dialect as
/// its importer builds them, served from a lock file.
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
        flag.default_variant = Some("off".to_owned());
        flag
    };
    let mut static_flag = flag(json!([]));
    static_flag.default_variant = Some("on".to_owned());
    static_flag.default = Some(json!(true));
    let mut manifest = Manifest::new();
    manifest.flags.insert("fs-static".into(), static_flag);
    manifest.flags.insert(
        "fs-ends-with".into(),
        flag(json!([{ "conditions": [{ "attribute": "email", "operator": "ends_with", "value": "@example.com" }], "serve_variation": "on" }])),
    );
    manifest.flags.insert(
        "rollout_test".into(),
        flag(
            json!([{ "conditions": [], "serve_variation": "on", "rollout": { "percentage": 50 } }]),
        ),
    );
    manifest.flags.insert(
        "fs-rollout-by-number".into(),
        flag(json!([{ "conditions": [], "serve_variation": "on", "rollout": { "percentage": 50, "attribute": "n" } }])),
    );
    Client::builder()
        .in_process(source::json(manifest.to_lock_string()))
        .build()
        .expect("the Flagship flags load")
}
