//! The cache of single-flag remote evaluations: bounded in time (TTL) and size (LRU), keyed by
//! the flag key, the requested type and the whole context in a canonical form.
//!
//! A lookup allocates nothing: the key is hashed by walking the context, and the entry found
//! is confirmed by walking it again against the stored canonical text. Only an insert writes
//! that text. Hits are served as reason `CACHED`; failures and `DISABLED` answers are never
//! stored.

use std::any::TypeId;
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::Resolution;
use crate::context::Context;
use crate::details::{EvaluationDetails, Reason};
use crate::key::{FlagKey, FlagValue};
use crate::value::Value;

/// Where the cache reads the time (injected in tests, so that they never sleep).
pub(crate) trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Instant;
}

/// The monotonic system clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

#[cfg_attr(not(test), allow(dead_code))] // used by tests; the providers use the rest
/// A clock that moves only when told to.
#[derive(Debug)]
pub(crate) struct ManualClock {
    start: Instant,
    elapsed_nanos: AtomicU64,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock {
            start: Instant::now(),
            elapsed_nanos: AtomicU64::new(0),
        }
    }
}

#[cfg_attr(not(test), allow(dead_code))] // used by tests; the providers use the rest
impl ManualClock {
    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + Duration::from_nanos(self.elapsed_nanos.load(Ordering::SeqCst))
    }
}

/// How long entries live and how many there may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheOptions {
    /// How long an entry is served after it was stored; zero stores nothing.
    pub ttl: Duration,
    /// The most entries; beyond, the least recently used goes. Zero stores nothing.
    pub max_entries: usize,
}

impl Default for CacheOptions {
    /// One minute, 1000 entries.
    fn default() -> Self {
        CacheOptions {
            ttl: Duration::from_secs(60),
            max_entries: 1000,
        }
    }
}

/// The cache. Shared by reference (`Arc`) between the async and blocking APIs; every method
/// takes `&self`.
pub(crate) struct RemoteCache {
    options: CacheOptions,
    clock: Arc<dyn Clock>,
    /// Random per cache, so that colliding contexts cannot be prepared in advance.
    seed: u64,
    lru: Mutex<Lru>,
}

