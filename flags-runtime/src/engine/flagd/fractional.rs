//! `fractional`: a deterministic pseudorandom split of subjects into weighted buckets.

use flags_schema::flagd::grammar;

use super::Val;
use super::ast::{Args, Expr, Fractional, Table};
use super::eval::{self, Cx};
use super::js::{self, as_str};
use super::thrown::Thrown;
use crate::engine::{EngineOptions, FractionalVersion};
use crate::value::Value;

/// The largest total weight (the grammar's, which the lint checks literal weights against).
pub(super) const MAX_WEIGHT: f64 = grammar::MAX_TOTAL_WEIGHT;

/// v1 scales the hash, read as a signed 32-bit integer, by the largest one.
const I32_MAX: f64 = i32::MAX as f64;

pub(super) fn compile(args: Args, options: EngineOptions) -> Expr {
    let table = match &args {
        Args::List(items)
            if matches!(
                options.fractional,
                FractionalVersion::V2 | FractionalVersion::V3
            ) && !items.is_empty() =>
        {
            let mut buckets = Some(Vec::new());
            let mut total = 0.0;
            let mut literal = true;
            let shorthand = matches!(&items[0], Expr::Const(Value::List(_)));
            for item in &items[usize::from(!shorthand)..] {
                let Expr::Const(value) = item else {
                    literal = false;
                    break;
                };
                match bucket(&Val::of(value)) {
                    Some((variant, weight)) => {
                        total += weight;
                        if let Some(b) = &mut buckets {
                            b.push((variant.to_value(), weight as u64));
                        }
                    }
                    None => buckets = None,
                }
            }
            literal.then_some(Table {
                buckets,
                total,
                shorthand,
            })
        }
        _ => None,
    };
    Expr::Fractional(Box::new(Fractional { args, table }))
}

/// The hash of the implicit bucketing key, the flag key followed by the targeting key; `None`
/// when there is no targeting key, or it is not a string.
fn implicit_hash(cx: &mut Cx<'_>) -> Option<u32> {
    let key = cx.targeting_key()?;
    let key = as_str(&key).filter(|k| !k.is_empty())?;
    Some(murmur3(&[cx.flag_key.as_bytes(), key.as_bytes()]))
}

/// v2 over literal buckets in the shorthand form (key: flag key and targeting key).
fn shorthand<'a>(table: &'a Table, cx: &mut Cx<'a>) -> Option<Val<'a>> {
    let buckets = table.buckets.as_ref()?;
    if table.total > MAX_WEIGHT {
        return None;
    }
    let point = (u64::from(implicit_hash(cx)?) * table.total as u64) >> 32;
    let mut cumulative = 0u64;
    for (variant, weight) in buckets {
        cumulative += weight;
        if cumulative > point {
            return Some(Val::of(variant));
        }
    }
    None
}

/// v2 over literal buckets, after `first`: `None` is null.
fn select_table<'a>(first: &Val<'a>, table: &'a Table, cx: &mut Cx<'a>) -> Option<Val<'a>> {
    let buckets = table.buckets.as_ref()?;
    let (hash, lead) = match first {
        Val::Str(key) => (murmur3(&[key.as_bytes()]), None),
        Val::String(key) => (murmur3(&[key.as_bytes()]), None),
        // A null bucketing value (a missing attribute) is dropped: the implicit key.
        Val::Null => (implicit_hash(cx)?, None),
        // No bucketing value: the first argument is a bucket too.
        _ => (implicit_hash(cx)?, Some(bucket(first)?)),
    };
    pick_in_table(hash, lead, buckets, table.total)
}

/// The bucket `hash` falls in: `lead` (a bucket read from the rule's arguments) first, then
/// the table's, over their total weight; `None` past the weight limit.
#[inline]
fn pick_in_table<'a>(
    hash: u32,
    lead: Option<(Val<'a>, f64)>,
    buckets: &'a [(Value, u64)],
    table_total: f64,
) -> Option<Val<'a>> {
    let total = table_total + lead.as_ref().map_or(0.0, |(_, w)| *w);
    if total > MAX_WEIGHT {
        return None;
    }
    let point = (u64::from(hash) * total as u64) >> 32;
    let mut cumulative = 0u64;
    if let Some((variant, weight)) = lead {
        cumulative += weight as u64;
        if cumulative > point {
            return Some(variant);
        }
    }
    for (variant, weight) in buckets {
        cumulative += weight;
        if cumulative > point {
            return Some(Val::of(variant));
        }
    }
    None
}

