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

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{ALIASES, OPERATORS};
use crate::error::{Warning, WarningKind, describe_short, shorten};
use crate::manifest::Manifest;
use crate::targeting::Dialect;

/// The properties flagd adds to the evaluation context under `$flagd`.
const FLAGD_PROPERTIES: [&str; 2] = ["$flagd.flagKey", "$flagd.timestamp"];

/// The comparisons `sem_ver` knows.
const SEM_VER_OPERATORS: [&str; 8] = ["=", "!=", "<", "<=", ">", ">=", "^", "~"];

/// The largest total of `fractional` weights (flagd's `Math.MaxInt32`).
const MAX_WEIGHT: f64 = 2_147_483_647.0;

/// At most this many warnings per flag (or unused evaluator); one more line says how many
/// were left out, so that a large broken configuration gives a bounded report.
const PER_FLAG: usize = 5;

/// Whether flagd evaluates `targeting` as a rule: a non-empty object, array or string (flagd
/// tests `Object.keys(targeting).length > 0`). `{}`, `[]`, `""`, numbers, booleans and null
/// are no rule: the flag serves its default variant (reason `STATIC`).
///
/// ```
/// use flags_schema::flagd::has_rule;
/// use serde_json::json;
/// assert!(has_rule(&json!({ "var": "plan" })));
/// assert!(has_rule(&json!("on")));
/// assert!(!has_rule(&json!({})));
/// assert!(!has_rule(&json!(true)));
/// ```
pub fn has_rule(targeting: &Value) -> bool {
    match targeting {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::String(text) => !text.is_empty(),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

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

/// What a walk found: the kind and the sentence.
type Finding = (WarningKind, String);

/// The first [`PER_FLAG`] findings of a walk, and how many there were.
#[derive(Default)]
struct Findings {
    first: Vec<Finding>,
    total: usize,
}

impl Findings {
    /// Counts a finding, and keeps it (written by `message`) while fewer than `PER_FLAG` are.
    fn add(&mut self, kind: WarningKind, message: impl FnOnce() -> String) {
        if self.first.len() < PER_FLAG {
            self.first.push((kind, message()));
        }
        self.total += 1;
    }

    /// The warnings, and one more saying how many were left out.
    fn push_to(self, out: &mut Vec<Warning>, flag: Option<&str>) {
        let kept = self.first.len();
        for (kind, message) in self.first {
            out.push(Warning::new(flag, kind, message));
        }
        if self.total > kept {
            out.push(Warning::new(
                flag,
                WarningKind::Suspicious,
                format!("and {} more problems", self.total - kept),
            ));
        }
    }
}

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
        match name.as_str() {
            "$ref" => return self.reference(args),
            "var" => self.var(args),
            "fractional" | "sem_ver" | "starts_with" | "ends_with" => {
                if let Some((kind, message)) = call_problem(name, args) {
                    self.found(kind, message);
                }
            }
            known if OPERATORS.contains(&known) || ALIASES.contains(&known) => {}
            unknown => {
                let suggestion = self.suggest(
                    unknown,
                    OPERATORS
                        .iter()
                        .chain(ALIASES)
                        .copied()
                        .filter(|op| *op != "$ref"),
                );
                return self.found(
                    WarningKind::ParseError,
                    format!(
                        "unknown operator `{}`{suggestion}: flagd cannot evaluate the rule",
                        shorten(unknown)
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
        if let Some(path) = path
            && path.starts_with("$flagd.")
            && !FLAGD_PROPERTIES.contains(&path)
        {
            self.found(
                WarningKind::Suspicious,
                format!(
                    "`{}` is not a property flagd provides (`$flagd.flagKey`, `$flagd.timestamp`): \
                     it is never set",
                    shorten(path)
                ),
            );
        }
    }
}

/// Whether a call of one of flagd's operators (`fractional`, `sem_ver`, `starts_with`,
/// `ends_with`) with `args` evaluates to null whatever the context (its arguments are still
/// computed, and can fail): what the lint reports as [`WarningKind::AlwaysNull`], and what the
/// runtime's engine compiles such a call to. `fractional` is judged as flagd buckets today (by
/// a string key, weights that are whole numbers).
///
/// ```
/// use flags_schema::flagd::always_null;
/// use serde_json::json;
/// assert!(always_null("sem_ver", &json!([{ "var": "v" }, "==", "1.0.0"])));
/// assert!(always_null("starts_with", &json!([{ "var": "email" }])));
/// assert!(always_null("fractional", &json!([["a", 1.5], ["b", 1]])));
/// assert!(!always_null("fractional", &json!([["a", -1], ["b", 1]]))); // -1 counts as 0
/// assert!(!always_null("sem_ver", &json!([{ "var": "v" }, { "var": "op" }, "1.0.0"])));
/// ```
pub fn always_null(operator: &str, args: &Value) -> bool {
    matches!(
        call_problem(operator, args),
        Some((WarningKind::AlwaysNull, _))
    )
}

/// The problem of a call of one of flagd's operators: one that makes it always null, else a
/// suspicious part; `None` for other operators.
fn call_problem(operator: &str, args: &Value) -> Option<Finding> {
    let problem = match operator {
        "starts_with" | "ends_with" => affix_problem(operator, args),
        "sem_ver" => sem_ver_problem(args),
        "fractional" => match args {
            Value::Array(items) => return fractional_problem(items),
            args if is_operation(args) => None,
            other => Some(format!(
                "`fractional` takes `[bucketing value, [variant, weight], ...]`, found {}",
                describe_short(other)
            )),
        },
        _ => None,
    };
    problem.map(|problem| {
        (
            WarningKind::AlwaysNull,
            format!("{problem}: it is always null"),
        )
    })
}

/// `starts_with` / `ends_with`: two strings, else null.
fn affix_problem(name: &str, args: &Value) -> Option<String> {
    let what = if name == "starts_with" {
        "prefix"
    } else {
        "suffix"
    };
    match args {
        Value::Array(items) if items.len() != 2 => Some(format!(
            "`{name}` takes 2 arguments `[string, {what}]`, found {}",
            items.len()
        )),
        Value::Array(items) => items
            .iter()
            .zip(["first", "second"])
            .find(|(item, _)| is_literal(item) && !item.is_string())
            .map(|(item, which)| {
                format!(
                    "the {which} argument of `{name}` is {}, not a string",
                    describe_short(item)
                )
            }),
        args if is_operation(args) => None,
        other => Some(format!(
            "`{name}` takes `[string, {what}]`, found {}",
            describe_short(other)
        )),
    }
}

/// `sem_ver [version, operator, version]`: null on anything it cannot read.
fn sem_ver_problem(args: &Value) -> Option<String> {
    match args {
        Value::Array(items) => match items.as_slice() {
            [left, operator, right] => [left, right]
                .into_iter()
                .filter(|side| is_literal(side))
                .filter_map(js_string)
                .find(|text| !is_sem_ver_version(text))
                .map(|text| {
                    format!(
                        "`{}` is not a version `sem_ver` reads (such as `1.2.3`, `v2.0` or \
                         `2.0.0-beta.1`)",
                        shorten(&text)
                    )
                })
                .or_else(|| {
                    let op = js_string(operator).filter(|_| is_literal(operator))?;
                    (!SEM_VER_OPERATORS.contains(&op.as_str())).then(|| {
                        format!(
                            "unknown `sem_ver` operator `{}`; expected one of {}",
                            shorten(&op),
                            SEM_VER_OPERATORS.map(|o| format!("`{o}`")).join(", ")
                        )
                    })
                }),
            _ => Some(format!(
                "`sem_ver` takes 3 arguments `[version, operator, version]`, found {}",
                items.len()
            )),
        },
        args if is_operation(args) => None,
        other => Some(format!(
            "`sem_ver` takes `[version, operator, version]`, found {}",
            describe_short(other)
        )),
    }
}

/// The first problem of a `fractional` call over the literal list `items`: one that makes it
/// null, else a suspicious part.
fn fractional_problem(items: &[Value]) -> Option<Finding> {
    let null = |message: String| {
        Some((
            WarningKind::AlwaysNull,
            format!("{message}: it is always null"),
        ))
    };
    let mut suspicious = None;
    let buckets = match items.first() {
        None => {
            return null("`fractional` needs at least one bucket `[variant, weight]`".to_owned());
        }
        Some(Value::String(key)) => {
            suspicious = Some((
                WarningKind::Suspicious,
                format!(
                    "`fractional` buckets by the literal `{}`: every subject lands in the same \
                     bucket; bucket by a rule such as `{{\"var\": \"email\"}}`, or leave it out \
                     to bucket by flag key and targeting key",
                    shorten(key)
                ),
            ));
            &items[1..]
        }
        // A null bucketing value: the flag key and targeting key are used, as when it is
        // left out.
        Some(Value::Null) => &items[1..],
        Some(Value::Array(_)) => items,
        Some(first) if is_operation(first) => &items[1..],
        Some(other) => {
            return null(format!(
                "`fractional` starts with {}, which is neither a bucketing value (a string) nor a \
                 bucket `[variant, weight]`",
                describe_short(other)
            ));
        }
    };
    let mut total = 0.0;
    let mut all_literal = true;
    for bucket in buckets {
        let parts = match bucket {
            Value::Array(parts) => parts,
            bucket if is_operation(bucket) => {
                all_literal = false;
                continue;
            }
            other => {
                return null(format!(
                    "a `fractional` bucket is `[variant, weight]`, found {}",
                    describe_short(other)
                ));
            }
        };
        let (variant, weight) = match parts.as_slice() {
            [variant] => (variant, None),
            [variant, weight] => (variant, Some(weight)),
            _ => {
                return null(format!(
                    "a `fractional` bucket is `[variant]` or `[variant, weight]`, found an array \
                     of {} elements",
                    parts.len()
                ));
            }
        };
        if is_literal(variant) && (variant.is_array() || variant.is_object()) {
            return null(format!(
                "the variant of a `fractional` bucket is a string (or a rule computing one), \
                 found {}",
                describe_short(variant)
            ));
        }
        let weight = match weight {
            None => 1.0,
            Some(weight) if !is_literal(weight) => {
                all_literal = false;
                continue;
            }
            Some(weight) => match weight.as_f64() {
                Some(n) if n.fract() == 0.0 => n,
                _ => {
                    return null(format!(
                        "a `fractional` weight is a whole number, found {}",
                        describe_short(weight)
                    ));
                }
            },
        };
        if weight < 0.0 {
            suspicious = suspicious.or_else(|| {
                Some((
                    WarningKind::Suspicious,
                    format!(
                        "the weight of variant {} is negative (`{}`): it counts as 0",
                        variant_name(variant),
                        shorten(&weight.to_string())
                    ),
                ))
            });
        } else {
            total += weight;
        }
    }
    if total > MAX_WEIGHT {
        return null("the `fractional` weights sum to more than 2,147,483,647".to_owned());
    }
    if all_literal && total == 0.0 {
        return null("the `fractional` weights sum to 0".to_owned());
    }
    suspicious
}

/// A bucket's variant for a message: `name` in backticks, or what the rule is.
fn variant_name(variant: &Value) -> String {
    match variant {
        Value::String(name) => format!("`{}`", shorten(name)),
        other if is_literal(other) => format!("`{}`", shorten(&other.to_string())),
        _ => "computed by a rule".to_owned(),
    }
}

/// Whether `value` computes nothing: a scalar, `{}`, or an array of literals.
fn is_literal(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.iter().all(is_literal),
        _ => true,
    }
}

/// Whether `value` is an operation (an object with keys), computed when evaluated.
fn is_operation(value: &Value) -> bool {
    matches!(value, Value::Object(map) if !map.is_empty())
}

/// How JavaScript's `String()` writes a literal, when this is certain: strings, booleans, null,
/// `{}`, and numbers of at most 15 significant digits written without an exponent. `None` for
/// the rest (arrays, long or tiny or huge numbers), which the lint does not judge.
fn js_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Object(map) if map.is_empty() => Some("[object Object]".to_owned()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() < 1 << 53) {
                return Some(i.to_string());
            }
            let f = n.as_f64()?;
            // Rust and JavaScript both write the shortest digits that read back as the same
            // number; they differ in when they switch to an exponent, outside this range.
            (f.is_finite() && f.abs() >= 1e-6 && f.abs() < 1e15).then(|| f.to_string())
        }
        _ => None,
    }
}

