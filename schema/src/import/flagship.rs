//! Importer for Cloudflare Flagship flag definitions.
//!
//! What Flagship serves to SDKs that evaluate locally, at
//! `.../client/v4/accounts/{account}/flagship/apps/{app}/definitions`: every flag of the app
//! with its variations, its default variation and its rules.
//!
//! ```json
//! {
//!   "flags": {
//!     "new-checkout": {
//!       "key": "new-checkout",
//!       "enabled": true,
//!       "default_variation": "off",
//!       "variations": { "on": true, "off": false },
//!       "rules": [{
//!         "conditions": [{ "attribute": "plan", "operator": "equals", "value": "pro" }],
//!         "serve_variation": "on",
//!         "rollout": { "percentage": 25 }
//!       }]
//!     }
//!   }
//! }
//! ```
//!
//! How a flag maps onto a [`Flag`]:
//!
//! | Flagship | [`Flag`] |
//! | --- | --- |
//! | `variations` (required, at least one) | [`Flag::variants`]; their common type is [`Flag::flag_type`]: all integral numbers make an integer flag, integers and floats a float flag, other mixes are an error |
//! | `default_variation` (required, one of the variations) | [`Flag::default_variant`], and that variation's value as [`Flag::default`] |
//! | `enabled: false` | [`Flag::state`] disabled; absent, enabled without an account id (as the lock file has always read it), disabled with one (as Flagship evaluates it) |
//! | `rules`, with an account id | [`Flag::targeting`] in [Flagship's dialect](crate::Dialect::Flagship): `{"account_id": "<account>", "rules": [...]}`, the rules as written; none when `rules` is absent or empty |
//!
//! The account id comes with the format, [`Format::Flagship`]: it seeds the hash of the
//! rules' rollouts, so without one the rules are not read (the lock file records what the code
//! is typed against, and the service evaluates the rules). [`import`] reads without one, as
//! `flags sync` does; [`crate::import_as`] with `Format::Flagship { account_id }` reads the
//! rules. The flag's own `key` field is not read: the key it is listed under is the key.
//!
//! Read for evaluation ([`crate::load_as`]), the definitions load as Flagship loads them: only
//! the document's shape (`{"flags": {...}}`) is checked. A flag whose own definition is broken
//! (not an object, `variations` missing or empty or not an object, `default_variation` missing
//! or naming no variation) is listed in [`Loaded::broken`](crate::Loaded::broken) and answers
//! `PARSE_ERROR` while the other flags serve; variations of mixed types, arrays and `null` are
//! served as they are (a read of another type answers `TYPE_MISMATCH`); `rules` that is not an
//! array is no rules; an `enabled` that is not a boolean reads as JavaScript reads it. Each is
//! a [`Warning`] naming the flag.
//!
//! ```
//! let manifest = flags_schema::flagship::import(&serde_json::json!({
//!     "flags": {
//!         "theme": {
//!             "key": "theme", "enabled": false, "default_variation": "light",
//!             "variations": { "light": "#ffffff", "dark": "#000000" }, "rules": []
//!         }
//!     }
//! }), "flagship").unwrap();
//! let theme = &manifest.flags["theme"];
//! assert_eq!(theme.flag_type, flags_schema::FlagType::String);
//! assert_eq!(theme.default, Some(serde_json::json!("#ffffff")));
//! assert_eq!(theme.state, flags_schema::FlagState::Disabled);
//! ```
//!
//! With an account id, the rules are the targeting:
//!
//! ```
//! use flags_schema::{Dialect, Format};
//!
//! let rules = serde_json::json!([{ "conditions": [], "serve_variation": "on" }]);
//! let definitions = serde_json::json!({ "flags": { "beta": {
//!     "enabled": true, "default_variation": "off",
//!     "variations": { "on": true, "off": false }, "rules": rules
//! } } });
//! let format = Format::Flagship { account_id: "my-account".into() };
//! let manifest = flags_schema::import_as(format, &definitions, "definitions.json").unwrap();
//! let targeting = manifest.flags["beta"].targeting.as_ref().unwrap();
//! assert_eq!(targeting.dialect, Dialect::Flagship);
//! assert_eq!(targeting.rule, serde_json::json!({ "account_id": "my-account", "rules": rules }));
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::shared::{self, flag_object, variant, variations};
use super::walk::{self, Listing};
use super::{Format, finish};
use crate::error::{Error, Problem, describe, describe_short, shorten};
use crate::manifest::{Flag, FlagState, FlagType, Manifest};
use crate::{Dialect, Targeting, Warning, WarningKind};

