//! The flagd targeting grammar, as a lint: what in a rule loads and evaluates, but not as it
//! seems to say.
//!
//! flagd loads every targeting rule. Its custom operators answer null on arguments they cannot
//! use (so the rule falls through to the default variant), a negative `fractional` weight
//! counts as 0, and an unknown operator or a `$ref` to no evaluator makes the flag answer
//! `PARSE_ERROR` while the other flags serve. None of that is a reason to reject a
//! configuration, so none of it is an error here: each is a [`Warning`], which the runtime logs
//! and reports when a configuration loads, and `flags check` prints (and fails on with
//! `--deny-warnings`).
//!
//! The warnings describe what flagd (and this project's engine, which evaluates as flagd does)
//! does with the rule. A warning of kind [`WarningKind::AlwaysNull`] is only given for a call
//! that yields null whatever the context; calls whose arguments are computed are judged when
//! they are evaluated.
//!
//! The grammar the lint checks against is [`super::grammar`], which the runtime's engine
//! compiles rules with too; what flagd's own operators do with their arguments is judged in
//! `calls.rs`.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::calls::call_problem;
use super::grammar::{FLAGD_CONTEXT, FlagdProperty, Operator, has_rule, operator_names};
use crate::error::{Warning, WarningKind, describe_short, shorten};
use crate::findings::Findings;
use crate::manifest::Manifest;
use crate::targeting::Dialect;

/// The warnings of every targeting rule of `manifest`, flag by flag in key order, then for the
/// evaluators no flag uses. A problem inside an evaluator is reported under each flag that
/// refers to it, prefixed with `in evaluator `name``.
///
/// ```
/// use serde_json::json;
/// let manifest = flags_schema::import(&json!({
///     "flags": {
///         "fine": { "state": "ENABLED", "variants": { "on": true, "off": false },
///                   "targeting": { "if": [{ "$ref": "staff" }, "on", "off"] } },
///         "odd": { "state": "ENABLED", "variants": { "on": true, "off": false },
///                  "targeting": { "fractional": [["on", 50], ["off", -50]] } }
///     },
///     "$evaluators": { "staff": { "ends_with": [{ "var": "email" }] } }
/// }), "flags.json").unwrap();
/// let warnings: Vec<String> = flags_schema::flagd::lint(&manifest).iter().map(|w| w.to_string()).collect();
/// assert_eq!(warnings, [
///     "flag `fine`: in evaluator `staff`: `ends_with` takes 2 arguments `[string, suffix]`, \
///      found 1: it is always null",
///     "flag `odd`: the weight of variant `off` is negative (`-50`): it counts as 0",
/// ]);
/// ```
pub fn lint(manifest: &Manifest) -> Vec<Warning> {
    let evaluators = &manifest.evaluators;
    let suggestions = Cell::new((SUGGESTIONS, SUGGESTION_WORK));
    let mut by_evaluator: BTreeMap<&str, Findings> = BTreeMap::new();
    for (name, rule) in evaluators {
        let mut walker = Walker::new(evaluators, Some(name), &suggestions);
        walker.value(rule);
        by_evaluator.insert(name, walker.findings);
    }
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for (key, flag) in &manifest.flags {
        // Other dialects have grammars of their own.
        let Some(rule) = flag
            .targeting
            .as_ref()
            .filter(|t| t.dialect == Dialect::Flagd)
            .map(|t| &t.rule)
        else {
            continue;
        };
        let mut walker = Walker::new(evaluators, None, &suggestions);
        walker.targeting(rule);
        let mut findings = walker.findings;
        // Each evaluator's findings are at most `PER_FLAG`: the work is linear in the
        // references, however many flags share a broken evaluator.
        for name in walker.references {
            used.insert(name);
            let Some(inside) = by_evaluator.get(name) else {
                continue;
            };
            for (kind, message) in &inside.first {
                findings.add(*kind, || {
                    format!("in evaluator `{}`: {message}", shorten(name))
                });
            }
            findings.total += inside.total - inside.first.len();
        }
        findings.push_to(&mut out, Some(key));
    }
    for (name, inside) in by_evaluator {
        if !used.contains(name) && inside.total > 0 {
            let mut findings = Findings::default();
            for (kind, message) in inside.first {
                findings.add(kind, || format!("evaluator `{}`: {message}", shorten(name)));
            }
            findings.total = inside.total;
            findings.push_to(&mut out, None);
        }
    }
    out
}

