//! Running GO Feature Flag cases (`conformance/gofeatureflag/`) through the public API, shared
//! by the conformance test (`tests/gofeatureflag_conformance.rs`) and the differential runner
//! (`examples/gofeatureflag_conformance.rs`).
//!
//! A case is `{name, flagKey, flag, context, type, default}`: `flag` a flag object as GO
//! Feature Flag's relay serves it, `type` the type it is read as (`boolean`, `string`,
//! `integer`, `float`, `object`), `default` the caller's default. The cases' flags make one
//! configuration, each under its `flagKey` (which seeds the buckets), its targeting the flag
//! object in GO Feature Flag's dialect. The outcome of a read is `{value, variant, reason,
//! errorCode}`; the engine's answer (`expected`) is compared as its provider reads it.

#![allow(dead_code)] // each user takes part of it

use flags_runtime::{Client, Context, EvaluationDetails, FlagKey, FlagValue};
use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
use serde_json::{Map, Value, json};

/// The flag of a flag object: variants from its variations (those with a value), typed as
/// their values unify (a string flag when none do), its targeting the object itself.
pub fn flag(object: &Value, enrichment: &Value) -> Flag {
    let mut flag_type: Option<FlagType> = None;
    let mut variants = std::collections::BTreeMap::new();
    if let Some(variations) = object["variations"].as_object() {
        for (name, value) in variations.iter().filter(|(_, v)| !v.is_null()) {
            if let Some(of) = FlagType::of(value) {
                flag_type = match flag_type {
                    None => Some(of),
                    Some(t) => Some(t.unify(of).unwrap_or(t)),
                };
            }
            variants.insert(name.clone(), value.clone());
        }
    }
    let mut flag = Flag::new(flag_type.unwrap_or(FlagType::String), None);
    flag.variants = variants.into_iter().collect();
    let rule = if enrichment.is_object() {
        json!({ "flag": object, "evaluationContextEnrichment": enrichment })
    } else {
        json!({ "flag": object })
    };
    flag.targeting = Some(Targeting::new(Dialect::GoFeatureFlag, rule));
    flag
}

/// A client serving `flags` (key, flag).
pub fn client(flags: impl IntoIterator<Item = (String, Flag)>) -> Result<Client, String> {
    let mut manifest = Manifest::new();
    manifest.flags.extend(flags);
    Client::builder()
        .in_process(flags_runtime::source::json(manifest.to_lock_string()))
        .build()
        .map_err(|e| e.to_string())
}

/// The context of a case: a string `targetingKey` becomes the targeting key, every other entry
/// an attribute.
pub fn context(value: &Value) -> Context {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), flags_runtime::Value::from(v.clone())))
            .collect(),
        _ => Context::anonymous(),
    }
}

/// Reads a case's flag: as its `type`, with its `default`, in its `context`.
pub fn read(client: &Client, case: &Value) -> Value {
    let ctx = context(&case["context"]);
    let default = &case["default"];
    let key = case["flagKey"].as_str().unwrap_or_default().to_owned();
    match case["type"].as_str().unwrap_or_default() {
        "boolean" => eval(client, key, default.as_bool().unwrap_or(false), &ctx, |v| {
            json!(v)
        }),
        "string" => eval(
            client,
            key,
            default.as_str().unwrap_or_default().to_owned(),
            &ctx,
            |v| json!(v),
        ),
        "integer" => eval(client, key, default.as_i64().unwrap_or(0), &ctx, |v| {
            json!(v)
        }),
        "float" => eval(client, key, default.as_f64().unwrap_or(0.0), &ctx, |v| {
            json!(v)
        }),
        _ => eval(
            client,
            key,
            default.as_object().cloned().unwrap_or_default(),
            &ctx,
            |v: &Map<String, Value>| Value::Object(v.clone()),
        ),
    }
}

