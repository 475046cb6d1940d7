//! The lint (`flags_schema::flagd::lint`: the load warnings and `flags check`) and the engine
//! are two readings of flagd's grammar: this checks that they agree. Over a generated corpus
//! of calls of flagd's operators (`starts_with`, `ends_with`, `sem_ver`, `fractional`) with
//! literal arguments, the lint says "always null" exactly when the engine evaluates the call
//! to null (the flag's default variant, reason DEFAULT) for every context; and over calls
//! with computed arguments, "always null" is only said of calls that are.

use std::collections::BTreeMap;

use flags_runtime::{Client, Context, FlagKey, Reason, source};
use flags_schema::WarningKind;
use serde_json::{Value as Json, json};

/// Every list of `len` items drawn from `pool`.
fn lists(pool: &[Json], len: usize) -> Vec<Vec<Json>> {
    let mut out = vec![Vec::new()];
    for _ in 0..len {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                pool.iter().map(move |item| {
                    let mut list = prefix.clone();
                    list.push(item.clone());
                    list
                })
            })
            .collect();
    }
    out
}

/// Calls whose arguments are all literals.
fn literal_calls() -> Vec<Json> {
    let mut calls = Vec::new();
    let scalars = [
        json!("abc"),
        json!("a"),
        json!(""),
        json!(1),
        json!(0),
        json!(true),
        json!(null),
        json!(["a"]),
        json!({}),
    ];
    for op in ["starts_with", "ends_with"] {
        for len in 0..=3 {
            for args in lists(&scalars, len) {
                calls.push(json!({ op: args }));
            }
        }
        for args in &scalars {
            calls.push(json!({ op: args }));
        }
    }
    let versions = [
        json!("1.2.3"),
        json!("v2"),
        json!("1.2"),
        json!("2.0.0.0"),
        json!("01.2.3"),
        json!("not-a-version"),
        json!(""),
        json!(1),
        json!(1.5),
        json!(-1),
        json!(null),
        json!(true),
        json!({}),
    ];
    let operators = [
        json!("="),
        json!("!="),
        json!("<"),
        json!("^"),
        json!("~"),
        json!("=="),
        json!(""),
        json!("*"),
        json!(1),
        json!(null),
    ];
    for left in &versions {
        for op in &operators {
            for right in [json!("1.0.0"), json!("v1.10"), json!("1..0")] {
                calls.push(json!({ "sem_ver": [left, op, right] }));
            }
        }
    }
    for len in [0, 1, 2, 4] {
        calls.push(json!({ "sem_ver": vec![json!("1.0.0"); len] }));
    }
    for args in [json!("1.0.0"), json!(null), json!({})] {
        calls.push(json!({ "sem_ver": args }));
    }
    let firsts = [
        None,
        Some(json!(null)),
        Some(json!("key")),
        Some(json!(5)),
        Some(json!(true)),
        Some(json!({})),
    ];
    let buckets = [
        json!(["a", 1]),
        json!(["b"]),
        json!(["a", 0]),
        json!(["b", -3]),
        json!(["a", 1.5]),
        json!(["b", "2"]),
        json!(["a", null]),
        json!([[1], 1]),
        json!(["a", 1, 2]),
        json!([]),
        json!("a"),
        json!(null),
        json!(["a", 2_147_483_647]),
    ];
    for first in &firsts {
        for len in 0..=2 {
            for list in lists(&buckets, len) {
                let mut args: Vec<Json> = first.iter().cloned().collect();
                args.extend(list);
                calls.push(json!({ "fractional": args }));
            }
        }
    }
    for args in [json!("a"), json!(3), json!({})] {
        calls.push(json!({ "fractional": args }));
    }
    calls
}

/// Calls with computed arguments (the context decides).
fn computed_calls() -> Vec<Json> {
    let computed = [
        json!({ "var": "email" }),
        json!({ "var": "age" }),
        json!({ "var": "nope" }),
        json!({ "var": "version" }),
    ];
    let literal = [
        json!("a"),
        json!(1),
        json!(null),
        json!("1.0.0"),
        json!("="),
    ];
    let mut calls = Vec::new();
    for a in computed.iter().chain(&literal) {
        for b in computed.iter().chain(&literal) {
            calls.push(json!({ "starts_with": [a, b] }));
            calls.push(json!({ "sem_ver": [a, "=", b] }));
            calls.push(json!({ "sem_ver": [a, b, "1.0.0"] }));
            calls.push(json!({ "fractional": [a, ["a", b], ["b", 1]] }));
            calls.push(json!({ "fractional": [[a, 1], b] }));
        }
        calls.push(json!({ "ends_with": a }));
        calls.push(json!({ "fractional": a }));
    }
    calls
}

/// For each rule: whether the engine gave null (the default variant, reason DEFAULT, no
/// error) for every context.
fn always_null(rules: &[Json], contexts: &[Context]) -> Vec<bool> {
    let flags: serde_json::Map<String, Json> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let flag = json!({
                "state": "ENABLED",
                "variants": { "a": "A", "b": "B", "true": "T", "false": "F", "dflt": "D" },
                "defaultVariant": "dflt",
                "targeting": rule
            });
            (format!("f{i}"), flag)
        })
        .collect();
    let client = Client::builder()
        .in_process(source::json(json!({ "flags": flags }).to_string()))
        .build()
        .unwrap();
    (0..rules.len())
        .map(|i| {
            contexts.iter().all(|ctx| {
                let d = client.details(FlagKey::<String>::new(format!("f{i}"), "code".into()), ctx);
                d.reason == Reason::Default && d.error_code().is_none()
            })
        })
        .collect()
}

fn contexts() -> Vec<Context> {
    (0..8)
        .map(|i| {
            Context::new(format!("user-{i}"))
                .with("email", format!("a{i}@example.com"))
                .with("age", 30 + i)
                .with("version", if i % 2 == 0 { "1.0.0" } else { "2.1" })
        })
        .collect()
}

fn lint_says_null(rule: &Json) -> bool {
    flags_schema::flagd::lint_targeting(rule, &BTreeMap::new())
        .iter()
        .any(|w| w.kind == WarningKind::AlwaysNull)
}

#[test]
fn literal_calls_are_always_null_exactly_when_the_lint_says_so() {
    let calls = literal_calls();
    assert!(calls.len() > 1_000, "{}", calls.len());
    let engine = always_null(&calls, &contexts());
    let mut null = 0;
    for (call, engine_null) in calls.iter().zip(engine) {
        assert_eq!(lint_says_null(call), engine_null, "{call}");
        null += usize::from(engine_null);
    }
    // Both kinds are well represented.
    assert!(
        null > 200 && calls.len() - null > 100,
        "{null} of {}",
        calls.len()
    );
}

#[test]
fn computed_calls_are_said_to_be_null_only_when_they_are() {
    let calls = computed_calls();
    let engine = always_null(&calls, &contexts());
    let mut said = 0;
    for (call, engine_null) in calls.iter().zip(engine) {
        if lint_says_null(call) {
            said += 1;
            assert!(
                engine_null,
                "the lint says {call} is always null; it is not"
            );
        }
    }
    assert!(said > 20, "{said}");
}
