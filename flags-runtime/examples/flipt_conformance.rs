//! The Rust side of the differential test against Flipt's own engine
//! (`conformance/flipt/run.sh`): evaluates generated cases through the public API and prints
//! the outcomes as JSON.
//!
//! ```text
//! cargo run -p flags-runtime --example flipt_conformance -- CASES.json [OUT.json]
//! ```
//!
//! `CASES.json` is written by `conformance/flipt/gen.py`: Flipt namespace snapshots and cases
//! `{doc, flag, kind, entity, context}`. Each snapshot becomes a manifest as Flipt's importer
//! makes one (a boolean flag is a `bool` flag whose default is `enabled`; a variant flag a
//! `String` flag of its variant keys), each flag's targeting the flag itself in Flipt's
//! dialect, loaded with `Client::builder().in_process(source::json(lock))`. A variant case is
//! read as `String` (the key) and as `serde_json::Value` (the attachment); a boolean case as
//! `bool`, twice, with `false` and `true` as the caller's default, which tells a value from
//! the default.

use std::io::Write;
use std::time::{Duration, SystemTime};

use flags_runtime::{Client, Context, EvaluationDetails, FlagKey, FlagValue, MetadataValue};
use flags_schema::{Dialect, Flag, FlagState, FlagType, Manifest, Targeting};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cases_path) = args.first() else {
        eprintln!("usage: flipt_conformance CASES.json [OUT.json]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(cases_path).unwrap_or_else(|e| {
        eprintln!("cannot read `{cases_path}`: {e}");
        std::process::exit(2);
    });
    let data: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        eprintln!("`{cases_path}` is not JSON: {e}");
        std::process::exit(2);
    });
    let started = std::time::Instant::now();
    let documents = data["documents"].as_array().cloned().unwrap_or_default();
    let clients: Vec<Result<Client, String>> = documents
        .iter()
        .map(|document| {
            Client::builder()
                .in_process(flags_runtime::source::json(
                    manifest(document).to_lock_string(),
                ))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect();
    let cases = data["cases"].as_array().cloned().unwrap_or_default();
    let results: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let doc = case["doc"].as_u64().unwrap_or(0) as usize;
            match clients.get(doc) {
                Some(Ok(client)) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_case(client, case, i)
                }))
                .unwrap_or_else(|_| json!({ "panic": true })),
                Some(Err(error)) => json!({ "load_error": error }),
                None => json!({ "load_error": "no such document" }),
            }
        })
        .collect();
    let serialised = serde_json::to_string(&json!({ "results": results })).unwrap_or_default();
    match args.get(1) {
        Some(path) => std::fs::write(path, serialised).unwrap_or_else(|e| {
            eprintln!("cannot write `{path}`: {e}");
            std::process::exit(2);
        }),
        None => {
            let _ = std::io::stdout().lock().write_all(serialised.as_bytes());
        }
    }
    eprintln!(
        "flags: {} cases in {} ms",
        cases.len(),
        started.elapsed().as_millis()
    );
}

/// A namespace snapshot as a manifest, each flag's targeting the flag in Flipt's dialect.
fn manifest(document: &Value) -> Manifest {
    let namespace = document["namespace"]["key"].as_str().unwrap_or("default");
    let mut manifest = Manifest::new();
    manifest.metadata.insert(
        "flagSetId".to_owned(),
        MetadataValue::String(namespace.to_owned()),
    );
    for flag in document["flags"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let Some(key) = flag["key"].as_str() else {
            continue;
        };
        let enabled = flag["enabled"].as_bool().unwrap_or(false);
        let mut entry = if flag["type"] == "BOOLEAN_FLAG_TYPE" {
            Flag::new(FlagType::Boolean, Some(Value::Bool(enabled)))
        } else {
            let mut entry = Flag::new(FlagType::String, None);
            if !enabled {
                entry.state = FlagState::Disabled;
            }
            if let Some(default) = flag["defaultVariant"]["key"].as_str() {
                entry.default = Some(Value::from(default));
                entry.default_variant = Some(default.to_owned());
                entry
                    .variants
                    .insert(default.to_owned(), Value::from(default));
            }
            for rule in flag["rules"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                for distribution in rule["distributions"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    if let Some(variant) = distribution["variantKey"].as_str() {
                        entry
                            .variants
                            .insert(variant.to_owned(), Value::from(variant));
                    }
                }
            }
            entry
        };
        entry.targeting = Some(Targeting::new(
            Dialect::Flipt,
            json!({ "namespace": namespace, "flag": flag }),
        ));
        manifest.flags.insert(key.to_owned(), entry);
    }
    manifest
}

/// A case's context: the entity as targeting key (none, for half of the empty ones), the
/// attributes typed (`{"$datetime": seconds, "nanos": n}` is a date and time).
fn context(case: &Value, index: usize) -> Context {
    let entity = case["entity"].as_str().unwrap_or_default();
    let mut ctx = if entity.is_empty() && index.is_multiple_of(2) {
        Context::anonymous()
    } else {
        Context::new(entity)
    };
    if let Some(attributes) = case["context"].as_object() {
        for (name, value) in attributes {
            ctx.set(name.clone(), typed(value));
        }
    }
    ctx
}

fn typed(value: &Value) -> flags_runtime::Value {
    if let Some(seconds) = value.get("$datetime").and_then(Value::as_i64) {
        let nanos = value["nanos"].as_u64().unwrap_or(0);
        let time = if seconds >= 0 {
            SystemTime::UNIX_EPOCH + Duration::from_secs(seconds as u64)
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
        };
        return flags_runtime::Value::DateTime(time + Duration::from_nanos(nanos));
    }
    flags_runtime::Value::from(value.clone())
}

fn run_case(client: &Client, case: &Value, index: usize) -> Value {
    let flag = case["flag"].as_str().unwrap_or_default().to_owned();
    let ctx = context(case, index);
    if case["kind"] == "variant" {
        let key = client.details(
            FlagKey::<String>::new(flag.clone(), "<default>".to_owned()),
            &ctx,
        );
        let attachment = client.details(
            FlagKey::<Value>::new(flag, json!({ "<default>": true })),
            &ctx,
        );
        json!({
            "key": outcome(&key, |v| json!(v)),
            "attachment": outcome(&attachment, Clone::clone),
        })
    } else {
        let when_false = client.details(FlagKey::<bool>::new(flag.clone(), false), &ctx);
        let when_true = client.details(FlagKey::<bool>::new(flag, true), &ctx);
        let mut out = outcome(&when_false, |v| json!(v));
        if when_false.value != when_true.value {
            out["value"] = json!("<default>");
        }
        out
    }
}

fn outcome<T: FlagValue>(details: &EvaluationDetails<T>, json: impl Fn(&T) -> Value) -> Value {
    json!({
        "value": json(&details.value),
        "variant": details.variant.as_deref(),
        "reason": details.reason.as_str(),
        "error": details.error.as_ref().map(|e| e.code.as_str()),
        "message": details.error.as_ref().map(|e| e.message.to_string()),
        "segments": match details.flag_metadata.get("segments") {
            Some(MetadataValue::String(s)) => json!(s),
            _ => Value::Null,
        },
    })
}
