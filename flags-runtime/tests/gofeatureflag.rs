//! GO Feature Flag's flags through the public API, with answers taken from its own engine
//! (the WASI build of `conformance/gofeatureflag/`): `conformance/gofeatureflag/cases.json`
//! (each expectation the engine's, checked by `run.sh`) read through the importer, and cases
//! written here.

mod gofeatureflag_support;

use flags_runtime::{Client, Context, EvaluationDetails, FlagKey};
use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
use serde_json::{Value, json};

/// A flag as the importer makes it, its targeting the flag object in GO Feature Flag's
/// dialect.
fn flag(object: Value) -> Flag {
    let mut flag = Flag::new(FlagType::String, None);
    if let Some(variations) = object["variations"].as_object() {
        flag.variants = variations
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
    flag.targeting = Some(Targeting::new(
        Dialect::GoFeatureFlag,
        json!({ "flag": object }),
    ));
    flag
}

fn client(flags: Vec<(&str, Value)>) -> Client {
    let mut manifest = Manifest::new();
    for (key, object) in flags {
        manifest.flags.insert(key.to_owned(), flag(object));
    }
    Client::builder()
        .in_process(flags_runtime::source::json(manifest.to_lock_string()))
        .build()
        .unwrap()
}

fn read(client: &Client, key: &str, ctx: &Context) -> EvaluationDetails<String> {
    client.details(FlagKey::new(key.to_owned(), "dflt".to_owned()), ctx)
}

#[test]
fn answers_as_its_engine() {
    let ab = json!({ "a": "A", "b": "B" });
    let client = client(vec![
        (
            "rule",
            json!({ "variations": ab, "metadata": { "m": 1 }, "version": "1.2",
                "targeting": [{ "name": "r1", "query": "email ew \"@x.com\"", "variation": "a" }],
                "defaultRule": { "variation": "b" } }),
        ),
        (
            "static",
            json!({ "variations": ab, "defaultRule": { "variation": "b" } }),
        ),
        (
            "split",
            json!({ "variations": ab, "defaultRule": { "percentage": { "a": 50, "b": 50 } } }),
        ),
        (
            "off",
            json!({ "variations": ab, "disable": true,
                "defaultRule": { "percentage": { "a": 50, "b": 50 } } }),
        ),
        (
            "null",
            json!({ "variations": { "a": null, "b": "B" }, "defaultRule": { "variation": "a" } }),
        ),
    ]);
    let user = Context::new("u1").with("email", "q@X.COM");
    let rule = read(&client, "rule", &user);
    assert_eq!(
        (rule.value.as_str(), rule.reason.as_str()),
        ("A", "TARGETING_MATCH")
    );
    assert_eq!(
        rule.flag_metadata.get("evaluatedRuleName"),
        Some(&flags_schema::MetadataValue::String("r1".into()))
    );
    assert_eq!(
        rule.flag_metadata.get("version"),
        Some(&flags_schema::MetadataValue::String("1.2".into()))
    );
    let miss = read(&client, "rule", &Context::new("u1"));
    assert_eq!(
        (miss.value.as_str(), miss.reason.as_str()),
        ("B", "DEFAULT")
    );
    let fixed = read(&client, "static", &Context::anonymous());
    assert_eq!(
        (fixed.value.as_str(), fixed.reason.as_str()),
        ("B", "STATIC")
    );
    let split = read(&client, "split", &user);
    assert_eq!(
        (split.value.as_str(), split.reason.as_str()),
        ("B", "SPLIT")
    );
    let off = read(&client, "off", &Context::anonymous());
    assert_eq!(
        off.error_code().map(|c| c.as_str()),
        Some("TARGETING_KEY_MISSING")
    );
    let off = read(&client, "off", &user);
    assert_eq!(
        (off.value.as_str(), off.reason.as_str()),
        ("dflt", "DISABLED")
    );
    let null = read(&client, "null", &user);
    assert_eq!(
        (null.value.as_str(), null.reason.as_str()),
        ("dflt", "STATIC")
    );
}

#[test]
fn shares_steps_and_json_logic_as_its_engine() {
    let ab = json!({ "a": "A", "b": "B" });
    let at = |date: &str| {
        Context::new("u1").with(
            "gofeatureflag",
            flags_runtime::Value::from(json!({ "currentDateTime": date })),
        )
    };
    let client = client(vec![
        (
            "zero",
            json!({ "variations": ab, "defaultRule": { "variation": "b" },
                "targeting": [{ "query": "", "percentage": { "a": 0, "b": 0 } }] }),
        ),
        (
            "step",
            json!({ "variations": ab, "defaultRule": { "variation": "b" },
                "targeting": [{ "name": "r", "percentage": { "a": 100, "b": 0 } }],
                "scheduledRollout": [{ "date": "2025-01-01T00:00:00Z",
                    "targeting": [{ "name": "r", "percentage": { "a": 0 } }] }] }),
        ),
        (
            "logic",
            json!({ "variations": ab, "defaultRule": { "variation": "b" },
                "targeting": [{ "query": "{\"!=\":[{\"var\":\"nothing\"},true]}",
                    "variation": "a" }] }),
        ),
    ]);
    // A matching rule whose shares are all 0 fails the evaluation.
    let zero = read(&client, "zero", &Context::new("u1"));
    assert_eq!(zero.error_code().map(|c| c.as_str()), Some("GENERAL"));
    // A step's percentage keeps the shares it does not name: `b` still has 0, `a` now 0.
    let before = read(&client, "step", &at("2024-06-01T00:00:00Z"));
    assert_eq!(before.value, "A");
    let after = read(&client, "step", &at("2025-06-01T00:00:00Z"));
    assert_eq!(after.error_code().map(|c| c.as_str()), Some("GENERAL"));
    // A missing attribute is null in JSON Logic: it differs from `true`.
    let logic = read(&client, "logic", &Context::new("u1"));
    assert_eq!(
        (logic.value.as_str(), logic.reason.as_str()),
        ("A", "TARGETING_MATCH")
    );
}

/// Every case of `conformance/gofeatureflag/cases.json`, each flag read as the relay serves it
/// (`{"flags": {..}, "evaluationContextEnrichment": {..}}`) through the importer.
#[test]
fn the_conformance_cases() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../conformance/gofeatureflag/cases.json");
    let text = std::fs::read_to_string(&path).expect("conformance/gofeatureflag/cases.json");
    let cases: Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let cases = cases["cases"].as_array().expect("cases");
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let key = case["flagKey"].as_str().expect("flagKey");
        let mut document = json!({ "flags": { key: case["flag"] } });
        if case["enrichment"].is_object() {
            document["evaluationContextEnrichment"] = case["enrichment"].clone();
        }
        let client = Client::builder()
            .in_process(
                flags_runtime::source::json(document.to_string())
                    .format(flags_runtime::Format::GoFeatureFlag),
            )
            .build()
            .expect("the case loads");
        let expected = gofeatureflag_support::expected_outcome(case);
        assert_ne!(
            expected["trap"],
            json!(true),
            "{}: the engine trapped",
            case["name"]
        );
        let ours = gofeatureflag_support::read(&client, case);
        if !gofeatureflag_support::agrees(&expected, &ours) {
            failures.push(format!(
                "{}: expected {expected}, ours {ours}",
                case["name"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
