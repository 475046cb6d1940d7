//! The snapshot Flipt's client engine exports (`get_snapshot()` of `flipt-engine-ffi`, the
//! `snapshot` option of Flipt's client SDKs), and its conversion to and from the server's
//! namespace document, so that the importer and the engine read one shape.
//!
//! The engine's snapshot is snake_case JSON, usually handed around base64-encoded:
//!
//! ```json
//! { "version": 1,
//!   "namespace": { "key": "checkout",
//!     "flags": { "<key>": { "key", "enabled", "type", "description"?, "default_variant"?: { "id", "key", "attachment"? } } },
//!     "eval_rules": { "<key>": [ { "id": "<key>-<n>", "flag_key", "rank": n, "segment_operator",
//!                                  "segments": { "<segment>": { "segment_key", "match_type", "constraints": [...] } } } ] },
//!     "eval_rollouts": { "<key>": [ { "rollout_type", "rank", "threshold"?: {...}, "segment"?: { "value", "segment_operator", "segments": {...} } } ] },
//!     "eval_distributions": { "<rule id>": [ { "rule_id", "rollout", "variant_key", "variant_attachment"? } ] } } }
//! ```
//!
//! No I/O, no importer: the leaf the importer and the format detection share.

use serde_json::{Map, Number, Value};

use crate::error::{Error, Problem, describe_short};

/// The version of the engine's snapshot format written by [`engine_snapshot`].
pub const ENGINE_SNAPSHOT_VERSION: u64 = 1;

/// Whether the object under a document's `namespace` is the engine's (its flags inside it, as
/// an object, or its evaluation rules): the server's document lists its flags beside it.
pub(crate) fn is_engine_namespace(namespace: &Map<String, Value>) -> bool {
    namespace.get("flags").is_some_and(Value::is_object) || namespace.contains_key("eval_rules")
}

/// Whether `document` is the engine's snapshot.
pub(crate) fn is_engine_snapshot(document: &Map<String, Value>) -> bool {
    matches!(document.get("namespace"), Some(Value::Object(namespace)) if is_engine_namespace(namespace))
}

/// Each flag of a snapshot by key, as the server lists it, or why it cannot be read.
pub(crate) type FlagEntries = Vec<(String, Result<Map<String, Value>, Problem>)>;

/// An engine snapshot read as the server's document: the namespace's key, and each flag (by
/// its key in the snapshot's `flags`) as the server lists it, or why it cannot be.
pub(crate) struct ServerFlags {
    pub(crate) namespace: Option<String>,
    pub(crate) flags: FlagEntries,
}

/// Reads the engine's snapshot `document` as the server's document. The flags come in the
/// order of the snapshot's `flags` object; each flag's rules and rollouts in the order of
/// their arrays (the engine writes them in rank order), its segments in the order of their
/// object.
///
/// # Errors
///
/// An [`Error::Document`] when `namespace` is not an object holding `flags` as an object, or
/// one of `eval_rules`, `eval_rollouts`, `eval_distributions` is neither an object nor absent.
pub(crate) fn server_flags(
    mut document: Map<String, Value>,
    origin: &str,
) -> Result<ServerFlags, Error> {
    let invalid = |field: &str, expected: &'static str, found: &Value| {
        Error::document(
            origin,
            Problem::InvalidField {
                field: field.to_owned(),
                expected,
                found: describe_short(found),
            },
        )
    };
    let mut namespace = match document.remove("namespace") {
        Some(Value::Object(namespace)) => namespace,
        other => {
            return Err(invalid(
                "namespace",
                "an object with the namespace's `flags`",
                &other.unwrap_or(Value::Null),
            ));
        }
    };
    let flags = match namespace.remove("flags") {
        Some(Value::Object(flags)) => flags,
        other => {
            return Err(invalid(
                "namespace.flags",
                "an object of flags by key",
                &other.unwrap_or(Value::Null),
            ));
        }
    };
    let mut table = |name: &str| match namespace.remove(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(table)) => Ok(table),
        Some(other) => Err(invalid(
            &format!("namespace.{name}"),
            "an object by flag key or rule id",
            &other,
        )),
    };
    let mut rules = table("eval_rules")?;
    let mut rollouts = table("eval_rollouts")?;
    let mut distributions = table("eval_distributions")?;
    let key = match namespace.get("key") {
        Some(Value::String(key)) => Some(key.clone()),
        _ => None,
    };
    let flags = flags
        .into_iter()
        .map(|(key, flag)| {
            let flag = server_flag(
                &key,
                flag,
                rules.remove(&key),
                rollouts.remove(&key),
                &mut distributions,
            );
            (key, flag)
        })
        .collect();
    Ok(ServerFlags {
        namespace: key,
        flags,
    })
}

