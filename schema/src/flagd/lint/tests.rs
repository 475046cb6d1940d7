//! The lint's warnings, rule by rule, and their bounds.

use serde_json::json;

use super::*;
use crate::findings::PER_FLAG;

fn evaluators() -> BTreeMap<String, Value> {
    [(
        "staff".to_owned(),
        json!({ "ends_with": [{ "var": "email" }, "@example.com"] }),
    )]
    .into()
}

/// The one warning of `rule`: its kind and message.
fn warned(rule: Value) -> (WarningKind, String) {
    let warnings = lint_targeting(&rule, &evaluators());
    assert_eq!(warnings.len(), 1, "{rule}: {warnings:?}");
    let warning = warnings.into_iter().next().unwrap();
    (warning.kind, warning.message)
}

fn null(rule: Value, fragment: &str) {
    let (kind, message) = warned(rule.clone());
    assert_eq!(kind, WarningKind::AlwaysNull, "{rule}: {message}");
    assert!(message.contains(fragment), "{rule}: {message}");
    assert!(
        message.ends_with(": it is always null"),
        "{rule}: {message}"
    );
}

fn clean(rule: Value) {
    let warnings = lint_targeting(&rule, &evaluators());
    assert!(warnings.is_empty(), "{rule}: {warnings:?}");
}

#[test]
fn string_comparisons() {
    clean(json!({ "starts_with": [{ "var": "id" }, "abc"] }));
    clean(json!({ "ends_with": ["abc", { "cat": ["a", "b"] }] }));
    // The list may be computed: judged when evaluated.
    clean(json!({ "ends_with": { "var": "pair" } }));
    null(
        json!({ "starts_with": [{ "var": "email" }] }),
        "`starts_with` takes 2 arguments `[string, prefix]`, found 1",
    );
    null(json!({ "ends_with": ["a", "b", "c"] }), "found 3");
    null(
        json!({ "ends_with": "abc" }),
        "`ends_with` takes `[string, suffix]`, found a string",
    );
    null(
        json!({ "ends_with": [{ "var": "id" }, 0] }),
        "the second argument of `ends_with` is an integer (`0`), not a string",
    );
    null(
        json!({ "starts_with": [null, "a"] }),
        "the first argument of `starts_with` is null",
    );
    null(json!({ "starts_with": [["a"], "a"] }), "is an array");
    // In one branch of an `if`: the rest of the rule is fine.
    null(
        json!({ "if": [{ "==": [{ "var": "plan" }, "pro"] }, "a", { "starts_with": [{ "var": "email" }] }, "b", "c"] }),
        "found 1",
    );
}

#[test]
fn sem_ver() {
    for version in [
        "1.2.3",
        "v1.2",
        "V1",
        "2.0.0-beta.1+build.5",
        "1.0.0+20130313144700",
    ] {
        clean(json!({ "sem_ver": [{ "var": "version" }, ">=", version] }));
        clean(json!({ "sem_ver": [version, "^", { "var": "version" }] }));
    }
    clean(json!({ "sem_ver": [1, "=", 1.2] }));
    clean(json!({ "sem_ver": ["1.0.0", { "var": "op" }, "1.0.0"] }));
    for version in [
        "", "1..2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3+", "v", "01.2.3",
    ] {
        null(
            json!({ "sem_ver": [{ "var": "version" }, "=", version] }),
            "is not a version `sem_ver` reads",
        );
    }
    null(
        json!({ "sem_ver": [null, "=", "1.0.0"] }),
        "`null` is not a version",
    );
    null(
        json!({ "sem_ver": [-1, "=", "1.0.0"] }),
        "`-1` is not a version",
    );
    null(
        json!({ "sem_ver": ["1.0.0", "="] }),
        "`sem_ver` takes 3 arguments `[version, operator, version]`, found 2",
    );
    null(
        json!({ "sem_ver": "1.0.0" }),
        "takes `[version, operator, version]`, found a string",
    );
    for op in ["==", "<>", "", "=~", "*"] {
        null(
            json!({ "sem_ver": ["1.0.0", op, { "var": "version" }] }),
            &format!("unknown `sem_ver` operator `{op}`"),
        );
    }
    null(
        json!({ "sem_ver": ["1.0.0", 1, "1.0.0"] }),
        "unknown `sem_ver` operator `1`",
    );
}

