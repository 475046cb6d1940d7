//! The query language evaluated as GO Feature Flag's engine evaluates it (the grammar is
//! `flags_schema::gofeatureflag::query`).
//!
//! What the literal's kind allows decides the comparison: a string literal compares strings
//! ignoring case (but `in` is exact), an integer literal truncates a decimal attribute, a
//! decimal literal widens an integer one, a boolean compares booleans; an attribute of another
//! kind does not match. A comparison the engine does not support for the literal's kind
//! (`co` of a number, `lt` of a boolean, any order of `null`) makes the whole query false, as
//! soon as the evaluation reaches it. An attribute whose parent is absent is the value the
//! previous comparison looked at; one whose parent is not an object crashes the engine (the
//! query does not match). The engine holds the caller's top-level numbers as integers when
//! they are whole, but nested ones and those of the relay's enrichment as floats, which `in` an
//! integer list never finds.

use flags_schema::gofeatureflag::query::{Expr, Literal, Op};

use crate::context::Context;
use crate::value::Value;

/// An attribute as the engine sees it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Attr<'c> {
    Missing,
    Str(&'c str),
    Bool(bool),
    /// A top-level attribute of the caller's context.
    Value(&'c Value),
    /// A value the engine holds as decoded JSON: nested in an attribute, or laid over the
    /// caller's by the relay's enrichment.
    Decoded(&'c Value),
}

impl<'c> Attr<'c> {
    fn value(self) -> Option<&'c Value> {
        match self {
            Attr::Value(v) | Attr::Decoded(v) => Some(v),
            _ => None,
        }
    }
}

/// Why an evaluation stopped: the whole query is false.
pub(super) struct Abort;

/// Where the attributes of a query come from: the context (the enrichment laid over the
/// caller's) and the enrichment alone, to tell its attributes apart.
#[derive(Clone, Copy)]
pub(super) struct Scope<'c> {
    pub(super) ctx: &'c Context,
    pub(super) enrichment: Option<&'c Context>,
}

/// Evaluates `expr` in `scope` (out of line: the specialised form inlines its call).
#[inline(never)]
pub(super) fn matches(expr: &Expr, scope: Scope<'_>) -> bool {
    let mut last = Attr::Missing;
    eval(expr, scope, &mut last).unwrap_or(false)
}

fn eval<'c>(expr: &Expr, scope: Scope<'c>, last: &mut Attr<'c>) -> Result<bool, Abort> {
    Ok(match expr {
        Expr::And(left, right) => eval(left, scope, last)? && eval(right, scope, last)?,
        Expr::Or(left, right) => eval(left, scope, last)? || eval(right, scope, last)?,
        Expr::Not(inner) => !eval(inner, scope, last)?,
        Expr::Present(path) => {
            *last = lookup(scope, path, *last)?;
            !matches!(
                *last,
                Attr::Missing | Attr::Value(Value::Null) | Attr::Decoded(Value::Null)
            )
        }
        Expr::Compare { path, op, value } => {
            // The engine rejects the operator for the literal before reading the attribute.
            if !supported(*op, value) {
                return Err(Abort);
            }
            *last = lookup(scope, path, *last)?;
            compare(*last, *op, value)
        }
    })
}

/// The attribute `path` names: `key` is the targeting key (empty when there is none),
/// `anonymous` a boolean attribute of that name or `false`.
fn lookup<'c>(scope: Scope<'c>, path: &[String], last: Attr<'c>) -> Result<Attr<'c>, Abort> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(Attr::Missing);
    };
    let ctx = scope.ctx;
    let attribute = |name: &str| match ctx.get(name) {
        None => Attr::Missing,
        Some(v) if scope.enrichment.is_some_and(|e| e.get(name).is_some()) => Attr::Decoded(v),
        Some(v) => Attr::Value(v),
    };
    let top = match first.as_str() {
        "key" => Attr::Str(ctx.targeting_key().unwrap_or("")),
        "targetingKey" => match ctx.targeting_key() {
            Some(key) => Attr::Str(key),
            None => attribute(first),
        },
        "anonymous" => Attr::Bool(matches!(ctx.get(first), Some(Value::Bool(true)))),
        _ => attribute(first),
    };
    let mut current = top;
    for segment in rest {
        current = match current {
            Attr::Missing => return Ok(last),
            Attr::Value(v) | Attr::Decoded(v) => match v {
                Value::Null => return Ok(last),
                Value::Map(map) => map.get(segment).map_or(Attr::Missing, Attr::Decoded),
                _ => return Err(Abort),
            },
            _ => return Err(Abort),
        };
    }
    Ok(current)
}

fn supported(op: Op, value: &Literal) -> bool {
    let text = matches!(op, Op::Co | Op::Sw | Op::Ew);
    match value {
        Literal::Str(_) | Literal::Strs(_) => true,
        Literal::Int(_) | Literal::Float(_) | Literal::Ints(_) | Literal::Floats(_) => !text,
        Literal::Bool(_) | Literal::Null => matches!(op, Op::Eq | Op::Ne),
        Literal::Invalid => false,
    }
}