/// Imports Cloudflare Flagship flag definitions without their rules (no account id); `origin`
/// names them in errors and in the provenance. [`crate::import_as`] with
/// [`Format::Flagship`] and an account id reads the rules too.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for missing or empty `variations`, a variation that is an
/// array or `null`, variations of mixed types, a missing `default_variation` or one that names
/// no variation, a field of the wrong JSON type, an empty key; an [`Error::Document`] for a
/// document without a `flags` object.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    let format = Format::Flagship {
        account_id: String::new(),
    };
    finish(convert(value.clone(), origin, "")?, format, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance;
/// the rules are read when `account_id` is not empty.
pub(super) fn convert(value: Value, origin: &str, account_id: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(value, origin, "a Flagship definitions document")?;
    let account = (!account_id.is_empty()).then_some(account_id);
    let mut manifest = Manifest::new();
    for entry in walk::flags(&mut document, origin, Listing::Map)? {
        let (key, flag) = entry?;
        let flag = walk::non_empty(&key)
            .and_then(|()| import_flag(&key, &flag, account))
            .map_err(|problem| Error::flag(origin, &key, problem))?;
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

fn import_flag(key: &str, value: &Value, account: Option<&str>) -> Result<Flag, Problem> {
    let fields = flag_object(
        key,
        value,
        "a flag object with `variations` and `default_variation`",
    )?;
    let (flag_type, variants) = variations(fields, "variations")?;
    let default_variant = match fields.get("default_variation") {
        None | Some(Value::Null) => {
            return Err(Problem::MissingField {
                field: "default_variation",
            });
        }
        Some(Value::String(name)) => name,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "default_variation".to_owned(),
                expected: "the name of a variation",
                found: describe(other),
            });
        }
    };
    let mut flag = Flag::new(
        flag_type,
        Some(variant(&variants, default_variant)?.clone()),
    );
    flag.default_variant = Some(default_variant.clone());
    flag.variants = variants;
    match (fields.get("enabled"), account) {
        (Some(Value::Bool(true)), _) | (None | Some(Value::Null), None) => {}
        // Flagship's engine serves only a flag whose `enabled` is true.
        (Some(Value::Bool(false)), _) | (None | Some(Value::Null), Some(_)) => {
            flag.state = FlagState::Disabled;
        }
        (Some(other), _) => {
            return Err(Problem::InvalidField {
                field: "enabled".to_owned(),
                expected: "a boolean",
                found: describe(other),
            });
        }
    }
    if let Some(account) = account {
        flag.targeting = match fields.get("rules") {
            Some(Value::Array(rules)) => targeting(account, key, fields.get("key"), rules.clone()),
            None | Some(Value::Null) => None,
            Some(other) => {
                return Err(Problem::InvalidField {
                    field: "rules".to_owned(),
                    expected: "an array of rules",
                    found: describe(other),
                });
            }
        };
    }
    Ok(flag)
}

/// The targeting of a flag with these rules (none for no rules): the rules as written, with
/// the account whose id seeds their rollouts.
///
/// The data plane seeds a flag's rollouts with the definition's own `key` field; when it
/// differs from the key the flag is listed under, it is kept as the rule's `key`.
fn targeting(
    account_id: &str,
    listed_as: &str,
    own_key: Option<&Value>,
    rules: Vec<Value>,
) -> Option<Targeting> {
    (!rules.is_empty()).then(|| {
        let mut rule = Map::new();
        rule.insert("account_id".to_owned(), Value::from(account_id));
        if let Some(Value::String(own)) = own_key
            && own != listed_as
        {
            rule.insert("key".to_owned(), Value::from(own.as_str()));
        }
        rule.insert("rules".to_owned(), Value::Array(rules));
        Targeting::new(Dialect::Flagship, Value::Object(rule))
    })
}

