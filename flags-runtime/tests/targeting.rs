//! Targeting rules evaluated in process (flagd's rule language and operators), end to end
//! through a client: values, variants, reasons and error codes, for every operator, with the
//! reference evaluator's (`@openfeature/flagd-core`) coercions; and the flagd-schemas
//! targeting fixtures.

use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex};

use flags_runtime::{
    Client, Context, ErrorCode, EvaluationDetails, FlagKey, LoadWarning, ProviderEvent, Reason,
    Value, WarningKind, source,
};
use serde_json::{Value as Json, json};

/// A client over one flag `f` with string variants `a`, `b`, `c` (values `A`, `B`, `C`) and
/// the variants `true`, `false`, `1` (for results that are not strings), default variant `a`.
fn client_for(rule: Json) -> Client {
    client_with(rule, json!("a"), &json!({}))
}

fn client_with(rule: Json, default_variant: Json, evaluators: &Json) -> Client {
    let config = json!({
        "$evaluators": evaluators,
        "flags": { "f": {
            "state": "ENABLED",
            "variants": { "a": "A", "b": "B", "c": "C", "true": "T", "false": "F", "1": "ONE" },
            "defaultVariant": default_variant,
            "targeting": rule,
        } }
    });
    Client::builder()
        .in_process(source::json(config.to_string()))
        .build()
        .unwrap()
}

fn details(client: &Client, ctx: &Context) -> EvaluationDetails<String> {
    client.details(FlagKey::<String>::new("f", "code".to_owned()), ctx)
}

/// The context of a JSON object; `targetingKey` becomes the targeting key.
fn ctx(attributes: Json) -> Context {
    attributes
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect()
}

/// `(value, variant, reason, error code)`.
fn outcome(d: &EvaluationDetails<String>) -> (String, Option<String>, Reason, Option<ErrorCode>) {
    (
        d.value.clone(),
        d.variant.as_deref().map(str::to_owned),
        d.reason.clone(),
        d.error_code(),
    )
}

/// Asserts the rule picks `variant` (reason TARGETING_MATCH) for each context.
fn picks(rule: Json, cases: &[(Json, &str)]) {
    let client = client_for(rule.clone());
    for (attributes, variant) in cases {
        let d = details(&client, &ctx(attributes.clone()));
        let value = match *variant {
            "a" => "A",
            "b" => "B",
            "c" => "C",
            "true" => "T",
            "false" => "F",
            "1" => "ONE",
            other => panic!("no variant {other}"),
        };
        assert_eq!(
            outcome(&d),
            (
                value.to_owned(),
                Some((*variant).to_owned()),
                Reason::TargetingMatch,
                None
            ),
            "{rule} with {attributes}: {:?}",
            d.error_message()
        );
    }
}

/// Asserts the rule gives null for the context: the default variant `a`, reason DEFAULT.
fn defaults(rule: Json, attributes: Json) {
    let d = details(&client_for(rule.clone()), &ctx(attributes.clone()));
    assert_eq!(
        outcome(&d),
        ("A".to_owned(), Some("a".to_owned()), Reason::Default, None),
        "{rule} with {attributes}"
    );
}

/// Asserts evaluation fails with `code`: the code default, reason ERROR.
fn fails(rule: Json, attributes: Json, code: ErrorCode) {
    let d = details(&client_for(rule.clone()), &ctx(attributes.clone()));
    assert_eq!(
        outcome(&d),
        ("code".to_owned(), None, Reason::Error, Some(code)),
        "{rule} with {attributes}"
    );
    assert!(
        d.error_message().unwrap().contains("`f`"),
        "{:?}",
        d.error_message()
    );
}

#[test]
fn var_reads_attributes_paths_indexes_and_defaults() {
    picks(
        json!({ "var": "plan" }),
        &[(json!({ "plan": "b" }), "b"), (json!({ "plan": "c" }), "c")],
    );
    picks(
        json!({ "var": "user.tier" }),
        &[(json!({ "user": { "tier": "c" } }), "c")],
    );
    picks(
        json!({ "var": "tiers.1" }),
        &[(json!({ "tiers": ["a", "b"] }), "b")],
    );
    picks(
        json!({ "var": ["plan", "c"] }),
        &[(json!({}), "c"), (json!({ "plan": null }), "c")],
    );
    picks(
        json!({ "var": "targetingKey" }),
        &[(json!({ "targetingKey": "b" }), "b")],
    );
    // A computed path.
    picks(
        json!({ "var": { "cat": ["by-", { "var": "field" }] } }),
        &[(json!({ "field": "x", "by-x": "c" }), "c")],
    );
    // Missing attributes are null: the default variant.
    defaults(json!({ "var": "plan" }), json!({}));
    defaults(json!({ "var": "user.tier" }), json!({ "user": "flat" }));
    // Strings have a length, in UTF-16 units as in JavaScript.
    picks(
        json!({ "var": "name.length" }),
        &[(json!({ "name": "é" }), "1")],
    );
}

#[test]
fn flagd_properties_are_in_the_context() {
    picks(
        json!({ "if": [{ "==": [{ "var": "$flagd.flagKey" }, "f"] }, "b", "a"] }),
        &[(json!({}), "b")],
    );
    // A user-supplied `$flagd` is overwritten.
    picks(
        json!({ "if": [{ "==": [{ "var": "$flagd.flagKey" }, "f"] }, "b", "a"] }),
        &[(json!({ "$flagd": { "flagKey": "other" } }), "b")],
    );
    // The timestamp is now, in seconds.
    picks(
        json!({ "if": [{ ">": [{ "var": "$flagd.timestamp" }, 1_700_000_000] }, "b", "a"] }),
        &[(json!({}), "b")],
    );
    picks(
        json!({ "if": [{ "<": [{ "var": "$flagd.timestamp" }, 4_000_000_000_u64] }, "b", "a"] }),
        &[(json!({}), "b")],
    );
}

#[test]
fn if_chains_and_short_forms() {
    let chain = json!({ "if": [
        { "==": [{ "var": "tier" }, 1] }, "a",
        { "==": [{ "var": "tier" }, 2] }, "b",
        "c"
    ] });
    picks(
        chain,
        &[
            (json!({ "tier": 1 }), "a"),
            (json!({ "tier": 2 }), "b"),
            (json!({ "tier": 3 }), "c"),
            (json!({}), "c"),
        ],
    );
    // Without an else branch: null, the default variant.
    picks(
        json!({ "if": [{ "var": "beta" }, "b"] }),
        &[(json!({ "beta": true }), "b")],
    );
    defaults(
        json!({ "if": [{ "var": "beta" }, "b"] }),
        json!({ "beta": false }),
    );
    picks(
        json!({ "if": [{ "var": "v" }] }),
        &[(json!({ "v": "c" }), "c")],
    );
}

