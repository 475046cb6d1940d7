//! Importer for an OFREP bulk evaluation response.
//!
//! A service speaking the [OpenFeature Remote Evaluation Protocol](https://openfeature.dev/docs/reference/other-technologies/ofrep/)
//! answers `POST /ofrep/v1/evaluate/flags` with the value of every flag under the context it
//! was sent. There are no types and no variant lists in it: each flag's type is inferred from
//! the value it evaluated to, so the lock is as good as the context the sync sends.
//!
//! ```json
//! {
//!   "flags": [
//!     { "key": "new-checkout", "value": true, "reason": "TARGETING_MATCH", "variant": "on",
//!       "metadata": { "description": "The redesigned checkout", "team": "payments" } },
//!     { "key": "page-size", "value": 20, "reason": "STATIC", "variant": "default" },
//!     { "key": "beta-banner", "errorCode": "FLAG_NOT_FOUND", "errorDetails": "flag not found" }
//!   ],
//!   "metadata": { "flagSetId": "shop", "version": "v12" }
//! }
//! ```
//!
//! How an entry of `flags` maps onto a [`Flag`]:
//!
//! | OFREP | [`Flag`] |
//! | --- | --- |
//! | `value` | [`Flag::default`]; its type is [`Flag::flag_type`]: a boolean, a string, a number that fits `i64` (an integer), any other number (a float), an object. An array, `null` or no `value` at all (the service defers to the code default) is an error naming the flag |
//! | `variant` (a non-empty string) | [`Flag::default_variant`], and the one variant `{variant: value}` in [`Flag::variants`] |
//! | `reason: "DISABLED"` | [`Flag::state`] disabled; other reasons leave it enabled |
//! | `metadata` (booleans, strings, numbers) | [`Flag::metadata`]; a string `description` also becomes [`Flag::description`], `deprecated: true` sets [`Flag::deprecated`] (as for flagd) |
//! | `errorCode` | an error naming the flag, its code and details, except `FLAG_NOT_FOUND`: such entries are skipped |
//!
//! The top-level `metadata` becomes [`Manifest::metadata`]; `eventStreams` and other fields are
//! ignored.
//!
//! ```
//! let manifest = flags_schema::ofrep::import(&serde_json::json!({
//!     "flags": [
//!         { "key": "page-size", "value": 20, "reason": "STATIC", "variant": "default" },
//!         { "key": "ratio", "value": 0.25, "reason": "SPLIT" },
//!         { "key": "gone", "errorCode": "FLAG_NOT_FOUND" }
//!     ]
//! }), "https://flags.example.com/ofrep/v1/evaluate/flags").unwrap();
//! assert_eq!(manifest.flags["page-size"].flag_type, flags_schema::FlagType::Integer);
//! assert_eq!(manifest.flags["page-size"].default_variant.as_deref(), Some("default"));
//! assert_eq!(manifest.flags["ratio"].flag_type, flags_schema::FlagType::Float);
//! assert!(!manifest.flags.contains_key("gone"));
//! ```

use serde_json::{Map, Value};

use super::walk;
use super::{Format, finish, shared};
use crate::error::{Error, Problem, describe};
use crate::manifest::{Flag, FlagState, FlagType, Manifest};

/// The `errorCode` of an entry for a flag the service does not have: skipped, not an error.
pub const FLAG_NOT_FOUND: &str = "FLAG_NOT_FOUND";

