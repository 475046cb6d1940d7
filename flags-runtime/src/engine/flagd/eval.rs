//! Evaluation of compiled rules.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::time::SystemTime;

use flags_schema::flagd::grammar::{FLAGD_CONTEXT, FlagdProperty, Operator};

use super::budget::Meter;
use super::js::{self, as_str, falsy, is_array, is_object, to_js_string, to_number, truthy};
use super::{
    Args, ArithOp, CompareOp, Expr, FractionalVersion, Func, IterKind, Iteration, Mode, RootName,
    VarExpr,
};
use crate::context::Context;
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
    fn elements(&self) -> Option<Elements<'_, 'a>> {
        match self {
            Val::Ref(Value::List(items)) => Some(Elements::Ref(items)),
            Val::List(items) => Some(Elements::Owned(items)),
            _ => None,
        }
    }
}

/// The elements of an array value.
#[derive(Clone, Copy)]
enum Elements<'v, 'a> {
    Ref(&'a [Value]),
    Owned(&'v [Val<'a>]),
}

impl<'a> Elements<'_, 'a> {
    fn len(self) -> usize {
        match self {
            Elements::Ref(items) => items.len(),
            Elements::Owned(items) => items.len(),
        }
    }

    fn get(self, i: usize) -> Option<Val<'a>> {
        match self {
            Elements::Ref(items) => items.get(i).map(Val::of),
            Elements::Owned(items) => items.get(i).cloned(),
        }
    }
}

fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// An evaluation failure (the reference evaluator throws): the flag answers ERROR, GENERAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Thrown(pub(crate) &'static str);

const NOT_A_NUMBER: Thrown = Thrown("an operand is not a number");
const INVALID_ARGUMENTS: Thrown = Thrown("invalid arguments");
const NOT_ITERABLE: Thrown = Thrown("the operand is not an array");

/// One evaluation.
pub(crate) struct Cx<'a> {
    ctx: &'a Context,
    pub(super) flag_key: &'a str,
    timestamp: Option<f64>,
    /// The last value the reference evaluator's compiled code stored in its `prev` register,
    /// which its comparisons check operands against.
    prev: Val<'a>,
    pub(super) fractional: FractionalVersion,
    /// Computing a constant part when the rule loads: the reference evaluator calls flagd's
    /// operators there without the evaluation context they need, and they fail.
    loading: bool,
    /// Computing a constant: the reference evaluator computes constants against no data at
    /// all, without `$flagd`.
    no_data: bool,
    /// What is left of the rule's budget: charged by iterations and shared evaluators only.
    pub(super) meter: Meter,
}

impl<'a> Cx<'a> {
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
    pub(super) fn loading(mut self) -> Self {
        self.loading = true;
        self
    }

    /// For computing a constant part of a rule (see `no_data`).
    pub(super) fn without_data(mut self) -> Self {
        self.no_data = true;
        self
    }

    /// `$flagd.timestamp`: Unix seconds, read once per evaluation.
    fn timestamp(&mut self) -> f64 {
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
    pub(super) fn targeting_key(&mut self) -> Option<Val<'a>> {
        self.root_get("targetingKey")
    }

