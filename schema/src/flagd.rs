//! Importer for flagd flag-definition files.
//!
//! The format is the one flagd's daemon reads (schema `https://flagd.dev/schema/v0/flagd.json`),
//! a superset of what flagd providers read (`flags.json`): `flags` is a map from key to flag or
//! an array of flags each carrying its `key`.
//!
//! ```json
//! {
//!   "$schema": "https://flagd.dev/schema/v0/flags.json",
//!   "flags": {
//!     "new-checkout": {
//!       "state": "ENABLED",
//!       "variants": { "on": true, "off": false },
//!       "defaultVariant": "off",
//!       "targeting": { "if": [{ "$ref": "staff" }, "on"] },
//!       "metadata": { "description": "The redesigned checkout", "owner": "payments" }
//!     }
//!   },
//!   "$evaluators": { "staff": { "ends_with": [{ "var": "email" }, "@example.com"] } },
//!   "metadata": { "flagSetId": "shop", "version": "17" }
//! }
//! ```
//!
//! How a flag maps onto a [`Flag`]:
//!
//! | flagd | [`Flag`] |
//! | --- | --- |
//! | `state` (`ENABLED` / `DISABLED`, required) | [`Flag::state`] |
//! | `variants` (required, at least one) | [`Flag::variants`]; their common type is [`Flag::flag_type`]: all integral numbers make an integer flag, any other number a float flag |
//! | `defaultVariant` (a variant name, `null` or absent) | [`Flag::default_variant`], and that variant's value as [`Flag::default`]; `null` / absent leave both `None` (the code default applies) |
//! | `targeting` (JSON Logic; `{}` is none) | [`Flag::targeting`], validated by [`validate_targeting`] |
//! | `metadata` | [`Flag::metadata`]; a string `description` also becomes [`Flag::description`], `deprecated: true` sets [`Flag::deprecated`] |
//!
//! Fields flagd does not know are ignored, as flagd ignores them. Top-level `metadata` becomes
//! [`Manifest::metadata`] and `$evaluators` [`Manifest::evaluators`].
//!
//! ```
//! let manifest = flags_schema::flagd::import(&serde_json::json!({
//!     "flags": [
//!         { "key": "limit", "state": "ENABLED", "variants": { "low": 10, "high": 100 }, "defaultVariant": "low" },
//!         { "key": "ratio", "state": "DISABLED", "variants": { "half": 0.5, "all": 1 } }
//!     ]
//! }), "flags.json").unwrap();
//! assert_eq!(manifest.flags["limit"].flag_type, flags_schema::FlagType::Integer);
//! assert_eq!(manifest.flags["limit"].default, Some(serde_json::json!(10)));
//! assert_eq!(manifest.flags["ratio"].flag_type, flags_schema::FlagType::Float);
//! assert_eq!(manifest.flags["ratio"].default, None);
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::detect::{Format, finish};
use crate::error::{Error, Problem, describe};
use crate::manifest::{Flag, FlagState, FlagType, Manifest, Metadata, MetadataValue};