/// Whether flagd's `sem_ver` reads `text` as a version: npm `semver`'s strict
/// `MAJOR.MINOR.PATCH[-pre][+build]` (after one leading `v` or `V`, surrounding white space
/// ignored, numbers without leading zeros and at most 2^53 - 1), or a partial `1` / `1.2`
/// (padded with zeros; npm `semver`'s `coerce`, which reads at most 16 digits per number).
///
/// ```
/// use flags_schema::flagd::is_sem_ver_version;
/// for ok in ["1.2.3", "v1.2.3", "V2", "1.2", " 1.0.0 ", "2.0.0-beta.1+build.5"] {
///     assert!(is_sem_ver_version(ok), "{ok}");
/// }
/// for bad in ["", "v", "1.2.3.4", "01.2.3", "1.2.3-", "not-a-version", "1.2.x"] {
///     assert!(!is_sem_ver_version(bad), "{bad}");
/// }
/// ```
pub fn is_sem_ver_version(text: &str) -> bool {
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    if text.len() > 256 {
        return false;
    }
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    strict_version(trimmed) || partial_version(text)
}

/// A canonical version number: `0` or digits without a leading zero, at most 2^53 - 1.
fn version_number(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s.len() == 1 || !s.starts_with('0'))
        && s.parse::<u64>().is_ok_and(|n| n < 1 << 53)
}