#[test]
fn comparisons_coerce_like_javascript() {
    let eq = |left: Json, right: Json| json!({ "if": [{ "==": [left, right] }, "b", "c"] });
    picks(
        eq(json!({ "var": "n" }), json!(1)),
        &[(json!({ "n": "1" }), "b"), (json!({ "n": 2 }), "c")],
    );
    picks(
        eq(json!({ "var": "n" }), json!(true)),
        &[(json!({ "n": 1 }), "b")],
    );
    // A missing attribute compared with 0: the reference evaluator's compiled comparison
    // treats null and 0 alike.
    picks(eq(json!({ "var": "n" }), json!(0)), &[(json!({}), "b")]);
    picks(
        json!({ "if": [{ "===": [{ "var": "n" }, 1] }, "b", "c"] }),
        &[(json!({ "n": 1.0 }), "b"), (json!({ "n": "1" }), "c")],
    );
    picks(
        json!({ "if": [{ "!==": [{ "var": "n" }, "1"] }, "b", "c"] }),
        &[(json!({ "n": 1 }), "b")],
    );
    picks(
        json!({ "if": [{ "!=": [{ "var": "n" }, "x"] }, "b", "c"] }),
        &[(json!({ "n": "y" }), "b"), (json!({ "n": "x" }), "c")],
    );
    let adult = json!({ "if": [{ ">=": [{ "var": "age" }, 18] }, "b", "c"] });
    picks(
        adult,
        &[
            (json!({ "age": 30 }), "b"),
            (json!({ "age": "18" }), "b"),
            (json!({ "age": 17.5 }), "c"),
            (json!({}), "c"),
        ],
    );
    // Between: `<` and `<=` with three operands.
    picks(
        json!({ "if": [{ "<": [1, { "var": "n" }, 10] }, "b", "c"] }),
        &[
            (json!({ "n": 5 }), "b"),
            (json!({ "n": 10 }), "c"),
            (json!({ "n": 1 }), "c"),
        ],
    );
    picks(
        json!({ "if": [{ "<=": [1, { "var": "n" }, 10] }, "b", "c"] }),
        &[(json!({ "n": 10 }), "b"), (json!({ "n": "1" }), "b")],
    );
    // Strings compare as strings.
    picks(
        json!({ "if": [{ "<": [{ "var": "s" }, "m"] }, "b", "c"] }),
        &[
            (json!({ "s": "apple" }), "b"),
            (json!({ "s": "zebra" }), "c"),
        ],
    );
    // A string that is not a number against a number: the evaluation fails.
    fails(
        json!({ "if": [{ "<": [{ "var": "age" }, 18] }, "b", "c"] }),
        json!({ "age": "old" }),
        ErrorCode::General,
    );
}

#[test]
fn logic_returns_the_deciding_operand() {
    picks(
        json!({ "or": [{ "var": "x" }, "c"] }),
        &[(json!({ "x": "b" }), "b"), (json!({ "x": "" }), "c")],
    );
    picks(
        json!({ "and": [{ "var": "x" }, "c"] }),
        &[(json!({ "x": "b" }), "c")],
    );
    // `and` stops at the first falsy operand, and returns it: `false` names a variant.
    picks(
        json!({ "and": [{ "var": "x" }, "c"] }),
        &[(json!({ "x": false }), "false")],
    );
    picks(
        json!({ "if": [{ "!": { "var": "list" } }, "b", "c"] }),
        &[(json!({ "list": [] }), "b"), (json!({ "list": [0] }), "c")],
    );
    picks(
        json!({ "!!": [{ "var": "x" }] }),
        &[(json!({ "x": "y" }), "true"), (json!({ "x": 0 }), "false")],
    );
}

#[test]
fn arithmetic_and_number_results() {
    // A number names the variant it prints as.
    picks(
        json!({ "+": [{ "var": "n" }, 1] }),
        &[(json!({ "n": 0 }), "1"), (json!({ "n": "0" }), "1")],
    );
    picks(
        json!({ "-": [{ "var": "n" }, 1] }),
        &[(json!({ "n": 2 }), "1")],
    );
    picks(
        json!({ "*": [{ "var": "n" }, 2] }),
        &[(json!({ "n": 0.5 }), "1")],
    );
    picks(
        json!({ "/": [{ "var": "n" }, 4] }),
        &[(json!({ "n": "4" }), "1")],
    );
    picks(
        json!({ "%": [{ "var": "n" }, 2] }),
        &[(json!({ "n": 7 }), "1")],
    );
    picks(
        json!({ "max": [{ "var": "n" }, 0] }),
        &[(json!({ "n": 1 }), "1")],
    );
    picks(
        json!({ "min": [{ "var": "n" }, 5] }),
        &[(json!({ "n": 1 }), "1")],
    );
    // Division by zero and non-numbers fail the evaluation.
    fails(
        json!({ "/": [1, { "var": "n" }] }),
        json!({ "n": 0 }),
        ErrorCode::General,
    );
    fails(
        json!({ "+": [{ "var": "n" }, 1] }),
        json!({ "n": "x" }),
        ErrorCode::General,
    );
    fails(
        json!({ "max": [{ "var": "n" }, 1] }),
        json!({ "n": "5" }),
        ErrorCode::General,
    );
    // A number that is not a variant name.
    fails(
        json!({ "+": [{ "var": "n" }, 1] }),
        json!({ "n": 1.5 }),
        ErrorCode::General,
    );
}

#[test]
fn strings() {
    picks(
        json!({ "cat": ["", { "var": "v" }] }),
        &[(json!({ "v": "b" }), "b"), (json!({ "v": 1 }), "1")],
    );
    picks(
        json!({ "substr": [{ "var": "s" }, -1] }),
        &[(json!({ "s": "xxb" }), "b")],
    );
    picks(
        json!({ "substr": [{ "var": "s" }, 1, 1] }),
        &[(json!({ "s": "xcx" }), "c")],
    );
    picks(
        json!({ "substr": [{ "var": "s" }, 1, -1] }),
        &[(json!({ "s": "xbx" }), "b")],
    );
    // Offsets count UTF-16 units.
    picks(
        json!({ "substr": [{ "var": "s" }, 2, 1] }),
        &[(json!({ "s": "😀b" }), "b")],
    );
    picks(
        json!({ "if": [{ "in": [{ "var": "s" }, "abc"] }, "b", "c"] }),
        &[(json!({ "s": "bc" }), "b"), (json!({ "s": "x" }), "c")],
    );
    picks(
        json!({ "if": [{ "in": [{ "var": "s" }, ["x", "y"]] }, "b", "c"] }),
        &[
            (json!({ "s": "y" }), "b"),
            (json!({ "s": "z" }), "c"),
            (json!({}), "c"),
        ],
    );
    fails(
        json!({ "substr": [{ "var": "s" }, 1] }),
        json!({ "s": 5 }),
        ErrorCode::General,
    );
}

