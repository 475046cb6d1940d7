//! The importer of GO Feature Flag's configurations: documented where it is public,
//! [`crate::gofeatureflag`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::shared::{self, flag_object, variant, variations};
use super::walk::{self, Listing};
use super::{Format, finish};
use crate::error::{Error, Problem, describe, describe_short, shorten};
use crate::manifest::{Flag, FlagState, FlagType, Manifest, MetadataValue};
use crate::{Dialect, Targeting, Warning, WarningKind};

/// Imports a GO Feature Flag relay proxy flag configuration; `origin` names it in errors and in
/// the provenance.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for missing or empty `variations`, a variation that is an
/// array or `null`, variations of mixed types, a default rule naming no variation, a field of
/// the wrong JSON type, an empty key; an [`Error::Document`] for a document without a `flags`
/// object.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(
        convert(value.clone(), origin)?,
        Format::GoFeatureFlag,
        origin,
    )
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(
        relay_shape(value),
        origin,
        "a GO Feature Flag configuration",
    )?;
    let mut manifest = Manifest::new();
    for entry in walk::flags(&mut document, origin, Listing::Map)? {
        let (key, flag) = entry?;
        let flag = walk::non_empty(&key)
            .and_then(|()| import_flag(&key, &flag))
            .map_err(|problem| Error::flag(origin, &key, problem))?;
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

/// Whether detection takes `value` for a GO Feature Flag flag file: an object with at least
/// one entry, every entry an object, one of them with `variations`, and no `flags` unless that
/// is a flag itself (see the [module](crate::gofeatureflag)).
///
/// ```
/// use serde_json::json;
/// use flags_schema::gofeatureflag::is_flag_file;
///
/// assert!(is_flag_file(&json!({ "beta": { "variations": { "on": true } } })));
/// assert!(is_flag_file(&json!({ "flags": { "variations": { "on": true } } })));
/// // The relay's configuration lists its flags under `flags`.
/// assert!(!is_flag_file(&json!({ "flags": { "beta": { "variations": { "on": true } } } })));
/// assert!(!is_flag_file(&json!({ "beta": { "variants": { "on": true } } })));
/// ```
pub fn is_flag_file(value: &Value) -> bool {
    let Value::Object(document) = value else {
        return false;
    };
    document.values().all(Value::is_object)
        && document
            .values()
            .any(|flag| flag.get("variations").is_some())
        && !document.contains_key("formatVersion")
        && document.get("flags").is_none_or(is_a_flag)
}

/// Whether a document's `flags` is a flag (its `variations` an object of values) rather than
/// the relay's object of flags.
fn is_a_flag(flags: &Value) -> bool {
    flags
        .get("variations")
        .is_some_and(|v| v.is_object() && !v.get("variations").is_some_and(Value::is_object))
}

/// The relay's shape of a document: a flag file's flags under `flags`.
fn relay_shape(value: Value) -> Value {
    match value {
        Value::Object(document) if document.get("flags").is_none_or(is_a_flag) => {
            let mut relay = Map::new();
            relay.insert("flags".to_owned(), Value::Object(document));
            Value::Object(relay)
        }
        other => other,
    }
}

/// A field's name, the JSON type it must have (for the message) and its test.
type FieldType = (&'static str, &'static str, fn(&Value) -> bool);

/// The fields of a GO Feature Flag flag and the JSON type each must have (or `null`): a
/// field of another type is what GO Feature Flag fails to unmarshal.
const FIELD_TYPES: [FieldType; 10] = [
    ("variations", "an object", Value::is_object),
    ("targeting", "an array of rules", Value::is_array),
    ("defaultRule", "a rule object", Value::is_object),
    ("disable", "a boolean", Value::is_boolean),
    ("trackEvents", "a boolean", Value::is_boolean),
    ("version", "a string", Value::is_string),
    ("metadata", "an object", Value::is_object),
    ("bucketingKey", "a string", Value::is_string),
    ("experimentation", "an object", Value::is_object),
    ("scheduledRollout", "an array of steps", Value::is_array),
];

/// The longest message of a broken flag, in characters.
const MAX_MESSAGE: usize = 200;

/// Reads a document for evaluation, as GO Feature Flag's engine reads flags (see the
/// [module](self)): each flag whole as its targeting, a broken flag listed in `broken` with
/// why (and a [`Warning`] of kind [`WarningKind::ParseError`]); what the engine serves anyway
/// (variations of mixed types) is a warning too.
///
/// # Errors
///
/// An [`Error::Document`] for a document that is neither the relay's configuration (an
/// object with a `flags` object) nor a flag file (an object).
pub(super) fn convert_lenient(
    value: Value,
    origin: &str,
    warnings: &mut Vec<Warning>,
    broken: &mut BTreeMap<String, String>,
) -> Result<Manifest, Error> {
    let mut document = walk::document(
        relay_shape(value),
        origin,
        "a GO Feature Flag configuration",
    )?;
    let enrichment = match document.remove("evaluationContextEnrichment") {
        Some(Value::Object(enrichment)) if !enrichment.is_empty() => Some(enrichment),
        None | Some(Value::Null | Value::Object(_)) => None,
        Some(other) => {
            warnings.push(Warning::new(
                None,
                WarningKind::Suspicious,
                format!(
                    "`evaluationContextEnrichment` must be an object, found {}; it is left out",
                    describe_short(&other)
                ),
            ));
            None
        }
    };
    let mut manifest = Manifest::new();
    for entry in walk::flags(&mut document, origin, Listing::Map)? {
        let (key, value) = entry?;
        let mut flag = Flag::new(FlagType::Object, None);
        if let Err(problem) = lenient_flag(&key, value, enrichment.as_ref(), &mut flag, warnings) {
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

/// Fills `flag` with what can be read of `value`; `Err` when GO Feature Flag cannot read it.
fn lenient_flag(
    key: &str,
    value: Value,
    enrichment: Option<&Map<String, Value>>,
    flag: &mut Flag,
    warnings: &mut Vec<Warning>,
) -> Result<(), Problem> {
    let Value::Object(fields) = value else {
        return Err(Problem::InvalidField {
            field: format!("flags.{}", shorten(key)),
            expected: "a flag object with `variations`",
            found: describe_short(&value),
        });
    };
    for (field, expected, is) in FIELD_TYPES {
        if let Some(found) = fields.get(field).filter(|v| !v.is_null() && !is(v)) {
            return Err(Problem::InvalidField {
                field: field.to_owned(),
                expected,
                found: describe_short(found),
            });
        }
    }
    if let Some(Value::Object(variations)) = fields.get("variations") {
        flag.flag_type = shared::lenient_type(variations, |problem| {
            warnings.push(Warning::new(
                Some(key),
                WarningKind::Suspicious,
                format!(
                    "{}; GO Feature Flag serves it as it is, a read of another type answers \
                     `TYPE_MISMATCH`",
                    crate::limits::shorten(&problem.to_string(), MAX_MESSAGE)
                ),
            ));
        });
        flag.variants = variations
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
    let default = fields
        .get("defaultRule")
        .and_then(|rule| rule.get("variation"))
        .and_then(Value::as_str)
        .and_then(|name| Some((name, flag.variants.get(name).filter(|v| !v.is_null())?)));
    if let Some((name, value)) = default {
        flag.default = Some(value.clone());
        flag.default_variant = Some(name.to_owned());
    }
    if let Some(Value::Object(metadata)) = fields.get("metadata") {
        flag.metadata = metadata
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), MetadataValue::from_json(value)?)))
            .collect();
        if let Some(Value::String(description)) = metadata.get("description") {
            flag.description = Some(description.clone());
        }
    }
    let mut rule = Map::new();
    rule.insert("flag".to_owned(), Value::Object(fields));
    if let Some(enrichment) = enrichment {
        rule.insert(
            "evaluationContextEnrichment".to_owned(),
            Value::Object(enrichment.clone()),
        );
    }
    flag.targeting = Some(Targeting::new(Dialect::GoFeatureFlag, Value::Object(rule)));
    Ok(())
}

fn import_flag(key: &str, value: &Value) -> Result<Flag, Problem> {
    let fields = flag_object(key, value, "a flag object with `variations`")?;
    let (flag_type, variants) = variations(fields, "variations")?;
    let mut flag = Flag::new(flag_type, None);
    match fields.get("defaultRule") {
        None | Some(Value::Null) => {}
        Some(Value::Object(rule)) => match rule.get("variation") {
            // A split (`percentage`, `progressiveRollout`): no single default.
            None | Some(Value::Null) => {}
            Some(Value::String(name)) => {
                flag.default = Some(variant(&variants, name)?.clone());
                flag.default_variant = Some(name.clone());
            }
            Some(other) => {
                return Err(Problem::InvalidField {
                    field: "defaultRule.variation".to_owned(),
                    expected: "the name of a variation",
                    found: describe(other),
                });
            }
        },
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "defaultRule".to_owned(),
                expected: "a rule object",
                found: describe(other),
            });
        }
    }
    flag.variants = variants;
    match fields.get("disable") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => flag.state = FlagState::Disabled,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "disable".to_owned(),
                expected: "a boolean",
                found: describe(other),
            });
        }
    }
    match fields.get("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(metadata)) => {
            flag.metadata = metadata
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), MetadataValue::from_json(value)?)))
                .collect();
            if let Some(Value::String(description)) = metadata.get("description") {
                flag.description = Some(description.clone());
            }
        }
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "metadata".to_owned(),
                expected: "an object",
                found: describe(other),
            });
        }
    }
    Ok(flag)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::manifest::FlagType;

    fn one(flag: Value) -> Result<Manifest, Error> {
        import(&json!({ "flags": { "f": flag } }), "relay")
    }

    fn problem(flag: Value) -> Problem {
        let error = one(flag).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().unwrap().clone()
    }

    #[test]
    fn types_unify() {
        let cases = [
            (json!({ "a": true, "b": false }), FlagType::Boolean),
            (json!({ "a": "x" }), FlagType::String),
            (json!({ "a": 1, "b": -2 }), FlagType::Integer),
            (json!({ "a": 1, "b": 2.5 }), FlagType::Float),
            (json!({ "a": {}, "b": { "c": 1 } }), FlagType::Object),
        ];
        for (variations, expected) in cases {
            let manifest = one(json!({ "variations": variations })).unwrap();
            assert_eq!(manifest.flags["f"].flag_type, expected, "{variations}");
            assert_eq!(
                serde_json::to_value(&manifest.flags["f"].variants).unwrap(),
                variations
            );
        }
        assert!(matches!(
            problem(json!({ "variations": { "a": 1, "b": "1" } })),
            Problem::MixedVariantTypes { first, variant, .. } if first == "a" && variant == "b"
        ));
        assert!(matches!(
            problem(json!({ "variations": { "a": [1] } })),
            Problem::InvalidVariantValue { variant, .. } if variant == "a"
        ));
    }

    #[test]
    fn default_rule() {
        let variations = json!({ "on": true, "off": false });
        let manifest =
            one(json!({ "variations": variations, "defaultRule": { "variation": "off" } }))
                .unwrap();
        assert_eq!(manifest.flags["f"].default, Some(json!(false)));
        assert_eq!(manifest.flags["f"].default_variant.as_deref(), Some("off"));
        for rule in [
            json!({ "percentage": { "on": 10, "off": 90 } }),
            json!({ "progressiveRollout": {
                "initial": { "variation": "off", "percentage": 0, "date": "2026-01-01T00:00:00Z" },
                "end": { "variation": "on", "percentage": 100, "date": "2026-02-01T00:00:00Z" }
            } }),
            json!(null),
        ] {
            let manifest = one(json!({ "variations": variations, "defaultRule": rule })).unwrap();
            assert_eq!(manifest.flags["f"].default, None, "{rule}");
            assert_eq!(manifest.flags["f"].default_variant, None, "{rule}");
        }
        assert_eq!(
            problem(json!({ "variations": variations, "defaultRule": { "variation": "of" } })),
            Problem::DefaultVariantNotFound {
                variant: "of".into(),
                available: vec!["off".into(), "on".into()]
            }
        );
        assert!(matches!(
            problem(json!({ "variations": variations, "defaultRule": { "variation": 1 } })),
            Problem::InvalidField { field, .. } if field == "defaultRule.variation"
        ));
    }

    #[test]
    fn state_and_metadata() {
        let manifest = one(json!({
            "variations": { "a": "x" },
            "disable": true,
            "metadata": { "description": "About f", "issue": 42, "links": ["x"], "owner": { "team": "t" } }
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.state, FlagState::Disabled);
        assert_eq!(flag.description.as_deref(), Some("About f"));
        assert_eq!(
            flag.metadata.keys().collect::<Vec<_>>(),
            ["description", "issue"]
        );
        assert_eq!(flag.metadata["issue"], MetadataValue::Int(42));
        assert!(matches!(
            problem(json!({ "variations": { "a": "x" }, "disable": "yes" })),
            Problem::InvalidField { field, .. } if field == "disable"
        ));
    }

    #[test]
    fn missing_variations() {
        assert_eq!(
            problem(json!({ "defaultRule": { "variation": "a" } })),
            Problem::MissingField {
                field: "variations"
            }
        );
        let message = one(json!({ "variations": {} })).unwrap_err().to_string();
        assert_eq!(
            message,
            "`relay`: flag `f`: field `variations` must be an object with at least one \
             variation, found an empty object"
        );
        assert!(matches!(problem(json!(true)), Problem::InvalidField { .. }));
    }

    fn lenient(document: Value) -> (Manifest, Vec<String>, BTreeMap<String, String>) {
        let mut warnings = Vec::new();
        let mut broken = BTreeMap::new();
        let manifest = convert_lenient(document, "relay", &mut warnings, &mut broken).unwrap();
        let warnings = warnings.iter().map(ToString::to_string).collect();
        (manifest, warnings, broken)
    }

    #[test]
    fn read_for_evaluation_each_flag_is_its_targeting() {
        let flag = json!({
            "variations": { "on": true, "off": false },
            "targeting": [{ "query": "plan eq \"pro\"", "variation": "on" }],
            "defaultRule": { "variation": "off" },
            "disable": true,
            "scheduledRollout": [{ "date": "2026-01-01T00:00:00Z", "disable": false }],
            "metadata": { "description": "d", "version": "1" }
        });
        let (manifest, warnings, broken) = lenient(json!({
            "flags": { "f": flag, "no-variations": { "defaultRule": { "variation": "x" } } },
            "evaluationContextEnrichment": { "env": "prod" }
        }));
        assert!(warnings.is_empty() && broken.is_empty(), "{warnings:?}");
        let f = &manifest.flags["f"];
        // The rule decides, `disable` included.
        assert_eq!(f.state, FlagState::Enabled);
        assert_eq!(f.default, Some(json!(false)));
        assert_eq!(f.description.as_deref(), Some("d"));
        let targeting = f.targeting.as_ref().unwrap();
        assert_eq!(targeting.dialect, Dialect::GoFeatureFlag);
        assert_eq!(
            targeting.rule,
            json!({ "flag": flag, "evaluationContextEnrichment": { "env": "prod" } })
        );
        let empty = &manifest.flags["no-variations"];
        assert!(empty.variants.is_empty() && empty.default.is_none());
        // Without an enrichment, the rule is the flag alone; a flag file reads the same.
        let (manifest, _, _) = lenient(json!({ "f": flag }));
        assert_eq!(
            manifest.flags["f"].targeting.as_ref().unwrap().rule,
            json!({ "flag": flag })
        );
    }

    #[test]
    fn read_for_evaluation_a_broken_flag_alone_answers_parse_error() {
        let (manifest, warnings, broken) = lenient(json!({ "flags": {
            "ok": { "variations": { "a": 1, "b": "x" }, "defaultRule": { "variation": "z" } },
            "number": 7,
            "odd-variations": { "variations": "x" },
            "odd-disable": { "variations": { "a": 1 }, "disable": "yes" },
            "odd-targeting": { "variations": { "a": 1 }, "targeting": {} }
        } }));
        assert_eq!(manifest.flags.len(), 5);
        assert_eq!(
            broken.keys().map(String::as_str).collect::<Vec<_>>(),
            ["number", "odd-disable", "odd-targeting", "odd-variations"]
        );
        assert!(broken["odd-disable"].starts_with("field `disable` must be a boolean"));
        // Mixed types and a default naming no variation are the engine's to answer.
        let ok = &manifest.flags["ok"];
        assert!(ok.targeting.is_some() && ok.default_variant.is_none());
        assert_eq!(
            warnings
                .iter()
                .filter(|w| w.starts_with("flag `ok`"))
                .count(),
            1
        );
        assert_eq!(
            warnings
                .iter()
                .filter(|w| w.ends_with("the flag answers `PARSE_ERROR`"))
                .count(),
            4
        );
        let mut sink = (Vec::new(), BTreeMap::new());
        assert!(convert_lenient(json!({ "flags": [] }), "r", &mut sink.0, &mut sink.1).is_err());
        assert!(convert_lenient(json!("x"), "r", &mut sink.0, &mut sink.1).is_err());
    }

    #[test]
    fn flag_files_are_the_relay_configuration_without_flags() {
        let file =
            json!({ "f": { "variations": { "a": 1 }, "defaultRule": { "variation": "a" } } });
        let relay = json!({ "flags": file.clone() });
        assert_eq!(
            import(&file, "x").unwrap().flags,
            import(&relay, "x").unwrap().flags
        );
        // A flag named `flags` in a file; a flag named `variations` in the relay's answer.
        let named = json!({ "flags": { "variations": { "a": 1 } } });
        assert!(is_flag_file(&named));
        assert_eq!(
            import(&named, "x")
                .unwrap()
                .flags
                .keys()
                .collect::<Vec<_>>(),
            ["flags"]
        );
        let relay = json!({ "flags": { "variations": { "variations": { "a": 1 } } } });
        assert!(!is_flag_file(&relay));
        assert_eq!(
            import(&relay, "x")
                .unwrap()
                .flags
                .keys()
                .collect::<Vec<_>>(),
            ["variations"]
        );
    }
}
