//! Importer for a Flipt namespace snapshot.
//!
//! What a [Flipt](https://www.flipt.io) server answers to
//! `GET /internal/v1/evaluation/snapshot/namespace/{namespace}`, the document its client-side
//! evaluation engines poll: the namespace's flags with their rules, camelCase, in protobuf JSON.
//!
//! ```json
//! {
//!   "namespace": { "key": "production" },
//!   "flags": [
//!     { "key": "new-checkout", "name": "New checkout", "type": "BOOLEAN_FLAG_TYPE", "enabled": true,
//!       "rollouts": [{ "threshold": { "percentage": 25, "value": true } }] },
//!     { "key": "theme", "name": "Theme", "type": "VARIANT_FLAG_TYPE", "enabled": true,
//!       "description": "The colour scheme",
//!       "defaultVariant": { "id": "1f0c", "key": "light" },
//!       "rules": [{ "segments": [], "distributions": [{ "variantKey": "dark", "rollout": 50 }] }] }
//!   ]
//! }
//! ```
//!
//! How a flag maps onto a [`Flag`]:
//!
//! | Flipt | [`Flag`] |
//! | --- | --- |
//! | `type: "BOOLEAN_FLAG_TYPE"` | a boolean flag whose [`Flag::default`] is `enabled` (absent is `false`, as in protobuf JSON): for a Flipt boolean flag, `enabled` *is* the value served when no rollout matches. It stays [enabled](FlagState::Enabled) |
//! | `type: "VARIANT_FLAG_TYPE"` or absent | a string flag: a Flipt variant flag evaluates to the key of a variant. [`Flag::variants`] are the variant keys the snapshot names (`defaultVariant.key` and every `rules[].distributions[].variantKey`), each with its key as its value; the snapshot does not list variants no rule serves |
//! | `defaultVariant.key` | [`Flag::default_variant`] and [`Flag::default`]; no default variant leaves both `None` (the code default applies) |
//! | `enabled` | for a variant flag, `false` makes [`Flag::state`] disabled. Absent is `false`, as in protobuf JSON |
//! | `description` (empty is none) | [`Flag::description`] |
//!
//! Another `type` is an error naming the flag. `namespace.key` becomes the flag-set metadata
//! `flagSetId` in [`Manifest::metadata`], the key OpenFeature uses for the set a flag belongs
//! to. Rules, rollouts, segments and attachments are not translated (the service evaluates
//! them), and fields not named here are ignored, as Flipt's engines ignore them.
//!
//! ```
//! let manifest = flags_schema::flipt::import(&serde_json::json!({
//!     "namespace": { "key": "default" },
//!     "flags": [
//!         { "key": "dark-mode", "type": "BOOLEAN_FLAG_TYPE", "enabled": false },
//!         { "key": "plan", "enabled": true, "defaultVariant": { "key": "free" } }
//!     ]
//! }), "flipt").unwrap();
//! assert_eq!(manifest.flags["dark-mode"].default, Some(serde_json::json!(false)));
//! assert_eq!(manifest.flags["plan"].flag_type, flags_schema::FlagType::String);
//! assert_eq!(manifest.flags["plan"].default, Some(serde_json::json!("free")));
//! assert_eq!(
//!     manifest.metadata["flagSetId"],
//!     flags_schema::MetadataValue::String("default".into()),
//! );
//! ```

use serde_json::{Map, Value};

use super::walk;
use super::{Format, finish};
use crate::error::{Error, Problem, describe};
use crate::manifest::{Flag, FlagState, FlagType, Manifest, MetadataValue};

/// The flag-set metadata key that holds the namespace key.
pub const NAMESPACE_METADATA: &str = "flagSetId";

