//! GO Feature Flag's flags as a lint: what loads and evaluates, but not as it seems to say.
//!
//! The engine loads every flag; a query it cannot read never matches, a variation that does not
//! exist serves the caller's default. None of that rejects a configuration: each is a
//! [`Warning`], which the runtime logs when a configuration loads and `flags check` prints.
//! The flag as written and each of its scheduled steps (the flag as it is from the step's date)
//! are read.

use serde_json::{Map, Value};

use super::query::{self, Expr, JSON_LOGIC_OPERATORS, Literal, Query};
use crate::error::{Warning, WarningKind, shorten};
use crate::findings::Findings;
use crate::manifest::Manifest;
use crate::targeting::Dialect;

/// The warnings of every GO Feature Flag flag of `manifest`, flag by flag in key order.
///
/// ```
/// use serde_json::json;
/// use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
/// let mut flag = Flag::new(FlagType::Boolean, Some(json!(false)));
/// flag.targeting = Some(Targeting::new(Dialect::GoFeatureFlag, json!({ "flag": {
///     "variations": { "on": true, "off": false },
///     "targeting": [{ "name": "staff", "query": "email ew \"@example.com\" and", "variation": "on" }],
///     "defaultRule": { "variation": "of" }
/// } })));
/// let mut manifest = Manifest::new();
/// manifest.flags.insert("beta".into(), flag);
/// let warnings: Vec<String> = flags_schema::gofeatureflag::lint(&manifest).iter().map(|w| w.to_string()).collect();
/// assert_eq!(warnings, [
///     "flag `beta`: rule 1 (`staff`): the query cannot be read: the rule never matches",
///     "flag `beta`: the default rule serves `of`, which is not one of `off`, `on`: the \
///      caller's default",
/// ]);
/// ```
pub fn lint(manifest: &Manifest) -> Vec<Warning> {
    let mut out = Vec::new();
    for (key, flag) in &manifest.flags {
        let Some(targeting) = flag
            .targeting
            .as_ref()
            .filter(|t| t.dialect == Dialect::GoFeatureFlag)
        else {
            continue;
        };
        let Some(Value::Object(object)) = targeting.rule.get("flag") else {
            continue;
        };
        let mut findings = Findings::default();
        flag_warnings(object, "", &mut findings);
        if let Some(Value::Array(steps)) = object.get("scheduledRollout") {
            let mut current = object.clone();
            for (i, step) in steps.iter().enumerate() {
                let Value::Object(step) = step else { continue };
                merge(&mut current, step);
                flag_warnings(
                    &current,
                    &format!("from scheduled step {}, ", i + 1),
                    &mut findings,
                );
            }
        }
        findings.push_to(&mut out, Some(key));
    }
    out
}

/// A scheduled step laid over the flag: maps merged deeply, other values replaced.
fn merge(flag: &mut Map<String, Value>, step: &Map<String, Value>) {
    for (key, value) in step {
        if key == "date" {
            continue;
        }
        match (flag.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            _ => {
                flag.insert(key.clone(), value.clone());
            }
        }
    }
}

