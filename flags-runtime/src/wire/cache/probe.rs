//! A looked-up key: its canonical form built once on the stack (no allocation), then hashed
//! and compared word by word with the entry the index finds. A key too long for the stack (a
//! context with much text) is hashed and compared while walking the context again instead.

use super::encode::{WordSink, key_words};
use super::hash::{HashSink, hash_words};
use crate::context::Context;

/// How many words of a looked-up key are built on the stack; a longer key (a context with
/// much text) is hashed and compared while walking the context instead.
const INLINE: usize = 32;

/// The form of a looked-up key, on the stack.
pub(super) struct Inline {
    words: [u64; INLINE],
    len: usize,
    pub(super) overflow: bool,
}

impl Inline {
    pub(super) const EMPTY: Inline = Inline {
        words: [0; INLINE],
        len: 0,
        overflow: false,
    };
}

impl WordSink for Inline {
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
pub(super) struct Probe<'a> {
    pub(super) inline: &'a Inline,
    flag: &'a str,
    ty: u64,
    ctx: &'a Context,
}

impl<'a> Probe<'a> {
    #[inline]
    pub(super) fn new(
        inline: &'a mut Inline,
        flag: &'a str,
        ty: u64,
        ctx: &'a Context,
    ) -> Probe<'a> {
        key_words(inline, flag, ty, ctx);
        Probe {
            inline,
            flag,
            ty,
            ctx,
        }
    }

    #[inline]
    pub(super) fn hash(&self, seed: u64, key: u64) -> u64 {
        if self.inline.overflow {
            let mut sink = HashSink::new(seed, key);
            key_words(&mut sink, self.flag, self.ty, self.ctx);
            sink.finish()
        } else {
            hash_words(seed, key, &self.inline.words[..self.inline.len])
        }
    }

    #[inline]
    pub(super) fn matches(&self, stored: &[u64]) -> bool {
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

/// Compares the form, as it is produced, with a stored one.
pub(super) struct Compare<'a> {
    pub(super) expected: &'a [u64],
    pub(super) equal: bool,
}

impl WordSink for Compare<'_> {
    fn word(&mut self, word: u64) {
        if self.equal {
            match self.expected.split_first() {
                Some((&first, rest)) if first == word => self.expected = rest,
                _ => self.equal = false,
            }
        }
    }
}