/// Imports a Flipt namespace snapshot; `origin` names it in errors and in the provenance.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for an unknown `type`, a variant key that is not a string, a field of the wrong JSON type, an empty or
/// duplicate key; an [`Error::Document`] for an entry without a string `key`, a `namespace`
/// that is not an object, or a document without a `flags` array.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(convert(value.clone(), origin)?, Format::Flipt, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(value, origin, "a Flipt namespace snapshot")?;
    let flags = walk::keyed_flags(&mut document, origin)?;
    let mut manifest = Manifest::new();
    match document.get("namespace") {
        None | Some(Value::Null) => {}
        Some(Value::Object(namespace)) => {
            if let Some(Value::String(key)) = namespace.get("key") {
                manifest.metadata.insert(
                    NAMESPACE_METADATA.to_owned(),
                    MetadataValue::String(key.clone()),
                );
            }
        }
        Some(other) => {
            return Err(Error::document(
                origin,
                Problem::InvalidField {
                    field: "namespace".to_owned(),
                    expected: "an object with the namespace `key`",
                    found: describe(other),
                },
            ));
        }
    }
    for entry in flags {
        let (key, fields) = entry?;
        let flag = walk::non_empty(&key)
            .and_then(|()| walk::unseen(&manifest, &key))
            .and_then(|()| import_flag(&fields))
            .map_err(|p| Error::flag(origin, &key, p))?;
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

fn import_flag(fields: &Map<String, Value>) -> Result<Flag, Problem> {
    // Absent is `false`, as protobuf JSON leaves out fields holding their zero value.
    let enabled = match fields.get("enabled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(enabled)) => *enabled,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "enabled".to_owned(),
                expected: "a boolean",
                found: describe(other),
            });
        }
    };
    let mut flag = match fields.get("type") {
        Some(Value::String(name)) if name == "BOOLEAN_FLAG_TYPE" => {
            Flag::new(FlagType::Boolean, Some(Value::Bool(enabled)))
        }
        None | Some(Value::Null) => variant_flag(fields, enabled)?,
        Some(Value::String(name)) if name == "VARIANT_FLAG_TYPE" => variant_flag(fields, enabled)?,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "type".to_owned(),
                expected: "`BOOLEAN_FLAG_TYPE` or `VARIANT_FLAG_TYPE`",
                found: describe(other),
            });
        }
    };
    flag.description = match fields.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(description)) if description.is_empty() => None,
        Some(Value::String(description)) => Some(description.clone()),
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "description".to_owned(),
                expected: "a string",
                found: describe(other),
            });
        }
    };
    Ok(flag)
}

/// A variant flag: a string flag over the variant keys the snapshot names.
fn variant_flag(fields: &Map<String, Value>, enabled: bool) -> Result<Flag, Problem> {
    let mut flag = Flag::new(FlagType::String, None);
    if !enabled {
        flag.state = FlagState::Disabled;
    }
    match fields.get("defaultVariant") {
        None | Some(Value::Null) => {}
        Some(Value::Object(variant)) => {
            let key = variant_key(variant.get("key"), "defaultVariant.key")?;
            flag.default = Some(Value::from(key));
            flag.default_variant = Some(key.to_owned());
            flag.variants.insert(key.to_owned(), Value::from(key));
        }
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "defaultVariant".to_owned(),
                expected: "a variant object with a `key`",
                found: describe(other),
            });
        }
    }
    for (r, rule) in array(fields.get("rules"), || "rules".to_owned())?
        .iter()
        .enumerate()
    {
        let Value::Object(rule) = rule else {
            return Err(Problem::InvalidField {
                field: format!("rules[{r}]"),
                expected: "a rule object",
                found: describe(rule),
            });
        };
        let distributions = array(rule.get("distributions"), || {
            format!("rules[{r}].distributions")
        })?;
        for (d, distribution) in distributions.iter().enumerate() {
            let key = variant_key(
                distribution.get("variantKey"),
                &format!("rules[{r}].distributions[{d}].variantKey"),
            )?;
            flag.variants.insert(key.to_owned(), Value::from(key));
        }
    }
    Ok(flag)
}

/// An optional array field (absent and `null` are empty).
fn array(value: Option<&Value>, field: impl FnOnce() -> String) -> Result<&[Value], Problem> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(Problem::InvalidField {
            field: field(),
            expected: "an array",
            found: describe(other),
        }),
    }
}