/// The longest message of a broken flag, in characters.
const MAX_MESSAGE: usize = 200;

/// Reads a document for evaluation, as Flagship loads definitions: only the document's shape
/// is checked. A flag whose own definition is broken is in the manifest as far as it could be
/// read, listed in `broken` with why (it answers `PARSE_ERROR`), and a [`Warning`] of kind
/// [`WarningKind::ParseError`]; what Flagship serves anyway is a warning too.
///
/// # Errors
///
/// [`Problem::AccountIdRequired`] for an empty `account_id`; an [`Error::Document`] for a
/// document that is not an object with a `flags` object.
pub(super) fn convert_lenient(
    value: Value,
    origin: &str,
    account_id: &str,
    warnings: &mut Vec<Warning>,
    broken: &mut BTreeMap<String, String>,
) -> Result<Manifest, Error> {
    if account_id.is_empty() {
        return Err(Error::document(origin, Problem::AccountIdRequired));
    }
    let mut document = walk::document(value, origin, "a Flagship definitions document")?;
    let mut manifest = Manifest::new();
    for entry in walk::flags(&mut document, origin, Listing::Map)? {
        let (key, value) = entry?;
        let mut reader = Lenient {
            key: &key,
            warnings: &mut *warnings,
        };
        if key.is_empty() {
            reader.suspicious(Problem::EmptyKey, "Flagship serves it under `\"\"`");
        }
        let mut flag = Flag::new(FlagType::Object, None);
        if let Err(problem) = reader.flag(value, account_id, &mut flag) {
            let message = crate::limits::shorten(&problem.to_string(), MAX_MESSAGE);
            warnings.push(Warning::new(
                Some(&key),
                WarningKind::ParseError,
                format!("{message}; the flag answers `PARSE_ERROR`"),
            ));
            broken.insert(key.clone(), message);
        }
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

/// Reads one flag leniently, collecting warnings.
struct Lenient<'k, 'w> {
    key: &'k str,
    warnings: &'w mut Vec<Warning>,
}

impl Lenient<'_, '_> {
    /// Something Flagship serves anyway: a warning saying `effect`.
    fn suspicious(&mut self, problem: Problem, effect: &str) {
        self.warnings.push(Warning::new(
            Some(self.key),
            WarningKind::Suspicious,
            format!(
                "{}; {effect}",
                crate::limits::shorten(&problem.to_string(), MAX_MESSAGE)
            ),
        ));
    }

    /// Fills `flag` with what can be read of `value`; `Err` when the flag cannot be served.
    /// The state and the rules are read first, so that a broken flag keeps them.
    fn flag(&mut self, value: Value, account_id: &str, flag: &mut Flag) -> Result<(), Problem> {
        let Value::Object(mut fields) = value else {
            return Err(Problem::InvalidField {
                field: format!("flags.{}", shorten(self.key)),
                expected: "a flag object with `variations` and `default_variation`",
                found: describe_short(&value),
            });
        };
        flag.state = self.state(fields.get("enabled"));
        flag.targeting = match fields.remove("rules") {
            Some(Value::Array(rules)) => targeting(account_id, self.key, fields.get("key"), rules),
            None | Some(Value::Null) => None,
            Some(other) => {
                self.suspicious(
                    Problem::InvalidField {
                        field: "rules".to_owned(),
                        expected: "an array of rules",
                        found: describe_short(&other),
                    },
                    "the flag has no rules, as Flagship reads it",
                );
                None
            }
        };
        let variations = match fields.remove("variations") {
            Some(Value::Object(variations)) if !variations.is_empty() => variations,
            None | Some(Value::Null) => {
                return Err(Problem::MissingField {
                    field: "variations",
                });
            }
            Some(other) => {
                return Err(Problem::InvalidField {
                    field: "variations".to_owned(),
                    expected: "an object with at least one variation",
                    found: describe_short(&other),
                });
            }
        };
        flag.flag_type = shared::lenient_type(&variations, |problem| {
            self.suspicious(
                problem,
                "Flagship serves it as it is; a read of another type answers `TYPE_MISMATCH`",
            );
        });
        flag.variants = variations.into_iter().collect();
        let name = match fields.get("default_variation") {
            None | Some(Value::Null) => {
                return Err(Problem::MissingField {
                    field: "default_variation",
                });
            }
            Some(Value::String(name)) => name,
            Some(other) => {
                return Err(Problem::InvalidField {
                    field: "default_variation".to_owned(),
                    expected: "the name of a variation",
                    found: describe_short(other),
                });
            }
        };
        let Some(value) = flag.variants.get(name) else {
            return Err(Problem::DefaultVariantNotFound {
                variant: shorten(name),
                available: flag.variants.keys().take(5).map(|n| shorten(n)).collect(),
            });
        };
        flag.default = Some(value.clone());
        flag.default_variant = Some(name.clone());
        Ok(())
    }

    /// `enabled` as Flagship's engine reads it: a flag is served when it is truthy in
    /// JavaScript's sense (a boolean anything else is a warning).
    fn state(&mut self, enabled: Option<&Value>) -> FlagState {
        let (enabled, problem) = match enabled {
            Some(Value::Bool(enabled)) => (*enabled, None),
            None | Some(Value::Null) => (false, Some(Problem::MissingField { field: "enabled" })),
            Some(other) => {
                let truthy = match other {
                    Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                    Value::String(s) => !s.is_empty(),
                    _ => true,
                };
                let problem = Problem::InvalidField {
                    field: "enabled".to_owned(),
                    expected: "a boolean",
                    found: describe_short(other),
                };
                (truthy, Some(problem))
            }
        };
        if let Some(problem) = problem {
            let effect = if enabled {
                "the flag is enabled, as Flagship reads it"
            } else {
                "the flag is disabled, as Flagship reads it"
            };
            self.suspicious(problem, effect);
        }
        if enabled {
            FlagState::Enabled
        } else {
            FlagState::Disabled
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(flag: Value) -> Result<Manifest, Error> {
        import(&json!({ "flags": { "f": flag } }), "flagship")
    }

    fn problem(flag: Value) -> Problem {
        let error = one(flag).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().unwrap().clone()
    }

    #[test]
    fn default_variation_and_state() {
        let manifest = one(json!({
            "key": "f", "enabled": true, "default_variation": "b",
            "variations": { "a": 1, "b": 2.5 }, "rules": []
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.flag_type, FlagType::Float);
        assert_eq!(flag.default, Some(json!(2.5)));
        assert_eq!(flag.default_variant.as_deref(), Some("b"));
        assert_eq!(flag.variants.len(), 2);
        assert_eq!(flag.state, FlagState::Enabled);
        assert_eq!(flag.targeting, None);
        let manifest = one(json!({
            "enabled": false, "default_variation": "a", "variations": { "a": {} }
        }))
        .unwrap();
        assert_eq!(manifest.flags["f"].state, FlagState::Disabled);
        assert_eq!(manifest.flags["f"].flag_type, FlagType::Object);
    }

    #[test]
    fn problems() {
        assert_eq!(
            problem(json!({ "default_variation": "c", "variations": { "a": 1, "b": 2 } })),
            Problem::DefaultVariantNotFound {
                variant: "c".into(),
                available: vec!["a".into(), "b".into()]
            }
        );
        assert_eq!(
            problem(json!({ "variations": { "a": 1 } })),
            Problem::MissingField {
                field: "default_variation"
            }
        );
        assert!(matches!(
            problem(json!({ "default_variation": "a", "variations": { "a": true, "b": "no" } })),
            Problem::MixedVariantTypes { .. }
        ));
        assert!(matches!(
            problem(json!({ "default_variation": "a", "variations": { "a": true }, "enabled": "no" })),
            Problem::InvalidField { field, .. } if field == "enabled"
        ));
        assert_eq!(
            problem(json!({ "default_variation": "a" })),
            Problem::MissingField {
                field: "variations"
            }
        );
        let error = import(&json!({ "flags": [] }), "flagship").unwrap_err();
        assert!(matches!(
            error.problem(),
            Some(Problem::InvalidField { field, .. }) if field == "flags"
        ));
    }

    fn with_account(flag: Value) -> Result<Flag, Error> {
        let format = Format::Flagship {
            account_id: "acc".into(),
        };
        let manifest = crate::import_as(format, &json!({ "flags": { "f": flag } }), "flagship")?;
        Ok(manifest.flags["f"].clone())
    }

    #[test]
    fn with_an_account_the_rules_are_the_targeting() {
        let rules = json!([{ "conditions": [], "serve_variation": "b" }]);
        let flag = with_account(json!({
            "enabled": true, "default_variation": "a", "variations": { "a": 1, "b": 2 },
            "rules": rules
        }))
        .unwrap();
        let targeting = flag.targeting.unwrap();
        assert_eq!(targeting.dialect, Dialect::Flagship);
        assert_eq!(
            targeting.rule,
            json!({ "account_id": "acc", "rules": rules })
        );
        // No rules, or an empty list: no targeting.
        for rules in [json!([]), json!(null)] {
            let flag = with_account(json!({
                "enabled": true, "default_variation": "a", "variations": { "a": 1 },
                "rules": rules
            }))
            .unwrap();
            assert_eq!(flag.targeting, None);
        }
        // Absent `enabled`: disabled, as Flagship evaluates it (enabled without an account).
        let quiet = json!({ "default_variation": "a", "variations": { "a": 1 } });
        assert_eq!(
            with_account(quiet.clone()).unwrap().state,
            FlagState::Disabled
        );
        assert_eq!(one(quiet).unwrap().flags["f"].state, FlagState::Enabled);
        // Rules that are not a list are an error with an account, ignored without.
        let odd = json!({ "enabled": true, "default_variation": "a", "variations": { "a": 1 },
                          "rules": { "conditions": [] } });
        let error = with_account(odd.clone()).unwrap_err();
        assert!(
            matches!(error.problem(), Some(Problem::InvalidField { field, .. }) if field == "rules"),
            "{error}"
        );
        assert_eq!(one(odd).unwrap().flags["f"].targeting, None);
        // The definition's own key seeds the rollouts: kept when it differs from the listing.
        for (own, kept) in [
            (json!("f"), None),
            (json!("renamed"), Some(json!("renamed"))),
        ] {
            let document = json!({ "flags": { "f": {
                "key": own, "enabled": true, "default_variation": "a",
                "variations": { "a": 1 }, "rules": rules
            }}});
            let strict = crate::import_as(
                Format::Flagship {
                    account_id: "acc".into(),
                },
                &document,
                "flagship",
            )
            .unwrap();
            let (lenient, _, _) = lenient(document);
            for manifest in [strict, lenient] {
                let rule = &manifest.flags["f"].targeting.as_ref().unwrap().rule;
                assert_eq!(rule.get("key"), kept.as_ref(), "{rule}");
            }
        }
    }

    fn lenient(document: Value) -> (Manifest, Vec<String>, BTreeMap<String, String>) {
        let mut warnings = Vec::new();
        let mut broken = BTreeMap::new();
        let manifest =
            convert_lenient(document, "defs.json", "acc", &mut warnings, &mut broken).unwrap();
        let warnings = warnings.iter().map(ToString::to_string).collect();
        (manifest, warnings, broken)
    }

    #[test]
    fn lenient_reading_keeps_every_flag_and_lists_the_broken_ones() {
        let (manifest, warnings, broken) = lenient(json!({ "flags": {
            "ok": { "enabled": true, "default_variation": "a", "variations": { "a": 1 },
                    "rules": [{ "conditions": [], "serve_variation": "nowhere" }] },
            "typo": { "enabled": true, "default_variation": "c", "variations": { "a": 1, "b": 2 } },
            "undecided": { "enabled": false, "variations": { "a": 1 } },
            "no-variations": { "enabled": true, "default_variation": "a" },
            "list": { "enabled": true, "default_variation": "a", "variations": ["a"] },
            "empty": { "enabled": true, "default_variation": "a", "variations": {} },
            "number": 7,
            "mixed": { "enabled": true, "default_variation": "a",
                       "variations": { "a": true, "b": "x", "c": [1], "d": null } },
            "truthy": { "enabled": "yes", "default_variation": "a", "variations": { "a": 1 },
                        "rules": "none" },
            "silent": { "default_variation": "a", "variations": { "a": 1 } }
        } }));
        assert_eq!(manifest.flags.len(), 10, "every flag is there");
        let keys: Vec<&str> = broken.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "empty",
                "list",
                "no-variations",
                "number",
                "typo",
                "undecided"
            ]
        );
        assert!(
            broken["typo"].starts_with("default variant `c` is not among the variants (`a`, `b`)")
        );
        assert_eq!(broken["undecided"], "missing field `default_variation`");
        assert_eq!(broken["no-variations"], "missing field `variations`");
        assert!(broken["list"].starts_with("field `variations` must be an object"));
        assert!(broken["number"].starts_with("field `flags.number` must be a flag object"));
        // A rule naming no variation is the engine's to find: kept as written.
        let ok = &manifest.flags["ok"];
        assert_eq!(ok.default, Some(json!(1)));
        assert_eq!(ok.targeting.as_ref().unwrap().dialect, Dialect::Flagship);
        // Served as they are, with a warning each.
        let mixed = &manifest.flags["mixed"];
        assert_eq!(mixed.flag_type, FlagType::Boolean);
        assert_eq!(mixed.variants.len(), 4);
        assert_eq!(manifest.flags["truthy"].state, FlagState::Enabled);
        assert_eq!(manifest.flags["truthy"].targeting, None);
        assert_eq!(manifest.flags["silent"].state, FlagState::Disabled);
        // A broken flag keeps what could be read.
        assert_eq!(manifest.flags["undecided"].state, FlagState::Disabled);
        assert_eq!(manifest.flags["undecided"].default, None);
        let about = |key: &str| -> Vec<&String> {
            warnings
                .iter()
                .filter(|w| w.starts_with(&format!("flag `{key}`: ")))
                .collect()
        };
        assert_eq!(about("typo").len(), 1);
        assert!(about("typo")[0].ends_with("the flag answers `PARSE_ERROR`"));
        assert_eq!(about("mixed").len(), 3, "{warnings:?}");
        assert!(
            about("truthy")
                .iter()
                .any(|w| w.contains("the flag is enabled"))
        );
        assert!(
            about("truthy")
                .iter()
                .any(|w| w.contains("the flag has no rules"))
        );
        assert!(about("silent")[0].contains("missing field `enabled`; the flag is disabled"));
        assert!(about("ok").is_empty());
    }

    #[test]
    fn lenient_reading_checks_the_shape_and_bounds_messages() {
        let mut warnings = Vec::new();
        let mut broken = BTreeMap::new();
        for document in [
            json!([]),
            json!({}),
            json!({ "flags": [] }),
            json!({ "flags": 1 }),
        ] {
            assert!(convert_lenient(document, "d", "acc", &mut warnings, &mut broken).is_err());
        }
        let error = convert_lenient(json!({ "flags": {} }), "d", "", &mut warnings, &mut broken)
            .unwrap_err();
        assert_eq!(error.problem(), Some(&Problem::AccountIdRequired));
        assert!(
            error.to_string().contains(
                "set `.format(flags::Format::Flagship { account_id: .. })` on the source"
            )
        );
        // Long names and many variations: the message stays short.
        let long = "v".repeat(10_000);
        let variations: serde_json::Map<String, Value> = (0..1000)
            .map(|i| (format!("{long}{i}"), json!(i)))
            .collect();
        let (_, warnings, broken) = lenient(json!({ "flags": { "f": {
            "enabled": true, "default_variation": long, "variations": variations
        } } }));
        assert!(
            broken["f"].chars().count() <= MAX_MESSAGE + 1,
            "{}",
            broken["f"]
        );
        assert!(warnings[0].len() < 400, "{}", warnings[0]);
    }
}
