//! Flagship's rule grammar as a lint: what in a flag's rules loads and evaluates, but not as
//! it seems to say.
//!
//! The data plane loads every rule: a condition it cannot use never matches, a rule that is
//! not an object is skipped. Only a reference to a variation that does not exist, and a
//! rollout percentage that is not a number, make the flag answer `PARSE_ERROR` (for that flag
//! only, and only when an evaluation reaches them). None of that rejects a configuration: each
//! is a [`Warning`], which the runtime logs when a configuration loads and `flags check`
//! prints.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde_json::Value;

use super::grammar::{
    Condition, FlagRules, MAX_PATH_SEGMENTS, OPERATORS, Operator, OperatorKind, Percentage, Rule,
    is_primitive, is_scalar, variation_name,
};
use crate::error::{Warning, WarningKind, describe, shorten};
use crate::findings::Findings;
use crate::manifest::Manifest;
use crate::targeting::Dialect;

/// The "did you mean" work all suggestions of one lint may do together (see
/// [`closest_within`](crate::closest_within)).
const SUGGESTION_WORK: u64 = 1 << 20;

/// The warnings of every Flagship flag's rules in `manifest`, flag by flag in key order.
///
/// ```
/// use serde_json::json;
/// use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
/// let mut flag = Flag::new(FlagType::Boolean, Some(json!(false)));
/// flag.variants = [("on".to_owned(), json!(true)), ("off".to_owned(), json!(false))].into();
/// flag.default_variant = Some("off".into());
/// flag.targeting = Some(Targeting::new(Dialect::Flagship, json!({
///     "account_id": "acct",
///     "rules": [{
///         "conditions": [{ "attribute": "email", "operator": "ends_wth", "value": "@example.com" }],
///         "serve_variation": "yes"
///     }]
/// })));
/// let mut manifest = Manifest::new();
/// manifest.flags.insert("beta".into(), flag);
/// let warnings: Vec<String> = flags_schema::flagship::lint(&manifest).iter().map(|w| w.to_string()).collect();
/// assert_eq!(warnings, [
///     "flag `beta`: rule 1, condition 1: unknown operator `ends_wth` (did you mean \
///      `ends_with`?): the condition never matches",
///     "flag `beta`: rule 1 serves variation `yes`, which is not one of `off`, `on`: when it \
///      matches, the flag answers `PARSE_ERROR`",
/// ]);
/// ```
pub fn lint(manifest: &Manifest) -> Vec<Warning> {
    let work = Cell::new(SUGGESTION_WORK);
    let mut out = Vec::new();
    for (key, flag) in &manifest.flags {
        let Some(targeting) = flag
            .targeting
            .as_ref()
            .filter(|t| t.dialect == Dialect::Flagship)
        else {
            continue;
        };
        let mut walker = Walker::new(&flag.variants, &work);
        walker.targeting(&targeting.rule);
        walker.findings.push_to(&mut out, Some(key));
    }
    out
}

/// The warnings of one flag's rules (the rule of its [`Targeting`](crate::Targeting)), whose
/// variations are `variants`.
///
/// ```
/// use std::collections::BTreeMap;
/// use serde_json::json;
/// let variants = BTreeMap::from([("on".to_owned(), json!(true))]);
/// let lint = |rules| flags_schema::flagship::lint_targeting(&json!({ "account_id": "a", "rules": rules }), &variants);
/// assert!(lint(json!([{ "conditions": [], "serve_variation": "on", "rollout": { "percentage": 20 } }])).is_empty());
/// assert_eq!(
///     lint(json!([{ "conditions": [{ "attribute": "plan", "operator": "in", "value": "pro" }], "serve_variation": "on" }]))[0].message,
///     "rule 1, condition 1: `in` takes an array value, found a string (`\"pro\"`): the condition never matches",
/// );
/// ```
pub fn lint_targeting(targeting: &Value, variants: &BTreeMap<String, Value>) -> Vec<Warning> {
    let work = Cell::new(SUGGESTION_WORK);
    let mut walker = Walker::new(variants, &work);
    walker.targeting(targeting);
    let mut out = Vec::new();
    walker.findings.push_to(&mut out, None);
    out
}

struct Walker<'a> {
    variants: &'a BTreeMap<String, Value>,
    findings: Findings,
    work: &'a Cell<u64>,
}

