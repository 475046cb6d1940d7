//! The cache of single-flag remote evaluations: bounded in time (TTL) and size (an LRU
//! approximation, see [`RemoteCache`]), keyed by the flag key, the requested type and the
//! whole context in a canonical form.
//!
//! A lookup allocates nothing: the key's canonical form is built on the stack, hashed, and
//! compared with the entry found. Entries hold their value decoded for the type they are
//! keyed by, so a hit of a scalar reads it without touching JSON. Hits are served as reason
//! `CACHED`; failures and `DISABLED` answers are never stored.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime};

use super::Resolution;
use crate::context::Context;
use crate::details::{EvaluationDetails, Reason};
use crate::key::{FlagKey, FlagValue, FlagValueRef};
use crate::value::Value;

/// Where the cache reads the time (injected in tests, so that they never sleep).
pub(crate) trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Instant;
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
    /// The most entries; beyond, an expired one or one not used lately goes. Zero stores
    /// nothing.
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
///
/// A hit takes the read lock only: recency is one flag per entry, set by readers (the
/// second-chance "clock" approximation of LRU), so readers never relink anything nor wait
/// for each other. Inserts and evictions take the write lock.
pub(crate) struct RemoteCache {
    options: CacheOptions,
    /// `None`: the monotonic system clock, read coarsely (see [`RemoteCache::tick`]).
    clock: Option<Arc<dyn Clock>>,
    /// Where times are counted from (nanoseconds since).
    origin: Instant,
    /// The time as of the last tick or insert: what hits compare expiry times with, so that
    /// a hit reads no clock. Behind by at most [`RemoteCache::tick_every`] while the
    /// provider's thread ticks it.
    coarse: AtomicU64,
    /// Random per cache, so that colliding contexts cannot be prepared in advance.
    seed: u64,
    /// A second random word mixed into every pair of words hashed.
    key: u64,
    table: RwLock<Table>,
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
        RemoteCache::on(options, None)
    }

    #[cfg_attr(not(test), allow(dead_code))] // used by tests
    /// A cache on `clock`.
    pub(crate) fn with_clock(options: CacheOptions, clock: Arc<dyn Clock>) -> RemoteCache {
        RemoteCache::on(options, Some(clock))
    }

    fn on(options: CacheOptions, clock: Option<Arc<dyn Clock>>) -> RemoteCache {
        let random = RandomState::new();
        RemoteCache {
            options,
            origin: clock
                .as_ref()
                .map_or_else(Instant::now, |clock| clock.now()),
            clock,
            coarse: AtomicU64::new(0),
            seed: random.hash_one(0x5EED_u64),
            key: random.hash_one(0x004B_4559_u64) | 1,
            table: RwLock::new(Table::with_capacity(options.max_entries.min(4096))),
        }
    }

    /// The stored answer for `flag` read as the type `ty` in `ctx`, if it has not expired
    /// (then it counts as used). Allocates nothing.
    pub(crate) fn get(&self, flag: &str, ty: TypeId, ctx: &Context) -> Option<Arc<Resolution>> {
        self.hit(flag, ty, ctx, |entry| entry.resolution.clone())
    }

    /// The cached value of `key` in `ctx`: the value decoded when it was stored (scalars) or
    /// at its first read (other types), or the key's default when the server deferred to it
    /// or the value cannot be read as `T`. Scalars are read without allocating.
    #[inline]
    pub(crate) fn value<T: FlagValue>(&self, key: &FlagKey<T>, ctx: &Context) -> Option<T> {
        self.hit(key.key(), TypeId::of::<T>(), ctx, |entry| {
            entry.read(key).unwrap_or_else(|()| key.default_value())
        })
    }

    /// The cached details for `key` in `ctx`, reason `CACHED`, as
    /// [`Resolution::to_cached_details`] builds them, without decoding JSON again.
    pub(crate) fn details<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
        ctx: &Context,
    ) -> Option<EvaluationDetails<T>> {
        self.hit(key.key(), TypeId::of::<T>(), ctx, |entry| {
            match entry.read(key) {
                Ok(value) => EvaluationDetails {
                    flag_key: key.key_cow().clone(),
                    value,
                    variant: entry.resolution.variant.clone(),
                    reason: Reason::Cached,
                    error: None,
                    flag_metadata: entry.resolution.metadata.clone(),
                },
                // A type mismatch: the resolution says why.
                Err(()) => entry.resolution.to_cached_details(key),
            }
        })
    }

    /// Finds the live entry of the key and reads it under the read lock.
    #[inline]
    fn hit<R>(
        &self,
        flag: &str,
        ty: TypeId,
        ctx: &Context,
        read: impl FnOnce(&Entry) -> R,
    ) -> Option<R> {
        if self.disabled() {
            return None;
        }
        let mut inline = Inline::EMPTY;
        let probe = Probe::new(&mut inline, flag, type_word(ty), ctx);
        let hash = probe.hash(self.seed, self.key);
        let now = self.coarse_now();
        let table = self.read();
        let entry = table.slots[*table.index.get(&hash)?].as_ref()?;
        if entry.ty != ty || !probe.matches(&entry.key) {
            return None;
        }
        if now >= entry.expires {
            drop(table);
            self.drop_expired(hash, now);
            return None;
        }
        // Only the first use since the clock hand passed writes (the line stays shared).
        if !entry.used.load(Ordering::Relaxed) {
            entry.used.store(true, Ordering::Relaxed);
        }
        Some(read(entry))
    }

    #[cold]
    fn drop_expired(&self, hash: u64, now: u64) {
        let mut table = self.write();
        if let Some(&index) = table.index.get(&hash)
            && table.slots[index]
                .as_ref()
                .is_some_and(|entry| now >= entry.expires)
        {
            table.remove(index);
        }
    }

    /// Stores an answer; `false` (and nothing stored) for a failure, a `DISABLED` answer, or a
    /// cache of zero TTL or size. Replaces an entry of the same key; when full, evicts an
    /// expired entry or one not used since the clock hand last passed it.
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
        let mut words = Words(Vec::with_capacity(16));
        key_words(&mut words, flag, type_word(ty), ctx);
        let hash = hash_words(self.seed, self.key, &words.0);
        let now = self.now();
        let entry = Entry {
            hash,
            ty,
            key: words.0.into_boxed_slice(),
            value: Stored::of(resolution.value.as_ref()),
            resolution,
            expires: now.saturating_add(nanos(self.options.ttl)),
            used: AtomicBool::new(false),
        };
        let mut table = self.write();
        if let Some(&index) = table.index.get(&hash) {
            // The same key, or (rarely) another one with the same hash: the new entry wins,
            // as a recently used one.
            entry.used.store(true, Ordering::Relaxed);
            table.slots[index] = Some(entry);
            return true;
        }
        if table.len >= self.options.max_entries {
            table.evict(now);
        }
        table.push(entry);
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
        *self.write() = Table::with_capacity(0);
    }

    /// The number of entries, expired ones included until they are looked up or evicted.
    pub(crate) fn len(&self) -> usize {
        self.read().len
    }

    #[cfg_attr(not(test), allow(dead_code))] // used by tests
    /// `true` when there is no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The time now, in nanoseconds since the cache's origin, read from the clock; the coarse
    /// time moves up to it.
    fn now(&self) -> u64 {
        let now = match &self.clock {
            None => nanos(self.origin.elapsed()),
            Some(clock) => nanos(clock.now().saturating_duration_since(self.origin)),
        };
        self.coarse.fetch_max(now, Ordering::Relaxed);
        now
    }

    /// The time as hits see it: the coarse time on the system clock (no clock read), the
    /// injected clock's time in tests.
    #[inline]
    fn coarse_now(&self) -> u64 {
        match &self.clock {
            None => self.coarse.load(Ordering::Relaxed),
            Some(_) => self.now(),
        }
    }

    /// Moves the coarse time up to the clock's; the provider calls it every
    /// [`RemoteCache::tick_every`], so that an entry is served at most that long past its TTL.
    pub(crate) fn tick(&self) {
        let _ = self.now();
    }

    /// How often [`RemoteCache::tick`] should run: a sixteenth of the TTL, within 10 ms and
    /// 1 s.
    pub(crate) fn tick_every(&self) -> Duration {
        (self.options.ttl / 16).clamp(Duration::from_millis(10), Duration::from_secs(1))
    }

    #[inline]
    fn disabled(&self) -> bool {
        self.options.ttl.is_zero() || self.options.max_entries == 0
    }

    // The table is consistent between statements, so a panic elsewhere cannot corrupt it.
    #[inline]
    fn read(&self) -> RwLockReadGuard<'_, Table> {
        self.table
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Table> {
        self.table
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The value of an entry, ready for the type the entry is keyed by.
enum Stored {
    /// The server deferred to the caller's default.
    Default,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string: read from the resolution's JSON, which holds it.
    Str,
    /// Anything else (objects, arrays, null): decoded at the first read into an `Option<T>`
    /// (`None`: not readable as `T`).
    Decoded(OnceLock<Box<dyn Any + Send + Sync>>),
}

impl Stored {
    /// As [`super::decode`] reads JSON: a whole number is an integer when it fits `i64`
    /// (`3.0` too), another number a float.
    fn of(value: Option<&serde_json::Value>) -> Stored {
        use serde_json::Value as J;
        let Some(value) = value else {
            return Stored::Default;
        };
        match value {
            J::Bool(b) => Stored::Bool(*b),
            J::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Stored::Int(i),
                (None, Some(f))
                    if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 =>
                {
                    Stored::Int(f as i64)
                }
                (None, Some(f)) => Stored::Float(f),
                (None, None) => Stored::Decoded(OnceLock::new()),
            },
            J::String(_) => Stored::Str,
            J::Object(_) | J::Array(_) | J::Null => Stored::Decoded(OnceLock::new()),
        }
    }
}

