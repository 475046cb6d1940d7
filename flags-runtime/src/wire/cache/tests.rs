//! The cache's behaviour: hits, expiry, eviction, keys, typed reads, and threads.

use std::collections::BTreeMap;

use serde_json::json;

use super::encode::tests::canonical_text;
use super::*;
use crate::details::{ErrorCode, FlagMetadata};
use crate::value::Value;

fn cache(ttl_secs: u64, max: usize) -> (RemoteCache, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    let cache = RemoteCache::with_clock(
        CacheOptions {
            ttl: Duration::from_secs(ttl_secs),
            max_entries: max,
        },
        clock.clone(),
    );
    (cache, clock)
}

fn answer(value: serde_json::Value) -> Arc<Resolution> {
    Arc::new(Resolution::value(value, Reason::TargetingMatch))
}

const BOOL: TypeId = TypeId::of::<bool>();

#[test]
fn a_hit_reports_cached() {
    let (cache, _) = cache(60, 10);
    let key = FlagKey::new("f", false);
    let ctx = Context::new("u").with("plan", "pro");
    assert!(cache.details(&key, &ctx).is_none());
    let mut stored = Resolution::value(json!(true), Reason::TargetingMatch);
    stored.variant = Some("on".into());
    assert!(cache.insert_for(&key, &ctx, Arc::new(stored)));
    let d = cache.details(&key, &ctx).unwrap();
    assert_eq!((d.value, d.reason, d.error), (true, Reason::Cached, None));
    assert_eq!(d.variant.as_deref(), Some("on"));
    assert_eq!(cache.len(), 1);
}

#[test]
fn on_the_system_clock_hits_compare_with_the_time_of_the_last_tick_or_insert() {
    let cache = RemoteCache::new(CacheOptions {
        ttl: Duration::from_millis(20),
        max_entries: 10,
    });
    assert_eq!(cache.tick_every(), Duration::from_millis(10));
    let ctx = Context::new("u");
    assert!(cache.insert("f", BOOL, &ctx, answer(json!(true))));
    assert!(cache.get("f", BOOL, &ctx).is_some());
    std::thread::sleep(Duration::from_millis(30));
    // No tick since: the entry is still served (at most one tick period late).
    assert!(cache.get("f", BOOL, &ctx).is_some());
    cache.tick();
    assert!(cache.get("f", BOOL, &ctx).is_none());
    assert_eq!(cache.len(), 0);
}

#[test]
fn entries_expire_after_the_ttl() {
    let (cache, clock) = cache(30, 10);
    let ctx = Context::new("u");
    assert!(cache.insert("f", BOOL, &ctx, answer(json!(true))));
    clock.advance(Duration::from_secs(29));
    assert!(cache.get("f", BOOL, &ctx).is_some());
    clock.advance(Duration::from_secs(1));
    assert!(cache.get("f", BOOL, &ctx).is_none());
    assert_eq!(cache.len(), 0, "an expired entry is dropped when looked up");
    // A new insert starts a new lifetime.
    assert!(cache.insert("f", BOOL, &ctx, answer(json!(false))));
    clock.advance(Duration::from_secs(29));
    assert_eq!(
        cache.get("f", BOOL, &ctx).unwrap().value,
        Some(json!(false))
    );
}