impl<'a> Walker<'a> {
    fn new(variants: &'a BTreeMap<String, Value>, work: &'a Cell<u64>) -> Walker<'a> {
        Walker {
            variants,
            findings: Findings::default(),
            work,
        }
    }

    fn targeting(&mut self, targeting: &Value) {
        let rules = match FlagRules::read(targeting) {
            Ok(rules) => rules,
            Err(problem) => {
                self.findings.add(WarningKind::ParseError, || {
                    format!("{problem}: the flag answers `PARSE_ERROR`")
                });
                return;
            }
        };
        let mut reached = true;
        for (i, rule) in rules.rules.iter().enumerate() {
            let n = i + 1;
            let Some(rule) = Rule::read(rule) else {
                self.findings.add(WarningKind::Suspicious, || {
                    format!(
                        "rule {n} is {}, not an object: it is skipped",
                        describe(rule)
                    )
                });
                continue;
            };
            if !reached {
                self.findings.add(WarningKind::Suspicious, || {
                    format!(
                        "rule {n} is never reached: an earlier rule without conditions or rollout \
                         matches every context"
                    )
                });
                // One such warning says it for the rules after it too.
                break;
            }
            self.rule(n, &rule);
            if rule.conditions.is_empty() && rule.rollout.is_none() {
                reached = false;
            }
        }
    }

    fn rule(&mut self, n: usize, rule: &Rule<'_>) {
        if rule.conditions_malformed {
            self.findings.add(WarningKind::Suspicious, || {
                format!(
                    "rule {n}: `conditions` is not an array: it counts as none, and the rule \
                     matches every context"
                )
            });
        }
        for (i, condition) in rule.conditions.iter().enumerate() {
            self.condition(&format!("rule {n}, condition {}", i + 1), condition);
        }
        match variation_name(rule.serve_variation) {
            Some(name) if self.variants.contains_key(name.as_ref()) => {}
            name => {
                let variants = self.variants_list();
                self.findings.add(WarningKind::ParseError, || {
                    let what = match (&name, rule.serve_variation) {
                        (Some(name), Some(_)) => format!("variation `{}`", shorten(name)),
                        (_, None) => "no variation (`serve_variation` is missing)".to_owned(),
                        (None, Some(value)) => {
                            format!("{}, which names no variation", describe(value))
                        }
                    };
                    let which = if name.is_some() && rule.serve_variation.is_some() {
                        format!(", which is not one of {variants}")
                    } else {
                        String::new()
                    };
                    format!(
                        "rule {n} serves {what}{which}: when it matches, the flag answers \
                         `PARSE_ERROR`"
                    )
                });
            }
        }
        if rule.rollout_malformed {
            self.findings.add(WarningKind::Suspicious, || {
                format!("rule {n}: `rollout` is not an object: it is ignored (no split)")
            });
        }
        if let Some(rollout) = rule.rollout {
            match rollout.percentage {
                Percentage::Invalid => self.findings.add(WarningKind::ParseError, || {
                    format!(
                        "rule {n}: the rollout percentage is not a number: when an evaluation \
                         reaches the rule, the flag answers `PARSE_ERROR`"
                    )
                }),
                Percentage::Number(p) if p <= 0.0 => {
                    self.findings.add(WarningKind::Suspicious, || {
                        format!("rule {n}: a rollout of {p} % never serves the rule's variation")
                    })
                }
                Percentage::Number(_) => {}
            }
            if rollout.attribute_malformed {
                self.findings.add(WarningKind::Suspicious, || {
                    format!(
                        "rule {n}: the rollout attribute is not a non-empty string: the \
                         rollout buckets by `targetingKey`"
                    )
                });
            }
            self.path(&format!("rule {n}, rollout"), rollout.attribute);
        }
    }

    fn condition(&mut self, at: &str, condition: &Value) {
        match Condition::read(condition) {
            Condition::NotObject => self.findings.add(WarningKind::Suspicious, || {
                format!(
                    "{at} is {}, not an object: it never matches",
                    describe(condition)
                )
            }),
            Condition::Group { logical, clauses } => {
                if logical.is_none() {
                    self.findings.add(WarningKind::Suspicious, || {
                        format!("{at}: `logical_operator` is neither `AND` nor `OR`: the group never matches")
                    });
                }
                match clauses {
                    None => self.findings.add(WarningKind::Suspicious, || {
                        format!("{at}: `clauses` is not an array: the group never matches")
                    }),
                    Some(clauses) => {
                        for (i, clause) in clauses.iter().enumerate() {
                            self.condition(&format!("{at}, clause {}", i + 1), clause);
                        }
                    }
                }
            }
            Condition::Test {
                attribute,
                operator,
                value,
            } => {
                let Some(attribute) = attribute else {
                    self.findings.add(WarningKind::Suspicious, || {
                        format!("{at}: `attribute` is missing or not a string: the condition never matches")
                    });
                    return;
                };
                let Some(name) = operator else {
                    self.findings.add(WarningKind::Suspicious, || {
                        format!("{at}: `operator` is missing or not a string: the condition never matches")
                    });
                    return;
                };
                let Some(operator) = Operator::parse(name) else {
                    let mut work = self.work.get();
                    let hint =
                        crate::limits::closest_within(name, OPERATORS.iter().copied(), &mut work)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                    self.work.set(work);
                    self.findings.add(WarningKind::Suspicious, || {
                        format!(
                            "{at}: unknown operator `{}`{hint}: the condition never matches",
                            shorten(name)
                        )
                    });
                    return;
                };
                self.path(at, attribute);
                self.value(at, operator, value);
            }
        }
    }

    /// The value's shape against what the operator compares with.
    fn value(&mut self, at: &str, operator: Operator, value: Option<&Value>) {
        let null = Value::Null;
        let value = value.unwrap_or(&null);
        let fits = match operator.kind() {
            OperatorKind::Text | OperatorKind::Has => is_primitive(value),
            OperatorKind::Ordering => is_scalar(value),
            OperatorKind::Membership => value.is_array(),
        };
        if !fits {
            let wants = match operator.kind() {
                OperatorKind::Membership => "an array value",
                OperatorKind::Ordering => "a string, number or boolean value",
                _ => "a string, number, boolean or null value",
            };
            self.findings.add(WarningKind::Suspicious, || {
                format!(
                    "{at}: `{}` takes {wants}, found {}: the condition never matches",
                    operator.name(),
                    describe(value)
                )
            });
        }
    }

    fn path(&mut self, at: &str, attribute: &str) {
        if attribute.contains('.') && attribute.split('.').count() > MAX_PATH_SEGMENTS {
            self.findings.add(WarningKind::Suspicious, || {
                format!(
                    "{at}: `{}` has more than {MAX_PATH_SEGMENTS} segments: it is not read as a \
                     path, only as an attribute of that exact name",
                    shorten(attribute)
                )
            });
        }
    }

    fn variants_list(&self) -> String {
        let mut names: Vec<String> = self
            .variants
            .keys()
            .take(6)
            .map(|n| format!("`{}`", shorten(n)))
            .collect();
        if self.variants.len() > 6 {
            names.push("...".to_owned());
        }
        if names.is_empty() {
            "its variations (it has none)".to_owned()
        } else {
            names.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lint(rules: Value) -> Vec<String> {
        let variants = BTreeMap::from([
            ("on".to_owned(), json!(true)),
            ("off".to_owned(), json!(false)),
        ]);
        lint_targeting(&json!({ "account_id": "a", "rules": rules }), &variants)
            .into_iter()
            .map(|w| w.message)
            .collect()
    }

    #[test]
    fn clean_rules_give_nothing() {
        assert!(
            lint(json!([
                { "conditions": [
                    { "attribute": "user.plan", "operator": "in", "value": ["pro"] },
                    { "logical_operator": "OR", "clauses": [
                        { "attribute": "age", "operator": "greater_than", "value": 18 },
                        { "attribute": "tags", "operator": "has", "value": null }
                    ] }
                  ], "serve_variation": "on", "rollout": { "percentage": 50, "attribute": "id" } },
                { "conditions": [], "serve_variation": "off" }
            ]))
            .is_empty()
        );
    }

    #[test]
    fn each_problem_is_named() {
        let warnings = lint(json!([
            "nope",
            { "conditions": [3, { "logical_operator": "XOR", "clauses": 1 }], "serve_variation": 1 },
            { "conditions": [{ "attribute": "a.b.c.d.e.f", "operator": "equals", "value": [] }], "serve_variation": "on" },
            { "conditions": [{ "operator": "equals" }], "rollout": { "percentage": null, "attribute": "" }, "serve_variation": "on" },
            { "conditions": {}, "serve_variation": "on" }
        ]));
        assert_eq!(warnings.len(), 6, "{warnings:#?}");
        assert_eq!(
            warnings[0],
            "rule 1 is a string (`\"nope\"`), not an object: it is skipped"
        );
        assert_eq!(
            warnings[1],
            "rule 2, condition 1 is an integer (`3`), not an object: it never matches"
        );
        assert!(warnings[2].contains("neither `AND` nor `OR`"));
        assert_eq!(warnings[5], "and 6 more problems");
        let warnings = lint(json!([
            { "serve_variation": "on", "rollout": { "percentage": -1 } },
            { "conditions": [], "serve_variation": "on" },
            { "conditions": [], "serve_variation": "off" }
        ]));
        assert_eq!(
            warnings,
            [
                "rule 1: a rollout of -1 % never serves the rule's variation",
                "rule 3 is never reached: an earlier rule without conditions or rollout matches \
                 every context"
            ]
        );
    }

    #[test]
    fn targeting_without_account_is_a_parse_error() {
        let warnings = lint_targeting(&json!({ "rules": [] }), &BTreeMap::new());
        assert_eq!(warnings[0].kind, WarningKind::ParseError);
    }
}
