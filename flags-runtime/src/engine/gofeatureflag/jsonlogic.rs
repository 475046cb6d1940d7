//! JSON Logic queries as GO Feature Flag's engine evaluates them (its Go JSON Logic library, not
//! json-logic-js; the rules below were read from the engine's answers in the differential test).
//!
//! - `==`: `null` equals only `null` (a missing attribute is `null`); an array or object equals
//!   nothing, not even itself; two strings compare as strings; anything else compares as
//!   numbers (`true` is 1, `""` is 0, a string that is not a number equals nothing).
//! - `===`: same kind and equal; arrays and objects equal nothing. `!=`, `!==` negate.
//! - `<`, `>`: two strings compare bytewise; otherwise as numbers (`null` is 0); an array or
//!   object is never ordered. `<=` is `<` or `==`, `>=` is `>` or `==`.
//! - `in` with a string haystack: a string needle is a substring. With an array: a number
//!   needle matches a number element equal to it or a string element read as a number (0 when
//!   it is not one); any other needle matches an element of the same kind equal to it.
//! - A rule matches when the result is truthy (`"0"` and `"false"` are, `0`, `""`, `[]` and
//!   `null` are not).
//!
//! Queries using other operators are left to flagd's evaluator (see [`supported`]).

use std::borrow::Cow;
use std::cell::Cell;

use flags_schema::gofeatureflag::query::{JSON_LOGIC_OPERATORS, unknown_operator};
use serde_json::Value as Json;

use crate::context::Context;

/// The operators this module evaluates; a query with any other goes to flagd's evaluator.
const OPERATORS: &[&str] = &[
    "var", "==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "!", "!!", "and", "or",
];

/// Whether every operator in `logic` is one this module evaluates.
pub(super) fn supported(logic: &Json) -> bool {
    unknown_operator(logic, OPERATORS).is_none()
}

/// Whether every operator in `logic` is one the engine's library knows.
pub(super) fn known(logic: &Json) -> bool {
    unknown_operator(logic, JSON_LOGIC_OPERATORS).is_none()
}

/// Whether `logic` holds for `ctx`: not when the evaluation crashes the engine's library (its
/// relay takes the rule for not matching).
pub(super) fn matches(logic: &Json, ctx: &Context) -> bool {
    let crashed = Cell::new(false);
    let holds = truthy(&eval(logic, ctx, &crashed));
    holds && !crashed.get()
}

fn eval<'a>(logic: &'a Json, ctx: &Context, crashed: &Cell<bool>) -> Cow<'a, Json> {
    let Json::Object(map) = logic else {
        return Cow::Borrowed(logic);
    };
    let Some((op, args)) = map.iter().next() else {
        return Cow::Borrowed(logic);
    };
    let args: &[Json] = match args {
        Json::Array(items) => items,
        other => std::slice::from_ref(other),
    };
    let arg = |i: usize| {
        args.get(i)
            .map_or(Cow::Owned(Json::Null), |a| eval(a, ctx, crashed))
    };
    let boolean = |b: bool| Cow::Owned(Json::Bool(b));
    match op.as_str() {
        "var" => var(args, ctx, crashed),
        "and" | "or" => {
            let want = op == "or";
            let mut last = Cow::Owned(Json::Null);
            for a in args {
                last = eval(a, ctx, crashed);
                if truthy(&last) == want {
                    break;
                }
            }
            last
        }
        "!" => boolean(!truthy(&arg(0))),
        "!!" => boolean(truthy(&arg(0))),
        "==" => boolean(loose(&arg(0), &arg(1))),
        "!=" => boolean(!loose(&arg(0), &arg(1))),
        "===" => boolean(strict(&arg(0), &arg(1))),
        "!==" => boolean(!strict(&arg(0), &arg(1))),
        "<" | "<=" => {
            let or_equal = op == "<=";
            let (a, b) = (arg(0), arg(1));
            let first = less(&a, &b) || (or_equal && loose(&a, &b));
            if args.len() < 3 {
                return boolean(first);
            }
            // Between: a < b < c.
            let c = arg(2);
            boolean(first && (less(&b, &c) || (or_equal && loose(&b, &c))))
        }
        ">" => boolean(less(&arg(1), &arg(0))),
        ">=" => {
            let (a, b) = (arg(0), arg(1));
            boolean(less(&b, &a) || loose(&a, &b))
        }
        "in" => {
            let (needle, haystack) = (arg(0), arg(1));
            // The engine's library crashes looking for anything but a string in a string.
            if haystack.is_string() && !needle.is_string() {
                crashed.set(true);
            }
            boolean(contains(&haystack, &needle, crashed))
        }
        _ => Cow::Owned(Json::Null),
    }
}

/// `{"var": path}` or `{"var": [path, default]}`: `key` is the targeting key (`""` when there
/// is none), `anonymous` is `true` only when that attribute is `true`; a dotted path goes into objects (and arrays by index), `""` is the whole context.
fn var<'a>(args: &'a [Json], ctx: &Context, crashed: &Cell<bool>) -> Cow<'a, Json> {
    let path = args.first().map(|a| eval(a, ctx, crashed));
    let path = match path.as_deref() {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        Some(_) => return Cow::Owned(Json::Null),
    };
    let found = if path.is_empty() {
        Some(ctx.to_json())
    } else {
        let mut segments = path.split('.');
        let first = segments.next().unwrap_or_default();
        let attribute = || ctx.get(first).map(crate::value::Value::to_json);
        let mut value = match first {
            "key" => Some(Json::String(ctx.targeting_key().unwrap_or("").to_owned())),
            "targetingKey" => ctx
                .targeting_key()
                .map(|k| Json::String(k.to_owned()))
                .or_else(attribute),
            "anonymous" => Some(Json::Bool(matches!(
                ctx.get(first),
                Some(crate::value::Value::Bool(true))
            ))),
            _ => attribute(),
        };
        for segment in segments {
            value = match value {
                Some(Json::Object(mut map)) => map.remove(segment),
                Some(Json::Array(mut items)) => segment
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i < items.len())
                    .map(|i| items.swap_remove(i)),
                _ => None,
            };
        }
        value
    };
    match found {
        Some(value) if !value.is_null() => Cow::Owned(value),
        _ => args
            .get(1)
            .map_or(Cow::Owned(Json::Null), |d| eval(d, ctx, crashed)),
    }
}

fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(items) => !items.is_empty(),
        Json::Object(_) => true,
    }
}

/// A scalar as a number: `null` and `false` are 0, `true` 1, `""` 0, a string that does not
/// parse NaN (compares false with everything); arrays and objects NaN.
fn number(value: &Json) -> f64 {
    match value {
        Json::Null => 0.0,
        Json::Bool(b) => f64::from(u8::from(*b)),
        Json::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Json::String(s) if s.is_empty() => 0.0,
        Json::String(s) => s.parse().unwrap_or(f64::NAN),
        Json::Array(_) | Json::Object(_) => f64::NAN,
    }
}

fn composite(value: &Json) -> bool {
    matches!(value, Json::Array(_) | Json::Object(_))
}

fn loose(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Null, Json::Null) => true,
        (Json::Null, _) | (_, Json::Null) => false,
        _ if composite(a) || composite(b) => false,
        (Json::String(x), Json::String(y)) => x == y,
        _ => number(a) == number(b),
    }
}

fn strict(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Null, Json::Null) => true,
        (Json::Bool(x), Json::Bool(y)) => x == y,
        (Json::Number(_), Json::Number(_)) => number(a) == number(b),
        (Json::String(x), Json::String(y)) => x == y,
        _ => false,
    }
}

fn less(a: &Json, b: &Json) -> bool {
    match (a, b) {
        _ if composite(a) || composite(b) => false,
        (Json::String(x), Json::String(y)) => x < y,
        _ => number(a) < number(b),
    }
}

/// `in`: a string in a string, or an item of a list. The engine's library crashes (`crashed`
/// is set) on a list item that is a list or an object, and comparing a number with a boolean
/// or `null` item; it stops at the first item found.
fn contains(haystack: &Json, needle: &Json, crashed: &Cell<bool>) -> bool {
    match (haystack, needle) {
        (Json::String(hay), Json::String(needle)) => hay.contains(needle.as_str()),
        (Json::Array(items), _) => {
            for item in items {
                let found = match (item, needle) {
                    (Json::Array(_) | Json::Object(_), _)
                    | (Json::Bool(_) | Json::Null, Json::Number(_)) => {
                        crashed.set(true);
                        return false;
                    }
                    (Json::Number(_), Json::Number(_)) => number(item) == number(needle),
                    (Json::String(s), Json::Number(_)) => {
                        s.parse::<f64>().unwrap_or(0.0) == number(needle)
                    }
                    (_, Json::String(_) | Json::Bool(_) | Json::Null) => strict(item, needle),
                    (_, Json::Array(_) | Json::Object(_)) => false,
                };
                if found {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(logic: Json, ctx: &Context) -> bool {
        assert!(supported(&logic));
        matches(&logic, ctx)
    }

    #[test]
    fn the_engine_answers() {
        let ctx = Context::new("u1")
            .with("tags", vec![Json::from("a")])
            .with("age", 17)
            .with("email", "");
        // A missing attribute is null: it differs from anything else but null.
        assert!(holds(json!({"!=": [{"var": "nothing"}, true]}), &ctx));
        assert!(!holds(json!({"==": [{"var": "nothing"}, false]}), &ctx));
        assert!(holds(json!({"==": [{"var": "nothing"}, null]}), &ctx));
        // Arrays equal nothing; ordering them is false.
        assert!(!holds(
            json!({"==": [{"var": "tags"}, {"var": "tags"}]}),
            &ctx
        ));
        assert!(!holds(json!({"<": [{"var": "tags"}, 5]}), &ctx));
        // Numbers, booleans and numeric strings compare as numbers; `""` is 0.
        assert!(holds(json!({"==": [{"var": "age"}, "17"]}), &ctx));
        assert!(holds(json!({"==": [{"var": "email"}, false]}), &ctx));
        assert!(!holds(json!({"<": ["a", 1]}), &ctx));
        assert!(holds(json!({"<=": [{"var": "nothing"}, null]}), &ctx));
        assert!(!holds(json!({"<=": [{"var": "nothing"}, 0]}), &ctx));
        // `in`: a number needle reads string elements as numbers (0 when not one).
        assert!(holds(json!({"in": [0, {"var": "tags"}]}), &ctx));
        assert!(holds(json!({"in": ["a", {"var": "tags"}]}), &ctx));
        assert!(!holds(json!({"in": [true, [1]]}), &ctx));
        // `key` is the targeting key (`""` without one); `anonymous` is `false` unless `true`.
        assert!(holds(json!({"==": [{"var": "key"}, "u1"]}), &ctx));
        assert!(holds(
            json!({"===": [{"var": "key"}, ""]}),
            &Context::anonymous()
        ));
        assert!(holds(json!({"===": [{"var": "anonymous"}, false]}), &ctx));
        assert!(!supported(&json!({"if": [true, 1, 2]})));
    }
}
