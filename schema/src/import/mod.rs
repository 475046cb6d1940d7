//! Reading flag definitions: recognising their format ([`detect`]) and dispatching them to
//! its importer, one module per format. The importers share the walk over a document's flags
//! (`walk.rs`) and the readers of fields several formats have (`shared.rs`); none borrows from
//! another.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Problem, Warning};
use crate::manifest::{Manifest, Provenance, SourceKind};

mod detect;
pub(crate) mod flagd;
mod flagd_document;
pub mod flagkit;
pub(crate) mod flagship;
pub(crate) mod flipt;
mod flipt_engine;
pub(crate) mod gofeatureflag;
pub mod ofrep;
pub mod openfeature_api;
pub mod openfeature_cli;
mod shared;
mod text;
mod walk;
#[cfg(feature = "yaml")]
mod yaml;

pub use detect::Format;
use detect::unknown_hint;

/// Recognises the format of a document ([`Format::detect`]) and imports it.
///
/// `origin` names the input in error messages and is recorded as the location in the
/// manifest's [`Provenance`], together with the format and the content hash. A lock file keeps
/// the provenance it carries.
///
/// ```
/// let value = serde_json::json!({
///     "flags": { "beta": { "flagType": "boolean", "defaultValue": false } }
/// });
/// let manifest = flags_schema::import(&value, "flags.json").unwrap();
/// let source = &manifest.sources[0];
/// assert_eq!(source.format, flags_schema::Format::OpenfeatureCli);
/// assert_eq!(source.location.as_deref(), Some("flags.json"));
/// ```
///
/// # Errors
///
/// [`Problem::UnknownFormat`] when the document matches no format, otherwise whatever the
/// format's importer reports.
pub fn import(value: &Value, origin: &str) -> Result<Manifest, Error> {
    match Format::detect(value) {
        Some(format) => import_as(format, value, origin),
        None => Err(unknown(value, origin)),
    }
}

/// The error of a document of no known format.
fn unknown(value: &Value, origin: &str) -> Error {
    Error::document(
        origin,
        Problem::UnknownFormat {
            hint: unknown_hint(value),
        },
    )
}

/// Imports a document known to be in `format`, without looking at its shape: what a sync uses
/// for a flag service's answer, whose format the endpoint fixes.
///
/// ```
/// use flags_schema::Format;
///
/// let answer = serde_json::json!({ "flags": [{ "key": "beta", "value": true, "reason": "STATIC" }] });
/// let manifest = flags_schema::import_as(Format::Ofrep, &answer, "http://localhost:8016").unwrap();
/// assert_eq!(manifest.flags["beta"].flag_type, flags_schema::FlagType::Boolean);
/// ```
///
/// # Errors
///
/// Whatever the format's importer reports.
pub fn import_as(format: Format, value: &Value, origin: &str) -> Result<Manifest, Error> {
    match format {
        Format::Lock => Manifest::from_lock_value(value, origin),
        format => finish(convert(&format, value.clone(), origin)?, format, origin),
    }
}

/// The manifest of a document in `format`, not yet validated nor stamped with provenance (a
/// lock file's as it is, validated): the one place that knows every format's importer.
fn convert(format: &Format, value: Value, origin: &str) -> Result<Manifest, Error> {
    match format {
        Format::Lock => Manifest::from_lock_value(&value, origin),
        Format::Flagd => flagd::convert(value, origin),
        Format::OpenfeatureCli => openfeature_cli::convert(value, origin),
        Format::Ofrep => ofrep::convert(value, origin),
        Format::Flipt { namespace } => flipt::convert(value, origin, namespace),
        Format::GoFeatureFlag => gofeatureflag::convert(value, origin),
        Format::Flagship { account_id } => flagship::convert(value, origin, account_id),
        Format::OpenfeatureApi => openfeature_api::convert(value, origin),
        Format::FlagKit => flagkit::convert(value, origin),
    }
}