/// One flag of the engine's snapshot, with its rules, their distributions and its rollouts, as
/// the server lists it.
fn server_flag(
    key: &str,
    flag: Value,
    rules: Option<Value>,
    rollouts: Option<Value>,
    distributions: &mut Map<String, Value>,
) -> Result<Map<String, Value>, Problem> {
    let Value::Object(mut flag) = flag else {
        return Err(Problem::InvalidField {
            field: format!("namespace.flags.{}", crate::error::shorten(key)),
            expected: "a flag object",
            found: describe_short(&flag),
        });
    };
    let mut out = Map::new();
    out.insert("key".to_owned(), Value::from(key));
    for field in ["enabled", "type", "description"] {
        if let Some(value) = flag.remove(field) {
            out.insert(field.to_owned(), value);
        }
    }
    if let Some(variant) = flag.remove("default_variant") {
        out.insert("defaultVariant".to_owned(), variant);
    }
    let mut server_rules = Vec::new();
    for (r, rule) in array(rules, || "eval_rules".to_owned())?
        .into_iter()
        .enumerate()
    {
        let field = || format!("eval_rules[{r}]");
        let Value::Object(mut rule) = rule else {
            return Err(not_an_object(field(), &rule));
        };
        let mut server = Map::new();
        if let Some(operator) = rule.remove("segment_operator") {
            server.insert("segmentOperator".to_owned(), operator);
        }
        server.insert(
            "segments".to_owned(),
            segments(rule.remove("segments"), || format!("{}.segments", field()))?,
        );
        let owned = match rule.get("id") {
            Some(Value::String(id)) => distributions.remove(id),
            _ => None,
        };
        let mut server_distributions = Vec::new();
        for (d, distribution) in array(owned, || format!("eval_distributions of {}", field()))?
            .into_iter()
            .enumerate()
        {
            let Value::Object(mut distribution) = distribution else {
                return Err(not_an_object(
                    format!("eval_distributions of {}[{d}]", field()),
                    &distribution,
                ));
            };
            let mut server = Map::new();
            for (from, to) in [
                ("variant_key", "variantKey"),
                ("rollout", "rollout"),
                ("variant_attachment", "variantAttachment"),
            ] {
                if let Some(value) = distribution.remove(from) {
                    server.insert(to.to_owned(), value);
                }
            }
            server_distributions.push(Value::Object(server));
        }
        server.insert(
            "distributions".to_owned(),
            Value::Array(server_distributions),
        );
        server_rules.push(Value::Object(server));
    }
    if !server_rules.is_empty() {
        out.insert("rules".to_owned(), Value::Array(server_rules));
    }
    let mut server_rollouts = Vec::new();
    for (r, rollout) in array(rollouts, || "eval_rollouts".to_owned())?
        .into_iter()
        .enumerate()
    {
        let field = || format!("eval_rollouts[{r}]");
        let Value::Object(mut rollout) = rollout else {
            return Err(not_an_object(field(), &rollout));
        };
        let kind = rollout.remove("rollout_type");
        let mut server = Map::new();
        match kind.as_ref().and_then(Value::as_str) {
            Some("THRESHOLD_ROLLOUT_TYPE") => {
                if let Some(threshold) = rollout.remove("threshold") {
                    server.insert("threshold".to_owned(), threshold);
                }
            }
            Some("SEGMENT_ROLLOUT_TYPE") => {
                let segment = match rollout.remove("segment") {
                    Some(Value::Object(mut segment)) => {
                        let mut out = Map::new();
                        if let Some(operator) = segment.remove("segment_operator") {
                            out.insert("segmentOperator".to_owned(), operator);
                        }
                        if let Some(value) = segment.remove("value") {
                            out.insert("value".to_owned(), value);
                        }
                        out.insert(
                            "segments".to_owned(),
                            segments(segment.remove("segments"), || {
                                format!("{}.segment.segments", field())
                            })?,
                        );
                        out
                    }
                    None | Some(Value::Null) => Map::new(),
                    Some(other) => {
                        return Err(not_an_object(format!("{}.segment", field()), &other));
                    }
                };
                server.insert("segment".to_owned(), Value::Object(segment));
            }
            // A rollout of no known type: neither a threshold nor a segment, as the engine
            // holds it.
            _ => {}
        }
        server_rollouts.push(Value::Object(server));
    }
    if !server_rollouts.is_empty() {
        out.insert("rollouts".to_owned(), Value::Array(server_rollouts));
    }
    Ok(out)
}

