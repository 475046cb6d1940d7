//! Flipt's dialect end to end through a client: `conformance/flipt/cases.json` (each
//! expectation checked against Flipt's own engine by `conformance/flipt/check_cases.py`), and
//! what only our API has: attachments read as Rust types, metadata, hooks, load warnings, the
//! dialect beside flagd's in one configuration.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use flags_runtime::{
    Client, Context, ErrorCode, EvaluationDetails, FlagKey, FlagValue, MetadataValue,
    ProviderEvent, Reason, Value, WarningKind, source,
};
use flags_schema::{Dialect, Flag, FlagState, FlagType, Manifest, Targeting};
use serde_json::{Value as Json, json};

/// A manifest of Flipt flags as Flipt's importer makes it (a boolean flag is a `bool` flag
/// whose default is `enabled`; a variant flag a `String` flag of its variant keys, disabled
/// when not `enabled`), each flag's targeting the flag in Flipt's dialect.
fn manifest(flags: &[Json]) -> Manifest {
    let mut manifest = Manifest::new();
    for flag in flags {
        let key = flag["key"].as_str().expect("a flag key");
        let enabled = flag["enabled"].as_bool().unwrap_or(false);
        let mut entry = if flag["type"] == "BOOLEAN_FLAG_TYPE" {
            Flag::new(FlagType::Boolean, Some(Json::Bool(enabled)))
        } else {
            let mut entry = Flag::new(FlagType::String, None);
            if !enabled {
                entry.state = FlagState::Disabled;
            }
            if let Some(default) = flag["defaultVariant"]["key"].as_str() {
                entry.default = Some(json!(default));
                entry.default_variant = Some(default.to_owned());
                entry.variants.insert(default.to_owned(), json!(default));
            }
            for rule in flag["rules"].as_array().into_iter().flatten() {
                for distribution in rule["distributions"].as_array().into_iter().flatten() {
                    if let Some(variant) = distribution["variantKey"].as_str() {
                        entry.variants.insert(variant.to_owned(), json!(variant));
                    }
                }
            }
            entry
        };
        entry.targeting = Some(Targeting::new(
            Dialect::Flipt,
            json!({ "namespace": "default", "flag": flag }),
        ));
        manifest.flags.insert(key.to_owned(), entry);
    }
    manifest
}

fn client(flags: &[Json]) -> Client {
    Client::builder()
        .in_process(source::json(manifest(flags).to_lock_string()))
        .build()
        .expect("the manifest loads")
}

fn context(entity: &Json, attributes: &Json) -> Context {
    let mut ctx = match entity.as_str() {
        Some(entity) => Context::new(entity),
        None => Context::anonymous(),
    };
    for (name, value) in attributes.as_object().into_iter().flatten() {
        let typed = match value.get("$datetime").and_then(Json::as_i64) {
            Some(seconds) => {
                let nanos = value["nanos"].as_u64().unwrap_or(0);
                Value::DateTime(
                    SystemTime::UNIX_EPOCH
                        + Duration::from_secs(seconds as u64)
                        + Duration::from_nanos(nanos),
                )
            }
            None => Value::from(value.clone()),
        };
        ctx.set(name.clone(), typed);
    }
    ctx
}

/// A read as the case says, in the shape of its expectation.
fn outcome<T: FlagValue>(details: EvaluationDetails<T>, value: impl Fn(&T) -> Json) -> Json {
    let mut out = json!({
        "value": value(&details.value),
        "reason": details.reason.as_str(),
    });
    if let Some(variant) = &details.variant {
        out["variant"] = json!(variant.as_ref());
    }
    if let Some(error) = &details.error {
        out["error"] = json!(error.code.as_str());
    }
    if let Some(MetadataValue::String(segments)) = details.flag_metadata.get("segments") {
        out["segments"] = json!(segments);
    }
    out
}