    /// Whether flagd's operators can run: `scope` is the evaluation context (they read
    /// `$flagd` and the logger from it), and the rule is not being loaded.
    pub(super) fn require_root(&self, scope: &Val<'_>) -> Result<(), Thrown> {
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
fn get<'a>(cx: &mut Cx<'a>, value: &Val<'a>, name: &str) -> Option<Val<'a>> {
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
fn lookup<'a>(cx: &mut Cx<'a>, scope: &Val<'a>, path: &[Box<str>]) -> Option<Val<'a>> {
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

fn walk<'a>(cx: &mut Cx<'a>, mut current: Val<'a>, path: &[Box<str>]) -> Option<Val<'a>> {
    for name in path {
        current = get(cx, &current, name)?;
    }
    Some(current)
}

/// Evaluates `expr` in `scope` (the context, or the element an iteration is at).
pub(crate) fn eval<'a>(
    expr: &'a Expr,
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
    // The frequent operators here; the others out of line, so that this frame stays small.
    match expr {
        Expr::Const(value) => Ok(Val::of(value)),
        Expr::Attribute(name, track_prev) => {
            let value = match scope {
                Val::Root => cx.ctx.get(name).map_or(Val::Null, Val::of),
                other => get(cx, other, name).unwrap_or(Val::Null),
            };
            if *track_prev {
                cx.prev = value.clone();
            }
            Ok(value)
        }
        Expr::Var(var) => eval_var(var, cx, scope),
        Expr::Call(func @ (Func::StartsWith | Func::EndsWith), Args::List(items))
            if items.len() == 2 =>
        {
            affix(*func, &items[0], &items[1], cx, scope)
        }
        Expr::Call(func, args) => call(*func, args, cx, scope),
        Expr::If(items) => {
            let mut i = 0;
            while i + 1 < items.len() {
                if truthy(&eval(&items[i], cx, scope)?) {
                    return eval(&items[i + 1], cx, scope);
                }
                i += 2;
            }
            match items.last() {
                Some(otherwise) => eval(otherwise, cx, scope),
                None => Ok(Val::Null),
            }
        }
        Expr::Fractional(fractional) => super::fractional::eval(fractional, cx, scope),
        _ => eval_other(expr, cx, scope),
    }
}

#[inline(never)]
fn eval_other<'a>(expr: &'a Expr, cx: &mut Cx<'a>, scope: &Val<'a>) -> Result<Val<'a>, Thrown> {
    match expr {
        // Handled by `eval` itself, which sends only the other operators here.
        Expr::Const(_)
        | Expr::Attribute(..)
        | Expr::Var(_)
        | Expr::Call(..)
        | Expr::If(_)
        | Expr::Fractional(_) => eval(expr, cx, scope),
        Expr::Undefined => Ok(Val::Undefined),
        Expr::IfShort(items) => match items.as_slice() {
            [] => Ok(Val::Null),
            [only] => eval(only, cx, scope),
            [condition, then, ..] => {
                if truthy(&eval(condition, cx, scope)?) {
                    eval(then, cx, scope)
                } else {
                    Ok(Val::Null)
                }
            }
        },
        Expr::And(mode, items) | Expr::Or(mode, items) => {
            let and = matches!(expr, Expr::And(..));
            let mut last = Val::Null;
            for item in items {
                let value = eval(item, cx, scope)?;
                if *mode == Mode::Compiled {
                    cx.prev = value.clone();
                }
                if truthy(&value) != and {
                    return Ok(value);
                }
                last = value;
            }
            Ok(last)
        }
        Expr::Not(operand, negate) => {
            let value = eval(operand, cx, scope)?;
            Ok(Val::Bool(truthy(&value) != *negate))
        }
        Expr::Compare(op, mode, items) => match mode {
            Mode::Compiled => compare_compiled(*op, items, cx, scope),
            Mode::Interpreted => compare_interpreted(*op, items, cx, scope),
        },
        Expr::Arith(op, mode, items) => {
            let mut values = ArgBuf::new();
            for item in items {
                values.push(eval(item, cx, scope)?);
            }
            arithmetic(*op, *mode, &values)
        }
        Expr::ArithSpread(op, mode, store, operand) => {
            let value = eval(operand, cx, scope)?;
            let result = match mode {
                Mode::Compiled => arithmetic_spread_compiled(*op, &value),
                Mode::Interpreted => arithmetic_spread(*op, &value),
            };
            if *store {
                cx.prev = value;
            }
            result
        }
        Expr::Concat(items) => concat(items, cx, scope),
        Expr::Array(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(eval(item, cx, scope)?);
            }
            Ok(Val::List(values))
        }
        Expr::VarComputed(args) => {
            let key = match args {
                Args::Spread(operand) => eval(operand, cx, scope)?,
                Args::List(items) => {
                    let mut values = Vec::with_capacity(items.len());
                    for item in items {
                        values.push(eval(item, cx, scope)?);
                    }
                    Val::List(values)
                }
            };
            let (key, default) = match key.elements() {
                Some(items) => (items.get(0), items.get(1)),
                None => (Some(key), None),
            };
            let key = match key {
                None | Some(Val::Null) => return Ok(scope.clone()),
                Some(key) => key,
            };
            let key = to_js_string(&key);
            if key.is_empty() {
                return Ok(scope.clone());
            }
            let path = split_path(&key);
            Ok(lookup(cx, scope, &path).or(default).unwrap_or(Val::Null))
        }
        Expr::MissingSome(need, options) => {
            // Compiled: `options.length - (prev = missing).length < need ? prev : []`.
            let options: Vec<Val<'a>> = options.iter().map(Val::of).collect();
            let missing = missing(cx, scope, &options);
            let found = options.len() - missing.len();
            cx.prev = Val::List(missing);
            let need = eval(need, cx, scope)?;
            if js::compare(&Val::Num(found as f64), &need) == Some(Ordering::Less) {
                Ok(cx.prev.clone())
            } else {
                Ok(Val::List(Vec::new()))
            }
        }
        Expr::Iterate(iteration) => iterate(iteration, cx, scope),
        Expr::Shared(evaluator) => {
            cx.meter.steps(evaluator.nodes)?;
            eval(&evaluator.expr, cx, scope)
        }
        Expr::Throw(reason) => Err(Thrown(reason)),
    }
}

#[inline]
fn eval_var<'a>(var: &'a VarExpr, cx: &mut Cx<'a>, scope: &Val<'a>) -> Result<Val<'a>, Thrown> {
    if var.path.is_empty() {
        return Ok(scope.clone());
    }
    if var.stop_at_falsy {
        let mut current = scope.clone();
        for name in var.path.iter() {
            current = match get(cx, &current, name) {
                Some(next) => next,
                None => return Ok(Val::Null),
            };
            if falsy(&current) {
                return Ok(current);
            }
        }
        return Ok(current);
    }
    let found = match (scope, var.root) {
        // An attribute of the context: no name comparisons.
        (Val::Root, RootName::Attribute) => match var.path.split_first() {
            Some((first, rest)) => match cx.ctx.get(first) {
                Some(value) => walk_value(cx, value, rest),
                None => None,
            },
            None => None,
        },
        _ => lookup(cx, scope, &var.path),
    };
    let value = match (found, var.mode) {
        (Some(Val::Null) | None, Mode::Compiled) | (None, Mode::Interpreted) => {
            match &var.default {
                Some(default) => eval(default, cx, scope)?,
                None => Val::Null,
            }
        }
        (Some(value), _) => value,
    };
    if var.track_prev {
        cx.prev = value.clone();
    }
    Ok(value)
}

/// Walks `path` from a context value, borrowed through maps.
#[inline]
fn walk_value<'a>(cx: &mut Cx<'a>, mut value: &'a Value, path: &[Box<str>]) -> Option<Val<'a>> {
    for (i, name) in path.iter().enumerate() {
        match value {
            Value::Map(map) => value = map.get(&**name)?,
            _ => return walk(cx, Val::of(value), &path[i..]),
        }
    }
    Some(Val::of(value))
}

