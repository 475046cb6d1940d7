//! The specialised forms (`fast.rs`) answer as the interpreter does: a differential test over
//! generated rules of the specialised shapes (and near misses) × contexts × `fractional`
//! versions × flag keys, deterministic and bounded.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::Rule;
use crate::context::Context;
use crate::engine::rule::Pick;
use crate::engine::{EngineOptions, FractionalVersion, ReasonCode};
use crate::value::Value;

/// The flag's variants: names a rule may produce, and some it never does.
fn variants() -> BTreeMap<String, Json> {
    [
        "blue", "green", "red", "on", "off", "true", "1", "2.5", "null",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), json!(name)))
    .collect()
}

/// Rules of the specialised shapes, with the odd literals, and some that are not.
fn rules() -> Vec<Json> {
    let mut rules = Vec::new();
    let branches = [
        json!("on"),
        json!("off"),
        json!(null),
        json!(true),
        json!(false),
        json!(1),
        json!(2.5),
        json!("nope"),
        json!(["on"]),
    ];
    for op in ["starts_with", "ends_with"] {
        for attribute in ["email", "n", "absent"] {
            for affix in ["@example.com", "", "ada", "ü"] {
                for (i, then) in branches.iter().enumerate() {
                    let otherwise = &branches[(i * 5 + 3) % branches.len()];
                    rules.push(json!({"if": [{op: [{"var": attribute}, affix]}, then, otherwise]}));
                }
            }
        }
        // Not specialised: a literal that is not a string, a nested path, two conditions.
        rules.push(json!({"if": [{op: [{"var": "email"}, 3]}, "on", "off"]}));
        rules.push(json!({"if": [{op: [{"var": "user.email"}, "a"]}, "on", "off"]}));
        rules.push(json!({"if": [{op: [{"var": "email"}, "a"]}, "on", {op: [{"var": "n"}, "b"]}, "red", "off"]}));
    }
    let buckets = [
        json!([["red", 50], ["green", 30], ["blue", 20]]),
        json!([["red"], ["green"]]),
        json!([["on", 1], [null, 1], ["off", 2]]),
        json!([["true", 1], [true, 1], [1, 1], [2.5, 1]]),
        json!([["nope", 5], ["red", 5]]),
        json!([["red", 0], ["green", 0]]),
        json!([["red", 0], ["green", 1]]),
        json!([["red", 2147483647], ["green", 1]]),
        json!([
            ["red", 1],
            ["green", 2],
            ["blue", 3],
            ["on", 4],
            ["off", 5],
            ["true", 6],
            ["1", 7],
            ["2.5", 8],
            ["null", 9]
        ]),
        // Not specialised: an invalid bucket.
        json!([["red", 50], ["green", -1]]),
        json!([["red", 50], "green"]),
    ];
    let keys = [
        None,
        Some(json!({"var": "email"})),
        Some(json!({"var": "$flagd.flagKey"})),
        Some(json!({"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]})),
        Some(json!({"cat": [{"var": "email"}, {"var": "n"}, {"var": "$flagd.flagKey"}]})),
        // Not specialised: a key the fast path does not read.
        Some(json!({"var": "targetingKey"})),
        Some(json!({"cat": [{"var": "email"}, "-"]})),
    ];
    for key in &keys {
        for set in &buckets {
            let mut args: Vec<Json> = key.iter().cloned().collect();
            args.extend(set.as_array().unwrap().iter().cloned());
            rules.push(json!({ "fractional": args }));
        }
    }
    rules
}

fn contexts() -> Vec<Context> {
    let keys: [Option<&str>; 5] = [
        None,
        Some(""),
        Some("user-1"),
        Some("ü-ß-subject"),
        Some("a longer targeting key, beyond one hash block of the short path 0123456789"),
    ];
    let values = [
        None,
        Some(Value::from("ada@example.com")),
        Some(Value::from("")),
        Some(Value::from("ADA@EXAMPLE.COM")),
        Some(Value::from("ü")),
        Some(Value::Int(3)),
        Some(Value::Float(2.5)),
        Some(Value::Bool(true)),
        Some(Value::Null),
        Some(Value::List(vec![Value::from("a")])),
    ];
    let mut contexts = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        for (j, email) in values.iter().enumerate() {
            let mut ctx = match key {
                Some(key) => Context::new(*key),
                None => Context::anonymous(),
            };
            if let Some(email) = email {
                ctx = ctx.with("email", email.clone());
            }
            if let Some(n) = &values[(i + j * 3) % values.len()] {
                ctx = ctx.with("n", n.clone());
            }
            contexts.push(ctx);
        }
    }
    // A targeting key given as an attribute.
    contexts.push(
        Context::anonymous()
            .with("targetingKey", "user-1")
            .with("email", "a@b"),
    );
    contexts
}

#[test]
fn specialised_forms_answer_as_the_interpreter() {
    let variants = variants();
    let names: Vec<&String> = variants.keys().collect();
    let contexts = contexts();
    let (mut specialised, mut fast, mut general) = (0, 0, 0);
    let (mut chose, mut defaulted) = (0, 0);
    for version in [
        FractionalVersion::V1,
        FractionalVersion::V2,
        FractionalVersion::V3,
    ] {
        let options = EngineOptions::default().with_fractional(version);
        for json in rules() {
            for flag_key in ["f", "rollout", "a-flag-key-of-some-length"] {
                // A specialised form answers the flag it was made for.
                let mut rule = Rule::compile(&json, &BTreeMap::new(), &options).unwrap();
                rule.specialise(flag_key, &variants, &options);
                specialised += usize::from(rule.specialised());
                for ctx in &contexts {
                    let expected = rule.choose(flag_key, ctx, &options, str::to_owned);
                    let picked = rule.pick(flag_key, ctx, &options);
                    match picked {
                        Pick::Variant(i, reason) => {
                            assert_eq!(reason, ReasonCode::TargetingMatch);
                            assert_eq!(
                                expected,
                                Ok(Some(names[i as usize].clone())),
                                "{json} {flag_key} {ctx:?} {version:?}"
                            );
                            chose += 1;
                        }
                        Pick::Default => {
                            assert_eq!(expected, Ok(None), "{json} {flag_key} {ctx:?} {version:?}");
                            defaulted += 1;
                        }
                        Pick::General => general += 1,
                        other => panic!("a flagd rule picked {other:?}"),
                    }
                    fast += usize::from(!matches!(picked, Pick::General));
                    // Another version than the one the rule was specialised for: the
                    // interpreter's.
                    let other = EngineOptions::default().with_fractional(match version {
                        FractionalVersion::V1 => FractionalVersion::V2,
                        _ => FractionalVersion::V1,
                    });
                    if json.get("fractional").is_some() {
                        assert!(matches!(rule.pick(flag_key, ctx, &other), Pick::General));
                    }
                }
            }
        }
    }
    // Most rules are specialised, most reads answered by the fast path, and every kind of
    // answer is checked.
    let total = fast + general;
    assert!(specialised > rules().len() * 3 * 3 * 3 / 4, "{specialised}");
    assert!(fast > total / 2, "{fast} of {total}");
    assert!(
        chose > total / 4 && defaulted > total / 20,
        "{chose} {defaulted}"
    );
    assert!(general > 0);
}

/// The rules of the benchmarks are specialised (else the speed of their reads is the
/// interpreter's).
#[test]
fn the_benchmarks_rules_are_specialised() {
    let variants = variants();
    for version in [
        FractionalVersion::V1,
        FractionalVersion::V2,
        FractionalVersion::V3,
    ] {
        let options = EngineOptions::default().with_fractional(version);
        for json in [
            json!({"if": [{"ends_with": [{"var": "email"}, "@example.com"]}, "on", null]}),
            json!({"fractional": [["red", 50], ["green", 30], ["blue", 20]]}),
            json!({"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}, ["red", 50], ["green", 30], ["blue", 20]]}),
        ] {
            let mut rule = Rule::compile(&json, &BTreeMap::new(), &options).unwrap();
            rule.specialise("rollout", &variants, &options);
            assert!(rule.specialised(), "{json} {version:?}");
        }
    }
}

/// v3's specialised forms hash the CBOR encoding of the bucketing value (built here in full,
/// by the encoder, and hashed in one piece) for flag keys and targeting keys on both sides of
/// every head-length boundary (24, 256 and 65,536 bytes), empty, and ending in multi-byte
/// UTF-8: with a hundred buckets of weight 1, the bucket pins the hash to 1/100 of its range.
#[test]
fn v3_specialised_forms_hash_the_encoded_key() {
    use super::fractional::{self, cbor};

    let names: Vec<String> = (0..100).map(|i| format!("b{i:03}")).collect();
    let variants: BTreeMap<String, Json> = names.iter().map(|n| (n.clone(), json!(n))).collect();
    let buckets: Vec<Json> = names.iter().map(|n| json!([n, 1])).collect();
    let implicit = json!({ "fractional": buckets });
    let mut by_cat = vec![json!({"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]})];
    by_cat.extend(buckets.iter().cloned());
    let by_cat = json!({ "fractional": by_cat });

    let texts = |lengths: &[usize]| -> Vec<String> {
        let mut texts = Vec::new();
        for &n in lengths {
            texts.push("k".repeat(n));
            if n >= 4 {
                texts.push("k".repeat(n - 4) + "😀");
                texts.push("k".repeat(n - 3) + "é");
            }
        }
        texts
    };
    let flag_keys = texts(&[1, 2, 3, 4, 7, 23, 24, 255, 256]);
    let keys = texts(&[
        0, 1, 3, 5, 8, 22, 23, 24, 25, 254, 255, 256, 257, 65_535, 65_536,
    ]);
    let options = EngineOptions::default().with_fractional(FractionalVersion::V3);
    let expected = |value: &super::Val<'_>| {
        let hash = fractional::murmur3(&[&cbor::encode(value).unwrap()]);
        ((u64::from(hash) * 100) >> 32) as u32
    };
    let mut seen = std::collections::BTreeSet::new();
    for flag_key in &flag_keys {
        let mut implicit_rule = Rule::compile(&implicit, &BTreeMap::new(), &options).unwrap();
        implicit_rule.specialise(flag_key, &variants, &options);
        let mut cat_rule = Rule::compile(&by_cat, &BTreeMap::new(), &options).unwrap();
        cat_rule.specialise(flag_key, &variants, &options);
        assert!(implicit_rule.specialised() && cat_rule.specialised());
        for key in &keys {
            let ctx = Context::new(key.as_str()).with("email", key.as_str());
            let pair = super::Val::List(vec![super::Val::Str(flag_key), super::Val::Str(key)]);
            let want = expected(&pair);
            let got = implicit_rule.pick(flag_key, &ctx, &options);
            assert!(
                matches!(got, Pick::Variant(i, _) if i == want),
                "implicit {} {}: {got:?}, expected {want}",
                flag_key.len(),
                key.len()
            );
            let joined = format!("{flag_key}{key}");
            let want = expected(&super::Val::Str(&joined));
            let got = cat_rule.pick(flag_key, &ctx, &options);
            assert!(
                matches!(got, Pick::Variant(i, _) if i == want),
                "cat {} {}: {got:?}, expected {want}",
                flag_key.len(),
                key.len()
            );
            seen.insert(want);
        }
    }
    // The hashes spread over the buckets (a constant hash would not).
    assert!(seen.len() > 50, "{}", seen.len());
}
