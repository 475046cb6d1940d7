//! The messages users see: each names the file, the flag and the problem, in the house wording.

use flags_schema::{Problem, import_str};

fn error(text: &str) -> String {
    match import_str(text, "flags.json") {
        Ok(manifest) => panic!("imported: {manifest:#?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn mixed_variant_types() {
    let message = error(
        r#"{ "flags": { "new-checkout": {
            "state": "ENABLED",
            "variants": { "a": true, "b": "yes" },
            "defaultVariant": "a"
        } } }"#,
    );
    assert_eq!(
        message,
        "`flags.json`: flag `new-checkout`: variants must all have one type: `a` is a boolean but \
         `b` is a string (`\"yes\"`)"
    );
}

#[test]
fn default_variant_not_among_variants() {
    let message = error(
        r#"{ "flags": { "new-checkout": {
            "state": "ENABLED",
            "variants": { "on": true, "off": false },
            "defaultVariant": "of"
        } } }"#,
    );
    assert_eq!(
        message,
        "`flags.json`: flag `new-checkout`: default variant `of` is not among the variants \
         (`off`, `on`)"
    );
}

#[test]
fn empty_key() {
    let expected = "`flags.json`: flag ``: flag keys must not be empty";
    assert_eq!(
        error(r#"{ "flags": { "": { "state": "ENABLED", "variants": { "on": true } } } }"#),
        expected
    );
    assert_eq!(
        error(r#"{ "flags": [{ "key": "", "state": "ENABLED", "variants": { "on": true } }] }"#),
        expected
    );
    assert_eq!(
        error(r#"{ "flags": { "": { "flagType": "boolean", "defaultValue": true } } }"#),
        expected
    );
}

#[test]
fn unknown_type() {
    let message = error(r#"{ "flags": { "limit": { "flagType": "int", "defaultValue": 10 } } }"#);
    assert_eq!(
        message,
        "`flags.json`: flag `limit`: unknown flag type `int`; expected one of `boolean`, \
         `string`, `integer`, `float`, `object`"
    );
}

#[test]
fn other_flag_problems() {
    let cases = [
        (
            r#"{ "flags": { "f": { "variants": { "on": true } } } }"#,
            "`flags.json`: flag `f`: missing field `state`",
        ),
        (
            r#"{ "flags": { "f": { "state": "ENABLED", "variants": {} } } }"#,
            "`flags.json`: flag `f`: a flag needs at least one variant, as in \
             `\"variants\": {\"on\": true, \"off\": false}`",
        ),
        (
            r#"{ "flags": { "f": { "state": "ENABLED", "variants": { "list": [1] } } } }"#,
            "`flags.json`: flag `f`: variant `list` is an array; a variant is a boolean, string, \
             number or object",
        ),
        (
            r#"{ "flags": { "f": { "state": "on", "variants": { "on": true } } } }"#,
            "`flags.json`: flag `f`: unknown state `on`; expected `ENABLED` or `DISABLED`",
        ),
        (
            r#"{ "flags": [
                { "key": "f", "state": "ENABLED", "variants": { "on": true } },
                { "key": "f", "state": "ENABLED", "variants": { "off": false } }
            ] }"#,
            "`flags.json`: flag `f`: the key is defined more than once",
        ),
        (
            r#"{ "flags": { "f": { "flagType": "integer", "defaultValue": "10" } } }"#,
            "`flags.json`: flag `f`: the default is a string (`\"10\"`) but the flag is integer",
        ),
        (
            r#"{ "flags": { "f": { "defaultValue": 10 } } }"#,
            "`flags.json`: flag `f`: missing field `flagType`",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(error(text), expected);
    }
}

#[test]
fn document_problems() {
    assert_eq!(
        error("{ \"flags\": {\n  \"f\": }"),
        "`flags.json` is not valid JSON: expected value at line 2, column 8"
    );
    assert_eq!(
        error(r#"{ "toggles": [] }"#),
        "`flags.json`: not a flag definition file: expected a flagd file with \
         `flags.<key>.variants`, an OpenFeature CLI manifest with `flags.<key>.flagType`, a \
         lock file with `formatVersion`, or a service's response (OFREP `flags[].value`, \
         OpenFeature manifest API `flags[].type`, Flipt `namespace`, GO Feature Flag \
         `flags.<key>.variations`, Flagship `flags.<key>.default_variation`); found an object \
         without `flags`"
    );
    assert_eq!(
        error(r#"{ "flags": {}, "metadata": { "owner": null } }"#),
        "`flags.json`: metadata `owner` is null; metadata values are booleans, strings or numbers"
    );
}

/// Targeting problems load (flagd loads them); the lint names the flag (or the evaluator) and
/// says what the problem does.
#[test]
fn targeting_problems_are_warnings() {
    let warnings = |text: &str| -> Vec<String> {
        let manifest = import_str(text, "flags.json").unwrap();
        flags_schema::flagd::lint(&manifest)
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(
        warnings(
            r#"{ "flags": { "f": { "state": "ENABLED", "variants": { "on": true },
                "targeting": { "starts_with": [{ "var": "$flagd.key" }, "a"] } } } }"#
        ),
        [
            "flag `f`: `$flagd.key` is not a property flagd provides (`$flagd.flagKey`, \
          `$flagd.timestamp`): it is never set"
        ]
    );
    assert_eq!(
        warnings(r#"{ "flags": {}, "$evaluators": { "a": { "sem_ver": [1, "=="] } } }"#),
        [
            "evaluator `a`: `sem_ver` takes 3 arguments `[version, operator, version]`, found 2: \
          it is always null"
        ]
    );
}

#[test]
fn errors_expose_flag_and_problem() {
    let error = import_str(
        r#"{ "flags": { "f": { "flagType": "nope", "defaultValue": 1 } } }"#,
        "x",
    )
    .unwrap_err();
    assert_eq!(error.flag_key(), Some("f"));
    assert_eq!(
        error.problem(),
        Some(&Problem::UnknownType {
            found: "nope".into()
        })
    );
}

/// `levels` operations `{"!": [...]}` around a `var`: two levels of nesting each.
fn nested_rule(levels: usize) -> serde_json::Value {
    let mut rule = serde_json::json!({ "var": "plan" });
    for _ in 0..levels {
        rule = serde_json::json!({ "!": [rule] });
    }
    rule
}

#[test]
fn rules_and_values_nested_past_the_limit_reject_the_document_naming_the_path() {
    let limit = flags_schema::MAX_NESTING;
    // Within the limit: the `if` and its array, 30 operations, the `var` object (63 levels).
    let at_limit = serde_json::json!({ "flags": { "deep": {
        "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
        "targeting": { "if": [nested_rule(limit / 2 - 2), "on", "off"] },
    } } });
    assert!(flags_schema::import(&at_limit, "flags.json").is_ok());

    let past = serde_json::json!({ "flags": { "deep": {
        "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
        "targeting": { "if": [nested_rule(limit / 2 - 1), "on", "off"] },
    } } });
    let message = error(&past.to_string());
    assert_eq!(
        message,
        "`flags.json`: flag `deep`: `targeting.if[0].![0].![0].![0].….![0].![0].![0].![0]` is \
         nested more than 64 levels deep; rules and values may nest at most 64 arrays and \
         objects"
    );

    // An object variant.
    let mut value = serde_json::json!({ "leaf": true });
    for _ in 0..limit {
        value = serde_json::json!({ "next": value });
    }
    let document = serde_json::json!({ "flags": { "config": {
        "state": "ENABLED", "variants": { "big": value }, "defaultVariant": "big",
    } } });
    let message = error(&document.to_string());
    assert!(
        message.starts_with("`flags.json`: flag `config`: `variants.big.next.next"),
        "{message}"
    );
    assert!(message.len() < 400, "{message}");

    // An evaluator: the document is rejected, even if no flag uses it.
    let document = serde_json::json!({
        "$evaluators": { "staff": { "if": [nested_rule(limit / 2), true, false] } },
        "flags": { "f": { "state": "ENABLED", "variants": { "on": true } } },
    });
    let message = error(&document.to_string());
    assert!(
        message.starts_with("`flags.json`: `$evaluators.staff.if[0].![0]"),
        "{message}"
    );

    // A lock file is held to the same limit.
    let mut manifest = flags_schema::import(&at_limit, "flags.json").unwrap();
    manifest.flags.get_mut("deep").unwrap().targeting =
        Some(flags_schema::Targeting::flagd(nested_rule(limit / 2 + 1)));
    let text = manifest.to_lock_string();
    let message = error(&text);
    assert!(
        message.starts_with("`flags.json`: flag `deep`: `targeting.![0]"),
        "{message}"
    );
}