/// v3 over literal buckets, after `first` (the first included in the shorthand form): what
/// [`select`] answers in v3, without reading the buckets again.
fn select_table_v3<'a>(first: &Val<'a>, table: &'a Table, cx: &mut Cx<'a>) -> Option<Val<'a>> {
    let buckets = table.buckets.as_ref()?;
    let (hash, lead) = match first {
        Val::Null => return None,
        first if js::is_array(first) => {
            let key = cx.targeting_key()?;
            let key = as_str(&key)?;
            let hash = cbor::hash_pair(cx.flag_key, key);
            // The first argument is a bucket too (already in the table in the shorthand form).
            let lead = if table.shorthand {
                None
            } else {
                Some(bucket(first)?)
            };
            (hash, lead)
        }
        first => (cbor::hash(first)?, None),
    };
    pick_in_table(hash, lead, buckets, table.total)
}

/// MurmurHash3 x86 32-bit, seed 0, over the concatenation of `parts` (the shared
/// implementation, `engine/murmur3.rs`).
#[inline]
pub(crate) fn murmur3(parts: &[&[u8]]) -> u32 {
    crate::engine::murmur3::murmur3(parts, 0)
}

/// A bucket: its variant (a string, number, boolean or null) and weight, as the grammar shapes
/// buckets (`[variant]` or `[variant, weight]`) and counts weights.
pub(super) fn bucket<'a>(value: &Val<'a>) -> Option<(Val<'a>, f64)> {
    let (variant, weight) = match value {
        Val::Ref(Value::List(items)) => {
            let (variant, weight) = grammar::bucket(items)?;
            (Val::of(variant), weight.map(Val::of))
        }
        Val::List(items) => {
            let (variant, weight) = grammar::bucket(items)?;
            (variant.clone(), weight.cloned())
        }
        _ => return None,
    };
    if !matches!(
        variant,
        Val::Null | Val::Bool(_) | Val::Num(_) | Val::Str(_) | Val::String(_)
    ) {
        return None;
    }
    let weight = match weight {
        None => grammar::DEFAULT_WEIGHT,
        Some(Val::Num(w)) => grammar::bucket_weight(w)?,
        Some(_) => return None,
    };
    Some((variant, weight))
}

pub(super) fn eval<'a>(
    f: &'a Fractional,
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
    if let (Some(table), Args::List(items), FractionalVersion::V3) =
        (&f.table, &f.args, cx.fractional)
        && let Some(first) = items.first()
    {
        let first = eval::eval(first, cx, scope)?;
        cx.require_root(scope)?;
        return Ok(select_table_v3(&first, table, cx).unwrap_or(Val::Null));
    }
    if let (Some(table), Args::List(items)) = (&f.table, &f.args)
        && let (Some(first), FractionalVersion::V2) = (items.first(), cx.fractional)
    {
        if table.shorthand {
            cx.require_root(scope)?;
            return Ok(shorthand(table, cx).unwrap_or(Val::Null));
        }
        let first = eval::eval(first, cx, scope)?;
        cx.require_root(scope)?;
        return Ok(select_table(&first, table, cx).unwrap_or(Val::Null));
    }
    // Literal buckets: read in place, without an argument buffer.
    if let Args::List(items) = &f.args
        && let Some((first, rest)) = items.split_first()
    {
        let mut consts = Consts::new();
        if rest.iter().all(|item| consts.push(item)) {
            let first = eval::eval(first, cx, scope)?;
            cx.require_root(scope)?;
            return Ok(select(&first, &consts, cx).unwrap_or(Val::Null));
        }
    }
    let args = eval::eval_args(&f.args, cx, scope)?;
    cx.require_root(scope)?;
    let Some((first, rest)) = args.split_first() else {
        return Ok(Val::Null);
    };
    Ok(select(first, rest, cx).unwrap_or(Val::Null))
}

/// The buckets after the first argument, when they are literals.
struct Consts<'a> {
    items: [Option<&'a Value>; 8],
    len: usize,
}

