//! Running Flagship cases (`conformance/flagship/`) through the public API, shared by the
//! conformance test (`tests/flagship_conformance.rs`) and the differential runner
//! (`examples/flagship_conformance.rs`).
//!
//! A case is `{name, account, flag, context, type, default}`: `flag` a Flagship flag definition
//! (`{key, enabled, default_variation, variations, rules}`), `type` the type it is read as
//! (`boolean`, `string`, `integer`, `float`, `object`), `default` the caller's default. Cases
//! become the flags of one configuration, each under its own key, as the definitions importer
//! builds them: variations as variants, the default variation as the default variant,
//! `enabled: false` as disabled, and the rules (when there are some) as a targeting rule in
//! Flagship's dialect, `{"account_id", "key", "rules"}` (`key`: the definition's own, which seeds
//! the rollout hash). The outcome of a read is `{value, variant, reason, errorCode}`.

#![allow(dead_code)] // each user takes part of it

use flags_runtime::{Client, Context, EvaluationDetails, FlagKey, FlagValue};
use flags_schema::{Dialect, Flag, FlagState, FlagType, Manifest, Targeting};
use serde_json::{Map, Value, json};

/// The key a case's flag is listed under in the configuration.
pub fn flag_key(index: usize) -> String {
    format!("case-{index:05}")
}

/// The flag of a Flagship definition, as the importer makes it; `Err` for what it rejects
/// (variations of mixed types, arrays or `null`, no variations, a default variation that
/// names none).
pub fn flag(account: &str, definition: &Value) -> Result<Flag, String> {
    let variations = definition["variations"]
        .as_object()
        .ok_or("no `variations` object")?;
    let mut flag_type: Option<FlagType> = None;
    for value in variations.values() {
        let of = FlagType::of(value).ok_or("a variation is an array or null")?;
        flag_type = Some(match flag_type {
            None => of,
            Some(t) => t.unify(of).ok_or("variations of mixed types")?,
        });
    }
    let flag_type = flag_type.ok_or("no variations")?;
    let default_name = definition["default_variation"]
        .as_str()
        .ok_or("no `default_variation` string")?;
    let default = variations
        .get(default_name)
        .ok_or("the default variation is not a variation")?;
    let mut flag = Flag::new(flag_type, Some(default.clone()));
    flag.default_variant = Some(default_name.to_owned());
    flag.variants = variations
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if definition["enabled"] == json!(false) {
        flag.state = FlagState::Disabled;
    }
    if let Some(rules) = definition["rules"].as_array().filter(|r| !r.is_empty()) {
        let mut rule = json!({ "account_id": account, "rules": rules });
        if let Some(key) = definition["key"].as_str() {
            rule["key"] = json!(key);
        }
        flag.targeting = Some(Targeting::new(Dialect::Flagship, rule));
    }
    Ok(flag)
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

/// Reads flag `key` for a case: as its `type`, with its `default`, in its `context`.
pub fn read(client: &Client, key: &str, case: &Value) -> Value {
    let ctx = context(&case["context"]);
    let default = &case["default"];
    let key = key.to_owned();
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
            Structure::Object(default.as_object().cloned().unwrap_or_default()),
            &ctx,
            Structure::to_json,
        ),
    }
}

/// What Flagship's `object` type accepts: an object or an array.
#[derive(Clone, serde::Deserialize)]
#[serde(untagged)]
enum Structure {
    Object(Map<String, Value>),
    Array(Vec<Value>),
}

impl Structure {
    fn to_json(&self) -> Value {
        match self {
            Structure::Object(map) => Value::Object(map.clone()),
            Structure::Array(items) => Value::Array(items.clone()),
        }
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
    json!({
        "value": to_json(&details.value),
        "variant": details.variant.as_deref(),
        "reason": details.reason.as_str(),
        "errorCode": details.error_code().map(|c| c.as_str()),
    })
}

/// Whether `ours` is the outcome `expected` describes: the same reason and error code, the
/// same value (numbers compared as numbers), and the same variant except for DISABLED (the
/// caller's default has no variant here; Flagship's SDK names the default variation).
pub fn agrees(expected: &Value, ours: &Value) -> bool {
    let same_value = match (&expected["value"], &ours["value"]) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    };
    let variant_matters = expected["reason"] != json!("DISABLED");
    same_value
        && expected["reason"] == ours["reason"]
        && expected["errorCode"] == ours["errorCode"]
        && (!variant_matters || expected["variant"] == ours["variant"])
}
