//! Importer for the OpenFeature manifest management API.
//!
//! What a flag service implementing the OpenFeature CLI's
//! [manifest management API](https://github.com/open-feature/cli/blob/main/api/v0/sync.yaml)
//! answers to `GET /openfeature/v0/manifest`: the project's active flags, each with a key, a
//! type and a default, as the CLI's `pull` command reads them.
//!
//! ```json
//! {
//!   "flags": [
//!     { "key": "search-rollout", "name": "Search rollout", "type": "boolean",
//!       "description": "Enable the new search experience.", "defaultValue": false },
//!     { "key": "welcome-banner", "type": "string", "description": null, "defaultValue": "control" }
//!   ]
//! }
//! ```
//!
//! Every flag gets its `defaultValue` as [`Flag::default`], its `description` (a string or
//! `null`) as [`Flag::description`], and no variants. Type names are read as leniently as in
//! [`crate::openfeature_cli`] (`boolean` / `bool` / `Boolean`, `integer` / `Integer`,
//! `float` / `Float` / `Number`, `object` / `Object` / `JSON`, ...), and an integer default
//! written as a whole float (`50.0`) is the integer. The display `name` and other fields are
//! ignored.
//!
//! ```
//! let manifest = flags_schema::openfeature_api::import(&serde_json::json!({
//!     "flags": [{ "key": "page-size", "type": "integer", "defaultValue": 25.0, "description": null }]
//! }), "https://flags.example.com/openfeature/v0/manifest").unwrap();
//! let flag = &manifest.flags["page-size"];
//! assert_eq!(flag.flag_type, flags_schema::FlagType::Integer);
//! assert_eq!(flag.default, Some(serde_json::json!(25)));
//! assert_eq!(flag.description, None);
//! ```

use serde_json::{Map, Value};

use super::shared::typed_flag;
use super::walk;
use super::{Format, finish};
use crate::error::{Error, Problem};
use crate::manifest::{Flag, Manifest};

/// Imports a manifest from the OpenFeature manifest management API; `origin` names it in
/// errors and in the provenance.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for a missing `type` or `defaultValue`, an unknown type
/// name, a default that is not of the flag's type, a `description` that is neither a string
/// nor `null`, an empty or duplicate key; an [`Error::Document`] for an entry without a string
/// `key`, or a document without a `flags` array.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(
        convert(value.clone(), origin)?,
        Format::OpenfeatureApi,
        origin,
    )
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(value, origin, "an OpenFeature manifest API response")?;
    let mut manifest = Manifest::new();
    for entry in walk::keyed_flags(&mut document, origin)? {
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
    typed_flag(fields, "type")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::manifest::FlagType;

    fn one(flag: Value) -> Result<Manifest, Error> {
        let mut flag = flag;
        flag["key"] = json!("f");
        import(&json!({ "flags": [flag] }), "api")
    }

    fn problem(flag: Value) -> Problem {
        let error = one(flag).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().unwrap().clone()
    }

    #[test]
    fn lenient_type_names_and_whole_floats() {
        for (name, default, expected) in [
            ("bool", json!(true), FlagType::Boolean),
            ("String", json!("x"), FlagType::String),
            ("integer", json!(3), FlagType::Integer),
            ("Number", json!(0.5), FlagType::Float),
            ("JSON", json!({ "a": 1 }), FlagType::Object),
        ] {
            let manifest = one(json!({ "type": name, "defaultValue": default })).unwrap();
            assert_eq!(manifest.flags["f"].flag_type, expected, "{name}");
            assert_eq!(manifest.flags["f"].default, Some(default), "{name}");
        }
        let manifest = one(json!({ "type": "integer", "defaultValue": 3.0 })).unwrap();
        assert_eq!(manifest.flags["f"].default, Some(json!(3)));
        assert!(manifest.flags["f"].default.as_ref().unwrap().is_i64());
    }

    #[test]
    fn description_and_name() {
        let manifest = one(json!({
            "type": "boolean", "defaultValue": false, "name": "F", "description": "About f"
        }))
        .unwrap();
        assert_eq!(manifest.flags["f"].description.as_deref(), Some("About f"));
        assert!(manifest.flags["f"].metadata.is_empty());
        let manifest =
            one(json!({ "type": "boolean", "defaultValue": false, "description": null })).unwrap();
        assert_eq!(manifest.flags["f"].description, None);
    }

    #[test]
    fn problems() {
        assert_eq!(
            problem(json!({ "type": "number", "defaultValue": 1 })),
            Problem::UnknownType {
                found: "number".into()
            }
        );
        assert_eq!(
            problem(json!({ "type": "integer", "defaultValue": 1.5 })),
            Problem::DefaultTypeMismatch {
                expected: FlagType::Integer,
                found: "a float (`1.5`)".into()
            }
        );
        assert_eq!(
            problem(json!({ "defaultValue": 1 })),
            Problem::MissingField { field: "type" }
        );
        assert_eq!(
            problem(json!({ "type": "string" })),
            Problem::MissingField {
                field: "defaultValue"
            }
        );
        assert!(matches!(
            problem(json!({ "type": "string", "defaultValue": "", "description": 3 })),
            Problem::InvalidField { field, .. } if field == "description"
        ));
        let duplicate = json!({ "flags": [
            { "key": "f", "type": "string", "defaultValue": "a" },
            { "key": "f", "type": "integer", "defaultValue": 1 }
        ] });
        let error = import(&duplicate, "api").unwrap_err();
        assert_eq!(error.flag_key(), Some("f"));
        assert_eq!(error.problem(), Some(&Problem::DuplicateKey));
    }
}
