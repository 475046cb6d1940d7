//! The specialised forms answer as the general evaluation does: the one-comparison query
//! (`fast.rs`) against `query.rs` over generated queries × contexts, and a simple flag's
//! decision (`Flag::decide_simple`) against `Flag::decide_general` over generated flags ×
//! contexts; deterministic and bounded.

use std::collections::BTreeMap;
use std::sync::Arc;

use flags_schema::gofeatureflag::query::{Query, parse};
use serde_json::{Value as Json, json};

use super::fast::{Clause, affix};
use super::query::{self, Scope};
use crate::context::Context;
use crate::engine::{Clock, EngineOptions};
use crate::flag_value::Decoders;
use crate::value::Value;

/// Attribute texts: ASCII in every case, non-ASCII at either end or inside, characters whose
/// lower case is ASCII (the Kelvin sign) or longer than themselves (`İ`), and empty.
const TEXTS: &[&str] = &[
    "ada@example.com",
    "ADA@EXAMPLE.COM",
    "bob@elsewhere.org",
    "",
    "a",
    "ok",
    "o\u{212A}",
    "\u{212A}-user@example.com",
    "ada@example.co\u{212A}",
    "Äda@example.com",
    "ada@exämple.com",
    "\u{130}",
    "i\u{307}",
    "ß",
    "ADA",
    "user-123",
];

/// The values an attribute takes: the texts, and values of other kinds.
fn values() -> Vec<Value> {
    let mut values: Vec<Value> = TEXTS.iter().map(|t| Value::from(*t)).collect();
    values.extend([
        Value::Int(3),
        Value::Float(3.5),
        Value::Bool(true),
        Value::Null,
        Value::Map(BTreeMap::from([("b".to_owned(), Value::from("a"))])),
        Value::List(vec![Value::from("a")]),
    ]);
    values
}

/// Contexts with and without a targeting key, `email`, `name`, `targetingKey`, `anonymous`
/// and `a` of every kind, some missing.
fn contexts() -> Vec<Context> {
    let values = values();
    let keys = [
        None,
        Some(""),
        Some("user-123"),
        Some("ADA@example.com"),
        Some("o\u{212A}"),
    ];
    let mut contexts = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        for (i, value) in values.iter().enumerate() {
            let mut ctx = match key {
                Some(key) => Context::new(*key),
                None => Context::anonymous(),
            };
            ctx.set("email", value.clone());
            let other = |step: usize| values[(i * step + k) % values.len()].clone();
            if i % 3 != 0 {
                ctx.set("name", other(7));
            }
            if i % 2 == 0 {
                ctx.set("targetingKey", other(5));
            }
            if i % 4 == 1 {
                ctx.set("anonymous", other(3));
            }
            if i % 5 != 2 {
                ctx.set("a", other(11));
            }
            contexts.push(ctx);
        }
    }
    contexts
}

/// Queries of one comparison over every attribute kind, operator and literal, and some of
/// other shapes (none of which is specialised).
fn queries() -> Vec<String> {
    let attributes = [
        "email",
        "key",
        "targetingKey",
        "anonymous",
        "name",
        "absent",
        "a.b",
    ];
    let ops = ["eq", "ne", "lt", "gt", "le", "ge", "co", "sw", "ew", "in"];
    let literals = [
        "\"@example.com\"",
        "\"@EXAMPLE.com\"",
        "\"\"",
        "\"ADA\"",
        "\"a\"",
        "\"ok\"",
        "\"i\"",
        "\"ada@example.com\"",
        "\"user-123\"",
        "\"ß\"",
        "\"ä\"",
        "3",
        "3.5",
        "true",
        "null",
        "[\"a\", \"ada\"]",
    ];
    let mut queries = Vec::new();
    for attribute in attributes {
        for op in ops {
            for literal in literals {
                queries.push(format!("{attribute} {op} {literal}"));
            }
        }
    }
    queries.extend([
        "email ew \"@example.com\" and name eq \"ada\"".to_owned(),
        "not email ew \"@example.com\"".to_owned(),
        "(email ew \"@example.com\")".to_owned(),
        "email pr".to_owned(),
    ]);
    queries
}

#[test]
fn clauses_answer_as_the_query() {
    let contexts = contexts();
    let enrichment = Context::anonymous().with("name", "ADA");
    let (mut specialised, mut answered, mut deferred) = (0, 0, 0);
    for text in queries() {
        let Query::Expr(expr) = parse(&text) else {
            continue;
        };
        let Some(clause) = Clause::new(&expr) else {
            continue;
        };
        specialised += 1;
        assert_eq!(clause.expr, expr);
        for ctx in &contexts {
            let enriched = ctx.merged(&enrichment);
            for (ctx, enrichment) in [(ctx, None), (&enriched, Some(&enrichment))] {
                let general = query::matches(&expr, Scope { ctx, enrichment });
                match clause.test(ctx) {
                    Some(answer) => {
                        answered += 1;
                        assert_eq!(answer, general, "{text} with {ctx:?}");
                    }
                    None => deferred += 1,
                }
            }
        }
    }
    // Every attribute but `anonymous` and the nested one, every operator but `in`, the ASCII
    // literals: 5 × 9 × 9; and the comparison in parentheses.
    assert_eq!(specialised, 5 * 9 * 9 + 1);
    // A third of the texts are not ASCII: most answers still come from the clause.
    assert!(
        answered > 3 * deferred,
        "{answered} answered, {deferred} deferred"
    );
    assert!(deferred > 0);
}