struct Entry {
    hash: u64,
    ty: TypeId,
    /// The flag key, the type and the context in canonical form.
    key: Box<[u64]>,
    resolution: Arc<Resolution>,
    value: Stored,
    /// Nanoseconds since the cache's origin.
    expires: u64,
    /// Used since the clock hand last passed.
    used: AtomicBool,
}

impl Entry {
    /// The value as `T` (the type the entry is keyed by); `Err` when it cannot be read so.
    #[inline]
    fn read<T: FlagValue>(&self, key: &FlagKey<T>) -> Result<T, ()> {
        let scalar = match &self.value {
            Stored::Default => return Ok(key.default_value()),
            Stored::Bool(b) => FlagValueRef::Bool(*b),
            Stored::Int(i) => FlagValueRef::Int(*i),
            Stored::Float(f) => FlagValueRef::Float(*f),
            Stored::Str => match &self.resolution.value {
                Some(serde_json::Value::String(s)) => FlagValueRef::Str(s),
                _ => return Err(()),
            },
            Stored::Decoded(cell) => {
                let Some(json) = &self.resolution.value else {
                    return Ok(key.default_value());
                };
                let decoded = cell.get_or_init(|| Box::new(super::decode::<T>(json).ok()));
                return match decoded.downcast_ref::<Option<T>>() {
                    Some(value) => value.clone().ok_or(()),
                    // Keyed by `T`'s `TypeId`, so never; should it happen, decode again.
                    None => super::decode::<T>(json).map_err(drop),
                };
            }
        };
        // `bool`, `i64` and `f64` as they are; other types through their `Deserialize`.
        let exact = match &scalar {
            FlagValueRef::Bool(b) => (b as &dyn Any).downcast_ref::<T>(),
            FlagValueRef::Int(i) => (i as &dyn Any).downcast_ref::<T>(),
            FlagValueRef::Float(f) => (f as &dyn Any).downcast_ref::<T>(),
            _ => None,
        };
        match exact {
            Some(value) => Ok(value.clone()),
            None => crate::key::read(scalar).map_err(drop),
        }
    }
}

