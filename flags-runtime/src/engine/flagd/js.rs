//! JavaScript value semantics, as the reference flagd evaluator (`@openfeature/flagd-core` on
//! `json-logic-engine`) applies them: truthiness, `ToNumber`, `ToString`, loose and strict
//! equality, relational comparison, and number formatting.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::Val;
pub(crate) use crate::engine::js_number::{StackStr, string_to_number, write_number};
use crate::value::Value;

/// `json-logic-engine`'s truthiness: JavaScript's, except that empty arrays and empty plain
/// objects are false.
pub(crate) fn truthy(value: &Val<'_>) -> bool {
    match value {
        Val::Null | Val::Undefined => false,
        Val::Bool(b) => *b,
        Val::Num(n) => *n != 0.0 && !n.is_nan(),
        Val::Str(s) => !s.is_empty(),
        Val::String(s) => !s.is_empty(),
        Val::Ref(Value::List(items)) => !items.is_empty(),
        Val::Ref(Value::Map(map)) => !map.is_empty(),
        Val::Ref(_) => true,
        Val::List(items) => !items.is_empty(),
        Val::Object(entries) => !entries.is_empty(),
        // The evaluation context always carries `$flagd`.
        Val::Root => true,
    }
}

/// JavaScript's `!value` (plain falsiness, where arrays and objects are true).
pub(crate) fn falsy(value: &Val<'_>) -> bool {
    match value {
        Val::Null | Val::Undefined => true,
        Val::Bool(b) => !*b,
        Val::Num(n) => *n == 0.0 || n.is_nan(),
        Val::Str(s) => s.is_empty(),
        Val::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Whether the value is a JavaScript object (array or plain object).
pub(crate) fn is_object(value: &Val<'_>) -> bool {
    matches!(
        value,
        Val::Ref(_) | Val::List(_) | Val::Object(_) | Val::Root
    )
}

/// Whether the value is an array.
pub(crate) fn is_array(value: &Val<'_>) -> bool {
    matches!(value, Val::Ref(Value::List(_)) | Val::List(_))
}

/// The string, when the value is one.
pub(crate) fn as_str<'v>(value: &'v Val<'_>) -> Option<&'v str> {
    match value {
        Val::Str(s) => Some(s),
        Val::String(s) => Some(s),
        _ => None,
    }
}

/// JavaScript's `ToNumber` on a primitive or an object (through `ToPrimitive`).
pub(crate) fn to_number(value: &Val<'_>) -> f64 {
    match value {
        Val::Null => 0.0,
        Val::Undefined => f64::NAN,
        Val::Bool(b) => f64::from(u8::from(*b)),
        Val::Num(n) => *n,
        Val::Str(s) => string_to_number(s),
        Val::String(s) => string_to_number(s),
        other => string_to_number(&to_js_string(other)),
    }
}

/// A number as a JavaScript string.
pub(crate) fn number_string(n: f64) -> String {
    let mut s = String::new();
    write_number(&mut s, n);
    s
}

/// JavaScript's `ToString` (arrays joined with commas, objects as `[object Object]`).
pub(crate) fn to_js_string<'v>(value: &'v Val<'_>) -> Cow<'v, str> {
    match value {
        Val::Str(s) => Cow::Borrowed(s),
        Val::String(s) => Cow::Borrowed(s),
        _ => {
            let mut out = String::new();
            write_js_string(&mut out, value);
            Cow::Owned(out)
        }
    }
}

/// Appends JavaScript's `ToString` of `value`.
pub(crate) fn write_js_string(out: &mut String, value: &Val<'_>) {
    match value {
        Val::Null => out.push_str("null"),
        Val::Undefined => out.push_str("undefined"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) => write_number(out, *n),
        Val::Str(s) => out.push_str(s),
        Val::String(s) => out.push_str(s),
        Val::Ref(Value::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !matches!(item, Value::Null) {
                    write_js_string(out, &Val::of(item));
                }
            }
        }
        Val::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !matches!(item, Val::Null | Val::Undefined) {
                    write_js_string(out, item);
                }
            }
        }
        Val::Ref(Value::Map(_)) | Val::Object(_) | Val::Root => out.push_str("[object Object]"),
        Val::Ref(other) => write_js_string(out, &Val::of(other)),
    }
}

/// `ToPrimitive`: objects become their string form.
fn primitive<'v, 'a>(value: &'v Val<'a>) -> Cow<'v, Val<'a>> {
    if is_object(value) {
        Cow::Owned(Val::String(to_js_string(value).into_owned()))
    } else {
        Cow::Borrowed(value)
    }
}