/// The engine's segments (an object by segment key) as the server's (an array of segments
/// with their `key`).
fn segments(value: Option<Value>, field: impl Fn() -> String) -> Result<Value, Problem> {
    let segments = match value {
        None | Some(Value::Null) => return Ok(Value::Array(Vec::new())),
        Some(Value::Object(segments)) => segments,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: field(),
                expected: "an object of segments by key",
                found: describe_short(&other),
            });
        }
    };
    let mut out = Vec::with_capacity(segments.len());
    for (key, segment) in segments {
        let Value::Object(mut segment) = segment else {
            return Err(not_an_object(
                format!("{}.{}", field(), crate::error::shorten(&key)),
                &segment,
            ));
        };
        let mut server = Map::new();
        let key = match segment.remove("segment_key") {
            Some(Value::String(key)) => key,
            _ => key,
        };
        server.insert("key".to_owned(), Value::from(key));
        if let Some(match_type) = segment.remove("match_type") {
            server.insert("matchType".to_owned(), match_type);
        }
        if let Some(constraints) = segment.remove("constraints") {
            server.insert("constraints".to_owned(), constraints);
        }
        out.push(Value::Object(server));
    }
    Ok(Value::Array(out))
}

/// [`engine_snapshot`] of a snapshot's text: the server's document or the engine's snapshot,
/// as JSON or base64.
///
/// ```
/// let text = r#"{"namespace": {"key": "checkout"}, "flags": []}"#;
/// let snapshot = flags_schema::flipt::engine_snapshot_str(text, "checkout", "snapshot.json")?;
/// assert_eq!(snapshot["namespace"]["key"], "checkout");
/// let encoded = flags_schema::flipt::to_base64(&snapshot.to_string());
/// assert_eq!(flags_schema::flipt::engine_snapshot_str(&encoded, "checkout", "snapshot")?, snapshot);
/// # Ok::<(), flags_schema::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Json`] when the text is neither JSON nor base64 of JSON.
pub fn engine_snapshot_str(text: &str, namespace: &str, origin: &str) -> Result<Value, Error> {
    let document: Value = match serde_json::from_str(text) {
        Ok(document) => document,
        Err(error) => match from_base64(text) {
            Some(decoded) => serde_json::from_str(&decoded)
                .map_err(|e| Error::json(&format!("{origin} (base64)"), &e))?,
            None => return Err(Error::json(origin, &error)),
        },
    };
    Ok(engine_snapshot(&document, namespace))
}

/// An optional array (absent and `null` are empty).
fn array(value: Option<Value>, field: impl FnOnce() -> String) -> Result<Vec<Value>, Problem> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(Problem::InvalidField {
            field: field(),
            expected: "an array",
            found: describe_short(&other),
        }),
    }
}

fn not_an_object(field: String, value: &Value) -> Problem {
    Problem::InvalidField {
        field,
        expected: "an object",
        found: describe_short(value),
    }
}