fn flag_warnings(flag: &Map<String, Value>, when: &str, findings: &mut Findings) {
    let names: Vec<&str> = match flag.get("variations") {
        Some(Value::Object(v)) => v.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    let mut reached = true;
    if let Some(Value::Array(rules)) = flag.get("targeting") {
        for (i, rule) in rules.iter().enumerate() {
            let label = match rule.get("name").and_then(Value::as_str) {
                Some(name) => format!("{when}rule {} (`{}`)", i + 1, shorten(name)),
                None => format!("{when}rule {}", i + 1),
            };
            if rule.get("disable") == Some(&Value::Bool(true)) {
                continue;
            }
            if !reached {
                findings.add(WarningKind::Suspicious, || {
                    format!("{label} is never reached: an earlier rule without query matches every context")
                });
                break;
            }
            match rule.get("query") {
                None | Some(Value::Null) => reached = false,
                Some(Value::String(text)) => query_warnings(text, &label, findings),
                Some(_) => findings.add(WarningKind::Suspicious, || {
                    format!("{label}: the query is not a string: the rule never matches")
                }),
            }
            serve_warnings(rule, &label, &names, findings);
        }
    }
    match flag.get("defaultRule") {
        None | Some(Value::Null) => findings.add(WarningKind::Suspicious, || {
            format!(
                "{when}no default rule: a context no rule matches gets the caller's default \
                 with an error (`GENERAL`)"
            )
        }),
        Some(rule) => serve_warnings(rule, &format!("{when}the default rule"), &names, findings),
    }
    if let Some(Value::Object(window)) = flag.get("experimentation") {
        let at = |field: &str| window.get(field).and_then(Value::as_str);
        if let (Some(start), Some(end)) = (at("start"), at("end"))
            && utc_pair(start, end)
            && end < start
        {
            findings.add(WarningKind::Suspicious, || {
                format!("{when}the experimentation window ends before it starts: the flag is always disabled")
            });
        }
    }
}

/// Whether two RFC 3339 instants are written alike in UTC (`...Z`, same length), so that
/// their text orders them.
fn utc_pair(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.ends_with('Z') && b.ends_with('Z')
}

fn query_warnings(text: &str, label: &str, findings: &mut Findings) {
    if let Some(logic) = query::json_logic(text) {
        if let Some(op) = query::unknown_operator(&logic, JSON_LOGIC_OPERATORS) {
            findings.add(WarningKind::Suspicious, || {
                format!(
                    "{label}: `{}` is not an operator of GO Feature Flag's JSON Logic: the rule \
                     never matches",
                    shorten(op)
                )
            });
        }
        return;
    }
    match query::parse(text) {
        Query::Always => {}
        Query::Never => findings.add(WarningKind::Suspicious, || {
            format!("{label}: the query cannot be read: the rule never matches")
        }),
        Query::Expr(expr) => {
            if has_invalid_list(&expr) {
                findings.add(WarningKind::Suspicious, || {
                    format!(
                        "{label}: a list the engine cannot read (items of different kinds at \
                         its ends, or a negative integer first): when the evaluation reaches \
                         it, the rule does not match"
                    )
                });
            }
        }
    }
}

fn has_invalid_list(expr: &Expr) -> bool {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => has_invalid_list(a) || has_invalid_list(b),
        Expr::Not(inner) => has_invalid_list(inner),
        Expr::Present(_) => false,
        Expr::Compare { value, .. } => matches!(value, Literal::Invalid),
    }
}

