//! The importer of flagd flag-definition files: strict for the lock file ([`import`]), or
//! as flagd itself reads them, with warnings ([`convert_lenient`]). The format is described in
//! [`crate::flagd`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::flagd_document::{Document, FlagList, Node, Text, Variants};
use super::walk::{self, Listing};
use super::{Format, finish, shared};
use crate::error::{Error, Problem, describe, describe_short, shorten};
use crate::manifest::{Flag, FlagState, Manifest, Metadata, MetadataValue};
use crate::{Targeting, Warning, WarningKind};

/// Imports a flagd flag-definition file; `origin` names it in errors and in the provenance.
///
/// The result is validated ([`Manifest::validate`]) and its [`Manifest::sources`] record the
/// format and the origin, and [`Manifest::content_hash`] the hash of the definitions, as [`crate::import`] does.
///
/// Targeting rules are kept as written: flagd loads every rule, so none is an error here;
/// [`lint`](crate::flagd::lint) reports the suspicious ones. This import is stricter than flagd
/// about the rest, since the typed API needs one type per flag; [`crate::load_str`] reads a
/// file as flagd reads it.
///
/// # Errors
///
/// An [`Error::Flag`] naming the flag for a missing or unknown `state`, no variants, a variant
/// that is an array or `null`, variants of mixed types, a `defaultVariant` that names no
/// variant, invalid metadata, an empty or duplicate key; an [`Error::Document`]
/// for invalid flag-set `metadata` or `$evaluators`, or a document without `flags`.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    finish(convert(value.clone(), origin)?, Format::Flagd, origin)
}

/// The manifest of a document of this format, not yet validated nor stamped with provenance.
/// Takes the document by value: variants and rules move into the manifest instead of being
/// copied (a large configuration loads in about two thirds of the time).
pub(super) fn convert(value: Value, origin: &str) -> Result<Manifest, Error> {
    Reader { lenient: None }.document(Document::from_value(value), origin)
}