/// Imports a flagd flag-definition file; `origin` names it in errors and in the provenance.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for a missing or unknown `state`, no variants, a variant
/// that is an array or `null`, variants of mixed types, a `defaultVariant` that names no
/// variant, invalid targeting or metadata, an empty or duplicate key; an [`Error::Document`]
/// for invalid flag-set `metadata` or `$evaluators`, or a document without `flags`.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(convert(value.clone(), origin)?, Format::Flagd, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
/// Takes the document by value: variants and rules move into the manifest instead of being
/// copied (a large configuration loads in about two thirds of the time).
pub(crate) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let Value::Object(mut document) = value else {
        return Err(Error::document(
            origin,
            Problem::UnknownFormat {
                hint: format!(
                    "a flagd file is an object with `flags`, found {}",
                    describe(&value)
                ),
            },
        ));
    };
    let mut manifest = Manifest::new();
    if let Some(metadata) = document.get("metadata") {
        manifest.metadata = import_metadata(metadata).map_err(|p| Error::document(origin, p))?;
    }
    if let Some(evaluators) = document.get("$evaluators") {
        manifest.evaluators =
            import_evaluators(evaluators).map_err(|p| Error::document(origin, p))?;
    }
    let flags = document
        .remove("flags")
        .ok_or_else(|| Error::document(origin, Problem::MissingField { field: "flags" }))?;
    let entries: Vec<(String, Value)> = match flags {
        Value::Object(flags) => flags.into_iter().collect(),
        Value::Array(flags) => {
            let mut entries = Vec::with_capacity(flags.len());
            for (index, flag) in flags.into_iter().enumerate() {
                let key = array_key(index, &flag)
                    .map_err(|p| Error::document(origin, p))?
                    .to_owned();
                entries.push((key, flag));
            }
            entries
        }
        other => {
            return Err(Error::document(
                origin,
                Problem::InvalidField {
                    field: "flags".to_owned(),
                    expected: "an object of flags by key, or an array of flags with a `key`",
                    found: describe(&other),
                },
            ));
        }
    };
    for (key, flag) in entries {
        if key.is_empty() {
            return Err(Error::flag(origin, &key, Problem::EmptyKey));
        }
        if manifest.flags.contains_key(&key) {
            return Err(Error::flag(origin, &key, Problem::DuplicateKey));
        }
        let flag = import_flag(&key, flag, &manifest.evaluators)
            .map_err(|problem| Error::flag(origin, &key, problem))?;
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

/// The `key` of the flag at `index` of a `flags` array.
fn array_key(index: usize, flag: &Value) -> Result<&str, Problem> {
    let Value::Object(fields) = flag else {
        return Err(Problem::InvalidField {
            field: format!("flags[{index}]"),
            expected: "a flag object with a `key`",
            found: describe(flag),
        });
    };
    match fields.get("key") {
        Some(Value::String(key)) => Ok(key),
        found => Err(Problem::InvalidField {
            field: format!("flags[{index}].key"),
            expected: "a string",
            found: found.map_or_else(|| "none".to_owned(), describe),
        }),
    }
}

fn import_flag(
    key: &str,
    value: Value,
    evaluators: &BTreeMap<String, Value>,
) -> Result<Flag, Problem> {
    let Value::Object(mut fields) = value else {
        return Err(Problem::InvalidField {
            field: format!("flags.{key}"),
            expected: "a flag object with `state` and `variants`",
            found: describe(&value),
        });
    };
    let state = import_state(&fields)?;
    let variants = match fields.remove("variants") {
        None => return Err(Problem::NoVariants),
        Some(Value::Object(variants)) if variants.is_empty() => return Err(Problem::NoVariants),
        Some(Value::Object(variants)) => variants,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "variants".to_owned(),
                expected: "an object of values by variant name",
                found: describe(&other),
            });
        }
    };
    let flag_type = variants_type(&variants)?;
    let mut flag = Flag::new(flag_type, None);
    flag.state = state;
    let variants: BTreeMap<String, Value> = variants.into_iter().collect();
    match fields.get("defaultVariant") {
        None | Some(Value::Null) => {}
        // flagd reads an empty name as no default variant (unless a variant has that name).
        Some(Value::String(name)) if name.is_empty() && !variants.contains_key(name) => {}
        Some(Value::String(name)) => {
            let Some(value) = variants.get(name) else {
                let mut available: Vec<String> = variants.keys().cloned().collect();
                available.sort();
                return Err(Problem::DefaultVariantNotFound {
                    variant: name.clone(),
                    available,
                });
            };
            flag.default = Some(value.clone());
            flag.default_variant = Some(name.clone());
        }
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "defaultVariant".to_owned(),
                expected: "the name of a variant, or null",
                found: describe(other),
            });
        }
    }
    flag.variants = variants;
    flag.targeting = match fields.remove("targeting") {
        None | Some(Value::Null) => None,
        // flagd reads an empty object as "no targeting".
        Some(Value::Object(rule)) if rule.is_empty() => None,
        Some(rule) => {
            validate_targeting(&rule, evaluators)
                .map_err(|reason| Problem::InvalidTargeting { reason })?;
            Some(rule)
        }
    };
    if let Some(metadata) = fields.get("metadata") {
        flag.metadata = import_metadata(metadata)?;
        if let Some(MetadataValue::String(description)) = flag.metadata.get("description") {
            flag.description = Some(description.clone());
        }
        flag.deprecated = matches!(
            flag.metadata.get("deprecated"),
            Some(MetadataValue::Bool(true))
        );
    }
    Ok(flag)
}