#[test]
fn a_full_cache_evicts_an_entry_unused_since_the_hand_passed() {
    let (cache, clock) = cache(60, 3);
    let ctx = |n: i64| Context::new("u").with("n", n);
    for n in 0..3 {
        assert!(cache.insert("f", BOOL, &ctx(n), answer(json!(n))));
    }
    // Use 0: the hand spares it (and clears its flag), then takes 1, unused.
    assert!(cache.get("f", BOOL, &ctx(0)).is_some());
    assert!(cache.insert("f", BOOL, &ctx(3), answer(json!(3))));
    assert_eq!(cache.len(), 3);
    assert!(cache.get("f", BOOL, &ctx(1)).is_none());
    // 2 was not used since: it goes next, not 0 nor 3.
    assert!(cache.insert("f", BOOL, &ctx(4), answer(json!(4))));
    assert!(cache.get("f", BOOL, &ctx(2)).is_none());
    for n in [0, 3, 4] {
        assert_eq!(cache.get("f", BOOL, &ctx(n)).unwrap().value, Some(json!(n)));
    }
    // All three used: the hand clears every flag and takes the first it passes again.
    assert!(cache.insert("f", BOOL, &ctx(5), answer(json!(5))));
    assert_eq!(cache.len(), 3);
    let kept = [0, 3, 4]
        .into_iter()
        .filter(|&n| cache.get("f", BOOL, &ctx(n)).is_some())
        .count();
    assert_eq!(kept, 2);
    // Replacing an entry does not grow the cache and marks it used.
    assert!(cache.insert("f", BOOL, &ctx(5), answer(json!(50))));
    assert_eq!(cache.len(), 3);
    assert_eq!(
        cache.get("f", BOOL, &ctx(5)).unwrap().value,
        Some(json!(50))
    );
    // An expired entry is taken before used ones.
    clock.advance(Duration::from_secs(61));
    assert!(cache.insert("f", BOOL, &ctx(6), answer(json!(6))));
    assert!(cache.insert("f", BOOL, &ctx(7), answer(json!(7))));
    assert!(cache.insert("f", BOOL, &ctx(8), answer(json!(8))));
    assert_eq!(cache.len(), 3);
    for n in [6, 7, 8] {
        assert_eq!(cache.get("f", BOOL, &ctx(n)).unwrap().value, Some(json!(n)));
    }
}

#[test]
fn a_hot_entry_survives_a_stream_of_new_keys() {
    let (cache, _) = cache(60, 8);
    let hot = Context::new("hot");
    assert!(cache.insert("f", BOOL, &hot, answer(json!("hot"))));
    for n in 0..100 {
        assert!(cache.get("f", BOOL, &hot).is_some(), "round {n}");
        let cold = Context::new(format!("cold-{n}"));
        assert!(cache.insert("f", BOOL, &cold, answer(json!(n))));
        assert!(cache.len() <= 8);
    }
    assert_eq!(cache.len(), 8);
}

#[test]
fn flag_key_and_type_are_part_of_the_key() {
    let (cache, _) = cache(60, 10);
    let ctx = Context::new("u");
    cache.insert("f", BOOL, &ctx, answer(json!(true)));
    assert!(cache.get("g", BOOL, &ctx).is_none());
    assert!(cache.get("f", TypeId::of::<String>(), &ctx).is_none());
    assert!(cache.get("f", BOOL, &ctx).is_some());
    let key = FlagKey::new("f", 0_i64);
    assert!(cache.details(&key, &ctx).is_none());
}

#[test]
fn the_whole_context_is_part_of_the_key_in_any_order() {
    let (cache, _) = cache(60, 100);
    let a = Context::new("u").with("plan", "pro").with("seats", 3);
    let b = Context::anonymous()
        .with("seats", 3)
        .with("plan", "pro")
        .with_targeting_key("u");
    assert_eq!(canonical_text(&a), canonical_text(&b));
    cache.insert("f", BOOL, &a, answer(json!(true)));
    assert!(cache.get("f", BOOL, &b).is_some());
    let different = [
        Context::new("v").with("plan", "pro").with("seats", 3),
        Context::anonymous().with("plan", "pro").with("seats", 3),
        Context::new("u").with("plan", "pro"),
        Context::new("u").with("plan", "pro").with("seats", 3.0),
        Context::new("u").with("plan", "pro").with("seats", "3"),
        Context::new("u")
            .with("plan", "pro")
            .with("seats", 3)
            .with("x", Value::Null),
        Context::new("u").with("plan", "pro\"").with("seats", 3),
    ];
    for ctx in &different {
        assert!(cache.get("f", BOOL, ctx).is_none(), "{ctx:?}");
    }
    // Nested maps are ordered too.
    let m1 = Value::Map(BTreeMap::from([
        ("a".to_owned(), Value::Int(1)),
        ("b".to_owned(), Value::List(vec![Value::Bool(true)])),
    ]));
    let mut inner = BTreeMap::new();
    inner.insert("b".to_owned(), Value::List(vec![Value::Bool(true)]));
    inner.insert("a".to_owned(), Value::Int(1));
    let m2 = Value::Map(inner);
    let c1 = Context::new("u").with("org", m1);
    let c2 = Context::new("u").with("org", m2);
    cache.insert("f", BOOL, &c1, answer(json!(1)));
    assert!(cache.get("f", BOOL, &c2).is_some());
}

