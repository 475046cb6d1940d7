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
//! | `defaultVariant.attachment`, `rules[].distributions[].variantAttachment` | [`Flag::attachments`], when one of them is there (a string other than `""`): a read of the flag as a structured type gets the variant's attachment, and `#[derive(Flags)]` takes a field of a serde type for it besides the key field |
//! | `enabled` | for a variant flag, `false` makes [`Flag::state`] disabled. Absent is `false`, as in protobuf JSON |
//! | `description` (empty is none) | [`Flag::description`] |
//!
//! Another `type` is an error naming the flag. `namespace.key` becomes the flag-set metadata
//! `flagSetId` in [`Manifest::metadata`], the key OpenFeature uses for the set a flag belongs
//! to. Fields not named here are ignored, as Flipt's engines ignore them.
//!
//! # Rules and rollouts: with the namespace
//!
//! [`import`] reads the flags without their rules and rollouts, as `flags sync` does (the
//! lock file records what the code is typed against; [`Format::detect`] gives
//! `Format::Flipt { namespace: "" }`). Read for a namespace
//! ([`crate::import_as`] or [`crate::load_as`] with `Format::Flipt { namespace }`), each flag,
//! whole and as written, becomes its [`Flag::targeting`] in [Flipt's dialect](crate::Dialect::Flipt):
//! `{"namespace": "<namespace>", "flag": {...}}`, for every flag (the engine needs every flag
//! to answer as Flipt does, with its reasons). A snapshot whose `namespace.key` names another
//! namespace is an error ([`Problem::NamespaceMismatch`]).
//!
//! # The engine's snapshot
//!
//! The snapshot Flipt's client engine exports (snake_case, `namespace.flags` an object, with
//! `eval_rules`, `eval_rollouts` and `eval_distributions`; see [`engine_snapshot`]) is read
//! too: it is first converted to the server's document (its rules and rollouts in their
//! order, the distributions of each rule, segments as an array), so that what follows reads
//! one shape. [`crate::load_as`] also reads it base64-encoded, as Flipt's client SDKs take it.
//!
//! # Read for evaluation
//!
//! Read for evaluation with a namespace ([`crate::load_as`]), only the document's shape is
//! checked: a flag whose own definition is broken (an unknown `type`, an `enabled` that is not
//! a boolean, a default variant without a key, a distribution whose `variantKey` is not a
//! string, ...) is listed in [`Loaded::broken`](crate::Loaded::broken) and answers
//! `PARSE_ERROR` while the other flags serve (Flipt's engine refuses the whole document). A
//! flag listed twice is served as its last entry, as Flipt's engine does, with a warning.
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
//!
//! With the namespace, each flag is its own targeting:
//!
//! ```
//! use flags_schema::{Dialect, Format};
//!
//! let beta = serde_json::json!({ "key": "beta", "name": "Beta", "type": "BOOLEAN_FLAG_TYPE",
//!     "enabled": true, "rollouts": [{ "threshold": { "percentage": 25, "value": true } }] });
//! let snapshot = serde_json::json!({ "namespace": { "key": "checkout" }, "flags": [beta] });
//! let format = Format::Flipt { namespace: "checkout".into() };
//! let manifest = flags_schema::import_as(format, &snapshot, "snapshot.json").unwrap();
//! let targeting = manifest.flags["beta"].targeting.as_ref().unwrap();
//! assert_eq!(targeting.dialect, Dialect::Flipt);
//! assert_eq!(targeting.rule, serde_json::json!({ "namespace": "checkout", "flag": beta }));
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::flipt_engine::{self, FlagEntries, ServerFlags};
use super::walk;
use super::{Format, finish};
use crate::error::{Error, Problem, describe};
use crate::manifest::{Flag, FlagState, FlagType, Manifest, MetadataValue};
use crate::{Dialect, Targeting, Warning, WarningKind};