impl<'a> Consts<'a> {
    fn new() -> Self {
        Consts {
            items: [None; 8],
            len: 0,
        }
    }

    fn push(&mut self, item: &'a Expr) -> bool {
        match item {
            Expr::Const(value) if self.len < self.items.len() => {
                self.items[self.len] = Some(value);
                self.len += 1;
                true
            }
            _ => false,
        }
    }
}

/// The buckets following the first argument, however they are held.
trait Rest<'a> {
    fn count(&self) -> usize;
    fn at(&self, i: usize) -> Val<'a>;
}

impl<'a> Rest<'a> for Consts<'a> {
    fn count(&self) -> usize {
        self.len
    }

    fn at(&self, i: usize) -> Val<'a> {
        self.items[i].map_or(Val::Null, Val::of)
    }
}

impl<'a> Rest<'a> for [Val<'a>] {
    fn count(&self) -> usize {
        self.len()
    }

    fn at(&self, i: usize) -> Val<'a> {
        self[i].clone()
    }
}

/// The first argument followed by the rest: every argument as a bucket.
struct All<'r, 'a, R: ?Sized> {
    first: &'r Val<'a>,
    rest: &'r R,
}

impl<'a, R: Rest<'a> + ?Sized> Rest<'a> for All<'_, 'a, R> {
    fn count(&self) -> usize {
        1 + self.rest.count()
    }

    fn at(&self, i: usize) -> Val<'a> {
        if i == 0 {
            self.first.clone()
        } else {
            self.rest.at(i - 1)
        }
    }
}

/// The variant, or `None` for null (the default variant).
fn select<'a, R: Rest<'a> + ?Sized>(first: &Val<'a>, rest: &R, cx: &mut Cx<'a>) -> Option<Val<'a>> {
    match cx.fractional {
        FractionalVersion::V1 | FractionalVersion::V2 => {
            let v1 = cx.fractional == FractionalVersion::V1;
            let hash = match first {
                Val::Str(key) => murmur3(&[key.as_bytes()]),
                Val::String(key) => murmur3(&[key.as_bytes()]),
                // A null bucketing value (a missing attribute) is dropped: the implicit key.
                Val::Null => implicit_hash(cx)?,
                // No bucketing value: the first argument is a bucket too.
                _ => {
                    let hash = implicit_hash(cx)?;
                    let all = All { first, rest };
                    return if v1 {
                        pick_v1(hash, &all)
                    } else {
                        pick(hash, &all)
                    };
                }
            };
            if v1 {
                pick_v1(hash, rest)
            } else {
                pick(hash, rest)
            }
        }
        FractionalVersion::V3 => {
            let hash = match first {
                Val::Null => return None,
                first if js::is_array(first) => {
                    let key = cx.targeting_key()?;
                    let key = as_str(&key)?;
                    let hash = cbor::hash_pair(cx.flag_key, key);
                    return pick(hash, &All { first, rest });
                }
                first => cbor::hash(first)?,
            };
            pick(hash, rest)
        }
    }
}

/// Total weight of valid buckets, or `None` when one is invalid or the total too large.
fn total<'a, R: Rest<'a> + ?Sized>(buckets: &R) -> Option<f64> {
    let mut total = 0.0;
    for i in 0..buckets.count() {
        total += bucket(&buckets.at(i))?.1;
    }
    (total <= MAX_WEIGHT).then_some(total)
}

/// v2: `(hash * total) >> 32`, then the first bucket whose cumulative weight exceeds it.
fn pick<'a, R: Rest<'a> + ?Sized>(hash: u32, buckets: &R) -> Option<Val<'a>> {
    let total = total(buckets)? as u64;
    let point = (u64::from(hash) * total) >> 32;
    let mut cumulative = 0u64;
    for i in 0..buckets.count() {
        let (variant, weight) = bucket(&buckets.at(i))?;
        cumulative += weight as u64;
        if cumulative > point {
            return Some(variant);
        }
    }
    None
}

/// v1: the hash as a signed integer scaled to a percentage, against cumulative percentages.
fn pick_v1<'a, R: Rest<'a> + ?Sized>(hash: u32, buckets: &R) -> Option<Val<'a>> {
    let total = total(buckets)?;
    if total == 0.0 {
        return None;
    }
    let point = v1_point(hash);
    let mut cumulative = 0.0;
    for i in 0..buckets.count() {
        let (variant, weight) = bucket(&buckets.at(i))?;
        cumulative += weight * 100.0 / total;
        if point < cumulative {
            return Some(variant);
        }
    }
    None
}