impl fmt::Debug for RemoteCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Entries hold contexts (personal data): only their number is shown.
        f.debug_struct("RemoteCache")
            .field("options", &self.options)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl RemoteCache {
    /// A cache on the system clock.
    pub(crate) fn new(options: CacheOptions) -> RemoteCache {
        RemoteCache::with_clock(options, Arc::new(SystemClock))
    }

    /// A cache on `clock`.
    pub(crate) fn with_clock(options: CacheOptions, clock: Arc<dyn Clock>) -> RemoteCache {
        RemoteCache {
            options,
            clock,
            seed: RandomState::new().hash_one(0x5EED_u64),
            lru: Mutex::new(Lru::with_capacity(options.max_entries.min(4096))),
        }
    }

    /// The stored answer for `flag` read as the type `ty` in `ctx`, if it has not expired
    /// (then it becomes the most recently used). Allocates nothing.
    pub(crate) fn get(&self, flag: &str, ty: TypeId, ctx: &Context) -> Option<Arc<Resolution>> {
        if self.disabled() {
            return None;
        }
        let hash = self.hash(flag, ty, ctx);
        let now = self.clock.now();
        let mut lru = self.lock();
        let index = *lru.map.get(&hash)?;
        let entry = lru.slots[index].entry.as_ref()?;
        if entry.flag.as_ref() != flag || entry.ty != ty || !matches(&entry.context, ctx) {
            return None;
        }
        if now >= entry.expires {
            lru.remove(index);
            return None;
        }
        let resolution = entry.resolution.clone();
        lru.touch(index);
        Some(resolution)
    }

    /// The cached details for `key` in `ctx`, reason `CACHED` (see
    /// [`Resolution::to_cached_details`]).
    pub(crate) fn details<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
        ctx: &Context,
    ) -> Option<EvaluationDetails<T>> {
        self.get(key.key(), TypeId::of::<T>(), ctx)
            .map(|r| r.to_cached_details(key))
    }

    /// Stores an answer; `false` (and nothing stored) for a failure, a `DISABLED` answer, or a
    /// cache of zero TTL or size. Replaces an entry of the same key; evicts the least recently
    /// used entry when full.
    pub(crate) fn insert(
        &self,
        flag: &str,
        ty: TypeId,
        ctx: &Context,
        resolution: Arc<Resolution>,
    ) -> bool {
        if self.disabled()
            || resolution.error.is_some()
            || matches!(resolution.reason, Reason::Disabled | Reason::Error)
        {
            return false;
        }
        let hash = self.hash(flag, ty, ctx);
        let mut context = Bytes(Vec::with_capacity(64));
        canonical(&mut context, ctx);
        let expires = self.clock.now() + self.options.ttl;
        let entry = Entry {
            flag: flag.into(),
            ty,
            context: context.0.into_boxed_slice(),
            resolution,
            expires,
        };
        let mut lru = self.lock();
        if let Some(&index) = lru.map.get(&hash) {
            // The same key, or (rarely) another one with the same hash: the new entry wins.
            lru.slots[index].entry = Some(entry);
            lru.touch(index);
            return true;
        }
        if lru.len >= self.options.max_entries {
            let oldest = lru.tail;
            lru.remove(oldest);
        }
        lru.push_front(hash, entry);
        true
    }

    #[cfg_attr(not(test), allow(dead_code))] // used by tests
    /// [`RemoteCache::insert`] for the type of `key`.
    pub(crate) fn insert_for<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
        ctx: &Context,
        resolution: Arc<Resolution>,
    ) -> bool {
        self.insert(key.key(), TypeId::of::<T>(), ctx, resolution)
    }

    /// Removes every entry.
    pub(crate) fn clear(&self) {
        *self.lock() = Lru::with_capacity(0);
    }

    /// The number of entries, expired ones included until they are looked up or evicted.
    pub(crate) fn len(&self) -> usize {
        self.lock().len
    }

    #[cfg_attr(not(test), allow(dead_code))] // used by tests
    /// `true` when there is no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn disabled(&self) -> bool {
        self.options.ttl.is_zero() || self.options.max_entries == 0
    }

    fn lock(&self) -> MutexGuard<'_, Lru> {
        // The LRU is consistent between statements, so a panic elsewhere cannot corrupt it.
        self.lru
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `TypeId` shows its bits only through `Hash`: they are folded into a word.
    fn type_hash(&self, ty: TypeId) -> u64 {
        let mut capture = Capture(0);
        ty.hash(&mut capture);
        capture.0
    }

    fn hash(&self, flag: &str, ty: TypeId, ctx: &Context) -> u64 {
        let mut sink = HashSink::new(self.seed);
        string(&mut sink, flag);
        sink.word(self.type_hash(ty));
        canonical(&mut sink, ctx);
        sink.finish()
    }
}

struct Entry {
    flag: Box<str>,
    ty: TypeId,
    context: Box<[u8]>,
    resolution: Arc<Resolution>,
    expires: Instant,
}

const NIL: usize = usize::MAX;

struct Slot {
    hash: u64,
    entry: Option<Entry>,
    prev: usize,
    next: usize,
}

/// A doubly linked list of slots in a vector (most recent at `head`), indexed by key hash.
struct Lru {
    map: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    len: usize,
}

impl Lru {
    fn with_capacity(capacity: usize) -> Lru {
        Lru {
            map: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            slots: Vec::with_capacity(capacity),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    fn unlink(&mut self, index: usize) {
        let (prev, next) = (self.slots[index].prev, self.slots[index].next);
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next].prev = prev;
        }
    }

    fn link_front(&mut self, index: usize) {
        self.slots[index].prev = NIL;
        self.slots[index].next = self.head;
        if self.head != NIL {
            self.slots[self.head].prev = index;
        }
        self.head = index;
        if self.tail == NIL {
            self.tail = index;
        }
    }

