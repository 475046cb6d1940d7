//! Importer and exporter for the OpenFeature CLI flag manifest.
//!
//! The manifest the [OpenFeature CLI](https://github.com/open-feature/cli) generates code from
//! (schema `schema/v0/flag-manifest.json`): a type and a default per flag, no variants and no
//! targeting.
//!
//! ```json
//! {
//!   "$schema": "https://raw.githubusercontent.com/open-feature/cli/refs/heads/main/schema/v0/flag-manifest.json",
//!   "flags": {
//!     "enableFeatureA": { "flagType": "boolean", "defaultValue": false, "description": "..." },
//!     "discountPercentage": { "flagType": "float", "defaultValue": 0.15 }
//!   }
//! }
//! ```
//!
//! Type names are read as leniently as the CLI reads them: `boolean` / `bool` / `Boolean`,
//! `string` / `String`, `integer` / `Integer`, `float` / `Float` / `Number`,
//! `object` / `Object` / `JSON`. Other fields of a flag are ignored.
//!
//! [`export`] writes a manifest in this format, so that teams using the CLI's generators for
//! other languages share one manifest with `flags`.
//!
//! ```
//! use flags_schema::openfeature_cli;
//!
//! let document = serde_json::json!({
//!     "flags": { "limit": { "flagType": "Integer", "defaultValue": 50, "description": "Max items" } }
//! });
//! let manifest = openfeature_cli::import(&document, "flags.json").unwrap();
//! assert_eq!(manifest.flags["limit"].flag_type, flags_schema::FlagType::Integer);
//! assert_eq!(manifest.flags["limit"].description.as_deref(), Some("Max items"));
//!
//! let exported = openfeature_cli::export(&manifest);
//! assert_eq!(exported["flags"]["limit"]["flagType"], "integer");
//! ```

use serde_json::{Map, Value, json};

use super::shared::{flag_object, typed_flag};
use super::walk::{self, Listing};
use super::{Format, finish};
use crate::error::{Error, Problem};
use crate::manifest::{Flag, FlagType, Manifest};

/// The `$schema` that [`export`] writes: the CLI's manifest schema.
pub const SCHEMA_URL: &str = "https://raw.githubusercontent.com/open-feature/cli/refs/heads/main/schema/v0/flag-manifest.json";

/// Imports an OpenFeature CLI flag manifest; `origin` names it in errors and in the provenance.
///
/// Every flag gets its `defaultValue` as [`Flag::default`] and no variants. An integer flag's
/// default written as a whole float (`50.0`) is read as the integer. The result is validated
/// and its [`Manifest::sources`] record the format and the origin, [`Manifest::content_hash`] the hash, as
/// [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for an empty key, a missing `flagType` or
/// `defaultValue`, an unknown type name, or a default that is not of the flag's type; an
/// [`Error::Document`] when `flags` is missing or not an object.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(
        convert(value.clone(), origin)?,
        Format::OpenfeatureCli,
        origin,
    )
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(value, origin, "an OpenFeature CLI manifest")?;
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
        "a flag object with `flagType` and `defaultValue`",
    )?;
    typed_flag(fields, "flagType")
}

/// Writes a manifest as an OpenFeature CLI flag manifest: `$schema`, and per flag its
/// `flagType`, `defaultValue` and `description`.
///
/// A flag without a default (a flagd flag with no default variant) gets the zero value of its
/// type: `false`, `""`, `0`, `0.0` or `{}`. Variants, targeting, state and metadata have no
/// place in the format and are left out. Keys come out sorted.
///
/// ```
/// use flags_schema::{Flag, FlagType, Manifest, openfeature_cli};
///
/// let mut manifest = Manifest::new();
/// manifest.flags.insert("beta".into(), Flag::new(FlagType::Boolean, None));
/// let exported = openfeature_cli::export(&manifest);
/// assert_eq!(exported["flags"]["beta"], serde_json::json!({ "flagType": "boolean", "defaultValue": false }));
/// ```
pub fn export(manifest: &Manifest) -> Value {
    let flags: Map<String, Value> = manifest
        .flags
        .iter()
        .map(|(key, flag)| {
            let mut entry = Map::new();
            entry.insert("flagType".to_owned(), Value::from(flag.flag_type.as_str()));
            let default = flag
                .default
                .clone()
                .unwrap_or_else(|| zero_value(flag.flag_type));
            entry.insert("defaultValue".to_owned(), default);
            if let Some(description) = &flag.description {
                entry.insert("description".to_owned(), Value::from(description.as_str()));
            }
            (key.clone(), Value::Object(entry))
        })
        .collect();
    json!({ "$schema": SCHEMA_URL, "flags": flags })
}

