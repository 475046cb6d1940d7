//! Operator semantics, each expectation checked against `@openfeature/flagd-core` 4.0.1.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

#[allow(unused_imports)]
use super::ast::*;
use super::*;
use crate::engine::FractionalVersion;
use crate::value::Value;

/// The outcome of a rule: `Ok(json)` of its result, `Err("general")` when the evaluation
/// fails, `Err("parse")` when the rule does not compile.
fn run(rule: Json, ctx: Json) -> Result<Json, &'static str> {
    run_with(rule, ctx, &BTreeMap::new())
}

fn run_with(
    rule: Json,
    ctx: Json,
    evaluators: &BTreeMap<String, Json>,
) -> Result<Json, &'static str> {
    let rule = Rule::compile(&rule, evaluators, &EngineOptions::default()).map_err(|_| "parse")?;
    let ctx: Context = ctx
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect();
    let result = rule
        .evaluate("flag", &ctx, &EngineOptions::default())
        .map_err(|_| "general")?;
    Ok(normalize(result.to_value().to_json()))
}

/// Integral numbers as integers (JavaScript has one number type).
fn normalize(json: Json) -> Json {
    match json {
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => json!(f as i64),
            _ => Json::Number(n),
        },
        Json::Array(items) => Json::Array(items.into_iter().map(normalize).collect()),
        Json::Object(map) => {
            Json::Object(map.into_iter().map(|(k, v)| (k, normalize(v))).collect())
        }
        other => other,
    }
}

fn ok(rule: Json, ctx: Json, expected: Json) {
    assert_eq!(
        run(rule.clone(), ctx.clone()),
        Ok(expected),
        "{rule} with {ctx}"
    );
}

fn err(rule: Json, ctx: Json, expected: &str) {
    assert_eq!(
        run(rule.clone(), ctx.clone()),
        Err(expected),
        "{rule} with {ctx}"
    );
}

#[test]
fn var() {
    ok(
        json!({ "var": "a.b.1" }),
        json!({ "a": { "b": [0, 7] } }),
        json!(7),
    );
    ok(
        json!({ "var": ["x", "d"] }),
        json!({ "x": null }),
        json!("d"),
    );
    ok(json!({ "var": ["x", "d"] }), json!({}), json!("d"));
    ok(
        json!({ "var": "s.length" }),
        json!({ "s": "héllo" }),
        json!(5),
    );
    ok(json!({ "var": "s.0" }), json!({ "s": "ab" }), json!("a"));
    ok(
        json!({ "var": "l.01" }),
        json!({ "l": [1, 2] }),
        json!(null),
    );
    ok(json!({ "var": 1 }), json!({ "1": "one" }), json!("one"));
    ok(json!({ "var": "a\\.b" }), json!({ "a.b": 3 }), json!(3));
    ok(json!({ "var": "$flagd.flagKey" }), json!({}), json!("flag"));
    ok(json!({ "var": "$flagd.nothing" }), json!({}), json!(null));
    ok(
        json!({ "var": "targetingKey" }),
        json!({ "targetingKey": "k" }),
        json!("k"),
    );
    // Inside the interpreted short `if`, a present null is not replaced by the default.
    ok(
        json!({ "if": [{ "var": ["x", "d"] }] }),
        json!({ "x": null }),
        json!(null),
    );
}

#[test]
fn comparisons_follow_the_compiled_code() {
    // The right operand is checked against the last value `prev` holds: with a `var` on the
    // right that is the operand itself, so no failure, and JavaScript's `==` decides.
    ok(
        json!({ "==": ["admin", { "var": "x" }] }),
        json!({ "x": 5 }),
        json!(false),
    );
    err(
        json!({ "==": [{ "var": "x" }, "admin"] }),
        json!({ "x": 5 }),
        "general",
    );
    ok(
        json!({ "==": [{ "var": "x" }, { "var": "y" }] }),
        json!({ "x": null, "y": false }),
        json!(false),
    );
    ok(json!({ "==": [{ "var": "x" }, 0] }), json!({}), json!(true));
    ok(
        json!({ "<": [{ "var": "x" }, 5] }),
        json!({ "x": "4" }),
        json!(true),
    );
    ok(
        json!({ "<": [{ "var": "x" }, 5] }),
        json!({ "x": true }),
        json!(true),
    );
    err(
        json!({ "<": [{ "var": "x" }, 5] }),
        json!({ "x": [1] }),
        "general",
    );
    ok(
        json!({ "<": ["a", { "var": "x" }, "c"] }),
        json!({ "x": "b" }),
        json!(true),
    );
    // Interpreted (short `if`): both operands are checked.
    err(
        json!({ "if": [{ "==": ["admin", { "var": "x" }] }] }),
        json!({ "x": 5 }),
        "general",
    );
    ok(
        json!({ "if": [{ "==": [{ "var": "x" }, false] }] }),
        json!({}),
        json!(true),
    );
}