fn serve_warnings(rule: &Value, label: &str, names: &[&str], findings: &mut Findings) {
    let unknown = |name: &str, findings: &mut Findings| {
        if !names.contains(&name) {
            findings.add(WarningKind::Suspicious, || {
                let known: Vec<String> =
                    names.iter().map(|n| format!("`{}`", shorten(n))).collect();
                format!(
                    "{label} serves `{}`, which is not one of {}: the caller's default",
                    shorten(name),
                    if known.is_empty() {
                        "the variations (none)".to_owned()
                    } else {
                        known.join(", ")
                    }
                )
            });
        }
    };
    if let Some(Value::Object(progressive)) = rule.get("progressiveRollout") {
        let step = |field: &str| progressive.get(field).and_then(Value::as_object);
        let (Some(initial), Some(end)) = (step("initial"), step("end")) else {
            findings.add(WarningKind::Suspicious, || {
                format!(
                    "{label}: the progressive rollout lacks `initial` or `end`: it serves nothing"
                )
            });
            return;
        };
        for side in [initial, end] {
            if let Some(name) = side.get("variation").and_then(Value::as_str) {
                unknown(name, findings);
            }
        }
        let date =
            |side: &Map<String, Value>| side.get("date").and_then(Value::as_str).map(str::to_owned);
        if let (Some(from), Some(to)) = (date(initial), date(end))
            && utc_pair(&from, &to)
            && to <= from
        {
            findings.add(WarningKind::Suspicious, || {
                format!("{label}: the progressive rollout ends before it starts: it serves nothing")
            });
        }
        return;
    }
    if let Some(Value::Object(shares)) = rule.get("percentage")
        && !shares.is_empty()
    {
        let mut sum = 0.0;
        for (name, share) in shares {
            unknown(name, findings);
            sum += share.as_f64().unwrap_or(0.0);
        }
        if sum == 0.0 {
            findings.add(WarningKind::Suspicious, || {
                format!("{label}: every share of the percentage is 0: when it matches, the evaluation fails (`GENERAL`)")
            });
        } else if (sum - 100.0).abs() > 1e-9 {
            findings.add(WarningKind::Suspicious, || {
                format!("{label}: the shares of the percentage sum to {sum}, not 100")
            });
        }
        return;
    }
    match rule.get("variation") {
        Some(Value::String(name)) => unknown(name, findings),
        _ => findings.add(WarningKind::Suspicious, || {
            format!(
                "{label} serves no variation (no `variation`, `percentage` or `progressiveRollout`)"
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{Dialect, Flag, FlagType, Manifest, Targeting};

    fn warnings(flag: serde_json::Value) -> Vec<String> {
        let mut entry = Flag::new(FlagType::Boolean, Some(json!(false)));
        entry.targeting = Some(Targeting::new(
            Dialect::GoFeatureFlag,
            json!({ "flag": flag }),
        ));
        let mut manifest = Manifest::new();
        manifest.flags.insert("f".into(), entry);
        super::lint(&manifest)
            .iter()
            .map(|w| w.message.clone())
            .collect()
    }

    #[test]
    fn what_loads_but_does_not_do_what_it_seems() {
        let v = json!({ "on": true, "off": false });
        assert_eq!(
            warnings(json!({ "variations": v, "defaultRule": { "variation": "on" } })),
            Vec::<String>::new()
        );
        assert_eq!(
            warnings(
                json!({ "variations": v, "defaultRule": { "variation": "on" },
                "targeting": [{ "query": "{\"sem_ver\":[{\"var\":\"v\"},\">=\",\"1.0.0\"]}", "variation": "on" }] })
            ),
            [
                "rule 1: `sem_ver` is not an operator of GO Feature Flag's JSON Logic: the rule never matches"
            ]
        );
        assert_eq!(
            warnings(
                json!({ "variations": v, "defaultRule": { "variation": "on" },
                "targeting": [{ "query": "n in [-1, 2]", "variation": "on" }] })
            )
            .len(),
            1
        );
        assert_eq!(
            warnings(
                json!({ "variations": v, "defaultRule": { "variation": "on" },
                "targeting": [{ "variation": "on" }, { "query": "a eq 1", "variation": "off" }] })
            ),
            ["rule 2 is never reached: an earlier rule without query matches every context"]
        );
        assert_eq!(
            warnings(
                json!({ "variations": v, "defaultRule": { "percentage": { "on": 0, "off": 0 } } })
            ),
            [
                "the default rule: every share of the percentage is 0: when it matches, the evaluation fails (`GENERAL`)"
            ]
        );
        assert_eq!(
            warnings(
                json!({ "variations": v, "defaultRule": { "percentage": { "on": 30, "off": 30 } } })
            ),
            ["the default rule: the shares of the percentage sum to 60, not 100"]
        );
        assert_eq!(
            warnings(
                json!({ "variations": v, "defaultRule": { "variation": "on" },
                "scheduledRollout": [{ "date": "2030-01-01T00:00:00Z", "defaultRule": { "variation": "maybe" } }] })
            ),
            [
                "from scheduled step 1, the default rule serves `maybe`, which is not one of `off`, `on`: the caller's default"
            ]
        );
        assert_eq!(
            warnings(
                json!({ "variations": v, "defaultRule": { "progressiveRollout": {
                "initial": { "variation": "off", "date": "2030-01-01T00:00:00Z" },
                "end": { "variation": "on", "date": "2029-01-01T00:00:00Z" } } } })
            ),
            ["the default rule: the progressive rollout ends before it starts: it serves nothing"]
        );
        assert_eq!(
            warnings(json!({ "variations": v })),
            [
                "no default rule: a context no rule matches gets the caller's default with an error (`GENERAL`)"
            ]
        );
    }
}