/// Up to six values inline, more on the heap: arguments without allocating.
pub(crate) struct ArgBuf<'a> {
    inline: [Val<'a>; 6],
    len: usize,
    heap: Vec<Val<'a>>,
}

impl<'a> ArgBuf<'a> {
    pub(crate) fn new() -> Self {
        ArgBuf {
            inline: std::array::from_fn(|_| Val::Null),
            len: 0,
            heap: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, value: Val<'a>) {
        if !self.heap.is_empty() {
            self.heap.push(value);
        } else if self.len < self.inline.len() {
            self.inline[self.len] = value;
            self.len += 1;
        } else {
            self.heap.reserve(self.len + 4);
            for v in &mut self.inline[..self.len] {
                self.heap.push(std::mem::replace(v, Val::Null));
            }
            self.heap.push(value);
        }
    }
}

impl<'a> std::ops::Deref for ArgBuf<'a> {
    type Target = [Val<'a>];

    fn deref(&self) -> &[Val<'a>] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

/// Evaluates arguments: each of a literal list, or the elements of one computed array.
pub(crate) fn eval_args<'a>(
    args: &'a Args,
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<ArgBuf<'a>, Thrown> {
    let mut out = ArgBuf::new();
    match args {
        Args::List(items) => {
            for item in items {
                out.push(eval(item, cx, scope)?);
            }
        }
        Args::Spread(operand) => {
            let value = eval(operand, cx, scope)?;
            match value.elements() {
                Some(items) => {
                    for i in 0..items.len() {
                        out.push(items.get(i).unwrap_or(Val::Null));
                    }
                }
                None => out.push(value),
            }
        }
    }
    Ok(out)
}

// The patterns `[text, affix]` below are the arity of `starts_with` and `ends_with` in the
// grammar.
const _: () = assert!(matches!(Operator::StartsWith.arity(), Some(2)));
const _: () = assert!(matches!(Operator::EndsWith.arity(), Some(2)));

/// `starts_with` / `ends_with` of two operands.
#[inline]
fn affix<'a>(
    func: Func,
    text: &'a Expr,
    affix: &'a Expr,
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
    let text = eval(text, cx, scope)?;
    let affix = eval(affix, cx, scope)?;
    cx.require_root(scope)?;
    Ok(match (as_str(&text), as_str(&affix)) {
        (Some(text), Some(affix)) => Val::Bool(if func == Func::StartsWith {
            text.starts_with(affix)
        } else {
            text.ends_with(affix)
        }),
        _ => Val::Null,
    })
}

#[inline(never)]
fn call<'a>(
    func: Func,
    args: &'a Args,
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
    if let (Func::CatOne, Args::Spread(operand)) = (func, args) {
        // The interpreter's `cat` of one value: a string is itself, an array is joined
        // (nulls skipped), null fails, anything else is written as a string.
        let value = eval(operand, cx, scope)?;
        return match (&value, value.elements()) {
            (Val::Null | Val::Undefined, _) => Err(Thrown("`cat` of null")),
            (_, Some(items)) => {
                let mut out = String::new();
                for i in 0..items.len() {
                    let item = items.get(i).unwrap_or(Val::Null);
                    if !matches!(item, Val::Null | Val::Undefined) {
                        js::write_js_string(&mut out, &item);
                    }
                }
                Ok(Val::String(out))
            }
            (other, None) => Ok(Val::String(to_js_string(other).into_owned())),
        };
    }
    // The common forms, without an argument buffer.
    if let Args::List(items) = args {
        match (func, items.as_slice()) {
            (Func::StartsWith | Func::EndsWith, [text, affix]) => {
                let text = eval(text, cx, scope)?;
                let affix = eval(affix, cx, scope)?;
                cx.require_root(scope)?;
                return Ok(match (as_str(&text), as_str(&affix)) {
                    (Some(text), Some(affix)) => Val::Bool(if func == Func::StartsWith {
                        text.starts_with(affix)
                    } else {
                        text.ends_with(affix)
                    }),
                    _ => Val::Null,
                });
            }
            (Func::In, [item, container]) => {
                let item = eval(item, cx, scope)?;
                let container = eval(container, cx, scope)?;
                return in_(&item, &container);
            }
            (Func::InCompiled, [Expr::And(mode, operands), item]) if !operands.is_empty() => {
                // Compiled `(and || []).includes(item)`: the `|| []` binds to the truthy
                // branch of the last test only, so a falsy operand is the container as it is.
                let mut container = Val::Null;
                let mut raw = false;
                for operand in operands {
                    container = eval(operand, cx, scope)?;
                    if *mode == Mode::Compiled {
                        cx.prev = container.clone();
                    }
                    if !truthy(&container) {
                        raw = true;
                        break;
                    }
                }
                let item = eval(item, cx, scope)?;
                if raw {
                    return match as_str(&container) {
                        Some(text) => Ok(Val::Bool(text.contains(&*to_js_string(&item)))),
                        None => Err(Thrown("`includes` of a value that is not a string")),
                    };
                }
                return in_(&item, &container);
            }
            (Func::InCompiled, [container, item]) => {
                let container = eval(container, cx, scope)?;
                let item = eval(item, cx, scope)?;
                return in_(&item, &container);
            }
            (Func::SemVer, [left, op, right]) => {
                let values = [
                    eval(left, cx, scope)?,
                    eval(op, cx, scope)?,
                    eval(right, cx, scope)?,
                ];
                cx.require_root(scope)?;
                return Ok(super::semver::sem_ver(&values));
            }
            _ => {}
        }
    }
    if matches!(
        func,
        Func::SemVer | Func::StartsWith | Func::EndsWith | Func::Null
    ) {
        let values = eval_args(args, cx, scope)?;
        cx.require_root(scope)?;
        return Ok(match func {
            Func::SemVer => super::semver::sem_ver(&values),
            Func::Null => Val::Null,
            _ => match &*values {
                [text, affix] => match (as_str(text), as_str(affix)) {
                    (Some(text), Some(affix)) => Val::Bool(if func == Func::StartsWith {
                        text.starts_with(affix)
                    } else {
                        text.ends_with(affix)
                    }),
                    _ => Val::Null,
                },
                _ => Val::Null,
            },
        });
    }
    let values = eval_args(args, cx, scope)?;
    let arg = |i: usize| values.get(i);
    match func {
        Func::In => {
            let item = arg(0).cloned().unwrap_or(Val::Null);
            in_(&item, arg(1).unwrap_or(&Val::Null))
        }
        Func::Substr => substr(arg(0), arg(1), arg(2)),
        Func::Merge => {
            let mut out = Vec::new();
            for value in values.iter() {
                match value.elements() {
                    Some(items) => {
                        for i in 0..items.len() {
                            out.push(items.get(i).unwrap_or(Val::Null));
                        }
                    }
                    None => out.push(value.clone()),
                }
            }
            Ok(Val::List(out))
        }
        Func::Min | Func::Max => {
            let mut best: Option<f64> = None;
            for value in values.iter() {
                let Val::Num(n) = value else {
                    return Err(INVALID_ARGUMENTS);
                };
                best = Some(match best {
                    None => *n,
                    Some(b) if func == Func::Max && *n > b => *n,
                    Some(b) if func == Func::Min && *n < b => *n,
                    Some(b) => b,
                });
            }
            best.map(Val::Num).ok_or(INVALID_ARGUMENTS)
        }
        Func::Cat => {
            // Interpreted `cat`: a single string is itself; nulls are skipped.
            if let [only] = &*values
                && let Some(s) = as_str(only)
            {
                return Ok(Val::String(s.to_owned()));
            }
            let mut out = String::new();
            for value in values.iter() {
                if !matches!(value, Val::Null | Val::Undefined) {
                    js::write_js_string(&mut out, value);
                }
            }
            Ok(Val::String(out))
        }
        Func::CatOne => Ok(Val::Null),
        Func::Missing | Func::MissingLiteral => Ok(Val::List(missing(cx, scope, &values))),
        Func::Not | Func::NotNot => {
            let first = arg(0).is_some_and(truthy);
            Ok(Val::Bool(if func == Func::Not { !first } else { first }))
        }
        Func::InCompiled => {
            let item = arg(1).cloned().unwrap_or(Val::Null);
            in_(&item, arg(0).unwrap_or(&Val::Null))
        }
        Func::SemVer | Func::StartsWith | Func::EndsWith | Func::Null => Ok(Val::Null),
    }
}

/// The compiled `cat`: JavaScript `'' + a + b + ...`. The reference evaluator emits some
/// operators as bare conditional expressions, which this `+` chain then parses wrongly; its
/// answers are reproduced: an `and` / `or` operand makes the result its first operand's value
/// (the string so far became an always-true condition); an `all` operand makes it `false` for
/// an empty array, else its result `+` the operands after it; a literal `missing` operand makes
/// it an array of the second missing key, or the operands after it concatenated.
fn concat<'a>(items: &'a [Expr], cx: &mut Cx<'a>, scope: &Val<'a>) -> Result<Val<'a>, Thrown> {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Expr::And(_, operands) | Expr::Or(_, operands) if !operands.is_empty() => {
                let value = eval(&operands[0], cx, scope)?;
                cx.prev = value.clone();
                return Ok(value);
            }
            Expr::Iterate(it) if it.kind == IterKind::All && it.mode == Mode::Compiled => {
                let selector = eval(&it.selector, cx, scope)?;
                cx.prev = selector.clone();
                let empty = match &selector {
                    Val::Null => return Err(Thrown("`length` of null")),
                    other => match (other.elements(), as_str(other)) {
                        (Some(items), _) => items.len() == 0,
                        (None, Some(s)) => s.is_empty(),
                        _ => false,
                    },
                };
                if empty {
                    return Ok(Val::Bool(false));
                }
                let mut result = every(it, &selector, cx)?;
                for rest in &items[i + 1..] {
                    let value = eval(rest, cx, scope)?;
                    result = js_add(&result, &value);
                }
                return Ok(result);
            }
            Expr::MissingSome(need, options) => {
                // `S + N - (prev = missing).length < need ? prev : [] + rest`.
                let options: Vec<Val<'a>> = options.iter().map(Val::of).collect();
                let missing = missing(cx, scope, &options);
                let found_len = missing.len();
                cx.prev = Val::List(missing);
                let need = eval(need, cx, scope)?;
                let mut left = std::mem::take(&mut out);
                js::write_number(&mut left, options.len() as f64);
                let left = js::string_to_number(&left) - found_len as f64;
                if js::compare(&Val::Num(left), &need) == Some(Ordering::Less) {
                    return Ok(cx.prev.clone());
                }
                let mut rest = String::new();
                for item in &items[i + 1..] {
                    js::write_js_string(&mut rest, &eval(item, cx, scope)?);
                }
                return Ok(if i + 1 == items.len() {
                    Val::List(Vec::new())
                } else {
                    Val::String(rest)
                });
            }
            Expr::Call(Func::MissingLiteral, Args::List(keys)) => {
                // `(S + ctx[k1]) === undefined ? ... : ctx[k2] === undefined ? [k2] : [] + rest`
                if let Some(Expr::Const(Value::String(second))) = keys.get(1)
                    && get(cx, scope, second).is_none()
                {
                    return Ok(Val::List(vec![Val::Str(second)]));
                }
                let mut rest = String::new();
                for item in &items[i + 1..] {
                    js::write_js_string(&mut rest, &eval(item, cx, scope)?);
                }
                return Ok(if i + 1 == items.len() {
                    Val::List(Vec::new())
                } else {
                    Val::String(rest)
                });
            }
            _ => js::write_js_string(&mut out, &eval(item, cx, scope)?),
        }
    }
    Ok(Val::String(out))
}

