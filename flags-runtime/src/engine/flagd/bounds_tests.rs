//! Work bounded by the size of the input: folding, constancy, evaluator expansion and
//! suggestions at load; the evaluation budget of rules that loop. Inputs are generated; the
//! bounds are counted (steps, memo visits, budgets), never timed.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

#[allow(unused_imports)]
use super::ast::*;
use super::budget::{EXCEEDED, Size};
use super::compile::Compiler;
use super::*;
use crate::engine::Budget;
use crate::engine::FractionalVersion;
use crate::value::Value;

fn compile(rule: &Json) -> Rule {
    Rule::compile(rule, &BTreeMap::new(), &EngineOptions::default()).unwrap()
}

fn context(attributes: Json) -> Context {
    attributes
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect()
}

/// `reduce` over `list` whose step builds the accumulator twice over with `op` (`cat` or
/// `merge`): 2^n for n elements.
fn doubling(op: &str, list: Json) -> Json {
    json!({ "reduce": [
        list,
        { op: [{ "var": "accumulator" }, { "var": "accumulator" }] },
        if op == "cat" { json!("x") } else { json!(["x"]) },
    ] })
}

#[test]
fn a_reduce_doubling_over_a_constant_list_is_left_to_evaluation_which_stops_at_the_budget() {
    for op in ["cat", "merge"] {
        // 2^64 bytes if folded; the folding budget of a rule this size is a few tens of KiB.
        let constant: Vec<u32> = (0..64).collect();
        let rule = json!({ "if": [{ "==": [doubling(op, json!(constant)), "y"] }, "a", "b"] });
        let compiled = compile(&rule);
        assert!(compiled.metered(), "{op}");
        assert_eq!(
            compiled
                .evaluate("f", &Context::default(), &EngineOptions::default())
                .unwrap_err(),
            EXCEEDED,
            "{op}"
        );
        // A small one still folds, and gives what it gave.
        let small = doubling(op, json!([1, 2, 3]));
        let folded = compile(&small);
        assert!(matches!(folded.expr, Expr::Const(_)), "{op}");
        let value = folded
            .evaluate("f", &Context::default(), &EngineOptions::default())
            .unwrap()
            .to_value();
        let expected = if op == "cat" {
            Value::String("x".repeat(8))
        } else {
            Value::List(vec![Value::String("x".into()); 8])
        };
        assert_eq!(value, expected, "{op}");
    }
}

#[test]
fn a_reduce_doubling_over_a_context_list_stops_at_the_budget() {
    for op in ["cat", "merge"] {
        let rule = compile(&doubling(op, json!({ "var": "items" })));
        let options = EngineOptions::default();
        let few = context(json!({ "items": [1, 2, 3] }));
        assert!(rule.evaluate("f", &few, &options).is_ok(), "{op}");
        let many = context(json!({ "items": (0..64).collect::<Vec<_>>() }));
        assert_eq!(
            rule.evaluate("f", &many, &options).unwrap_err(),
            EXCEEDED,
            "{op}"
        );
    }
}

/// `some` nested three deep over `list`, each element failing (`missing` keeps every level
/// from being folded at load).
fn nested_some(list: Json) -> Json {
    let mut mapper = json!({ "!": [{ "missing": ["absent"] }] });
    for _ in 0..3 {
        mapper = json!({ "some": [list.clone(), mapper] });
    }
    mapper
}

#[test]
fn nested_iterations_stop_at_the_step_budget() {
    // 100^3 = 1,000,000 mapper calls, ten times the default budget.
    let hundred: Vec<u32> = (0..100).collect();
    let rule = compile(&nested_some(json!(hundred)));
    assert!(rule.metered());
    let options = EngineOptions::default();
    let empty = Context::default();
    let mut cx = eval::Cx::new(&empty, "f", FractionalVersion::V2, rule.meter);
    assert_eq!(
        eval::eval(&rule.expr, &mut cx, &Val::Root).unwrap_err(),
        EXCEEDED
    );
    assert_eq!(cx.meter.steps_left(), 0);
    assert_eq!(
        rule.evaluate("f", &Context::default(), &options)
            .unwrap_err(),
        EXCEEDED
    );
    // With ten elements it completes, in one step per element visited.
    let ten: Vec<u32> = (0..10).collect();
    let rule = compile(&nested_some(json!(ten)));
    let ctx = Context::default();
    let mut cx = eval::Cx::new(&ctx, "f", FractionalVersion::V2, rule.meter);
    let result = eval::eval(&rule.expr, &mut cx, &Val::Root).unwrap();
    assert!(matches!(result, Val::Bool(false)));
    assert_eq!(
        u64::from(Budget::default().steps) - cx.meter.steps_left(),
        10 + 100 + 1000
    );
}