fn zero_value(flag_type: FlagType) -> Value {
    match flag_type {
        FlagType::Boolean => json!(false),
        FlagType::String => json!(""),
        FlagType::Integer => json!(0),
        FlagType::Float => json!(0.0),
        FlagType::Object => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one_flag(flag: Value) -> Result<Manifest, Error> {
        import(&json!({ "flags": { "f": flag } }), "flags.json")
    }

    #[test]
    fn lenient_type_names() {
        let cases = [
            ("boolean", json!(true), FlagType::Boolean),
            ("bool", json!(true), FlagType::Boolean),
            ("Boolean", json!(false), FlagType::Boolean),
            ("string", json!("x"), FlagType::String),
            ("String", json!(""), FlagType::String),
            ("integer", json!(1), FlagType::Integer),
            ("Integer", json!(-1), FlagType::Integer),
            ("float", json!(0.5), FlagType::Float),
            ("Float", json!(1), FlagType::Float),
            ("Number", json!(2.5), FlagType::Float),
            ("object", json!({}), FlagType::Object),
            ("Object", json!({ "a": 1 }), FlagType::Object),
            ("JSON", json!({ "a": [1] }), FlagType::Object),
        ];
        for (name, default, expected) in cases {
            let manifest = one_flag(json!({ "flagType": name, "defaultValue": default })).unwrap();
            assert_eq!(manifest.flags["f"].flag_type, expected, "{name}");
            assert_eq!(manifest.flags["f"].default, Some(default), "{name}");
        }
    }

    #[test]
    fn unknown_type_and_mismatched_default() {
        let error = one_flag(json!({ "flagType": "number", "defaultValue": 1 })).unwrap_err();
        assert_eq!(
            error.problem(),
            Some(&Problem::UnknownType {
                found: "number".into()
            })
        );
        assert_eq!(error.flag_key(), Some("f"));
        let error = one_flag(json!({ "flagType": "integer", "defaultValue": 1.5 })).unwrap_err();
        assert!(matches!(
            error.problem(),
            Some(Problem::DefaultTypeMismatch {
                expected: FlagType::Integer,
                ..
            })
        ));
        let error = one_flag(json!({ "flagType": "object", "defaultValue": [1] })).unwrap_err();
        assert!(matches!(
            error.problem(),
            Some(Problem::DefaultTypeMismatch { .. })
        ));
        let error = one_flag(json!({ "flagType": "boolean" })).unwrap_err();
        assert_eq!(
            error.problem(),
            Some(&Problem::MissingField {
                field: "defaultValue"
            })
        );
        let error = one_flag(json!({ "flagType": true, "defaultValue": true })).unwrap_err();
        assert!(matches!(
            error.problem(),
            Some(Problem::InvalidField { .. })
        ));
    }

    #[test]
    fn whole_float_default_of_an_integer_flag_is_an_integer() {
        let manifest = one_flag(json!({ "flagType": "integer", "defaultValue": 50.0 })).unwrap();
        assert_eq!(manifest.flags["f"].default, Some(json!(50)));
    }

    #[test]
    fn provenance_is_recorded() {
        let manifest = one_flag(json!({ "flagType": "string", "defaultValue": "a" })).unwrap();
        let [source] = manifest.sources.as_slice() else {
            panic!("one source: {:?}", manifest.sources)
        };
        assert_eq!(source.kind, crate::SourceKind::File);
        assert_eq!(source.format, Format::OpenfeatureCli);
        assert_eq!(source.location.as_deref(), Some("flags.json"));
        assert_eq!(source.fetched_at, None);
        assert_eq!(manifest.content_hash, Some(manifest.compute_hash()));
    }

    #[test]
    fn export_fills_in_zero_values() {
        let mut manifest = Manifest::new();
        for flag_type in FlagType::ALL {
            manifest
                .flags
                .insert(flag_type.as_str().to_owned(), Flag::new(flag_type, None));
        }
        let exported = export(&manifest);
        assert_eq!(exported["$schema"], SCHEMA_URL);
        assert_eq!(
            exported["flags"],
            json!({
                "boolean": { "flagType": "boolean", "defaultValue": false },
                "string": { "flagType": "string", "defaultValue": "" },
                "integer": { "flagType": "integer", "defaultValue": 0 },
                "float": { "flagType": "float", "defaultValue": 0.0 },
                "object": { "flagType": "object", "defaultValue": {} },
            })
        );
        // And the zero values are of their types.
        let reimported = import(&exported, "exported.json").unwrap();
        for flag_type in FlagType::ALL {
            assert_eq!(reimported.flags[flag_type.as_str()].flag_type, flag_type);
        }
    }

    #[test]
    fn round_trip() {
        let document = json!({
            "$schema": SCHEMA_URL,
            "flags": {
                "enableFeatureA": { "flagType": "boolean", "defaultValue": false, "description": "Controls A" },
                "usernameMaxLength": { "flagType": "integer", "defaultValue": 50 },
                "greetingMessage": { "flagType": "string", "defaultValue": "Hello there!" },
                "discountPercentage": { "flagType": "float", "defaultValue": 0.15 },
                "themeCustomization": { "flagType": "object", "defaultValue": { "primaryColor": "#007bff" } }
            }
        });
        let manifest = import(&document, "flags.json").unwrap();
        let exported = export(&manifest);
        assert_eq!(exported, document);
        assert_eq!(import(&exported, "flags.json").unwrap(), manifest);
    }
}
