//! What a call of flagd's own operators (`fractional`, `sem_ver`, `starts_with`, `ends_with`)
//! does with the arguments a rule writes: whether it is null whatever the context, or does
//! something other than it seems to (a negative weight, a constant bucketing key). The lint
//! reports both; the runtime's engine compiles a call that is always null to null
//! ([`always_null`]). Arguments computed by a rule are judged when they are evaluated.

use serde_json::Value;

use super::grammar::{self, Operator, SemVerOp, is_sem_ver_version};
use super::lint::Finding;
use crate::error::{WarningKind, describe_short, shorten};

/// Whether a call of one of flagd's operators (`fractional`, `sem_ver`, `starts_with`,
/// `ends_with`) with `args` evaluates to null whatever the context (its arguments are still
/// computed, and can fail): what the lint reports as [`WarningKind::AlwaysNull`], and what the
/// runtime's engine compiles such a call to. `fractional` is judged as flagd buckets today (by
/// a string key, weights that are whole numbers).
///
/// ```
/// use flags_schema::flagd::always_null;
/// use serde_json::json;
/// assert!(always_null("sem_ver", &json!([{ "var": "v" }, "==", "1.0.0"])));
/// assert!(always_null("starts_with", &json!([{ "var": "email" }])));
/// assert!(always_null("fractional", &json!([["a", 1.5], ["b", 1]])));
/// assert!(!always_null("fractional", &json!([["a", -1], ["b", 1]]))); // -1 counts as 0
/// assert!(!always_null("sem_ver", &json!([{ "var": "v" }, { "var": "op" }, "1.0.0"])));
/// ```
pub fn always_null(operator: &str, args: &Value) -> bool {
    Operator::parse(operator).is_some_and(|operator| {
        matches!(
            call_problem(operator, args),
            Some((WarningKind::AlwaysNull, _))
        )
    })
}

/// The problem of a call of one of flagd's operators: one that makes it always null, else a
/// suspicious part; `None` for other operators.
pub(super) fn call_problem(operator: Operator, args: &Value) -> Option<Finding> {
    let problem = match operator {
        Operator::StartsWith | Operator::EndsWith => affix_problem(operator, args),
        Operator::SemVer => sem_ver_problem(args),
        Operator::Fractional => match args {
            Value::Array(items) => return fractional_problem(items),
            args => arguments(operator, args).err(),
        },
        _ => None,
    };
    problem.map(|problem| {
        (
            WarningKind::AlwaysNull,
            format!("{problem}: it is always null"),
        )
    })
}

/// The literal argument list of a call of `operator`, when it has the operator's
/// [arity](Operator::arity); `Ok(None)` when the list is computed (judged when evaluated);
/// `Err` saying what is wrong otherwise.
fn arguments(operator: Operator, args: &Value) -> Result<Option<&[Value]>, String> {
    let (name, signature) = (operator.name(), operator.signature().unwrap_or_default());
    match (args, operator.arity()) {
        (Value::Array(items), Some(arity)) if items.len() != arity => Err(format!(
            "`{name}` takes {arity} arguments `{signature}`, found {}",
            items.len()
        )),
        (Value::Array(items), _) => Ok(Some(items)),
        (args, _) if is_operation(args) => Ok(None),
        (other, _) => Err(format!(
            "`{name}` takes `{signature}`, found {}",
            describe_short(other)
        )),
    }
}

/// `starts_with` / `ends_with`: two strings, else null.
fn affix_problem(operator: Operator, args: &Value) -> Option<String> {
    let items = match arguments(operator, args) {
        Ok(items) => items?,
        Err(problem) => return Some(problem),
    };
    items
        .iter()
        .zip(["first", "second"])
        .find(|(item, _)| is_literal(item) && !item.is_string())
        .map(|(item, which)| {
            format!(
                "the {which} argument of `{}` is {}, not a string",
                operator.name(),
                describe_short(item)
            )
        })
}

/// `sem_ver [version, operator, version]`: null on anything it cannot read.
fn sem_ver_problem(args: &Value) -> Option<String> {
    let items = match arguments(Operator::SemVer, args) {
        Ok(items) => items?,
        Err(problem) => return Some(problem),
    };
    let [left, operator, right] = items else {
        return None;
    };
    [left, right]
        .into_iter()
        .filter(|side| is_literal(side))
        .filter_map(js_string)
        .find(|text| !is_sem_ver_version(text))
        .map(|text| {
            format!(
                "`{}` is not a version `sem_ver` reads (such as `1.2.3`, `v2.0` or \
                 `2.0.0-beta.1`)",
                shorten(&text)
            )
        })
        .or_else(|| {
            let op = js_string(operator).filter(|_| is_literal(operator))?;
            SemVerOp::parse(&op).is_none().then(|| {
                format!(
                    "unknown `sem_ver` operator `{}`; expected one of {}",
                    shorten(&op),
                    SemVerOp::ALL
                        .map(|o| format!("`{}`", o.symbol()))
                        .join(", ")
                )
            })
        })
}