fn variant_key<'a>(value: Option<&'a Value>, field: &str) -> Result<&'a str, Problem> {
    match value {
        Some(Value::String(key)) if !key.is_empty() => Ok(key),
        other => Err(Problem::InvalidField {
            field: field.to_owned(),
            expected: "a variant key",
            found: other.map_or_else(|| "none".to_owned(), describe),
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(flag: Value) -> Result<Manifest, Error> {
        let mut flag = flag;
        flag["key"] = json!("f");
        import(
            &json!({ "namespace": { "key": "ns" }, "flags": [flag] }),
            "flipt",
        )
    }

    fn problem(flag: Value) -> Problem {
        let error = one(flag).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().unwrap().clone()
    }

    #[test]
    fn boolean_flags_default_to_enabled() {
        for enabled in [true, false] {
            let manifest = one(json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": enabled })).unwrap();
            let flag = &manifest.flags["f"];
            assert_eq!(flag.flag_type, FlagType::Boolean);
            assert_eq!(flag.default, Some(json!(enabled)));
            assert_eq!(flag.state, FlagState::Enabled);
            assert!(flag.variants.is_empty());
        }
        // Left out, as protobuf JSON leaves out `false`.
        let manifest = one(json!({ "type": "BOOLEAN_FLAG_TYPE" })).unwrap();
        assert_eq!(manifest.flags["f"].default, Some(json!(false)));
    }

    #[test]
    fn variant_flags_collect_every_variant_key() {
        let manifest = one(json!({
            "type": "VARIANT_FLAG_TYPE", "enabled": true, "description": "Colours",
            "defaultVariant": { "id": "x", "key": "light", "attachment": "{\"a\":1}" },
            "rules": [
                { "distributions": [{ "variantKey": "dark", "rollout": 50 }, { "variantKey": "light", "rollout": 50 }] },
                { "segments": [], "distributions": [] },
                { "distributions": [{ "variantKey": "contrast", "rollout": 100 }] }
            ]
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.flag_type, FlagType::String);
        assert_eq!(flag.default, Some(json!("light")));
        assert_eq!(flag.default_variant.as_deref(), Some("light"));
        assert_eq!(
            serde_json::to_value(&flag.variants).unwrap(),
            json!({ "contrast": "contrast", "dark": "dark", "light": "light" })
        );
        assert_eq!(flag.description.as_deref(), Some("Colours"));
        assert_eq!(flag.state, FlagState::Enabled);
    }

    #[test]
    fn variant_flag_without_type_default_or_enabled() {
        let manifest =
            one(json!({ "rules": [{ "distributions": [{ "variantKey": "a" }] }] })).unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.flag_type, FlagType::String);
        assert_eq!(flag.default, None);
        assert_eq!(flag.default_variant, None);
        assert_eq!(flag.state, FlagState::Disabled);
        assert_eq!(flag.variants.keys().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn problems() {
        assert!(matches!(
            problem(json!({ "type": "MULTIVARIATE_FLAG_TYPE", "enabled": true })),
            Problem::InvalidField { field, found, .. }
                if field == "type" && found.contains("MULTIVARIATE_FLAG_TYPE")
        ));
        assert!(matches!(
            problem(json!({ "enabled": true, "rules": [{ "distributions": [{ "variantKey": 7 }] }] })),
            Problem::InvalidField { field, .. } if field == "rules[0].distributions[0].variantKey"
        ));
        assert!(matches!(
            problem(json!({ "enabled": "yes" })),
            Problem::InvalidField { field, .. } if field == "enabled"
        ));
        assert!(matches!(
            problem(json!({ "enabled": true, "defaultVariant": { "id": "x" } })),
            Problem::InvalidField { field, .. } if field == "defaultVariant.key"
        ));
        let duplicate = json!({ "flags": [
            { "key": "f", "type": "BOOLEAN_FLAG_TYPE", "enabled": true },
            { "key": "f", "enabled": true }
        ] });
        let error = import(&duplicate, "flipt").unwrap_err();
        assert_eq!(error.flag_key(), Some("f"));
        assert_eq!(error.problem(), Some(&Problem::DuplicateKey));
        let error = import(&json!({ "namespace": "ns", "flags": [] }), "flipt").unwrap_err();
        assert!(matches!(
            error.problem(),
            Some(Problem::InvalidField { field, .. }) if field == "namespace"
        ));
    }
}