/// The warnings of one targeting rule, whose `$ref`s name `evaluators` (without looking into
/// the evaluators themselves: [`lint`] reports those). Each warning is a sentence saying what
/// is wrong and what it does.
///
/// ```
/// use std::collections::BTreeMap;
/// use serde_json::json;
/// let evaluators = BTreeMap::new();
/// let lint = |rule| flags_schema::flagd::lint_targeting(&rule, &evaluators);
/// assert!(lint(json!({ "if": [{ "sem_ver": [{ "var": "version" }, ">=", "2.0.0"] }, "on", "off"] })).is_empty());
/// assert_eq!(
///     lint(json!({ "sem_ver": [{ "var": "version" }, "*", "1.0.0"] }))[0].message,
///     "unknown `sem_ver` operator `*`; expected one of `=`, `!=`, `<`, `<=`, `>`, `>=`, `^`, \
///      `~`: it is always null",
/// );
/// assert_eq!(
///     lint(json!({ "not-a-real-rule": [1, 2] }))[0].kind,
///     flags_schema::WarningKind::ParseError,
/// );
/// ```
pub fn lint_targeting(rule: &Value, evaluators: &BTreeMap<String, Value>) -> Vec<Warning> {
    let suggestions = Cell::new((SUGGESTIONS, SUGGESTION_WORK));
    let mut walker = Walker::new(evaluators, None, &suggestions);
    walker.targeting(rule);
    let mut out = Vec::new();
    walker.findings.push_to(&mut out, None);
    out
}

pub(super) use crate::findings::Finding;

/// At most this many "did you mean" suggestions per lint: each compares a name with every
/// operator or evaluator name, which must not add up to quadratic work on a large broken
/// configuration.
const SUGGESTIONS: usize = 64;

/// The work all suggestions of one lint may do together, in the units of
/// [`closest_within`](crate::closest_within) (characters of one name by characters of the
/// other): with many candidates, 64 comparisons with every one of them are already too many.
const SUGGESTION_WORK: u64 = 1 << 20;

struct Walker<'a> {
    evaluators: &'a BTreeMap<String, Value>,
    /// The evaluator being walked: flagd substitutes references once, so a `$ref` inside an
    /// evaluator stays unresolved.
    evaluator: Option<&'a str>,
    findings: Findings,
    /// The evaluators referred to, in order of first reference, and as a set.
    references: Vec<&'a str>,
    referenced: BTreeSet<&'a str>,
    /// Suggestions left for this lint.
    suggestions: &'a Cell<(usize, u64)>,
}

impl<'a> Walker<'a> {
    fn new(
        evaluators: &'a BTreeMap<String, Value>,
        evaluator: Option<&'a str>,
        suggestions: &'a Cell<(usize, u64)>,
    ) -> Self {
        Walker {
            evaluators,
            evaluator,
            findings: Findings::default(),
            references: Vec::new(),
            referenced: BTreeSet::new(),
            suggestions,
        }
    }

    fn found(&mut self, kind: WarningKind, message: String) {
        self.findings.add(kind, || message);
    }

