//! Arithmetic (`+`, `-`, `*`, `/`, `%`): over a literal operand list, or over one computed
//! operand whose array is the list, each as the reference evaluator compiles it and as its
//! interpreter computes it. Operands are numbers after `precoerceNumber`: NaN and objects fail.

use crate::engine::flagd::ast::{ArithOp, Mode};
use crate::engine::flagd::js::{falsy, is_object, to_number};
use crate::engine::flagd::thrown::{INVALID_ARGUMENTS, NOT_A_NUMBER, Thrown};
use crate::engine::flagd::val::Val;

/// `precoerceNumber`: NaN and objects (arrays included) fail.
pub(super) fn precoerce(value: &Val<'_>) -> Result<(), Thrown> {
    match value {
        Val::Num(n) if n.is_nan() => Err(NOT_A_NUMBER),
        v if falsy(v) => Ok(()),
        v if is_object(v) => Err(NOT_A_NUMBER),
        _ => Ok(()),
    }
}

/// `+precoerceNumber(value)`.
pub(super) fn operand(value: &Val<'_>) -> Result<f64, Thrown> {
    precoerce(value)?;
    Ok(to_number(value))
}

/// A result, unless it is NaN (the interpreter checks what it computes).
fn checked(n: f64) -> Result<Val<'static>, Thrown> {
    if n.is_nan() {
        Err(NOT_A_NUMBER)
    } else {
        Ok(Val::Num(n))
    }
}

/// An arithmetic operator over its computed operands, in `mode`. One operand: `-x` negates,
/// `/ x` is `1 / x`; `%` needs two. A NaN result fails; so does a zero divisor, and the
/// interpreter's `/` also fails on a falsy divisor and on a result of +Infinity.
pub(super) fn arithmetic(
    op: ArithOp,
    mode: Mode,
    values: &[Val<'_>],
) -> Result<Val<'static>, Thrown> {
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
pub(super) fn arithmetic_spread(op: ArithOp, value: &Val<'_>) -> Result<Val<'static>, Thrown> {
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
pub(super) fn arithmetic_spread_compiled(
    op: ArithOp,
    value: &Val<'_>,
) -> Result<Val<'static>, Thrown> {
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