/// Imports an OFREP bulk evaluation response; `origin` names it in errors and in the
/// provenance.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for an entry with an `errorCode` other than
/// [`FLAG_NOT_FOUND`] ([`Problem::EvaluationFailed`]), a `value` that is missing, an array or
/// `null`, invalid metadata, an empty or duplicate key; an [`Error::Document`] for an entry
/// without a string `key`, invalid flag-set `metadata`, or a document without a `flags` array.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(convert(value.clone(), origin)?, Format::Ofrep, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    let mut document = walk::document(value, origin, "an OFREP bulk evaluation response")?;
    let flags = walk::keyed_flags(&mut document, origin)?;
    let mut manifest = Manifest::new();
    if let Some(metadata) = document.get("metadata") {
        manifest.metadata = shared::metadata(metadata).map_err(|p| Error::document(origin, p))?;
    }
    for entry in flags {
        let (key, fields) = entry?;
        // An entry is read before its key is checked for repeats: a flag the service does not
        // have repeats nothing.
        let flag = walk::non_empty(&key)
            .and_then(|()| import_entry(&fields))
            .map_err(|p| Error::flag(origin, &key, p))?;
        let Some(flag) = flag else {
            continue;
        };
        walk::unseen(&manifest, &key).map_err(|p| Error::flag(origin, &key, p))?;
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

/// What the value of an entry must be, in messages.
const VALUE_EXPECTED: &str =
    "a boolean, string, number or object (the flag's type is inferred from it)";

/// The flag of one entry; `None` for an entry to skip (a flag the service does not have).
fn import_entry(fields: &Map<String, Value>) -> Result<Option<Flag>, Problem> {
    if let Some(code) = fields.get("errorCode") {
        let Value::String(code) = code else {
            return Err(Problem::InvalidField {
                field: "errorCode".to_owned(),
                expected: "an OpenFeature error code such as `PARSE_ERROR`",
                found: describe(code),
            });
        };
        if code == FLAG_NOT_FOUND {
            return Ok(None);
        }
        return Err(Problem::EvaluationFailed {
            code: code.clone(),
            details: fields
                .get("errorDetails")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    let value = match fields.get("value") {
        Some(value) => value,
        None => {
            return Err(Problem::InvalidField {
                field: "value".to_owned(),
                expected: VALUE_EXPECTED,
                found: "none (the service defers to the code default)".to_owned(),
            });
        }
    };
    let Some(flag_type) = FlagType::of(value) else {
        return Err(Problem::InvalidField {
            field: "value".to_owned(),
            expected: VALUE_EXPECTED,
            found: describe(value),
        });
    };
    let mut flag = Flag::new(flag_type, Some(value.clone()));
    match fields.get("variant") {
        None | Some(Value::Null) => {}
        Some(Value::String(variant)) if variant.is_empty() => {}
        Some(Value::String(variant)) => {
            flag.default_variant = Some(variant.clone());
            flag.variants.insert(variant.clone(), value.clone());
        }
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "variant".to_owned(),
                expected: "the name of a variant",
                found: describe(other),
            });
        }
    }
    if fields.get("reason").and_then(Value::as_str) == Some("DISABLED") {
        flag.state = FlagState::Disabled;
    }
    if let Some(metadata) = fields.get("metadata") {
        flag.metadata = shared::metadata(metadata)?;
        shared::describe_from_metadata(&mut flag);
    }
    Ok(Some(flag))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::manifest::MetadataValue;

    fn one(entry: Value) -> Result<Manifest, Error> {
        import(&json!({ "flags": [entry] }), "ofrep")
    }

    fn problem(entry: Value) -> Problem {
        let error = one(entry).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().unwrap().clone()
    }

    #[test]
    fn types_are_inferred_from_the_value() {
        let cases = [
            (json!(true), FlagType::Boolean),
            (json!("blue"), FlagType::String),
            (json!(0), FlagType::Integer),
            (json!(-7), FlagType::Integer),
            (json!(i64::MAX), FlagType::Integer),
            // Beyond `i64`: only a float holds it.
            (json!(u64::MAX), FlagType::Float),
            (json!(3.0), FlagType::Float),
            (json!(0.25), FlagType::Float),
            (json!({ "a": [1] }), FlagType::Object),
        ];
        for (value, expected) in cases {
            let manifest = one(json!({ "key": "f", "value": value, "reason": "STATIC" })).unwrap();
            let flag = &manifest.flags["f"];
            assert_eq!(flag.flag_type, expected, "{value}");
            assert_eq!(flag.default.as_ref(), Some(&value));
            assert!(flag.variants.is_empty());
            assert_eq!(flag.default_variant, None);
        }
    }

    #[test]
    fn variant_reason_and_metadata() {
        let manifest = one(json!({
            "key": "f", "value": 3, "reason": "DISABLED", "variant": "three",
            "metadata": { "description": "How many", "deprecated": true, "weight": 1.5 }
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.default_variant.as_deref(), Some("three"));
        assert_eq!(flag.variants.get("three"), Some(&json!(3)));
        assert_eq!(flag.state, FlagState::Disabled);
        assert_eq!(flag.description.as_deref(), Some("How many"));
        assert!(flag.deprecated);
        assert_eq!(flag.metadata["weight"], MetadataValue::Float(1.5));
        // An empty variant name is no variant.
        let manifest = one(json!({ "key": "f", "value": 3, "variant": "" })).unwrap();
        assert!(manifest.flags["f"].variants.is_empty());
        assert_eq!(manifest.flags["f"].default_variant, None);
    }

    #[test]
    fn values_that_give_no_type() {
        for (value, found) in [(json!([1, 2]), "an array"), (json!(null), "null")] {
            let error = one(json!({ "key": "f", "value": value })).unwrap_err();
            let message = error.to_string();
            assert!(message.contains("flag `f`"), "{message}");
            assert!(message.contains(&format!("found {found}")), "{message}");
        }
        let message = one(json!({ "key": "f", "reason": "DEFAULT" }))
            .unwrap_err()
            .to_string();
        assert!(message.contains("field `value`"), "{message}");
        assert!(message.contains("defers to the code default"), "{message}");
    }

    #[test]
    fn error_entries() {
        assert_eq!(
            problem(
                json!({ "key": "f", "errorCode": "TARGETING_KEY_MISSING", "errorDetails": "no key" })
            ),
            Problem::EvaluationFailed {
                code: "TARGETING_KEY_MISSING".into(),
                details: Some("no key".into())
            }
        );
        let message = one(json!({ "key": "f", "errorCode": "PARSE_ERROR" }))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "`ofrep`: flag `f`: the service could not evaluate the flag: `PARSE_ERROR`; give the \
             OFREP source a context under which it evaluates"
        );
        assert!(matches!(
            problem(json!({ "key": "f", "errorCode": 3 })),
            Problem::InvalidField { .. }
        ));
        let manifest = one(json!({ "key": "f", "errorCode": "FLAG_NOT_FOUND" })).unwrap();
        assert!(manifest.flags.is_empty());
    }

    #[test]
    fn keys_and_document() {
        let duplicate = json!({ "flags": [
            { "key": "f", "value": 1 },
            { "key": "f", "errorCode": "FLAG_NOT_FOUND" },
            { "key": "f", "value": 2 }
        ] });
        let error = import(&duplicate, "ofrep").unwrap_err();
        assert_eq!(error.flag_key(), Some("f"));
        assert_eq!(error.problem(), Some(&Problem::DuplicateKey));
        assert_eq!(
            problem_of(json!({ "flags": [{ "key": "", "value": 1 }] })),
            Problem::EmptyKey
        );
        assert!(matches!(
            problem_of(json!({ "flags": [{ "value": 1 }] })),
            Problem::InvalidField { field, .. } if field == "flags[0].key"
        ));
        assert_eq!(
            problem_of(json!({ "flagz": [] })),
            Problem::MissingField { field: "flags" }
        );
        assert!(matches!(
            problem_of(json!({ "flags": [], "metadata": { "tags": ["a"] } })),
            Problem::InvalidMetadata { key, .. } if key == "tags"
        ));
        assert!(matches!(
            problem_of(json!([])),
            Problem::UnknownFormat { .. }
        ));
    }

    fn problem_of(document: Value) -> Problem {
        import(&document, "ofrep")
            .unwrap_err()
            .problem()
            .unwrap()
            .clone()
    }
}
