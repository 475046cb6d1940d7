//! A scripted FlagKit service on 127.0.0.1: the [`FaultServer`] with FlagKit's routes under
//! `/api/v1`, answer builders for its endpoints, and the checks FlagKit's service makes on
//! what it receives: the HMAC signature of a POST (re-canonicalising the JSON body it
//! received, as the service does, with a canonicaliser of its own), and no API key in a URL.
//!
//! ```
//! use flags_test_support::fault::Reply;
//! use flags_test_support::flagkit::{FlagKitService, flag, init_body};
//!
//! let service = FlagKitService::start();
//! service.route(
//!     "GET",
//!     "/api/v1/sdk/init",
//!     Reply::json(&init_body(&[flag("dark-mode", true)], 30.0, "2026-12-05T03:00:00Z")),
//! );
//! assert!(service.base_url().ends_with("/api/v1"));
//! ```

use std::fmt::Write as _;
use std::ops::Deref;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::fault::{FaultServer, Recorded};

/// Where the routes live, under the server's root.
pub const BASE: &str = "/api/v1";
pub const INIT: &str = "/api/v1/sdk/init";
pub const UPDATES: &str = "/api/v1/sdk/updates";
pub const EVALUATE: &str = "/api/v1/sdk/evaluate";
pub const EVALUATE_ALL: &str = "/api/v1/sdk/evaluate/all";
pub const STREAM_TOKEN: &str = "/api/v1/sdk/stream/token";
pub const STREAM: &str = "/api/v1/sdk/stream";

/// The service: a fault server (every route and check of [`FaultServer`] through `Deref`).
pub struct FlagKitService {
    server: FaultServer,
}

impl FlagKitService {
    /// A service with no route yet (everything answers `404`).
    pub fn start() -> FlagKitService {
        FlagKitService {
            server: FaultServer::start(),
        }
    }

    /// A service on `addr` of 127.0.0.1 (to bring it up where a client already points).
    pub fn start_at(addr: std::net::SocketAddr) -> std::io::Result<FlagKitService> {
        Ok(FlagKitService {
            server: FaultServer::start_at(addr)?,
        })
    }

    /// The API's base URL, `http://127.0.0.1:port/api/v1`.
    pub fn base_url(&self) -> String {
        self.server.url(BASE)
    }

    /// The requests to `path` (a prefix), in order.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with(path))
            .collect()
    }

    /// Fails when any request's URL carries one of `keys`.
    pub fn assert_no_key_in_urls(&self, keys: &[&str]) {
        for request in self.server.requests() {
            for key in keys {
                assert!(
                    !request.path.contains(key),
                    "an API key is in the URL of {} {}",
                    request.method,
                    request.path
                );
            }
        }
    }
}

impl Deref for FlagKitService {
    type Target = FaultServer;

    fn deref(&self) -> &FaultServer {
        &self.server
    }
}

/// A flag state (`flagType` from the value).
pub fn flag(key: &str, value: impl Into<Value>) -> Value {
    let value = value.into();
    let flag_type = match &value {
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        _ => "json",
    };
    json!({
        "key": key, "value": value, "enabled": true, "version": 1,
        "flagType": flag_type, "lastModified": "2026-12-01T00:00:00Z"
    })
}

/// A disabled flag state.
pub fn disabled(key: &str, value: impl Into<Value>) -> Value {
    let mut state = flag(key, value);
    state["enabled"] = json!(false);
    state
}

/// An init answer with `flags`, a polling interval (seconds) and a server time.
pub fn init_body(flags: &[Value], interval_secs: f64, server_time: &str) -> String {
    json!({
        "flags": flags,
        "environment": "test", "environmentId": "env-1", "projectId": "proj-1",
        "organizationId": "org-1", "serverTime": server_time,
        "pollingIntervalSeconds": interval_secs,
        "metadata": {}
    })
    .to_string()
}

/// An updates answer: `changed` flag states, `deleted` keys, and where the next `since` starts.
pub fn updates_body(changed: &[Value], deleted: &[&str], checked_at: &str) -> String {
    json!({"flags": changed, "deleted": deleted, "checkedAt": checked_at}).to_string()
}

/// JSON as FlagKit's service canonicalises it before checking a signature: keys sorted,
/// compact, non-ASCII as `\uXXXX` (Python's `json.dumps(sort_keys=True,
/// separators=(",", ":"))`).
pub fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", quote(k), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        Value::String(s) => quote(s),
        other => other.to_string(),
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// Lowercase hex HMAC-SHA256.
pub fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Checks a POST as FlagKit's service does: `X-Key-Id` names `key` (its first 8 characters),
/// and `X-Signature` is the HMAC, under `key`, of `"{X-Timestamp}.{canonical body}"`, the
/// body re-canonicalised from what was received.
pub fn verify_signature(request: &Recorded, key: &str) -> Result<(), String> {
    let signature = request.header("x-signature").ok_or("no X-Signature")?;
    let timestamp = request.header("x-timestamp").ok_or("no X-Timestamp")?;
    let key_id = request.header("x-key-id").ok_or("no X-Key-Id")?;
    if timestamp.parse::<u64>().is_err() {
        return Err(format!(
            "X-Timestamp `{timestamp}` is not Unix milliseconds"
        ));
    }
    let expected_id: String = key.chars().take(8).collect();
    if key_id != expected_id {
        return Err(format!("X-Key-Id `{key_id}` does not name the key"));
    }
    let body: Value =
        serde_json::from_slice(&request.body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let expected = hmac_hex(key, &format!("{timestamp}.{}", canonical(&body)));
    if signature != expected {
        return Err("X-Signature does not match the re-canonicalised body".to_owned());
    }
    Ok(())
}

/// The signature of a bootstrap: HMAC-SHA256(key, `"{timestamp}.{canonical flags}"`).
pub fn bootstrap_signature(key: &str, flags: &Value, timestamp_ms: u64) -> String {
    hmac_hex(key, &format!("{timestamp_ms}.{}", canonical(flags)))
}
