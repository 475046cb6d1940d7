//! The cache's entries: a vector of slots, an index from key hash to slot, and a clock hand
//! for eviction. The index maps a hash to one slot, so colliding keys cannot build chains (a
//! hit confirms the key, see the `probe` module). Recency is the second-chance "clock"
//! approximation of LRU: readers set an entry's `used` flag under the read lock, and when the
//! table is full the hand clears the flags it passes and evicts the first entry that is
//! expired or was not used since it last passed, so a hit relinks nothing.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::entry::CacheEntry;

/// The entries in a vector, indexed by key hash, swept by a clock hand when full.
pub(super) struct CacheTable {
    pub(super) index: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    pub(super) slots: Vec<Option<CacheEntry>>,
    pub(super) free: Vec<usize>,
    hand: usize,
    pub(super) len: usize,
}

impl CacheTable {
    pub(super) fn with_capacity(capacity: usize) -> CacheTable {
        CacheTable {
            index: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            slots: Vec::with_capacity(capacity),
            free: Vec::new(),
            hand: 0,
            len: 0,
        }
    }

    /// Removes the first entry the hand finds expired or unused, clearing the `used` flag
    /// of those it passes (so two turns at most).
    pub(super) fn evict(&mut self, now: u64) {
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

    pub(super) fn remove(&mut self, at: usize) {
        if let Some(entry) = self.slots.get_mut(at).and_then(Option::take) {
            self.index.remove(&entry.hash);
            self.free.push(at);
            self.len -= 1;
        }
    }

    pub(super) fn push(&mut self, entry: CacheEntry) {
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

/// The index's keys are already hashes.
#[derive(Default)]
pub(super) struct PassThrough(u64);

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
