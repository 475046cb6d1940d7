//! Importer for FlagKit's SDK init answer.
//!
//! FlagKit serves one value per flag per environment; `GET /api/v1/sdk/init` answers every
//! flag's state, with its declared type:
//!
//! ```json
//! {
//!   "flags": [
//!     { "key": "dark-mode", "value": true, "enabled": true, "version": 4,
//!       "flagType": "boolean", "lastModified": "2026-12-01T10:00:00Z" },
//!     { "key": "upload-limit", "value": 100, "enabled": true, "flagType": "number" },
//!     { "key": "banner", "value": { "text": "hi" }, "enabled": false, "flagType": "json" }
//!   ],
//!   "environment": "production", "environmentId": "env_1", "serverTime": "2026-12-05T03:00:00Z",
//!   "pollingIntervalSeconds": 30
//! }
//! ```
//!
//! How an entry of `flags` maps onto a [`Flag`]:
//!
//! | FlagKit | [`Flag`] |
//! | --- | --- |
//! | `flagType` `boolean`, `string`, `json` | [`Flag::flag_type`] boolean, string, object |
//! | `flagType` `number` | an integer when `value` is a whole number that fits `i64`, else a float (FlagKit has one number type; the value tells which Rust type fits) |
//! | no `flagType` | inferred from `value`, as for `number` |
//! | `value` | [`Flag::default`]: what FlagKit serves this environment; it must be of the declared type (a `json` flag: an object) |
//! | `enabled: false` | [`Flag::state`] disabled |
//! | `version`, `lastModified` | [`Flag::metadata`] |
//! | `deleted: true` (or a `deletedAt`) | skipped |
//!
//! The environment's ids become [`Manifest::metadata`] (`environment`, `environmentId`,
//! `projectId`); the server time, polling interval and SDK version advice are ignored.
//!
//! ```
//! let manifest = flags_schema::flagkit::import(&serde_json::json!({
//!     "flags": [
//!         { "key": "upload-limit", "value": 100, "enabled": true, "flagType": "number" },
//!         { "key": "ratio", "value": 0.5, "enabled": true, "flagType": "number" },
//!         { "key": "dark-mode", "value": true, "enabled": false, "flagType": "boolean" }
//!     ],
//!     "environmentId": "env_1"
//! }), "https://api.flagkit.dev/api/v1/sdk/init").unwrap();
//! assert_eq!(manifest.flags["upload-limit"].flag_type, flags_schema::FlagType::Integer);
//! assert_eq!(manifest.flags["ratio"].flag_type, flags_schema::FlagType::Float);
//! assert_eq!(manifest.flags["dark-mode"].state, flags_schema::FlagState::Disabled);
//! ```

use serde_json::{Map, Value};

use super::walk;
use super::{Format, finish};
use crate::error::{Error, Problem, describe};
use crate::manifest::{Flag, FlagState, FlagType, Manifest, MetadataValue};