#[test]
fn long_contexts_are_hashed_and_compared_while_walked() {
    let (cache, _) = cache(60, 10);
    let long = |last: &str| {
        (0..20)
            .fold(Context::new("u"), |c, i| {
                c.with(format!("attribute-{i:02}"), i)
            })
            .with("z", last)
    };
    let (a, b) = (long("a"), long("b"));
    let mut inline = Inline::EMPTY;
    let probe = Probe::new(&mut inline, "f", type_word(BOOL), &a);
    assert!(probe.inline.overflow, "the key does not fit on the stack");
    let mut words = Words(Vec::new());
    key_words(&mut words, "f", type_word(BOOL), &a);
    assert_eq!(probe.hash(1, 2), hash_words(1, 2, &words.0));
    assert!(probe.matches(&words.0));
    let mut other = Inline::EMPTY;
    assert!(!Probe::new(&mut other, "f", type_word(BOOL), &b).matches(&words.0));
    assert!(!probe.matches(&words.0[..words.0.len() - 1]));
    let user = Context::new("u");
    let mut inline = Inline::EMPTY;
    let short = Probe::new(&mut inline, "f", type_word(BOOL), &user);
    assert!(!short.inline.overflow);
    cache.insert("f", BOOL, &a, answer(json!("a")));
    cache.insert("f", BOOL, &b, answer(json!("b")));
    assert_eq!(cache.get("f", BOOL, &a).unwrap().value, Some(json!("a")));
    assert_eq!(cache.get("f", BOOL, &b).unwrap().value, Some(json!("b")));
    assert!(cache.get("f", BOOL, &long("c")).is_none());
}

#[test]
fn a_hash_match_is_confirmed_against_the_full_key() {
    let (cache, _) = cache(60, 4);
    let a = Context::new("a");
    let b = Context::new("b");
    cache.insert("f", BOOL, &a, answer(json!(true)));
    // Make the entry under `a`'s hash hold `b`'s key, as a collision would.
    {
        let mut table = cache.write();
        let mut words = Words(Vec::new());
        key_words(&mut words, "f", type_word(BOOL), &b);
        let entry = table.slots.iter_mut().flatten().next().unwrap();
        entry.key = words.0.into_boxed_slice();
    }
    assert!(cache.get("f", BOOL, &a).is_none());
    // Inserting `a` again takes the slot back.
    cache.insert("f", BOOL, &a, answer(json!(false)));
    assert_eq!(cache.get("f", BOOL, &a).unwrap().value, Some(json!(false)));
    assert_eq!(cache.len(), 1);
}