#[test]
fn starts_with_and_ends_with() {
    let rule = json!({ "if": [{ "ends_with": [{ "var": "email" }, "@example.com"] }, "b", "c"] });
    picks(
        rule.clone(),
        &[
            (json!({ "email": "ann@example.com" }), "b"),
            (json!({ "email": "ann@other.org" }), "c"),
        ],
    );
    // Not a string: null, so the `if` takes its else branch.
    picks(rule, &[(json!({ "email": 5 }), "c"), (json!({}), "c")]);
    picks(
        json!({ "if": [{ "starts_with": [{ "var": "id" }, "ü-"] }, "b", "c"] }),
        &[(json!({ "id": "ü-1" }), "b"), (json!({ "id": "u-1" }), "c")],
    );
    // A bare custom operator on bad input gives null: the default variant, reason DEFAULT.
    defaults(
        json!({ "ends_with": [{ "var": "email" }, "@example.com"] }),
        json!({}),
    );
}

#[test]
fn sem_ver_comparisons() {
    let rule = |op: &str, version: &str| json!({ "if": [{ "sem_ver": [{ "var": "version" }, op, version] }, "b", "c"] });
    picks(
        rule(">=", "1.2.0"),
        &[
            (json!({ "version": "1.10.0" }), "b"),
            (json!({ "version": "1.1.9" }), "c"),
        ],
    );
    picks(
        rule("^", "2.0.0"),
        &[
            (json!({ "version": "v2.9" }), "b"),
            (json!({ "version": "3.0.0" }), "c"),
        ],
    );
    picks(
        rule("~", "2.1.0"),
        &[
            (json!({ "version": "2.1.7" }), "b"),
            (json!({ "version": "2.2.0" }), "c"),
        ],
    );
    picks(
        rule("<", "2.0.0"),
        &[(json!({ "version": "2.0.0-beta.1" }), "b")],
    );
    picks(rule("=", "1.0.0"), &[(json!({ "version": 1 }), "b")]);
    defaults(
        json!({ "sem_ver": [{ "var": "version" }, "=", "1.0.0"] }),
        json!({ "version": "one" }),
    );
}

#[test]
fn missing_and_missing_some() {
    picks(
        json!({ "if": [{ "missing": ["a", "b"] }, "c", "b"] }),
        &[
            (json!({ "a": 1 }), "c"),
            (json!({ "a": 1, "b": null }), "b"),
        ],
    );
    picks(
        json!({ "if": [{ "missing_some": [1, ["a", "b"]] }, "c", "b"] }),
        &[(json!({}), "c"), (json!({ "b": 2 }), "b")],
    );
}

#[test]
fn arrays() {
    let list = |v: Json| json!({ "list": v });
    picks(
        json!({ "if": [{ "some": [{ "var": "list" }, { "==": [{ "var": "" }, "x"] }] }, "b", "c"] }),
        &[(list(json!(["y", "x"])), "b"), (list(json!(["y"])), "c")],
    );
    picks(
        json!({ "if": [{ "all": [{ "var": "list" }, { ">": [{ "var": "" }, 1] }] }, "b", "c"] }),
        &[
            (list(json!([2, 3])), "b"),
            (list(json!([2, 1])), "c"),
            (list(json!([])), "c"),
        ],
    );
    picks(
        json!({ "if": [{ "none": [{ "var": "list" }, { "var": "" }] }, "b", "c"] }),
        &[(list(json!([0, ""])), "b"), (list(json!([1])), "c")],
    );
    picks(
        json!({ "cat": { "map": [{ "var": "list" }, { "substr": [{ "var": "" }, 0, 1] }] } }),
        &[(list(json!(["bx"])), "b")],
    );
    picks(
        json!({ "reduce": [{ "var": "list" }, { "+": [{ "var": "accumulator" }, { "var": "current" }] }, 0] }),
        &[(list(json!([0, 1])), "1")],
    );
    picks(
        json!({ "if": [{ "in": ["c", { "merge": [{ "var": "list" }, ["c"]] }] }, "b", "a"] }),
        &[(list(json!(["x"])), "b")],
    );
    picks(
        json!({ "cat": { "filter": [{ "var": "list" }, { "!=": [{ "var": "" }, "x"] }] } }),
        &[(list(json!(["x", "b", "x"])), "b")],
    );
    // `reduce` of an empty array without initial value fails, as in JavaScript.
    fails(
        json!({ "reduce": [{ "var": "list" }, { "var": "current" }] }),
        list(json!([])),
        ErrorCode::General,
    );
}

#[test]
fn fractional_buckets_by_murmur3() {
    // MurmurHash3("ejOoVL") = 0 falls in the first bucket, "ceQdGm" = 0xFFFFFFFF in the last.
    let rule = json!({ "fractional": [{ "var": "key" }, ["a", 1], ["b", 1], ["c", 1]] });
    picks(
        rule,
        &[
            (json!({ "key": "ejOoVL" }), "a"),
            (json!({ "key": "ceQdGm" }), "c"),
        ],
    );
    // Shorthand: the key is the flag key followed by the targeting key ("f" + "...").
    let shorthand = json!({ "fractional": [["a", 50], ["b", 50]] });
    let client = client_for(shorthand.clone());
    let mut seen = [0usize; 2];
    for i in 0..2000 {
        let d = details(&client, &Context::new(format!("user-{i}")));
        assert_eq!(d.reason, Reason::TargetingMatch);
        seen[usize::from(d.variant.as_deref() == Some("b"))] += 1;
    }
    assert!(seen.iter().all(|n| (900..=1100).contains(n)), "{seen:?}");
    // No targeting key: null, the default variant.
    defaults(shorthand.clone(), json!({}));
    defaults(shorthand, json!({ "targetingKey": "" }));
    // Weights are relative; zero weights never win; all zero is null.
    picks(
        json!({ "fractional": [{ "var": "key" }, ["a", 0], ["b", 3], ["c", 0]] }),
        &[
            (json!({ "key": "ejOoVL" }), "b"),
            (json!({ "key": "ceQdGm" }), "b"),
        ],
    );
    defaults(
        json!({ "fractional": [{ "var": "key" }, ["a", 0], ["b", 0]] }),
        json!({ "key": "x" }),
    );
    // Weights and variants may be rules.
    let dynamic = json!({ "fractional": [
        { "var": "key" },
        [{ "if": [{ "var": "vip" }, "c", "a"] }, { "if": [{ "var": "open" }, 1, 0] }],
        ["b", 1]
    ] });
    picks(
        dynamic,
        &[
            (json!({ "key": "ejOoVL", "vip": true, "open": true }), "c"),
            (json!({ "key": "ejOoVL", "vip": false, "open": true }), "a"),
            (json!({ "key": "ejOoVL", "open": false }), "b"),
        ],
    );
    // Boolean variants name the variants "true" / "false".
    picks(
        json!({ "fractional": [{ "var": "key" }, [true, 1], [false, 1]] }),
        &[
            (json!({ "key": "ejOoVL" }), "true"),
            (json!({ "key": "ceQdGm" }), "false"),
        ],
    );
}