    fn touch(&mut self, index: usize) {
        if self.head != index {
            self.unlink(index);
            self.link_front(index);
        }
    }

    fn remove(&mut self, index: usize) {
        if index == NIL || self.slots[index].entry.is_none() {
            return;
        }
        self.unlink(index);
        self.slots[index].entry = None;
        self.map.remove(&self.slots[index].hash);
        self.free.push(index);
        self.len -= 1;
    }

    fn push_front(&mut self, hash: u64, entry: Entry) {
        let slot = Slot {
            hash,
            entry: Some(entry),
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index] = slot;
                index
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.link_front(index);
        self.map.insert(hash, index);
        self.len += 1;
    }
}

/// Collects what a `Hash` implementation writes into one word.
struct Capture(u64);

impl Hasher for Capture {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = fold(self.0 ^ n, MUL);
    }
}

/// The map's keys are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Where the canonical form of a context goes: bytes, a hasher, or a comparison. The form
/// is a sequence of 8-byte words (tags, numbers, lengths) and byte strings.
trait Sink {
    fn word(&mut self, word: u64);
    fn bytes(&mut self, bytes: &[u8]);
}

struct Bytes(Vec<u8>);

impl Sink for Bytes {
    fn word(&mut self, word: u64) {
        self.0.extend_from_slice(&word.to_le_bytes());
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// A fast seeded hash (folded multiplications over 8-byte words). Not cryptographic: every
/// hit is confirmed against the full key, so a collision costs a miss, never a wrong answer.
struct HashSink {
    state: u64,
}

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

impl HashSink {
    fn new(seed: u64) -> HashSink {
        HashSink { state: seed }
    }

    fn finish(self) -> u64 {
        fold(self.state, MUL ^ 0xA5A5_A5A5_A5A5_A5A5)
    }
}

impl Sink for HashSink {
    #[inline]
    fn word(&mut self, word: u64) {
        self.state = fold(self.state ^ word, MUL);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0; 8];
            w.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length in the top byte tells `a\0` from `a`.
            self.word(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }
}

/// Compares the canonical form, as it is produced, with a stored one.
struct Compare<'a> {
    expected: &'a [u8],
    equal: bool,
}

impl Sink for Compare<'_> {
    fn word(&mut self, word: u64) {
        self.bytes(&word.to_le_bytes());
    }

    fn bytes(&mut self, bytes: &[u8]) {
        if self.equal {
            match self.expected.strip_prefix(bytes) {
                Some(rest) => self.expected = rest,
                None => self.equal = false,
            }
        }
    }
}

/// `true` when `ctx`'s canonical form is `stored`.
fn matches(stored: &[u8], ctx: &Context) -> bool {
    let mut compare = Compare {
        expected: stored,
        equal: true,
    };
    canonical(&mut compare, ctx);
    compare.equal && compare.expected.is_empty()
}

/// The canonical form of a context, as bytes: the targeting key, then the attributes in key
/// order (maps too), every value tagged with its type (so that `1`, `1.0` and `"1"` differ)
/// and strings prefixed with their length, so that every part is self-delimiting. Two
/// contexts have the same form exactly when they are equal (floats by their bits).
fn canonical(sink: &mut impl Sink, ctx: &Context) {
    match ctx.targeting_key() {
        Some(key) => string(sink, key),
        None => sink.word(u64::from(b'-')),
    }
    for (k, v) in ctx.attributes() {
        string(sink, k);
        value(sink, v);
    }
}

fn tagged(sink: &mut impl Sink, tag: u8, word: u64) {
    sink.word(u64::from(tag));
    sink.word(word);
}

