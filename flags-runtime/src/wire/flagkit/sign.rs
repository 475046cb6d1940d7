//! FlagKit's HMAC-SHA256 signatures (of request bodies and of bootstraps), the canonical
//! JSON they cover, and the sanitising of error messages.
//!
//! A POST is signed over the exact bytes sent: `X-Signature` is the lowercase hex of
//! HMAC-SHA256(key = the API key, message = `"{ts_ms}.{body}"`), with `X-Timestamp: ts_ms`
//! and `X-Key-Id` (the key's first 8 characters). The body sent is the canonical form of the
//! JSON ([`canonical`]: keys sorted, no spaces, non-ASCII escaped as `\uXXXX`, as Python's
//! `json.dumps(sort_keys=True, separators=(",", ":"))` writes it), so a server that
//! re-canonicalises what it received, as FlagKit's does, checks the same bytes.

use std::fmt::Write as _;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value as J;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `value` as canonical JSON: object keys sorted (by their UTF-16 code units, as Python sorts
/// them), no whitespace, every character outside ASCII escaped as `\uXXXX` (surrogate pairs
/// beyond the BMP), numbers as `serde_json` writes them.
pub(crate) fn canonical(value: &J) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &J) {
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => {
            let _ = write!(out, "{n}");
        }
        J::String(s) => write_string(out, s),
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        J::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                if let Some(value) = fields.get(key) {
                    write_canonical(out, value);
                }
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Lowercase hex of HMAC-SHA256(`key`, `message`).
pub(crate) fn hmac_hex(key: &str, message: &[u8]) -> String {
    // HMAC takes keys of any length: this never fails.
    let Ok(mut mac) = HmacSha256::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(message);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(64);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The key's id: its first 8 characters.
pub(crate) fn key_id(key: &str) -> &str {
    match key.char_indices().nth(8) {
        Some((at, _)) => &key[..at],
        None => key,
    }
}

/// The signature headers of a POST whose body is `body`, sent at `ts_ms` (Unix milliseconds).
pub(crate) fn request_headers(key: &str, ts_ms: u64, body: &[u8]) -> [(&'static str, String); 3] {
    let mut message = Vec::with_capacity(body.len() + 21);
    message.extend_from_slice(ts_ms.to_string().as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    [
        ("X-Signature", hmac_hex(key, &message)),
        ("X-Timestamp", ts_ms.to_string()),
        ("X-Key-Id", key_id(key).to_owned()),
    ]
}

/// Why a signed bootstrap is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BootstrapProblem {
    /// Not JSON, or not an object of flags.
    Malformed(String),
    /// The signature is not the HMAC of the flags under the API key.
    BadSignature,
    /// Older than the maximum age.
    TooOld { age: Duration, max_age: Duration },
    /// Signed in the future (beyond a minute of clock skew).
    FromTheFuture,
    /// A maximum age was given but the bootstrap carries no `timestamp`.
    NoTimestamp,
}

impl std::fmt::Display for BootstrapProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BootstrapProblem::Malformed(why) => write!(f, "the bootstrap is not usable: {why}"),
            BootstrapProblem::BadSignature => f.write_str(
                "the bootstrap's signature does not match its flags under the API key; it is \
                 not used (sign it with the same key)",
            ),
            BootstrapProblem::TooOld { age, max_age } => write!(
                f,
                "the bootstrap was signed {} s ago, more than its maximum age of {} s; it is \
                 not used",
                age.as_secs(),
                max_age.as_secs()
            ),
            BootstrapProblem::FromTheFuture => {
                f.write_str("the bootstrap's timestamp is in the future; it is not used")
            }
            BootstrapProblem::NoTimestamp => f.write_str(
                "the bootstrap has no `timestamp`, so its maximum age cannot be checked; it is \
                 not used",
            ),
        }
    }
}

/// A bootstrap document: `{"flags": {key: value}, "timestamp": ms}` (the timestamp optional)
/// or a bare `{key: value}` object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bootstrap {
    pub flags: serde_json::Map<String, J>,
    pub timestamp_ms: Option<u64>,
}

/// Reads a bootstrap document.
///
/// # Errors
///
/// [`BootstrapProblem::Malformed`].
pub(crate) fn parse_bootstrap(json: &str) -> Result<Bootstrap, BootstrapProblem> {
    let value: J = serde_json::from_str(json).map_err(|e| {
        BootstrapProblem::Malformed(format!(
            "not JSON ({})",
            crate::transport::excerpt(&e.to_string())
        ))
    })?;
    let J::Object(mut fields) = value else {
        return Err(BootstrapProblem::Malformed("not a JSON object".to_owned()));
    };
    match fields.remove("flags") {
        Some(J::Object(flags)) => {
            let timestamp_ms = match fields.get("timestamp") {
                None | Some(J::Null) => None,
                Some(t) => Some(t.as_u64().ok_or_else(|| {
                    BootstrapProblem::Malformed("`timestamp` is not Unix milliseconds".to_owned())
                })?),
            };
            Ok(Bootstrap {
                flags,
                timestamp_ms,
            })
        }
        Some(other) => {
            // A flag named `flags` in a bare map.
            fields.insert("flags".to_owned(), other);
            Ok(Bootstrap {
                flags: fields,
                timestamp_ms: None,
            })
        }
        None => Ok(Bootstrap {
            flags: fields,
            timestamp_ms: None,
        }),
    }
}

