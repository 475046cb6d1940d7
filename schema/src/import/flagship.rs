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
//! | `enabled: false` | [`Flag::state`] disabled (absent means enabled) |
//!
//! The `rules` are not translated (the lock records what the code is typed against; the
//! service evaluates the rules), and the flag's own `key` field is not read: the key it is
//! listed under is the key.
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

use serde_json::Value;

use super::shared::{flag_object, variant, variations};
use super::walk::{self, Listing};
use super::{Format, finish};
use crate::error::{Error, Problem, describe};
use crate::manifest::{Flag, FlagState, Manifest};

/// Imports Cloudflare Flagship flag definitions; `origin` names them in errors and in the
/// provenance.
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
    finish(convert(value.clone(), origin)?, Format::Flagship, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(value, origin, "a Flagship definitions document")?;
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
    match fields.get("enabled") {
        None | Some(Value::Null) | Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => flag.state = FlagState::Disabled,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "enabled".to_owned(),
                expected: "a boolean",
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
}
