//! Evaluation of compiled rules: [`eval`] walks a rule's expression tree for one evaluation
//! ([`Cx`]), in the scope of the context or of the element an iteration is at.
//!
//! | file | job |
//! | --- | --- |
//! | `mod.rs` | the walk: the frequent nodes inline, the others out of line; `var`; argument lists; comparisons, compiled (each operand checked against `prev`) and interpreted; iterations (`map`, `filter`, `all`, `some`, `none`, `reduce`), metered |
//! | `scope.rs` | one evaluation's state ([`Cx`]: the context, `$flagd`, `prev`, the budget), property access and `var` paths |
//! | `call.rs` | operators over computed arguments: `in`, `substr`, `merge`, `min`, `max`, `cat`, `missing`, `!`, and flagd's `sem_ver`, `starts_with`, `ends_with`; the compiled `cat`, with the reference evaluator's answers for the conditional expressions inside it |
//!
//! The walk, the comparisons and the iterations call each other, and `call.rs` and
//! `fractional.rs` evaluate their operands through [`eval`]: a recursive evaluator, kept in
//! three files (the import circle `ARCHITECTURE.md` allows).
//! | `arith.rs` | `+`, `-`, `*`, `/`, `%`, compiled and interpreted |
//!
//! What an operator does follows the reference evaluator (`json-logic-engine` under
//! `@openfeature/flagd-core`): its compiled JavaScript for nodes in [`Mode::Compiled`], its
//! interpreter for those in [`Mode::Interpreted`].

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::{Args, CompareOp, Expr, Func, IterKind, Iteration, Mode, RootName, VarExpr};
use super::js::{self, as_str, falsy, is_array, is_object, to_js_string, to_number, truthy};
use super::thrown::{INVALID_ARGUMENTS, NOT_A_NUMBER, NOT_ITERABLE, Thrown};
use super::val::{Elements, Val};
use crate::value::Value;

mod arith;
mod call;
mod scope;

use arith::{arithmetic, arithmetic_spread, arithmetic_spread_compiled, operand, precoerce};
use call::{affix, call, concat, missing};
pub(crate) use scope::{Cx, split_path};
use scope::{get, lookup, walk};

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

/// [`eval`] of the less frequent nodes, out of line.
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
        // The interpreter's `if` of fewer than three arguments: `[x]` is `x`, `[c, t]` is `t`
        // when `c` holds, else null.
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
        // The first falsy (`and`) or truthy (`or`) operand, else the last; the compiled form
        // stores each in `prev`.
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
        // Over a literal operand list, or over one computed operand (its array is the list).
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
        // `var` whose path (and default) is computed: an empty or null path is the scope.
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
        // A shared evaluator charges its size to the budget per use.
        Expr::Shared(evaluator) => {
            cx.meter.steps(evaluator.nodes)?;
            eval(&evaluator.expr, cx, scope)
        }
        Expr::Throw(reason) => Err(Thrown(reason)),
    }
}

/// `var` with a literal path: the interpreter's shortcut stops at a falsy value on the way;
/// otherwise the path is walked (without name comparisons for an attribute of the context),
/// and the default applies to a missing value (the compiled form: also to null).
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
    /// An empty buffer.
    pub(crate) fn new() -> Self {
        ArgBuf {
            inline: std::array::from_fn(|_| Val::Null),
            len: 0,
            heap: Vec::new(),
        }
    }

    /// Appends a value, moving to the heap past six.
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

    /// The values, in order.
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

// Comparisons (`==`, `===`, `!=`, `!==`, `<`, `<=`, `>`, `>=`): the compiled form checks each
// operand against the last value stored in `prev`; the interpreted one compares pairs, and
// beyond three operands goes through its general comparator.

/// Whether a comparison of `value` is a string comparison (strings and null are compared
/// without converting to numbers).
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

/// `===` and `!==`: compared without conversion.
fn is_strict(op: CompareOp) -> bool {
    matches!(op, CompareOp::StrictEq | CompareOp::StrictNe)
}

/// A comparison as the reference evaluator compiles it: the first operand is stored in `prev`,
/// each next operand is checked against it ([`compare_check`]) and, with more than two,
/// stored in turn; the chain holds while each pair does.
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

/// A comparison as the reference evaluator's interpreter computes it: pair by pair, and
/// beyond three operands through its general comparator.
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

// Iterations (`map`, `filter`, `all`, `some`, `none`, `reduce`): each element visited is a
// step of the rule's budget, and what is built from it bytes, so that a rule that loops is
// stopped at its budget.

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

/// Evaluates an iteration: the selector in `scope`, then the mapper once per element, each
/// element (or `reduce` step `{accumulator, current}`) being the mapper's scope. `all` of
/// nothing is false; the interpreter's `all`, `some` and `none` iterate over a string's UTF-16
/// units.
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
