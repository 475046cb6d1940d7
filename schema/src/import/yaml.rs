//! YAML text read into JSON values (feature `yaml`), for GO Feature Flag's flag files: the
//! YAML 1.2 core schema (`null`/`~`, `true`/`false`, integers in decimal, `0o` octal and `0x`
//! hexadecimal, floats), anchors and aliases, merge keys (`<<`), one document. Built on the
//! events of `saphyr-parser` with an explicit stack, so that nesting costs no native stack.
//!
//! Bounded whoever wrote the text: nesting past [`MAX_DEPTH`] levels, aliases expanding past
//! [`alias_budget`] values (the "billion laughs"), duplicate keys, keys that are not scalars,
//! `.inf` and `.nan` (no JSON number holds them) and a second document are errors.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

/// How deep collections may nest: `serde_json`'s own limit for JSON text.
pub(super) const MAX_DEPTH: usize = 128;

/// A YAML syntax error or a document this reader refuses, with its position (1-based; 0 when
/// unknown).
#[derive(Debug)]
pub(super) struct YamlError {
    pub(super) message: String,
    pub(super) line: usize,
    pub(super) column: usize,
}

/// The most values aliases may add to a document of `len` bytes: enough for any file written
/// by hand, never a blow-up.
fn alias_budget(len: usize) -> usize {
    len.saturating_mul(4).saturating_add(10_000)
}

/// A collection being built.
enum Open {
    Sequence {
        anchor: usize,
        items: Vec<Value>,
    },
    Mapping {
        anchor: usize,
        entries: Map<String, Value>,
        /// The key read, waiting for its value.
        key: Option<Key>,
        /// Mappings merged in with `<<`, applied at the end under the explicit keys.
        merged: Vec<Map<String, Value>>,
    },
}

/// A mapping key read.
enum Key {
    Name(String),
    /// `<<`: the value's mappings are merged in.
    Merge,
}

/// Parses `text` as one YAML document.
pub(super) fn parse(text: &str) -> Result<Value, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut budget = alias_budget(text.len());
    let mut root: Option<Value> = None;
    let mut documents = 0usize;
    let mut at = (0usize, 0usize);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|error| YamlError {
            message: error.info().to_owned(),
            line: error.marker().line(),
            column: error.marker().col() + 1,
        })?;
        at = (span.start.line(), span.start.col() + 1);
        let fail = |message: String| YamlError {
            message,
            line: at.0,
            column: at.1,
        };
        // A merge key is the plain, untagged `<<` (a quoted one is an ordinary key).
        let merge =
            matches!(&event, Event::Scalar(text, ScalarStyle::Plain, _, None) if text == "<<");
        let done = match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(fail(
                        "a second YAML document: a flag file holds one".to_owned(),
                    ));
                }
                continue;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(fail(format!("nested more than {MAX_DEPTH} levels")));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Sequence {
                        anchor,
                        items: Vec::new(),
                    }
                } else {
                    Open::Mapping {
                        anchor,
                        entries: Map::new(),
                        key: None,
                        merged: Vec::new(),
                    }
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (anchor, value) = match stack.pop() {
                    Some(Open::Sequence { anchor, items }) => (anchor, Value::Array(items)),
                    Some(Open::Mapping {
                        anchor,
                        mut entries,
                        merged,
                        ..
                    }) => {
                        for map in merged {
                            for (key, value) in map {
                                entries.entry(key).or_insert(value);
                            }
                        }
                        (anchor, Value::Object(entries))
                    }
                    None => return Err(fail("a collection closed that was never opened".into())),
                };
                remember(&mut anchors, anchor, &value);
                value
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_deref()).map_err(fail)?;
                remember(&mut anchors, anchor, &value);
                value
            }
            Event::Alias(id) => {
                let Some((value, size)) = anchors.get(&id) else {
                    return Err(fail("an alias to an unknown anchor".to_owned()));
                };
                budget = budget.checked_sub(*size).ok_or_else(|| {
                    fail("aliases expand to too many values for the size of the file".to_owned())
                })?;
                value.clone()
            }
        };
        match stack.last_mut() {
            None => root = Some(done),
            Some(Open::Sequence { items, .. }) => items.push(done),
            Some(Open::Mapping {
                entries,
                key,
                merged,
                ..
            }) => match key.take() {
                None if merge => *key = Some(Key::Merge),
                None => {
                    let Value::String(name) = done else {
                        let name = match done {
                            Value::Null => "null".to_owned(),
                            Value::Bool(b) => b.to_string(),
                            Value::Number(n) => n.to_string(),
                            _ => return Err(fail("a mapping key that is not a scalar".to_owned())),
                        };
                        *key = Some(Key::Name(name));
                        continue;
                    };
                    *key = Some(Key::Name(name));
                }
                Some(Key::Merge) => match done {
                    Value::Object(map) => merged.push(map),
                    Value::Array(maps) if maps.iter().all(Value::is_object) => {
                        merged.extend(maps.into_iter().filter_map(|m| match m {
                            Value::Object(map) => Some(map),
                            _ => None,
                        }));
                    }
                    _ => {
                        return Err(fail(
                            "a merge key (`<<`) takes a mapping or a list of mappings".into(),
                        ));
                    }
                },
                Some(Key::Name(name)) => {
                    if entries.contains_key(&name) {
                        return Err(fail(format!(
                            "the key `{}` appears twice in one mapping",
                            crate::error::shorten(&name)
                        )));
                    }
                    entries.insert(name, done);
                }
            },
        }
    }
    root.ok_or(YamlError {
        message: "an empty YAML document".to_owned(),
        line: at.0,
        column: at.1,
    })
}