fn strict_version(text: &str) -> bool {
    let text = text.strip_prefix('v').unwrap_or(text);
    let (text, build) = match text.split_once('+') {
        Some((text, build)) => (text, Some(build)),
        None => (text, None),
    };
    let build_ok =
        |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if build.is_some_and(|build| !build.split('.').all(build_ok)) {
        return false;
    }
    let pre_ok = |id: &str| {
        build_ok(id)
            && (!id.bytes().all(|b| b.is_ascii_digit()) || id == "0" || !id.starts_with('0'))
    };
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    if pre.is_some_and(|pre| !pre.split('.').all(pre_ok)) {
        return false;
    }
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|part| version_number(part))
}

fn partial_version(text: &str) -> bool {
    let (major, minor) = match text.split_once('.') {
        Some((major, minor)) => (major, Some(minor)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !minor.is_none_or(digits) {
        return false;
    }
    let short = |s: &&str| s.len() <= 16;
    let (major, minor) = if short(&major) {
        (Some(major), minor.filter(short))
    } else {
        (minor.filter(short), None)
    };
    major.is_some_and(version_number) && minor.is_none_or(version_number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
        assert!(message.contains(
            "buckets by the literal `fixed-key`: every subject lands in the same bucket"
        ));
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

    #[test]
    fn versions() {
        for ok in [
            "1.2.3",
            "v1.2.3",
            "V1.2.3",
            "vv1.2.3",
            "Vv1.2.3",
            "1",
            "1.2",
            " 1.2.3 ",
            "1.0.0-0",
            "1.0.0-x-y.1",
        ] {
            assert!(is_sem_ver_version(ok), "{ok}");
        }
        for bad in [
            "",
            "v",
            "vV1.2.3",
            "1.2.3.4",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1e3",
            "1.2.x",
            "9007199254740992.0.0",
        ] {
            assert!(!is_sem_ver_version(bad), "{bad}");
        }
    }
}
