//! Segments and constraints, matched against a context as Flipt's engine matches them.

use std::fmt::Write as _;
use std::time::SystemTime;

use flags_schema::flipt::grammar::{
    self, ConstraintType, MatchType, SegmentOperator, number_list, parse_bool, parse_datetime,
    parse_i32, string_list,
};

use crate::context::Context;
use crate::engine::outcome::SegmentMeta;
use crate::value::Value;

/// The segments of a rule or segment rollout, one per key, in key order (bit `i` of a match
/// mask is segment `i`).
#[derive(Debug)]
pub(super) struct Segments {
    operator: SegmentOperator,
    list: Box<[Segment]>,
    pub(super) meta: SegmentMeta,
}

#[derive(Debug)]
struct Segment {
    match_type: MatchType,
    constraints: Box<[Constraint]>,
}

#[derive(Debug)]
struct Constraint {
    property: Box<str>,
    test: Test,
}

/// A constraint's test, its value parsed when the configuration loads.
#[derive(Debug)]
enum Test {
    /// An unknown constraint type: the segment does not match once it is reached.
    UnknownType,
    /// A string test of a property (`entity: false`) or of the entity id.
    Str {
        op: StrOp,
        entity: bool,
    },
    Num(NumOp),
    Bool(BoolOp),
    DateTime(DateTimeOp),
}

#[derive(Debug)]
enum StrOp {
    Empty,
    NotEmpty,
    Eq(Box<str>),
    Neq(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    NotContains(Box<str>),
    /// `None`: a list Flipt cannot read (`isoneof` false, `isnotoneof` true).
    OneOf(Option<Box<[Box<str>]>>),
    NotOneOf(Option<Box<[Box<str>]>>),
    /// An unknown operator.
    Never,
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Cmp {
    fn parse(op: &str) -> Option<Cmp> {
        Some(match op {
            "eq" => Cmp::Eq,
            "neq" => Cmp::Neq,
            "lt" => Cmp::Lt,
            "lte" => Cmp::Lte,
            "gt" => Cmp::Gt,
            "gte" => Cmp::Gte,
            _ => return None,
        })
    }

    #[inline]
    fn holds<T: Ord>(self, left: T, right: T) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Neq => left != right,
            Cmp::Lt => left < right,
            Cmp::Lte => left <= right,
            Cmp::Gt => left > right,
            Cmp::Gte => left >= right,
        }
    }
}

#[derive(Debug)]
enum NumOp {
    Present,
    NotPresent,
    /// `None`: a value that is not a 32-bit integer (always false).
    Cmp(Cmp, Option<i32>),
    /// `None`: a list Flipt cannot read (always false, `isnotoneof` too).
    OneOf(Option<Box<[i32]>>),
    NotOneOf(Option<Box<[i32]>>),
    Never,
}

#[derive(Debug)]
enum BoolOp {
    Present,
    NotPresent,
    True,
    False,
    Never,
}

#[derive(Debug)]
enum DateTimeOp {
    Present,
    NotPresent,
    /// Whole seconds; `None`: a value that is not RFC 3339 (always false).
    Cmp(Cmp, Option<i64>),
    Never,
}

impl Segments {
    /// Compiles segments as Flipt's engine keeps them (one per key, the last of two with one
    /// key), with the flag's metadata for the keys of those that match.
    pub(super) fn compile(
        operator: SegmentOperator,
        segments: &[grammar::Segment],
        metadata: &crate::details::FlagMetadata,
    ) -> Segments {
        let unique = grammar::unique_segments(segments);
        let keys = unique
            .iter()
            .map(|s| std::sync::Arc::from(s.key.as_str()))
            .collect();
        let list = unique
            .iter()
            .map(|segment| Segment {
                match_type: segment.match_type,
                constraints: segment
                    .constraints
                    .iter()
                    .map(Constraint::compile)
                    .collect(),
            })
            .collect();
        Segments {
            operator,
            list,
            meta: SegmentMeta::new(keys, metadata),
        }
    }

    /// The mask of the segments that match, when they match as the operator says.
    #[inline]
    pub(super) fn matches(&self, ctx: &Context, entity: &str) -> Option<u64> {
        let mut mask = 0u64;
        let mut matched = 0usize;
        for (i, segment) in self.list.iter().enumerate() {
            if segment.matches(ctx, entity) {
                // At most 64 segments (checked when the rule compiles).
                mask |= 1u64.checked_shl(i as u32).unwrap_or(0);
                matched += 1;
            }
        }
        let matches = match self.operator {
            SegmentOperator::Or => matched > 0,
            SegmentOperator::And => matched == self.list.len(),
            _ => false,
        };
        matches.then_some(mask)
    }
}