#[test]
fn evaluators_are_substituted() {
    let evaluators = json!({ "staff": { "ends_with": [{ "var": "email" }, "@example.com"] } });
    let client = client_with(
        json!({ "if": [{ "$ref": "staff" }, "b", "c"] }),
        json!("a"),
        &evaluators,
    );
    let staff = details(&client, &ctx(json!({ "email": "x@example.com" })));
    assert_eq!(staff.variant.as_deref(), Some("b"));
    assert_eq!(staff.reason, Reason::TargetingMatch);
    // A reference to no evaluator: the configuration loads, the flag is a PARSE_ERROR.
    let client = client_with(
        json!({ "if": [{ "$ref": "staf" }, "b", "c"] }),
        json!("a"),
        &evaluators,
    );
    let d = details(&client, &Context::anonymous());
    assert_eq!(outcome(&d).3, Some(ErrorCode::ParseError));
    assert!(d.error_message().unwrap().contains("did you mean `staff`?"));
}

#[test]
fn results_map_to_variants() {
    // null with a default variant: DEFAULT with it.
    defaults(json!({ "var": "nothing" }), json!({}));
    // null without a default variant: the code default, reason DEFAULT, no error.
    let client = client_with(json!({ "var": "nothing" }), Json::Null, &json!({}));
    let d = details(&client, &Context::anonymous());
    assert_eq!(
        outcome(&d),
        ("code".to_owned(), None, Reason::Default, None)
    );
    // A string that is not a variant: GENERAL.
    fails(
        json!({ "var": "v" }),
        json!({ "v": "zzz" }),
        ErrorCode::General,
    );
    // Booleans name "true" / "false".
    picks(
        json!({ "==": [{ "var": "v" }, 1] }),
        &[(json!({ "v": 1 }), "true"), (json!({ "v": 2 }), "false")],
    );
    // An unknown operator: PARSE_ERROR at evaluation, the configuration loads.
    fails(
        json!({ "startsWith": [{ "var": "v" }, "a"] }),
        json!({}),
        ErrorCode::ParseError,
    );
    let d = details(
        &client_for(json!({ "startsWith": [1] })),
        &Context::anonymous(),
    );
    assert!(
        d.error_message()
            .unwrap()
            .contains("did you mean `starts_with`?")
    );
    // A constant part that cannot be computed is a PARSE_ERROR too (found when loading).
    fails(
        json!({ "if": [{ "var": "v" }, { "/": [1, 0] }, "b"] }),
        json!({}),
        ErrorCode::ParseError,
    );
}

#[test]
fn disabled_flags_do_not_run_targeting() {
    let config = json!({ "flags": { "f": {
        "state": "DISABLED",
        "variants": { "a": "A" },
        "defaultVariant": "a",
        "targeting": { "unknown": [] }
    } } });
    let client = Client::builder()
        .in_process(source::json(config.to_string()))
        .build()
        .unwrap();
    let d = details(&client, &Context::anonymous());
    assert_eq!(
        outcome(&d),
        ("code".to_owned(), None, Reason::Disabled, None)
    );
}

#[test]
fn metadata_of_targeted_flags_merges_set_and_flag() {
    let config = json!({
        "metadata": { "team": "web", "version": "1" },
        "flags": { "f": {
            "state": "ENABLED",
            "variants": { "a": "A", "b": "B" },
            "defaultVariant": "a",
            "targeting": { "var": "v" },
            "metadata": { "version": "2" }
        } }
    });
    let client = Client::builder()
        .in_process(source::json(config.to_string()))
        .build()
        .unwrap();
    for attributes in [json!({ "v": "b" }), json!({ "v": "zz" }), json!({})] {
        let d = details(&client, &ctx(attributes));
        assert_eq!(
            d.flag_metadata.get("team"),
            Some(&flags_runtime::MetadataValue::String("web".into()))
        );
        assert_eq!(
            d.flag_metadata.get("version"),
            Some(&flags_runtime::MetadataValue::String("2".into()))
        );
    }
}

#[test]
fn typed_reads_of_targeted_flags() {
    let config = json!({ "flags": {
        "limit": {
            "state": "ENABLED",
            "variants": { "small": 10, "large": 100 },
            "defaultVariant": "small",
            "targeting": { "if": [{ "in": [{ "var": "plan" }, ["pro", "team"]] }, "large"] }
        }
    } });
    let client = Client::builder()
        .in_process(source::json(config.to_string()))
        .build()
        .unwrap();
    let limit = FlagKey::<i64>::new("limit", 1);
    assert_eq!(
        client.value(&limit, &Context::new("u").with("plan", "pro")),
        100
    );
    assert_eq!(
        client.value(&limit, &Context::new("u").with("plan", "free")),
        10
    );
    let as_string = client.details(
        FlagKey::<String>::new("limit", "x".into()),
        &Context::anonymous(),
    );
    assert_eq!(as_string.error_code(), Some(ErrorCode::TypeMismatch));
}

// ---------------------------------------------------------------------------------------------
// flagd-schemas targeting fixtures

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schema/tests/fixtures/flagd-schemas/json/test/targeting")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// A configuration around a fixture's rule (the fixture may refer to evaluator `some-ref`).
fn config_with(rule: &Json) -> String {
    json!({
        "$evaluators": { "some-ref": { "==": [{ "var": "x" }, 1] } },
        "flags": { "targeted": {
            "state": "ENABLED",
            "variants": { "a": "A", "b": "B" },
            "defaultVariant": "a",
            "targeting": rule
        } }
    })
    .to_string()
}

