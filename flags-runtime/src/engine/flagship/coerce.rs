//! JavaScript's coercions of context values as Flagship's data plane applies them: `String(x)`
//! for the text operators and the rollout hash, `Number(x)` (with empty text as NaN) for the
//! ordering operators, and `Date.parse` for date strings. Nothing here allocates: text of a
//! number or a date-time is written on the stack.

use std::time::SystemTime;

use crate::engine::js_number::{StackStr, is_js_whitespace, string_to_number, write_number};
use crate::value::Value;

/// The text of a scalar: borrowed from the context, or written on the stack.
pub(super) enum Text<'a> {
    Borrowed(&'a str),
    Stack(StackStr<40>),
}

impl Text<'_> {
    #[inline]
    pub(super) fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Stack(s) => s.as_str(),
        }
    }
}

/// Whether a context value is a scalar (a string, number, boolean or date-time): what the
/// operators compare. A date-time is the ISO 8601 text the HTTP mode sends for it.
#[inline]
pub(super) fn is_scalar(value: &Value) -> bool {
    matches!(
        value,
        Value::String(_) | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::DateTime(_)
    )
}

/// JavaScript's `String(x)` of a scalar; `None` for `null`, lists and maps.
#[inline]
pub(super) fn text(value: &Value) -> Option<Text<'_>> {
    Some(match value {
        Value::String(s) => Text::Borrowed(s),
        Value::Bool(true) => Text::Borrowed("true"),
        Value::Bool(false) => Text::Borrowed("false"),
        Value::Int(i) => {
            let mut buf = StackStr::new();
            write_int(&mut buf, *i);
            Text::Stack(buf)
        }
        Value::Float(f) => {
            let mut buf = StackStr::new();
            write_number(&mut buf, *f);
            Text::Stack(buf)
        }
        Value::DateTime(t) => {
            let mut buf = StackStr::new();
            write_iso8601(&mut buf, *t);
            Text::Stack(buf)
        }
        _ => return None,
    })
}

/// An integer as JavaScript writes the double it parses to: digits up to 2^53, beyond that
/// the nearest double's text (`9007199254740993` is `9007199254740992`).
pub(super) fn write_int(out: &mut impl std::fmt::Write, i: i64) {
    const EXACT: u64 = 1 << 53;
    if i.unsigned_abs() <= EXACT {
        let _ = write!(out, "{i}");
    } else {
        write_number(out, i as f64);
    }
}

/// JavaScript's `Number(x)` of a scalar, as the data plane applies it: booleans are 0 or 1,
/// text is trimmed and empty text is NaN (where `Number("")` is 0). A date-time is NaN (its
/// text is not a number); `null`, lists and maps are NaN.
#[inline]
pub(super) fn number(value: &Value) -> f64 {
    match value {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => text_to_number(s),
        _ => f64::NAN,
    }
}

/// JavaScript's `Number(text)`, except that empty or blank text is NaN.
pub(crate) fn text_to_number(text: &str) -> f64 {
    if text.trim_matches(is_js_whitespace).is_empty() {
        return f64::NAN;
    }
    string_to_number(text)
}

/// Epoch milliseconds of a date string, as `Date.parse` reads the forms the data plane (and
/// its port) both read: `YYYY-MM-DD`, optionally followed by `T` or a space and
/// `HH:MM[:SS[.fraction]]`, then optionally `Z`, `±HH:MM` or `±HHMM` (a date alone takes only
/// `Z`); no offset means UTC. Fractions are truncated to milliseconds. Fields out of range
/// (month 13, February 30, hour 24, second 60, year 0) are not dates.
pub(crate) fn parse_date_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    let mut i = 10;
    let time = matches!(b.get(i), Some(b'T' | b' ')) && b.len() > i + 1;
    if time {
        let (hour, minute) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
        if b.get(i + 3) != Some(&b':') || hour > 23 || minute > 59 {
            return None;
        }
        ms += (hour * 60 + minute) * 60_000;
        i += 6;
        if b.get(i) == Some(&b':') {
            let second = num(i + 1..i + 3)?;
            if second > 59 {
                return None;
            }
            ms += second * 1000;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                i = start;
                let mut frac = 0;
                while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                    if i - start < 3 {
                        frac = frac * 10 + i64::from(d - b'0');
                    }
                    i += 1;
                }
                match i - start {
                    0 => return None,
                    1 => frac *= 100,
                    2 => frac *= 10,
                    _ => {}
                }
                ms += frac;
            }
        }
    }
    match b.get(i) {
        None => Some(ms),
        Some(b'Z') if i + 1 == b.len() => Some(ms),
        Some(sign @ (b'+' | b'-')) if time => {
            let hours = num(i + 1..i + 3)?;
            let minutes = match b.len() - i {
                6 if b[i + 3] == b':' => num(i + 4..i + 6)?,
                5 => num(i + 3..i + 5)?,
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = (hours * 60 + minutes) * 60_000;
            Some(if *sign == b'+' {
                ms - offset
            } else {
                ms + offset
            })
        }
        _ => None,
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Epoch milliseconds of a date-time, truncated towards the past.
pub(super) fn epoch_ms(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
            // -1.5 ms is -2 ms.
            if d.as_nanos() % 1_000_000 == 0 {
                -ms
            } else {
                -ms - 1
            }
        }
    }
}