fn import_state(fields: &Map<String, Value>) -> Result<FlagState, Problem> {
    match fields.get("state") {
        None => Err(Problem::MissingField { field: "state" }),
        Some(Value::String(state)) if state == "ENABLED" => Ok(FlagState::Enabled),
        Some(Value::String(state)) if state == "DISABLED" => Ok(FlagState::Disabled),
        Some(Value::String(state)) => Err(Problem::InvalidState {
            found: state.clone(),
        }),
        Some(other) => Err(Problem::InvalidState {
            found: other.to_string(),
        }),
    }
}

/// The one type of all variants: the first variant fixes it, integers and floats widen to float,
/// anything else is [`Problem::MixedVariantTypes`].
pub(crate) fn variants_type(variants: &Map<String, Value>) -> Result<FlagType, Problem> {
    let mut first: Option<(&str, FlagType)> = None;
    let mut unified = FlagType::Boolean;
    for (name, value) in variants {
        let Some(value_type) = FlagType::of(value) else {
            return Err(Problem::InvalidVariantValue {
                variant: name.clone(),
                found: describe(value),
            });
        };
        match first {
            None => {
                first = Some((name, value_type));
                unified = value_type;
            }
            Some((first_name, first_type)) => {
                unified = unified
                    .unify(value_type)
                    .ok_or_else(|| Problem::MixedVariantTypes {
                        first: first_name.to_owned(),
                        first_type,
                        variant: name.clone(),
                        found: describe(value),
                    })?;
            }
        }
    }
    Ok(unified)
}

/// Flag or flag-set metadata: an object of booleans, strings and numbers (flagd and OFREP).
pub(crate) fn import_metadata(value: &Value) -> Result<Metadata, Problem> {
    let Value::Object(entries) = value else {
        return Err(Problem::InvalidField {
            field: "metadata".to_owned(),
            expected: "an object of booleans, strings or numbers",
            found: describe(value),
        });
    };
    entries
        .iter()
        .map(|(key, value)| match MetadataValue::from_json(value) {
            Some(value) => Ok((key.clone(), value)),
            None => Err(Problem::InvalidMetadata {
                key: key.clone(),
                found: describe(value),
            }),
        })
        .collect()
}

fn import_evaluators(value: &Value) -> Result<BTreeMap<String, Value>, Problem> {
    let Value::Object(entries) = value else {
        return Err(Problem::InvalidField {
            field: "$evaluators".to_owned(),
            expected: "an object of targeting rules by name",
            found: describe(value),
        });
    };
    let mut evaluators = BTreeMap::new();
    for (name, rule) in entries {
        if name.is_empty() {
            return Err(Problem::InvalidTargeting {
                reason: "evaluator names in `$evaluators` must not be empty".to_owned(),
            });
        }
        check_rule(rule, None).map_err(|reason| Problem::InvalidTargeting {
            reason: format!("in evaluator `{name}`: {reason}"),
        })?;
        evaluators.insert(name.clone(), rule.clone());
    }
    Ok(evaluators)
}

/// The operators a flagd targeting rule may use: JSON Logic's, flagd's own (`fractional`,
/// `sem_ver`, `starts_with`, `ends_with`) and `$ref`, as listed by flagd's `targeting.json`.
/// JSON Logic's `?:` and `log` are not among them.
pub const OPERATORS: &[&str] = &[
    "var",
    "missing",
    "missing_some",
    "if",
    "==",
    "===",
    "!=",
    "!==",
    ">",
    ">=",
    "<",
    "<=",
    "!",
    "!!",
    "or",
    "and",
    "+",
    "-",
    "*",
    "/",
    "%",
    "max",
    "min",
    "merge",
    "cat",
    "substr",
    "in",
    "map",
    "filter",
    "all",
    "none",
    "some",
    "reduce",
    "fractional",
    "sem_ver",
    "starts_with",
    "ends_with",
    "$ref",
];