/// The entries in a vector, indexed by key hash, swept by a clock hand when full.
struct Table {
    index: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    hand: usize,
    len: usize,
}

impl Table {
    fn with_capacity(capacity: usize) -> Table {
        Table {
            index: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            slots: Vec::with_capacity(capacity),
            free: Vec::new(),
            hand: 0,
            len: 0,
        }
    }

    /// Removes the first entry the hand finds expired or unused, clearing the `used` flag
    /// of those it passes (so two turns at most).
    fn evict(&mut self, now: u64) {
        let n = self.slots.len();
        for _ in 0..=2 * n {
            let at = self.hand % n.max(1);
            self.hand = (at + 1) % n.max(1);
            let Some(entry) = self.slots.get_mut(at).and_then(Option::as_mut) else {
                continue;
            };
            if now < entry.expires && std::mem::take(entry.used.get_mut()) {
                continue;
            }
            self.remove(at);
            return;
        }
    }

    fn remove(&mut self, at: usize) {
        if let Some(entry) = self.slots.get_mut(at).and_then(Option::take) {
            self.index.remove(&entry.hash);
            self.free.push(at);
            self.len -= 1;
        }
    }

    fn push(&mut self, entry: Entry) {
        let hash = entry.hash;
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at] = Some(entry);
                at
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        };
        self.index.insert(hash, at);
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