/// Parses JSON text and [`import`]s it.
///
/// ```
/// let manifest = flags_schema::import_str(
///     r#"{ "flags": { "limit": { "flagType": "integer", "defaultValue": 10 } } }"#,
///     "flags.json",
/// ).unwrap();
/// assert_eq!(manifest.flags["limit"].flag_type, flags_schema::FlagType::Integer);
/// ```
///
/// A GO Feature Flag flag file may also be YAML (feature `yaml`) or TOML (feature `toml`): text
/// that is not JSON is read as those when it is such a file (see [`gofeatureflag`](crate::gofeatureflag)).
///
/// # Errors
///
/// [`Error::Json`] for a syntax error, with its line and column; otherwise as [`import`].
pub fn import_str(text: &str, origin: &str) -> Result<Manifest, Error> {
    let value = text::document(text, origin, None)?;
    match Format::detect(&value) {
        // Parsed again from the text so that errors in the structure carry a line and column.
        Some(Format::Lock) => Manifest::from_lock_str(text, origin),
        _ => import(&value, origin),
    }
}

/// [`import_str`] without provenance: the manifest is validated the same, but `sources` is
/// empty and no content hash is computed. What the macros use: they read the schema on every
/// build, and only need its flags.
///
/// ```
/// let manifest = flags_schema::parse_str(
///     r#"{ "flags": { "limit": { "flagType": "integer", "defaultValue": 10 } } }"#,
///     "flags.json",
/// ).unwrap();
/// assert!(manifest.sources.is_empty() && manifest.content_hash.is_none());
/// assert_eq!(manifest.flags["limit"].flag_type, flags_schema::FlagType::Integer);
/// ```
///
/// # Errors
///
/// As [`import_str`].
pub fn parse_str(text: &str, origin: &str) -> Result<Manifest, Error> {
    let value = text::document(text, origin, None)?;
    parse_value(value, text, origin)
}

/// [`parse_str`] of the parsed `text`.
fn parse_value(value: Value, text: &str, origin: &str) -> Result<Manifest, Error> {
    let manifest = match Format::detect(&value) {
        Some(Format::Lock) => {
            // One parse on the way that succeeds; the text again only for an error with a
            // line and column.
            return Manifest::from_lock_value(&value, origin)
                .or_else(|_| Manifest::from_lock_str(text, origin));
        }
        Some(format) => convert(&format, value, origin)?,
        None => return import(&value, origin),
    };
    manifest.validate(origin)?;
    Ok(manifest)
}

/// A configuration read for evaluation ([`load_str`], [`load_as`]): the definitions, what in
/// them loads but is probably not what was meant, and the flags that cannot be served.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Loaded {
    /// The definitions, without provenance (as [`parse_str`]).
    pub manifest: Manifest,
    /// What flagd, Flagship and Flipt tolerate in the document, the flags that cannot be served,
    /// and the [lint](crate::flagd::lint) of flagd's targeting rules, flag by flag.
    pub warnings: Vec<Warning>,
    /// The flags whose own definition is broken (a Flagship flag without variations, or whose
    /// default variation names none; a Flipt flag of an unknown type), by key, with why: each is in the manifest as far as it
    /// could be read, and answers `PARSE_ERROR` when evaluated, while the other flags serve.
    pub broken: BTreeMap<String, String>,
}

