//! Evaluation of compiled rules: [`eval`] walks a rule's expression tree for one evaluation
//! ([`Cx`]), in the scope of the context or of the element an iteration is at.
//!
//! | file | job |
//! | --- | --- |
//! | `mod.rs` | the walk: the frequent nodes inline, the others out of line; `var`; argument lists |
//! | `scope.rs` | one evaluation's state ([`Cx`]: the context, `$flagd`, `prev`, the budget), property access and `var` paths |
//! | `call.rs` | operators over computed arguments: `in`, `substr`, `merge`, `min`, `max`, `cat`, `missing`, `!`, and flagd's `sem_ver`, `starts_with`, `ends_with` |
//! | `concat.rs` | the compiled `cat`, with the reference evaluator's answers for the conditional expressions inside it |
//! | `arith.rs` | `+`, `-`, `*`, `/`, `%`, compiled and interpreted |
//! | `compare.rs` | comparisons, compiled (each operand checked against `prev`) and interpreted |
//! | `iterate.rs` | `map`, `filter`, `all`, `some`, `none`, `reduce`, metered |
//!
//! What an operator does follows the reference evaluator (`json-logic-engine` under
//! `@openfeature/flagd-core`): its compiled JavaScript for nodes in [`Mode::Compiled`], its
//! interpreter for those in [`Mode::Interpreted`].

use std::cmp::Ordering;

use super::js::{self, falsy, to_js_string, truthy};
use super::val::Val;
use super::{Args, Expr, Func, Mode, RootName, VarExpr};
use crate::value::Value;

mod arith;
mod call;
mod compare;
mod concat;
mod iterate;
mod scope;

use arith::{arithmetic, arithmetic_spread, arithmetic_spread_compiled};
use call::{affix, call, missing};
use compare::{compare_compiled, compare_interpreted};
use concat::concat;
use iterate::iterate;
pub(crate) use scope::{Cx, split_path};
use scope::{get, lookup, walk};

/// An evaluation failure (the reference evaluator throws): the flag answers ERROR, GENERAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Thrown(pub(crate) &'static str);

const NOT_A_NUMBER: Thrown = Thrown("an operand is not a number");

const INVALID_ARGUMENTS: Thrown = Thrown("invalid arguments");

const NOT_ITERABLE: Thrown = Thrown("the operand is not an array");

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