/// The snapshot Flipt's client engine would export for the server's namespace document
/// `document` (its `flags` array), of namespace `namespace` when the document names none: what
/// Flipt's client SDKs accept as their `snapshot` option (base64-encoded, see [`to_base64`]),
/// and what a source reading [`Format::Flipt`](crate::Format::Flipt) accepts back.
///
/// As the engine writes it: rule ids `<flag key>-<n>` and ranks by position from 1, segments by
/// key (the last of a key wins), rollouts typed by what they hold (a threshold first),
/// percentages and rollouts as 32-bit floats, a segment operator other than `AND` as `OR`, a
/// match type other than `ALL` as `ANY`, a constraint type it does not know as `UNKNOWN`.
/// Flipt's engine refuses a document whose flags lack what it requires (a `name`, `enabled`,
/// a distribution's `rollout`, ...); this converts every flag as this crate reads it (no
/// `type` is a variant flag, no `enabled` is `false`), as far as it is there. A flag entry
/// that is not an object with a string `key`, of an unknown `type` or whose `enabled` is not a
/// boolean is left out. Given the engine's snapshot, it writes it again (its flags that
/// cannot be read left out).
///
/// ```
/// let document = serde_json::json!({
///     "namespace": { "key": "checkout" },
///     "flags": [{ "key": "beta", "name": "Beta", "type": "BOOLEAN_FLAG_TYPE", "enabled": true,
///                 "rollouts": [{ "threshold": { "percentage": 25, "value": true } }] }]
/// });
/// let snapshot = flags_schema::flipt::engine_snapshot(&document, "checkout");
/// assert_eq!(snapshot["version"], 1);
/// assert_eq!(
///     snapshot["namespace"]["eval_rollouts"]["beta"],
///     serde_json::json!([{ "rollout_type": "THRESHOLD_ROLLOUT_TYPE", "rank": 1,
///                          "threshold": { "percentage": 25.0, "value": true } }])
/// );
/// ```
pub fn engine_snapshot(document: &Value, namespace: &str) -> Value {
    if let Value::Object(object) = document
        && is_engine_snapshot(object)
    {
        // Already the engine's: read as the server's document, then written again.
        let Ok(ServerFlags {
            namespace: key,
            flags,
        }) = server_flags(object.clone(), "")
        else {
            return engine_snapshot(&Value::Null, namespace);
        };
        let mut server = Map::new();
        if let Some(key) = key {
            server.insert("namespace".to_owned(), serde_json::json!({ "key": key }));
        }
        let flags = flags
            .into_iter()
            .filter_map(|(_, flag)| flag.ok().map(Value::Object))
            .collect();
        server.insert("flags".to_owned(), Value::Array(flags));
        return engine_snapshot(&Value::Object(server), namespace);
    }
    let key = document
        .get("namespace")
        .and_then(|n| n.get("key"))
        .and_then(Value::as_str)
        .unwrap_or(namespace);
    let mut flags = Map::new();
    let mut rules = Map::new();
    let mut rollouts = Map::new();
    let mut distributions = Map::new();
    let listed = document.get("flags").and_then(Value::as_array);
    for flag in listed.into_iter().flatten() {
        let Some(key) = flag.get("key").and_then(Value::as_str) else {
            continue;
        };
        // As this crate reads a flag: no type is a variant flag, no `enabled` is false; a flag
        // of another type, or whose `enabled` is not a boolean, is left out.
        let kind = match flag.get("type") {
            None | Some(Value::Null) => "VARIANT_FLAG_TYPE",
            Some(Value::String(kind))
                if kind == "BOOLEAN_FLAG_TYPE" || kind == "VARIANT_FLAG_TYPE" =>
            {
                kind.as_str()
            }
            Some(_) => continue,
        };
        let enabled = match flag.get("enabled") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(enabled)) => *enabled,
            Some(_) => continue,
        };
        let mut out = Map::new();
        out.insert("key".to_owned(), Value::from(key));
        out.insert("enabled".to_owned(), Value::Bool(enabled));
        out.insert("type".to_owned(), Value::from(kind));
        copy(flag, "description", &mut out, "description");
        if let Some(Value::Object(variant)) = flag.get("defaultVariant") {
            let mut default = Map::new();
            for field in ["id", "key", "attachment"] {
                copy_object(variant, field, &mut default, field);
            }
            out.insert("default_variant".to_owned(), Value::Object(default));
        }
        flags.insert(key.to_owned(), Value::Object(out));
        let mut flag_rules = Vec::new();
        for (n, rule) in items(flag.get("rules")).enumerate() {
            let rank = n + 1;
            let id = format!("{key}-{rank}");
            let mut out = Map::new();
            out.insert("id".to_owned(), Value::from(id.as_str()));
            out.insert("flag_key".to_owned(), Value::from(key));
            out.insert("segments".to_owned(), engine_segments(rule.get("segments")));
            out.insert("rank".to_owned(), Value::from(rank));
            out.insert(
                "segment_operator".to_owned(),
                segment_operator(rule.get("segmentOperator")),
            );
            flag_rules.push(Value::Object(out));
            let mut shares = Vec::new();
            for distribution in items(rule.get("distributions")) {
                let mut out = Map::new();
                out.insert("rule_id".to_owned(), Value::from(id.as_str()));
                if let Some(rollout) = distribution.get("rollout") {
                    out.insert("rollout".to_owned(), float32(rollout));
                }
                copy_object(distribution, "variantKey", &mut out, "variant_key");
                copy_object(
                    distribution,
                    "variantAttachment",
                    &mut out,
                    "variant_attachment",
                );
                shares.push(Value::Object(out));
            }
            distributions.insert(id, Value::Array(shares));
        }
        rules.insert(key.to_owned(), Value::Array(flag_rules));
        let mut flag_rollouts = Vec::new();
        for (n, rollout) in items(flag.get("rollouts")).enumerate() {
            let mut out = Map::new();
            match (rollout.get("threshold"), rollout.get("segment")) {
                (Some(Value::Object(threshold)), _) => {
                    out.insert("rollout_type".to_owned(), "THRESHOLD_ROLLOUT_TYPE".into());
                    out.insert("rank".to_owned(), Value::from(n + 1));
                    let mut engine = Map::new();
                    if let Some(percentage) = threshold.get("percentage") {
                        engine.insert("percentage".to_owned(), float32(percentage));
                    }
                    copy_object(threshold, "value", &mut engine, "value");
                    out.insert("threshold".to_owned(), Value::Object(engine));
                }
                (_, Some(Value::Object(segment))) => {
                    out.insert("rollout_type".to_owned(), "SEGMENT_ROLLOUT_TYPE".into());
                    out.insert("rank".to_owned(), Value::from(n + 1));
                    let mut engine = Map::new();
                    copy_object(segment, "value", &mut engine, "value");
                    engine.insert(
                        "segment_operator".to_owned(),
                        segment_operator(segment.get("segmentOperator")),
                    );
                    engine.insert(
                        "segments".to_owned(),
                        engine_segments(segment.get("segments")),
                    );
                    out.insert("segment".to_owned(), Value::Object(engine));
                }
                _ => {
                    out.insert("rollout_type".to_owned(), "UNKNOWN_ROLLOUT_TYPE".into());
                    out.insert("rank".to_owned(), Value::from(n + 1));
                }
            }
            flag_rollouts.push(Value::Object(out));
        }
        rollouts.insert(key.to_owned(), Value::Array(flag_rollouts));
    }
    let mut namespace = Map::new();
    namespace.insert("key".to_owned(), Value::from(key));
    namespace.insert("flags".to_owned(), Value::Object(flags));
    namespace.insert("eval_rules".to_owned(), Value::Object(rules));
    namespace.insert("eval_rollouts".to_owned(), Value::Object(rollouts));
    namespace.insert(
        "eval_distributions".to_owned(),
        Value::Object(distributions),
    );
    let mut snapshot = Map::new();
    snapshot.insert("version".to_owned(), Value::from(ENGINE_SNAPSHOT_VERSION));
    snapshot.insert("namespace".to_owned(), Value::Object(namespace));
    Value::Object(snapshot)
}

