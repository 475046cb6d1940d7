//! Comparisons (`==`, `===`, `!=`, `!==`, `<`, `<=`, `>`, `>=`): the compiled form checks each
//! operand against the last value stored in `prev`; the interpreted one compares pairs, and
//! beyond three operands goes through its general comparator.

use std::cmp::Ordering;

use super::arith::{operand, precoerce};
use super::{Cx, INVALID_ARGUMENTS, NOT_A_NUMBER, Thrown, eval};
use crate::engine::flagd::js::{self, falsy, to_number};
use crate::engine::flagd::val::Val;
use crate::engine::flagd::{CompareOp, Expr};

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
pub(super) fn compare_compiled<'a>(
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
pub(super) fn compare_interpreted<'a>(
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
