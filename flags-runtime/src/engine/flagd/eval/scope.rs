//! One evaluation's state ([`Cx`]) and how a rule reads values: properties of the context
//! (with flagd's `$flagd`), of lists, strings and objects, and `var` paths.

use std::borrow::Cow;
use std::time::SystemTime;

use flags_schema::flagd::grammar::{FLAGD_CONTEXT, FlagdProperty};

use crate::context::Context;
use crate::engine::FractionalVersion;
use crate::engine::flagd::budget::Meter;
use crate::engine::flagd::js;
use crate::engine::flagd::thrown::Thrown;
use crate::engine::flagd::val::Val;
use crate::value::Value;

/// One evaluation.
pub(crate) struct Cx<'a> {
    pub(super) ctx: &'a Context,
    pub(in crate::engine::flagd) flag_key: &'a str,
    timestamp: Option<f64>,
    /// The last value the reference evaluator's compiled code stored in its `prev` register,
    /// which its comparisons check operands against.
    pub(super) prev: Val<'a>,
    pub(in crate::engine::flagd) fractional: FractionalVersion,
    /// Computing a constant part when the rule loads: the reference evaluator calls flagd's
    /// operators there without the evaluation context they need, and they fail.
    loading: bool,
    /// Computing a constant: the reference evaluator computes constants against no data at
    /// all, without `$flagd`.
    no_data: bool,
    /// What is left of the rule's budget: charged by iterations and shared evaluators only.
    pub(in crate::engine::flagd) meter: Meter,
}

impl<'a> Cx<'a> {
    /// The state of an evaluation of a rule of flag `flag_key` against `ctx`, within `meter`.
    pub(crate) fn new(
        ctx: &'a Context,
        flag_key: &'a str,
        fractional: FractionalVersion,
        meter: Meter,
    ) -> Self {
        Cx {
            ctx,
            flag_key,
            timestamp: None,
            prev: Val::Null,
            fractional,
            loading: false,
            no_data: false,
            meter,
        }
    }

    /// For computing constant parts when a rule loads (see `loading`).
    pub(in crate::engine::flagd) fn loading(mut self) -> Self {
        self.loading = true;
        self
    }

    /// For computing a constant part of a rule (see `no_data`).
    pub(in crate::engine::flagd) fn without_data(mut self) -> Self {
        self.no_data = true;
        self
    }

    /// `$flagd.timestamp`: Unix seconds, read once per evaluation.
    pub(super) fn timestamp(&mut self) -> f64 {
        *self.timestamp.get_or_insert_with(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs() as f64)
        })
    }

    /// A top-level property of the evaluation context.
    fn root_get(&mut self, name: &str) -> Option<Val<'a>> {
        match name {
            "targetingKey" => match self.ctx.targeting_key() {
                Some(key) => Some(Val::Str(key)),
                None => self.ctx.get(name).map(Val::of),
            },
            FLAGD_CONTEXT if self.no_data => None,
            FLAGD_CONTEXT => {
                let timestamp = self.timestamp();
                Some(Val::Object(vec![
                    (
                        Cow::Borrowed(FlagdProperty::FlagKey.name()),
                        Val::Str(self.flag_key),
                    ),
                    (
                        Cow::Borrowed(FlagdProperty::Timestamp.name()),
                        Val::Num(timestamp),
                    ),
                ]))
            }
            _ => self.ctx.get(name).map(Val::of),
        }
    }

    /// The targeting key as the context has it (`targetingKey`).
    pub(in crate::engine::flagd) fn targeting_key(&mut self) -> Option<Val<'a>> {
        self.root_get("targetingKey")
    }

    /// Whether flagd's operators can run: `scope` is the evaluation context (they read
    /// `$flagd` and the logger from it), and the rule is not being loaded.
    pub(in crate::engine::flagd) fn require_root(&self, scope: &Val<'_>) -> Result<(), Thrown> {
        match scope {
            _ if self.loading => Err(Thrown(
                "flagd's operators cannot be computed when the rule loads",
            )),
            Val::Root => Ok(()),
            _ => Err(Thrown(
                "flagd's operators cannot be used inside `map`, `filter`, `all`, `some`, `none` or `reduce`",
            )),
        }
    }
}