/// Keeps an anchored value (anchor ids start at 1) with its number of values.
fn remember(anchors: &mut HashMap<usize, (Value, usize)>, anchor: usize, value: &Value) {
    if anchor > 0 {
        anchors.insert(anchor, (value.clone(), size(value)));
    }
}

/// The number of values in `value`, itself included (iterative: no recursion on nesting).
fn size(value: &Value) -> usize {
    let mut count = 0usize;
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        count += 1;
        match value {
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// A scalar as the core schema resolves it: plain scalars by their text, quoted and block
/// ones as strings, a core tag (`!!str`, `!!int`, ...) as it says.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let core = tag
        .filter(|t| t.is_yaml_core_schema())
        .map(|t| t.suffix.as_str());
    match core {
        Some("str") => return Ok(Value::String(text.to_owned())),
        Some("null" | "bool" | "int" | "float") => {
            return plain(text)
                .filter(|value| kind_matches(core, value))
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a valid `!!{}`",
                        crate::error::shorten(text),
                        core.unwrap_or_default()
                    )
                });
        }
        _ => {}
    }
    if !matches!(style, ScalarStyle::Plain) {
        return Ok(Value::String(text.to_owned()));
    }
    if matches!(text, ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF")
        || matches!(text, "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN")
    {
        return Err(format!("`{text}` is no JSON number"));
    }
    Ok(plain(text).unwrap_or_else(|| Value::String(text.to_owned())))
}

fn kind_matches(tag: Option<&str>, value: &Value) -> bool {
    match tag {
        Some("null") => value.is_null(),
        Some("bool") => value.is_boolean(),
        Some("int") => value.is_i64() || value.is_u64(),
        Some("float") => value.is_number(),
        _ => true,
    }
}

/// A plain scalar that is not a string in the core schema: null, a boolean or a number.
fn plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = if let Some(octal) = text.strip_prefix("0o") {
        Some((octal, 8))
    } else {
        text.strip_prefix("0x").map(|hex| (hex, 16))
    };
    if let Some((digits, radix)) = radix {
        return u64::from_str_radix(digits, radix)
            .ok()
            .filter(|_| !digits.starts_with(['+', '-']))
            .map(Value::from);
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i64>() {
            return Some(Value::from(n));
        }
        if !negative && let Ok(n) = digits.parse::<u64>() {
            return Some(Value::from(n));
        }
        return text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number);
    }
    if is_float(digits) {
        return text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number);
    }
    None
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` with a fraction or an exponent: the core
/// schema's float, without its sign.
fn is_float(text: &str) -> bool {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !mantissa.is_empty() && digits(mantissa) && exponent.is_some(),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn core_schema_scalars() {
        let value = parse(
            "a: ~\nb: True\nc: 42\nd: -7\ne: 0x1F\nf: 0o17\ng: 2.5\nh: 1e3\ni: .5\nj: \"42\"\n\
             k: yes\nl: !!str 12\nm: 18446744073709551615\nn: '<<'\no: 3.\n",
        )
        .unwrap();
        assert_eq!(
            value,
            json!({ "a": null, "b": true, "c": 42, "d": -7, "e": 31, "f": 15, "g": 2.5,
                    "h": 1000.0, "i": 0.5, "j": "42", "k": "yes", "l": "12",
                    "m": 18_446_744_073_709_551_615u64, "n": "<<", "o": 3.0 })
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let value = parse(
            "base: &base\n  variations: { on: true, off: false }\n  disable: false\n\
             flag:\n  <<: *base\n  disable: true\nlist: [*base]\n",
        )
        .unwrap();
        assert_eq!(value["flag"]["disable"], json!(true));
        assert_eq!(
            value["flag"]["variations"],
            json!({ "on": true, "off": false })
        );
        assert_eq!(value["list"][0]["disable"], json!(false));
    }

    #[test]
    fn refusals_are_bounded_and_placed() {
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n\
                      c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c]\n\
                      e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e]\n";
        assert!(
            parse(laughs)
                .unwrap_err()
                .message
                .contains("too many values")
        );
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(
            parse(&deep)
                .unwrap_err()
                .message
                .contains("nested more than")
        );
        let twice = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(
            twice.message.contains("`a` appears twice"),
            "{}",
            twice.message
        );
        assert_eq!(twice.line, 3);
        assert!(
            parse("a: .inf\n")
                .unwrap_err()
                .message
                .contains("no JSON number")
        );
        assert!(
            parse("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .message
                .contains("second")
        );
        assert!(parse("a: [1\n").is_err());
        assert!(
            parse("? [1]\n: 2\n")
                .unwrap_err()
                .message
                .contains("not a scalar")
        );
        assert!(parse("a: !!int x\n").is_err());
        assert!(parse("").unwrap_err().message.contains("empty"));
    }
}
