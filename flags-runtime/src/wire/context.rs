//! The evaluation context on the wire, and the text encodings the protocols need:
//! percent-encoding, ISO 8601 date-times (written by `flags_http::date`), numbers as
//! JavaScript prints them.

use std::fmt::Write as _;

use flags_http::date::iso8601;

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError};
use crate::value::Value;

/// How date-times are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dates {
    /// Unix seconds, as the runtime's [`Context::to_json`] (and flagd's rules) see them.
    UnixSeconds,
    /// ISO 8601 text in UTC (`2024-02-07T12:00:00Z`).
    Iso8601,
}

/// Checks that the context can be sent: every number finite. (A [`Value`] is a tree, so it
/// cannot hold a cycle.)
///
/// # Errors
///
/// `INVALID_CONTEXT`, naming the attribute.
pub(crate) fn check(ctx: &Context) -> Result<(), EvaluationError> {
    fn walk(path: &mut String, value: &Value) -> Result<(), EvaluationError> {
        match value {
            Value::Float(f) if !f.is_finite() => Err(EvaluationError::new(
                ErrorCode::InvalidContext,
                format!("context attribute `{path}` is not a finite number ({f})"),
            )),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{i}]");
                    walk(path, item)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Map(map) => {
                for (k, v) in map {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    walk(path, v)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    for (k, v) in ctx.attributes() {
        walk(&mut k.to_owned(), v)?;
    }
    Ok(())
}

/// The context as a JSON object: the attributes plus `targetingKey` when there is one (it wins
/// over an attribute of that name), date-times as `dates` says.
///
/// # Errors
///
/// `INVALID_CONTEXT` when a number is not finite.
pub(crate) fn to_json(
    ctx: &Context,
    dates: Dates,
) -> Result<serde_json::Map<String, serde_json::Value>, EvaluationError> {
    check(ctx)?;
    let mut map: serde_json::Map<String, serde_json::Value> = ctx
        .attributes()
        .map(|(k, v)| (k.to_owned(), value_to_json(v, dates)))
        .collect();
    if let Some(key) = ctx.targeting_key() {
        map.insert(
            "targetingKey".to_owned(),
            serde_json::Value::String(key.to_owned()),
        );
    }
    Ok(map)
}

pub(crate) fn value_to_json(value: &Value, dates: Dates) -> serde_json::Value {
    match (value, dates) {
        (Value::DateTime(t), Dates::Iso8601) => serde_json::Value::String(iso8601(*t)),
        (Value::List(items), Dates::Iso8601) => {
            serde_json::Value::Array(items.iter().map(|v| value_to_json(v, dates)).collect())
        }
        (Value::Map(map), Dates::Iso8601) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v, dates)))
                .collect(),
        ),
        (other, _) => other.to_json(),
    }
}

/// A finite number as JavaScript's `String(x)` writes it: shortest round-trip digits, no `.0`
/// on integral values, exponent form below 1e-6 and from 1e21 (`1e+21`, `1e-7`), `-0` as `0`.
/// Servers written in JavaScript compare attributes through this form, so a number sent as
/// text compares as it would in a JSON body.
pub(crate) fn js_number(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".to_owned()
        } else if x > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    // `{:e}` writes the shortest round-trip digits: `1.2345e-7`, `1e21`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp + 1;
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

/// Appends `text` percent-encoded, every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// escaped: safe in a path segment and in a query component.
pub(crate) fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// `text` percent-encoded (see [`encode_into`]).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text);
    out
}

/// Decodes `%XX` escapes (`+` stays `+`); an invalid escape is kept as written, invalid UTF-8
/// is replaced.
pub(crate) fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Checks that `url` is an absolute `http` or `https` URL with a host.
///
/// # Errors
///
/// What is wrong, without repeating the URL (it may carry credentials).
pub(crate) fn check_http_url(url: &str) -> Result<(), &'static str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("has no scheme (expected `https://host` or `http://host`)");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err("must use `http` or `https`");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port
            .split_once(']')
            .map_or("", |(h, _)| h.trim_start_matches('['))
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err("has no host");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace or control characters");
    }
    Ok(())
}