/// `TypeId` shows its bits only through `Hash`: they are folded into a word.
#[inline]
fn type_word(ty: TypeId) -> u64 {
    let mut capture = Capture(0);
    ty.hash(&mut capture);
    capture.0
}

/// The index's keys are already hashes.
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

/// Where the canonical form of a key goes: words, a hasher, or a comparison. The form is a
/// sequence of 64-bit words: tags, numbers, lengths, and the bytes of strings packed eight
/// to a word.
trait Sink {
    fn word(&mut self, word: u64);

    /// Bytes as little-endian words, the last one padded with zeros (the length written
    /// before them tells where they end).
    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0; 8];
            w.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.word(byte_tail(rest));
        }
    }
}

/// A duration in nanoseconds, saturated (585 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Up to 7 bytes as a little-endian word: two overlapping reads of 4 (or 2) bytes, whose
/// shared bytes are equal, so that neither a loop nor a `memcpy` of variable length runs.
#[inline]
fn byte_tail(rest: &[u8]) -> u64 {
    let n = rest.len();
    let u16_at = |i: usize| match rest.get(i..i + 2) {
        Some(&[a, b]) => u64::from(u16::from_le_bytes([a, b])),
        _ => 0,
    };
    let u32_at = |i: usize| match rest.get(i..i + 4) {
        Some(&[a, b, c, d]) => u64::from(u32::from_le_bytes([a, b, c, d])),
        _ => 0,
    };
    match n {
        0 => 0,
        1 => u64::from(rest[0]),
        2..=3 => u16_at(0) | (u16_at(n - 2) << (8 * (n - 2))),
        _ => u32_at(0) | (u32_at(n - 4) << (8 * (n - 4))),
    }
}

/// The form kept by an entry.
struct Words(Vec<u64>);

impl Sink for Words {
    fn word(&mut self, word: u64) {
        self.0.push(word);
    }
}

/// How many words of a looked-up key are built on the stack; a longer key (a context with
/// much text) is hashed and compared while walking the context instead.
const INLINE: usize = 32;

/// The form of a looked-up key, on the stack.
struct Inline {
    words: [u64; INLINE],
    len: usize,
    overflow: bool,
}

impl Inline {
    const EMPTY: Inline = Inline {
        words: [0; INLINE],
        len: 0,
        overflow: false,
    };
}

impl Sink for Inline {
    #[inline]
    fn word(&mut self, word: u64) {
        match self.words.get_mut(self.len) {
            Some(slot) => {
                *slot = word;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }
}

/// A looked-up key: its form built once on the stack, then hashed and compared with the
/// entry found, without allocating.
struct Probe<'a> {
    inline: &'a Inline,
    flag: &'a str,
    ty: u64,
    ctx: &'a Context,
}

impl<'a> Probe<'a> {
    #[inline]
    fn new(inline: &'a mut Inline, flag: &'a str, ty: u64, ctx: &'a Context) -> Probe<'a> {
        key_words(inline, flag, ty, ctx);
        Probe {
            inline,
            flag,
            ty,
            ctx,
        }
    }

    #[inline]
    fn hash(&self, seed: u64, key: u64) -> u64 {
        if self.inline.overflow {
            let mut sink = HashSink::new(seed, key);
            key_words(&mut sink, self.flag, self.ty, self.ctx);
            sink.finish()
        } else {
            hash_words(seed, key, &self.inline.words[..self.inline.len])
        }
    }

    #[inline]
    fn matches(&self, stored: &[u64]) -> bool {
        if self.inline.overflow {
            let mut compare = Compare {
                expected: stored,
                equal: true,
            };
            key_words(&mut compare, self.flag, self.ty, self.ctx);
            compare.equal && compare.expected.is_empty()
        } else {
            // A word loop: short keys compare faster than through `memcmp`.
            let words = &self.inline.words[..self.inline.len];
            stored.len() == words.len() && stored.iter().zip(words).all(|(a, b)| a == b)
        }
    }
}

/// A fast seeded hash of words: each pair folded (a 64×64→128-bit multiplication, halves
/// xored) into the state, the second word masked with a random key. Not cryptographic:
/// every hit is confirmed against the full key, so a collision costs a miss, never a wrong
/// answer; and the index maps a hash to one entry, so collisions cannot build long chains.
const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline]
fn finish(state: u64, words: u64, key: u64) -> u64 {
    fold(state ^ words, MUL ^ key)
}

/// Four words into the state: two products, the second independent of the state (so the
/// two run in parallel).
#[inline]
fn block(state: u64, seed: u64, key: u64, w: &[u64]) -> u64 {
    fold(w[0] ^ state, w[1] ^ key) ^ fold(w[2] ^ seed, w[3] ^ key.rotate_left(32))
}

/// The last 0 to 3 words.
#[inline]
fn tail(mut state: u64, key: u64, words: &[u64]) -> u64 {
    let mut pairs = words.chunks_exact(2);
    for pair in &mut pairs {
        state = fold(pair[0] ^ state, pair[1] ^ key);
    }
    if let [last] = pairs.remainder() {
        state = fold(last ^ state, MUL);
    }
    state
}

/// The hash of a whole form, equal to what [`HashSink`] computes word by word.
#[inline]
fn hash_words(seed: u64, key: u64, words: &[u64]) -> u64 {
    let mut state = seed;
    let mut blocks = words.chunks_exact(4);
    for w in &mut blocks {
        state = block(state, seed, key, w);
    }
    state = tail(state, key, blocks.remainder());
    finish(state, words.len() as u64, key)
}

/// [`hash_words`], fed one word at a time.
struct HashSink {
    state: u64,
    seed: u64,
    key: u64,
    pending: [u64; 4],
    words: u64,
}

impl HashSink {
    fn new(seed: u64, key: u64) -> HashSink {
        HashSink {
            state: seed,
            seed,
            key,
            pending: [0; 4],
            words: 0,
        }
    }