#[test]
fn the_budget_option_changes_the_outcome() {
    let rule = json!({ "map": [{ "var": "items" }, { "+": [{ "var": "" }, 1] }] });
    let items = context(json!({ "items": (0..20).collect::<Vec<_>>() }));
    let tight = EngineOptions::default().with_budget(Budget::new(10, 1 << 20));
    let compiled = Rule::compile(&rule, &BTreeMap::new(), &tight).unwrap();
    assert_eq!(
        compiled.evaluate("f", &items, &tight).unwrap_err(),
        EXCEEDED
    );
    let compiled = compile(&rule);
    assert!(
        compiled
            .evaluate("f", &items, &EngineOptions::default())
            .is_ok()
    );
    // Bytes: each mapped value is a slot of the list built.
    let bytes = EngineOptions::default().with_budget(Budget::new(1000, 64));
    let compiled = Rule::compile(&rule, &BTreeMap::new(), &bytes).unwrap();
    assert_eq!(
        compiled.evaluate("f", &items, &bytes).unwrap_err(),
        EXCEEDED
    );
}

#[test]
fn rules_without_loops_are_not_metered() {
    for rule in [
        json!({ "if": [{ "ends_with": [{ "var": "email" }, "@example.com"] }, "a", "b"] }),
        json!({ "fractional": [["a", 50], ["b", 50]] }),
        json!({ "in": [{ "var": "plan" }, ["gold", "silver"]] }),
        json!({ "cat": [{ "var": "a" }, { "var": "b" }] }),
        json!({ "sem_ver": [{ "var": "v" }, ">=", "1.2.0"] }),
    ] {
        assert!(!compile(&rule).metered(), "{rule}");
    }
    for rule in [
        json!({ "some": [{ "var": "groups" }, { "==": [{ "var": "" }, "beta"] }] }),
        json!({ "if": [{ "map": [{ "var": "l" }, 1] }, "a", "b"] }),
    ] {
        assert!(compile(&rule).metered(), "{rule}");
    }
}

/// A rule nesting `levels` `and`s, each with `width` constant operations before the next
/// level, and a `var` at the bottom: no level is constant, each holds constant parts that a walk
/// from any level above visits.
fn deep_and_wide(levels: usize, width: usize) -> Json {
    let mut rule = json!({ "var": "x" });
    for _ in 0..levels {
        let mut operands: Vec<Json> = (0..width).map(|i| json!({ "+": [i, 1] })).collect();
        operands.push(rule);
        rule = json!({ "and": operands });
    }
    rule
}

#[test]
fn constancy_is_worked_out_a_bounded_number_of_times_per_node() {
    // Up to 60 levels of `and` (120 of nesting, past what a document may hold, to show the
    // bound does not depend on depth).
    for (levels, width) in [(5, 100), (30, 100), (60, 100)] {
        let rule = deep_and_wide(levels, width);
        let nodes = Size::of(&rule).nodes;
        let evaluators = BTreeMap::new();
        let mut library = Library::new(&evaluators);
        let mut compiler = Compiler::new(&mut library, EngineOptions::default(), &rule);
        compiler.rule().unwrap();
        // Each level above the memo's depth walks what is below it; without the memo, every
        // level would: about levels / 2 × nodes.
        assert!(
            compiler.visits <= 8 * nodes,
            "{levels} levels: {} visits for {nodes} nodes",
            compiler.visits,
        );
    }
}

#[test]
fn evaluators_used_many_times_are_copied_up_to_an_allowance_then_shared() {
    // An evaluator of ~2,000 nodes, used 1,000 times: 2,000,000 nodes if copied into the rule.
    let big: Vec<Json> = (0..1000)
        .map(|i| json!({ "==": [{ "var": "n" }, i] }))
        .collect();
    let evaluators: BTreeMap<String, Json> = [("big".to_owned(), json!({ "or": big }))].into();
    let uses: Vec<Json> = (0..1000).map(|_| json!({ "$ref": "big" })).collect();
    let rule = json!({ "and": uses });
    let mut library = Library::new(&evaluators);
    let compiled = Rule::compile_in(&rule, &mut library, &EngineOptions::default()).unwrap();
    assert!(compiled.metered());
    let size = Size::of(&evaluators["big"]);
    let copies = super::library::inline_allowance() / size.nodes + 1;
    assert!(copies < 20, "{copies}");
    // The evaluator is compiled once more for sharing, whatever the number of uses.
    assert_eq!(super::library::shared_count(&library), 1);
    // Evaluated: each shared use charges the evaluator's size. 1,000 uses × 2,000 nodes pass
    // the default budget; a context that fails the first use stops early and is answered.
    let options = EngineOptions::default();
    let early = context(json!({ "n": -1 }));
    assert!(matches!(
        compiled.evaluate("f", &early, &options),
        Ok(Val::Bool(false))
    ));
    let all = context(json!({ "n": 999 }));
    assert_eq!(
        compiled.evaluate("f", &all, &options).unwrap_err(),
        EXCEEDED
    );
    // Few uses are copied into the rule as before: not metered, same answers.
    let rule = json!({ "and": [{ "$ref": "big" }, { "$ref": "big" }] });
    let compiled = Rule::compile(&rule, &evaluators, &options).unwrap();
    assert!(!compiled.metered());
    assert!(matches!(
        compiled.evaluate("f", &all, &options),
        Ok(Val::Bool(true))
    ));
}

