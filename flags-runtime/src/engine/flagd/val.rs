//! The values a rule computes: borrowed from the context and the rule where they can be, built
//! only where the rule builds something (a string, a list, an object).

use std::borrow::Cow;
use std::time::SystemTime;

use crate::value::Value;

/// A value computed by a rule, borrowing from the context and the rule where it can.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    Null,
    /// JavaScript's `undefined`: what `map` without a rule maps each element to (the
    /// interpreter's). Read as null everywhere but where JavaScript tells them apart: `+x`
    /// is NaN, and a constant keeps it as null.
    Undefined,
    Bool(bool),
    Num(f64),
    Str(&'a str),
    String(String),
    /// A list or a map of the context or of the rule (never a scalar).
    Ref(&'a Value),
    List(Vec<Val<'a>>),
    Object(Vec<(Cow<'a, str>, Val<'a>)>),
    /// The evaluation context itself (`{"var": ""}` at the top level).
    Root,
}

impl<'a> Val<'a> {
    /// A context or rule value.
    #[inline]
    pub(crate) fn of(value: &'a Value) -> Val<'a> {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(i) => Val::Num(*i as f64),
            Value::Float(f) => Val::Num(*f),
            Value::String(s) => Val::Str(s),
            Value::DateTime(t) => Val::Num(unix_seconds(*t)),
            Value::List(_) | Value::Map(_) => Val::Ref(value),
        }
    }

    /// An owned copy, for constants folded when the rule loads.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Val::Null | Val::Undefined => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => Value::Float(*n),
            Val::Str(s) => Value::String((*s).to_owned()),
            Val::String(s) => Value::String(s.clone()),
            Val::Ref(v) => (*v).clone(),
            Val::List(items) => Value::List(items.iter().map(Val::to_value).collect()),
            Val::Object(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
            Val::Root => Value::Map(Default::default()),
        }
    }

    /// Whether this is `undefined` or a list or an object built by the rule holding one.
    pub(crate) fn holds_undefined(&self) -> bool {
        match self {
            Val::Undefined => true,
            Val::List(items) => items.iter().any(Val::holds_undefined),
            Val::Object(entries) => entries.iter().any(|(_, v)| v.holds_undefined()),
            _ => false,
        }
    }

    /// The elements, when this is an array.
    pub(crate) fn elements(&self) -> Option<Elements<'_, 'a>> {
        match self {
            Val::Ref(Value::List(items)) => Some(Elements::Ref(items)),
            Val::List(items) => Some(Elements::Owned(items)),
            _ => None,
        }
    }
}

/// The elements of an array value.
#[derive(Clone, Copy)]
pub(crate) enum Elements<'v, 'a> {
    Ref(&'a [Value]),
    Owned(&'v [Val<'a>]),
}

impl<'a> Elements<'_, 'a> {
    /// How many elements.
    pub(crate) fn len(self) -> usize {
        match self {
            Elements::Ref(items) => items.len(),
            Elements::Owned(items) => items.len(),
        }
    }

    /// The element at `i`, if any.
    pub(crate) fn get(self, i: usize) -> Option<Val<'a>> {
        match self {
            Elements::Ref(items) => items.get(i).map(Val::of),
            Elements::Owned(items) => items.get(i).cloned(),
        }
    }
}

/// A date-time as JavaScript numbers it: seconds since the Unix epoch (negative before).
fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}
