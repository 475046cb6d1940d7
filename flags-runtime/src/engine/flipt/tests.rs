//! Typed context values as Flipt compares them, and the compiled rules' edge cases.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;
use crate::value::Value;

fn flag(flag: Json) -> Flag {
    Flag::compile(
        &json!({ "namespace": "default", "flag": flag }),
        &Arc::from("f"),
        &FlagMetadata::empty(),
        &Arc::new(Decoders::default()),
    )
    .unwrap()
}

/// Whether a one-constraint segment rollout matches `value` as attribute `p`.
fn matches(kind: &str, op: &str, operand: &str, value: Value) -> bool {
    let flag = flag(
        json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": false, "rollouts": [
        { "segment": { "value": true, "segments": [{ "key": "s", "constraints": [
            { "type": format!("{kind}_CONSTRAINT_COMPARISON_TYPE"), "property": "p", "operator": op, "value": operand }
        ] }] } }
    ] }),
    );
    let ctx = Context::new("e").with("p", value);
    matches!(
        flag.resolve(&ctx).resolution,
        Outcome::Value {
            value: FlagValueRef::Bool(true),
            ..
        }
    )
}

#[test]
fn typed_values_compare_as_their_strings() {
    assert!(matches("NUMBER", "eq", "30", Value::Int(30)));
    assert!(matches("STRING", "eq", "30", Value::Int(30)));
    assert!(!matches(
        "NUMBER",
        "eq",
        "2147483648",
        Value::Int(2_147_483_648)
    ));
    assert!(matches("STRING", "eq", "-7", Value::Int(-7)));
    assert!(matches("BOOLEAN", "true", "", Value::Bool(true)));
    assert!(matches("STRING", "eq", "false", Value::Bool(false)));
    assert!(matches("STRING", "eq", "2.5", Value::Float(2.5)));
    assert!(matches("NUMBER", "eq", "3", Value::Float(3.0)));
    assert!(matches(
        "STRING",
        "eq",
        "1000000000000000000000",
        Value::Float(1e21)
    ));
    assert!(matches("STRING", "eq", "0.0000001", Value::Float(1e-7)));
    // The longest floats write hundreds of digits, on the stack.
    assert!(matches(
        "STRING",
        "prefix",
        "0.000",
        Value::Float(f64::MIN_POSITIVE)
    ));
    assert!(matches("STRING", "suffix", "0", Value::Float(f64::MAX)));
    for absent in [
        Value::Null,
        Value::List(vec![Value::Int(1)]),
        Value::Map(Default::default()),
    ] {
        assert!(matches("STRING", "empty", "", absent.clone()));
        assert!(matches("NUMBER", "notpresent", "", absent));
    }
}

#[test]
fn datetimes_compare_as_rfc3339_in_utc() {
    let at = |seconds: u64, nanos: u32| {
        Value::DateTime(SystemTime::UNIX_EPOCH + Duration::new(seconds, nanos))
    };
    assert!(matches(
        "STRING",
        "eq",
        "2024-03-10T12:30:45Z",
        at(1_710_073_845, 0)
    ));
    assert!(matches(
        "STRING",
        "eq",
        "2024-03-10T12:30:45.5Z",
        at(1_710_073_845, 500_000_000)
    ));
    assert!(matches(
        "STRING",
        "eq",
        "2024-03-10T12:30:45.000000001Z",
        at(1_710_073_845, 1)
    ));
    assert!(matches(
        "DATETIME",
        "eq",
        "2024-03-10T13:30:45+01:00",
        at(1_710_073_845, 999_999_999)
    ));
    assert!(matches(
        "DATETIME",
        "lt",
        "2024-03-10T12:30:46Z",
        at(1_710_073_845, 999_999_999)
    ));
    let before_1970 = Value::DateTime(SystemTime::UNIX_EPOCH - Duration::new(0, 500_000_000));
    assert!(matches(
        "STRING",
        "eq",
        "1969-12-31T23:59:59.5Z",
        before_1970.clone()
    ));
    assert!(matches(
        "DATETIME",
        "eq",
        "1969-12-31T23:59:59Z",
        before_1970
    ));
    let mut text = String::new();
    eval::write_rfc3339(
        &mut text,
        SystemTime::UNIX_EPOCH - Duration::from_secs(86_400),
    )
    .unwrap();
    assert_eq!(text, "1969-12-31T00:00:00Z");
}