#[test]
fn failures_and_disabled_answers_are_not_stored() {
    let (cache, _) = cache(60, 10);
    let ctx = Context::new("u");
    let error = Arc::new(Resolution::error(ErrorCode::General, "HTTP 500"));
    assert!(!cache.insert("f", BOOL, &ctx, error));
    let disabled = Arc::new(Resolution::value(json!(true), Reason::Disabled));
    assert!(!cache.insert("f", BOOL, &ctx, disabled));
    let mut odd = Resolution::value(json!(true), Reason::Error);
    odd.metadata = FlagMetadata::empty();
    assert!(!cache.insert("f", BOOL, &ctx, Arc::new(odd)));
    assert!(cache.is_empty());
    // A code default (no value) is a success and is stored.
    let code_default = Arc::new(Resolution {
        value: None,
        variant: None,
        reason: Reason::Default,
        error: None,
        metadata: FlagMetadata::empty(),
    });
    assert!(cache.insert("f", BOOL, &ctx, code_default));
    let d = cache.details(&FlagKey::new("f", true), &ctx).unwrap();
    assert_eq!((d.value, d.reason), (true, Reason::Cached));
}

#[test]
fn a_zero_ttl_or_size_stores_nothing() {
    let ctx = Context::new("u");
    for (ttl, max) in [(0, 10), (60, 0)] {
        let (cache, _) = cache(ttl, max);
        assert!(!cache.insert("f", BOOL, &ctx, answer(json!(true))));
        assert!(cache.get("f", BOOL, &ctx).is_none());
        assert!(cache.is_empty());
    }
}

#[test]
fn clear_empties_the_cache_and_it_stays_usable() {
    let (cache, _) = cache(60, 2);
    for n in 0..2 {
        cache.insert("f", BOOL, &Context::new(n.to_string()), answer(json!(n)));
    }
    cache.clear();
    assert!(cache.is_empty());
    assert!(cache.get("f", BOOL, &Context::new("0")).is_none());
    for n in 0..5 {
        cache.insert("f", BOOL, &Context::new(n.to_string()), answer(json!(n)));
    }
    assert_eq!(cache.len(), 2);
    assert!(cache.get("f", BOOL, &Context::new("4")).is_some());
    assert!(cache.get("f", BOOL, &Context::new("3")).is_some());
}

#[test]
fn the_debug_form_shows_no_context() {
    let (cache, _) = cache(60, 2);
    cache.insert(
        "f",
        BOOL,
        &Context::new("alice@example.com"),
        answer(json!(1)),
    );
    let printed = format!("{cache:?}");
    assert!(
        !printed.contains("alice") && printed.contains("len: 1"),
        "{printed}"
    );
}

/// `cache.details` and `cache.value` say what the resolution's own details say.
fn same_as_the_resolution<T: FlagValue + PartialEq + fmt::Debug>(
    value: Option<serde_json::Value>,
    default: T,
) {
    let (cache, _) = cache(60, 10);
    let ctx = Context::new("u").with("plan", "pro");
    let key = FlagKey::new("f", default);
    let mut stored = Resolution {
        value: value.clone(),
        variant: Some("v".into()),
        reason: Reason::TargetingMatch,
        error: None,
        metadata: FlagMetadata::empty(),
    };
    stored.metadata = crate::wire::metadata_from_json(
        Some(&json!({ "team": "web" })),
        &std::collections::BTreeMap::new(),
    );
    let stored = Arc::new(stored);
    assert!(cache.insert_for(&key, &ctx, stored.clone()));
    let expected = stored.to_cached_details(&key);
    // Twice: the first read of a decoded type fills its cell.
    for _ in 0..2 {
        let got = cache.details(&key, &ctx).unwrap();
        assert_eq!(got, expected, "{value:?} as {}", std::any::type_name::<T>());
        assert_eq!(cache.value(&key, &ctx), Some(expected.value.clone()));
    }
}