/// A number as the engine holds a JSON number (a float64).
fn number(attr: Attr<'_>) -> Option<f64> {
    match attr.value()? {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn text(attr: Attr<'_>) -> Option<&str> {
    match attr {
        Attr::Str(s) => Some(s),
        Attr::Value(Value::String(s)) | Attr::Decoded(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Go's `int(f)`: toward zero, saturating.
fn truncate(f: f64) -> i64 {
    f as i64
}

fn order<T: PartialOrd>(op: Op, left: T, right: T) -> bool {
    match op {
        Op::Eq => left == right,
        Op::Ne => left != right,
        Op::Lt => left < right,
        Op::Gt => left > right,
        Op::Le => left <= right,
        Op::Ge => left >= right,
        _ => false,
    }
}

fn compare(attr: Attr<'_>, op: Op, value: &Literal) -> bool {
    match value {
        Literal::Null => {
            let absent = matches!(
                attr,
                Attr::Missing | Attr::Value(Value::Null) | Attr::Decoded(Value::Null)
            );
            if op == Op::Eq { absent } else { !absent }
        }
        Literal::Bool(b) => {
            let actual = match attr {
                Attr::Bool(a) => a,
                Attr::Value(Value::Bool(a)) | Attr::Decoded(Value::Bool(a)) => *a,
                _ => return false,
            };
            if op == Op::Eq {
                actual == *b
            } else {
                actual != *b
            }
        }
        Literal::Int(i) => number(attr).is_some_and(|n| op != Op::In && order(op, truncate(n), *i)),
        Literal::Float(f) => number(attr).is_some_and(|n| op != Op::In && order(op, n, *f)),
        Literal::Str(s) => {
            let Some(actual) = text(attr) else {
                return false;
            };
            if actual.is_ascii() && s.is_ascii() {
                return ascii_caseless(actual.as_bytes(), op, s.as_bytes());
            }
            let (actual, expected) = (lower(actual), lower(s));
            match op {
                Op::Co => actual.contains(&*expected),
                Op::Sw => actual.starts_with(&*expected),
                Op::Ew => actual.ends_with(&*expected),
                Op::In => false,
                _ => order(op, &*actual, &*expected),
            }
        }
        Literal::Strs(items) => {
            op == Op::In && text(attr).is_some_and(|a| items.iter().any(|i| i == a))
        }
        // `in` compares numbers exactly (no truncation, unlike the other operators), and an
        // integer list only with the caller's top-level numbers (the engine's other numbers are
        // floats, never equal to an integer).
        Literal::Ints(items) => {
            op == Op::In
                && matches!(attr, Attr::Value(_))
                && number(attr).is_some_and(|n| items.iter().any(|&i| i as f64 == n))
        }
        Literal::Floats(items) => op == Op::In && number(attr).is_some_and(|n| items.contains(&n)),
        Literal::Invalid => false,
    }
}

/// A comparison of two ASCII texts as lower case, without lowering them into new strings.
fn ascii_caseless(actual: &[u8], op: Op, expected: &[u8]) -> bool {
    // Byte by byte, equal bytes first (the usual case of a match: one comparison a byte),
    // then ignoring case; the first difference ends it.
    let same = |a: &[u8], b: &[u8]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x == y || x.eq_ignore_ascii_case(y))
    };
    match op {
        Op::Co => {
            expected.is_empty()
                || actual
                    .windows(expected.len())
                    .any(|window| same(window, expected))
        }
        Op::Sw => actual.len() >= expected.len() && same(&actual[..expected.len()], expected),
        Op::Ew => {
            actual.len() >= expected.len()
                && same(&actual[actual.len() - expected.len()..], expected)
        }
        Op::In => false,
        _ => {
            let ordering = actual
                .iter()
                .map(u8::to_ascii_lowercase)
                .cmp(expected.iter().map(u8::to_ascii_lowercase));
            order(op, ordering, std::cmp::Ordering::Equal)
        }
    }
}

/// Go's `strings.ToLower`, borrowed when the text has no upper case.
fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        std::borrow::Cow::Owned(s.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ASCII comparison answers as lowering both texts does.
    #[test]
    fn ascii_comparisons_answer_as_lowering() {
        let texts = [
            "", "a", "A", "ab", "aB", "Ab", "abc", "b", "@X.com", "x@x.COM", "pro", "PRO ",
        ];
        let ops = [
            Op::Eq,
            Op::Ne,
            Op::Lt,
            Op::Gt,
            Op::Le,
            Op::Ge,
            Op::Co,
            Op::Sw,
            Op::Ew,
        ];
        for actual in texts {
            for expected in texts {
                for op in ops {
                    let (a, e) = (actual.to_lowercase(), expected.to_lowercase());
                    let lowered = match op {
                        Op::Co => a.contains(&e),
                        Op::Sw => a.starts_with(&e),
                        Op::Ew => a.ends_with(&e),
                        _ => order(op, a.as_str(), e.as_str()),
                    };
                    assert_eq!(
                        ascii_caseless(actual.as_bytes(), op, expected.as_bytes()),
                        lowered,
                        "{actual:?} {op:?} {expected:?}"
                    );
                }
            }
        }
    }
}
