//! The cache of single-flag remote evaluations: bounded in time (TTL) and size (an LRU
//! approximation, see [`RemoteCache`]), keyed by the flag key, the requested type and the
//! whole context in a canonical form.
//!
//! A lookup allocates nothing: the key's canonical form is built on the stack, hashed, and
//! compared with the entry found. Entries hold their value decoded for the type they are
//! keyed by, so a hit of a scalar reads it without touching JSON. Hits are served as reason
//! `CACHED`; failures and `DISABLED` answers are never stored.
//!
//! This module holds the cache itself: its options, lookups, inserts and the coarse time hits
//! compare expiry times with. The parts of a hit, in the order it runs them (the design and
//! its measurements are in `benches/README.md`, "Cache hit"):
//! - [`encode`]: the key's canonical form, a sequence of 64-bit words;
//! - [`probe`]: that form built on the stack for a lookup, hashed and compared;
//! - [`hash`]: the seeded multiply-fold hash of the words;
//! - [`table`]: the entries, indexed by hash, and the clock hand that evicts;
//! - [`entry`]: an entry, its value stored decoded for the type it is keyed by;
//! - [`clock`]: where the time comes from (a manual clock in tests).

mod clock;
mod encode;
mod entry;
mod hash;
mod probe;
mod table;

use std::any::TypeId;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use super::Resolution;
use crate::context::Context;
use crate::details::{EvaluationDetails, Reason};
use crate::key::{FlagKey, FlagValue};

pub(crate) use clock::Clock;
#[cfg_attr(not(test), allow(unused_imports))] // used by tests
pub(crate) use clock::ManualClock;
use encode::{Words, key_words, type_word};
use entry::{CacheEntry, Stored};
use hash::hash_words;
use probe::{Inline, Probe};
use table::CacheTable;

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
    table: RwLock<CacheTable>,
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
            table: RwLock::new(CacheTable::with_capacity(options.max_entries.min(4096))),
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
        read: impl FnOnce(&CacheEntry) -> R,
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
        if resolution.reason == Reason::Disabled {
            return false;
        }
        self.store(flag, ty, ctx, resolution)
    }

    /// [`RemoteCache::insert`], `DISABLED` answers included: for a reader that reports the
    /// server's reason rather than `CACHED` (through [`RemoteCache::get`]: the remote fallback).
    pub(crate) fn store(
        &self,
        flag: &str,
        ty: TypeId,
        ctx: &Context,
        resolution: Arc<Resolution>,
    ) -> bool {
        if self.disabled() || resolution.error.is_some() || resolution.reason == Reason::Error {
            return false;
        }
        let mut words = Words(Vec::with_capacity(16));
        key_words(&mut words, flag, type_word(ty), ctx);
        let hash = hash_words(self.seed, self.key, &words.0);
        let now = self.now();
        let entry = CacheEntry {
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
        *self.write() = CacheTable::with_capacity(0);
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
    fn read(&self) -> RwLockReadGuard<'_, CacheTable> {
        self.table
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, CacheTable> {
        self.table
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A duration in nanoseconds, saturated (585 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
