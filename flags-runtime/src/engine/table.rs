//! The key index of a snapshot: open addressing over precomputed key hashes.
//!
//! Every `FlagKey` carries the hash of its key, computed at compile time for the keys the
//! derive generates (and once, at construction, for keys made at run time), so a read hashes
//! nothing: it masks the hash ([`crate::key::key_hash`]), compares it, then the key.

/// Open addressing with linear probing: each slot holds a key hash and `index + 1` of its
/// flag (0: empty). At least twice as many slots as flags, a power of two.
#[derive(Debug)]
pub(crate) struct KeyTable {
    slots: Box<[(u64, u32)]>,
    mask: usize,
}

impl KeyTable {
    /// Indexes `hashes` (one per flag, in flag order; fewer than `u32::MAX`).
    pub(crate) fn build(hashes: impl ExactSizeIterator<Item = u64>) -> KeyTable {
        let capacity = (hashes.len() * 2).next_power_of_two().max(8);
        let mask = capacity - 1;
        let mut slots = vec![(0u64, 0u32); capacity].into_boxed_slice();
        for (index, hash) in hashes.enumerate() {
            let mut slot = hash as usize & mask;
            while slots[slot].1 != 0 {
                slot = (slot + 1) & mask;
            }
            slots[slot] = (hash, index as u32 + 1);
        }
        KeyTable { slots, mask }
    }

    /// The index of the flag with this hash for which `is_key` holds (hashes may collide).
    #[inline(always)]
    pub(crate) fn find(&self, hash: u64, is_key: impl Fn(usize) -> bool) -> Option<usize> {
        let mut slot = hash as usize & self.mask;
        loop {
            let (slot_hash, entry) = *self.slots.get(slot)?;
            if entry == 0 {
                return None;
            }
            let index = entry as usize - 1;
            if slot_hash == hash && is_key(index) {
                return Some(index);
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::key_hash;

    #[test]
    fn finds_every_key_and_no_other() {
        let keys: Vec<String> = (0..1000).map(|i| format!("flag-{i}")).collect();
        let table = KeyTable::build(keys.iter().map(|k| key_hash(k)));
        for (index, key) in keys.iter().enumerate() {
            assert_eq!(table.find(key_hash(key), |i| keys[i] == *key), Some(index));
        }
        assert_eq!(
            table.find(key_hash("flag-1000"), |i| keys[i] == "flag-1000"),
            None
        );
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_the_key() {
        // Two keys forced onto one hash: the key comparison decides.
        let keys = ["a", "b"];
        let table = KeyTable::build([7u64, 7u64].into_iter());
        assert_eq!(table.find(7, |i| keys[i] == "a"), Some(0));
        assert_eq!(table.find(7, |i| keys[i] == "b"), Some(1));
        assert_eq!(table.find(7, |i| keys[i] == "c"), None);
    }

    #[test]
    fn the_hash_spreads_over_low_bits() {
        // Keys differing in one character land in different slots of a small table.
        let mut low: Vec<u64> = (b'a'..=b'z')
            .map(|c| key_hash(&format!("flag-{}", c as char)) & 63)
            .collect();
        low.sort_unstable();
        low.dedup();
        assert!(low.len() > 16, "{low:?}");
    }
}