/// `(selector || []).every(mapper)` of a compiled `all` (the empty array already handled).
fn every<'a>(it: &'a Iteration, selector: &Val<'a>, cx: &mut Cx<'a>) -> Result<Val<'a>, Thrown> {
    let items = match selector.elements() {
        Some(items) => items,
        None if falsy(selector) => return Ok(Val::Bool(true)),
        None => return Err(NOT_ITERABLE),
    };
    let saved = std::mem::replace(&mut cx.prev, Val::Null);
    let mut result = Ok(Val::Bool(true));
    for i in 0..items.len() {
        let element = items.get(i).unwrap_or(Val::Null);
        if let Err(exceeded) = cx.meter.steps(1).and_then(|()| cx.meter.bytes(&element)) {
            result = Err(exceeded);
            break;
        }
        cx.prev = Val::Null;
        match eval(&it.mapper, cx, &element) {
            Ok(v) if truthy(&v) => {}
            Ok(_) => {
                result = Ok(Val::Bool(false));
                break;
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    cx.prev = saved;
    result
}

/// JavaScript's binary `+`: strings (or objects) concatenate, anything else adds as numbers.
fn js_add<'a>(a: &Val<'a>, b: &Val<'a>) -> Val<'a> {
    let stringy = |v: &Val<'_>| as_str(v).is_some() || is_object(v);
    if stringy(a) || stringy(b) {
        let mut out = to_js_string(a).into_owned();
        js::write_js_string(&mut out, b);
        Val::String(out)
    } else {
        Val::Num(to_number(a) + to_number(b))
    }
}

/// `missing`: the keys among `keys` whose path has no value (a present `null` counts as a value).
fn missing<'a>(cx: &mut Cx<'a>, scope: &Val<'a>, keys: &[Val<'a>]) -> Vec<Val<'a>> {
    let mut out = Vec::new();
    for key in keys {
        let path = split_path(&to_js_string(key));
        let mut current = scope.clone();
        let mut found = true;
        for name in &path {
            if falsy(&current) {
                found = false;
                break;
            }
            match get(cx, &current, name) {
                Some(next) => current = next,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            out.push(key.clone());
        }
    }
    out
}