#[test]
fn arithmetic() {
    ok(json!({ "+": [{ "var": "x" }, 1] }), json!({}), json!(1));
    ok(
        json!({ "+": [{ "var": "x" }, 1] }),
        json!({ "x": "2" }),
        json!(3),
    );
    ok(
        json!({ "-": [{ "var": "x" }] }),
        json!({ "x": "2" }),
        json!(-2),
    );
    ok(
        json!({ "*": [{ "var": "x" }, 2] }),
        json!({ "x": null }),
        json!(0),
    );
    ok(
        json!({ "%": [{ "var": "x" }, 3] }),
        json!({ "x": -5 }),
        json!(-2),
    );
    err(
        json!({ "/": [2, { "var": "x" }] }),
        json!({ "x": null }),
        "general",
    );
    err(
        json!({ "%": [{ "var": "x" }, 0] }),
        json!({ "x": 5 }),
        "general",
    );
    // Literal operands are converted when the rule compiles.
    err(json!({ "+": [{ "var": "x" }, "abc"] }), json!({}), "parse");
    err(json!({ "/": [{ "var": "x" }, 0] }), json!({}), "parse");
    err(json!({ "/": [1, 0] }), json!({}), "parse");
    err(
        json!({ "max": [{ "var": "x" }, 1] }),
        json!({ "x": "5" }),
        "general",
    );
}

#[test]
fn strings_and_arrays() {
    ok(
        json!({ "cat": [{ "var": "x" }, "a", { "var": "y" }] }),
        json!({ "y": [1, [2, null]] }),
        json!("nulla1,2,"),
    );
    ok(
        json!({ "cat": [1.5, "x", null, true, 1e21, 0.1] }),
        json!({}),
        json!("1.5xtrue1e+210.1"),
    );
    ok(
        json!({ "in": [{ "var": "x" }, "anullb"] }),
        json!({}),
        json!(true),
    );
    ok(
        json!({ "in": [1, { "var": "x" }] }),
        json!({ "x": "a1" }),
        json!(true),
    );
    ok(
        json!({ "in": [1, { "var": "x" }] }),
        json!({ "x": ["1"] }),
        json!(false),
    );
    err(
        json!({ "in": [1, { "var": "x" }] }),
        json!({ "x": 5 }),
        "general",
    );
    ok(
        json!({ "substr": [{ "var": "x" }, -2] }),
        json!({ "x": "héllo" }),
        json!("lo"),
    );
    ok(
        json!({ "substr": [{ "var": "x" }, 1, -1] }),
        json!({ "x": "hello" }),
        json!("ell"),
    );
    err(
        json!({ "substr": [{ "var": "x" }, 1] }),
        json!({ "x": 5 }),
        "general",
    );
    ok(
        json!({ "merge": [{ "var": "x" }, [1, [2]]] }),
        json!({ "x": 3 }),
        json!([3, 1, [2]]),
    );
    ok(
        json!({ "missing": ["a", "b.c"] }),
        json!({ "a": null, "b": { "c": 0 } }),
        json!([]),
    );
    ok(
        json!({ "missing": ["a", "b.c"] }),
        json!({ "b": 1 }),
        json!(["a", "b.c"]),
    );
    ok(
        json!({ "missing_some": [1, ["a", "b"]] }),
        json!({ "a": 1 }),
        json!([]),
    );
    ok(
        json!({ "missing_some": [2, ["a", "b"]] }),
        json!({ "a": 1 }),
        json!(["b"]),
    );
}