#[test]
fn the_conformance_cases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/flipt/cases.json");
    let text = std::fs::read_to_string(&path).expect("conformance/flipt/cases.json");
    let cases: Json = serde_json::from_str(&text).expect("cases.json is JSON");
    let cases = cases["cases"].as_array().expect("cases");
    assert!(cases.len() > 100);
    let mut failures = Vec::new();
    for case in cases {
        let client = client(std::slice::from_ref(&case["flag"]));
        let key = case
            .get("key")
            .or_else(|| case["flag"].get("key"))
            .and_then(Json::as_str)
            .unwrap()
            .to_owned();
        let ctx = context(&case["entity"], &case["context"]);
        let got = match case["read"].as_str() {
            Some("bool") => {
                let details = client.details(FlagKey::<bool>::new(key.clone(), false), &ctx);
                let other = client.value(FlagKey::<bool>::new(key, true), &ctx);
                let is_default = details.value != other;
                outcome(details, |v| {
                    if is_default {
                        json!("<default>")
                    } else {
                        json!(v)
                    }
                })
            }
            Some("json") => outcome(
                client.details(
                    FlagKey::<Json>::new(key, json!({ "<default>": true })),
                    &ctx,
                ),
                Clone::clone,
            ),
            _ => outcome(
                client.details(FlagKey::<String>::new(key, "<default>".to_owned()), &ctx),
                |v| json!(v),
            ),
        };
        let mut expect = case["expect"].clone();
        if expect.get("variant") == Some(&Json::Null) {
            expect.as_object_mut().unwrap().remove("variant");
        }
        if got != expect {
            failures.push(format!(
                "{}: expected {expect}, got {got}",
                case["name"].as_str().unwrap_or("?")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn theme() -> Json {
    json!({
        "key": "theme", "type": "VARIANT_FLAG_TYPE", "enabled": true,
        "defaultVariant": { "key": "light", "attachment": "{\"background\":\"#fff\",\"contrast\":4}" },
        "rules": [{
            "segmentOperator": "OR_SEGMENT_OPERATOR",
            "segments": [{ "key": "night-owls", "matchType": "ALL_SEGMENT_MATCH_TYPE", "constraints": [
                { "type": "NUMBER_CONSTRAINT_COMPARISON_TYPE", "property": "hour", "operator": "gte", "value": "20" }
            ] }],
            "distributions": [
                { "variantKey": "dark", "rollout": 50, "variantAttachment": "{\"background\":\"#000\",\"contrast\":7}" },
                { "variantKey": "dim", "rollout": 50 }
            ]
        }]
    })
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct Palette {
    background: String,
    contrast: u8,
}

/// The variant keys as an enum (a `FlagVariant` enum reads the same way: a string).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Theme {
    Light,
    Dark,
    Dim,
}

#[test]
fn attachments_read_as_rust_types_keys_as_strings_and_enums() {
    let client = client(&[theme()]);
    let palette = FlagKey::<Palette>::new(
        "theme",
        Palette {
            background: "?".into(),
            contrast: 0,
        },
    );
    let name = FlagKey::<String>::new("theme", String::new());
    let variant = FlagKey::<Theme>::new("theme", Theme::Light);
    let optional = FlagKey::<Option<Palette>>::new("theme", None);

    // No rule matched: the default variant and its attachment.
    let day = Context::new("user-1").with("hour", 9);
    assert_eq!(
        client.value(&palette, &day),
        Palette {
            background: "#fff".into(),
            contrast: 4
        }
    );
    assert_eq!(client.value(&name, &day), "light");
    assert_eq!(client.value(&variant, &day), Theme::Light);
    let details = client.details(&palette, &day);
    assert_eq!(
        (details.reason, details.variant.as_deref()),
        (Reason::Default, Some("light"))
    );

    // The split: find an entity of each variant.
    let night = |entity: &str| Context::new(entity).with("hour", 22);
    let dark = (0..100)
        .map(|i| format!("user-{i}"))
        .find(|e| client.value(&name, &night(e)) == "dark")
        .expect("someone gets dark");
    let dim = (0..100)
        .map(|i| format!("user-{i}"))
        .find(|e| client.value(&name, &night(e)) == "dim")
        .expect("someone gets dim");
    let details = client.details(&palette, &night(&dark));
    assert_eq!(
        details.value,
        Palette {
            background: "#000".into(),
            contrast: 7
        }
    );
    assert_eq!(details.reason, Reason::Split);
    assert_eq!(details.variant.as_deref(), Some("dark"));
    assert_eq!(
        details.flag_metadata.get("segments"),
        Some(&MetadataValue::String("night-owls".into()))
    );
    assert_eq!(client.value(&variant, &night(&dark)), Theme::Dark);
    assert_eq!(
        client.value(&optional, &night(&dark)).map(|p| p.contrast),
        Some(7)
    );
    // `dim` has no attachment: the caller's default, with the evaluation's reason.
    let details = client.details(&palette, &night(&dim));
    assert_eq!(
        details.value,
        Palette {
            background: "?".into(),
            contrast: 0
        }
    );
    assert_eq!((details.reason, details.error), (Reason::Split, None));
    assert_eq!(client.value(&optional, &night(&dim)), None);
    assert_eq!(client.value(&variant, &night(&dim)), Theme::Dim);

    // An attachment that does not fit the type: TYPE_MISMATCH, the caller's default.
    let wrong = FlagKey::<Vec<u8>>::new("theme", vec![1]);
    let details = client.details(&wrong, &day);
    assert_eq!(details.value, vec![1]);
    assert_eq!(details.error.map(|e| e.code), Some(ErrorCode::TypeMismatch));
    // Read as a number, a variant flag is a string flag: TYPE_MISMATCH.
    let number = FlagKey::<i64>::new("theme", 3);
    assert_eq!(
        client.details(&number, &day).error.map(|e| e.code),
        Some(ErrorCode::TypeMismatch)
    );
}

#[test]
fn flipt_flags_beside_flagd_flags_and_their_load_warnings() {
    let mut manifest = manifest(&[
        theme(),
        json!({ "key": "odd", "type": "BOOLEAN_FLAG_TYPE", "enabled": true, "rollouts": [
            { "segment": { "segmentOperator": "OR_SEGMENT_OPERATOR", "value": false, "segments": [] } }
        ] }),
        json!({ "key": "broken", "type": "BOOLEAN_FLAG_TYPE", "enabled": "yes" }),
    ]);
    let mut flagd = Flag::new(FlagType::Boolean, Some(json!(false)));
    flagd.variants.insert("on".into(), json!(true));
    flagd.variants.insert("off".into(), json!(false));
    flagd.default_variant = Some("off".into());
    flagd.targeting = Some(Targeting::flagd(
        json!({ "if": [{ "==": [{ "var": "plan" }, "pro"] }, "on", "off"] }),
    ));
    manifest.flags.insert("pro-only".into(), flagd);
    let client = Client::builder()
        .in_process(source::json(manifest.to_lock_string()))
        .build()
        .unwrap();
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let sink = warnings.clone();
    client.on(ProviderEvent::Ready, move |details| {
        sink.lock()
            .unwrap()
            .extend(details.warnings.iter().cloned());
    });
    let warnings = warnings.lock().unwrap().clone();
    let about = |flag: &str| {
        warnings
            .iter()
            .filter(|w| w.flag.as_deref() == Some(flag))
            .map(|w| (w.kind, w.message.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        about("odd"),
        [(
            WarningKind::Suspicious,
            "rollouts[0] has no segments and the `OR` operator: it never matches".to_owned()
        )]
    );
    assert!(
        about("broken")
            .iter()
            .any(|(kind, _)| *kind == WarningKind::ParseError)
    );
    assert!(about("theme").is_empty() && about("pro-only").is_empty());

    let ctx = Context::new("user-1").with("plan", "pro").with("hour", 9);
    assert!(client.value(FlagKey::<bool>::new("pro-only", false), &ctx));
    assert!(client.value(FlagKey::<bool>::new("odd", false), &ctx));
    assert_eq!(
        client.value(FlagKey::<String>::new("theme", String::new()), &ctx),
        "light"
    );
    let details = client.details(FlagKey::<bool>::new("broken", true), &ctx);
    assert!(details.value);
    assert_eq!(details.error.map(|e| e.code), Some(ErrorCode::ParseError));
}

#[test]
fn hooks_see_the_value_served_key_or_attachment() {
    use flags_runtime::{EvaluationError, Hook, HookContext, HookHints};
    struct Seen(Arc<Mutex<Vec<Json>>>);
    impl Hook for Seen {
        fn after(
            &self,
            _: &mut HookContext<'_>,
            details: &EvaluationDetails<Value>,
            _: &HookHints,
        ) -> Result<(), EvaluationError> {
            self.0.lock().unwrap().push(details.value.to_json());
            Ok(())
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = client(&[theme()]);
    client.add_hook(Seen(seen.clone()));
    let ctx = Context::new("user-1").with("hour", 9);
    let _ = client.value(FlagKey::<String>::new("theme", String::new()), &ctx);
    let _ = client.value(FlagKey::<Json>::new("theme", Json::Null), &ctx);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            json!("light"),
            json!({ "background": "#fff", "contrast": 4 })
        ]
    );
}