/// `in`: membership in an array (`SameValueZero`) or substring of a string.
fn in_(item: &Val<'_>, container: &Val<'_>) -> Result<Val<'static>, Thrown> {
    if falsy(container) {
        return Ok(Val::Bool(false));
    }
    if let Some(text) = as_str(container) {
        return Ok(Val::Bool(text.contains(&*to_js_string(item))));
    }
    match container.elements() {
        Some(items) => Ok(Val::Bool((0..items.len()).any(|i| {
            items
                .get(i)
                .is_some_and(|element| js::same_value_zero(item, &element))
        }))),
        None => Err(Thrown(
            "the second operand of `in` is neither an array nor a string",
        )),
    }
}

/// JavaScript's `ToIntegerOrInfinity`.
fn to_integer(value: Option<&Val<'_>>) -> f64 {
    let n = value.map_or(f64::NAN, to_number);
    if n.is_nan() { 0.0 } else { n.trunc() }
}

/// `String.prototype.substr(start, length)` on UTF-16 units.
fn js_substr(s: &str, start: f64, length: Option<f64>) -> Cow<'_, str> {
    let size = js::utf16_len(s) as f64;
    let start = if start == f64::NEG_INFINITY {
        0.0
    } else if start < 0.0 {
        (size + start).max(0.0)
    } else {
        start.min(size)
    };
    let length = length.unwrap_or(size).clamp(0.0, size);
    let end = (start + length).min(size);
    if start >= end {
        return Cow::Borrowed("");
    }
    js::utf16_slice(s, start as usize, end as usize)
}

/// `substr [string, start, length]`; a negative length counts from the end.
fn substr<'a>(
    text: Option<&Val<'a>>,
    start: Option<&Val<'a>>,
    length: Option<&Val<'a>>,
) -> Result<Val<'a>, Thrown> {
    let Some(text) = text.and_then(as_str) else {
        return Err(Thrown("`substr` needs a string"));
    };
    let from = to_integer(start);
    let negative = length.is_some_and(|l| js::compare(l, &Val::Num(0.0)) == Some(Ordering::Less));
    let result = if negative {
        let rest = js_substr(text, from, None);
        // `rest.length + length`, with JavaScript's `+` (a string operand concatenates).
        let len = js::utf16_len(&rest) as f64;
        let count = match length {
            Some(Val::Num(n)) => len + n,
            Some(Val::Bool(b)) => len + f64::from(u8::from(*b)),
            Some(other) => js::string_to_number(&format!(
                "{}{}",
                js::number_string(len),
                to_js_string(other)
            )),
            None => len,
        };
        let count = if count.is_nan() { 0.0 } else { count.trunc() };
        Cow::Owned(js_substr(&rest, 0.0, Some(count)).into_owned())
    } else {
        let count = length.map(|l| to_integer(Some(l)));
        js_substr(text, from, count)
    };
    Ok(Val::String(result.into_owned()))
}