#[cfg(test)]
/// The signature of a bootstrap: HMAC-SHA256(key, `"{timestamp}.{canonical flags}"`), or of
/// the canonical flags alone without a timestamp.
pub(crate) fn bootstrap_signature(
    key: &str,
    flags: &serde_json::Map<String, J>,
    timestamp_ms: Option<u64>,
) -> String {
    let flags = canonical(&J::Object(flags.clone()));
    let message = match timestamp_ms {
        Some(ts) => format!("{ts}.{flags}"),
        None => flags,
    };
    hmac_hex(key, message.as_bytes())
}

/// Checks a signed bootstrap at `now_ms`: the signature (compared in constant time) and, with
/// a `max_age`, its age.
///
/// # Errors
///
/// Why it must not be used.
pub(crate) fn verify_bootstrap(
    key: &str,
    bootstrap: &Bootstrap,
    signature: &str,
    max_age: Option<Duration>,
    now_ms: u64,
) -> Result<(), BootstrapProblem> {
    let Some(given) = decode_hex(signature.trim()) else {
        return Err(BootstrapProblem::BadSignature);
    };
    let flags = canonical(&J::Object(bootstrap.flags.clone()));
    let message = match bootstrap.timestamp_ms {
        Some(ts) => format!("{ts}.{flags}"),
        None => flags,
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(key.as_bytes()) else {
        return Err(BootstrapProblem::BadSignature);
    };
    mac.update(message.as_bytes());
    mac.verify_slice(&given)
        .map_err(|_| BootstrapProblem::BadSignature)?;
    if let Some(max_age) = max_age {
        let Some(at) = bootstrap.timestamp_ms else {
            return Err(BootstrapProblem::NoTimestamp);
        };
        if at > now_ms.saturating_add(60_000) {
            return Err(BootstrapProblem::FromTheFuture);
        }
        let age = Duration::from_millis(now_ms.saturating_sub(at));
        if age > max_age {
            return Err(BootstrapProblem::TooOld { age, max_age });
        }
    }
    Ok(())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// `message` without secrets: FlagKit keys (`sdk_`, `srv_`, `cli_` and what follows) become
/// `sdk_[REDACTED]`, URLs lose their user information, query and fragment, `token=`,
/// `key=`, `password=` and `secret=` values become `[REDACTED]`, and e-mail addresses become
/// `[EMAIL]`.
pub(crate) fn sanitize(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&sanitize_word(word));
    }
    out
}

/// Where the text after the last character matching `stop` starts (0 when none does).
fn after_last(text: &str, stop: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .rev()
        .find(|(_, c)| stop(*c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn sanitize_word(word: &str) -> String {
    // A URL keeps its punctuation around it.
    if let Some(at) = word.find("://") {
        let start = after_last(&word[..at], |c| {
            !c.is_ascii_alphanumeric() && c != '+' && c != '.' && c != '-'
        });
        let end = word[at..]
            .find(['`', '"', '\'', ')', '>', ','])
            .map_or(word.len(), |i| at + i);
        return format!(
            "{}{}{}",
            &word[..start],
            flags_http::redact_url(&word[start..end]),
            sanitize_word(&word[end..])
        );
    }
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while !rest.is_empty() {
        let found = ["sdk_", "srv_", "cli_"]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .filter(|(i, _)| {
                // At a word start only (not `my_sdk_thing`).
                *i == 0 || !rest[..*i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
            .min_by_key(|(i, _)| *i);
        match found {
            Some((i, prefix)) => {
                out.push_str(&rest[..i]);
                let after = &rest[i + prefix.len()..];
                let secret = after
                    .find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-')
                    .unwrap_or(after.len());
                out.push_str(prefix);
                out.push_str("[REDACTED]");
                rest = &after[secret..];
            }
            None => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    for name in ["token=", "key=", "password=", "secret=", "signature="] {
        if let Some(i) = out.to_ascii_lowercase().find(name) {
            let start = i + name.len();
            let end = out[start..]
                .find(['&', '`', '"', '\'', ')', ','])
                .map_or(out.len(), |j| start + j);
            out.replace_range(start..end, "[REDACTED]");
        }
    }
    if let Some(at) = out.find('@')
        && out[at + 1..].contains('.')
        && at > 0
    {
        let start = after_last(&out[..at], |c| {
            !(c.is_ascii_alphanumeric() || "._%+-".contains(c))
        });
        let end = out[at + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || ".-".contains(c)))
            .map_or(out.len(), |j| at + 1 + j);
        if start < at && end > at + 1 {
            out.replace_range(start..end, "[EMAIL]");
        }
    }
    out
}