/// v1's point: the hash read as a signed integer, scaled to a percentage.
#[inline]
pub(super) fn v1_point(hash: u32) -> f64 {
    f64::from((hash as i32).unsigned_abs()) / I32_MAX * 100.0
}

/// Deterministic CBOR (RFC 8949 §4.2.1) of a bucketing value, for `fractional` v3.
pub(crate) mod cbor {
    use crate::engine::flagd::Val;
    use crate::engine::murmur3::Murmur3;
    use crate::value::Value;

    /// The encoding, or `None` for values CBOR cannot carry here.
    pub(crate) fn encode(value: &Val<'_>) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(32);
        val(&mut out, value)?;
        Some(out)
    }

    /// MurmurHash3 (seed 0) of the encoding of `value`, or `None` as [`encode`]. Texts,
    /// numbers, booleans and null (every bucketing value but an array or object) are hashed
    /// without building the encoding: no allocation.
    pub(crate) fn hash(value: &Val<'_>) -> Option<u32> {
        let text = match value {
            Val::Str(s) => *s,
            Val::String(s) => s.as_str(),
            Val::Null | Val::Undefined | Val::Bool(_) | Val::Num(_) => {
                let mut small = Small::default();
                scalar(&mut small, value);
                return Some(super::murmur3(&[small.bytes()]));
            }
            other => return encode(other).map(|bytes| super::murmur3(&[&bytes])),
        };
        let mut state = Murmur3::new(0);
        feed_text_head(&mut state, text.len());
        state.feed(text.as_bytes());
        Some(state.finish())
    }

    /// Feeds `state` the head of a text of `len` bytes (what precedes the bytes in its
    /// encoding), computed in registers: the bytes of [`head`] for major type 3, never stored
    /// to memory (a head written byte by byte and read back as a word stalls the read until
    /// the stores retire: some 40 % of the time of a v3 read, before).
    #[inline(always)]
    pub(crate) fn feed_text_head(state: &mut Murmur3, len: usize) {
        const TEXT: u32 = 3 << 5;
        match len {
            0..=23 => state.feed_word(TEXT | len as u32, 1),
            24..=0xff => state.feed_word(TEXT | 24 | (len as u32) << 8, 2),
            0x100..=0xffff => {
                state.feed_word(TEXT | 25 | u32::from((len as u16).swap_bytes()) << 8, 3)
            }
            _ => feed_long_text_head(state, len as u64),
        }
    }

    /// [`feed_text_head`] for texts of 64 KiB and more: the head byte, then the length's
    /// four or eight bytes, big-endian.
    #[cold]
    fn feed_long_text_head(state: &mut Murmur3, len: u64) {
        const TEXT: u32 = 3 << 5;
        if let Ok(len) = u32::try_from(len) {
            state.feed_word(TEXT | 26, 1);
            state.feed_word(len.swap_bytes(), 4);
        } else {
            state.feed_word(TEXT | 27, 1);
            state.feed_word(((len >> 32) as u32).swap_bytes(), 4);
            state.feed_word((len as u32).swap_bytes(), 4);
        }
    }

    /// MurmurHash3 (seed 0) of the encoding of the array of texts `[a, b]` (the implicit
    /// bucketing key, `[flagKey, targetingKey]`), without building it.
    pub(crate) fn hash_pair(a: &str, b: &str) -> u32 {
        let mut state = Murmur3::new(0);
        // The head of an array of two.
        state.feed_word(0x82, 1);
        feed_text_head(&mut state, a.len());
        state.feed(a.as_bytes());
        feed_text_head(&mut state, b.len());
        state.feed(b.as_bytes());
        state.finish()
    }

    /// Where an encoding is written: a growing buffer, or [`Small`].
    trait Out {
        fn push(&mut self, byte: u8);
        fn extend_from_slice(&mut self, bytes: &[u8]);
    }

    impl Out for Vec<u8> {
        fn push(&mut self, byte: u8) {
            Vec::push(self, byte);
        }
        fn extend_from_slice(&mut self, bytes: &[u8]) {
            Vec::extend_from_slice(self, bytes);
        }
    }