#[test]
fn iterations() {
    // A missing array: `all` is true (compiled), false (interpreted); `some` false.
    ok(
        json!({ "all": [{ "var": "x" }, { ">": [{ "var": "" }, 1] }] }),
        json!({}),
        json!(true),
    );
    ok(
        json!({ "if": [{ "all": [{ "var": "x" }, true] }] }),
        json!({}),
        json!(false),
    );
    ok(
        json!({ "all": [{ "var": "x" }, true] }),
        json!({ "x": [] }),
        json!(false),
    );
    ok(
        json!({ "some": [{ "var": "x" }, true] }),
        json!({}),
        json!(false),
    );
    err(
        json!({ "map": [{ "var": "x" }, 1] }),
        json!({ "x": "abc" }),
        "general",
    );
    ok(
        json!({ "map": [{ "var": "x" }, { "*": [{ "var": "" }, 2] }] }),
        json!({ "x": [1, 2] }),
        json!([2, 4]),
    );
    ok(
        json!({ "reduce": [{ "var": "x" }, { "+": [{ "var": "accumulator" }, { "var": "current" }] }, 10] }),
        json!({ "x": [1, 2] }),
        json!(13),
    );
    err(
        json!({ "reduce": [{ "var": "x" }, { "+": [{ "var": "accumulator" }, { "var": "current" }] }] }),
        json!({ "x": [] }),
        "general",
    );
    // The interpreter sums instead.
    ok(
        json!({ "if": [{ "reduce": [{ "var": "x" }, { "+": [{ "var": "current" }, { "var": "accumulator" }] }] }] }),
        json!({ "x": [] }),
        json!(0),
    );
    // flagd's operators need the evaluation context: not inside an iteration.
    err(
        json!({ "map": [{ "var": "x" }, { "starts_with": [{ "var": "" }, "a"] }] }),
        json!({ "x": ["ab"] }),
        "general",
    );
}

#[test]
fn logic_and_conditions() {
    ok(
        json!({ "or": [{ "var": "a" }, "b"] }),
        json!({ "a": "" }),
        json!("b"),
    );
    ok(
        json!({ "and": [{ "var": "a" }, "b"] }),
        json!({ "a": 0 }),
        json!(0),
    );
    ok(json!({ "and": [] }), json!({}), json!(null));
    ok(json!({ "!": [] }), json!({}), json!(true));
    ok(
        json!({ "!": { "var": "a" } }),
        json!({ "a": [] }),
        json!(true),
    );
    ok(
        json!({ "!!": [{ "var": "a" }] }),
        json!({ "a": {} }),
        json!(false),
    );
    ok(json!({ "if": [] }), json!({}), json!(null));
    ok(
        json!({ "if": [{ "var": "a" }, "y"] }),
        json!({ "a": 0 }),
        json!(null),
    );
    ok(
        json!({ "if": [false, 1, false, 2, 3] }),
        json!({}),
        json!(3),
    );
    ok(
        json!({ "?:": [{ "var": "a" }, 1, 2] }),
        json!({ "a": 1 }),
        json!(1),
    );
}

#[test]
fn unknown_operators_and_failing_constants() {
    err(json!({ "nope": [1] }), json!({}), "parse");
    err(
        json!({ "if": [{ "var": "a" }, { "nope": 1 }, 2] }),
        json!({}),
        "parse",
    );
    err(json!({ "==": [1, 1], "!=": [1, 2] }), json!({}), "parse");
    // In an interpreted part, found when reached.
    err(
        json!({ "if": [{ "var": "a" }, { "nope": 1 }] }),
        json!({ "a": true }),
        "general",
    );
    ok(
        json!({ "if": [{ "var": "a" }, { "nope": 1 }] }),
        json!({ "a": false }),
        json!(null),
    );
    err(
        json!({ "if": [{ "var": "a" }, { "/": [1, 0] }] }),
        json!({ "a": true }),
        "general",
    );
}

