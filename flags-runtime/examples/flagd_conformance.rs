//! The Rust side of the differential test against flagd's official evaluator
//! (`conformance/flagd/run.sh`): evaluates generated cases through the public API and prints
//! the outcomes as JSON.
//!
//! ```text
//! cargo run -p flags-runtime --example flagd_conformance -- CASES.json [OUT.json]
//! ```
//!
//! `CASES.json` is written by `conformance/flagd/gen.js`: configurations (flagd JSON text),
//! each with cases `{id, flag, type, rust, default, context}`. Each configuration is loaded
//! with `Client::builder().in_process(source::json(text)).build()`; each case is read with
//! `client.details(&FlagKey::<T>::new(flag, default), &context)`, `T` being `rust`: `bool`,
//! `String`, `i64`, `f64`, or `object`: what flagd-core's `object` type accepts, a JavaScript
//! `typeof` of "object" (an object, an array or null: the untagged enum `Structure`), so that a
//! scalar flag read as an object is a type mismatch as in flagd-core. The configuration's load
//! warnings are written too (from the READY event).

use std::io::Write;

use flags_runtime::{Client, Context, EvaluationDetails, FlagKey, FlagValue, MetadataValue};
use serde_json::{Map, Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cases_path) = args.first() else {
        eprintln!("usage: flagd_conformance CASES.json [OUT.json]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(cases_path).unwrap_or_else(|e| {
        eprintln!("cannot read `{cases_path}`: {e}");
        std::process::exit(2);
    });
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        eprintln!("`{cases_path}` is not JSON: {e}");
        std::process::exit(2);
    });
    let started = std::time::Instant::now();
    let configs = doc["configs"].as_array().cloned().unwrap_or_default();
    let mut out = Vec::with_capacity(configs.len());
    for config in &configs {
        out.push(run_config(config));
    }
    let result = json!({ "configs": out });
    let serialised = serde_json::to_string(&result).expect("results serialise");
    match args.get(1) {
        Some(path) => std::fs::write(path, serialised).unwrap_or_else(|e| {
            eprintln!("cannot write `{path}`: {e}");
            std::process::exit(2);
        }),
        None => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(serialised.as_bytes());
        }
    }
    eprintln!(
        "flags: {} configurations in {} ms",
        configs.len(),
        started.elapsed().as_millis()
    );
}

fn run_config(config: &Value) -> Value {
    let id = config["id"].clone();
    let text = config["text"].as_str().unwrap_or_default().to_owned();
    let client = match Client::builder()
        .in_process(flags_runtime::source::json(text))
        .build()
    {
        Ok(client) => client,
        Err(e) => return json!({ "id": id, "loaded": false, "error": e.to_string() }),
    };
    // The load warnings, from the READY event (a handler added once the client is ready runs
    // at once, with the warnings of the configuration served).
    let warnings = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = warnings.clone();
    client.on(flags_runtime::ProviderEvent::Ready, move |details| {
        let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
        sink.extend(details.warnings.iter().map(|w| {
            json!({
                "flag": w.flag,
                "kind": format!("{:?}", w.kind),
                "message": w.message,
            })
        }));
    });
    let warnings: Vec<Value> = warnings.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let cases = config["cases"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    // Evaluation must never panic; if it does, the case reports it instead of ending the run.
    let results: Vec<Value> = cases
        .iter()
        .map(|case| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(&client, case)))
                .unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    json!({ "id": case["id"].clone(), "reason": "PANIC", "errorMessage": message })
                })
        })
        .collect();
    json!({ "id": id, "loaded": true, "warnings": warnings, "results": results })
}

/// The context of a case: `targetingKey` (a string) becomes the targeting key, every other
/// entry an attribute.
fn context(value: &Value) -> Context {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), flags_runtime::Value::from(v.clone())))
            .collect(),
        _ => Context::anonymous(),
    }
}

fn run_case(client: &Client, case: &Value) -> Value {
    let id = case["id"].clone();
    let flag = case["flag"].as_str().unwrap_or_default().to_owned();
    let ctx = context(&case["context"]);
    let default = &case["default"];
    let outcome = match case["rust"].as_str().unwrap_or_default() {
        "bool" => eval(
            client,
            flag,
            default.as_bool().unwrap_or(false),
            &ctx,
            |v| json!(v),
        ),
        "String" => eval(
            client,
            flag,
            default.as_str().unwrap_or_default().to_owned(),
            &ctx,
            |v| json!(v),
        ),
        "i64" => eval(client, flag, default.as_i64().unwrap_or(0), &ctx, |v| {
            json!(v)
        }),
        "f64" => eval(client, flag, default.as_f64().unwrap_or(0.0), &ctx, |v| {
            json!(v)
        }),
        _ => eval(
            client,
            flag,
            Structure::Object(default.as_object().cloned().unwrap_or_default()),
            &ctx,
            Structure::to_json,
        ),
    };
    let mut outcome = outcome;
    outcome["id"] = id;
    outcome
}

/// A value of flagd-core's `object` type: JavaScript's `typeof` says "object" for objects,
/// arrays and null.
#[derive(Clone, serde::Deserialize)]
#[serde(untagged)]
enum Structure {
    Object(Map<String, Value>),
    Array(Vec<Value>),
    Null,
}

impl Structure {
    fn to_json(&self) -> Value {
        match self {
            Structure::Object(map) => Value::Object(map.clone()),
            Structure::Array(items) => Value::Array(items.clone()),
            Structure::Null => Value::Null,
        }
    }
}

fn eval<T: FlagValue>(
    client: &Client,
    flag: String,
    default: T,
    ctx: &Context,
    to_json: impl Fn(&T) -> Value,
) -> Value {
    let details: EvaluationDetails<T> = client.details(FlagKey::new(flag, default), ctx);
    let metadata: Map<String, Value> = details
        .flag_metadata
        .iter()
        .map(|(k, v)| {
            let v = match v {
                MetadataValue::Bool(b) => json!(b),
                MetadataValue::Int(i) => json!(i),
                MetadataValue::Float(f) => json!(f),
                MetadataValue::String(s) => json!(s),
            };
            (k.to_owned(), v)
        })
        .collect();
    json!({
        "value": to_json(&details.value),
        "variant": details.variant.as_deref(),
        "reason": details.reason.as_str(),
        "errorCode": details.error_code().map(|c| c.as_str()),
        "errorMessage": details.error_message(),
        "metadata": metadata,
    })
}
