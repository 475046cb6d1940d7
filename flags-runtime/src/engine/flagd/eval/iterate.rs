//! Iterations (`map`, `filter`, `all`, `some`, `none`, `reduce`): each element visited is a
//! step of the rule's budget, and what is built from it bytes, so that a rule that loops is
//! stopped at its budget.

use std::borrow::Cow;

use super::{Cx, NOT_ITERABLE, Thrown, eval};
use crate::engine::flagd::js::{as_str, falsy, is_array, is_object, truthy};
use crate::engine::flagd::val::{Elements, Val};
use crate::engine::flagd::{IterKind, Iteration, Mode};
use crate::value::Value;

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
pub(super) fn iterate<'a>(
    it: &'a Iteration,
    cx: &mut Cx<'a>,
    scope: &Val<'a>,
) -> Result<Val<'a>, Thrown> {
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