#[test]
fn attachments_and_segment_metadata_are_built_when_the_rule_compiles() {
    let flag = flag(json!({ "enabled": true,
        "defaultVariant": { "key": "d", "attachment": "{\"a\":1}" },
        "rules": [{ "segmentOperator": "OR_SEGMENT_OPERATOR",
            "segments": [{ "key": "b", "constraints": [] }, { "key": "a", "constraints": [] }],
            "distributions": [{ "variantKey": "x", "rollout": 1, "variantAttachment": "" },
                              { "variantKey": "y", "rollout": 1, "variantAttachment": "[1]" }] }] }));
    let jsons: Vec<Json> = flag
        .attachments()
        .iter()
        .map(|o| o.json().clone())
        .collect();
    assert_eq!(jsons, [json!({ "a": 1 }), json!([1])]);
    let resolved = flag.resolve(&Context::new("e"));
    let metadata = resolved.metadata.to_metadata();
    assert_eq!(
        metadata.get("segments"),
        Some(&crate::details::MetadataValue::String("a,b".into()))
    );
    assert!(matches!(
        resolved.resolution,
        Outcome::Variant {
            reason: ReasonCode::Split,
            ..
        }
    ));
}

#[test]
fn thresholds_compare_buckets_as_flipt_does_in_32_bit_floats() {
    let percentages = [
        -5.0, 0.0, 0.01, 0.5, 1.0, 12.25, 33.3, 49.999, 50.0, 50.5, 66.6, 98.99999, 99.0, 99.00001,
        99.5, 100.0, 150.0,
    ];
    for percentage in percentages {
        let flag = flag(
            json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": false, "rollouts": [
            { "threshold": { "percentage": percentage, "value": true } }
        ] }),
        );
        for entity in (0..400).map(|i| format!("user-{i}")) {
            // As Flipt's engine: above 99 % everybody, at or below 0 % nobody, else the
            // bucket of `entity + key` compared with the percentage as 32-bit floats.
            let percentage = percentage as f32;
            let bucket = hash::KeyCrc::new("f").key_last(&entity) % 100;
            let expected = percentage > 99.0 || (percentage > 0.0 && (bucket as f32) < percentage);
            let ctx = Context::new(entity.as_str());
            let served = matches!(flag.serve(&ctx), Served::True);
            assert_eq!(
                served, expected,
                "{percentage} % of {entity} (bucket {bucket})"
            );
            let resolved = matches!(
                flag.resolve(&ctx).resolution,
                Outcome::Value {
                    value: FlagValueRef::Bool(true),
                    ..
                }
            );
            assert_eq!(resolved, expected, "{percentage} % of {entity}");
        }
    }
}

/// A flag whose value no context changes says so (what a key's slot caches), and every context
/// is served that value; any other flag says nothing.
#[test]
fn a_boolean_flag_without_rollouts_or_taking_everyone_is_constant() {
    let cases = [
        (
            json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": true, "rollouts": [] }),
            Some(true),
        ),
        (
            json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": false, "rollouts": [] }),
            None,
        ),
        (
            json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": false, "rollouts": [
                { "threshold": { "percentage": 100, "value": true } },
                { "threshold": { "percentage": 10, "value": false } }
            ] }),
            Some(true),
        ),
        (
            json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": true, "rollouts": [
                { "threshold": { "percentage": 50, "value": false } },
                { "threshold": { "percentage": 100, "value": true } }
            ] }),
            None,
        ),
        (
            json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": true, "rollouts": [
                { "segment": { "value": false, "segments": [{ "key": "s", "constraints": [] }] } }
            ] }),
            None,
        ),
        (
            json!({ "type": "VARIANT_FLAG_TYPE", "enabled": true, "variants": [{ "key": "a" }],
                    "defaultVariant": { "key": "a" } }),
            None,
        ),
    ];
    let contexts = [
        Context::anonymous(),
        Context::new(""),
        Context::new("user-1"),
        Context::new("user-2").with("plan", "gold"),
    ];
    for (json, expected) in cases {
        let flag = flag(json.clone());
        assert_eq!(flag.constant(), expected, "{json}");
        let Some(value) = expected else { continue };
        for ctx in &contexts {
            let served = match flag.serve(ctx) {
                Served::True => Some(true),
                Served::False => Some(false),
                _ => None,
            };
            assert_eq!(served, Some(value), "{json} for {ctx:?}");
        }
    }
}
