//! Calls of flagd's operators that are null whatever the context compile to `Func::Null`
//! (`flags_schema::flagd::always_null`, the lint's definition): this checks, over generated
//! calls in several places of a rule, that the shortcut gives exactly what the full
//! compilation gives (itself checked against `@openfeature/flagd-core` by
//! `conformance/flagd`): the same value, the same failure.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

#[allow(unused_imports)]
use super::ast::*;
use super::*;
use crate::value::Value;

fn outcome(rule: &Result<Rule, String>, ctx: &Context) -> Result<Value, &'static str> {
    let rule = rule.as_ref().map_err(|_| "parse")?;
    rule.evaluate("flag", ctx, &EngineOptions::default())
        .map(|v| v.to_value())
        .map_err(|_| "general")
}

fn calls() -> Vec<Json> {
    let args = [
        json!([]),
        json!([{ "var": "email" }]),
        json!([{ "var": "email" }, "a", "b"]),
        json!([{ "var": "email" }, 0]),
        json!([null, "a"]),
        json!("abc"),
        json!([{ "var": "version" }, "==", "1.0.0"]),
        json!([{ "var": "version" }, "=", "2.0.0.0"]),
        json!([{ "var": "version" }, "="]),
        json!(["1.0.0", "<", { "var": "version" }]),
        json!([["a", 1.5], ["b", 1]]),
        json!([["a", -1], ["b", 1]]),
        json!([5, ["a", 1]]),
        json!([{ "var": "email" }, ["a", "2"]]),
        json!([["a", 0], ["b", 0]]),
        json!([null, ["a", 1], ["b", 1]]),
        json!([{ "var": "email" }, ["a", 1], ["b", 1]]),
        // Arguments that fail when computed: the call fails before it can be null.
        json!([{ "/": [1, { "var": "zero" }] }]),
        json!([{ "var": "version" }, "==", { "/": [1, { "var": "zero" }] }]),
    ];
    let mut out = Vec::new();
    for op in ["starts_with", "ends_with", "sem_ver", "fractional"] {
        for args in &args {
            out.push(json!({ op: args }));
        }
    }
    out
}

/// The places a call is tried in: alone, in a branch of `if`, under `!`, as the body of an
/// iteration (where flagd's operators fail), as `reduce`'s initial value (computed when the
/// rule loads when the rest is constant).
fn placed(call: &Json) -> Vec<Json> {
    vec![
        call.clone(),
        json!({ "if": [{ "var": "beta" }, "on", call, "b", "c"] }),
        json!({ "!": [call] }),
        json!({ "map": [[1, 2], call] }),
        json!({ "reduce": [[1, 2], { "var": "current" }, call] }),
        json!({ "reduce": [{ "var": "nums" }, { "var": "current" }, call] }),
    ]
}

#[test]
fn null_calls_evaluate_as_their_full_compilation() {
    let evaluators = BTreeMap::new();
    let options = EngineOptions::default();
    let contexts: Vec<Context> = [
        json!({ "targetingKey": "user-1", "email": "a@example.com", "version": "1.0.0", "zero": 0, "nums": [1] }),
        json!({ "targetingKey": "user-2", "beta": true, "version": 2, "zero": 1 }),
        json!({}),
    ]
    .iter()
    .map(|c| {
        c.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect()
    })
    .collect();
    let mut shortcuts = 0;
    for call in calls() {
        let (name, args) = call.as_object().unwrap().iter().next().unwrap();
        shortcuts += usize::from(flags_schema::flagd::always_null(name, args));
        for rule in placed(&call) {
            let short = Rule::compile(&rule, &evaluators, &options);
            let full = Rule::compile_in_full(&rule, &evaluators, &options);
            for ctx in &contexts {
                assert_eq!(outcome(&short, ctx), outcome(&full, ctx), "{rule}");
            }
        }
    }
    assert!(shortcuts > 30, "{shortcuts}");
}
