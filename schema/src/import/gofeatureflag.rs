//! Importer for the flag configuration of a GO Feature Flag relay proxy.
//!
//! What the [relay proxy](https://gofeatureflag.org/docs/relay-proxy) answers to
//! `POST /v1/flag/configuration` (the request body `{"flags": []}` asks for every flag): each
//! flag with its `variations`, its targeting rules and its default rule.
//!
//! ```json
//! {
//!   "flags": {
//!     "new-checkout": {
//!       "variations": { "enabled": true, "disabled": false },
//!       "targeting": [{ "query": "email ew \"@example.com\"", "variation": "enabled" }],
//!       "defaultRule": { "variation": "disabled" },
//!       "metadata": { "description": "The redesigned checkout", "issue": 42 }
//!     },
//!     "page-size": {
//!       "variations": { "small": 10, "large": 50 },
//!       "defaultRule": { "percentage": { "small": 90, "large": 10 } }
//!     }
//!   },
//!   "evaluationContextEnrichment": { "env": "production" }
//! }
//! ```
//!
//! How a flag maps onto a [`Flag`]:
//!
//! | GO Feature Flag | [`Flag`] |
//! | --- | --- |
//! | `variations` (required, at least one) | [`Flag::variants`]; their common type is [`Flag::flag_type`]: all integral numbers make an integer flag, integers and floats a float flag, other mixes are an error |
//! | `defaultRule.variation` | [`Flag::default_variant`], and that variation's value as [`Flag::default`]. A default rule that splits by `percentage` or `progressiveRollout`, or no default rule, leaves both `None` (the code default applies) |
//! | `disable: true` | [`Flag::state`] disabled |
//! | `metadata` | its booleans, strings and numbers in [`Flag::metadata`] (other values are left out); a string `description` also becomes [`Flag::description`] |
//!
//! The `targeting` rules (GO Feature Flag's own query language), `scheduledRollout`,
//! `experimentation` and `evaluationContextEnrichment` are not translated: the lock records
//! what the code is typed against, and the service evaluates the rules.
//!
//! ```
//! let manifest = flags_schema::gofeatureflag::import(&serde_json::json!({
//!     "flags": {
//!         "ratio": {
//!             "variations": { "low": 1, "high": 2.5 },
//!             "defaultRule": { "variation": "low" },
//!             "disable": true
//!         }
//!     }
//! }), "http://relay:1031/v1/flag/configuration").unwrap();
//! let ratio = &manifest.flags["ratio"];
//! assert_eq!(ratio.flag_type, flags_schema::FlagType::Float);
//! assert_eq!(ratio.default, Some(serde_json::json!(1)));
//! assert_eq!(ratio.state, flags_schema::FlagState::Disabled);
//! ```

use serde_json::Value;

use super::shared::{flag_object, variant, variations};
use super::walk::{self, Listing};
use super::{Format, finish};
use crate::error::{Error, Problem, describe};
use crate::manifest::{Flag, FlagState, Manifest, MetadataValue};

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
    let mut document = walk::document(value, origin, "a GO Feature Flag configuration")?;
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
}