/// Checks that a targeting rule is JSON Logic that flagd evaluates.
///
/// `rule` must be an object; `{}` is the empty rule. Every object in it with one key is an
/// operation; `{}` inside a rule is an empty object literal; an object with more keys is an
/// error. As in flagd, an operator that is not one of [`OPERATORS`] and a `{"$ref": name}` to
/// no evaluator are not load errors: the rule is kept and the flag answers `PARSE_ERROR` when
/// it is evaluated. Beyond that, checks that are certain to catch a mistake:
///
/// - `var` paths under `$flagd.` are `$flagd.flagKey` or `$flagd.timestamp`, the only
///   properties flagd provides;
/// - `fractional` takes an optional rule computing the bucketing value, then buckets
///   `[variant]` or `[variant, weight]`, where a literal weight is a whole number, 0 or more
///   (weights summing past 2,147,483,647 load, and the rule gives null, as in flagd);
/// - `starts_with` / `ends_with` take exactly two arguments, each a string or a rule;
/// - `sem_ver` takes exactly `[version, operator, version]` with an operator among `=`, `!=`,
///   `<`, `<=`, `>`, `>=`, `^`, `~` and literal versions such as `1.2.3`, `v1.2` or
///   `2.0.0-beta.1+build` (at most three numeric parts).
///
/// Arities of plain JSON Logic operators are left to the engine, which is lenient about them.
/// The error is a sentence for [`Problem::InvalidTargeting`].
///
/// ```
/// use std::collections::BTreeMap;
/// use flags_schema::flagd::validate_targeting;
/// use serde_json::json;
///
/// let evaluators = BTreeMap::new();
/// assert!(validate_targeting(&json!({ "if": [{ "var": "beta" }, "on", "off"] }), &evaluators).is_ok());
/// assert_eq!(
///     validate_targeting(&json!({ "sem_ver": [{ "var": "v" }, "*", "1.0.0"] }), &evaluators)
///         .unwrap_err(),
///     "unknown `sem_ver` operator `*`; expected one of `=`, `!=`, `<`, `<=`, `>`, `>=`, `^`, `~`",
/// );
/// // Evaluated as flagd does: PARSE_ERROR when the flag is read.
/// assert!(validate_targeting(&json!({ "not-a-real-rule": [1, 2] }), &evaluators).is_ok());
/// ```
///
/// # Errors
///
/// A lowercase sentence naming the offending operator or value, with code in backticks.
pub fn validate_targeting(
    rule: &Value,
    evaluators: &BTreeMap<String, Value>,
) -> Result<(), String> {
    check_rule(rule, Some(evaluators))
}

/// [`validate_targeting`]; `evaluators` is `None` inside `$evaluators` (flagd substitutes
/// references once, so a `$ref` there is left unresolved: PARSE_ERROR when evaluated).
fn check_rule(rule: &Value, evaluators: Option<&BTreeMap<String, Value>>) -> Result<(), String> {
    match rule {
        Value::Object(_) => Checker { evaluators }.value(rule),
        other => Err(format!(
            "a targeting rule is a JSON Logic object such as `{{\"if\": [...]}}`, found {}",
            describe(other)
        )),
    }
}

struct Checker<'a> {
    evaluators: Option<&'a BTreeMap<String, Value>>,
}

const FLAGD_PROPERTIES: [&str; 2] = ["$flagd.flagKey", "$flagd.timestamp"];
const SEM_VER_OPERATORS: [&str; 8] = ["=", "!=", "<", "<=", ">", ">=", "^", "~"];