fn fixture_rule(path: &Path) -> Json {
    let mut rule: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    if let Some(map) = rule.as_object_mut() {
        map.remove("$schema");
    }
    rule
}

#[test]
fn positive_targeting_fixtures_load_and_evaluate() {
    for path in fixtures("positive") {
        let rule = fixture_rule(&path);
        let client = Client::builder()
            .in_process(source::json(config_with(&rule)))
            .build()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // `basic-json-ops.json` is valid under the schema but multiplies strings: its constant
        // part cannot be computed, so it is a PARSE_ERROR when read (as with flagd-core). The
        // others evaluate (to a default, or a GENERAL "not a variant": they name no variants of
        // ours).
        let parse_error = path.ends_with("basic-json-ops.json");
        for ctx in [
            Context::anonymous(),
            Context::new("user-1")
                .with("email", "a@example.com")
                .with("x", 1),
        ] {
            let d = client.details(FlagKey::<String>::new("targeted", "code".into()), &ctx);
            assert_eq!(
                d.error_code() == Some(ErrorCode::ParseError),
                parse_error,
                "{}: {d:?}",
                path.display()
            );
        }
    }
}

/// The warnings the READY event of `client` carries (a handler added once it is ready runs at
/// once).
fn load_warnings(client: &Client) -> Vec<LoadWarning> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    client.on(ProviderEvent::Ready, move |details| {
        sink.lock()
            .unwrap()
            .extend(details.warnings.iter().cloned());
    });
    seen.lock().unwrap().clone()
}

#[test]
fn negative_targeting_fixtures_load_and_evaluate_as_flagd_does() {
    // flagd's schema rejects these rules, but flagd loads them: so does the runtime, with a
    // warning naming the flag, and each evaluates as `@openfeature/flagd-core` does (the
    // expectations were taken from it). A malformed call of flagd's operators gives null, so
    // the `if` around it takes its else branch, or the flag serves its default variant (reason
    // DEFAULT); a negative weight counts as 0; a literal bucketing value puts every subject in
    // one bucket.
    use Reason::{Default as Dflt, TargetingMatch as Match};
    let expected: [(&str, Option<&str>, Reason); 9] = [
        ("fractional-decimal-weighting.json", Some("dflt"), Dflt),
        ("fractional-invalid-bucketing.json", Some("diamonds"), Match),
        ("fractional-invalid-weighting.json", Some("dflt"), Dflt),
        ("fractional-negative-weighting.json", None, Match),
        ("invalid-ends-with-param.json", Some("prefix"), Match),
        ("invalid-flagd-props.json", Some("yes"), Match),
        ("invalid-starts-with-param.json", Some("postfix"), Match),
        ("sem-ver-invalid-range-specifier.json", Some("not"), Match),
        ("sem-ver-invalid-ver-expression.json", Some("not"), Match),
    ];
    let files = fixtures("negative");
    assert_eq!(files.len(), expected.len());
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let (_, variant, reason) = expected.iter().find(|(file, ..)| *file == name).unwrap();
        let names = [
            "clubs", "diamonds", "hearts", "spades", "postfix", "prefix", "yes", "no", "equal",
            "not", "dflt",
        ];
        let config = json!({ "flags": {
            "targeted": {
                "state": "ENABLED",
                "variants": names.iter().map(|n| (n.to_string(), json!(n.to_uppercase()))).collect::<serde_json::Map<_, _>>(),
                "defaultVariant": "dflt",
                "targeting": fixture_rule(&path)
            },
            "other": { "state": "ENABLED", "variants": { "on": "ON" }, "defaultVariant": "on" }
        } });
        let client = Client::builder()
            .in_process(source::json(config.to_string()))
            .build()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let warnings = load_warnings(&client);
        assert_eq!(warnings.len(), 1, "{name}: {warnings:?}");
        assert_eq!(warnings[0].flag.as_deref(), Some("targeted"), "{name}");
        let mut chosen = std::collections::BTreeSet::new();
        for i in 0..100 {
            let ctx = Context::new(format!("user-{i}"))
                .with(
                    "id",
                    if i % 2 == 0 {
                        Value::from("abc0")
                    } else {
                        Value::from(0)
                    },
                )
                .with("version", "2.0.0");
            let d = client.details(FlagKey::<String>::new("targeted", "code".into()), &ctx);
            assert_eq!(d.reason, *reason, "{name}: {d:?}");
            assert_eq!(d.error_code(), None, "{name}: {d:?}");
            if let Some(variant) = variant {
                assert_eq!(d.variant.as_deref(), Some(*variant), "{name}");
            }
            chosen.insert(d.variant.unwrap().to_string());
        }
        if name == "fractional-negative-weighting.json" {
            // `diamonds` weighs -25: it counts as 0 and is never chosen; the others are.
            assert_eq!(
                chosen.into_iter().collect::<Vec<_>>(),
                ["clubs", "hearts", "spades"],
                "{name}"
            );
        }
        // The other flag serves.
        assert_eq!(
            client.value(
                FlagKey::<String>::new("other", "x".into()),
                &Context::anonymous()
            ),
            "ON"
        );
    }
}

#[test]
fn malformed_calls_of_flagd_operators_give_null() {
    // `starts_with` / `ends_with` with one argument, or a non-string operand.
    defaults(
        json!({ "starts_with": [{ "var": "email" }] }),
        json!({ "email": "a@b.c" }),
    );
    defaults(json!({ "ends_with": "abc" }), json!({}));
    picks(
        json!({ "if": [{ "ends_with": [{ "var": "email" }, 0] }, "b", "c"] }),
        &[(json!({ "email": "a0" }), "c")],
    );
    picks(
        json!({ "if": [{ "starts_with": [null, "a"] }, "b", "c"] }),
        &[(json!({}), "c")],
    );
    // `sem_ver` with an unknown operator, too few or too many arguments, a malformed version.
    for op in ["==", "<>", "", "=~"] {
        picks(
            json!({ "if": [{ "sem_ver": [{ "var": "v" }, op, "1.0.0"] }, "b", "c"] }),
            &[(json!({ "v": "1.0.0" }), "c")],
        );
    }
    defaults(
        json!({ "sem_ver": [{ "var": "v" }, "="] }),
        json!({ "v": "1.0.0" }),
    );
    defaults(
        json!({ "sem_ver": ["1.0.0", "=", "1.0.0", "1.0.0"] }),
        json!({}),
    );
    for version in ["2.0.0.0", "not-a-version", "01.2.3", ""] {
        picks(
            json!({ "if": [{ "sem_ver": [{ "var": "v" }, "<", version] }, "b", "c"] }),
            &[(json!({ "v": "1.0.0" }), "c")],
        );
    }
    // `fractional` with a weight that is not a whole number, no buckets, a malformed bucket.
    for weight in [json!("10"), json!(1.5), json!(null), json!(true)] {
        defaults(
            json!({ "fractional": [["a", 1], ["b", weight]] }),
            json!({ "targetingKey": "user-1" }),
        );
    }
    defaults(
        json!({ "fractional": [] }),
        json!({ "targetingKey": "user-1" }),
    );
    defaults(
        json!({ "fractional": [["a", 1, 2]] }),
        json!({ "targetingKey": "user-1" }),
    );
    defaults(
        json!({ "fractional": [5, ["a", 1]] }),
        json!({ "targetingKey": "user-1" }),
    );
    defaults(
        json!({ "fractional": [["a", 0], ["b", 0]] }),
        json!({ "targetingKey": "user-1" }),
    );
    // In one branch of an `if` chain: the other conditions still decide.
    let chain = json!({ "if": [
        { "==": [{ "var": "plan" }, "pro"] }, "b",
        { "sem_ver": [{ "var": "v" }, "==", "1.0.0"] }, "c",
        "1"
    ] });
    picks(
        chain,
        &[
            (json!({ "plan": "pro", "v": "1.0.0" }), "b"),
            (json!({ "plan": "free", "v": "1.0.0" }), "1"),
        ],
    );
}