/// A date-time as the HTTP mode sends it (`flags_http::date::iso8601`):
/// `2024-02-07T12:00:00Z`, milliseconds when not zero, years beyond 0..=9999 as `+012345`.
pub(super) fn write_iso8601(out: &mut impl std::fmt::Write, t: SystemTime) {
    let ms = epoch_ms(t);
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    if (0..=9999).contains(&year) {
        let _ = write!(out, "{year:04}");
    } else {
        let sign = if year < 0 { '-' } else { '+' };
        let _ = write!(out, "{sign}{:06}", year.unsigned_abs());
    }
    let secs = rem / 1000;
    let _ = write!(
        out,
        "-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if rem % 1000 != 0 {
        let _ = write!(out, ".{:03}", rem % 1000);
    }
    let _ = out.write_char('Z');
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn text_of(value: Value) -> String {
        text(&value)
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn string_of_scalars() {
        assert_eq!(text_of(Value::Bool(true)), "true");
        assert_eq!(text_of(Value::Int(-12)), "-12");
        assert_eq!(
            text_of(Value::Int(9_007_199_254_740_993)),
            "9007199254740992"
        );
        assert_eq!(text_of(Value::Float(-0.0)), "0");
        assert_eq!(text_of(Value::Float(1e21)), "1e+21");
        assert_eq!(text_of(Value::Float(1e-7)), "1e-7");
        assert_eq!(text_of(Value::Float(0.000001)), "0.000001");
        assert_eq!(text_of(Value::Float(f64::NEG_INFINITY)), "-Infinity");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_704_103_200_250);
        assert_eq!(text_of(Value::DateTime(t)), "2024-01-01T10:00:00.250Z");
        let before = SystemTime::UNIX_EPOCH - Duration::from_micros(1500);
        assert_eq!(text_of(Value::DateTime(before)), "1969-12-31T23:59:59.998Z");
        assert!(text(&Value::Null).is_none());
    }

    #[test]
    fn number_of_text() {
        assert!(text_to_number("").is_nan());
        assert!(text_to_number(" \n").is_nan());
        assert_eq!(text_to_number(" 0x1f "), 31.0);
        assert_eq!(text_to_number("-Infinity"), f64::NEG_INFINITY);
        for nan in ["inf", "nan", "1_000", "infinity", "0x", "1e", "--1"] {
            assert!(text_to_number(nan).is_nan(), "{nan}");
        }
    }

    #[test]
    fn dates_parse_like_date_parse() {
        for (text, ms) in [
            ("2024-01-01", Some(1_704_067_200_000)),
            ("2024-01-01Z", Some(1_704_067_200_000)),
            ("2024-01-01T10:00", Some(1_704_103_200_000)),
            ("2024-01-01 10:00:00Z", Some(1_704_103_200_000)),
            ("2024-01-01T10:00:00.1234567Z", Some(1_704_103_200_123)),
            ("2024-01-01T10:00:00.5Z", Some(1_704_103_200_500)),
            (
                "2024-01-01T10:00:00.123456789+02:00",
                Some(1_704_096_000_123),
            ),
            ("2024-01-01T10:00:00+0200", Some(1_704_096_000_000)),
            ("2024-01-01T10:00:00-23:59", Some(1_704_189_540_000)),
            ("1969-12-31T23:59:59.9995Z", Some(-1)),
            ("0001-01-01T00:00:00Z", Some(-62_135_596_800_000)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000)),
            ("2023-02-29T00:00:00Z", None),
            ("2024-01-01T24:00:00Z", None),
            ("2024-01-01T10:00:60Z", None),
            ("2024-01-01T10:00:00.Z", None),
            ("2024-01-01T10", None),
            ("2024-01-01T10:00:00+02", None),
            ("2024-01", None),
            ("0000-01-01T00:00:00Z", None),
            (" 2024-01-01", None),
            ("2024-01-01T10:00:00Z ", None),
        ] {
            assert_eq!(parse_date_ms(text), ms, "{text}");
        }
    }
}

/// Ours against node's own `String(x)`, `Number(x)` and `Date.parse` on the edge values of
/// `conformance/flagship/js-edges.json` (written by `node_check.js`; `run.sh` writes a fresh
/// one and names it in `FLAGSHIP_JS_EDGES`).
#[cfg(test)]
mod node {
    use serde_json::Value as Json;

    use super::*;

    fn number(value: &Json) -> f64 {
        match value {
            Json::String(s) if s == "NaN" => f64::NAN,
            Json::String(s) if s == "Infinity" => f64::INFINITY,
            Json::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
            other => other.as_f64().unwrap_or(f64::NAN),
        }
    }

    #[test]
    fn node_agrees() {
        let path = std::env::var("FLAGSHIP_JS_EDGES").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../conformance/flagship/js-edges.json"
            )
            .into()
        });
        let file = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let doc: Json = serde_json::from_str(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut wrong = Vec::new();
        for entry in doc["string"].as_array().into_iter().flatten() {
            let n = number(&entry[0]);
            let ours = text(&Value::Float(n)).map(|t| t.as_str().to_owned());
            if ours.as_deref() != entry[1].as_str() {
                wrong.push(format!("String({n:?}): node {}, ours {ours:?}", entry[1]));
            }
        }
        for entry in doc["number"].as_array().into_iter().flatten() {
            let s = entry[0].as_str().unwrap_or_default();
            let (node, ours) = (number(&entry[1]), text_to_number(s));
            if !(node == ours || node.is_nan() && ours.is_nan()) {
                wrong.push(format!("Number({s:?}): node {node:?}, ours {ours:?}"));
            }
        }
        for entry in doc["date"].as_array().into_iter().flatten() {
            let s = entry["text"].as_str().unwrap_or_default();
            let ours = parse_date_ms(s);
            if ours != entry["ours"].as_i64() {
                wrong.push(format!(
                    "Date.parse({s:?}): expected {}, ours {ours:?}",
                    entry["ours"]
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