/// Reads definitions for evaluation, as the flag service that serves them reads them: a flagd
/// file loads whenever flagd loads it (`@openfeature/flagd-core`, which only logs schema
/// problems), what flagd tolerates becoming a [`Warning`] (see [`crate::flagd`]'s lenient
/// reading: variants of mixed types, no variants, metadata that is not scalar, ...), together
/// with the [lint](crate::flagd::lint) of every targeting rule. Flagship definitions need the
/// id of their account, which this cannot know: read them with [`load_as`]. A GO Feature Flag
/// configuration or flag file is read as [`load_as`] reads it. Other formats are read as
/// [`parse_str`] reads them.
///
/// The manifest of a flagd file is not [validated](Manifest::validate): it may not fit the
/// typed API (a flag whose variants have several types). Build-time reading ([`import_str`])
/// stays strict.
///
/// ```
/// let loaded = flags_schema::load_str(r#"{"flags": {
///     "mixed": { "state": "ENABLED", "variants": { "on": true, "label": "x" }, "defaultVariant": "on" },
///     "fine": { "state": "ENABLED", "variants": { "a": 1 }, "defaultVariant": "a",
///               "targeting": { "starts_with": [{ "var": "email" }] } }
/// }}"#, "flags.json").unwrap();
/// assert_eq!(loaded.manifest.flags.len(), 2);
/// let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
/// assert_eq!(warnings.len(), 2);
/// assert!(warnings[0].starts_with("flag `mixed`: variants must all have one type"));
/// assert!(warnings[1].starts_with("flag `fine`: `starts_with` takes 2 arguments"));
/// // Where flagd rejects the document, so does this.
/// assert!(flags_schema::load_str(r#"{"flags": {"f": {"state": "ON", "variants": {"a": 1}}}}"#, "x").is_err());
/// ```
///
/// # Errors
///
/// As [`parse_str`], but for flagd files only what flagd rejects: JSON that does not parse, a
/// flag that is not an object or has no `variants`, an unknown `state`, a `defaultVariant` that
/// names no variant; [`Problem::AccountIdRequired`] for Flagship definitions.
pub fn load_str(text: &str, origin: &str) -> Result<Loaded, Error> {
    // A flagd file is read without a `Value` of the whole document; any other document is
    // turned into that `Value` to be detected, and text that is no JSON read as before.
    let value = match flagd_document::parse(text) {
        Ok(document) if document.is_flagd() => return load_flagd(document, origin),
        Ok(document) => document.into_value(),
        Err(_) => text::document(text, origin, None)?,
    };
    match Format::detect(&value) {
        Some(format) => load_value(format, value, text, origin),
        None => Err(unknown(&value, origin)),
    }
}

/// [`load_str`] of a document known to be in `format`, without looking at its shape: what a
/// source whose format is set reads. Flagship definitions are read for the account of
/// [`Format::Flagship`], as Flagship loads them, and a Flipt snapshot for the namespace of
/// [`Format::Flipt`] (the server's document or the engine's snapshot, as JSON or base64): only
/// the document's shape is checked, and a flag whose own definition is broken is listed in
/// [`Loaded::broken`] (see [`crate::flagship`], [`crate::flipt`]). A GO Feature Flag
/// configuration or flag file (JSON, YAML or TOML) is read with each flag whole as its
/// targeting, as its engine reads it (see [`gofeatureflag`](crate::gofeatureflag)).
///
/// ```
/// use flags_schema::Format;
///
/// let loaded = flags_schema::load_as(
///     Format::Flagship { account_id: "my-account".into() },
///     r#"{"flags": {
///         "beta": {"enabled": true, "default_variation": "off", "variations": {"on": true, "off": false}},
///         "typo": {"enabled": true, "default_variation": "of", "variations": {"on": true, "off": false}}
///     }}"#,
///     "definitions.json",
/// ).unwrap();
/// assert_eq!(loaded.manifest.flags.len(), 2);
/// assert!(loaded.broken["typo"].starts_with("default variant `of` is not among the variants"));
/// // Without the account, the rollouts cannot be computed.
/// let error = flags_schema::load_as(
///     Format::Flagship { account_id: String::new() }, r#"{"flags": {}}"#, "definitions.json",
/// ).unwrap_err();
/// assert_eq!(error.problem(), Some(&flags_schema::Problem::AccountIdRequired));
/// ```
///
/// # Errors
///
/// As [`load_str`] for a document of that format; [`Problem::AccountIdRequired`] for
/// [`Format::Flagship`] with an empty account id.
pub fn load_as(format: Format, text: &str, origin: &str) -> Result<Loaded, Error> {
    if format == Format::Flagd
        && let Ok(document) = flagd_document::parse(text)
    {
        return load_flagd(document, origin);
    }
    let value: Value = match text::document(text, origin, Some(&format)) {
        Ok(value) => value,
        Err(error) => {
            // Flipt's client SDKs hand their snapshot around base64-encoded.
            let decoded = match format {
                Format::Flipt { .. } => flipt_engine::from_base64(text),
                _ => None,
            };
            match decoded {
                Some(decoded) => {
                    let value = serde_json::from_str(&decoded)
                        .map_err(|e| Error::json(&format!("{origin} (base64)"), &e))?;
                    return load_value(format, value, &decoded, origin);
                }
                None => return Err(error),
            }
        }
    };
    load_value(format, value, text, origin)
}