#[test]
fn fractional_weights_and_bucketing_values_as_flagd_reads_them() {
    // A negative weight counts as 0: that variant is never chosen, the others are as if it
    // were absent.
    let negative = client_for(json!({ "fractional": [["a", 25], ["b", -25], ["c", 25]] }));
    let without = client_for(json!({ "fractional": [["a", 25], ["c", 25]] }));
    // A literal null bucketing value: the flag key and targeting key, as when it is left out.
    let null_key = client_for(json!({ "fractional": [null, ["a", 1], ["b", 1], ["c", 1]] }));
    let shorthand = client_for(json!({ "fractional": [["a", 1], ["b", 1], ["c", 1]] }));
    // A computed bucketing value that is not a string (a number here): null.
    let number_key = client_for(json!({ "fractional": [{ "var": "age" }, ["a", 1], ["b", 1]] }));
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let ctx = Context::new(format!("user-{i}")).with("age", 30);
        let d = details(&negative, &ctx);
        assert_eq!(d.variant, details(&without, &ctx).variant);
        seen.insert(d.variant.unwrap().to_string());
        assert_eq!(
            details(&null_key, &ctx).variant,
            details(&shorthand, &ctx).variant
        );
        assert_eq!(details(&number_key, &ctx).reason, Reason::Default);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["a", "c"]);
}

#[test]
fn one_bad_flag_never_takes_the_others_down() {
    let flag = |targeting: Json| json!({ "state": "ENABLED", "variants": { "a": "A", "b": "B" }, "defaultVariant": "a", "targeting": targeting });
    let config = json!({
        "$evaluators": { "staff": { "ends_with": [{ "var": "email" }] } },
        "flags": {
            "unknown-operator": flag(json!({ "if": [{ "startsWith": [{ "var": "email" }, "a"] }, "b", "a"] })),
            "missing-evaluator": flag(json!({ "if": [{ "$ref": "staf" }, "b", "a"] })),
            "malformed-evaluator": flag(json!({ "if": [{ "$ref": "staff" }, "b", "a"] })),
            "mixed": { "state": "ENABLED", "variants": { "a": "A", "n": 7 }, "defaultVariant": "n" },
            "fine": flag(json!({ "if": [{ "==": [{ "var": "plan" }, "pro"] }, "b", "a"] }))
        }
    });
    let client = Client::builder()
        .in_process(source::json(config.to_string()))
        .build()
        .unwrap();
    let ctx = Context::new("u").with("plan", "pro").with("email", "a@b.c");
    let read = |key: &str| {
        outcome(&client.details(FlagKey::<String>::new(key.to_owned(), "code".into()), &ctx))
    };
    // Unknown operator, `$ref` to no evaluator: that flag answers PARSE_ERROR.
    assert_eq!(read("unknown-operator").3, Some(ErrorCode::ParseError));
    assert_eq!(read("missing-evaluator").3, Some(ErrorCode::ParseError));
    // A malformed call in an evaluator: null, the else branch.
    assert_eq!(
        read("malformed-evaluator"),
        ("A".into(), Some("a".into()), Reason::TargetingMatch, None)
    );
    // Variants of mixed types: each read as its type.
    assert_eq!(read("mixed").3, Some(ErrorCode::TypeMismatch));
    assert_eq!(client.value(FlagKey::<i64>::new("mixed", 0), &ctx), 7);
    assert_eq!(
        read("fine"),
        ("B".into(), Some("b".into()), Reason::TargetingMatch, None)
    );
    // Each is reported once when the configuration loads, naming the flag.
    let warnings: Vec<(String, WarningKind)> = load_warnings(&client)
        .into_iter()
        .map(|w| (w.flag.unwrap_or_default(), w.kind))
        .collect();
    assert_eq!(
        warnings,
        [
            ("mixed".to_owned(), WarningKind::Suspicious),
            ("malformed-evaluator".to_owned(), WarningKind::AlwaysNull),
            ("missing-evaluator".to_owned(), WarningKind::ParseError),
            ("unknown-operator".to_owned(), WarningKind::ParseError),
        ]
    );
}

#[test]
fn configurations_flagd_loads_are_loaded() {
    // An empty default variant name is no default variant; weights summing past
    // 2,147,483,647 give null; a `$ref` inside `$evaluators` is left unresolved (PARSE_ERROR
    // for the flag that uses it, the others evaluate).
    let config = json!({
        "$evaluators": {
            "inner": { "var": "v" },
            "outer": { "$ref": "inner" }
        },
        "flags": {
            "empty-default": {
                "state": "ENABLED",
                "variants": { "a": "A" },
                "defaultVariant": "",
                "targeting": { "var": "v" }
            },
            "heavy": {
                "state": "ENABLED",
                "variants": { "a": "A", "b": "B" },
                "defaultVariant": "a",
                "targeting": { "fractional": [["a", 2_147_483_647], ["b", 100]] }
            },
            "nested": {
                "state": "ENABLED",
                "variants": { "a": "A" },
                "defaultVariant": "a",
                "targeting": { "$ref": "outer" }
            },
            "direct": {
                "state": "ENABLED",
                "variants": { "a": "A", "b": "B" },
                "defaultVariant": "a",
                "targeting": { "$ref": "inner" }
            }
        }
    });
    let client = Client::builder()
        .in_process(source::json(config.to_string()))
        .build()
        .unwrap();
    let read = |key: &str, ctx: &Context| {
        outcome(&client.details(
            FlagKey::<String>::new(key.to_owned(), "code".to_owned()),
            ctx,
        ))
    };
    let user = Context::new("user-1").with("v", "b");
    assert_eq!(
        read("empty-default", &Context::anonymous()),
        ("code".to_owned(), None, Reason::Default, None)
    );
    assert_eq!(
        read("heavy", &user),
        ("A".to_owned(), Some("a".to_owned()), Reason::Default, None)
    );
    assert_eq!(read("nested", &user).3, Some(ErrorCode::ParseError));
    assert_eq!(
        read("direct", &user),
        (
            "B".to_owned(),
            Some("b".to_owned()),
            Reason::TargetingMatch,
            None
        )
    );
}