/// The origin of an absolute URL: scheme, host and port (`https://host:8443`), without user
/// information.
pub(crate) fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!host_port.is_empty()).then(|| format!("{scheme}://{host_port}"))
}

/// The URL without user information, query or fragment (where credentials hide), for
/// `Debug` and logs.
pub(crate) use flags_http::redact_url as redacted;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::{Duration, SystemTime};

    use serde_json::json;

    use super::*;

    #[test]
    fn non_finite_numbers_are_invalid_anywhere() {
        assert!(check(&Context::new("u").with("n", 1.5)).is_ok());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = check(&Context::new("u").with("n", bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidContext);
            assert!(e.message.contains("`n`"), "{e}");
        }
        let nested = Context::anonymous().with(
            "a",
            Value::Map(BTreeMap::from([(
                "b".to_owned(),
                Value::List(vec![Value::Int(1), Value::Float(f64::NAN)]),
            )])),
        );
        let e = check(&nested).unwrap_err();
        assert!(e.message.contains("`a.b[1]`"), "{e}");
        assert!(to_json(&nested, Dates::Iso8601).is_err());
    }

    #[test]
    fn the_targeting_key_wins_over_an_attribute_of_that_name() {
        let ctx = Context::new("real")
            .with("targetingKey", "attr")
            .with("x", 1);
        let json = to_json(&ctx, Dates::UnixSeconds).unwrap();
        assert_eq!(
            serde_json::Value::Object(json),
            json!({"targetingKey": "real", "x": 1})
        );
    }

    #[test]
    fn dates_follow_the_chosen_style() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_707_307_200);
        let ctx = Context::anonymous()
            .with("t", t)
            .with("l", Value::List(vec![Value::DateTime(t)]));
        let iso = serde_json::Value::Object(to_json(&ctx, Dates::Iso8601).unwrap());
        assert_eq!(
            iso,
            json!({"t": "2024-02-07T12:00:00Z", "l": ["2024-02-07T12:00:00Z"]})
        );
        let unix = serde_json::Value::Object(to_json(&ctx, Dates::UnixSeconds).unwrap());
        assert_eq!(unix, json!({"t": 1_707_307_200, "l": [1_707_307_200]}));
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        for (x, text) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-2.0, "-2"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (123_456.789, "123456.789"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (-1.25e-7, "-1.25e-7"),
            (0.000_123, "0.000123"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
        ] {
            assert_eq!(js_number(x), text, "{x:?}");
        }
    }

    #[test]
    fn percent_encoding_leaves_only_unreserved_bytes() {
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
        assert_eq!(encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(encode("é?&=+%#"), "%C3%A9%3F%26%3D%2B%25%23");
        assert_eq!(decode("a%2Fb%20c+%zz%4"), "a/b c+%zz%4");
        assert_eq!(decode("%C3%A9"), "é");
        assert_eq!(decode(&encode("any ✓ text/?")), "any ✓ text/?");
    }

    #[test]
    fn urls_need_an_http_scheme_and_a_host() {
        assert!(check_http_url("https://api.example.com").is_ok());
        assert!(check_http_url("http://127.0.0.1:8016/base").is_ok());
        assert!(check_http_url("http://[::1]:80").is_ok());
        assert!(check_http_url("api.example.com").is_err());
        assert!(check_http_url("ftp://example.com").is_err());
        assert!(check_http_url("https://").is_err());
        assert!(check_http_url("https:///path").is_err());
        assert!(check_http_url("https://user@:80/").is_err());
        assert!(check_http_url("https://a b.com").is_err());
    }

    #[test]
    fn origins_drop_paths_and_user_information() {
        assert_eq!(
            origin("https://u:p@h.example:8443/base/path?q").as_deref(),
            Some("https://h.example:8443")
        );
        assert_eq!(origin("http://h").as_deref(), Some("http://h"));
        assert_eq!(origin("nope"), None);
        assert_eq!(
            redacted("https://u:p@h.example/a/b?token=x#f"),
            "https://h.example/a/b"
        );
        assert_eq!(redacted("http://h?k=v/w"), "http://h");
    }
}