fn value(sink: &mut impl Sink, v: &Value) {
    match v {
        Value::Null => sink.word(u64::from(b'n')),
        Value::Bool(true) => sink.word(u64::from(b'T')),
        Value::Bool(false) => sink.word(u64::from(b'F')),
        Value::Int(i) => tagged(sink, b'i', *i as u64),
        // The bits: exact, and -0.0 differs from 0.0 (a server may print them apart).
        Value::Float(f) => tagged(sink, b'f', f.to_bits()),
        Value::String(s) => string(sink, s),
        Value::DateTime(t) => {
            let (tag, d) = match t.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(d) => (b't', d),
                Err(e) => (b'p', e.duration()),
            };
            tagged(sink, tag, d.as_secs());
            sink.word(u64::from(d.subsec_nanos()));
        }
        Value::List(items) => {
            tagged(sink, b'[', items.len() as u64);
            for item in items {
                value(sink, item);
            }
        }
        Value::Map(map) => {
            tagged(sink, b'{', map.len() as u64);
            for (k, item) in map {
                string(sink, k);
                value(sink, item);
            }
        }
        #[allow(unreachable_patterns)] // `Value` is non-exhaustive
        other => string(sink, &format!("{other:?}")),
    }
}

/// A string: its length, then its bytes.
fn string(sink: &mut impl Sink, s: &str) {
    tagged(sink, b's', s.len() as u64);
    sink.bytes(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::details::{ErrorCode, FlagMetadata};

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

    fn canonical_text(ctx: &Context) -> Vec<u8> {
        let mut bytes = Bytes(Vec::new());
        canonical(&mut bytes, ctx);
        bytes.0
    }

    #[test]
    fn a_hit_reports_cached() {
        let (cache, _) = cache(60, 10);
        let key = FlagKey::new("f", false);
        let ctx = Context::new("u").with("plan", "pro");
        assert!(cache.details(&key, &ctx).is_none());
        let mut stored = Resolution::value(json!(true), Reason::TargetingMatch);
        stored.variant = Some(Arc::from("on"));
        assert!(cache.insert_for(&key, &ctx, Arc::new(stored)));
        let d = cache.details(&key, &ctx).unwrap();
        assert_eq!((d.value, d.reason, d.error), (true, Reason::Cached, None));
        assert_eq!(d.variant.as_deref(), Some("on"));
        assert_eq!(cache.len(), 1);
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
    fn the_least_recently_used_entry_is_evicted() {
        let (cache, _) = cache(60, 3);
        let ctx = |n: i64| Context::new("u").with("n", n);
        for n in 0..3 {
            assert!(cache.insert("f", BOOL, &ctx(n), answer(json!(n))));
        }
        // Use 0, so that 1 is the least recently used.
        assert!(cache.get("f", BOOL, &ctx(0)).is_some());
        assert!(cache.insert("f", BOOL, &ctx(3), answer(json!(3))));
        assert_eq!(cache.len(), 3);
        assert!(cache.get("f", BOOL, &ctx(1)).is_none());
        for n in [0, 2, 3] {
            assert_eq!(cache.get("f", BOOL, &ctx(n)).unwrap().value, Some(json!(n)));
        }
        // Now 0 is the oldest use: it goes next, then 2.
        assert!(cache.insert("f", BOOL, &ctx(4), answer(json!(4))));
        assert!(cache.get("f", BOOL, &ctx(0)).is_none());
        assert!(cache.insert("f", BOOL, &ctx(5), answer(json!(5))));
        assert!(cache.get("f", BOOL, &ctx(2)).is_none());
        assert!(cache.get("f", BOOL, &ctx(3)).is_some());
        // Replacing an entry does not grow the cache and makes it recent.
        assert!(cache.insert("f", BOOL, &ctx(4), answer(json!(40))));
        assert_eq!(cache.len(), 3);
        assert_eq!(
            cache.get("f", BOOL, &ctx(4)).unwrap().value,
            Some(json!(40))
        );
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
    fn canonical_forms_are_self_delimiting() {
        // Values that would run together in a naive encoding stay apart.
        let pairs = [
            (
                Context::anonymous().with("a", "b\",\"c\":\"d"),
                Context::anonymous().with("a", "b").with("c", "d"),
            ),
            (
                Context::new("-").with("a", 1),
                Context::anonymous().with("a", 1),
            ),
            (
                Context::anonymous().with("a", vec![1, 2]),
                Context::anonymous().with("a", vec![12]),
            ),
            (
                Context::anonymous().with("a", 0.0),
                Context::anonymous().with("a", -0.0),
            ),
            (
                Context::anonymous().with("a\\", "b"),
                Context::anonymous().with("a", "\\b"),
            ),
        ];
        for (x, y) in &pairs {
            assert_ne!(canonical_text(x), canonical_text(y), "{x:?} vs {y:?}");
            assert!(matches(&canonical_text(x), x));
            assert!(!matches(&canonical_text(x), y));
        }
        let t = Context::anonymous().with("t", SystemTime::UNIX_EPOCH + Duration::new(5, 7));
        let words = |w: &[u64]| w.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
        let mut expected = words(&[u64::from(b'-'), u64::from(b's'), 1]);
        expected.push(b't');
        expected.extend(words(&[u64::from(b't'), 5, 7]));
        assert_eq!(canonical_text(&t), expected);
    }

    #[test]
    fn the_hash_covers_every_byte_and_the_seed() {
        let hash = |seed: u64, bytes: &[u8]| {
            let mut h = HashSink::new(seed);
            h.bytes(bytes);
            h.finish()
        };
        let text: Vec<u8> = (1..=40).collect();
        let whole = hash(7, &text);
        assert_eq!(hash(7, &text), whole);
        assert_ne!(hash(8, &text), whole, "the seed matters");
        for i in 0..text.len() {
            let mut changed = text.clone();
            changed[i] ^= 1;
            assert_ne!(hash(7, &changed), whole, "byte {i}");
            assert_ne!(hash(7, &text[..i]), whole, "prefix {i}");
        }
        assert_ne!(hash(7, b"a\0"), hash(7, b"a"));
    }

    #[test]
    fn a_hash_match_is_confirmed_against_the_full_key() {
        let (cache, _) = cache(60, 4);
        let a = Context::new("a");
        let b = Context::new("b");
        cache.insert("f", BOOL, &a, answer(json!(true)));
        // Make the entry under `a`'s hash hold `b`'s key, as a collision would.
        {
            let mut lru = cache.lock();
            let head = lru.head;
            lru.slots[head].entry.as_mut().unwrap().context = canonical_text(&b).into_boxed_slice();
        }
        assert!(cache.get("f", BOOL, &a).is_none());
        // Inserting `a` again takes the slot back.
        cache.insert("f", BOOL, &a, answer(json!(false)));
        assert_eq!(cache.get("f", BOOL, &a).unwrap().value, Some(json!(false)));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn types_hash_apart() {
        let (cache, _) = cache(60, 1);
        let types = [
            TypeId::of::<bool>(),
            TypeId::of::<i64>(),
            TypeId::of::<f64>(),
            TypeId::of::<String>(),
            TypeId::of::<serde_json::Value>(),
        ];
        let hashes: std::collections::HashSet<u64> =
            types.iter().map(|t| cache.type_hash(*t)).collect();
        assert_eq!(hashes.len(), types.len());
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
                                assert_eq!(r.value.as_ref(), Some(&expected));
                                hits += 1;
                            }
                            None => {
                                let value = json!(format!("{flag}/{user}/{}", t % 2));
                                cache.insert(flag, BOOL, &ctx, answer(value));
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
        assert!(cache.len() <= 64);
        assert!(hits > 0, "some lookups hit");
        // The list and the index agree after all that.
        let lru = cache.lock();
        let mut walked = 0;
        let mut at = lru.head;
        while at != NIL {
            assert!(lru.slots[at].entry.is_some());
            assert_eq!(lru.map.get(&lru.slots[at].hash), Some(&at));
            walked += 1;
            at = lru.slots[at].next;
        }
        assert_eq!((walked, lru.map.len()), (lru.len, lru.len));
    }
}
