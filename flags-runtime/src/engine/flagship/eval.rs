//! Conditions: attribute lookup and the operators, as the data plane evaluates them.

use std::cmp::Ordering;

use crate::context::Context;
use crate::value::Value;

use super::coerce::{self, Text};

/// An attribute name: looked up as written, then (when it has dots and at most five segments)
/// as a path through nested maps.
#[derive(Debug)]
pub(super) struct Path {
    pub(super) name: Box<str>,
    /// Whether the name is `targetingKey` (compared once, when the rule loads).
    pub(super) targeting_key: bool,
    pub(super) segments: Option<Box<[Box<str>]>>,
}

/// An attribute found in the context: the targeting key, or a value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Attr<'c> {
    Key(&'c str),
    Value(&'c Value),
}

impl<'c> Attr<'c> {
    #[inline]
    pub(super) fn is_null(self) -> bool {
        matches!(self, Attr::Value(Value::Null))
    }

    #[inline]
    pub(super) fn is_scalar(self) -> bool {
        match self {
            Attr::Key(_) => true,
            Attr::Value(v) => coerce::is_scalar(v),
        }
    }

    /// `String(x)` of a scalar.
    #[inline]
    pub(super) fn text(self) -> Option<Text<'c>> {
        match self {
            Attr::Key(s) => Some(Text::Borrowed(s)),
            Attr::Value(v) => coerce::text(v),
        }
    }

    fn number(self) -> f64 {
        match self {
            Attr::Key(s) => coerce::text_to_number(s),
            Attr::Value(v) => coerce::number(v),
        }
    }
}

/// The attribute `path` names in `ctx`; `None` when it is missing. The context's targeting key
/// is the attribute `targetingKey`.
#[inline]
pub(super) fn lookup<'c>(ctx: &'c Context, path: &Path) -> Option<Attr<'c>> {
    if path.targeting_key
        && let Some(key) = ctx.targeting_key()
    {
        return Some(Attr::Key(key));
    }
    if let Some(value) = ctx.get(&path.name) {
        return Some(Attr::Value(value));
    }
    let segments = path.segments.as_deref()?;
    let (first, rest) = segments.split_first()?;
    if &**first == "targetingKey" && ctx.targeting_key().is_some() {
        // A string has no fields.
        return None;
    }
    let mut value = ctx.get(first)?;
    for segment in rest {
        let Value::Map(map) = value else {
            return None;
        };
        value = map.get(&**segment)?;
    }
    Some(Attr::Value(value))
}

/// A compiled condition.
#[derive(Debug)]
pub(super) enum Cond {
    /// What the data plane cannot use: never matches.
    Never,
    /// `AND`: every clause (none: matches).
    All(Box<[Cond]>),
    /// `OR`: some clause.
    Any(Box<[Cond]>),
    /// An operator on an attribute.
    Test(Box<Test>),
}

#[derive(Debug)]
pub(super) struct Test {
    pub(super) path: Path,
    pub(super) op: Op,
}

/// An operator with its value, prepared when the rule loads.
#[derive(Debug)]
pub(super) enum Op {
    /// `equals` ... `ends_with`: the value's text, `None` when it is not a primitive (then only
    /// `not_equals` of a `null` attribute matches).
    Text {
        kind: TextOp,
        target: Option<Box<str>>,
    },
    /// The ordering operators against a number (not NaN).
    Number { kind: OrderOp, target: f64 },
    /// The ordering operators against an ISO 8601 date-time (epoch milliseconds).
    Date { kind: OrderOp, target: i64 },
    /// `in` / `not_in`: the texts of the value's elements, sorted.
    In {
        negate: bool,
        items: Box<[Box<str>]>,
    },
    /// `has` / `not_has`: the value's text.
    Has { negate: bool, target: Box<str> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextOp {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderOp {
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
}

impl TextOp {
    #[inline(always)]
    fn holds(self, actual: &str, expected: &str) -> bool {
        match self {
            TextOp::Equals => actual == expected,
            TextOp::NotEquals => actual != expected,
            TextOp::Contains => actual.contains(expected),
            TextOp::StartsWith => actual.as_bytes().starts_with(expected.as_bytes()),
            TextOp::EndsWith => actual.as_bytes().ends_with(expected.as_bytes()),
        }
    }
}

impl OrderOp {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            OrderOp::Greater => ordering == Ordering::Greater,
            OrderOp::Less => ordering == Ordering::Less,
            OrderOp::GreaterOrEqual => ordering != Ordering::Less,
            OrderOp::LessOrEqual => ordering != Ordering::Greater,
        }
    }
}

impl Cond {
    /// Whether the condition matches `ctx`.
    pub(super) fn matches(&self, ctx: &Context) -> bool {
        match self {
            Cond::Never => false,
            Cond::All(clauses) => clauses.iter().all(|c| c.matches(ctx)),
            Cond::Any(clauses) => clauses.iter().any(|c| c.matches(ctx)),
            Cond::Test(test) => match lookup(ctx, &test.path) {
                None => false,
                Some(attr) => test.op.holds(attr),
            },
        }
    }
}

impl Op {
    /// Whether the operator holds for a present attribute.
    #[inline]
    fn holds(&self, attr: Attr<'_>) -> bool {
        match self {
            Op::Text { kind, target } => {
                if attr.is_null() {
                    return *kind == TextOp::NotEquals;
                }
                let Some(expected) = target.as_deref() else {
                    return false;
                };
                // A string is its own text: compared in place, without building a `Text`.
                let text;
                let actual = match attr {
                    Attr::Key(actual) => actual,
                    Attr::Value(Value::String(actual)) => actual.as_str(),
                    Attr::Value(_) => {
                        text = attr.text();
                        match &text {
                            Some(text) => text.as_str(),
                            None => return false,
                        }
                    }
                };
                kind.holds(actual, expected)
            }
            Op::Number { kind, target } => {
                attr.is_scalar()
                    && attr
                        .number()
                        .partial_cmp(target)
                        .is_some_and(|o| kind.holds(o))
            }
            Op::Date { kind, target } => {
                // Only a date string compares with a date: any other attribute's number is
                // compared with the date's, which is NaN.
                let ms = match attr {
                    Attr::Key(s) => coerce::parse_date_ms(s),
                    Attr::Value(Value::String(s)) => coerce::parse_date_ms(s),
                    Attr::Value(v @ Value::DateTime(_)) => {
                        coerce::text(v).and_then(|t| coerce::parse_date_ms(t.as_str()))
                    }
                    Attr::Value(_) => None,
                };
                ms.is_some_and(|ms| kind.holds(ms.cmp(target)))
            }
            Op::In { negate, items } => {
                if attr.is_null() {
                    return *negate;
                }
                let Some(actual) = attr.text() else {
                    return false;
                };
                let found = items
                    .binary_search_by(|item| (**item).cmp(actual.as_str()))
                    .is_ok();
                found != *negate
            }
            Op::Has { negate, target } => {
                let Attr::Value(Value::List(items)) = attr else {
                    return false;
                };
                let found = items
                    .iter()
                    .any(|item| coerce::text(item).is_some_and(|text| text.as_str() == &**target));
                found != *negate
            }
        }
    }
}