/// The first problem of a `fractional` call over the literal list `items`: one that makes it
/// null, else a suspicious part.
fn fractional_problem(items: &[Value]) -> Option<Finding> {
    let null = |message: String| {
        Some((
            WarningKind::AlwaysNull,
            format!("{message}: it is always null"),
        ))
    };
    let mut suspicious = None;
    let buckets = match items.first() {
        None => {
            return null("`fractional` needs at least one bucket `[variant, weight]`".to_owned());
        }
        Some(Value::String(key)) => {
            suspicious = Some((
                WarningKind::Suspicious,
                format!(
                    "`fractional` buckets by the literal `{}`: every subject lands in the same \
                     bucket; bucket by a rule such as `{{\"var\": \"email\"}}`, or leave it out \
                     to bucket by flag key and targeting key",
                    shorten(key)
                ),
            ));
            &items[1..]
        }
        // A null bucketing value: the flag key and targeting key are used, as when it is
        // left out.
        Some(Value::Null) => &items[1..],
        Some(Value::Array(_)) => items,
        Some(first) if is_operation(first) => &items[1..],
        Some(other) => {
            return null(format!(
                "`fractional` starts with {}, which is neither a bucketing value (a string) nor a \
                 bucket `[variant, weight]`",
                describe_short(other)
            ));
        }
    };
    let mut total = 0.0;
    let mut all_literal = true;
    for bucket in buckets {
        let parts = match bucket {
            Value::Array(parts) => parts,
            bucket if is_operation(bucket) => {
                all_literal = false;
                continue;
            }
            other => {
                return null(format!(
                    "a `fractional` bucket is `[variant, weight]`, found {}",
                    describe_short(other)
                ));
            }
        };
        let Some((variant, weight)) = grammar::bucket(parts) else {
            return null(format!(
                "a `fractional` bucket is `[variant]` or `[variant, weight]`, found an array of \
                 {} elements",
                parts.len()
            ));
        };
        if is_literal(variant) && (variant.is_array() || variant.is_object()) {
            return null(format!(
                "the variant of a `fractional` bucket is a string (or a rule computing one), \
                 found {}",
                describe_short(variant)
            ));
        }
        // As written, and as it counts.
        let (weight, counted) = match weight {
            None => (grammar::DEFAULT_WEIGHT, grammar::DEFAULT_WEIGHT),
            Some(weight) if !is_literal(weight) => {
                all_literal = false;
                continue;
            }
            Some(weight) => {
                match weight
                    .as_f64()
                    .and_then(|n| Some((n, grammar::bucket_weight(n)?)))
                {
                    Some(weights) => weights,
                    None => {
                        return null(format!(
                            "a `fractional` weight is a whole number, found {}",
                            describe_short(weight)
                        ));
                    }
                }
            }
        };
        total += counted;
        if weight < 0.0 {
            suspicious = suspicious.or_else(|| {
                Some((
                    WarningKind::Suspicious,
                    format!(
                        "the weight of variant {} is negative (`{}`): it counts as 0",
                        variant_name(variant),
                        shorten(&weight.to_string())
                    ),
                ))
            });
        }
    }
    if total > grammar::MAX_TOTAL_WEIGHT {
        return null("the `fractional` weights sum to more than 2,147,483,647".to_owned());
    }
    if all_literal && total == 0.0 {
        return null("the `fractional` weights sum to 0".to_owned());
    }
    suspicious
}

/// A bucket's variant for a message: `name` in backticks, or what the rule is.
fn variant_name(variant: &Value) -> String {
    match variant {
        Value::String(name) => format!("`{}`", shorten(name)),
        other if is_literal(other) => format!("`{}`", shorten(&other.to_string())),
        _ => "computed by a rule".to_owned(),
    }
}

/// Whether `value` computes nothing: a scalar, `{}`, or an array of literals.
fn is_literal(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.iter().all(is_literal),
        _ => true,
    }
}

/// Whether `value` is an operation (an object with keys), computed when evaluated.
fn is_operation(value: &Value) -> bool {
    matches!(value, Value::Object(map) if !map.is_empty())
}

/// How JavaScript's `String()` writes a literal, when this is certain: strings, booleans, null,
/// `{}`, and numbers of at most 15 significant digits written without an exponent. `None` for
/// the rest (arrays, long or tiny or huge numbers), which the lint does not judge.
fn js_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Object(map) if map.is_empty() => Some("[object Object]".to_owned()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() < 1 << 53) {
                return Some(i.to_string());
            }
            let f = n.as_f64()?;
            // Rust and JavaScript both write the shortest digits that read back as the same
            // number; they differ in when they switch to an exponent, outside this range.
            (f.is_finite() && f.abs() >= 1e-6 && f.abs() < 1e15).then(|| f.to_string())
        }
        _ => None,
    }
}