#[test]
fn typed_hits_answer_what_the_resolution_says() {
    #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
    struct Banner {
        text: String,
        #[serde(default)]
        weight: i64,
    }
    #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Plan {
        Free,
        Pro,
    }
    let values = [
        json!(true),
        json!(false),
        json!(0),
        json!(-3),
        json!(42),
        json!(3.0),
        json!(2.5),
        json!(-0.0),
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(4_000_000_000_u64),
        json!("pro"),
        json!("text"),
        json!(""),
        json!(null),
        json!([1, 2]),
        json!({ "text": "hi", "weight": 2 }),
        json!({ "text": "hi" }),
        json!({ "other": 1 }),
    ];
    for v in values.iter().cloned().map(Some).chain([None]) {
        same_as_the_resolution(v.clone(), false);
        same_as_the_resolution(v.clone(), 7_i64);
        same_as_the_resolution(v.clone(), 7_i32);
        same_as_the_resolution(v.clone(), 7_u64);
        same_as_the_resolution(v.clone(), 0.5_f64);
        same_as_the_resolution(v.clone(), 0.5_f32);
        same_as_the_resolution(v.clone(), String::from("d"));
        same_as_the_resolution::<Arc<str>>(v.clone(), Arc::from("d"));
        same_as_the_resolution(v.clone(), Some(1_i64));
        same_as_the_resolution::<Option<String>>(v.clone(), None);
        same_as_the_resolution(v.clone(), Plan::Free);
        same_as_the_resolution(v.clone(), json!({ "d": 1 }));
        same_as_the_resolution(
            v.clone(),
            Banner {
                text: "d".into(),
                weight: 0,
            },
        );
        same_as_the_resolution(v, vec![0_i64]);
    }
    let _ = Plan::Pro;
}

#[test]
fn threads_reading_typed_values_see_only_their_own_keys() {
    const THREADS: usize = 6;
    const ROUNDS: i64 = 3000;
    let (cache, clock) = cache(60, 16);
    let cache = Arc::new(cache);
    let handles: Vec<_> = (0..THREADS as i64)
        .map(|t| {
            let cache = cache.clone();
            let clock = clock.clone();
            std::thread::spawn(move || {
                let (mut hits, mut misses) = (0, 0);
                let number = FlagKey::new("n", -1_i64);
                let text = FlagKey::new("n", String::new());
                for i in 0..ROUNDS {
                    let user = (i * 5 + t) % 40;
                    let ctx = Context::new(format!("user-{user}")).with("t", t % 3);
                    // The answer names its key: user, attribute, type.
                    let expected = user * 10 + t % 3;
                    if i % 2 == 0 {
                        match cache.value(&number, &ctx) {
                            Some(got) => {
                                assert_eq!(got, expected);
                                hits += 1;
                            }
                            None => {
                                misses += 1;
                                cache.insert_for(&number, &ctx, answer(json!(expected)));
                            }
                        }
                    } else {
                        match cache.details(&text, &ctx) {
                            Some(got) => {
                                assert_eq!(got.value, format!("{expected}"));
                                assert_eq!(got.reason, Reason::Cached);
                                hits += 1;
                            }
                            None => {
                                misses += 1;
                                let value = json!(format!("{expected}"));
                                cache.insert_for(&text, &ctx, answer(value));
                            }
                        }
                    }
                    if t == 0 && i % 1000 == 999 {
                        clock.advance(Duration::from_secs(30));
                    }
                    assert!(cache.len() <= 16);
                }
                (hits, misses)
            })
        })
        .collect();
    let (hits, misses) = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .fold((0, 0), |(h, m), (a, b)| (h + a, m + b));
    assert!(hits > 0 && misses > 16, "hits {hits}, misses {misses}");
    assert!(cache.len() <= 16);
}