impl Checker<'_> {
    fn value(&self, value: &Value) -> Result<(), String> {
        match value {
            Value::Array(items) => items.iter().try_for_each(|item| self.value(item)),
            Value::Object(operation) => self.operation(operation),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => Ok(()),
        }
    }

    fn operation(&self, operation: &Map<String, Value>) -> Result<(), String> {
        let mut entries = operation.iter();
        let (name, args) = match (entries.next(), operation.len()) {
            (None, _) => return Ok(()),
            (Some(entry), 1) => entry,
            (Some(_), _) => {
                let keys: Vec<String> = operation.keys().map(|k| format!("`{k}`")).collect();
                return Err(format!(
                    "an operation is an object with one key, the operator; found {}",
                    keys.join(", ")
                ));
            }
        };
        match name.as_str() {
            "$ref" => self.reference(args),
            "var" => self.var(args),
            "fractional" => self.fractional(args),
            "sem_ver" => self.sem_ver(args),
            "starts_with" | "ends_with" => self.string_compare(name, args),
            known if OPERATORS.contains(&known) => self.value(args),
            // As flagd: the configuration loads, and the flag answers PARSE_ERROR when read
            // (the runtime's message names the operator and suggests a known one).
            _unknown => Ok(()),
        }
    }

    fn reference(&self, args: &Value) -> Result<(), String> {
        let Value::String(name) = args else {
            return Err(format!(
                "`$ref` takes the name of an evaluator, found {}",
                describe(args)
            ));
        };
        // A `$ref` to no evaluator, or inside `$evaluators` (flagd substitutes references once,
        // so evaluators do not nest), loads as in flagd: a flag using it answers PARSE_ERROR
        // when read.
        let _ = (name, self.evaluators);
        Ok(())
    }

    fn var(&self, args: &Value) -> Result<(), String> {
        match args {
            Value::String(path) => check_var_path(path),
            Value::Array(items) => {
                if let Some(Value::String(path)) = items.first() {
                    check_var_path(path)?;
                }
                self.value(args)
            }
            other => self.value(other),
        }
    }

    fn fractional(&self, args: &Value) -> Result<(), String> {
        let Value::Array(items) = args else {
            return Err(format!(
                "`fractional` takes an array of buckets `[variant, weight]`, found {}",
                describe(args)
            ));
        };
        let buckets = match items.first() {
            None => {
                return Err("`fractional` needs at least one bucket `[variant, weight]`".to_owned());
            }
            // Shorthand: no bucketing value, the buckets start right away.
            Some(Value::Array(_)) => &items[..],
            Some(bucket_by @ Value::Object(_)) => {
                self.value(bucket_by)?;
                &items[1..]
            }
            Some(other) => {
                return Err(format!(
                    "`fractional` starts with a rule computing the bucketing value, such as \
                     `{{\"var\": \"email\"}}`, or with a bucket `[variant, weight]`; found {}",
                    describe(other)
                ));
            }
        };
        for bucket in buckets {
            let (variant, weight) = match bucket {
                Value::Array(parts) => match parts.as_slice() {
                    [variant] => (variant, None),
                    [variant, weight] => (variant, Some(weight)),
                    _ => {
                        return Err(format!(
                            "a `fractional` bucket is `[variant]` or `[variant, weight]`, found an \
                             array of {} elements",
                            parts.len()
                        ));
                    }
                },
                other => {
                    return Err(format!(
                        "a `fractional` bucket is `[variant]` or `[variant, weight]`, found {}",
                        describe(other)
                    ));
                }
            };
            self.value(variant)?;
            match weight {
                None => {}
                Some(rule @ Value::Object(_)) => self.value(rule)?,
                // Weights summing past 2,147,483,647 are valid under the schema; the rule
                // gives null when evaluated, as in flagd.
                Some(Value::Number(number)) if whole_weight(number) => {}
                Some(other) => return Err(weight_error(other)),
            }
        }
        Ok(())
    }

    fn sem_ver(&self, args: &Value) -> Result<(), String> {
        let [left, operator, right] = match args {
            Value::Array(items) => match items.as_slice() {
                [left, operator, right] => [left, operator, right],
                _ => {
                    return Err(format!(
                        "`sem_ver` takes 3 arguments `[version, operator, version]`, found {}",
                        items.len()
                    ));
                }
            },
            other => {
                return Err(format!(
                    "`sem_ver` takes `[version, operator, version]`, found {}",
                    describe(other)
                ));
            }
        };
        for side in [left, right] {
            match side {
                Value::String(version) if !is_version(version) => {
                    return Err(format!(
                        "`{version}` is not a version for `sem_ver`; expected `MAJOR.MINOR.PATCH` \
                         such as `2.0.0`"
                    ));
                }
                other => self.value(other)?,
            }
        }
        match operator {
            Value::String(op) if SEM_VER_OPERATORS.contains(&op.as_str()) => Ok(()),
            Value::String(op) => Err(format!(
                "unknown `sem_ver` operator `{op}`; expected one of {}",
                backticked(&SEM_VER_OPERATORS)
            )),
            Value::Object(_) => self.value(operator),
            other => Err(format!(
                "the `sem_ver` operator is one of {}, found {}",
                backticked(&SEM_VER_OPERATORS),
                describe(other)
            )),
        }
    }

    fn string_compare(&self, name: &str, args: &Value) -> Result<(), String> {
        let what = if name == "starts_with" {
            "prefix"
        } else {
            "suffix"
        };
        let items = match args {
            Value::Array(items) if items.len() == 2 => items,
            Value::Array(items) => {
                return Err(format!(
                    "`{name}` takes 2 arguments `[string, {what}]`, found {}",
                    items.len()
                ));
            }
            other => {
                return Err(format!(
                    "`{name}` takes `[string, {what}]`, found {}",
                    describe(other)
                ));
            }
        };
        for arg in items {
            match arg {
                Value::String(_) => {}
                Value::Object(_) => self.value(arg)?,
                other => {
                    return Err(format!(
                        "the arguments of `{name}` are strings or rules such as \
                         `{{\"var\": \"email\"}}`, found {}",
                        describe(other)
                    ));
                }
            }
        }
        Ok(())
    }
}

