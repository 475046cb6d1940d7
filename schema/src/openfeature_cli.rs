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

use crate::detect::{Format, finish};
use crate::error::{Error, Problem, describe};
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
    finish(convert(value, origin)?, Format::OpenfeatureCli, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(crate) fn convert(value: &Value, origin: &str) -> Result<Manifest, Error> {
    let Value::Object(document) = value else {
        return Err(Error::document(
            origin,
            Problem::UnknownFormat {
                hint: format!(
                    "an OpenFeature CLI manifest is an object with `flags`, found {}",
                    describe(value)
                ),
            },
        ));
    };
    let flags = match document.get("flags") {
        Some(Value::Object(flags)) => flags,
        Some(other) => {
            return Err(Error::document(
                origin,
                Problem::InvalidField {
                    field: "flags".to_owned(),
                    expected: "an object of flags by key",
                    found: describe(other),
                },
            ));
        }
        None => {
            return Err(Error::document(
                origin,
                Problem::MissingField { field: "flags" },
            ));
        }
    };
    let mut manifest = Manifest::new();
    for (key, flag) in flags {
        if key.is_empty() {
            return Err(Error::flag(origin, key, Problem::EmptyKey));
        }
        let flag = import_flag(key, flag).map_err(|problem| Error::flag(origin, key, problem))?;
        manifest.flags.insert(key.clone(), flag);
    }
    Ok(manifest)
}

fn import_flag(key: &str, value: &Value) -> Result<Flag, Problem> {
    let Value::Object(fields) = value else {
        return Err(Problem::InvalidField {
            field: format!("flags.{key}"),
            expected: "a flag object with `flagType` and `defaultValue`",
            found: describe(value),
        });
    };
    typed_flag(fields, "flagType")
}

/// A flag of the OpenFeature CLI's shape: its type in `type_field`, a `defaultValue` of that
/// type (integral floats of integer flags normalised), and an optional `description`. The
/// OpenFeature manifest API names the type field `type`.
pub(crate) fn typed_flag(
    fields: &serde_json::Map<String, Value>,
    type_field: &'static str,
) -> Result<Flag, Problem> {
    let flag_type = match fields.get(type_field) {
        None => return Err(Problem::MissingField { field: type_field }),
        Some(Value::String(name)) => parse_type(name)?,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: type_field.to_owned(),
                expected: "a type name such as `boolean`",
                found: describe(other),
            });
        }
    };
    let Some(default) = fields.get("defaultValue") else {
        return Err(Problem::MissingField {
            field: "defaultValue",
        });
    };
    let default = normalise_default(flag_type, default);
    if !flag_type.accepts(&default) {
        return Err(Problem::DefaultTypeMismatch {
            expected: flag_type,
            found: describe(&default),
        });
    }
    let mut flag = Flag::new(flag_type, Some(default));
    flag.description = match fields.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(description)) => Some(description.clone()),
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "description".to_owned(),
                expected: "a string or null",
                found: describe(other),
            });
        }
    };
    Ok(flag)
}

/// A type name as the CLI's loader reads it.
pub(crate) fn parse_type(name: &str) -> Result<FlagType, Problem> {
    match name {
        "boolean" | "bool" | "Boolean" => Ok(FlagType::Boolean),
        "string" | "String" => Ok(FlagType::String),
        "integer" | "Integer" => Ok(FlagType::Integer),
        "float" | "Float" | "Number" => Ok(FlagType::Float),
        "object" | "Object" | "JSON" => Ok(FlagType::Object),
        _ => Err(Problem::UnknownType {
            found: name.to_owned(),
        }),
    }
}

/// An integer flag's default written as a whole float (`50.0`, an integer for JSON Schema)
/// becomes the integer.
pub(crate) fn normalise_default(flag_type: FlagType, default: &Value) -> Value {
    // `i64::MAX as f64` rounds up to 2^63, so the upper bound is exclusive; within the bounds a
    // whole float converts exactly.
    if flag_type == FlagType::Integer
        && !default.is_i64()
        && let Some(float) = default.as_f64()
        && float.fract() == 0.0
        && float >= i64::MIN as f64
        && float < i64::MAX as f64
    {
        return Value::from(float as i64);
    }
    default.clone()
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