impl Segment {
    /// Constraints in order: ALL stops at the first that fails, ANY at the first that holds;
    /// one of unknown type, when reached, fails the segment.
    #[inline]
    fn matches(&self, ctx: &Context, entity: &str) -> bool {
        let mut held = 0usize;
        for constraint in &self.constraints {
            let Some(holds) = constraint.holds(ctx, entity) else {
                return false;
            };
            if holds {
                held += 1;
                if self.match_type == MatchType::Any {
                    break;
                }
            } else if self.match_type == MatchType::All {
                break;
            }
        }
        match self.match_type {
            MatchType::Any => self.constraints.is_empty() || held > 0,
            _ => held == self.constraints.len(),
        }
    }
}

impl Constraint {
    fn compile(constraint: &grammar::Constraint) -> Constraint {
        let op = constraint.operator.as_str();
        let value = constraint.value.as_str();
        let text = || Box::<str>::from(value);
        let strings = || {
            string_list(value).map(|list| list.into_iter().map(String::into_boxed_str).collect())
        };
        let str_op = || match op {
            "empty" => StrOp::Empty,
            "notempty" => StrOp::NotEmpty,
            "eq" => StrOp::Eq(text()),
            "neq" => StrOp::Neq(text()),
            "prefix" => StrOp::Prefix(text()),
            "suffix" => StrOp::Suffix(text()),
            "contains" => StrOp::Contains(text()),
            "notcontains" => StrOp::NotContains(text()),
            "isoneof" => StrOp::OneOf(strings()),
            "isnotoneof" => StrOp::NotOneOf(strings()),
            _ => StrOp::Never,
        };
        let test = match constraint.kind {
            ConstraintType::String => Test::Str {
                op: str_op(),
                entity: false,
            },
            ConstraintType::EntityId => Test::Str {
                op: str_op(),
                entity: true,
            },
            ConstraintType::Number => Test::Num(match op {
                "present" => NumOp::Present,
                "notpresent" => NumOp::NotPresent,
                "isoneof" => NumOp::OneOf(number_list(value).map(Vec::into_boxed_slice)),
                "isnotoneof" => NumOp::NotOneOf(number_list(value).map(Vec::into_boxed_slice)),
                _ => match Cmp::parse(op) {
                    Some(cmp) => NumOp::Cmp(cmp, parse_i32(value)),
                    None => NumOp::Never,
                },
            }),
            ConstraintType::Boolean => Test::Bool(match op {
                "present" => BoolOp::Present,
                "notpresent" => BoolOp::NotPresent,
                "true" => BoolOp::True,
                "false" => BoolOp::False,
                _ => BoolOp::Never,
            }),
            ConstraintType::DateTime => Test::DateTime(match op {
                "present" => DateTimeOp::Present,
                "notpresent" => DateTimeOp::NotPresent,
                _ => match Cmp::parse(op) {
                    Some(cmp) => DateTimeOp::Cmp(cmp, parse_datetime(value)),
                    None => DateTimeOp::Never,
                },
            }),
            _ => Test::UnknownType,
        };
        Constraint {
            property: constraint.property.as_str().into(),
            test,
        }
    }

    /// Whether the constraint holds; `None` for a constraint of unknown type.
    #[inline]
    fn holds(&self, ctx: &Context, entity: &str) -> Option<bool> {
        Some(match &self.test {
            Test::UnknownType => return None,
            Test::Str { op, entity: true } => op.holds(entity),
            test => with_text(ctx.get(&self.property), |text| match test {
                Test::Str { op, .. } => op.holds(text),
                Test::Num(op) => op.holds(text),
                Test::Bool(op) => op.holds(text),
                Test::DateTime(op) => op.holds(text),
                Test::UnknownType => false,
            }),
        })
    }
}