    /// " (did you mean `x`?)" for the candidate closest to `name`, while suggestions are left.
    fn suggest<'c>(&self, name: &str, candidates: impl Iterator<Item = &'c str>) -> String {
        let (left, mut work) = self.suggestions.get();
        if left == 0 {
            return String::new();
        }
        let suggestion = crate::closest_within(name, candidates, &mut work);
        self.suggestions.set((left - 1, work));
        suggestion
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default()
    }

    /// A flag's `targeting`.
    fn targeting(&mut self, rule: &'a Value) {
        match rule {
            Value::Object(_) => self.value(rule),
            other if !has_rule(other) => self.found(
                WarningKind::Suspicious,
                format!(
                    "the targeting rule is {}, not a JSON Logic object such as `{{\"if\": [...]}}`: \
                     flagd ignores it",
                    describe_short(other)
                ),
            ),
            other => {
                self.found(
                    WarningKind::Suspicious,
                    format!(
                        "the targeting rule is {}, not a JSON Logic object such as \
                         `{{\"if\": [...]}}`: flagd evaluates it as a value",
                        describe_short(other)
                    ),
                );
                self.value(other);
            }
        }
    }

    fn value(&mut self, value: &'a Value) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| self.value(item)),
            Value::Object(operation) => self.operation(operation),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }

    fn operation(&mut self, operation: &'a Map<String, Value>) {
        let mut entries = operation.iter();
        let (name, args) = match (entries.next(), operation.len()) {
            (None, _) => return,
            (Some(entry), 1) => entry,
            (Some(_), n) => {
                let mut keys: Vec<String> = operation
                    .keys()
                    .take(4)
                    .map(|k| format!("`{}`", shorten(k)))
                    .collect();
                if n > 4 {
                    keys.push(format!("and {} more", n - 4));
                }
                return self.found(
                    WarningKind::ParseError,
                    format!(
                        "an operation is an object with one key, the operator; found {}: flagd \
                         cannot evaluate the rule",
                        keys.join(", ")
                    ),
                );
            }
        };
        match Operator::parse(name) {
            Some(Operator::Ref) => return self.reference(args),
            Some(Operator::Var) => self.var(args),
            Some(operator) if operator.is_flagd() => {
                if let Some((kind, message)) = call_problem(operator, args) {
                    self.found(kind, message);
                }
            }
            Some(_) => {}
            None => {
                let suggestion = self.suggest(name, operator_names());
                return self.found(
                    WarningKind::ParseError,
                    format!(
                        "unknown operator `{}`{suggestion}: flagd cannot evaluate the rule",
                        shorten(name)
                    ),
                );
            }
        }
        self.value(args);
    }

    fn reference(&mut self, args: &'a Value) {
        let Value::String(name) = args else {
            return self.found(
                WarningKind::ParseError,
                format!(
                    "`$ref` takes the name of an evaluator, found {}: flagd cannot evaluate the rule",
                    describe_short(args)
                ),
            );
        };
        if let Some(evaluator) = self.evaluator {
            return self.found(
                WarningKind::ParseError,
                format!(
                    "`$ref` to `{}` inside evaluator `{}`: flagd does not resolve references \
                     inside evaluators, so a rule using it cannot be evaluated",
                    shorten(name),
                    shorten(evaluator)
                ),
            );
        }
        match self.evaluators.get_key_value(name) {
            Some((name, _)) => {
                if self.referenced.insert(name) {
                    self.references.push(name);
                }
            }
            None => {
                let suggestion = self.suggest(name, self.evaluators.keys().map(String::as_str));
                self.found(
                    WarningKind::ParseError,
                    format!(
                        "`$ref` names evaluator `{}`, which `$evaluators` does not define\
                         {suggestion}: flagd cannot evaluate the rule",
                        shorten(name)
                    ),
                );
            }
        }
    }

    fn var(&mut self, args: &Value) {
        let path = match args {
            Value::String(path) => Some(path.as_str()),
            Value::Array(items) => items.first().and_then(Value::as_str),
            _ => None,
        };
        let property = path.and_then(|path| {
            let name = path.strip_prefix(FLAGD_CONTEXT)?.strip_prefix('.')?;
            Some((path, name))
        });
        if let Some((path, name)) = property
            && FlagdProperty::parse(name).is_none()
        {
            let provided: Vec<String> = FlagdProperty::ALL
                .iter()
                .map(|p| format!("`{FLAGD_CONTEXT}.{}`", p.name()))
                .collect();
            self.found(
                WarningKind::Suspicious,
                format!(
                    "`{}` is not a property flagd provides ({}): it is never set",
                    shorten(path),
                    provided.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