#[test]
fn fractional_bucketing_value_falls_back_to_the_targeting_key() {
    // A missing bucketing attribute is dropped: the flag key and targeting key bucket, as in
    // the shorthand form.
    let with_missing =
        client_for(json!({ "fractional": [{ "var": "nope" }, ["a", 1], ["b", 1], ["c", 1]] }));
    let shorthand = client_for(json!({ "fractional": [["a", 1], ["b", 1], ["c", 1]] }));
    for i in 0..50 {
        let ctx = Context::new(format!("user-{i}"));
        let (a, b) = (details(&with_missing, &ctx), details(&shorthand, &ctx));
        assert_eq!(a.variant, b.variant);
        assert_eq!(a.reason, Reason::TargetingMatch);
    }
    // A targeting key that is not a string: null.
    defaults(
        json!({ "fractional": [["a", 1], ["b", 1]] }),
        json!({ "targetingKey": 42 }),
    );
}

/// `ClientBuilder::engine` picks the `fractional` algorithm: the same users land in other
/// buckets under v1 and v3 than under v2, and each version is deterministic.
#[test]
fn the_builder_selects_the_fractional_version() {
    use flags_runtime::{EngineOptions, FlagKey, FractionalVersion, source};
    let config = r#"{"flags": {"split": {"state": "ENABLED",
        "variants": {"a": "a", "b": "b", "c": "c"}, "defaultVariant": "a",
        "targeting": {"fractional": [["a", 1], ["b", 1], ["c", 1]]}}}}"#;
    let assign = |version: FractionalVersion| -> Vec<String> {
        let client = Client::builder()
            .in_process(source::json(config))
            .engine(EngineOptions::default().with_fractional(version))
            .build()
            .unwrap();
        let key = FlagKey::<String>::new("split", String::new());
        (0..300)
            .map(|i| client.value(&key, &Context::new(format!("user-{i}"))))
            .collect()
    };
    let v2 = assign(FractionalVersion::V2);
    assert_eq!(v2, assign(FractionalVersion::V2), "deterministic");
    assert_eq!(
        v2,
        {
            let client = Client::builder()
                .in_process(source::json(config))
                .build()
                .unwrap();
            let key = FlagKey::<String>::new("split", String::new());
            (0..300)
                .map(|i| client.value(&key, &Context::new(format!("user-{i}"))))
                .collect::<Vec<_>>()
        },
        "v2 is the default"
    );
    for other in [FractionalVersion::V1, FractionalVersion::V3] {
        let assigned = assign(other);
        let moved = assigned.iter().zip(&v2).filter(|(x, y)| x != y).count();
        assert!(moved > 30, "{other:?} moved only {moved} of 300 users");
        for variant in ["a", "b", "c"] {
            let n = assigned.iter().filter(|v| *v == variant).count();
            assert!(
                (60..=140).contains(&n),
                "{other:?}: {n} users in `{variant}`"
            );
        }
    }
}

/// Arithmetic over one computed operand (`{"-": {"var": "xs"}}`), as flagd-core compiles it:
/// the array is folded with `reduce`, each operand and partial result checked, but not the
/// final result, so that two strings give a silent NaN (false), where three fail. Expected
/// values from `@openfeature/flagd-core` 4.0.1.
#[test]
fn arithmetic_over_a_computed_array_is_a_reduce_with_an_unchecked_result() {
    let rule = |op: &str| json!({ "if": [{ op: { "var": "xs" } }, "b", "c"] });
    picks(
        rule("-"),
        &[
            (json!({ "xs": ["nope", "email"] }), "c"),
            (json!({ "xs": ["5", "2"] }), "b"),
            (json!({ "xs": ["x"] }), "c"),
        ],
    );
    fails(
        rule("-"),
        json!({ "xs": ["x", "y", "z"] }),
        ErrorCode::General,
    );
    fails(rule("-"), json!({ "xs": [] }), ErrorCode::General);
    picks(
        json!({ "if": [{ "-": { "missing": ["p", "q"] } }, "b", "c"] }),
        &[(json!({}), "c")],
    );
    picks(rule("*"), &[(json!({ "xs": ["x"] }), "c")]);
    fails(rule("*"), json!({ "xs": ["x", "y"] }), ErrorCode::General);
    fails(rule("*"), json!({ "xs": "3" }), ErrorCode::General);
    // `/`: a divisor is checked for falsiness before it is a number ("0" divides).
    picks(
        rule("/"),
        &[
            (json!({ "xs": ["4", "0"] }), "b"),
            (json!({ "xs": ["4", "x"] }), "c"),
            (json!({ "xs": ["0"] }), "b"),
            (json!({ "xs": ["x"] }), "c"),
        ],
    );
    fails(rule("/"), json!({ "xs": [4, 0, 2] }), ErrorCode::General);
    picks(rule("%"), &[(json!({ "xs": [5, 0] }), "c")]);
    fails(rule("%"), json!({ "xs": [5, 0, 1] }), ErrorCode::General);
    fails(rule("%"), json!({ "xs": [5] }), ErrorCode::General);
    picks(rule("+"), &[(json!({ "xs": ["x", "y"] }), "c")]);
}