/// `precoerceNumber`: NaN and objects (arrays included) fail.
fn precoerce(value: &Val<'_>) -> Result<(), Thrown> {
    match value {
        Val::Num(n) if n.is_nan() => Err(NOT_A_NUMBER),
        v if falsy(v) => Ok(()),
        v if is_object(v) => Err(NOT_A_NUMBER),
        _ => Ok(()),
    }
}

/// `+precoerceNumber(value)`.
fn operand(value: &Val<'_>) -> Result<f64, Thrown> {
    precoerce(value)?;
    Ok(to_number(value))
}

fn checked(n: f64) -> Result<Val<'static>, Thrown> {
    if n.is_nan() {
        Err(NOT_A_NUMBER)
    } else {
        Ok(Val::Num(n))
    }
}

fn arithmetic(op: ArithOp, mode: Mode, values: &[Val<'_>]) -> Result<Val<'static>, Thrown> {
    match op {
        // The interpreter's `/` fails on a falsy divisor (before it is a number: `" "`
        // divides) and on a result of NaN or +Infinity.
        ArithOp::Div if mode == Mode::Interpreted => match values {
            [] => Err(INVALID_ARGUMENTS),
            [only] => {
                let n = operand(only)?;
                if n == 0.0 || n.is_nan() {
                    return Err(NOT_A_NUMBER);
                }
                Ok(Val::Num(1.0 / n))
            }
            [first, rest @ ..] => {
                let mut result = operand(first)?;
                for v in rest {
                    if falsy(v) {
                        return Err(NOT_A_NUMBER);
                    }
                    result /= operand(v)?;
                }
                if result == f64::INFINITY {
                    return Err(NOT_A_NUMBER);
                }
                checked(result)
            }
        },
        ArithOp::Add => {
            let mut sum = 0.0;
            for v in values {
                sum += operand(v)?;
            }
            checked(sum)
        }
        ArithOp::Mul => {
            let mut product = 1.0;
            for v in values {
                product *= operand(v)?;
            }
            checked(product)
        }
        ArithOp::Sub => match values {
            [] => Err(INVALID_ARGUMENTS),
            [only] => checked(-operand(only)?),
            [first, rest @ ..] => {
                let mut result = operand(first)?;
                for v in rest {
                    result -= operand(v)?;
                }
                checked(result)
            }
        },
        ArithOp::Div => match values {
            [] => Err(INVALID_ARGUMENTS),
            [only] => checked(1.0 / divisor(only)?),
            [first, rest @ ..] => {
                let mut result = operand(first)?;
                for v in rest {
                    result /= divisor(v)?;
                }
                checked(result)
            }
        },
        ArithOp::Rem => match values {
            [] | [_] => Err(INVALID_ARGUMENTS),
            [first, rest @ ..] => {
                let mut result = operand(first)?;
                for v in rest {
                    result %= operand(v)?;
                }
                checked(result)
            }
        },
    }
}

/// A divisor: zero (or anything that is not a number) fails.
fn divisor(value: &Val<'_>) -> Result<f64, Thrown> {
    let n = operand(value)?;
    if n == 0.0 || n.is_nan() {
        Err(NOT_A_NUMBER)
    } else {
        Ok(n)
    }
}

/// An arithmetic operator over one computed operand, interpreted: an array is the operand
/// list (the negation of one element is not checked, `-["a"]` is NaN).
fn arithmetic_spread(op: ArithOp, value: &Val<'_>) -> Result<Val<'static>, Thrown> {
    match value.elements() {
        Some(items) => {
            let values: Vec<Val<'_>> = (0..items.len()).filter_map(|i| items.get(i)).collect();
            match (op, values.as_slice()) {
                (ArithOp::Sub, [only]) if !is_object(only) => Ok(Val::Num(-to_number(only))),
                _ => arithmetic(op, Mode::Interpreted, &values),
            }
        }
        None => match op {
            ArithOp::Add => checked(operand(value)?),
            ArithOp::Sub => checked(-operand(value)?),
            _ => Err(INVALID_ARGUMENTS),
        },
    }
}

/// An arithmetic operator over one computed operand, as the reference evaluator compiles it:
/// an array is folded with `reduce`, each operand (and each partial result) passed through
/// `precoerceNumber`, and the final result is not checked, so that `["a", "b"]` gives a silent
/// NaN. Anything else than an array is one operand (`+`, `-`) or fails (`*`, `/`, `%`).
fn arithmetic_spread_compiled(op: ArithOp, value: &Val<'_>) -> Result<Val<'static>, Thrown> {
    let Some(items) = value.elements() else {
        return match op {
            ArithOp::Add => checked(operand(value)?),
            ArithOp::Sub => checked(-operand(value)?),
            _ => Err(INVALID_ARGUMENTS),
        };
    };
    let len = items.len();
    let item = |i: usize| items.get(i).unwrap_or(Val::Null);
    // `+precoerceNumber(x)` of a number already computed.
    let number = |n: f64| if n.is_nan() { Err(NOT_A_NUMBER) } else { Ok(n) };
    // `b || NaN`: a falsy divisor fails.
    let divisor = |v: Val<'_>| {
        if falsy(&v) {
            Err(NOT_A_NUMBER)
        } else {
            operand(&v)
        }
    };
    let result = match op {
        // `prev.reduce((a, b) => (+a) + (+precoerceNumber(b)), 0)`
        ArithOp::Add => {
            let mut sum = 0.0;
            for i in 0..len {
                sum += operand(&item(i))?;
            }
            sum
        }
        // `prev.reduce((a, b) => (+precoerceNumber(a)) * (+precoerceNumber(b)), 1)`
        ArithOp::Mul => {
            let mut product = 1.0;
            for i in 0..len {
                product = number(product)? * operand(&item(i))?;
            }
            product
        }
        // One element: `-precoerceNumber(prev[0])`; else a `reduce` from the first element.
        ArithOp::Sub | ArithOp::Div | ArithOp::Rem => {
            let least = if op == ArithOp::Rem { 2 } else { 1 };
            if len < least {
                return Err(INVALID_ARGUMENTS);
            }
            if len == 1 {
                return Ok(Val::Num(match op {
                    ArithOp::Sub => -operand(&item(0))?,
                    // `1 / precoerceNumber(prev[0] || NaN)`
                    _ => 1.0 / divisor(item(0))?,
                }));
            }
            // The first step reads the first element as it is; the next ones the result of
            // the previous step, which fails when NaN.
            let mut result = operand(&item(0))?;
            for i in 1..len {
                let left = if i == 1 { result } else { number(result)? };
                result = match op {
                    ArithOp::Sub => left - operand(&item(i))?,
                    ArithOp::Div => left / divisor(item(i))?,
                    _ => left % operand(&item(i))?,
                };
            }
            result
        }
    };
    Ok(Val::Num(result))
}

fn is_str_or_null(value: &Val<'_>) -> bool {
    matches!(value, Val::Null | Val::Str(_) | Val::String(_))
}

/// `compareCheck(item, prev, strict)` of the reference evaluator's compiled comparisons.
fn compare_check<'a>(item: &Val<'a>, prev: &Val<'a>, strict: bool) -> Result<Val<'a>, Thrown> {
    if strict || (is_str_or_null(item) && is_str_or_null(prev)) {
        return Ok(item.clone());
    }
    precoerce(item)?;
    if to_number(item).is_nan() && !matches!(prev, Val::Null) {
        return Err(NOT_A_NUMBER);
    }
    precoerce(prev)?;
    if to_number(prev).is_nan() {
        return Err(NOT_A_NUMBER);
    }
    if matches!(prev, Val::Null) && falsy(item) {
        return Ok(Val::Null);
    }
    if matches!(item, Val::Null) && falsy(prev) {
        return Ok(Val::Num(0.0));
    }
    Ok(item.clone())
}

/// JavaScript's native comparison operators.
fn native(op: CompareOp, a: &Val<'_>, b: &Val<'_>) -> bool {
    match op {
        CompareOp::Eq => js::loose_equals(a, b),
        CompareOp::Ne => !js::loose_equals(a, b),
        CompareOp::StrictEq => js::strict_equals(a, b),
        CompareOp::StrictNe => !js::strict_equals(a, b),
        CompareOp::Lt => js::compare(a, b) == Some(Ordering::Less),
        CompareOp::Le => matches!(js::compare(a, b), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => js::compare(a, b) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(js::compare(a, b), Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn is_strict(op: CompareOp) -> bool {
    matches!(op, CompareOp::StrictEq | CompareOp::StrictNe)
}

fn compare_compiled<'a>(
    op: CompareOp,
    items: &'a [Expr],
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
    let strict = is_strict(op);
    let (first, rest) = items.split_first().ok_or(INVALID_ARGUMENTS)?;
    let mut left = eval(first, cx, scope)?;
    cx.prev = left.clone();
    let several = rest.len() > 1;
    for item in rest {
        let value = eval(item, cx, scope)?;
        let right = compare_check(&value, &cx.prev, strict)?;
        if several {
            cx.prev = right.clone();
        }
        if !native(op, &left, &right) {
            return Ok(Val::Bool(false));
        }
        left = right;
    }
    Ok(Val::Bool(true))
}

/// The interpreter's comparison of two operands.
fn compare_pair(op: CompareOp, a: &Val<'_>, b: &Val<'_>) -> Result<bool, Thrown> {
    if is_strict(op) || (is_str_or_null(a) && is_str_or_null(b)) {
        return Ok(native(op, a, b));
    }
    if operand(a)?.is_nan() {
        return Err(NOT_A_NUMBER);
    }
    precoerce(b)?;
    if to_number(b).is_nan() && !matches!(a, Val::Null) {
        return Err(NOT_A_NUMBER);
    }
    Ok(native(op, &Val::Num(to_number(a)), &Val::Num(to_number(b))))
}

fn compare_interpreted<'a>(
    op: CompareOp,
    items: &'a [Expr],
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
    let (first, rest) = items.split_first().ok_or(INVALID_ARGUMENTS)?;
    if rest.is_empty() {
        return Err(INVALID_ARGUMENTS);
    }
    let mut left = eval(first, cx, scope)?;
    if rest.len() > 2 {
        // Beyond three operands, the interpreter's general comparator: a string comparison
        // that holds still goes through the numeric checks.
        for (i, item) in rest.iter().enumerate() {
            let right = eval(item, cx, scope)?;
            if (is_strict(op) || (is_str_or_null(&left) && is_str_or_null(&right)))
                && !native(op, &left, &right)
            {
                return Ok(Val::Bool(false));
            }
            precoerce(&right)?;
            if to_number(&right).is_nan() && !matches!(left, Val::Null) {
                return Err(NOT_A_NUMBER);
            }
            if i == 0 && operand(&left)?.is_nan() {
                return Err(NOT_A_NUMBER);
            }
            let (a, b) = (Val::Num(to_number(&left)), Val::Num(to_number(&right)));
            if !native(op, &a, &b) {
                return Ok(Val::Bool(false));
            }
            left = right;
        }
        return Ok(Val::Bool(true));
    }
    for item in rest {
        let right = eval(item, cx, scope)?;
        if !compare_pair(op, &left, &right)? {
            return Ok(Val::Bool(false));
        }
        left = right;
    }
    Ok(Val::Bool(true))
}

/// `assertAllowedDepth(value, 0)`: a `reduce` accumulator holds no nested array or object.
fn check_depth(value: &Val<'_>) -> Result<(), Thrown> {
    let nested = match value {
        Val::Ref(Value::List(items)) => items
            .iter()
            .any(|v| matches!(v, Value::List(_) | Value::Map(_))),
        Val::Ref(Value::Map(map)) => map
            .values()
            .any(|v| matches!(v, Value::List(_) | Value::Map(_))),
        Val::List(items) => items.iter().any(is_object),
        Val::Object(entries) => entries.iter().any(|(_, v)| is_object(v)),
        _ => false,
    };
    if nested {
        Err(Thrown("the accumulator of `reduce` is nested too deeply"))
    } else {
        Ok(())
    }
}

fn iterate<'a>(it: &'a Iteration, cx: &mut Cx<'a>, scope: &Val<'a>) -> Result<Val<'a>, Thrown> {
    let selector = eval(&it.selector, cx, scope)?;
    if it.kind == IterKind::All {
        if it.mode == Mode::Compiled {
            cx.prev = selector.clone();
        } else if falsy(&selector) {
            // The interpreter's `all` of nothing (`selector || []`) is false.
            return Ok(Val::Bool(false));
        }
        if is_array(&selector) && selector.elements().is_some_and(|e| e.len() == 0) {
            return Ok(Val::Bool(false));
        }
    }
    let chars;
    let items = match selector.elements() {
        Some(items) => Some(items),
        None if falsy(&selector) => None,
        // The interpreter's `all` / `some` / `none` loop over `length`: a string's units, and
        // nothing for other values.
        None if it.mode == Mode::Interpreted
            && matches!(it.kind, IterKind::All | IterKind::Some | IterKind::None) =>
        {
            chars = as_str(&selector).map(|s| {
                s.encode_utf16()
                    .map(|u| Val::String(String::from_utf16_lossy(&[u])))
                    .collect::<Vec<_>>()
            });
            chars.as_deref().map(Elements::Owned)
        }
        None => return Err(NOT_ITERABLE),
    };
    let len = items.map_or(0, Elements::len);
    // Each element visited is a step; an element copied out of a list built by the rule, and
    // what the mapper builds from it, are bytes built.
    let at = |i: usize, cx: &mut Cx<'a>| -> Result<Val<'a>, Thrown> {
        cx.meter.steps(1)?;
        let element = items.and_then(|items| items.get(i)).unwrap_or(Val::Null);
        cx.meter.bytes(&element)?;
        Ok(element)
    };
    // Each call of the mapper has a `prev` of its own.
    let saved = std::mem::replace(&mut cx.prev, Val::Null);
    let result = (|| -> Result<Val<'a>, Thrown> {
        match it.kind {
            IterKind::Map => {
                let mut out = Vec::with_capacity(len);
                for i in 0..len {
                    let element = at(i, cx)?;
                    cx.prev = Val::Null;
                    let mapped = eval(&it.mapper, cx, &element)?;
                    cx.meter.element(&mapped)?;
                    out.push(mapped);
                }
                Ok(Val::List(out))
            }
            IterKind::Filter => {
                let mut out = Vec::new();
                for i in 0..len {
                    let element = at(i, cx)?;
                    cx.prev = Val::Null;
                    if truthy(&eval(&it.mapper, cx, &element)?) {
                        cx.meter.element(&Val::Null)?;
                        out.push(element);
                    }
                }
                Ok(Val::List(out))
            }
            IterKind::All | IterKind::Some | IterKind::None => {
                let want = it.kind != IterKind::All;
                for i in 0..len {
                    let element = at(i, cx)?;
                    cx.prev = Val::Null;
                    if truthy(&eval(&it.mapper, cx, &element)?) == want {
                        return Ok(Val::Bool(it.kind == IterKind::Some));
                    }
                }
                Ok(Val::Bool(it.kind != IterKind::Some))
            }
            IterKind::Reduce => {
                let (mut accumulator, start) = match &it.init {
                    Some(init) => {
                        let initial = eval(init, cx, scope)?;
                        check_depth(&initial)?;
                        (initial, 0)
                    }
                    None if len == 0 => {
                        return Err(Thrown("`reduce` of an empty array without initial value"));
                    }
                    None => (at(0, cx)?, 1),
                };
                for i in start..len {
                    let step = Val::Object(vec![
                        (Cow::Borrowed("accumulator"), accumulator),
                        (Cow::Borrowed("current"), at(i, cx)?),
                    ]);
                    cx.prev = Val::Null;
                    accumulator = eval(&it.mapper, cx, &step)?;
                    // The accumulator is carried (and copied when read) into the next step.
                    cx.meter.bytes(&accumulator)?;
                    check_depth(&accumulator)?;
                }
                Ok(accumulator)
            }
        }
    })();
    cx.prev = saved;
    result
}