impl StrOp {
    #[inline]
    fn holds(&self, v: &str) -> bool {
        match self {
            StrOp::Empty => return v.is_empty(),
            StrOp::NotEmpty => return !v.is_empty(),
            _ if v.is_empty() => return false,
            _ => {}
        }
        match self {
            StrOp::Eq(value) => v == &**value,
            StrOp::Neq(value) => v != &**value,
            StrOp::Prefix(value) => v.starts_with(&**value),
            StrOp::Suffix(value) => v.ends_with(&**value),
            StrOp::Contains(value) => v.contains(&**value),
            StrOp::NotContains(value) => !v.contains(&**value),
            StrOp::OneOf(list) => list.as_ref().is_some_and(|l| l.iter().any(|s| &**s == v)),
            StrOp::NotOneOf(list) => list.as_ref().is_none_or(|l| !l.iter().any(|s| &**s == v)),
            StrOp::Empty | StrOp::NotEmpty | StrOp::Never => false,
        }
    }
}

impl NumOp {
    fn holds(&self, v: &str) -> bool {
        match self {
            NumOp::Present => return !v.is_empty(),
            NumOp::NotPresent => return v.is_empty(),
            _ if v.is_empty() => return false,
            _ => {}
        }
        let Some(n) = parse_i32(v) else {
            return false;
        };
        match self {
            NumOp::Cmp(cmp, Some(value)) => cmp.holds(n, *value),
            NumOp::OneOf(Some(list)) => list.contains(&n),
            NumOp::NotOneOf(Some(list)) => !list.contains(&n),
            _ => false,
        }
    }
}

impl BoolOp {
    fn holds(&self, v: &str) -> bool {
        match self {
            BoolOp::Present => !v.is_empty(),
            BoolOp::NotPresent => v.is_empty(),
            BoolOp::True => parse_bool(v) == Some(true),
            BoolOp::False => parse_bool(v) == Some(false),
            BoolOp::Never => false,
        }
    }
}

impl DateTimeOp {
    fn holds(&self, v: &str) -> bool {
        match self {
            DateTimeOp::Present => !v.is_empty(),
            DateTimeOp::NotPresent => v.is_empty(),
            DateTimeOp::Cmp(cmp, Some(value)) => {
                parse_datetime(v).is_some_and(|seconds| cmp.holds(seconds, *value))
            }
            _ => false,
        }
    }
}

/// Runs `f` on an attribute as Flipt reads it, a string: a string as it is; a boolean, a
/// number as `to_string()` writes it (`true`, `30`, `2.5`); a date and time as RFC 3339 in
/// UTC (`2024-03-10T12:30:45Z`, with the fraction when there is one); a missing attribute,
/// null, a list or a map as `""`.
#[inline]
fn with_text(value: Option<&Value>, f: impl FnOnce(&str) -> bool) -> bool {
    match value {
        Some(Value::String(s)) => f(s),
        None | Some(Value::Null | Value::List(_) | Value::Map(_)) => f(""),
        Some(other) => with_formatted(other, f),
    }
}

/// [`with_text`] of a typed scalar, formatted on the stack.
#[cold]
#[inline(never)]
fn with_formatted(value: &Value, f: impl FnOnce(&str) -> bool) -> bool {
    let mut text = Text::default();
    let written = match value {
        Value::Bool(b) => write!(text, "{b}"),
        Value::Int(i) => write!(text, "{i}"),
        Value::Float(x) => write!(text, "{x}"),
        Value::DateTime(t) => write_rfc3339(&mut text, *t),
        _ => Ok(()),
    };
    match (written, std::str::from_utf8(&text.bytes[..text.len])) {
        (Ok(()), Ok(s)) => f(s),
        // Longer than any number or date writes: not a value Flipt compares.
        _ => f(""),
    }
}

/// `time` as RFC 3339 in UTC: `YYYY-MM-DDThh:mm:ss[.fraction]Z`.
pub(super) fn write_rfc3339(out: &mut impl std::fmt::Write, time: SystemTime) -> std::fmt::Result {
    let (seconds, nanos) = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    };
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = grammar::civil_from_days(days);
    write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )?;
    if nanos != 0 {
        let mut digits = nanos;
        let mut width = 9;
        while digits % 10 == 0 {
            digits /= 10;
            width -= 1;
        }
        write!(out, ".{digits:0width$}")?;
    }
    out.write_char('Z')
}

/// A small stack buffer for the text of a typed value (a float writes at most a few hundred
/// characters).
struct Text {
    bytes: [u8; 384],
    len: usize,
}

impl Default for Text {
    fn default() -> Text {
        Text {
            bytes: [0; 384],
            len: 0,
        }
    }
}

impl std::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
