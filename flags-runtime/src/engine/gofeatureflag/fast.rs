//! The specialised form of the commonest query: one comparison of a top-level attribute with a
//! string literal (`email ew "@example.com"`), prepared when the flag loads: the attribute
//! resolved (a context attribute, the targeting key as `key` or `targetingKey`), the literal
//! checked for ASCII and lowered once.
//!
//! It answers from the attribute's bytes in place (`byte | mask == lower`, a word at a time),
//! for the inputs whose answer lowering both texts gives is certain: an ASCII attribute (for
//! `sw` and `ew`, only the bytes compared need be ASCII). For any other input it answers `None` and the query
//! is evaluated as written (`query.rs`), so that every answer is the general evaluation's; the
//! differential test (`fast_tests.rs`) runs both over generated queries and contexts.

use flags_schema::gofeatureflag::query::{Expr, Literal, Op};

use crate::context::Context;
use crate::value::Value;

/// A query of one comparison of a top-level attribute with an ASCII string literal.
#[derive(Debug)]
pub(super) struct Clause {
    attribute: Attribute,
    op: Op,
    /// The literal, lowered (ASCII).
    lower: Box<[u8]>,
    /// Per byte of [`Clause::lower`], the bit an attribute's byte may differ in: `0x20` for a
    /// letter (`A` | `0x20` is `a`), else none. A byte matches when `byte | mask == lower`.
    mask: Box<[u8]>,
    /// The query as written, for the inputs the clause does not answer.
    pub(super) expr: Expr,
}

/// Where the attribute comes from.
#[derive(Debug)]
enum Attribute {
    /// `key`: the targeting key, empty when there is none.
    Key,
    /// `targetingKey`: the targeting key, else the attribute of that name.
    TargetingKey,
    /// Any other name: the context's attribute.
    Named(Box<str>),
}

impl Clause {
    /// The specialised form of `expr`, when it has the shape: `attribute op "text"` with a
    /// one-segment path other than `anonymous` (a boolean to the engine), an ASCII literal
    /// and an operator other than `in` (which a single string never matches).
    pub(super) fn new(expr: &Expr) -> Option<Clause> {
        let Expr::Compare {
            path,
            op,
            value: Literal::Str(literal),
        } = expr
        else {
            return None;
        };
        let [name] = path.as_slice() else {
            return None;
        };
        if *op == Op::In || !literal.is_ascii() {
            return None;
        }
        let attribute = match name.as_str() {
            "anonymous" => return None,
            "key" => Attribute::Key,
            "targetingKey" => Attribute::TargetingKey,
            _ => Attribute::Named(Box::from(name.as_str())),
        };
        let lower = literal.as_bytes().to_ascii_lowercase();
        let mask = lower
            .iter()
            .map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 })
            .collect();
        Some(Clause {
            attribute,
            op: *op,
            lower: lower.into_boxed_slice(),
            mask,
            expr: expr.clone(),
        })
    }

    /// Whether `ctx` matches, when certain without lowering the attribute as Unicode text;
    /// `None`: evaluate [`Clause::expr`].
    #[inline]
    pub(super) fn test(&self, ctx: &Context) -> Option<bool> {
        let actual = match &self.attribute {
            Attribute::Named(name) => match ctx.get(name) {
                Some(Value::String(s)) => s.as_str(),
                // Missing, null or of another kind: no string comparison matches.
                _ => return Some(false),
            },
            attribute => match attribute.key(ctx) {
                Some(key) => key,
                None => return Some(false),
            },
        };
        let actual = actual.as_bytes();
        let expected = &*self.lower;
        match self.op {
            Op::Ew => match actual.len().checked_sub(expected.len()) {
                Some(start) => affix(&actual[start..], expected, &self.mask),
                None => actual.is_ascii().then_some(false),
            },
            Op::Sw => match actual.get(..expected.len()) {
                Some(head) => affix(head, expected, &self.mask),
                None => actual.is_ascii().then_some(false),
            },
            _ => self.whole(actual),
        }
    }

    /// [`Clause::test`] of an operator reading the whole attribute (`co`, `eq`, the orders),
    /// out of line.
    #[inline(never)]
    fn whole(&self, actual: &[u8]) -> Option<bool> {
        if !actual.is_ascii() {
            return None;
        }
        let expected = &*self.lower;
        if self.op == Op::Co {
            return Some(
                expected.is_empty()
                    || actual
                        .windows(expected.len())
                        .any(|window| affix(window, expected, &self.mask) == Some(true)),
            );
        }
        let ordering = actual
            .iter()
            .map(u8::to_ascii_lowercase)
            .cmp(expected.iter().copied());
        Some(match self.op {
            Op::Eq => ordering.is_eq(),
            Op::Ne => ordering.is_ne(),
            Op::Lt => ordering.is_lt(),
            Op::Gt => ordering.is_gt(),
            Op::Le => ordering.is_le(),
            Op::Ge => ordering.is_ge(),
            _ => false,
        })
    }
}

impl Attribute {
    /// The attribute's text in `ctx` (`None`: not a string), out of line: [`Clause::test`]
    /// reads a named attribute itself.
    #[inline(never)]
    fn key<'c>(&self, ctx: &'c Context) -> Option<&'c str> {
        let text = |name: &str| match ctx.get(name) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        match self {
            Attribute::Key => Some(ctx.targeting_key().unwrap_or("")),
            Attribute::TargetingKey => ctx.targeting_key().or_else(|| text("targetingKey")),
            Attribute::Named(name) => text(name),
        }
    }
}

/// Whether `part` (as many bytes as the literal `lower`, at one end of the attribute) is the
/// literal ignoring ASCII case (`byte | mask == lower`, byte by byte); `None` when they differ
/// and `part` is not all ASCII: lowered as Unicode, the attribute's end may still be the
/// literal (the Kelvin sign lowers to `k`). A word at a time, the differences and the high bits
/// gathered without a branch per word for up to 16 bytes.
///
/// A non-ASCII byte never matches an ASCII one (`byte | mask` keeps its high bit): a match has
/// only ASCII bytes, which are whole characters, lowered to one byte each wherever they stand.
#[inline(always)]
pub(super) fn affix(part: &[u8], lower: &[u8], mask: &[u8]) -> Option<bool> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let n = part.len();
    if n != lower.len() || n != mask.len() {
        return None;
    }
    use crate::engine::bytes::word;
    let half = |s: &[u8], at: usize| u64::from(crate::engine::bytes::half(s, at));
    // (bits differing from the literal, bits of the part), over the whole part.
    let (diff, bits) = match n {
        0..4 => part
            .iter()
            .zip(mask)
            .zip(lower)
            .fold((0, 0), |(diff, bits), ((a, m), l)| {
                (diff | u64::from((a | m) ^ l), bits | u64::from(*a))
            }),
        4..8 => {
            let (a, b) = (half(part, 0), half(part, n - 4));
            (
                ((a | half(mask, 0)) ^ half(lower, 0))
                    | ((b | half(mask, n - 4)) ^ half(lower, n - 4)),
                a | b,
            )
        }
        _ => {
            // Whole words from the start, then the last word (overlapping the one before).
            let last = word(part, n - 8);
            let (mut diff, mut bits) = ((last | word(mask, n - 8)) ^ word(lower, n - 8), last);
            let mut at = 0;
            while at + 8 < n {
                let a = word(part, at);
                diff |= (a | word(mask, at)) ^ word(lower, at);
                bits |= a;
                at += 8;
            }
            (diff, bits)
        }
    };
    if diff == 0 {
        Some(true)
    } else if bits & HIGH == 0 {
        Some(false)
    } else {
        None
    }
}