#[test]
fn fractional() {
    for ok in [
        json!({ "fractional": [["a"]] }),
        json!({ "fractional": [["a", 25.0], ["b", 0]] }),
        json!({ "fractional": [{ "var": "email" }, ["a", { "var": "w" }], ["b", 1]] }),
        json!({ "fractional": [["a", 2_147_483_646], ["b"]] }),
        json!({ "fractional": [null, ["a", 1], ["b", 1]] }),
        json!({ "fractional": [["a", { "-": [0, 5] }]] }),
        json!({ "fractional": { "var": "buckets" } }),
    ] {
        clean(ok);
    }
    null(json!({ "fractional": [] }), "needs at least one bucket");
    null(json!({ "fractional": "a" }), "found a string");
    null(
        json!({ "fractional": [5, ["a", 1]] }),
        "starts with an integer (`5`), which is neither",
    );
    null(
        json!({ "fractional": [["a", 1, 2]] }),
        "found an array of 3 elements",
    );
    null(
        json!({ "fractional": [[]] }),
        "found an array of 0 elements",
    );
    null(
        json!({ "fractional": [["a", 1], "b"] }),
        "a `fractional` bucket is `[variant, weight]`, found a string",
    );
    null(json!({ "fractional": [["a", 1], null] }), "found null");
    null(
        json!({ "fractional": [["a", 0.5]] }),
        "a `fractional` weight is a whole number, found a float (`0.5`)",
    );
    null(
        json!({ "fractional": [["a", "10"]] }),
        "found a string (`\"10\"`)",
    );
    null(json!({ "fractional": [["a", true]] }), "found a boolean");
    null(
        json!({ "fractional": [[["a"], 1]] }),
        "the variant of a `fractional` bucket is a string",
    );
    null(
        json!({ "fractional": [["a", 2_147_483_647], ["b"]] }),
        "sum to more than 2,147,483,647",
    );
    null(json!({ "fractional": [["a", 0], ["b", 0]] }), "sum to 0");
    null(json!({ "fractional": ["key"] }), "sum to 0");
    let (kind, message) = warned(json!({ "fractional": [["a", 25], ["b", -25], ["c", 25]] }));
    assert_eq!(kind, WarningKind::Suspicious);
    assert_eq!(
        message,
        "the weight of variant `b` is negative (`-25`): it counts as 0"
    );
    let (kind, message) = warned(json!({ "fractional": ["fixed-key", ["a", 1], ["b", 1]] }));
    assert_eq!(kind, WarningKind::Suspicious);
    assert!(
        message
            .contains("buckets by the literal `fixed-key`: every subject lands in the same bucket")
    );
    // Null beats suspicious: only the worse problem of a call is reported.
    null(json!({ "fractional": [["a", -1], ["b", 0]] }), "sum to 0");
}

#[test]
fn operators_references_and_properties() {
    let parse = |rule: Value, fragment: &str| {
        let (kind, message) = warned(rule.clone());
        assert_eq!(kind, WarningKind::ParseError, "{rule}: {message}");
        assert!(message.contains(fragment), "{rule}: {message}");
    };
    clean(json!({ "if": [{ "$ref": "staff" }, "on", null] }));
    clean(json!({ "?:": [{ "not": [true] }, "on", "off"] }));
    parse(
        json!({ "if": [{ "and": [{ "nope": [] }] }, "a"] }),
        "unknown operator `nope`",
    );
    parse(
        json!({ "startsWith": ["a", "b"] }),
        "unknown operator `startsWith` (did you mean `starts_with`?)",
    );
    parse(
        json!({ "$ref": "staf" }),
        "`$ref` names evaluator `staf`, which `$evaluators` does not define (did you mean `staff`?)",
    );
    parse(
        json!({ "$ref": ["staff"] }),
        "`$ref` takes the name of an evaluator, found an array",
    );
    parse(
        json!({ "==": [1, 1], "!=": [1, 2] }),
        "one key, the operator; found `!=`, `==`",
    );
    let (kind, message) = warned(json!({ "if": [{ "var": "$flagd.nope" }, "a", "b"] }));
    assert_eq!(kind, WarningKind::Suspicious);
    assert!(message.starts_with("`$flagd.nope` is not a property flagd provides"));
    for ok in [
        json!({ "var": "$flagd.flagKey" }),
        json!({ "var": ["$flagd.timestamp", 0] }),
        json!({ "var": "$flagdish" }),
        json!({ "var": 0 }),
    ] {
        clean(ok);
    }
    // Problems inside computed arguments are found too.
    null(
        json!({ "var": { "cat": [{ "sem_ver": ["1", "?", "2"] }] } }),
        "unknown `sem_ver` operator `?`",
    );
}

