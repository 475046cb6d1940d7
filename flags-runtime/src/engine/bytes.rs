//! Bytes read a word at a time, for the short compares on the path of reads (a flag's key, GO
//! Feature Flag's affixes): a call of `memcmp` costs more than the compare.

/// The eight bytes of `s` from `at`, as one word (`at + 8 <= s.len()`: the callers check).
#[inline(always)]
pub(crate) fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_ne_bytes(w)
}

/// The four bytes of `s` from `at`, as one word (`at + 4 <= s.len()`: the callers check).
#[inline(always)]
pub(crate) fn half(s: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_ne_bytes(w)
}