/// [`load_as`] of a flagd document read from its text.
fn load_flagd(document: flagd_document::Document<'_>, origin: &str) -> Result<Loaded, Error> {
    let mut warnings = Vec::new();
    let manifest = flagd::convert_lenient_document(document, origin, &mut warnings)?;
    Ok(linted(manifest, warnings, BTreeMap::new()))
}

/// [`load_as`] of the parsed `text`.
fn load_value(format: Format, value: Value, text: &str, origin: &str) -> Result<Loaded, Error> {
    let mut warnings = Vec::new();
    let mut broken = BTreeMap::new();
    let manifest = match &format {
        Format::Flagd => flagd::convert_lenient(value, origin, &mut warnings)?,
        Format::Flagship { account_id } => {
            flagship::convert_lenient(value, origin, account_id, &mut warnings, &mut broken)?
        }
        Format::Flipt { namespace } if !namespace.is_empty() => {
            flipt::convert_lenient(value, origin, namespace, &mut warnings, &mut broken)?
        }
        Format::GoFeatureFlag => {
            gofeatureflag::convert_lenient(value, origin, &mut warnings, &mut broken)?
        }
        Format::Lock => Manifest::from_lock_value(&value, origin)
            .or_else(|_| Manifest::from_lock_str(text, origin))?,
        _ => {
            let manifest = convert(&format, value, origin)?;
            manifest.validate(origin)?;
            manifest
        }
    };
    Ok(linted(manifest, warnings, broken))
}

/// The [`Loaded`] configuration, with the lint of its rules after `warnings`.
fn linted(
    manifest: Manifest,
    mut warnings: Vec<Warning>,
    broken: BTreeMap<String, String>,
) -> Loaded {
    warnings.extend(crate::lint(&manifest));
    Loaded {
        manifest,
        warnings,
        broken,
    }
}

/// Reads a file and [`import_str`]s it; the path, as displayed, is the origin.
///
/// ```no_run
/// let manifest = flags_schema::read("flags.lock.json")?;
/// # Ok::<(), flags_schema::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Io`] naming the path when the file cannot be read; otherwise as [`import_str`].
pub fn read(path: impl AsRef<Path>) -> Result<Manifest, Error> {
    let path = path.as_ref();
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: origin.clone(),
        source,
    })?;
    import_str(&text, &origin)
}

