//! MurmurHash3 x86 32-bit with a seed: the rollout hash of flagd's `fractional` (seed 0) and of
//! Flagship's rollouts (seeded per flag). A leaf: it imports nothing from the engine.

/// MurmurHash3 x86 32-bit with `seed`, over the concatenation of `parts` (so that a key made
/// of several pieces is hashed without building it).
#[inline]
pub(crate) fn murmur3(parts: &[&[u8]], seed: u32) -> u32 {
    if let [part] = parts {
        return murmur3_slice(part, seed);
    }
    murmur3_parts(parts, seed)
}

/// [`murmur3`] over parts of any length, through [`Murmur3`].
fn murmur3_parts(parts: &[&[u8]], seed: u32) -> u32 {
    let mut state = Murmur3::new(seed);
    for part in parts {
        state.feed(part);
    }
    state.finish()
}

/// MurmurHash3 x86 32-bit fed in pieces: whole blocks read in place, the bytes of a block that
/// spans two pieces gathered in a register (neither copied to a buffer nor passed to
/// `memcpy`). A state fed a constant prefix (a flag key) can be kept and copied per hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Murmur3 {
    h: u32,
    /// The bytes of the block being gathered, little-endian, and how many (0 to 3).
    k: u32,
    pending: u32,
    len: u32,
}

impl Murmur3 {
    pub(crate) fn new(seed: u32) -> Murmur3 {
        Murmur3 {
            h: seed,
            k: 0,
            pending: 0,
            len: 0,
        }
    }

    /// Hashes `bytes` after what was fed.
    #[inline]
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        // The length is taken modulo 2^32, as the reference implementation's `int` length.
        self.len = self.len.wrapping_add(bytes.len() as u32);
        if self.pending > 0 {
            let take = (4 - self.pending as usize).min(bytes.len());
            self.k |= short_le(&bytes[..take]) << (8 * self.pending);
            self.pending += take as u32;
            bytes = &bytes[take..];
            if self.pending < 4 {
                return;
            }
            self.h = murmur3_round(self.h, self.k);
            self.k = 0;
            self.pending = 0;
        }
        let mut blocks = bytes.chunks_exact(4);
        for block in &mut blocks {
            self.h = murmur3_round(
                self.h,
                u32::from_le_bytes([block[0], block[1], block[2], block[3]]),
            );
        }
        // `k` is empty here: nothing was pending, or the pending block was just hashed.
        self.k = short_le(blocks.remainder());
        self.pending = blocks.remainder().len() as u32;
    }

    /// Hashes the `n` bytes (1 to 4) of `word`, little-endian (its first byte in the low
    /// bits, nothing above the `n` bytes), after what was fed: a few bytes computed in a
    /// register (a CBOR head) hashed without being stored to memory and read back.
    #[inline]
    pub(crate) fn feed_word(&mut self, word: u32, n: u32) {
        debug_assert!((1..=4).contains(&n) && (n == 4 || word >> (8 * n) == 0));
        self.len = self.len.wrapping_add(n);
        // `k` holds `pending` bytes (0 to 3) and nothing above them: with `n` more, at most
        // seven, of which the first four make a block when there are four.
        let gathered = u64::from(self.k) | (u64::from(word) << (8 * self.pending));
        let filled = self.pending + n;
        if filled >= 4 {
            self.h = murmur3_round(self.h, gathered as u32);
            self.k = (gathered >> 32) as u32;
            self.pending = filled - 4;
        } else {
            self.k = gathered as u32;
            self.pending = filled;
        }
    }

    /// The hash of what was fed.
    #[inline]
    pub(crate) fn finish(&self) -> u32 {
        murmur3_finish(self.h, self.k, self.pending > 0, self.len as usize)
    }
}

/// Up to three bytes as a little-endian word (the first byte lowest), without a loop.
#[inline(always)]
fn short_le(bytes: &[u8]) -> u32 {
    match *bytes {
        [a] => u32::from(a),
        [a, b] => u32::from(a) | u32::from(b) << 8,
        [a, b, c] => u32::from(a) | u32::from(b) << 8 | u32::from(c) << 16,
        _ => 0,
    }
}

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