#[test]
fn threads_hammering_the_cache_see_only_their_own_answers() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 2000;
    let (cache, clock) = cache(60, 64);
    let cache = Arc::new(cache);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let cache = cache.clone();
            let clock = clock.clone();
            std::thread::spawn(move || {
                let mut hits = 0;
                for i in 0..ROUNDS {
                    let user = (i * 7 + t) % 100;
                    let ctx = Context::new(format!("user-{user}")).with("t", (t % 2) as i64);
                    let flag = if i % 3 == 0 { "a" } else { "b" };
                    match cache.get(flag, BOOL, &ctx) {
                        Some(r) => {
                            let expected = json!(format!("{flag}/{user}/{}", t % 2));
                            assert_eq!(
                                r.value.as_ref(),
                                Some(&expected),
                                "thread {t}, round {i}: another context's answer"
                            );
                            hits += 1;
                        }
                        None => {
                            let value = json!(format!("{flag}/{user}/{}", t % 2));
                            cache.insert(flag, BOOL, &ctx, answer(value.clone()));
                            // Read back at once: a hit unless 64 insertions of the other
                            // threads came in between (which threads run one after the other
                            // on a loaded machine make likely for a later lookup).
                            if let Some(r) = cache.get(flag, BOOL, &ctx) {
                                assert_eq!(
                                    r.value.as_ref(),
                                    Some(&value),
                                    "thread {t}, round {i}: another context's answer"
                                );
                                hits += 1;
                            }
                        }
                    }
                    if i % 500 == 0 && t == 0 {
                        clock.advance(Duration::from_secs(1));
                    }
                    if i % 700 == 0 && t == 1 {
                        cache.clear();
                    }
                }
                hits
            })
        })
        .collect();
    let hits: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(cache.len() <= 64, "{} entries", cache.len());
    assert!(hits > 0, "some lookups hit");
    // The slots and the index agree after all that.
    let table = cache.read();
    let mut live = 0;
    for (at, slot) in table.slots.iter().enumerate() {
        if let Some(entry) = slot {
            assert_eq!(table.index.get(&entry.hash), Some(&at), "slot {at}");
            live += 1;
        } else {
            assert!(table.free.contains(&at), "slot {at} empty but not free");
        }
    }
    assert_eq!(
        (live, table.index.len()),
        (table.len, table.len),
        "live slots and index entries against the count"
    );
}

/// The memory bound: 100 times more distinct keys than entries, with expiries, replacements
/// and lookups of expired entries mixed in, never take the table past `max_entries` (entries,
/// slots, index, free list), and every answer evicted is released.
#[test]
fn a_stream_of_distinct_keys_never_grows_the_table_past_its_bound() {
    const MAX: usize = 64;
    let (cache, clock) = cache(60, MAX);
    let mut answers = Vec::new();
    for n in 0..(100 * MAX) as i64 {
        let ctx = Context::new(format!("user-{n}")).with("n", n);
        let resolution = answer(json!(n));
        answers.push(Arc::downgrade(&resolution));
        assert!(cache.insert("f", BOOL, &ctx, resolution));
        if n % 7 == 0 {
            // A replacement of a recent key, and a lookup of an old, expired one.
            let again = Context::new(format!("user-{}", n / 2)).with("n", n / 2);
            assert!(cache.insert("f", BOOL, &again, answer(json!(n))));
            let _ = cache.get("f", BOOL, &Context::new(format!("user-{}", n / 3)));
        }
        if n % 1000 == 999 {
            clock.advance(Duration::from_secs(61));
        }
        let table = cache.read();
        assert!(table.len <= MAX, "{} entries", table.len);
        assert!(table.slots.len() <= MAX, "{} slots", table.slots.len());
        assert!(table.index.len() <= MAX, "{} indexed", table.index.len());
        assert!(table.free.len() <= MAX, "{} free", table.free.len());
        // And their buffers: nothing reserves past the bound either.
        assert!(table.slots.capacity() <= MAX, "{}", table.slots.capacity());
        // A hash map that deletes grows once past twice its entries, then rehashes in place.
        assert!(
            table.index.capacity() <= 4 * MAX,
            "{}",
            table.index.capacity()
        );
        assert!(
            table.free.capacity() <= 2 * MAX,
            "{}",
            table.free.capacity()
        );
    }
    assert_eq!(cache.len(), MAX);
    let held = answers.iter().filter(|a| a.strong_count() > 0).count();
    assert!(held <= MAX, "{held} answers still held");
}