#[test]
fn targeting_that_is_not_an_object() {
    for ignored in [json!(true), json!(1), json!(""), json!([])] {
        let (kind, message) = warned(ignored.clone());
        assert_eq!(kind, WarningKind::Suspicious);
        assert!(
            message.ends_with("flagd ignores it"),
            "{ignored}: {message}"
        );
    }
    let (_, message) = warned(json!("on"));
    assert!(
        message.ends_with("flagd evaluates it as a value"),
        "{message}"
    );
}

#[test]
fn evaluators_are_reported_under_the_flags_using_them() {
    let flag = |targeting: Value| json!({ "state": "ENABLED", "variants": { "a": true, "b": false }, "targeting": targeting });
    let manifest = crate::flagd::import(
        &json!({
            "flags": {
                "one": flag(json!({ "if": [{ "$ref": "bad" }, "a", "b"] })),
                "two": flag(json!({ "and": [{ "$ref": "bad" }, { "$ref": "bad" }] })),
                "three": flag(json!({ "$ref": "nested" })),
            },
            "$evaluators": {
                "bad": { "sem_ver": [{ "var": "v" }, "=>", "1.0.0"] },
                "nested": { "$ref": "bad" },
                "unused": { "starts_with": [1, "a"] },
                "fine": { "var": "x" }
            }
        }),
        "flags.json",
    )
    .unwrap();
    let warnings: Vec<String> = lint(&manifest).iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "flag `one`: in evaluator `bad`: unknown `sem_ver` operator `=>`; expected one of `=`, `!=`, `<`, `<=`, `>`, `>=`, `^`, `~`: it is always null",
            "flag `three`: in evaluator `nested`: `$ref` to `bad` inside evaluator `nested`: flagd does not resolve references inside evaluators, so a rule using it cannot be evaluated",
            "flag `two`: in evaluator `bad`: unknown `sem_ver` operator `=>`; expected one of `=`, `!=`, `<`, `<=`, `>`, `>=`, `^`, `~`: it is always null",
            "evaluator `unused`: the first argument of `starts_with` is an integer (`1`), not a string: it is always null",
        ]
    );
}

#[test]
fn reports_are_bounded_and_short() {
    let calls: Vec<Value> = (0..50)
        .map(|i| json!({ "sem_ver": [i, "?", "1"] }))
        .collect();
    let manifest = crate::flagd::import(
        &json!({ "flags": { "f": { "state": "ENABLED", "variants": { "a": 1 }, "targeting": { "and": calls } } } }),
        "flags.json",
    )
    .unwrap();
    let warnings = lint(&manifest);
    assert_eq!(warnings.len(), PER_FLAG + 1);
    assert_eq!(warnings[PER_FLAG].message, "and 45 more problems");
    let long = "x".repeat(10_000);
    let (_, message) = warned(json!({ "sem_ver": [long, "=", "1.0.0"] }));
    assert!(message.len() < 200, "{message}");
}

#[test]
fn a_shared_broken_evaluator_is_reported_within_bounds() {
    // 300 flags share an evaluator with 300 malformed calls, and each refers to a missing
    // evaluator too: every flag gets its first problems and a count, and only the first
    // `SUGGESTIONS` missing names get a suggestion.
    let calls: Vec<Value> = (0..300)
        .map(|i| json!({ "starts_with": [i, "a"] }))
        .collect();
    let flags: serde_json::Map<String, Value> = (0..300)
        .map(|i| {
            let flag = json!({
                "state": "ENABLED", "variants": { "a": 1 },
                "targeting": { "and": [{ "$ref": format!("shard{i}") }, { "$ref": "shared" }] }
            });
            (format!("f{i:03}"), flag)
        })
        .collect();
    let manifest = crate::flagd::import(
        &json!({ "flags": flags, "$evaluators": { "shared": { "or": calls }, "shard": true } }),
        "flags.json",
    )
    .unwrap();
    let warnings = lint(&manifest);
    assert_eq!(warnings.len(), 300 * (PER_FLAG + 1));
    for per_flag in warnings.chunks(PER_FLAG + 1) {
        assert_eq!(per_flag[PER_FLAG].message, "and 296 more problems");
    }
    let suggested = warnings
        .iter()
        .filter(|w| w.message.contains("did you mean `shard`?"))
        .count();
    assert_eq!(suggested, SUGGESTIONS);
}