/// A property of a value, as JavaScript's `value?.[name]`; `None` is `undefined`.
pub(super) fn get<'a>(cx: &mut Cx<'a>, value: &Val<'a>, name: &str) -> Option<Val<'a>> {
    match value {
        Val::Ref(Value::Map(map)) => map.get(name).map(Val::of),
        Val::Ref(Value::List(items)) => element(items.len(), name, |i| Val::of(&items[i])),
        Val::List(items) => element(items.len(), name, |i| items[i].clone()),
        Val::Str(s) => string_property(s, name),
        Val::String(s) => string_property(s, name),
        Val::Object(entries) => entries
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone()),
        Val::Root => cx.root_get(name),
        _ => None,
    }
}

/// `length` or an element of an array of `len` elements.
fn element<'a>(len: usize, name: &str, at: impl FnOnce(usize) -> Val<'a>) -> Option<Val<'a>> {
    if name == "length" {
        return Some(Val::Num(len as f64));
    }
    let index = array_index(name)?;
    (index < len).then(|| at(index))
}

/// A canonical array index (`0`, `1`, ... without leading zeros).
fn array_index(name: &str) -> Option<usize> {
    let bytes = name.as_bytes();
    if bytes.is_empty()
        || !bytes.iter().all(u8::is_ascii_digit)
        || (bytes.len() > 1 && bytes[0] == b'0')
        || bytes.len() > 10
    {
        return None;
    }
    name.parse().ok()
}

/// `length` (in UTF-16 units) or the unit at an index of a string.
fn string_property<'a>(s: &str, name: &str) -> Option<Val<'a>> {
    if name == "length" {
        return Some(Val::Num(js::utf16_len(s) as f64));
    }
    let index = array_index(name)?;
    let unit = js::utf16_slice(s, index, index + 1);
    (!unit.is_empty()).then(|| Val::String(unit.into_owned()))
}

/// JavaScript-style path splitting: `.` separates, `\.` escapes a dot, `\\` a backslash.
pub(crate) fn split_path(path: &str) -> Vec<Box<str>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    let mut count = 0;
    while let Some(c) = chars.next() {
        count += 1;
        match c {
            '\\' => match chars.peek() {
                Some('.') | Some('/') => {
                    current.push(chars.next().unwrap_or('.'));
                    count += 1;
                }
                Some('\\') => {
                    current.push('\\');
                    chars.next();
                    count += 1;
                }
                _ => current.push('\\'),
            },
            '.' => parts.push(std::mem::take(&mut current).into_boxed_str()),
            c => current.push(c),
        }
    }
    // As the reference: "." is one empty segment, not two.
    if parts.len() != count {
        parts.push(current.into_boxed_str());
    }
    parts
}

/// Walks `path` from `scope`; `None` when a step is `undefined`.
pub(super) fn lookup<'a>(cx: &mut Cx<'a>, scope: &Val<'a>, path: &[Box<str>]) -> Option<Val<'a>> {
    let (first, rest) = path.split_first()?;
    // `$flagd.flagKey` / `$flagd.timestamp` without building the `$flagd` object.
    let mut current = match (scope, &**first, rest.first()) {
        (Val::Root, FLAGD_CONTEXT, Some(property)) => {
            let value = match FlagdProperty::parse(property)? {
                FlagdProperty::FlagKey => Val::Str(cx.flag_key),
                FlagdProperty::Timestamp => Val::Num(cx.timestamp()),
                // A property the grammar gained and this evaluator does not provide.
                _ => return None,
            };
            return walk(cx, value, &rest[1..]);
        }
        _ => get(cx, scope, first)?,
    };
    for name in rest {
        current = match &current {
            // Stay borrowed through maps of the context.
            Val::Ref(Value::Map(map)) => Val::of(map.get(&**name)?),
            other => get(cx, other, name)?,
        };
    }
    Some(current)
}

/// Walks `path` from `current`; `None` when a step is `undefined`.
pub(super) fn walk<'a>(
    cx: &mut Cx<'a>,
    mut current: Val<'a>,
    path: &[Box<str>],
) -> Option<Val<'a>> {
    for name in path {
        current = get(cx, &current, name)?;
    }
    Some(current)
}