pub use super::flipt_engine::{
    ENGINE_SNAPSHOT_VERSION, engine_snapshot, engine_snapshot_str, to_base64,
};

/// The flag-set metadata key that holds the namespace key.
pub const NAMESPACE_METADATA: &str = "flagSetId";

/// The longest message of a broken flag, in characters.
const MAX_MESSAGE: usize = 200;

/// Imports a Flipt namespace snapshot (the server's document or the engine's snapshot)
/// without its rules and rollouts; `origin` names it in errors and in the provenance.
/// [`crate::import_as`] with [`Format::Flipt`] and a namespace reads the rules too.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for an unknown `type`, a variant key that is not a string, a field of the wrong JSON type, an empty or
/// duplicate key; an [`Error::Document`] for an entry without a string `key`, a `namespace`
/// that is not an object, or a document without a `flags` array (or, in the engine's
/// snapshot, object).
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    let format = Format::Flipt {
        namespace: String::new(),
    };
    finish(convert(value.clone(), origin, "")?, format, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance;
/// each flag is its targeting when `namespace` is not empty.
pub(super) fn convert(value: Value, origin: &str, namespace: &str) -> Result<Manifest, Error> {
    let (mut manifest, flags) = read(value, origin, namespace)?;
    for (key, fields) in flags {
        let (flag, fields) = walk::non_empty(&key)
            .and_then(|()| walk::unseen(&manifest, &key))
            .and(fields)
            .and_then(|fields| Ok((import_flag(&fields)?, fields)))
            .map_err(|p| Error::flag(origin, &key, p))?;
        manifest
            .flags
            .insert(key, with_targeting(flag, namespace, fields));
    }
    Ok(manifest)
}

/// Reads a document for evaluation in `namespace` (not empty), as Flipt's engine loads it, but
/// flag by flag: only the document's shape is checked. A flag whose own definition is broken
/// is in the manifest without a definition, listed in `broken` with why (it answers
/// `PARSE_ERROR`), and a [`Warning`] of kind [`WarningKind::ParseError`]; an empty key and a
/// key listed twice are warnings too.
///
/// # Errors
///
/// An [`Error::Document`] for a document that is not a snapshot (see [`import`]), or whose
/// namespace is another ([`Problem::NamespaceMismatch`]).
pub(super) fn convert_lenient(
    value: Value,
    origin: &str,
    namespace: &str,
    warnings: &mut Vec<Warning>,
    broken: &mut BTreeMap<String, String>,
) -> Result<Manifest, Error> {
    let (mut manifest, flags) = read(value, origin, namespace)?;
    for (key, fields) in flags {
        if key.is_empty() {
            warnings.push(Warning::new(
                Some(&key),
                WarningKind::Suspicious,
                "the flag's key is empty; Flipt serves it under `\"\"`",
            ));
        }
        if manifest.flags.contains_key(&key) {
            broken.remove(&key);
            warnings.push(Warning::new(
                Some(&key),
                WarningKind::Suspicious,
                "the flag is listed more than once; its last entry is served, as Flipt's engine \
                 serves it",
            ));
        }
        let flag = match fields.and_then(|fields| Ok((import_flag(&fields)?, fields))) {
            Ok((flag, fields)) => with_targeting(flag, namespace, fields),
            Err(problem) => {
                let message = crate::limits::shorten(&problem.to_string(), MAX_MESSAGE);
                warnings.push(Warning::new(
                    Some(&key),
                    WarningKind::ParseError,
                    format!("{message}; the flag answers `PARSE_ERROR`"),
                ));
                broken.insert(key.clone(), message);
                Flag::new(FlagType::Object, None)
            }
        };
        manifest.flags.insert(key, flag);
    }
    Ok(manifest)
}

/// Each flag of a document of this format, by key, as the server lists it (or why it cannot
/// be read), and a manifest holding the namespace's metadata. Whether the document is the
/// server's or the engine's is told by its shape.
fn read(value: Value, origin: &str, namespace: &str) -> Result<(Manifest, FlagEntries), Error> {
    let mut document = walk::document(value, origin, "a Flipt namespace snapshot")?;
    let (key, flags) = if flipt_engine::is_engine_snapshot(&document) {
        let ServerFlags { namespace, flags } = flipt_engine::server_flags(document, origin)?;
        (namespace, flags)
    } else {
        let flags = walk::keyed_flags(&mut document, origin)?
            .map(|entry| entry.map(|(key, fields)| (key, Ok(fields))))
            .collect::<Result<Vec<_>, Error>>()?;
        let key = match document.remove("namespace") {
            None | Some(Value::Null) => None,
            Some(Value::Object(mut object)) => match object.remove("key") {
                Some(Value::String(key)) => Some(key),
                _ => None,
            },
            Some(other) => {
                return Err(Error::document(
                    origin,
                    Problem::InvalidField {
                        field: "namespace".to_owned(),
                        expected: "an object with the namespace `key`",
                        found: describe(&other),
                    },
                ));
            }
        };
        (key, flags)
    };
    if let Some(key) = &key
        && !namespace.is_empty()
        && key != namespace
    {
        return Err(Error::document(
            origin,
            Problem::NamespaceMismatch {
                expected: namespace.to_owned(),
                found: crate::error::shorten(key),
            },
        ));
    }
    let mut manifest = Manifest::new();
    let key = key.or_else(|| (!namespace.is_empty()).then(|| namespace.to_owned()));
    if let Some(key) = key {
        manifest
            .metadata
            .insert(NAMESPACE_METADATA.to_owned(), MetadataValue::String(key));
    }
    Ok((manifest, flags))
}

/// `flag`, whose definition is `fields`, with that definition as its targeting when read for
/// a namespace.
fn with_targeting(mut flag: Flag, namespace: &str, fields: Map<String, Value>) -> Flag {
    if !namespace.is_empty() {
        let mut rule = Map::new();
        rule.insert("namespace".to_owned(), Value::from(namespace));
        rule.insert("flag".to_owned(), Value::Object(fields));
        flag.targeting = Some(Targeting::new(Dialect::Flipt, Value::Object(rule)));
    }
    flag
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
            flag.attachments |= has_attachment(variant.get("attachment"), || {
                "defaultVariant.attachment".to_owned()
            })?;
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
            flag.attachments |= has_attachment(distribution.get("variantAttachment"), || {
                format!("rules[{r}].distributions[{d}].variantAttachment")
            })?;
            flag.variants.insert(key.to_owned(), Value::from(key));
        }
    }
    Ok(flag)
}