    fn finish(self) -> u64 {
        let pending = &self.pending[..(self.words % 4) as usize];
        finish(tail(self.state, self.key, pending), self.words, self.key)
    }
}

impl Sink for HashSink {
    fn word(&mut self, word: u64) {
        self.pending[(self.words % 4) as usize] = word;
        self.words += 1;
        if self.words.is_multiple_of(4) {
            self.state = block(self.state, self.seed, self.key, &self.pending);
        }
    }
}

/// Compares the form, as it is produced, with a stored one.
struct Compare<'a> {
    expected: &'a [u64],
    equal: bool,
}

impl Sink for Compare<'_> {
    fn word(&mut self, word: u64) {
        if self.equal {
            match self.expected.split_first() {
                Some((&first, rest)) if first == word => self.expected = rest,
                _ => self.equal = false,
            }
        }
    }
}

/// A tag in the top byte, a length below.
fn header(tag: u8, len: usize) -> u64 {
    (u64::from(tag) << 56) | (len as u64 & ((1 << 56) - 1))
}

/// The whole key: the flag key, the type, the context.
#[inline]
fn key_words(sink: &mut impl Sink, flag: &str, ty: u64, ctx: &Context) {
    string(sink, flag);
    sink.word(ty);
    canonical(sink, ctx);
}

/// The canonical form of a context: the targeting key, then the attributes in key order
/// (maps too), every value tagged with its type (so that `1`, `1.0` and `"1"` differ) and
/// strings and collections headed by their length, so that every part is self-delimiting.
/// Two contexts have the same form exactly when they are equal (floats by their bits).
#[inline]
fn canonical(sink: &mut impl Sink, ctx: &Context) {
    match ctx.targeting_key() {
        Some(key) => string(sink, key),
        None => sink.word(u64::from(b'-')),
    }
    for (k, v) in ctx.attributes() {
        string(sink, k);
        match v {
            // The most common attribute, without a call.
            Value::String(s) => string(sink, s),
            v => value(sink, v),
        }
    }
}