#[test]
fn suggestions_draw_from_one_budget_per_configuration() {
    let evaluators: BTreeMap<String, Json> = (0..2000)
        .map(|i| (format!("segment-{i:04}"), json!({ "var": "x" })))
        .collect();
    let mut library = Library::new(&evaluators);
    let options = EngineOptions::default();
    let mut suggested = Vec::new();
    let rules: Vec<Json> = (0..200)
        .map(|i| json!({ "$ref": format!("segment-{i:04}x") }))
        .collect();
    for rule in &rules {
        let message = Rule::compile_in(rule, &mut library, &options).unwrap_err();
        suggested.push(message.contains("did you mean"));
    }
    // The first ones are suggested, until the configuration's budget is spent.
    assert!(suggested[0], "no suggestion at all");
    assert!(!suggested[199], "the budget never ran out");
    assert_eq!(super::library::suggestion_work_left(&library), 0);
}

#[test]
fn messages_quote_excerpts_of_long_names_and_values() {
    let long = "q".repeat(1_000_000);
    let mut operation = serde_json::Map::new();
    operation.insert(long.clone(), json!([1]));
    let unknown = Rule::compile(
        &json!({ "if": [Json::Object(operation), "a"] }),
        &BTreeMap::new(),
        &EngineOptions::default(),
    )
    .unwrap_err();
    assert!(
        unknown.starts_with("unknown operator `qqqq"),
        "{unknown:.100}"
    );
    assert!(unknown.len() < 200, "{} bytes", unknown.len());
    let missing = Rule::compile(
        &json!({ "$ref": long }),
        &BTreeMap::new(),
        &EngineOptions::default(),
    )
    .unwrap_err();
    assert!(missing.len() < 200, "{} bytes", missing.len());
    let failing = Rule::compile(
        &json!({ "if": [{ "/": [{ "cat": [long] }, 0] }, "a"] }),
        &BTreeMap::new(),
        &EngineOptions::default(),
    )
    .unwrap_err();
    assert!(
        failing.len() < 200,
        "{} bytes: {failing:.100}",
        failing.len()
    );
    let keys: serde_json::Map<String, Json> =
        (0..10_000).map(|i| (format!("k{i}"), json!(1))).collect();
    let many = Rule::compile(
        &Json::Object(keys),
        &BTreeMap::new(),
        &EngineOptions::default(),
    )
    .unwrap_err();
    assert!(many.ends_with("and 9997 more"), "{many}");
}

#[test]
fn long_var_paths_and_strings_compile_in_one_pass() {
    // 100,000 segments: split once, walked per evaluation without copying.
    let path = vec!["a"; 100_000].join(".");
    let rule = compile(&json!({ "var": path }));
    assert!(!rule.metered());
    let ctx = context(json!({ "a": { "a": 1 } }));
    assert!(matches!(
        rule.evaluate("f", &ctx, &EngineOptions::default()),
        Ok(Val::Null)
    ));
    let long = "s".repeat(1_000_000);
    let rule = compile(&json!({ "==": [{ "var": "s" }, long] }));
    let ctx = context(json!({ "s": "s".repeat(1_000_000) }));
    assert!(matches!(
        rule.evaluate("f", &ctx, &EngineOptions::default()),
        Ok(Val::Bool(true))
    ));
}

#[test]
fn configurations_nesting_past_the_limit_are_refused_however_they_were_read() {
    // A manifest built without `validate` (as a lenient reader may hand it over).
    let mut rule = json!({ "var": "x" });
    for _ in 0..40 {
        rule = json!({ "!": [rule] });
    }
    let mut flag = flags_schema::Flag::new(flags_schema::FlagType::Boolean, None);
    flag.variants = [("on".to_owned(), json!(true))].into();
    flag.targeting = Some(flags_schema::Targeting::flagd(rule.clone()));
    let mut manifest = flags_schema::Manifest::new();
    manifest.flags.insert("deep".to_owned(), flag);
    let decoders = std::sync::Arc::default();
    let error = crate::engine::Snapshot::compile(&manifest, &decoders, &EngineOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("flag `deep`: `targeting.![0].![0]"),
        "{error}"
    );
    manifest.flags.get_mut("deep").unwrap().targeting = None;
    manifest.evaluators.insert("staff".to_owned(), rule);
    let error = crate::engine::Snapshot::compile(&manifest, &decoders, &EngineOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("`$evaluators.staff.![0]"), "{error}");
}