fn check_var_path(path: &str) -> Result<(), String> {
    if path.starts_with("$flagd.") && !FLAGD_PROPERTIES.contains(&path) {
        return Err(format!(
            "`{path}` is not a property flagd provides; expected {}",
            backticked(&FLAGD_PROPERTIES)
        ));
    }
    Ok(())
}

/// Whether a literal `fractional` weight is a whole number ≥ 0 (`25` or `25.0`).
fn whole_weight(number: &serde_json::Number) -> bool {
    number.as_u64().is_some()
        || number
            .as_f64()
            .is_some_and(|weight| weight >= 0.0 && weight.fract() == 0.0)
}

fn weight_error(weight: &Value) -> String {
    format!(
        "a `fractional` weight is a whole number (0 or more) or a rule computing one, found {}",
        describe(weight)
    )
}

/// Whether `text` is a version flagd's `sem_ver` accepts: an optional `v`, one to three
/// numeric parts, an optional `-pre.release` and an optional `+build`.
fn is_version(text: &str) -> bool {
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let (text, build) = match text.split_once('+') {
        Some((text, build)) => (text, Some(build)),
        None => (text, None),
    };
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let identifiers = |s: &str| {
        s.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    };
    let parts: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(identifiers)
        && build.is_none_or(identifiers)
}