/// Imports FlagKit's init answer; `origin` names it in errors and in the provenance.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as
/// [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for an unknown `flagType`, a `value` that is missing or
/// not of the declared type, an `enabled` that is not a boolean, an empty or duplicate key; an
/// [`Error::Document`] for an entry without a string `key`, or a document without a `flags`
/// array.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(convert(value.clone(), origin)?, Format::FlagKit, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(value, origin, "a FlagKit init answer")?;
    let flags = walk::keyed_flags(&mut document, origin)?;
    let mut manifest = Manifest::new();
    for field in ["environment", "environmentId", "projectId"] {
        if let Some(Value::String(text)) = document.get(field) {
            manifest
                .metadata
                .insert(field.to_owned(), MetadataValue::String(text.clone()));
        }
    }
    for entry in flags {
        let (key, fields) = entry?;
        let deleted = matches!(fields.get("deleted"), Some(Value::Bool(true)))
            || matches!(fields.get("deletedAt"), Some(Value::String(_)));
        if deleted {
            continue;
        }
        let flag = walk::non_empty(&key)
            .and_then(|()| walk::unseen(&manifest, &key))
            .and_then(|()| import_flag(&fields))
            .map_err(|p| Error::flag(origin, &key, p))?;
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

fn import_flag(fields: &Map<String, Value>) -> Result<Flag, Problem> {
    let Some(value) = fields.get("value") else {
        return Err(Problem::InvalidField {
            field: "value".to_owned(),
            expected: "the flag's value in this environment",
            found: "none".to_owned(),
        });
    };
    let inferred = FlagType::of(value);
    let flag_type = match fields.get("flagType") {
        None | Some(Value::Null) => inferred,
        Some(Value::String(name)) => match name.as_str() {
            "boolean" => Some(FlagType::Boolean).filter(|t| t.accepts(value)),
            "string" => Some(FlagType::String).filter(|t| t.accepts(value)),
            "json" => Some(FlagType::Object).filter(|t| t.accepts(value)),
            "number" => inferred.filter(|t| matches!(t, FlagType::Integer | FlagType::Float)),
            _ => {
                return Err(Problem::InvalidField {
                    field: "flagType".to_owned(),
                    expected: "`boolean`, `string`, `number` or `json`",
                    found: describe(&Value::String(name.clone())),
                });
            }
        },
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "flagType".to_owned(),
                expected: "`boolean`, `string`, `number` or `json`",
                found: describe(other),
            });
        }
    };
    let Some(flag_type) = flag_type else {
        return Err(Problem::InvalidField {
            field: "value".to_owned(),
            expected: "a value of the flag's `flagType` (a `json` flag: an object)",
            found: describe(value),
        });
    };
    let mut flag = Flag::new(flag_type, Some(value.clone()));
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
    if let Some(version) = fields.get("version").and_then(Value::as_i64) {
        flag.metadata
            .insert("version".to_owned(), MetadataValue::Int(version));
    }
    if let Some(Value::String(at)) = fields.get("lastModified") {
        flag.metadata
            .insert("lastModified".to_owned(), MetadataValue::String(at.clone()));
    }
    Ok(flag)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(entry: Value) -> Result<Manifest, Error> {
        let mut entry = entry;
        entry["key"] = json!("f");
        import(&json!({ "flags": [entry], "serverTime": "t" }), "flagkit")
    }

    fn problem(entry: Value) -> Problem {
        let error = one(entry).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().unwrap().clone()
    }

    #[test]
    fn types_come_from_flag_type_and_numbers_from_their_value() {
        for (flag_type, value, expected) in [
            ("boolean", json!(false), FlagType::Boolean),
            ("string", json!("x"), FlagType::String),
            ("number", json!(7), FlagType::Integer),
            ("number", json!(7.5), FlagType::Float),
            ("json", json!({"a": 1}), FlagType::Object),
        ] {
            let manifest = one(json!({"flagType": flag_type, "value": value})).unwrap();
            assert_eq!(manifest.flags["f"].flag_type, expected, "{flag_type}");
            assert_eq!(manifest.flags["f"].default.as_ref(), Some(&value));
        }
        let manifest = one(json!({"value": "inferred"})).unwrap();
        assert_eq!(manifest.flags["f"].flag_type, FlagType::String);
    }

    #[test]
    fn state_metadata_and_deletions() {
        let manifest = import(
            &json!({"flags": [
                {"key": "a", "value": true, "enabled": false, "flagType": "boolean",
                 "version": 3, "lastModified": "2026-12-01T00:00:00Z"},
                {"key": "gone", "value": true, "flagType": "boolean", "deleted": true}
            ], "environment": "prod", "environmentId": "env_1"}),
            "flagkit",
        )
        .unwrap();
        let a = &manifest.flags["a"];
        assert_eq!(a.state, FlagState::Disabled);
        assert_eq!(a.metadata.get("version"), Some(&MetadataValue::Int(3)));
        assert!(!manifest.flags.contains_key("gone"));
        assert_eq!(
            manifest.metadata.get("environmentId"),
            Some(&MetadataValue::String("env_1".into()))
        );
    }

    #[test]
    fn mistakes_name_the_flag() {
        assert!(matches!(
            problem(json!({"flagType": "boolean", "value": "yes"})),
            Problem::InvalidField { field, .. } if field == "value"
        ));
        assert!(matches!(
            problem(json!({"flagType": "json", "value": [1]})),
            Problem::InvalidField { field, .. } if field == "value"
        ));
        assert!(matches!(
            problem(json!({"flagType": "date", "value": 1})),
            Problem::InvalidField { field, .. } if field == "flagType"
        ));
        assert!(matches!(
            problem(json!({"flagType": "number"})),
            Problem::InvalidField { field, .. } if field == "value"
        ));
        assert!(matches!(
            problem(json!({"flagType": "number", "value": 1, "enabled": "no"})),
            Problem::InvalidField { field, .. } if field == "enabled"
        ));
        assert!(
            import(&json!({"flags": {}}), "x").is_err(),
            "an array of flags"
        );
    }

    #[test]
    fn detection() {
        let flagkit = Some(Format::FlagKit);
        let detect = |v: Value| Format::detect(&v);
        assert_eq!(
            detect(json!({"flags": [{"key": "a", "value": 1, "flagType": "number"}]})),
            flagkit
        );
        assert_eq!(detect(json!({"flags": [], "serverTime": "t"})), flagkit);
        assert_eq!(
            detect(json!({"flags": [{"key": "a", "value": 1, "reason": "STATIC"}]})),
            Some(Format::Ofrep)
        );
        assert_eq!(
            detect(json!({"flags": {"a": {"flagType": "boolean"}}})),
            Some(Format::OpenfeatureCli)
        );
    }
}