fn value(sink: &mut impl Sink, v: &Value) {
    match v {
        Value::Null => sink.word(u64::from(b'n')),
        Value::Bool(true) => sink.word(u64::from(b'T')),
        Value::Bool(false) => sink.word(u64::from(b'F')),
        Value::Int(i) => {
            sink.word(u64::from(b'i'));
            sink.word(*i as u64);
        }
        // The bits: exact, and -0.0 differs from 0.0 (a server may print them apart).
        Value::Float(f) => {
            sink.word(u64::from(b'f'));
            sink.word(f.to_bits());
        }
        Value::String(s) => string(sink, s),
        Value::DateTime(t) => {
            let (tag, d) = match t.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(d) => (b't', d),
                Err(e) => (b'p', e.duration()),
            };
            sink.word(u64::from(tag));
            sink.word(d.as_secs());
            sink.word(u64::from(d.subsec_nanos()));
        }
        Value::List(items) => {
            sink.word(header(b'[', items.len()));
            for item in items {
                value(sink, item);
            }
        }
        Value::Map(map) => {
            sink.word(header(b'{', map.len()));
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
#[inline]
fn string(sink: &mut impl Sink, s: &str) {
    sink.word(header(b's', s.len()));
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

    fn canonical_text(ctx: &Context) -> Vec<u64> {
        let mut words = Words(Vec::new());
        canonical(&mut words, ctx);
        words.0
    }

    /// `true` when `ctx`'s canonical form, walked again, is `stored`.
    fn matches(stored: &[u64], ctx: &Context) -> bool {
        let mut compare = Compare {
            expected: stored,
            equal: true,
        };
        canonical(&mut compare, ctx);
        compare.equal && compare.expected.is_empty()
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
        let expected = [
            u64::from(b'-'),
            (u64::from(b's') << 56) | 1,
            u64::from(b't'),
            u64::from(b't'),
            5,
            7,
        ];
        assert_eq!(canonical_text(&t), expected);
        // Strings pack eight bytes to a word, the last padded.
        let s = Context::new("abcdefghi");
        let expected = [
            (u64::from(b's') << 56) | 9,
            u64::from_le_bytes(*b"abcdefgh"),
            u64::from(b'i'),
        ];
        assert_eq!(canonical_text(&s), expected);
    }

    #[test]
    fn the_hash_covers_every_word_the_seed_and_the_key() {
        let hash = |seed: u64, key: u64, words: &[u64]| hash_words(seed, key, words);
        let text: Vec<u64> = (1..=9).map(|w| w * 0x0101_0101).collect();
        let whole = hash(7, 3, &text);
        assert_eq!(hash(7, 3, &text), whole);
        assert_ne!(hash(8, 3, &text), whole, "the seed matters");
        assert_ne!(hash(7, 5, &text), whole, "the key matters");
        for i in 0..text.len() {
            for bit in [0, 17, 63] {
                let mut changed = text.clone();
                changed[i] ^= 1 << bit;
                assert_ne!(hash(7, 3, &changed), whole, "word {i} bit {bit}");
            }
            assert_ne!(hash(7, 3, &text[..i]), whole, "prefix {i}");
        }
        assert_ne!(hash(7, 3, &[0]), hash(7, 3, &[0, 0]));
        assert_ne!(hash(7, 3, &[]), hash(7, 3, &[0]));
        // Word by word, the same.
        for n in 0..=text.len() {
            let mut sink = HashSink::new(7, 3);
            for &w in &text[..n] {
                sink.word(w);
            }
            assert_eq!(sink.finish(), hash(7, 3, &text[..n]), "{n} words");
        }
    }

    #[test]
    fn string_tails_are_packed_byte_for_byte() {
        let text: Vec<u8> = (1..=23).collect();
        for len in 0..=text.len() {
            let bytes = &text[..len];
            let mut words = Words(Vec::new());
            words.bytes(bytes);
            let mut expected = Vec::new();
            for chunk in bytes.chunks(8) {
                let mut w = [0; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                expected.push(u64::from_le_bytes(w));
            }
            assert_eq!(words.0, expected, "{len} bytes");
        }
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
    fn types_hash_apart() {
        let types = [
            TypeId::of::<bool>(),
            TypeId::of::<i64>(),
            TypeId::of::<f64>(),
            TypeId::of::<String>(),
            TypeId::of::<serde_json::Value>(),
        ];
        let hashes: std::collections::HashSet<u64> = types.iter().map(|t| type_word(*t)).collect();
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
            variant: Some(Arc::from("v")),
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
        // The slots and the index agree after all that.
        let table = cache.read();
        let mut live = 0;
        for (at, slot) in table.slots.iter().enumerate() {
            if let Some(entry) = slot {
                assert_eq!(table.index.get(&entry.hash), Some(&at));
                live += 1;
            } else {
                assert!(table.free.contains(&at));
            }
        }
        assert_eq!((live, table.index.len()), (table.len, table.len));
    }
}