#[inline]
fn murmur3_round(h: u32, k: u32) -> u32 {
    let k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    (h ^ k)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

/// The last step: the tail's bytes `k` (when there is a tail), the length, the mix.
#[inline]
fn murmur3_finish(mut h: u32, k: u32, tail: bool, len: usize) -> u32 {
    if tail {
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= len as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// MurmurHash3 x86 32-bit over one slice.
#[inline]
fn murmur3_slice(bytes: &[u8], seed: u32) -> u32 {
    let mut h = seed;
    let mut blocks = bytes.chunks_exact(4);
    for block in &mut blocks {
        h = murmur3_round(
            h,
            u32::from_le_bytes([block[0], block[1], block[2], block[3]]),
        );
    }
    let k = short_le(blocks.remainder());
    murmur3_finish(h, k, !blocks.remainder().is_empty(), bytes.len())
}

/// Byte-at-a-time MurmurHash3, to check the chunked form against.
#[cfg(test)]
fn murmur3_streaming(parts: &[&[u8]], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h: u32 = seed;
    let mut len = 0usize;
    let mut block = [0u8; 4];
    let mut filled = 0;
    let mix = |h: u32, k: u32| -> u32 {
        let k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        (h ^ k)
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64)
    };
    for part in parts {
        for &byte in *part {
            block[filled] = byte;
            filled += 1;
            len += 1;
            if filled == 4 {
                h = mix(h, u32::from_le_bytes(block));
                filled = 0;
            }
        }
    }
    if filled > 0 {
        let mut k: u32 = 0;
        for (i, byte) in block[..filled].iter().enumerate() {
            k |= u32::from(*byte) << (8 * i);
        }
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= len as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_vectors() {
        assert_eq!(murmur3(&[b"ejOoVL"], 0), 0x0000_0000);
        assert_eq!(murmur3(&[b"ceQdGm"], 0), 0xFFFF_FFFF);
        assert_eq!(murmur3(&[b""], 0), 0);
        // Reference values of MurmurHash3_x86_32 with seed 0.
        assert_eq!(murmur3(&[b"hello"], 0), 0x248b_fa47);
        assert_eq!(
            murmur3(&[b"The quick brown fox jumps over the lazy dog"], 0),
            0x2e4f_f723
        );
        // Chunking does not change the hash.
        assert_eq!(murmur3(&[b"hel", b"lo"], 0), murmur3(&[b"hello"], 0));
        assert_eq!(murmur3(&[b"", b"ejOo", b"VL"], 0), 0);
        for text in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "flag-key-user-1234567",
            "é😀",
        ] {
            let (a, b) = text.as_bytes().split_at(text.len() / 2);
            assert_eq!(
                murmur3(&[a, b], 0),
                murmur3_streaming(&[text.as_bytes()], 0)
            );
        }
        for text in ["", "abc", "abcdefgh", "abcdefghi"] {
            for i in 0..=text.len() {
                for j in i..=text.len() {
                    let parts = [
                        &text.as_bytes()[..i],
                        &text.as_bytes()[i..j],
                        &text.as_bytes()[j..],
                    ];
                    assert_eq!(
                        murmur3(&parts, 0),
                        murmur3_slice(text.as_bytes(), 0),
                        "{text} {i} {j}"
                    );
                    // The carrying form itself.
                    assert_eq!(
                        murmur3_parts(&parts, 0),
                        murmur3_slice(text.as_bytes(), 0),
                        "{text} {i} {j}"
                    );
                }
            }
        }
        let long = "x".repeat(300);
        assert_eq!(
            murmur3(&[b"k", long.as_bytes()], 0),
            murmur3_streaming(&[b"k", long.as_bytes()], 0)
        );
        // Around the length once copied on the stack.
        for n in [126, 127, 128, 129, 130] {
            let text = "y".repeat(n);
            let (a, b) = text.as_bytes().split_at(n / 3);
            assert_eq!(
                murmur3(&[a, b], 7),
                murmur3_streaming(&[text.as_bytes()], 7)
            );
        }
    }

    /// The vectors of Flagship's conformance file (seeded, over UTF-8).
    #[test]
    fn seeded_vectors() {
        let hash = |text: &str, seed| murmur3(&[text.as_bytes()], seed);
        assert_eq!(hash("", 0), 0);
        assert_eq!(hash("hello", 0), 613_153_351);
        assert_eq!(hash("hello", 42), 3_806_057_185);
        assert_eq!(hash("🚀🎉", 0), 727_794_551);
        assert_eq!(hash("日本語", 45), 1_482_885_209);
        assert_eq!(
            hash("aaaabbbbccccdddd1111222233334444:rollout_test", 0),
            3_744_267_545
        );
        assert_eq!(hash(&"a".repeat(1000), 7), 4_253_212_744);
        for seed in [0, 1, 45, u32::MAX] {
            for text in ["", "a", "abcde", "é😀x"] {
                let (a, b) = text.as_bytes().split_at(text.len() / 2);
                assert_eq!(murmur3(&[a, b], seed), murmur3_slice(text.as_bytes(), seed));
                assert_eq!(
                    murmur3(&[a, b], seed),
                    murmur3_streaming(&[text.as_bytes()], seed)
                );
            }
        }
    }
}