/// The items of an optional array that are objects.
fn items(value: Option<&Value>) -> impl Iterator<Item = &Map<String, Value>> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn copy(from: &Value, field: &str, to: &mut Map<String, Value>, name: &str) {
    if let Some(object) = from.as_object() {
        copy_object(object, field, to, name);
    }
}

/// Copies `field` of `from` as `name`, unless it is absent or `null` (which the engine does
/// not write).
fn copy_object(from: &Map<String, Value>, field: &str, to: &mut Map<String, Value>, name: &str) {
    match from.get(field) {
        None | Some(Value::Null) => {}
        Some(value) => {
            to.insert(name.to_owned(), value.clone());
        }
    }
}

/// The server's segments (an array) as the engine's (an object by key, the last of a key
/// winning), with their match type and constraint types as the engine reads them.
fn engine_segments(value: Option<&Value>) -> Value {
    let mut out = Map::new();
    for segment in items(value) {
        let Some(key) = segment.get("key").and_then(Value::as_str) else {
            continue;
        };
        let match_type = match segment.get("matchType").and_then(Value::as_str) {
            Some("ALL_SEGMENT_MATCH_TYPE") => "ALL_SEGMENT_MATCH_TYPE",
            _ => "ANY_SEGMENT_MATCH_TYPE",
        };
        let constraints: Vec<Value> = items(segment.get("constraints"))
            .map(|constraint| {
                let mut out = Map::new();
                let kind = constraint
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|kind| CONSTRAINT_TYPES.contains(kind))
                    .unwrap_or("UNKNOWN_CONSTRAINT_COMPARISON_TYPE");
                out.insert("type".to_owned(), Value::from(kind));
                for field in ["property", "operator", "value"] {
                    copy_object(constraint, field, &mut out, field);
                }
                Value::Object(out)
            })
            .collect();
        let mut engine = Map::new();
        engine.insert("segment_key".to_owned(), Value::from(key));
        engine.insert("match_type".to_owned(), Value::from(match_type));
        engine.insert("constraints".to_owned(), Value::Array(constraints));
        out.insert(key.to_owned(), Value::Object(engine));
    }
    Value::Object(out)
}