/// Flags of the simple shape and near misses: rules of every kind of condition, disabled
/// rules, rules and default rules serving a variation without value or none, splits,
/// bucketing keys, disabled flags, windows.
fn flags() -> Vec<Json> {
    let variations = json!({"on": true, "off": false, "none": null});
    let conditions = [
        json!("email ew \"@example.com\""),
        json!("key sw \"USER\""),
        json!("email eq 3"),
        json!("email ew \"ok\" or name co \"a\""),
        json!(""),
        json!("email eq \"a\" junk"),
        json!("email eq"),
        json!("{\"==\": [{\"var\": \"name\"}, \"a\"]}"),
        json!(null),
    ];
    let serves = [
        json!({"variation": "on"}),
        json!({"variation": "none"}),
        json!({"variation": "missing"}),
        json!({"percentage": {"on": 50, "off": 50}}),
        json!({}),
    ];
    let mut flags = Vec::new();
    for (i, condition) in conditions.iter().enumerate() {
        for (j, serve) in serves.iter().enumerate() {
            let mut rule = serve.as_object().cloned().unwrap_or_default();
            rule.insert("name".to_owned(), json!(format!("rule-{i}")));
            rule.insert("query".to_owned(), condition.clone());
            if (i + j) % 7 == 3 {
                rule.insert("disable".to_owned(), json!(true));
            }
            let second = json!({"name": "second", "query": "name sw \"a\"", "variation": "off"});
            let default = &serves[(i * 3 + j) % serves.len()];
            let mut flag = json!({
                "variations": variations,
                "targeting": [rule, second],
                "defaultRule": default,
                "metadata": {"team": "a"},
            });
            match (i + j) % 9 {
                1 => flag["bucketingKey"] = json!("name"),
                2 => flag["disable"] = json!(true),
                3 => flag["experimentation"] = json!({"start": "2020-01-01T00:00:00Z"}),
                4 => flag["targeting"] = json!([]),
                5 => flag["defaultRule"] = json!({"variation": "off"}),
                _ => {}
            }
            flags.push(flag);
        }
    }
    flags
}

#[test]
fn simple_flags_decide_as_the_general_path() {
    let contexts = contexts();
    let options = EngineOptions::default();
    let decoders = Arc::new(Decoders::default());
    let key: Arc<str> = Arc::from("flag");
    let (mut simple, mut other, mut compared) = (0, 0, 0);
    for flag in flags() {
        let compiled = super::compile(&key, &json!({ "flag": flag }), &options, &decoders)
            .expect("the flag compiles");
        if !compiled.simple {
            other += 1;
            continue;
        }
        simple += 1;
        for ctx in &contexts {
            let fast = compiled.decide(&key, ctx, Clock::System);
            let general = compiled.decide_general(&key, ctx, Clock::System);
            assert_eq!(
                format!("{fast:?}"),
                format!("{general:?}"),
                "{flag} with {ctx:?}"
            );
            compared += 1;
        }
    }
    assert_eq!((simple, other), (13, 32));
    assert_eq!(compared, 13 * contexts.len());
}

/// The word-at-a-time comparison answers as lowering byte by byte, at every length, for a
/// difference at every place: case, another byte, a non-ASCII byte.
#[test]
fn affix_comparison_answers_as_lowering() {
    let pattern = b"Ab-9@xY.z_Q0mN~kK";
    for n in 0..=2 * pattern.len() {
        let literal: Vec<u8> = pattern.iter().cycle().take(n).copied().collect();
        let lower = literal.to_ascii_lowercase();
        let mask: Vec<u8> = lower
            .iter()
            .map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 })
            .collect();
        let mut actuals = vec![literal.clone(), lower.clone(), literal.to_ascii_uppercase()];
        for at in 0..n {
            for byte in [
                b'a',
                b'Z',
                b'-',
                b'@' ^ 0x20,
                0xc3,
                0x80,
                literal[at] ^ 0x20,
            ] {
                let mut actual = literal.clone();
                actual[at] = byte;
                actuals.push(actual.clone());
                // The same difference with a non-ASCII byte elsewhere.
                actual[(at + 1) % n] = 0xe2;
                actuals.push(actual);
            }
        }
        for actual in actuals {
            let same = actual
                .iter()
                .zip(&lower)
                .all(|(a, l)| a.to_ascii_lowercase() == *l);
            let expected = if same {
                Some(true)
            } else if actual.is_ascii() {
                Some(false)
            } else {
                None
            };
            assert_eq!(
                affix(&actual, &lower, &mask),
                expected,
                "{actual:?} against {lower:?}"
            );
        }
    }
}
