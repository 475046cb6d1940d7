//! Operators evaluated over their computed arguments ([`Func`]): `in`, `substr`, `merge`,
//! `min`, `max`, `cat`, `missing`, `!` / `!!` over a list, and flagd's `sem_ver`,
//! `starts_with` and `ends_with` (which answer null on arguments they cannot use, and cannot
//! run inside an iteration).

use std::borrow::Cow;
use std::cmp::Ordering;

use flags_schema::flagd::grammar::Operator;

use super::scope::{get, split_path};
use super::{Cx, eval, eval_args};
use crate::engine::flagd::ast::{Args, Expr, Func, IterKind, Iteration, Mode};
use crate::engine::flagd::js::{self, as_str, falsy, is_object, to_js_string, to_number, truthy};
use crate::engine::flagd::semver;
use crate::engine::flagd::thrown::{INVALID_ARGUMENTS, NOT_ITERABLE, Thrown};
use crate::engine::flagd::val::Val;
use crate::value::Value;

const _: () = assert!(matches!(Operator::StartsWith.arity(), Some(2)));

const _: () = assert!(matches!(Operator::EndsWith.arity(), Some(2)));

/// `starts_with` / `ends_with` of two operands.
#[inline]
pub(super) fn affix<'a>(
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

/// Evaluates the operator `func` over `args`: the common shapes (two or three literal
/// operands) without an argument buffer, the rest over the computed list.
#[inline(never)]
pub(super) fn call<'a>(
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
                return Ok(semver::sem_ver(&values));
            }
            _ => {}
        }
    }
    // flagd's operators over any other argument list: computed first (and so failing as they
    // fail), then null unless they are of the operator's arity.
    if matches!(
        func,
        Func::SemVer | Func::StartsWith | Func::EndsWith | Func::Null
    ) {
        let values = eval_args(args, cx, scope)?;
        cx.require_root(scope)?;
        return Ok(match func {
            Func::SemVer => semver::sem_ver(&values),
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
    // JSON Logic's operators over the computed list.
    let values = eval_args(args, cx, scope)?;
    let arg = |i: usize| values.get(i);
    match func {
        Func::In => {
            let item = arg(0).cloned().unwrap_or(Val::Null);
            in_(&item, arg(1).unwrap_or(&Val::Null))
        }
        Func::Substr => substr(arg(0), arg(1), arg(2)),
        // Arrays flattened one level, other values as they are.
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
        // Numbers only; none at all fails.
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

/// `missing`: the keys among `keys` whose path has no value (a present `null` counts as a value).
pub(super) fn missing<'a>(cx: &mut Cx<'a>, scope: &Val<'a>, keys: &[Val<'a>]) -> Vec<Val<'a>> {
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

// The compiled `cat`: JavaScript's `+` over the operands, including what the reference
// evaluator's generated code answers when an operand is itself a bare conditional expression.

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
                return cat_after_missing(&items[i + 1..], cx, scope);
            }
            Expr::Call(Func::MissingLiteral, Args::List(keys)) => {
                // `(S + ctx[k1]) === undefined ? ... : ctx[k2] === undefined ? [k2] : [] + rest`
                if let Some(Expr::Const(Value::String(second))) = keys.get(1)
                    && get(cx, scope, second).is_none()
                {
                    return Ok(Val::List(vec![Val::Str(second)]));
                }
                return cat_after_missing(&items[i + 1..], cx, scope);
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

/// What the compiled `cat` answers after a `missing` that found every key: the empty list
/// when it was the last operand, else the operands after it, written as strings.
fn cat_after_missing<'a>(
    rest: &'a [Expr],
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
    if rest.is_empty() {
        return Ok(Val::List(Vec::new()));
    }
    let mut out = String::new();
    for item in rest {
        js::write_js_string(&mut out, &eval(item, cx, scope)?);
    }
    Ok(Val::String(out))
}
