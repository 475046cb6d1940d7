//! Unit tests of the compiled rules against contexts (the conformance file,
//! `conformance/flagship/cases.json`, runs through the public API in `tests/`).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::{Decision, MissingRolloutKey, Rules, compile};
use crate::context::Context;

fn rules(rules: Json) -> Rules {
    let variants: BTreeMap<String, Json> =
        BTreeMap::from([("on".into(), json!(true)), ("off".into(), json!(false))]);
    compile(
        "f",
        &json!({ "account_id": "acct", "rules": rules }),
        &variants,
    )
    .unwrap()
}

fn served(rules: &Rules, ctx: &Context) -> Option<(String, bool)> {
    match rules.decide(ctx, MissingRolloutKey::RandomBucket) {
        Some(Decision::Serve {
            variation, split, ..
        }) => Some((variation.to_owned(), split)),
        Some(Decision::Malformed(why)) => Some((format!("malformed: {why}"), false)),
        None => None,
    }
}

fn cond(attribute: &str, operator: &str, value: Json) -> Rules {
    rules(
        json!([{ "conditions": [{ "attribute": attribute, "operator": operator, "value": value }], "serve_variation": "on" }]),
    )
}

fn matches(rules: &Rules, ctx: &Context) -> bool {
    served(rules, ctx).is_some()
}

#[test]
fn text_operators_compare_javascript_strings() {
    let ctx = Context::new("u")
        .with("n", 1e21)
        .with("z", -0.0)
        .with("b", true);
    assert!(matches(&cond("n", "equals", json!("1e+21")), &ctx));
    assert!(matches(&cond("z", "equals", json!(0)), &ctx));
    assert!(matches(&cond("b", "equals", json!("true")), &ctx));
    assert!(matches(
        &cond("targetingKey", "starts_with", json!("u")),
        &ctx
    ));
    let null = Context::anonymous().with("x", crate::value::Value::Null);
    assert!(matches(&cond("x", "not_equals", json!("a")), &null));
    assert!(matches(&cond("x", "not_equals", json!([1])), &null));
    assert!(!matches(&cond("x", "equals", json!("null")), &null));
    assert!(!matches(&cond("missing", "not_equals", json!("a")), &null));
}

#[test]
fn ordering_by_numbers_and_dates() {
    let ctx = Context::anonymous()
        .with("age", "0x20")
        .with("blank", " ")
        .with("when", "2024-06-01T00:00:00.1239Z");
    assert!(matches(&cond("age", "greater_than", json!(31)), &ctx));
    assert!(!matches(&cond("blank", "less_than", json!(1)), &ctx));
    assert!(matches(
        &cond("when", "greater_than", json!("2024-06-01T00:00:00.122Z")),
        &ctx
    ));
    assert!(matches(
        &cond(
            "when",
            "less_than_or_equals",
            json!("2024-06-01T00:00:00.123Z")
        ),
        &ctx
    ));
    assert!(!matches(
        &cond("age", "less_than", json!("2099-01-01T00:00:00Z")),
        &ctx
    ));
}

#[test]
fn paths_and_groups() {
    let ctx = Context::anonymous().with("user.plan", "literal").with(
        "user",
        crate::value::Value::from(
            serde_json::json!({ "plan": "nested", "a": { "b": { "c": { "d": 1 } } } }),
        ),
    );
    assert!(matches(
        &cond("user.plan", "equals", json!("literal")),
        &ctx
    ));
    assert!(matches(&cond("user.a.b.c.d", "equals", json!(1)), &ctx));
    let deep = Context::anonymous().with(
        "a",
        crate::value::Value::from(json!({ "b": { "c": { "d": { "e": { "f": 1 } } } } })),
    );
    assert!(!matches(&cond("a.b.c.d.e.f", "equals", json!(1)), &deep));
    let group = rules(
        json!([{ "conditions": [{ "logical_operator": "OR", "clauses": [
        { "attribute": "x", "operator": "equals", "value": 1 },
        { "logical_operator": "AND", "clauses": [] }
    ] }], "serve_variation": "on" }]),
    );
    assert!(matches(&group, &Context::anonymous()));
    let empty_or = rules(
        json!([{ "conditions": [{ "logical_operator": "OR", "clauses": [] }], "serve_variation": "on" }]),
    );
    assert!(!matches(&empty_or, &Context::anonymous()));
}

#[test]
fn rollouts_split_and_errors_surface_when_reached() {
    let split = rules(
        json!([{ "conditions": [], "serve_variation": "on", "rollout": { "percentage": 100 } }]),
    );
    assert_eq!(
        served(&split, &Context::new("k")),
        Some(("on".into(), false))
    );
    let listed = Context::anonymous().with("targetingKey", vec![1]);
    assert_eq!(served(&split, &listed), None);
    let bad = rules(json!([
        { "conditions": [{ "attribute": "x", "operator": "equals", "value": 1 }], "serve_variation": "nope" },
        { "conditions": [], "serve_variation": "off", "rollout": { "percentage": "x" } }
    ]));
    let one = Context::anonymous().with("x", 1);
    assert_eq!(
        served(&bad, &one).unwrap().0,
        "malformed: rule 1 serves variation `nope`, which is not defined"
    );
    assert_eq!(
        served(&bad, &Context::anonymous()).unwrap().0,
        "malformed: the rollout percentage of rule 2 is not a number"
    );
    let none = rules(json!([{ "serve_variation": "on", "rollout": { "percentage": 50 } }]));
    assert_eq!(
        none.decide(&Context::anonymous(), MissingRolloutKey::NotInRollout),
        None
    );
}