/// The constraint types Flipt's engine knows.
const CONSTRAINT_TYPES: [&str; 5] = [
    "STRING_CONSTRAINT_COMPARISON_TYPE",
    "NUMBER_CONSTRAINT_COMPARISON_TYPE",
    "BOOLEAN_CONSTRAINT_COMPARISON_TYPE",
    "DATETIME_CONSTRAINT_COMPARISON_TYPE",
    "ENTITY_ID_CONSTRAINT_COMPARISON_TYPE",
];

/// A segment operator as the engine reads it: `AND`, or else `OR`.
fn segment_operator(value: Option<&Value>) -> Value {
    match value.and_then(Value::as_str) {
        Some("AND_SEGMENT_OPERATOR") => Value::from("AND_SEGMENT_OPERATOR"),
        _ => Value::from("OR_SEGMENT_OPERATOR"),
    }
}

/// A number as the engine holds it, a 32-bit float written in its shortest form (`25` →
/// `25.0`, `33.333333333` → `33.333332`); anything else as it is.
fn float32(value: &Value) -> Value {
    let Some(number) = value.as_f64() else {
        return value.clone();
    };
    // `as` rounds to the nearest 32-bit float (infinity beyond its range), as serde does.
    #[allow(clippy::cast_possible_truncation)]
    let single = number as f32;
    if !single.is_finite() {
        return value.clone();
    }
    // The shortest text of the 32-bit float, read back as a JSON number: written again, it is
    // the same text.
    serde_json::to_string(&single)
        .ok()
        .and_then(|text| serde_json::from_str::<Number>(&text).ok())
        .map_or_else(|| value.clone(), Value::Number)
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `text` in standard base64 with padding: how Flipt's client SDKs take a snapshot (their
/// `snapshot` option) and how their engine exports one.
///
/// ```
/// assert_eq!(flags_schema::flipt::to_base64("{}"), "e30=");
/// ```
pub fn to_base64(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The text a snapshot in standard base64 encodes (padding optional, surrounding whitespace
/// ignored); `None` when `text` is not base64 of UTF-8 text.
pub(crate) fn from_base64(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    // A single character past a group of four carries fewer than 8 bits: not base64.
    if bits >= 6 {
        return None;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "{\"é\":\"🚀\"}",
        ] {
            let encoded = to_base64(text);
            assert_eq!(from_base64(&encoded).as_deref(), Some(text), "{encoded}");
            assert_eq!(
                from_base64(encoded.trim_end_matches('=')).as_deref(),
                Some(text)
            );
        }
        assert_eq!(to_base64("foobar"), "Zm9vYmFy");
        assert_eq!(to_base64("fo"), "Zm8=");
        assert_eq!(from_base64(" e30=\n").as_deref(), Some("{}"));
        for bad in ["e", "e30*", "{}", "e3 0=", "/w=="] {
            assert_eq!(from_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn floats_as_the_engine_writes_them() {
        assert_eq!(float32(&json!(25)).to_string(), "25.0");
        assert_eq!(float32(&json!(33.333333333)).to_string(), "33.333332");
        assert_eq!(float32(&json!(0.1)).to_string(), "0.1");
        assert_eq!(float32(&json!("5")), json!("5"));
        assert_eq!(float32(&json!(1e300)), json!(1e300));
    }
}