fn eval<T: FlagValue>(
    client: &Client,
    key: String,
    default: T,
    ctx: &Context,
    to_json: impl Fn(&T) -> Value,
) -> Value {
    let details: EvaluationDetails<T> = client.details(FlagKey::new(key, default), ctx);
    let metadata: Map<String, Value> = details
        .flag_metadata
        .iter()
        .map(|(k, v)| {
            let v = match v {
                flags_runtime::MetadataValue::Bool(b) => json!(b),
                flags_runtime::MetadataValue::Int(i) => json!(i),
                flags_runtime::MetadataValue::Float(f) => json!(f),
                flags_runtime::MetadataValue::String(s) => json!(s),
            };
            (k.to_owned(), v)
        })
        .collect();
    json!({
        "value": to_json(&details.value),
        "variant": details.variant.as_deref(),
        "reason": details.reason.as_str(),
        "errorCode": details.error_code().map(|c| c.as_str()),
        "metadata": metadata,
    })
}

/// The engine's answer as GO Feature Flag's provider reads it: an error code gives the caller's
/// default with that code (reason ERROR), so does a value of another type than the case reads
/// (TYPE_MISMATCH); otherwise the value (`null`: the caller's default), the reason and the
/// variation.
pub fn expected_outcome(case: &Value) -> Value {
    let answer = &case["expected"];
    if answer["trap"] == json!(true) {
        return json!({ "trap": true });
    }
    match answer["errorCode"].as_str() {
        Some(code) if !code.is_empty() => {
            // The provider's mapping: codes outside OpenFeature's are GENERAL.
            let code = match code {
                "FLAG_NOT_FOUND"
                | "TYPE_MISMATCH"
                | "TARGETING_KEY_MISSING"
                | "INVALID_CONTEXT"
                | "PARSE_ERROR" => code,
                _ => "GENERAL",
            };
            json!({
                "value": case["default"], "variant": null, "reason": "ERROR", "errorCode": code,
            })
        }
        _ if !answer["value"].is_null() && !of_type(&answer["value"], &case["type"]) => json!({
            "value": case["default"], "variant": null, "reason": "ERROR", "errorCode": "TYPE_MISMATCH",
        }),
        _ => {
            let served = !answer["value"].is_null();
            json!({
                "value": if served { answer["value"].clone() } else { case["default"].clone() },
                "variant": if served { answer["variationType"].clone() } else { Value::Null },
                // A split of a targeting rule is a split here (the metadata
                // `gofeatureflagReason` keeps the engine's own reason).
                "reason": match answer["reason"].as_str() {
                    Some("TARGETING_MATCH_SPLIT") => json!("SPLIT"),
                    _ => answer["reason"].clone(),
                },
                "errorCode": null,
                "metadata": expected_metadata(answer),
            })
        }
    }
}

/// The flag metadata of a successful answer: the engine's (its scalars), its `version` unless
/// the metadata has one, and `gofeatureflagReason` for a targeting rule's split.
fn expected_metadata(answer: &Value) -> Value {
    let mut metadata: Map<String, Value> = answer["metadata"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.is_boolean() || v.is_number() || v.is_string())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(version) = answer["version"].as_str().filter(|v| !v.is_empty()) {
        metadata
            .entry("version".to_owned())
            .or_insert_with(|| json!(version));
    }
    if answer["reason"] == json!("TARGETING_MATCH_SPLIT") {
        metadata.insert(
            "gofeatureflagReason".to_owned(),
            json!("TARGETING_MATCH_SPLIT"),
        );
    }
    Value::Object(metadata)
}

/// Whether the provider takes `value` for a value of `kind`: a bool is never a number, a
/// whole number is an integer (`3.0` too) and a float.
fn of_type(value: &Value, kind: &Value) -> bool {
    match kind.as_str().unwrap_or_default() {
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => value.as_f64().is_some_and(|f| f.fract() == 0.0),
        "float" => value.is_number(),
        _ => value.is_object(),
    }
}

/// Whether `ours` is the outcome `expected` describes: the same value (numbers as numbers),
/// reason and error code, the same variant when a variation was served, and the same flag
/// metadata for a successful answer.
pub fn agrees(expected: &Value, ours: &Value) -> bool {
    let same_value = match (&expected["value"], &ours["value"]) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    };
    let same_metadata = match (&expected["metadata"], &ours["metadata"]) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(k, v)| match (v, &b[k]) {
                    (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
                    (x, y) => x == y,
                })
        }
        (Value::Null, _) => true,
        _ => false,
    };
    same_value
        && same_metadata
        && expected["reason"] == ours["reason"]
        && expected["errorCode"] == ours["errorCode"]
        && (expected["variant"].is_null() || expected["variant"] == ours["variant"])
}
