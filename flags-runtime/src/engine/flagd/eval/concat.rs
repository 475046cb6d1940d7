//! The compiled `cat`: JavaScript's `+` over the operands, including what the reference
//! evaluator's generated code answers when an operand is itself a bare conditional expression.

use std::cmp::Ordering;

use super::call::missing;
use super::scope::get;
use super::{Cx, NOT_ITERABLE, Thrown, eval};
use crate::engine::flagd::js::{self, as_str, falsy, is_object, to_js_string, to_number, truthy};
use crate::engine::flagd::val::Val;
use crate::engine::flagd::{Args, Expr, Func, IterKind, Iteration, Mode};
use crate::value::Value;

/// The compiled `cat`: JavaScript `'' + a + b + ...`. The reference evaluator emits some
/// operators as bare conditional expressions, which this `+` chain then parses wrongly; its
/// answers are reproduced: an `and` / `or` operand makes the result its first operand's value
/// (the string so far became an always-true condition); an `all` operand makes it `false` for
/// an empty array, else its result `+` the operands after it; a literal `missing` operand makes
/// it an array of the second missing key, or the operands after it concatenated.
pub(super) fn concat<'a>(
    items: &'a [Expr],
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
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