/// Same object (arrays and objects compare by identity).
fn same_object(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Ref(x), Val::Ref(y)) => std::ptr::eq(*x, *y),
        (Val::Root, Val::Root) => true,
        _ => false,
    }
}

/// JavaScript's `===`.
pub(crate) fn strict_equals(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        _ => match (as_str(a), as_str(b)) {
            (Some(x), Some(y)) => x == y,
            _ => same_object(a, b),
        },
    }
}

/// `SameValueZero` (what `Array.prototype.includes` uses): `===` except that NaN equals NaN.
pub(crate) fn same_value_zero(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) if x.is_nan() && y.is_nan() => true,
        _ => strict_equals(a, b),
    }
}

/// JavaScript's `==`.
pub(crate) fn loose_equals(a: &Val<'_>, b: &Val<'_>) -> bool {
    let (a_obj, b_obj) = (is_object(a), is_object(b));
    if a_obj && b_obj {
        return same_object(a, b);
    }
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        _ if a_obj || b_obj => loose_equals(&primitive(a), &primitive(b)),
        (Val::Bool(_), _) | (_, Val::Bool(_)) => {
            // Booleans become numbers, then the comparison starts over.
            let a = if let Val::Bool(x) = a {
                Val::Num(f64::from(u8::from(*x)))
            } else {
                a.clone()
            };
            let b = if let Val::Bool(y) = b {
                Val::Num(f64::from(u8::from(*y)))
            } else {
                b.clone()
            };
            loose_equals(&a, &b)
        }
        _ => match (as_str(a), as_str(b)) {
            (Some(x), Some(y)) => x == y,
            _ => to_number(a) == to_number(b),
        },
    }
}

/// JavaScript's abstract relational comparison: `None` when either side is NaN.
pub(crate) fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    let (a, b) = (primitive(a), primitive(b));
    if let (Some(x), Some(y)) = (as_str(&a), as_str(&b)) {
        return Some(utf16_cmp(x, y));
    }
    to_number(&a).partial_cmp(&to_number(&b))
}

/// Strings compared as JavaScript does: by UTF-16 code units.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The length of a string in UTF-16 code units (JavaScript's `length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// The UTF-16 code units `start..end` of `s` (lone surrogates become U+FFFD).
pub(crate) fn utf16_slice(s: &str, start: usize, end: usize) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(&s[start.min(s.len())..end.min(s.len())]);
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    let end = end.min(units.len());
    let start = start.min(end);
    Cow::Owned(String::from_utf16_lossy(&units[start..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_does() {
        for (n, text) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-7.0, "-7"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e21, "1e+21"),
            (1.25e22, "1.25e+22"),
            (f64::INFINITY, "Infinity"),
            (f64::NAN, "NaN"),
            (0.30000000000000004, "0.30000000000000004"),
            (9007199254740993.0, "9007199254740992"),
            (-1.5e300, "-1.5e+300"),
        ] {
            assert_eq!(number_string(n), text, "{n:?}");
        }
    }

    #[test]
    fn strings_convert_to_numbers_as_javascript_does() {
        for (s, n) in [
            ("", 0.0),
            ("  12 ", 12.0),
            ("1e3", 1000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("-2.5", -2.5),
            ("0x1A", 26.0),
            ("+Infinity", f64::INFINITY),
            ("\u{a0}7\n", 7.0),
        ] {
            assert_eq!(string_to_number(s), n, "{s:?}");
        }
        for s in [
            "abc", "1_000", "inf", "NaN", "0x", "-0x1", "1e", "e5", ".", "1.2.3",
        ] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }

    #[test]
    fn loose_equality_coerces_like_javascript() {
        let one = Val::Num(1.0);
        assert!(loose_equals(&one, &Val::Str("1")));
        assert!(loose_equals(&Val::Bool(true), &Val::Str("1")));
        assert!(!loose_equals(&Val::Null, &Val::Num(0.0)));
        assert!(!loose_equals(&Val::Null, &Val::Bool(false)));
        assert!(loose_equals(&Val::Str(""), &Val::Num(0.0)));
        assert!(loose_equals(
            &Val::List(vec![Val::Num(1.0), Val::Num(2.0)]),
            &Val::Str("1,2")
        ));
        assert!(!strict_equals(&one, &Val::Str("1")));
        assert!(strict_equals(&Val::Str("a"), &Val::String("a".into())));
    }

    #[test]
    fn comparison_of_strings_is_by_utf16_units() {
        assert_eq!(
            compare(&Val::Str("\u{ffff}"), &Val::Str("\u{10000}")),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&Val::Str("10"), &Val::Num(9.0)),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&Val::Str("a"), &Val::Num(9.0)), None);
    }
}