#[test]
fn evaluator_references() {
    let evaluators: BTreeMap<String, Json> = [
        ("adult".to_owned(), json!({ ">=": [{ "var": "age" }, 18] })),
        // flagd substitutes references once: a reference inside an evaluator stays, and
        // fails the rule that uses it.
        ("nested".to_owned(), json!({ "!": { "$ref": "adult" } })),
    ]
    .into();
    assert_eq!(
        run_with(
            json!({ "$ref": "adult" }),
            json!({ "age": 20 }),
            &evaluators
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run_with(
            json!({ "$ref": "nested" }),
            json!({ "age": 20 }),
            &evaluators
        ),
        Err("parse")
    );
    assert_eq!(
        run_with(json!({ "$ref": "adults" }), json!({}), &evaluators),
        Err("parse")
    );
}

#[test]
fn custom_operators() {
    ok(
        json!({ "starts_with": [{ "var": "s" }, "ab"] }),
        json!({ "s": "abc" }),
        json!(true),
    );
    ok(
        json!({ "ends_with": [{ "var": "s" }, 1] }),
        json!({ "s": "a1" }),
        json!(null),
    );
    ok(
        json!({ "ends_with": [{ "var": "s" }] }),
        json!({ "s": "a1" }),
        json!(null),
    );
    ok(
        json!({ "sem_ver": [{ "var": "v" }, "~", "1.2.0"] }),
        json!({ "v": "v1.2.9" }),
        json!(true),
    );
    ok(
        json!({ "sem_ver": [{ "var": "v" }, "=", "1.0.0"] }),
        json!({ "v": "x" }),
        json!(null),
    );
    ok(
        json!({ "fractional": [["a", 1], ["b", 1]] }),
        json!({}),
        json!(null),
    );
    ok(
        json!({ "fractional": [["a", 1], ["b", 1]] }),
        json!({ "targetingKey": "" }),
        json!(null),
    );
    // A null bucketing value is dropped and the key falls back to flag key + targeting key
    // (flagd's rule; flagd-core 4.0.1 answers null here instead).
    ok(
        json!({ "fractional": [{ "var": "k" }, ["a", 1]] }),
        json!({ "targetingKey": "t" }),
        json!("a"),
    );
    ok(
        json!({ "fractional": [{ "var": "k" }, ["a", 1]] }),
        json!({}),
        json!(null),
    );
    // A targeting key that is not a string: null (flagd-core concatenates it).
    ok(
        json!({ "fractional": [["a", 1]] }),
        json!({ "targetingKey": 42 }),
        json!(null),
    );
    ok(
        json!({ "fractional": [{ "var": "k" }, [1, 1]] }),
        json!({ "k": "x" }),
        json!(1),
    );
    ok(
        json!({ "fractional": [{ "var": "k" }, ["a", 1.5]] }),
        json!({ "k": "x" }),
        json!(null),
    );
    ok(
        json!({ "fractional": [{ "var": "k" }, ["a", -1], ["b", 1]] }),
        json!({ "k": "x" }),
        json!("b"),
    );
}

#[test]
fn fractional_versions() {
    let rule = json!({ "fractional": [{ "var": "k" }, ["a", 1], ["b", 1]] });
    let ctx: Context = [("k", "ejOoVL")].into_iter().collect();
    for version in [FractionalVersion::V1, FractionalVersion::V2] {
        let options = EngineOptions::default().with_fractional(version);
        let compiled = Rule::compile(&rule, &BTreeMap::new(), &options).unwrap();
        // Hash 0 is the first bucket in both.
        let result = compiled.evaluate("flag", &ctx, &options).unwrap();
        assert_eq!(result.to_value().to_json(), json!("a"), "{version:?}");
    }
    // v3 hashes the CBOR encoding: a string key gets a different hash than in v2, and the
    // implicit key is `[flagKey, targetingKey]`; a number is a valid bucketing value.
    let options = EngineOptions::default().with_fractional(FractionalVersion::V3);
    let by_number = json!({ "fractional": [{ "var": "n" }, ["a", 1], ["b", 1]] });
    let compiled = Rule::compile(&by_number, &BTreeMap::new(), &options).unwrap();
    let ctx: Context = [("n", 7)].into_iter().collect();
    let expected = {
        let bytes = fractional::cbor::encode(&Val::Num(7.0)).unwrap();
        let hash = u64::from(fractional::murmur3(&[&bytes]));
        if (hash * 2) >> 32 == 0 { "a" } else { "b" }
    };
    let result = compiled.evaluate("flag", &ctx, &options).unwrap();
    assert_eq!(result.to_value().to_json(), json!(expected));
    let ctx: Context = [("m", 7)].into_iter().collect();
    assert!(matches!(
        compiled.evaluate("flag", &ctx, &options).unwrap(),
        Val::Null
    ));
}

#[test]
fn fractional_v3_over_literal_buckets_answers_as_over_computed_ones() {
    // Literal buckets are read from the table compiled with the rule; a computed weight makes
    // the evaluator read every bucket as it goes: both answer the same for every context.
    let options = EngineOptions::default().with_fractional(FractionalVersion::V3);
    let pairs = [
        (
            json!({ "fractional": [["a", 30], ["b", 70]] }),
            json!({ "fractional": [["a", { "+": [29, 1] }], ["b", 70]] }),
        ),
        (
            json!({ "fractional": [{ "var": "email" }, ["a", 30], ["b", 50], ["c", 20]] }),
            json!({ "fractional": [{ "var": "email" }, ["a", 30], ["b", { "+": [49, 1] }], ["c", 20]] }),
        ),
        (
            json!({ "fractional": [{ "var": "seats" }, ["a", 1], ["b", 1]] }),
            json!({ "fractional": [{ "var": "seats" }, ["a", 1], ["b", { "+": [0, 1] }]] }),
        ),
        (
            json!({ "fractional": [{ "var": "pair" }, ["a", 1], ["b", 1]] }),
            json!({ "fractional": [{ "var": "pair" }, ["a", 1], ["b", { "+": [0, 1] }]] }),
        ),
        (
            json!({ "fractional": [{ "var": "missing" }, ["a", 1], ["b", 1]] }),
            json!({ "fractional": [{ "var": "missing" }, ["a", 1], ["b", { "+": [0, 1] }]] }),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (literal, computed) in pairs {
        let literal = Rule::compile(&literal, &BTreeMap::new(), &options).unwrap();
        let computed = Rule::compile(&computed, &BTreeMap::new(), &options).unwrap();
        for i in 0..200 {
            let ctx: Context = json!({
                "targetingKey": format!("user-{i}"),
                "email": format!("user-{i}@example.com"),
                "seats": i,
                "pair": ["x", i],
            })
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect();
            let a = literal
                .evaluate("flag", &ctx, &options)
                .unwrap()
                .to_value()
                .to_json();
            let b = computed
                .evaluate("flag", &ctx, &options)
                .unwrap()
                .to_value()
                .to_json();
            assert_eq!(a, b, "user-{i}");
            seen.insert(a.to_string());
        }
    }
    // Every bucket, the array read as a bucket (`["x", i]`) and null (the missing attribute)
    // were answered.
    assert_eq!(seen.len(), 5, "{seen:?}");
}

#[test]
fn number_results_name_variants_as_javascript_prints_them() {
    let name = |v: Val<'_>| variant_name(&v, str::to_owned);
    assert_eq!(name(Val::Num(1.0)), "1");
    assert_eq!(name(Val::Num(0.5)), "0.5");
    assert_eq!(name(Val::Num(-0.0)), "0");
    assert_eq!(name(Val::Bool(false)), "false");
    assert_eq!(
        name(Val::List(vec![Val::Str("a"), Val::Null, Val::Num(2.0)])),
        "a,,2"
    );
    assert_eq!(name(Val::Object(Vec::new())), "[object Object]");
}

#[test]
fn slips_of_the_reference_compiler() {
    // `cat` around an `and` / `or` answers the first operand of it.
    ok(
        json!({ "cat": ["x", { "and": [{ "var": "a" }, "q"] }, "y"] }),
        json!({ "a": "b" }),
        json!("b"),
    );
    ok(
        json!({ "cat": ["x", { "or": [{ "var": "a" }, "b"] }] }),
        json!({ "a": "" }),
        json!(""),
    );
    // ... around an `all`: false for an empty array, else the result `+` what follows.
    ok(
        json!({ "cat": ["x", { "all": [{ "var": "l" }, true] }, "y"] }),
        json!({ "l": [1] }),
        json!("truey"),
    );
    ok(
        json!({ "cat": ["x", { "all": [{ "var": "l" }, true] }] }),
        json!({ "l": [] }),
        json!(false),
    );
    // ... around a literal `missing`: what follows it.
    ok(
        json!({ "cat": ["x", { "missing": ["a", "b"] }, "y"] }),
        json!({ "a": 1, "b": 2 }),
        json!("y"),
    );
    // The compiled `in` computes its container first: the item is the last value stored.
    err(
        json!({ "==": [{ "var": "x" }, { "in": [{ "var": "c" }, { "var": "t" }] }] }),
        json!({ "x": false, "c": "ü", "t": null }),
        "general",
    );
    // The interpreter's `a.b` stops at a falsy `a`.
    ok(
        json!({ "if": [{ "var": "u.age" }] }),
        json!({ "u": false }),
        json!(false),
    );
    ok(
        json!({ "if": [{ "var": "u.age" }] }),
        json!({ "u": 0 }),
        json!(0),
    );
    ok(
        json!({ "var": "u.age" }),
        json!({ "u": false }),
        json!(null),
    );
    // `missing_some` answers the last value stored while computing the count.
    ok(
        json!({ "missing_some": [{ "var": "n" }, ["a", "b"]] }),
        json!({ "n": 2, "a": 1 }),
        json!(2),
    );
    ok(
        json!({ "missing_some": [2, ["a", "b"]] }),
        json!({ "a": 1 }),
        json!(["b"]),
    );
}

#[test]
fn more_slips_of_the_reference_compiler() {
    // `in` whose container is an `and`: a falsy result is not replaced by `[]`.
    err(
        json!({ "in": ["x", { "and": [{ "var": "a" }, "q"] }] }),
        json!({ "a": 0 }),
        "general",
    );
    ok(
        json!({ "in": ["", { "and": [{ "var": "a" }, "q"] }] }),
        json!({ "a": "" }),
        json!(true),
    );
    // `cat` around a `missing_some`: the string so far joins the count.
    ok(
        json!({ "cat": ["v1.2", { "missing_some": [0, ["n"]] }] }),
        json!({}),
        json!([]),
    );
    ok(
        json!({ "cat": [{ "missing_some": [1, ["b"]] }, "z"] }),
        json!({}),
        json!(["b"]),
    );
    // The interpreter reads a `reduce` rule's operator: a null rule fails (constant: at load).
    err(
        json!({ "if": [{ "reduce": [[1, 2, 3], null, "x"] }, "b", "a"] }),
        json!({}),
        "parse",
    );
}

#[test]
fn odd_shapes() {
    // Four operands and more, constant: the interpreter's general comparator.
    ok(
        json!({ "!==": ["0", 0, "", [null]] }),
        json!({}),
        json!(false),
    );
    // `missing` of one key written without brackets is the literal form too.
    ok(
        json!({ "cat": [{ "missing": "email" }] }),
        json!({}),
        json!([]),
    );
    ok(json!({ "cat": [{ "missing": [] }] }), json!({}), json!(""));
    // An iteration without a rule cannot be compiled.
    err(
        json!({ "all": [{ "var": "x" }] }),
        json!({ "x": [1] }),
        "parse",
    );
}

/// Every operator of the grammar (which the lint accepts) is one this compiler knows: a call
/// of each, however malformed, never fails as an unknown operator.
#[test]
fn every_operator_of_the_grammar_compiles() {
    use flags_schema::flagd::grammar::{ALIASES, Operator};
    let names = Operator::ALL
        .iter()
        .filter(|op| **op != Operator::Ref)
        .map(|op| op.name())
        .chain(ALIASES.iter().copied());
    for name in names {
        for args in [json!([]), json!([1, 2, 3]), json!({ "var": "x" })] {
            let rule = json!({ name: args });
            if let Err(message) = Rule::compile(&rule, &BTreeMap::new(), &EngineOptions::default())
            {
                assert!(!message.contains("unknown operator"), "{rule}: {message}");
            }
        }
    }
}
