//! The hash of a key's canonical form: a fast seeded hash of 64-bit words, four at a time.
//! Each pair of words is folded (a 64×64→128-bit multiplication, halves xored) into the
//! state, the second word masked with a random key; of a block's two products, the second
//! does not depend on the state, so the two run in parallel. Not cryptographic: every hit is
//! confirmed against the full key, so a collision costs a miss, never a wrong answer; and the
//! index maps a hash to one entry, so collisions cannot build long chains. The seed and the
//! key are random per cache, so that colliding contexts cannot be prepared in advance.

use super::encode::WordSink;

/// The multiplier of the folds: 2^64 divided by the golden ratio, an odd number.
pub(super) const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
pub(super) fn fold(a: u64, b: u64) -> u64 {
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
pub(super) fn hash_words(seed: u64, key: u64, words: &[u64]) -> u64 {
    let mut state = seed;
    let mut blocks = words.chunks_exact(4);
    for w in &mut blocks {
        state = block(state, seed, key, w);
    }
    state = tail(state, key, blocks.remainder());
    finish(state, words.len() as u64, key)
}

/// [`hash_words`], fed one word at a time.
pub(super) struct HashSink {
    state: u64,
    seed: u64,
    key: u64,
    pending: [u64; 4],
    words: u64,
}

impl HashSink {
    pub(super) fn new(seed: u64, key: u64) -> HashSink {
        HashSink {
            state: seed,
            seed,
            key,
            pending: [0; 4],
            words: 0,
        }
    }

    pub(super) fn finish(self) -> u64 {
        let pending = &self.pending[..(self.words % 4) as usize];
        finish(tail(self.state, self.key, pending), self.words, self.key)
    }
}

impl WordSink for HashSink {
    fn word(&mut self, word: u64) {
        self.pending[(self.words % 4) as usize] = word;
        self.words += 1;
        if self.words.is_multiple_of(4) {
            self.state = block(self.state, self.seed, self.key, &self.pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
