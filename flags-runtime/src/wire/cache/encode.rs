//! The canonical form of a cache key: the flag key, the requested type and the whole
//! context, written as a sequence of 64-bit words (tags, numbers, lengths, and the bytes of
//! strings packed eight to a word). Two keys have the same form exactly when they are equal,
//! so a hit can be confirmed by comparing words, and words are what the hash reads fastest.
//!
//! The form is written into a [`WordSink`]: the words an entry keeps ([`Words`]), the stack
//! buffer of a lookup (`probe::Inline`), the hash fed word by word (`hash::HashSink`), or a
//! comparison with a stored form (`probe::Compare`).

use std::any::TypeId;
use std::hash::{Hash, Hasher};
use std::time::SystemTime;

use super::hash::{MUL, fold};
use crate::context::Context;
use crate::value::Value;

/// Where the canonical form of a key goes: words, a hasher, or a comparison. The form is a
/// sequence of 64-bit words: tags, numbers, lengths, and the bytes of strings packed eight
/// to a word.
pub(super) trait WordSink {
    /// Takes the next word.
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
pub(super) struct Words(pub(super) Vec<u64>);

impl WordSink for Words {
    fn word(&mut self, word: u64) {
        self.0.push(word);
    }
}

/// The whole key: the flag key, the type, the context.
#[inline]
pub(super) fn key_words(sink: &mut impl WordSink, flag: &str, ty: u64, ctx: &Context) {
    string(sink, flag);
    sink.word(ty);
    canonical(sink, ctx);
}

/// `TypeId` shows its bits only through `Hash`: they are folded into a word.
#[inline]
pub(super) fn type_word(ty: TypeId) -> u64 {
    let mut capture = Capture(0);
    ty.hash(&mut capture);
    capture.0
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

/// The canonical form of a context: the targeting key, then the attributes in key order
/// (maps too), every value tagged with its type (so that `1`, `1.0` and `"1"` differ) and
/// strings and collections headed by their length, so that every part is self-delimiting.
/// Two contexts have the same form exactly when they are equal (floats by their bits).
#[inline]
fn canonical(sink: &mut impl WordSink, ctx: &Context) {
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

fn value(sink: &mut impl WordSink, v: &Value) {
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
fn string(sink: &mut impl WordSink, s: &str) {
    sink.word(header(b's', s.len()));
    sink.bytes(s.as_bytes());
}

/// A tag in the top byte, a length below.
fn header(tag: u8, len: usize) -> u64 {
    (u64::from(tag) << 56) | (len as u64 & ((1 << 56) - 1))
}

#[cfg(test)]
pub(super) mod tests {
    use std::any::TypeId;
    use std::time::{Duration, SystemTime};

    use super::super::probe::Compare;
    use super::*;
    use crate::context::Context;

    pub(in crate::wire::cache) fn canonical_text(ctx: &Context) -> Vec<u64> {
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
}
