//! From Flagship's grammar (`flags_schema::flagship::grammar`) to [`Rules`]: every value a
//! condition compares with is turned into its text, number or instant here, once.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use flags_schema::flagship::grammar::{
    Condition, FlagRules, Logical, Operator, Percentage, Rule as RuleView, is_date_time_target,
    is_primitive, path_segments, variation_name,
};
use serde_json::Value as Json;

use super::coerce::{parse_date_ms, text_to_number, write_int};
use super::eval::{Cond, Op, OrderOp, Path, Test, TextOp};
use super::{Rollout, Rule, Rules, Serve, Split};
use crate::engine::js_number::write_number;
use crate::engine::murmur3::murmur3;

/// Compiles the rules of flag `key` (the rule of its targeting), whose variations are
/// `variants`.
///
/// # Errors
///
/// A sentence when the targeting is not Flagship's rules object (no `account_id`): the flag
/// answers `PARSE_ERROR`.
pub(crate) fn compile(
    key: &str,
    targeting: &Json,
    variants: &BTreeMap<String, Json>,
) -> Result<Rules, String> {
    let flag = FlagRules::read(targeting).map_err(str::to_owned)?;
    // The data plane seeds with the definition's own `key` field.
    let key = flag.key.unwrap_or(key);
    let seed = murmur3(&[flag.account_id.as_bytes(), b":", key.as_bytes()], 0) % 100;
    let mut rules = Vec::with_capacity(flag.rules.len());
    for (i, value) in flag.rules.iter().enumerate() {
        // A rule that is not an object is skipped.
        let Some(view) = RuleView::read(value) else {
            continue;
        };
        rules.push(rule(i + 1, &view, variants, seed));
    }
    Ok(Rules {
        rules: rules.into_boxed_slice(),
        written: !flag.rules.is_empty(),
    })
}

fn rule(n: usize, view: &RuleView<'_>, variants: &BTreeMap<String, Json>, seed: u32) -> Rule {
    let serve = match variation_name(view.serve_variation) {
        // Its index among the flag's variants (sorted by name, as the snapshot holds them).
        Some(name) if let Some(index) = variants.keys().position(|k| *k == *name) => {
            Serve::Variation(name.into(), index as u32)
        }
        Some(name) => Serve::Invalid(
            format!(
                "rule {n} serves variation {}, which is not defined",
                crate::message::bounded(format_args!("`{name}`"))
            )
            .into(),
        ),
        None => Serve::Invalid(format!("rule {n} names no variation").into()),
    };
    let rollout = view.rollout.map(|r| Rollout {
        attribute: path(r.attribute),
        split: match r.percentage {
            Percentage::Number(p) if p < 100.0 => Split::Part {
                percentage: p,
                seed,
            },
            // NaN and 100 or more: not a split.
            Percentage::Number(_) => Split::Whole,
            Percentage::Invalid => {
                Split::Invalid(format!("the rollout percentage of rule {n} is not a number").into())
            }
        },
    });
    Rule {
        conditions: view.conditions.iter().map(condition).collect(),
        rollout,
        serve,
    }
}

fn path(name: &str) -> Path {
    Path {
        name: name.into(),
        targeting_key: name == "targetingKey",
        segments: path_segments(name).map(|s| s.map(Box::from).collect()),
    }
}

fn condition(value: &Json) -> Cond {
    match Condition::read(value) {
        Condition::NotObject => Cond::Never,
        Condition::Group {
            logical: Some(logical),
            clauses: Some(clauses),
        } => {
            let clauses = clauses.iter().map(condition).collect();
            match logical {
                Logical::And => Cond::All(clauses),
                Logical::Or => Cond::Any(clauses),
            }
        }
        Condition::Group { .. } => Cond::Never,
        Condition::Test {
            attribute: Some(attribute),
            operator: Some(operator),
            value,
        } => {
            let null = Json::Null;
            match Operator::parse(operator).and_then(|op| operation(op, value.unwrap_or(&null))) {
                Some(op) => Cond::Test(Box::new(Test {
                    path: path(attribute),
                    op,
                })),
                None => Cond::Never,
            }
        }
        Condition::Test { .. } => Cond::Never,
    }
}

/// The operator with its value prepared; `None` when it can never match.
fn operation(operator: Operator, value: &Json) -> Option<Op> {
    let text = |kind| Op::Text {
        kind,
        target: is_primitive(value).then(|| js_text(value).into()),
    };
    let order = |kind| match value {
        Json::String(s) if is_date_time_target(s) => {
            // A date that does not parse compares with nothing.
            parse_date_ms(s).map(|target| Op::Date { kind, target })
        }
        Json::String(s) => number_op(kind, text_to_number(s)),
        Json::Number(n) => number_op(kind, n.as_f64().unwrap_or(f64::NAN)),
        Json::Bool(b) => number_op(kind, f64::from(u8::from(*b))),
        _ => None,
    };
    Some(match operator {
        Operator::Equals => text(TextOp::Equals),
        Operator::NotEquals => text(TextOp::NotEquals),
        Operator::Contains => text(TextOp::Contains),
        Operator::StartsWith => text(TextOp::StartsWith),
        Operator::EndsWith => text(TextOp::EndsWith),
        Operator::GreaterThan => order(OrderOp::Greater)?,
        Operator::LessThan => order(OrderOp::Less)?,
        Operator::GreaterThanOrEquals => order(OrderOp::GreaterOrEqual)?,
        Operator::LessThanOrEquals => order(OrderOp::LessOrEqual)?,
        Operator::In | Operator::NotIn => {
            let Json::Array(elements) = value else {
                return None;
            };
            let mut items: Vec<Box<str>> = elements
                .iter()
                .filter(|e| !e.is_null())
                .map(|e| js_text(e).into())
                .collect();
            items.sort_unstable();
            items.dedup();
            Op::In {
                negate: operator == Operator::NotIn,
                items: items.into_boxed_slice(),
            }
        }
        Operator::Has | Operator::NotHas => {
            if !is_primitive(value) {
                return None;
            }
            Op::Has {
                negate: operator == Operator::NotHas,
                target: js_text(value).into(),
            }
        }
        // Operators this version does not know never match.
        _ => return None,
    })
}

fn number_op(kind: OrderOp, target: f64) -> Option<Op> {
    // NaN compares with nothing.
    (!target.is_nan()).then_some(Op::Number { kind, target })
}

/// JavaScript's `String(x)` of a value of a definition (arrays joined with commas, `null`
/// elements empty; objects `[object Object]`).
fn js_text(value: &Json) -> String {
    let mut out = String::new();
    write_js_text(&mut out, value);
    out
}

fn write_js_text(out: &mut String, value: &Json) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match n.as_i64() {
            Some(i) => write_int(out, i),
            None => write_number(out, n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => out.push_str(s),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_null() {
                    write_js_text(out, item);
                }
            }
        }
        Json::Object(_) => {
            let _ = out.write_str("[object Object]");
        }
    }
}