fn backticked(items: &[&str]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(rule: Value) -> Result<(), String> {
        let evaluators: BTreeMap<String, Value> = [(
            "staff".to_owned(),
            json!({ "in": ["@example.com", { "var": "email" }] }),
        )]
        .into();
        validate_targeting(&rule, &evaluators)
    }

    fn rejects(rule: Value, fragment: &str) {
        match check(rule.clone()) {
            Ok(()) => panic!("accepted {rule}"),
            Err(reason) => assert!(reason.contains(fragment), "{rule}: {reason}"),
        }
    }

    #[test]
    fn shapes_of_rules() {
        assert_eq!(check(json!({})), Ok(()));
        assert_eq!(check(json!({ "==": [{}, {}] })), Ok(()));
        assert_eq!(check(json!({ "in": ["a", ["a", "b"]] })), Ok(()));
        rejects(json!("on"), "a targeting rule is a JSON Logic object");
        rejects(json!([{ "var": "x" }]), "found an array");
        rejects(
            json!({ "==": [1, 1], "!=": [1, 2] }),
            "one key, the operator; found `!=`, `==`",
        );
        // Unknown operators load; the flag answers PARSE_ERROR when read, as in flagd.
        assert_eq!(
            check(json!({ "if": [{ "and": [{ "nope": [] }] }, "a"] })),
            Ok(())
        );
        assert_eq!(check(json!({ "startsWith": ["a", "b"] })), Ok(()));
        // Checks still reach inside known operators.
        rejects(
            json!({ "if": [{ "and": [{ "var": "$flagd.nope" }] }, "a"] }),
            "`$flagd.nope` is not a property",
        );
    }

    #[test]
    fn references() {
        assert_eq!(
            check(json!({ "if": [{ "$ref": "staff" }, "on", null] })),
            Ok(())
        );
        // A reference to no evaluator loads; the flag answers PARSE_ERROR when read.
        assert_eq!(check(json!({ "$ref": "admins" })), Ok(()));
        rejects(
            json!({ "$ref": ["staff"] }),
            "`$ref` takes the name of an evaluator",
        );
        // Inside `$evaluators` too: the flag using it answers PARSE_ERROR when read.
        assert_eq!(check_rule(&json!({ "$ref": "staff" }), None), Ok(()));
    }

    #[test]
    fn var_paths() {
        for ok in [
            json!({ "var": "$flagd.flagKey" }),
            json!({ "var": "$flagd.timestamp" }),
            json!({ "var": ["$flagd.timestamp", 0] }),
            json!({ "var": "$flagdish" }),
            json!({ "var": 0 }),
            json!({ "var": [] }),
            json!({ "var": { "cat": ["user.", { "var": "field" }] } }),
        ] {
            assert_eq!(check(ok.clone()), Ok(()), "{ok}");
        }
        rejects(
            json!({ "var": "$flagd.flagkey" }),
            "`$flagd.flagkey` is not a property",
        );
        rejects(json!({ "var": ["$flagd.env", "prod"] }), "`$flagd.env`");
        rejects(
            json!({ "var": { "cat": [{ "var": "$flagd.x" }] } }),
            "`$flagd.x` is not a property",
        );
    }

    #[test]
    fn fractional() {
        for ok in [
            json!({ "fractional": [["a"]] }),
            json!({ "fractional": [["a", 25.0], ["b", 0]] }),
            json!({ "fractional": [{ "var": "email" }] }),
            json!({ "fractional": [{ "var": "email" }, ["a", { "var": "w" }], ["b", 1]] }),
            json!({ "fractional": [["a", 2_147_483_646], ["b"]] }),
        ] {
            assert_eq!(check(ok.clone()), Ok(()), "{ok}");
        }
        rejects(json!({ "fractional": [] }), "at least one bucket");
        rejects(json!({ "fractional": "a" }), "takes an array of buckets");
        rejects(json!({ "fractional": [null, ["a"]] }), "found null");
        rejects(
            json!({ "fractional": [["a", 1, 2]] }),
            "array of 3 elements",
        );
        rejects(json!({ "fractional": [[]] }), "array of 0 elements");
        rejects(json!({ "fractional": [["a", 1], "b"] }), "found a string");
        rejects(
            json!({ "fractional": [["a", -1]] }),
            "whole number (0 or more)",
        );
        rejects(
            json!({ "fractional": [["a", 0.5]] }),
            "whole number (0 or more)",
        );
        // Valid under the schema; null when evaluated.
        assert_eq!(
            check(json!({ "fractional": [["a", 2_147_483_647], ["b"]] })),
            Ok(())
        );
        assert_eq!(
            check(json!({ "fractional": [["a", 2_147_483_648_u64]] })),
            Ok(())
        );
        rejects(json!({ "fractional": [["a", true]] }), "found a boolean");
        rejects(
            json!({ "fractional": [[{ "var": "$flagd.nope" }, 1]] }),
            "`$flagd.nope` is not a property",
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
            let rule = json!({ "sem_ver": [{ "var": "version" }, ">=", version] });
            assert_eq!(check(rule), Ok(()), "{version}");
            let rule = json!({ "sem_ver": [version, "^", { "var": "version" }] });
            assert_eq!(check(rule), Ok(()), "{version}");
        }
        for version in ["", "1..2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3+", "v"] {
            let rule = json!({ "sem_ver": [{ "var": "version" }, "=", version] });
            rejects(rule, "is not a version for `sem_ver`");
        }
        rejects(json!({ "sem_ver": ["1.0.0", "="] }), "takes 3 arguments");
        rejects(
            json!({ "sem_ver": "1.0.0" }),
            "takes `[version, operator, version]`",
        );
        rejects(
            json!({ "sem_ver": ["1.0.0", "==", "1.0.0"] }),
            "unknown `sem_ver` operator `==`",
        );
        rejects(
            json!({ "sem_ver": ["1.0.0", 1, "1.0.0"] }),
            "found an integer (`1`)",
        );
        assert_eq!(
            check(json!({ "sem_ver": ["1.0.0", { "var": "op" }, "1.0.0"] })),
            Ok(())
        );
    }

    #[test]
    fn string_comparisons() {
        assert_eq!(
            check(json!({ "starts_with": [{ "var": "id" }, "abc"] })),
            Ok(())
        );
        assert_eq!(
            check(json!({ "ends_with": ["abc", { "cat": ["a", "b"] }] })),
            Ok(())
        );
        rejects(
            json!({ "starts_with": ["abc"] }),
            "`starts_with` takes 2 arguments",
        );
        rejects(
            json!({ "ends_with": "abc" }),
            "`ends_with` takes `[string, suffix]`",
        );
        rejects(
            json!({ "ends_with": [{ "var": "id" }, null] }),
            "found null",
        );
        rejects(
            json!({ "starts_with": [{ "var": "$flagd.nope" }, "a"] }),
            "`$flagd.nope` is not a property",
        );
    }

    fn import_one(flag: Value) -> Result<Manifest, Error> {
        import(&json!({ "flags": { "f": flag } }), "flags.json")
    }

    fn problem(flag: Value) -> Problem {
        let error = import_one(flag).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().cloned().unwrap()
    }

    #[test]
    fn flag_fields() {
        let manifest = import_one(json!({
            "state": "DISABLED",
            "variants": { "a": "x" },
            "targeting": {},
            "metadata": { "description": "What it does", "deprecated": true },
            "somethingElse": [1, 2, 3]
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.state, FlagState::Disabled);
        assert_eq!(flag.targeting, None);
        assert_eq!(flag.description.as_deref(), Some("What it does"));
        assert!(flag.deprecated);
        assert_eq!(flag.metadata.len(), 2);

        let manifest = import_one(json!({
            "state": "ENABLED",
            "variants": { "a": "x" },
            "targeting": null,
            "metadata": { "description": 3, "deprecated": "yes" }
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.description, None);
        assert!(!flag.deprecated);
    }

    #[test]
    fn flag_problems() {
        assert!(matches!(
            problem(json!("on")),
            Problem::InvalidField { field, .. } if field == "flags.f"
        ));
        assert_eq!(
            problem(json!({ "state": 1, "variants": { "a": 1 } })),
            Problem::InvalidState { found: "1".into() }
        );
        assert!(matches!(
            problem(json!({ "state": "ENABLED", "variants": [true] })),
            Problem::InvalidField { field, .. } if field == "variants"
        ));
        assert_eq!(
            problem(json!({ "state": "ENABLED", "variants": { "a": null } })),
            Problem::InvalidVariantValue {
                variant: "a".into(),
                found: "null".into()
            }
        );
        assert!(matches!(
            problem(json!({ "state": "ENABLED", "variants": { "a": 1 }, "defaultVariant": 0 })),
            Problem::InvalidField { field, .. } if field == "defaultVariant"
        ));
        assert!(matches!(
            problem(json!({ "state": "ENABLED", "variants": { "a": 1 }, "targeting": "a" })),
            Problem::InvalidTargeting { reason } if reason.contains("found a string")
        ));
        assert!(matches!(
            problem(json!({ "state": "ENABLED", "variants": { "a": 1 }, "metadata": [] })),
            Problem::InvalidField { field, .. } if field == "metadata"
        ));
    }

    #[test]
    fn variant_types_unify() {
        let flag_type = |variants: Value| {
            import_one(json!({ "state": "ENABLED", "variants": variants }))
                .map(|manifest| manifest.flags["f"].flag_type)
        };
        assert_eq!(
            flag_type(json!({ "a": 1, "b": -2 })).unwrap(),
            FlagType::Integer
        );
        assert_eq!(
            flag_type(json!({ "a": 1, "b": 2.5, "c": 3 })).unwrap(),
            FlagType::Float
        );
        assert_eq!(flag_type(json!({ "a": 1.0 })).unwrap(), FlagType::Float);
        assert_eq!(
            flag_type(json!({ "a": {}, "b": { "x": 1 } })).unwrap(),
            FlagType::Object
        );
        assert_eq!(
            problem(json!({ "state": "ENABLED", "variants": { "a": 1, "b": 2.5, "c": "x" } })),
            Problem::MixedVariantTypes {
                first: "a".into(),
                first_type: FlagType::Integer,
                variant: "c".into(),
                found: "a string (`\"x\"`)".into(),
            }
        );
    }

    #[test]
    fn document_problems() {
        let document_problem = |value: Value| {
            let error = import(&value, "flags.json").unwrap_err();
            assert!(matches!(error, Error::Document { .. }), "{error:?}");
            error.problem().cloned().unwrap()
        };
        assert_eq!(
            document_problem(json!({})),
            Problem::MissingField { field: "flags" }
        );
        assert!(matches!(
            document_problem(json!([])),
            Problem::UnknownFormat { .. }
        ));
        assert!(matches!(
            document_problem(json!({ "flags": "x" })),
            Problem::InvalidField { field, .. } if field == "flags"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": [1] })),
            Problem::InvalidField { field, .. } if field == "flags[0]"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": [{ "state": "ENABLED" }] })),
            Problem::InvalidField { field, found, .. } if field == "flags[0].key" && found == "none"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": {}, "$evaluators": [] })),
            Problem::InvalidField { field, .. } if field == "$evaluators"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": {}, "$evaluators": { "": {} } })),
            Problem::InvalidTargeting { .. }
        ));
        assert!(matches!(
            document_problem(json!({ "flags": {}, "$evaluators": { "e": { "x": 1, "y": 2 } } })),
            Problem::InvalidTargeting { reason } if reason.starts_with("in evaluator `e`: an operation is an object with one key")
        ));
    }
}