/// Whether a variant's attachment (its JSON text) is there: absent, `null` and `""` are none,
/// as Flipt's engine reads them.
fn has_attachment(value: Option<&Value>, field: impl FnOnce() -> String) -> Result<bool, Problem> {
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::String(text)) => Ok(!text.is_empty()),
        Some(other) => Err(Problem::InvalidField {
            field: field(),
            expected: "a string (the attachment's JSON text)",
            found: describe(other),
        }),
    }
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
        assert!(flag.attachments);
    }

    #[test]
    fn attachments_mark_the_flag() {
        let attachments = |flag: Value| one(flag).unwrap().flags["f"].attachments;
        // Absent, `null` and `""` are none, as Flipt's engine reads them.
        assert!(!attachments(json!({ "enabled": true,
            "defaultVariant": { "key": "a", "attachment": "" },
            "rules": [{ "distributions": [{ "variantKey": "b", "rollout": 100, "variantAttachment": null },
                                          { "variantKey": "c", "rollout": 0 }] }] })));
        // One distribution's is enough, whatever its rollout.
        assert!(attachments(
            json!({ "enabled": true, "defaultVariant": { "key": "a" },
            "rules": [{ "distributions": [{ "variantKey": "b", "rollout": 0, "variantAttachment": "[1]" }] }] })
        ));
        assert!(!attachments(
            json!({ "type": "BOOLEAN_FLAG_TYPE", "enabled": true })
        ));
        // In the engine's snapshot too.
        let engine = json!({ "version": 1, "namespace": { "key": "ns",
            "flags": { "f": { "key": "f", "enabled": true, "type": "VARIANT_FLAG_TYPE" } },
            "eval_rules": { "f": [{ "id": "f-1", "flag_key": "f", "rank": 1,
                                    "segment_operator": "OR_SEGMENT_OPERATOR", "segments": {} }] },
            "eval_distributions": { "f-1": [{ "rule_id": "f-1", "rollout": 100.0, "variant_key": "b",
                                              "variant_attachment": "{\"a\":1}" }] } } });
        assert!(import(&engine, "engine").unwrap().flags["f"].attachments);
        // Written only when set.
        let marked = one(json!({ "enabled": true,
            "defaultVariant": { "key": "a", "attachment": "{\"x\":1}" } }))
        .unwrap();
        assert!(marked.to_lock_string().contains("\"attachments\": true"));
        let plain = one(json!({ "enabled": true, "defaultVariant": { "key": "a" } })).unwrap();
        assert!(!plain.to_lock_string().contains("attachments"));
        assert!(matches!(
            problem(json!({ "enabled": true, "defaultVariant": { "key": "a", "attachment": { "x": 1 } } })),
            Problem::InvalidField { field, .. } if field == "defaultVariant.attachment"
        ));
        assert!(matches!(
            problem(json!({ "enabled": true, "rules": [{ "distributions": [
                { "variantKey": "a", "variantAttachment": 7 }] }] })),
            Problem::InvalidField { field, .. } if field == "rules[0].distributions[0].variantAttachment"
        ));
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

    fn lenient(document: Value) -> (Manifest, Vec<String>, BTreeMap<String, String>) {
        let mut warnings = Vec::new();
        let mut broken = BTreeMap::new();
        let manifest =
            convert_lenient(document, "snapshot", "ns", &mut warnings, &mut broken).unwrap();
        let warnings = warnings.iter().map(ToString::to_string).collect();
        (manifest, warnings, broken)
    }

    #[test]
    fn with_a_namespace_each_flag_is_its_targeting() {
        let flag = json!({ "key": "f", "name": "F", "type": "BOOLEAN_FLAG_TYPE", "enabled": true,
                           "rollouts": [{ "threshold": { "percentage": 5, "value": false } }] });
        let format = Format::Flipt {
            namespace: "ns".into(),
        };
        let document = json!({ "namespace": { "key": "ns" }, "flags": [flag] });
        let manifest = crate::import_as(format, &document, "snapshot").unwrap();
        let f = &manifest.flags["f"];
        assert_eq!(f.default, Some(json!(true)));
        assert_eq!(
            f.targeting,
            Some(Targeting::new(
                Dialect::Flipt,
                json!({ "namespace": "ns", "flag": flag })
            ))
        );
        // Without it, none: the lock is what it always was.
        assert_eq!(
            import(&document, "snapshot").unwrap().flags["f"].targeting,
            None
        );
    }

    #[test]
    fn lenient_reading_keeps_every_flag_and_lists_the_broken_ones() {
        let (manifest, warnings, broken) = lenient(
            json!({ "namespace": { "key": "ns" }, "flags": [
            { "key": "ok", "type": "BOOLEAN_FLAG_TYPE", "enabled": true },
            { "key": "multi", "type": "MULTI_FLAG_TYPE", "enabled": true },
            { "key": "yes", "type": "BOOLEAN_FLAG_TYPE", "enabled": "yes" },
            { "key": "nameless", "enabled": true, "defaultVariant": { "id": "x" } },
            { "key": "typo", "enabled": true, "rules": [{ "distributions": [{ "variantKey": 7 }] }] },
            { "key": "twice", "type": "BOOLEAN_FLAG_TYPE", "enabled": "no" },
            { "key": "twice", "type": "BOOLEAN_FLAG_TYPE", "enabled": false },
            { "key": "", "type": "BOOLEAN_FLAG_TYPE", "enabled": true }
        ] }),
        );
        assert_eq!(manifest.flags.len(), 7);
        assert_eq!(
            broken.keys().map(String::as_str).collect::<Vec<_>>(),
            ["multi", "nameless", "typo", "yes"]
        );
        assert!(broken["multi"].starts_with("field `type` must be"));
        assert!(broken["nameless"].contains("defaultVariant.key"));
        assert!(broken["typo"].contains("rules[0].distributions[0].variantKey"));
        // The last entry of a key listed twice is served.
        assert_eq!(manifest.flags["twice"].default, Some(json!(false)));
        assert!(manifest.flags["twice"].targeting.is_some());
        assert!(manifest.flags["ok"].targeting.is_some());
        assert!(manifest.flags["multi"].targeting.is_none());
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("flag `twice`: the flag is listed more than once"))
        );
        assert!(warnings.iter().any(|w| w.contains("Flipt serves it under")));
        assert_eq!(
            warnings
                .iter()
                .filter(|w| w.ends_with("the flag answers `PARSE_ERROR`"))
                .count(),
            // The first entry of `twice` too, though its last one serves.
            5
        );
        // The document's own shape is still checked.
        let mut sink = Vec::new();
        let mut broken = BTreeMap::new();
        for document in [
            json!([]),
            json!({}),
            json!({ "flags": {} }),
            json!({ "flags": [7] }),
            json!({ "namespace": { "key": "other" }, "flags": [] }),
            json!({ "namespace": { "key": "ns", "flags": [] , "eval_rules": {} } }),
            json!({ "namespace": { "key": "ns", "flags": {}, "eval_rules": [] } }),
        ] {
            assert!(
                convert_lenient(document.clone(), "d", "ns", &mut sink, &mut broken).is_err(),
                "{document}"
            );
        }
    }

    #[test]
    fn engine_snapshots_with_broken_parts() {
        let (manifest, _, broken) = lenient(json!({ "version": 1, "namespace": { "key": "ns",
            "flags": {
                "ok": { "key": "ok", "enabled": true, "type": "VARIANT_FLAG_TYPE",
                        "default_variant": { "id": "1", "key": "a" } },
                "number": 7,
                "odd-rules": { "key": "odd-rules", "enabled": true, "type": "VARIANT_FLAG_TYPE" },
                "odd-segments": { "key": "odd-segments", "enabled": true, "type": "VARIANT_FLAG_TYPE" }
            },
            "eval_rules": {
                "ok": [{ "id": "ok-1", "flag_key": "ok", "rank": 1, "segment_operator": "OR_SEGMENT_OPERATOR",
                         "segments": {} }],
                "odd-rules": { "id": "x" },
                "odd-segments": [{ "id": "s-1", "segments": [] }]
            },
            "eval_distributions": { "ok-1": [{ "rule_id": "ok-1", "rollout": 100.0, "variant_key": "b" }] }
        } }));
        assert_eq!(
            broken.keys().map(String::as_str).collect::<Vec<_>>(),
            ["number", "odd-rules", "odd-segments"]
        );
        let ok = &manifest.flags["ok"];
        assert_eq!(
            ok.variants.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(
            ok.targeting.as_ref().unwrap().rule["flag"],
            json!({ "key": "ok", "enabled": true, "type": "VARIANT_FLAG_TYPE",
                    "defaultVariant": { "id": "1", "key": "a" },
                    "rules": [{ "segmentOperator": "OR_SEGMENT_OPERATOR", "segments": [],
                                "distributions": [{ "variantKey": "b", "rollout": 100.0 }] }] })
        );
    }
}