    /// The encoding of a head or a scalar, on the stack: at most 9 bytes.
    #[derive(Default)]
    pub(crate) struct Small {
        bytes: [u8; 9],
        len: usize,
    }

    impl Small {
        pub(crate) fn bytes(&self) -> &[u8] {
            &self.bytes[..self.len]
        }
    }

    impl Out for Small {
        fn push(&mut self, byte: u8) {
            self.extend_from_slice(&[byte]);
        }
        fn extend_from_slice(&mut self, bytes: &[u8]) {
            self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    /// A null, boolean or number (at most 9 bytes); nothing for another value.
    fn scalar(out: &mut impl Out, v: &Val<'_>) {
        match v {
            Val::Null | Val::Undefined => out.push(0xf6),
            Val::Bool(false) => out.push(0xf4),
            Val::Bool(true) => out.push(0xf5),
            Val::Num(n) => number(out, *n),
            _ => {}
        }
    }

    fn head(out: &mut impl Out, major: u8, n: u64) {
        let m = major << 5;
        match n {
            0..=23 => out.push(m | n as u8),
            24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
            0x100..=0xffff => {
                out.push(m | 25);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(m | 26);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                out.push(m | 27);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
    }

    fn number(out: &mut impl Out, n: f64) {
        if n.fract() == 0.0 && n >= -(2f64.powi(63)) && n < 2f64.powi(64) {
            if n >= 0.0 {
                head(out, 0, n as u64);
            } else {
                head(out, 1, (-1.0 - n) as u64);
            }
            return;
        }
        // The shortest float that holds the value exactly.
        if let Some(half) = to_half(n) {
            out.push(0xf9);
            out.extend_from_slice(&half.to_be_bytes());
        } else if f64::from(n as f32) == n || n.is_nan() {
            out.push(0xfa);
            out.extend_from_slice(&(n as f32).to_be_bytes());
        } else {
            out.push(0xfb);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// The IEEE half-precision bits of `n`, when it converts exactly.
    fn to_half(n: f64) -> Option<u16> {
        if n.is_nan() {
            return Some(0x7e00);
        }
        if n.is_infinite() {
            return Some(if n > 0.0 { 0x7c00 } else { 0xfc00 });
        }
        let f = n as f32;
        if f64::from(f) != n {
            return None;
        }
        let bits = f.to_bits();
        let sign = ((bits >> 16) & 0x8000) as u16;
        let exp = ((bits >> 23) & 0xff) as i32 - 127;
        let mant = bits & 0x7f_ffff;
        if (-14..=15).contains(&exp) {
            // Normal half: 10 mantissa bits.
            if mant & 0x1fff != 0 {
                return None;
            }
            return Some(sign | (((exp + 15) as u16) << 10) | (mant >> 13) as u16);
        }
        if (-24..-14).contains(&exp) {
            // Subnormal half.
            let full = mant | 0x80_0000;
            let shift = (-exp - 14 + 13) as u32;
            if full & ((1 << shift) - 1) != 0 {
                return None;
            }
            return Some(sign | (full >> shift) as u16);
        }
        None
    }

    fn text(out: &mut Vec<u8>, s: &str) {
        head(out, 3, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }

    fn value(out: &mut Vec<u8>, v: &Value) -> Option<()> {
        val(out, &Val::of(v))
    }

    fn val(out: &mut Vec<u8>, v: &Val<'_>) -> Option<()> {
        match v {
            Val::Null | Val::Undefined | Val::Bool(_) | Val::Num(_) => scalar(out, v),
            Val::Str(s) => text(out, s),
            Val::String(s) => text(out, s),
            Val::Ref(Value::List(items)) => {
                head(out, 4, items.len() as u64);
                for item in items {
                    value(out, item)?;
                }
            }
            Val::List(items) => {
                head(out, 4, items.len() as u64);
                for item in items {
                    val(out, item)?;
                }
            }
            Val::Ref(Value::Map(map)) => {
                let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let mut key = Vec::new();
                    text(&mut key, k);
                    let mut encoded = Vec::new();
                    value(&mut encoded, v)?;
                    entries.push((key, encoded));
                }
                map_entries(out, entries);
            }
            Val::Object(fields) => {
                let mut entries = Vec::with_capacity(fields.len());
                for (k, v) in fields {
                    let mut key = Vec::new();
                    text(&mut key, k);
                    let mut encoded = Vec::new();
                    val(&mut encoded, v)?;
                    entries.push((key, encoded));
                }
                map_entries(out, entries);
            }
            Val::Ref(other) => val(out, &Val::of(other))?,
            Val::Root => return None,
        }
        Some(())
    }

    /// Map entries sorted by the bytes of their encoded keys.
    fn map_entries(out: &mut Vec<u8>, mut entries: Vec<(Vec<u8>, Vec<u8>)>) {
        entries.sort();
        head(out, 5, entries.len() as u64);
        for (k, v) in entries {
            out.extend_from_slice(&k);
            out.extend_from_slice(&v);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn hashes_without_encoding_agree_with_the_encoding() {
            let encoded = |v: &Val<'_>| super::super::murmur3(&[&encode(v).unwrap()]);
            let long = "x".repeat(300);
            let mid = "y".repeat(30);
            for text in ["", "a", "user-123", mid.as_str(), long.as_str(), "ü"] {
                assert_eq!(
                    hash(&Val::Str(text)),
                    Some(encoded(&Val::Str(text))),
                    "{text}"
                );
                let owned = Val::String(text.to_owned());
                assert_eq!(hash(&owned), Some(encoded(&owned)), "{text}");
                for other in ["flag", "", long.as_str()] {
                    let pair = Val::List(vec![Val::Str(other), Val::Str(text)]);
                    assert_eq!(hash_pair(other, text), encoded(&pair), "{other} {text}");
                }
            }
            for v in [
                Val::Null,
                Val::Bool(true),
                Val::Bool(false),
                Val::Num(7.0),
                Val::Num(-1e10),
                Val::Num(1.1),
                Val::Num(1.5),
                Val::Num(1e300),
                Val::Num(f64::NAN),
            ] {
                assert_eq!(hash(&v), Some(encoded(&v)), "{v:?}");
            }
            let list = Val::List(vec![Val::Num(1.0), Val::Str("a")]);
            assert_eq!(hash(&list), Some(encoded(&list)));
        }

        /// Texts whose head changes length (at 24, 256 and 65,536 bytes), multi-byte UTF-8
        /// across those lengths, and pairs whose pieces start at every offset of a hash
        /// block: the hash fed in pieces is the hash of the encoding.
        #[test]
        fn text_heads_at_every_length_boundary() {
            let encoded = |v: &Val<'_>| super::super::murmur3(&[&encode(v).unwrap()]);
            let mut texts = Vec::new();
            for n in [
                0, 1, 2, 3, 4, 5, 22, 23, 24, 25, 255, 256, 257, 65_535, 65_536, 65_537,
            ] {
                texts.push("k".repeat(n));
                // The same byte length ending in a character of two, three or four bytes.
                for tail in ["é", "€", "😀"] {
                    if n >= tail.len() {
                        texts.push("k".repeat(n - tail.len()) + tail);
                    }
                }
            }
            for text in &texts {
                let value = Val::Str(text);
                assert_eq!(hash(&value), Some(encoded(&value)), "{}", text.len());
            }
            let short: Vec<&String> = texts.iter().filter(|t| t.len() < 300).collect();
            let prefixes = ["", "f", "fl", "fla", "flag", "rollout", "é😀"];
            for text in &short {
                let boundaries = short.iter().filter(|t| [24, 256].contains(&t.len()));
                for prefix in prefixes
                    .iter()
                    .copied()
                    .chain(boundaries.map(|t| t.as_str()))
                {
                    let pair = Val::List(vec![Val::Str(prefix), Val::Str(text)]);
                    assert_eq!(
                        hash_pair(prefix, text),
                        encoded(&pair),
                        "{} {}",
                        prefix.len(),
                        text.len()
                    );
                }
            }
            let longest = texts.last().unwrap();
            let pair = Val::List(vec![Val::Str(longest), Val::Str(longest)]);
            assert_eq!(hash_pair(longest, longest), encoded(&pair));
        }

        /// The head fed from registers is [`head`]'s bytes, for every range of lengths (those
        /// of 4 GiB and more without a text that long), after every number of bytes pending.
        #[test]
        fn fed_heads_are_the_encoded_heads() {
            for len in [
                0u64,
                23,
                24,
                0xff,
                0x100,
                0x1234,
                0xffff,
                0x1_0000,
                0x12_3456,
                0xffff_ffff,
                0x1_0000_0000,
                0x0102_0304_0506_0708,
                u64::MAX,
            ] {
                let Ok(len) = usize::try_from(len) else {
                    continue;
                };
                let mut bytes = Vec::new();
                head(&mut bytes, 3, len as u64);
                for before in ["", "a", "ab", "abc", "abcd", "abcde"] {
                    let mut state = Murmur3::new(0);
                    state.feed(before.as_bytes());
                    feed_text_head(&mut state, len);
                    state.feed(b"xyz");
                    let expected = [before.as_bytes(), &bytes, b"xyz"].concat();
                    assert_eq!(
                        state.finish(),
                        super::super::murmur3(&[&expected]),
                        "{len} {before}"
                    );
                }
            }
        }

        #[test]
        fn deterministic_encoding() {
            let enc = |v: Val<'_>| encode(&v).unwrap();
            assert_eq!(enc(Val::Num(1.0)), [0x01]);
            assert_eq!(enc(Val::Num(-0.0)), [0x00]);
            assert_eq!(enc(Val::Num(24.0)), [0x18, 24]);
            assert_eq!(enc(Val::Num(-1.0)), [0x20]);
            assert_eq!(enc(Val::Num(1.5)), [0xf9, 0x3e, 0x00]);
            assert_eq!(enc(Val::Num(100000.5)), [0xfa, 0x47, 0xc3, 0x50, 0x40]);
            assert_eq!(
                enc(Val::Num(1.1)),
                [0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]
            );
            assert_eq!(enc(Val::Num(5.960464477539063e-8)), [0xf9, 0x00, 0x01]);
            assert_eq!(enc(Val::Str("a")), [0x61, b'a']);
            assert_eq!(enc(Val::Bool(true)), [0xf5]);
            assert_eq!(
                enc(Val::List(vec![Val::Str("f"), Val::Str("u")])),
                [0x82, 0x61, b'f', 0x61, b'u']
            );
            // Keys sort by their encoded bytes: shorter first.
            let map = Value::Map(
                [
                    ("bb".to_owned(), Value::Int(1)),
                    ("c".to_owned(), Value::Int(2)),
                ]
                .into(),
            );
            assert_eq!(
                enc(Val::Ref(&map)),
                [0xa2, 0x61, b'c', 0x02, 0x62, b'b', b'b', 0x01]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_split_evenly() {
        // 10,000 keys over four equal buckets: each within 5% of a quarter.
        let buckets = Value::List(
            ["a", "b", "c", "d"]
                .iter()
                .map(|v| Value::List(vec![Value::from(*v), Value::Int(25)]))
                .collect(),
        );
        let Value::List(buckets) = &buckets else {
            unreachable!()
        };
        let vals: Vec<Val<'_>> = buckets.iter().map(Val::of).collect();
        let vals = vals.as_slice();
        let mut counts = [0usize; 4];
        for i in 0..10_000 {
            let key = format!("flag-user-{i}");
            let variant = pick(murmur3(&[key.as_bytes()]), vals).unwrap();
            let Val::Str(name) = variant else { panic!() };
            counts[(name.as_bytes()[0] - b'a') as usize] += 1;
        }
        for count in counts {
            assert!((2375..=2625).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn extreme_hashes_pick_first_and_last() {
        let buckets = Value::List(vec![
            Value::List(vec![Value::from("first"), Value::Int(1)]),
            Value::List(vec![Value::from("last"), Value::Int(1)]),
        ]);
        let Value::List(items) = &buckets else {
            unreachable!()
        };
        let vals: Vec<Val<'_>> = items.iter().map(Val::of).collect();
        let vals = vals.as_slice();
        assert!(matches!(
            pick(murmur3(&[b"ejOoVL"]), vals),
            Some(Val::Str("first"))
        ));
        assert!(matches!(
            pick(murmur3(&[b"ceQdGm"]), vals),
            Some(Val::Str("last"))
        ));
    }
}