/// Validates an imported manifest and records where it came from: the last step of every
/// importer but the lock file's.
pub(crate) fn finish(
    mut manifest: Manifest,
    format: Format,
    origin: &str,
) -> Result<Manifest, Error> {
    manifest.validate(origin)?;
    manifest.content_hash = Some(manifest.compute_hash());
    manifest.sources = vec![Provenance {
        kind: SourceKind::File,
        format,
        location: Some(origin.to_owned()),
        fetched_at: None,
    }];
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_format_says_what_was_expected() {
        let error = import(&json!({ "toggles": {} }), "x.json").unwrap_err();
        assert!(
            matches!(error.problem(), Some(Problem::UnknownFormat { .. })),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("`flags.<key>.variants`"), "{message}");
        assert!(message.contains("`flags.<key>.flagType`"), "{message}");
        assert!(message.contains("`formatVersion`"), "{message}");
        assert!(message.contains("without `flags`"), "{message}");
        let error = import(&json!([1]), "x.json").unwrap_err();
        assert!(error.to_string().ends_with("found an array"), "{error}");
    }

    #[test]
    fn parse_str_reads_service_responses_without_provenance() {
        let cases = [
            (r#"{ "flags": [{ "key": "a", "value": 1 }] }"#, json!(1)),
            (
                r#"{ "namespace": { "key": "n" }, "flags": [{ "key": "a", "type": "BOOLEAN_FLAG_TYPE", "enabled": true }] }"#,
                json!(true),
            ),
            (
                r#"{ "flags": { "a": { "variations": { "x": "s" }, "defaultRule": { "variation": "x" } } } }"#,
                json!("s"),
            ),
            (
                r#"{ "flags": { "a": { "default_variation": "x", "variations": { "x": 2.5 } } } }"#,
                json!(2.5),
            ),
            (
                r#"{ "flags": [{ "key": "a", "type": "object", "defaultValue": {} }] }"#,
                json!({}),
            ),
        ];
        for (text, default) in cases {
            let parsed = parse_str(text, "x.json").unwrap();
            assert!(parsed.sources.is_empty() && parsed.content_hash.is_none());
            assert_eq!(parsed.flags["a"].default, Some(default), "{text}");
            let mut imported = import_str(text, "x.json").unwrap();
            assert!(std::mem::take(&mut imported.sources).len() == 1);
            assert!(imported.content_hash.take().is_some());
            assert_eq!(parsed, imported, "{text}");
        }
        // And validates: a variant flag whose default variant is not a variation.
        let error = parse_str(
            r#"{ "flags": { "a": { "default_variation": "y", "variations": { "x": 1 } } } }"#,
            "x.json",
        )
        .unwrap_err();
        assert_eq!(error.flag_key(), Some("a"));
    }

    /// Every definition file of the fuzz corpora and fixtures, and its prefixes, load the same
    /// when a flagd file is read from its text (`load_str`, `load_as`) as from its `Value`.
    #[test]
    fn flagd_text_loads_as_its_value() {
        fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    files(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        fn outcome(loaded: Result<Loaded, Error>) -> String {
            match loaded {
                Ok(loaded) => format!("{:?}", (loaded.manifest, loaded.warnings, loaded.broken)),
                Err(error) => error.to_string(),
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        for dir in [
            "../fuzz/corpus/flagd",
            "../fuzz/corpus/detect",
            "tests/fixtures",
        ] {
            files(&root.join(dir), &mut paths);
        }
        // Keys written twice: the last flag written under a key is the one read.
        let written_twice = [
            r#"{"flags": {"b": {"state": "ENABLED", "variants": {"x": 1}}, "a": 1, "b": {"state": "DISABLED", "variants": {"y": "s"}}}}"#,
            r#"{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1, "x": true}, "state": "DISABLED"}, "a": {}}}"#,
        ];
        let mut flagd = 0;
        let texts = paths.iter().filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            Some((path.display().to_string(), text))
        });
        let texts = texts.chain(written_twice.map(|text| ("inline".to_owned(), text.to_owned())));
        for (path, text) in texts {
            let cuts = (0..text.len()).step_by(text.len() / 10 + 1);
            let texts = std::iter::once(&text[..]).chain(cuts.filter_map(|at| text.get(..at)));
            for text in texts {
                let from_value = text::document(text, "x", None).and_then(|value| {
                    match Format::detect(&value) {
                        Some(format) => load_value(format, value, text, "x"),
                        None => Err(unknown(&value, "x")),
                    }
                });
                assert_eq!(
                    outcome(load_str(text, "x")),
                    outcome(from_value),
                    "{path:?}: {text}"
                );
                let from_value = serde_json::from_str(text)
                    .map_err(|e| Error::json("x", &e))
                    .and_then(|value| load_value(Format::Flagd, value, text, "x"));
                let loaded = outcome(load_as(Format::Flagd, text, "x"));
                flagd += usize::from(!loaded.starts_with('`'));
                assert_eq!(loaded, outcome(from_value), "{path:?}: {text}");
            }
        }
        assert!(flagd >= 10, "only {flagd} flagd documents loaded");
    }

    #[test]
    fn read_reports_the_path() {
        let error = read("/nonexistent/dir/flags.json").unwrap_err();
        assert!(matches!(error, Error::Io { .. }));
        assert!(
            error
                .to_string()
                .starts_with("could not read `/nonexistent/dir/flags.json`: ")
        );
    }
}