/// The interpreter (which computes constant parts when a rule loads) computes a constant rule
/// of `filter` once, against no data, and keeps all or nothing without looking at the array.
/// Expected values from `@openfeature/flagd-core` 4.0.1.
#[test]
fn filter_by_a_constant_rule_keeps_all_or_nothing() {
    let init_key = json!({ "reduce": [null, { "var": "current" }, { "var": "targetingKey" }] });
    picks(
        json!({ "if": [{ "filter": [24, init_key] }, "b", "c"] }),
        &[(json!({ "targetingKey": "k" }), "c")],
    );
    picks(
        json!({ "if": [{ "filter": [24, { "reduce": [null, { "var": "current" }, true] }] }, "b", "c"] }),
        &[(json!({}), "b")],
    );
    picks(
        json!({ "if": [{ "var": "x" }, "b", { "filter": [24, init_key] }, "c", "a"] }),
        &[(json!({ "x": false }), "a")],
    );
    // The constant rule itself fails: so does the rule, when it loads.
    fails(
        json!({ "if": [{ "var": "x" }, "b", { "filter": [24, { "reduce": [null, { "var": "current" }] }] }, "c", "a"] }),
        json!({ "x": false }),
        ErrorCode::ParseError,
    );
}

/// `map` without a rule maps each element to `undefined` (the interpreter's), which is NaN as
/// a number and nothing in a `cat`. Expected values from `@openfeature/flagd-core` 4.0.1.
#[test]
fn map_without_a_rule_yields_undefined() {
    let rule = |condition: Json| json!({ "if": [{ "var": "x" }, "b", condition, "c", "a"] });
    // `undefined - undefined` is NaN, which fails the constant when the rule loads.
    fails(
        rule(json!({ "-": { "map": [[[1, 2], [3]]] } })),
        json!({ "x": false }),
        ErrorCode::ParseError,
    );
    fails(
        rule(json!({ "+": { "map": [[1, 2]] } })),
        json!({ "x": false }),
        ErrorCode::ParseError,
    );
    // The negation of one element is not checked: NaN, false.
    picks(
        rule(json!({ "-": { "map": [[[1, 2]]] } })),
        &[(json!({ "x": false }), "a")],
    );
    picks(
        rule(json!({ "cat": { "map": [[1]] } })),
        &[(json!({ "x": false }), "a")],
    );
}

/// Compiled `+` and `-` of one computed operand store it in the register that compiled
/// comparisons check their next operand against (`prev`), as flagd-core's generated code does.
/// Expected values from `@openfeature/flagd-core` 4.0.1.
#[test]
fn compiled_arithmetic_of_a_computed_operand_stores_it_for_comparisons() {
    let sem_ver = json!({ "sem_ver": ["1.2.3", "^", { "var": "v" }] });
    for op in ["-", "+"] {
        // The operand (null) replaces the `var` read inside it: `-1 < null` is true.
        picks(
            json!({ "if": [{ "<": [{ "var": "a" }, { op: sem_ver }] }, "b", "c"] }),
            &[(json!({ "a": -1, "v": "v" }), "b")],
        );
    }
    picks(
        json!({ "if": [{ "<": [false, true, { "-": sem_ver }, "x"] }, "b", "c"] }),
        &[(json!({ "v": "v" }), "c")],
    );
    // An array operand is then checked, and fails the comparison.
    for xs in [json!(["5", "2"]), json!(["x", "y"])] {
        fails(
            json!({ "if": [{ "<": [{ "var": "a" }, { "-": { "var": "xs" } }] }, "b", "c"] }),
            json!({ "a": -1, "xs": xs }),
            ErrorCode::General,
        );
    }
}

/// Constant parts are computed by flagd-core's interpreter when the rule loads, which reads a
/// single operand of `!`, `!!`, `+` and `-` as the operand itself unless it is a literal array,
/// and divides as JavaScript does, failing only on a falsy divisor or a result of NaN or
/// +Infinity. Expected values from `@openfeature/flagd-core` 4.0.1.
#[test]
fn constant_parts_read_single_operands_and_divide_as_the_interpreter() {
    let after = |condition: Json| json!({ "if": [{ "var": "x" }, "a", condition, "b", "c"] });
    let x = || json!({ "x": false });
    picks(
        json!({ "if": [{ "!": [[null]] }, "b", "c"] }),
        &[(json!({}), "c")],
    );
    picks(
        json!({ "if": [{ "!!": [[null]] }, "b", "c"] }),
        &[(json!({}), "b")],
    );
    picks(
        json!({ "if": [{ "!": [[0]] }, "b", "c"] }),
        &[(json!({}), "c")],
    );
    picks(after(json!({ "!": [[null]] })), &[(x(), "c")]);
    // `-` of one operation is `-` of its value: of an array, its difference.
    picks(
        after(json!({ "-": [{ "if": [true, [3, 1], 0] }] })),
        &[(x(), "b")],
    );
    picks(after(json!({ "-": [{ "map": [[null]] }] })), &[(x(), "c")]);
    fails(
        after(json!({ "+": [{ "map": [[null]] }] })),
        x(),
        ErrorCode::ParseError,
    );
    // " " is truthy, and `-24.6 / 0` is -Infinity; "0" gives +Infinity.
    picks(after(json!({ "/": [-24.6, " "] })), &[(x(), "b")]);
    fails(after(json!({ "/": [6, "0"] })), x(), ErrorCode::ParseError);
    fails(after(json!({ "/": [6, 0] })), x(), ErrorCode::ParseError);
    // Compiled, the literal " " is a zero divisor.
    fails(
        after(json!({ "/": [{ "var": "n" }, " "] })),
        json!({ "x": false, "n": 1 }),
        ErrorCode::ParseError,
    );
    // A constant array as the rule of `filter` keeps all or nothing too.
    picks(after(json!({ "filter": [{}, [null]] })), &[(x(), "c")]);
    picks(after(json!({ "filter": [24, []] })), &[(x(), "c")]);
}

/// flagd-core computes constant parts (here the initial value of a `reduce`, which it deems
/// constant whatever it reads) against no data: `$flagd` is not there yet, so its properties
/// are null. Expected values from `@openfeature/flagd-core` 4.0.1.
#[test]
fn constant_parts_are_computed_without_flagd_properties() {
    let init = |value: Json| json!({ "reduce": [[], { "var": "current" }, value] });
    let key = json!({ "var": "$flagd.flagKey" });
    picks(
        json!({ "if": [{ "var": "x" }, "a", { "===": [init(key.clone()), null] }, "b", "c"] }),
        &[(json!({ "x": false }), "b")],
    );
    picks(
        json!({ "if": [{ "===": [init(key.clone()), null] }, "b", "c"] }),
        &[(json!({}), "b")],
    );
    // `substr` of null fails, when the rule loads.
    fails(
        json!({ "if": [{ "reduce": [{ "if": [] }, { "var": "current" }, { "substr": [key, 2] }] }, "b", "c"] }),
        json!({}),
        ErrorCode::ParseError,
    );
}