/// The manifest of a document as flagd reads it (`@openfeature/flagd-core`, whose schema
/// problems are only logged): what flagd rejects is an error (a flag without `variants`, an
/// unknown `state`, a `defaultVariant` that names no variant); what it tolerates is read as it
/// reads it, with a warning in `warnings`:
///
/// - no variants, or variants as an array (named `0`, `1`, ...): the flag serves the code
///   default (or what targeting names);
/// - variants of mixed types, or that are `null` or arrays: served as they are (a typed read of
///   another type answers `TYPE_MISMATCH`); the flag's type is the first typed variant's;
/// - metadata values that are not booleans, strings or numbers, and metadata or `$evaluators`
///   that are not objects: left out (the OpenFeature specification allows no other metadata
///   values);
/// - `defaultVariant` `""`, `false` or `0`: no default variant; an empty flag key.
///
/// The manifest is not [validated](Manifest::validate): it may break the rules the typed API
/// relies on. It is for evaluating, not for the lock file.
pub(super) fn convert_lenient(
    value: Value,
    origin: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Manifest, Error> {
    convert_lenient_document(Document::from_value(value), origin, warnings)
}

/// [`convert_lenient`] of a document read from its text ([`super::flagd_document::parse`]), which
/// skips building a [`Value`] of the whole document.
pub(super) fn convert_lenient_document(
    document: Document<'_>,
    origin: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Manifest, Error> {
    Reader {
        lenient: Some(warnings),
    }
    .document(document, origin)
}

/// Reads flagd documents, strictly (`lenient` is `None`) or as flagd does (collecting warnings).
struct Reader<'w> {
    lenient: Option<&'w mut Vec<Warning>>,
}

impl Reader<'_> {
    /// In strict mode, `problem` is the error; leniently, a warning saying `effect`, and the
    /// caller goes on as flagd does.
    fn tolerate(
        &mut self,
        flag: Option<&str>,
        problem: Problem,
        effect: &str,
    ) -> Result<(), Problem> {
        match &mut self.lenient {
            None => Err(problem),
            Some(warnings) => {
                warnings.push(Warning::new(
                    flag,
                    WarningKind::Suspicious,
                    format!("{problem}; {effect}"),
                ));
                Ok(())
            }
        }
    }

    fn document(&mut self, document: Document<'_>, origin: &str) -> Result<Manifest, Error> {
        let (flags, rest) = match document {
            Document::Object { flags, rest } => (flags, rest),
            Document::Other(value) => {
                return Err(walk::not_a_document(&value, origin, "a flagd file"));
            }
        };
        let mut manifest = Manifest::new();
        if let Some(metadata) = rest.get("metadata") {
            manifest.metadata = self
                .metadata(None, metadata)
                .map_err(|p| Error::document(origin, p))?;
        }
        if let Some(evaluators) = rest.get("$evaluators") {
            manifest.evaluators = self
                .evaluators(evaluators)
                .map_err(|p| Error::document(origin, p))?;
        }
        match flags {
            Some(FlagList::ByKey(entries)) => {
                // Sorted and unique keys: the map is built at once.
                let mut flags = Vec::with_capacity(entries.len());
                for (key, node) in entries {
                    let flag = self.keyed_flag(&key, node, origin, Ok(()))?;
                    flags.push((key.into_owned(), flag));
                }
                manifest.flags = flags.into_iter().collect();
            }
            Some(FlagList::Keyed(entries)) => {
                // Every key of an array is checked before any flag is read.
                let entries = entries
                    .into_iter()
                    .enumerate()
                    .map(|(index, node)| {
                        array_entry(index, node).map_err(|p| Error::document(origin, p))
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                for (key, node) in entries {
                    let unseen = walk::unseen(&manifest, &key);
                    let flag = self.keyed_flag(&key, node, origin, unseen)?;
                    manifest.flags.insert(key, flag);
                }
            }
            Some(FlagList::Other(value)) => {
                return Err(walk::not_listed(Some(value), origin, Listing::MapOrArray));
            }
            None => return Err(walk::not_listed(None, origin, Listing::MapOrArray)),
        }
        Ok(manifest)
    }

    /// The flag `key` of the document `origin`; `unseen` says whether an earlier flag had
    /// that key ([`walk::unseen`]).
    fn keyed_flag(
        &mut self,
        key: &str,
        node: Node<'_>,
        origin: &str,
        unseen: Result<(), Problem>,
    ) -> Result<Flag, Error> {
        if let Err(problem) = walk::non_empty(key) {
            self.tolerate(Some(key), problem, "flagd serves it under `\"\"`")
                .map_err(|p| Error::flag(origin, key, p))?;
        }
        unseen
            .and_then(|()| self.flag(key, node))
            .map_err(|problem| Error::flag(origin, key, problem))
    }

    fn flag(&mut self, key: &str, node: Node<'_>) -> Result<Flag, Problem> {
        let fields = match node {
            Node::Object(fields) => fields,
            Node::Other(value) => {
                return Err(Problem::InvalidField {
                    field: format!("flags.{key}"),
                    expected: "a flag object with `state` and `variants`",
                    found: describe(&value),
                });
            }
        };
        let state = import_state(fields.state.as_ref())?;
        let variants = self.variants(key, fields.variants)?;
        let flag_type = match &self.lenient {
            None => shared::variants_type(&variants)?,
            Some(_) => shared::lenient_type(&variants, |problem| {
                let _ = self.tolerate(
                    Some(key),
                    problem,
                    "flagd serves it as it is; a read of another type answers `TYPE_MISMATCH`",
                );
            }),
        };
        let mut flag = Flag::new(flag_type, None);
        flag.state = state;
        match (fields.default_variant, self.lenient.is_some()) {
            (None | Some(Text::Other(Value::Null)), _) => {}
            // flagd reads an empty name as no default variant (strictly: unless a variant has
            // that name); flagd-core also reads `false` and `0` as none.
            (Some(Text::Str(name)), lenient)
                if name.is_empty() && (lenient || !variants.contains_key(&*name)) => {}
            (Some(Text::Other(Value::Bool(false))), true) => {}
            (Some(Text::Other(Value::Number(n))), true) if n.as_f64() == Some(0.0) => {}
            (Some(Text::Str(name)), _) => {
                let Some(value) = variants.get(&*name) else {
                    let mut available: Vec<String> = variants.keys().cloned().collect();
                    available.sort();
                    return Err(Problem::DefaultVariantNotFound {
                        variant: name.into_owned(),
                        available,
                    });
                };
                flag.default = Some(value.clone());
                flag.default_variant = Some(name.into_owned());
            }
            (Some(Text::Other(other)), _) => {
                return Err(Problem::InvalidField {
                    field: "defaultVariant".to_owned(),
                    expected: "the name of a variant, or null",
                    found: describe(&other),
                });
            }
        }
        flag.variants = variants;
        // Kept as written (flagd loads every rule; `lint` reports the suspicious ones), but for
        // null and `{}`, which flagd reads as no targeting.
        flag.targeting = match fields.targeting {
            None | Some(Value::Null) => None,
            Some(Value::Object(rule)) if rule.is_empty() => None,
            Some(rule) => Some(Targeting::flagd(rule)),
        };
        if let Some(metadata) = &fields.metadata {
            flag.metadata = self.metadata(Some(key), metadata)?;
            shared::describe_from_metadata(&mut flag);
        }
        Ok(flag)
    }

    /// A flag's `variants`. flagd rejects a flag without them; leniently, other shapes read as
    /// flagd-core reads them (`Object.entries`): an array's entries are named by index, a
    /// scalar has none.
    fn variants(
        &mut self,
        key: &str,
        variants: Option<Variants>,
    ) -> Result<BTreeMap<String, Value>, Problem> {
        let lenient = self.lenient.is_some();
        match variants {
            None if lenient => Err(Problem::MissingField { field: "variants" }),
            None => Err(Problem::NoVariants),
            Some(Variants::Object(variants)) if variants.is_empty() => {
                self.tolerate(
                    Some(key),
                    Problem::NoVariants,
                    "the flag serves the code default",
                )?;
                Ok(variants)
            }
            Some(Variants::Object(variants)) => Ok(variants),
            Some(Variants::Other(Value::Null)) if lenient => Err(Problem::InvalidField {
                field: "variants".to_owned(),
                expected: "an object of values by variant name",
                found: "null".to_owned(),
            }),
            Some(Variants::Other(other)) => {
                let problem = Problem::InvalidField {
                    field: "variants".to_owned(),
                    expected: "an object of values by variant name",
                    found: describe_short(&other),
                };
                let (effect, variants) = match other {
                    Value::Array(items) => (
                        "flagd names its variants `0`, `1`, ...",
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (i.to_string(), v))
                            .collect(),
                    ),
                    _ => ("the flag has no variants", BTreeMap::new()),
                };
                self.tolerate(Some(key), problem, effect)?;
                Ok(variants)
            }
        }
    }

    /// Flag or flag-set metadata (`flag` is `None`). Leniently, what is not an object is left
    /// out, and so are values that are not booleans, strings or numbers.
    fn metadata(&mut self, flag: Option<&str>, value: &Value) -> Result<Metadata, Problem> {
        if self.lenient.is_none() {
            return shared::metadata(value);
        }
        let Value::Object(entries) = value else {
            if !value.is_null() {
                self.tolerate(
                    flag,
                    Problem::InvalidField {
                        field: "metadata".to_owned(),
                        expected: "an object of booleans, strings or numbers",
                        found: describe_short(value),
                    },
                    "it is left out",
                )?;
            }
            return Ok(Metadata::new());
        };
        let mut metadata = Metadata::new();
        for (key, value) in entries {
            match MetadataValue::from_json(value) {
                Some(value) => {
                    metadata.insert(key.clone(), value);
                }
                None => self.tolerate(
                    flag,
                    Problem::InvalidMetadata {
                        key: shorten(key),
                        found: describe_short(value),
                    },
                    "it is left out",
                )?,
            }
        }
        Ok(metadata)
    }

    /// `$evaluators`: rules by name. Strictly, names must not be empty; leniently (flagd
    /// resolves `{"$ref": ""}`) they may be, and `$evaluators` that is not an object is left
    /// out.
    fn evaluators(&mut self, value: &Value) -> Result<BTreeMap<String, Value>, Problem> {
        let Value::Object(entries) = value else {
            let problem = Problem::InvalidField {
                field: "$evaluators".to_owned(),
                expected: "an object of targeting rules by name",
                found: describe_short(value),
            };
            if !value.is_null() || self.lenient.is_none() {
                self.tolerate(None, problem, "it is left out")?;
            }
            return Ok(BTreeMap::new());
        };
        if self.lenient.is_none() && entries.contains_key("") {
            return Err(Problem::InvalidTargeting {
                reason: "evaluator names in `$evaluators` must not be empty".to_owned(),
            });
        }
        Ok(entries
            .iter()
            .map(|(name, rule)| (name.clone(), rule.clone()))
            .collect())
    }
}

fn import_state(state: Option<&Text<'_>>) -> Result<FlagState, Problem> {
    match state {
        None => Err(Problem::MissingField { field: "state" }),
        Some(Text::Str(state)) if state == "ENABLED" => Ok(FlagState::Enabled),
        Some(Text::Str(state)) if state == "DISABLED" => Ok(FlagState::Disabled),
        Some(Text::Str(state)) => Err(Problem::InvalidState {
            found: state.clone().into_owned(),
        }),
        Some(Text::Other(other)) => Err(Problem::InvalidState {
            found: other.to_string(),
        }),
    }
}

/// The `key` and the flag at `index` of a `flags` array.
fn array_entry(index: usize, node: Node<'_>) -> Result<(String, Node<'_>), Problem> {
    let fields = match node {
        Node::Object(fields) => fields,
        Node::Other(value) => {
            return Err(Problem::InvalidField {
                field: format!("flags[{index}]"),
                expected: "a flag object with a `key`",
                found: describe(&value),
            });
        }
    };
    match fields.rest.get("key") {
        Some(Value::String(key)) => Ok((key.clone(), Node::Object(fields))),
        found => Err(Problem::InvalidField {
            field: format!("flags[{index}].key"),
            expected: "a string",
            found: found.map_or_else(|| "none".to_owned(), describe),
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::manifest::FlagType;

    fn import_one(flag: Value) -> Result<Manifest, Error> {
        import(&json!({ "flags": { "f": flag } }), "flags.json")
    }

    fn problem(flag: Value) -> Problem {
        let error = import_one(flag).unwrap_err();
        assert_eq!(error.flag_key(), Some("f"), "{error}");
        error.problem().cloned().unwrap()
    }

    #[test]
    fn flag_fields() {
        let manifest = import_one(json!({
            "state": "DISABLED",
            "variants": { "a": "x" },
            "targeting": {},
            "metadata": { "description": "What it does", "deprecated": true },
            "somethingElse": [1, 2, 3]
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.state, FlagState::Disabled);
        assert_eq!(flag.targeting, None);
        assert_eq!(flag.description.as_deref(), Some("What it does"));
        assert!(flag.deprecated);
        assert_eq!(flag.metadata.len(), 2);

        let manifest = import_one(json!({
            "state": "ENABLED",
            "variants": { "a": "x" },
            "targeting": null,
            "metadata": { "description": 3, "deprecated": "yes" }
        }))
        .unwrap();
        let flag = &manifest.flags["f"];
        assert_eq!(flag.description, None);
        assert!(!flag.deprecated);
    }

    #[test]
    fn flag_problems() {
        assert!(matches!(
            problem(json!("on")),
            Problem::InvalidField { field, .. } if field == "flags.f"
        ));
        assert_eq!(
            problem(json!({ "state": 1, "variants": { "a": 1 } })),
            Problem::InvalidState { found: "1".into() }
        );
        assert!(matches!(
            problem(json!({ "state": "ENABLED", "variants": [true] })),
            Problem::InvalidField { field, .. } if field == "variants"
        ));
        assert_eq!(
            problem(json!({ "state": "ENABLED", "variants": { "a": null } })),
            Problem::InvalidVariantValue {
                variant: "a".into(),
                found: "null".into()
            }
        );
        assert!(matches!(
            problem(json!({ "state": "ENABLED", "variants": { "a": 1 }, "defaultVariant": 0 })),
            Problem::InvalidField { field, .. } if field == "defaultVariant"
        ));
        // Targeting is never a load error (flagd loads every rule): it is kept for the lint.
        let manifest =
            import_one(json!({ "state": "ENABLED", "variants": { "a": 1 }, "targeting": "a" }))
                .unwrap();
        assert_eq!(
            manifest.flags["f"].targeting,
            Some(Targeting::flagd(json!("a")))
        );
        assert!(matches!(
            problem(json!({ "state": "ENABLED", "variants": { "a": 1 }, "metadata": [] })),
            Problem::InvalidField { field, .. } if field == "metadata"
        ));
    }

    #[test]
    fn variant_types_unify() {
        let flag_type = |variants: Value| {
            import_one(json!({ "state": "ENABLED", "variants": variants }))
                .map(|manifest| manifest.flags["f"].flag_type)
        };
        assert_eq!(
            flag_type(json!({ "a": 1, "b": -2 })).unwrap(),
            FlagType::Integer
        );
        assert_eq!(
            flag_type(json!({ "a": 1, "b": 2.5, "c": 3 })).unwrap(),
            FlagType::Float
        );
        assert_eq!(flag_type(json!({ "a": 1.0 })).unwrap(), FlagType::Float);
        assert_eq!(
            flag_type(json!({ "a": {}, "b": { "x": 1 } })).unwrap(),
            FlagType::Object
        );
        assert_eq!(
            problem(json!({ "state": "ENABLED", "variants": { "a": 1, "b": 2.5, "c": "x" } })),
            Problem::MixedVariantTypes {
                first: "a".into(),
                first_type: FlagType::Integer,
                variant: "c".into(),
                found: "a string (`\"x\"`)".into(),
            }
        );
    }

    #[test]
    fn document_problems() {
        let document_problem = |value: Value| {
            let error = import(&value, "flags.json").unwrap_err();
            assert!(matches!(error, Error::Document { .. }), "{error:?}");
            error.problem().cloned().unwrap()
        };
        assert_eq!(
            document_problem(json!({})),
            Problem::MissingField { field: "flags" }
        );
        assert!(matches!(
            document_problem(json!([])),
            Problem::UnknownFormat { .. }
        ));
        assert!(matches!(
            document_problem(json!({ "flags": "x" })),
            Problem::InvalidField { field, .. } if field == "flags"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": [1] })),
            Problem::InvalidField { field, .. } if field == "flags[0]"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": [{ "state": "ENABLED" }] })),
            Problem::InvalidField { field, found, .. } if field == "flags[0].key" && found == "none"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": {}, "$evaluators": [] })),
            Problem::InvalidField { field, .. } if field == "$evaluators"
        ));
        assert!(matches!(
            document_problem(json!({ "flags": {}, "$evaluators": { "": {} } })),
            Problem::InvalidTargeting { .. }
        ));
        // Evaluators hold any rule, as in flagd; the lint reports the broken ones.
        let manifest = import(
            &json!({ "flags": {}, "$evaluators": { "e": { "x": 1, "y": 2 }, "s": "on" } }),
            "flags.json",
        )
        .unwrap();
        assert_eq!(manifest.evaluators.len(), 2);
    }

    fn lenient(document: Value) -> Result<(Manifest, Vec<String>), Error> {
        let mut warnings = Vec::new();
        let manifest = convert_lenient(document, "flags.json", &mut warnings)?;
        Ok((manifest, warnings.iter().map(ToString::to_string).collect()))
    }

    fn lenient_flag(flag: Value) -> Result<(Flag, Vec<String>), Error> {
        lenient(
            json!({ "flags": { "f": flag, "g": { "state": "ENABLED", "variants": { "x": 1 } } } }),
        )
        .map(|(mut manifest, warnings)| (manifest.flags.remove("f").unwrap(), warnings))
    }

    #[test]
    fn lenient_reading_loads_what_flagd_loads() {
        // Mixed types, null and array variants: served as they are, the first type kept.
        let (flag, warnings) = lenient_flag(json!({
            "state": "ENABLED",
            "variants": { "a": true, "b": "x", "c": null, "d": [1] },
            "defaultVariant": "c"
        }))
        .unwrap();
        assert_eq!(flag.flag_type, FlagType::Boolean);
        assert_eq!(flag.default, Some(Value::Null));
        assert_eq!(flag.variants.len(), 4);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "flag `f`: variants must all have one type: `a` is a boolean but `b` is a string"
            ),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with("flag `f`: variant `c` is null"),
            "{warnings:?}"
        );
        assert!(warnings[2].contains("`TYPE_MISMATCH`"), "{warnings:?}");

        // No variants; variants as an array (flagd names them by index).
        let (flag, warnings) = lenient_flag(json!({ "state": "ENABLED", "variants": {} })).unwrap();
        assert!(flag.variants.is_empty());
        assert_eq!(flag.default, None);
        assert!(
            warnings[0].contains("serves the code default"),
            "{warnings:?}"
        );
        let (flag, _) = lenient_flag(
            json!({ "state": "DISABLED", "variants": ["x", "y"], "defaultVariant": "1" }),
        )
        .unwrap();
        assert_eq!(flag.default, Some(json!("y")));

        // Metadata that flag metadata cannot hold is left out; the rest is kept.
        let (flag, warnings) = lenient_flag(json!({
            "state": "ENABLED", "variants": { "a": 1 },
            "metadata": { "owner": "me", "nested": { "x": 1 }, "list": [1] }
        }))
        .unwrap();
        assert_eq!(flag.metadata.len(), 1);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("metadata `list` is an array")
                && warnings[0].ends_with("it is left out")
        );
        let (manifest, warnings) = lenient(json!({
            "flags": {}, "metadata": { "v": 1, "bad": null }, "$evaluators": [1]
        }))
        .unwrap();
        assert_eq!(manifest.metadata.len(), 1);
        assert!(manifest.evaluators.is_empty());
        assert_eq!(warnings.len(), 2, "{warnings:?}");

        // `defaultVariant` `""`, `false`, `0` are no default variant, as in flagd-core.
        for none in [json!(""), json!(false), json!(0)] {
            let (flag, _) = lenient_flag(json!({
                "state": "ENABLED", "variants": { "": 1, "a": 2 }, "defaultVariant": none
            }))
            .unwrap();
            assert_eq!(flag.default_variant, None);
        }

        // An empty key and an empty evaluator name load.
        let (manifest, warnings) = lenient(json!({
            "flags": { "": { "state": "ENABLED", "variants": { "a": 1 } } },
            "$evaluators": { "": { "var": "x" } }
        }))
        .unwrap();
        assert!(manifest.flags.contains_key("") && manifest.evaluators.contains_key(""));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn lenient_reading_rejects_what_flagd_rejects() {
        let rejected = |flag: Value| {
            let error = lenient_flag(flag).unwrap_err();
            assert_eq!(error.flag_key(), Some("f"));
            error.problem().cloned().unwrap()
        };
        assert!(matches!(
            rejected(json!("on")),
            Problem::InvalidField { .. }
        ));
        assert_eq!(
            rejected(json!({ "state": "ON", "variants": { "a": 1 } })),
            Problem::InvalidState { found: "ON".into() }
        );
        assert_eq!(
            rejected(json!({ "variants": { "a": 1 } })),
            Problem::MissingField { field: "state" }
        );
        assert_eq!(
            rejected(json!({ "state": "ENABLED" })),
            Problem::MissingField { field: "variants" }
        );
        assert!(matches!(
            rejected(json!({ "state": "ENABLED", "variants": null })),
            Problem::InvalidField { field, .. } if field == "variants"
        ));
        assert!(matches!(
            rejected(json!({ "state": "ENABLED", "variants": { "a": 1 }, "defaultVariant": "b" })),
            Problem::DefaultVariantNotFound { .. }
        ));
        // A truthy `defaultVariant` that is no variant's name.
        assert!(matches!(
            rejected(json!({ "state": "ENABLED", "variants": { "a": 1 }, "defaultVariant": true })),
            Problem::InvalidField { field, .. } if field == "defaultVariant"
        ));
    }
}
