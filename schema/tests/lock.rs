//! The lock file: its text, its round trip, its version and its content hash.

use flags_schema::{
    Dialect, FORMAT_VERSION, Format, Manifest, Problem, Provenance, SourceKind, import_str,
};
use serde_json::{Value, json};

/// A manifest with a bit of everything, imported from a flagd document.
fn manifest() -> Manifest {
    let document = json!({
        "flags": {
            "zeta": {
                "state": "DISABLED",
                "variants": { "small": 1, "large": 2.5 },
                "defaultVariant": "small",
                "metadata": { "description": "Sizes", "deprecated": true, "owner": "ux" }
            },
            "alpha": {
                "state": "ENABLED",
                "variants": { "on": true, "off": false },
                "defaultVariant": "off",
                "targeting": { "if": [{ "$ref": "staff" }, "on", null] }
            },
            "mid": {
                "state": "ENABLED",
                "variants": { "b": { "y": 1, "x": [true] }, "a": {} }
            }
        },
        "$evaluators": { "staff": { "ends_with": [{ "var": "email" }, "@example.com"] } },
        "metadata": { "version": "17", "flagSetId": "shop" }
    });
    flags_schema::import(&document, "flags.json").unwrap()
}

#[test]
fn round_trips() {
    let manifest = manifest();
    let text = manifest.to_lock_string();
    let read = Manifest::from_lock_str(&text, "flags.lock.json").unwrap();
    assert_eq!(read, manifest);
    assert_eq!(read.to_lock_string(), text);
}

#[test]
fn text_is_pretty_sorted_and_ends_with_a_newline() {
    let text = manifest().to_lock_string();
    assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{text}");
    assert!(text.starts_with("{\n  \""), "{text}");
    // Every key is in order, struct fields included; checked on the text itself, since
    // parsing it back into a map may sort keys by itself.
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(position("\"evaluators\"") < position("\"flags\""));
    assert!(position("\"flags\"") < position("\"formatVersion\""));
    assert!(position("\"contentHash\"") < position("\"evaluators\""));
    assert!(position("\"formatVersion\"") < position("\"sources\""));
    assert!(
        position("\"alpha\"") < position("\"mid\"") && position("\"mid\"") < position("\"zeta\"")
    );
    let zeta = &text[position("\"zeta\"")..];
    let in_zeta = |needle: &str| zeta.find(needle).unwrap();
    assert!(in_zeta("\"default\"") < in_zeta("\"deprecated\""));
    assert!(in_zeta("\"description\"") < in_zeta("\"state\""));
    assert!(in_zeta("\"state\"") < in_zeta("\"type\""));
    assert!(in_zeta("\"type\"") < in_zeta("\"variants\""));
    assert!(text.contains(&format!("\"formatVersion\": {FORMAT_VERSION},")));
}

#[test]
fn unsupported_format_version_is_an_error() {
    for text in [
        r#"{ "formatVersion": 3, "flags": {} }"#,
        // A later version may well have fields this one does not know: the version is what
        // the error must be about.
        r#"{ "formatVersion": 3, "flags": {}, "newField": true }"#,
    ] {
        let error = Manifest::from_lock_str(text, "flags.lock.json").unwrap_err();
        assert_eq!(
            error.problem(),
            Some(&Problem::UnsupportedFormatVersion {
                found: 3,
                supported: FORMAT_VERSION
            })
        );
        assert_eq!(
            error.to_string(),
            "`flags.lock.json`: lock file format version 3 is not supported (this version of \
             flags reads version 2); re-run the sync (`flags sync`)"
        );
        let error = import_str(text, "flags.lock.json").unwrap_err();
        assert!(matches!(
            error.problem(),
            Some(Problem::UnsupportedFormatVersion { found: 3, .. })
        ));
        let value: Value = serde_json::from_str(text).unwrap();
        let error = flags_schema::import(&value, "flags.lock.json").unwrap_err();
        assert!(matches!(
            error.problem(),
            Some(Problem::UnsupportedFormatVersion { found: 3, .. })
        ));
    }
}

#[test]
fn lock_files_are_validated() {
    let text = r#"{ "formatVersion": 2, "flags": { "f": { "type": "boolean", "default": 3 } } }"#;
    let error = Manifest::from_lock_str(text, "flags.lock.json").unwrap_err();
    assert_eq!(error.flag_key(), Some("f"));
    assert!(matches!(
        error.problem(),
        Some(Problem::DefaultTypeMismatch { .. })
    ));

    let text = "{ \"formatVersion\": 2,\n  \"flags\": {}, \"extra\": 1 }";
    let message = Manifest::from_lock_str(text, "flags.lock.json")
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("`flags.lock.json` is not valid JSON: unknown field `extra`"),
        "{message}"
    );
    assert!(message.ends_with("at line 2, column 22"), "{message}");
    // From a parsed value there is no position to report.
    let value: Value = serde_json::from_str(text).unwrap();
    let message = flags_schema::import(&value, "flags.lock.json")
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("`flags.lock.json` is not valid JSON: unknown field `extra`"),
        "{message}"
    );
    assert!(!message.contains("line"), "{message}");
}

#[test]
fn content_hash_follows_the_definitions_not_the_provenance() {
    let manifest = manifest();
    let hash = manifest.compute_hash();
    assert!(
        hash.starts_with("sha256:") && hash.len() == 7 + 64,
        "{hash}"
    );
    assert_eq!(manifest.content_hash.as_deref(), Some(hash.as_str()));

    let mut moved = manifest.clone();
    moved.sources = vec![Provenance {
        kind: SourceKind::Url,
        format: Format::Lock,
        location: Some("https://flags.example.com/v1/flags".into()),
        fetched_at: Some("2026-01-01T00:00:00Z".into()),
    }];
    moved.content_hash = Some("sha256:0".into());
    assert_eq!(moved.compute_hash(), hash);
    moved.sources.clear();
    moved.content_hash = None;
    assert_eq!(moved.compute_hash(), hash);

    let mut changed = manifest.clone();
    let alpha = changed.flags.get_mut("alpha").unwrap();
    alpha.default_variant = Some("on".into());
    alpha.default = Some(json!(true));
    assert_ne!(changed.compute_hash(), hash);

    let mut described = manifest.clone();
    described.flags.get_mut("mid").unwrap().description = Some("Objects".into());
    assert_ne!(described.compute_hash(), hash);
}

#[test]
fn content_hash_ignores_key_order_in_the_source() {
    let a = import_str(
        r#"{ "flags": { "f": { "state": "ENABLED", "variants": { "x": { "b": 1, "a": 2 } } } } }"#,
        "a.json",
    )
    .unwrap();
    let b = import_str(
        r#"{ "flags": { "f": { "variants": { "x": { "a": 2, "b": 1 } }, "state": "ENABLED" } } }"#,
        "b.json",
    )
    .unwrap();
    assert_eq!(a.compute_hash(), b.compute_hash());
}

#[test]
fn importing_a_lock_file_returns_it_as_it_is() {
    let manifest = manifest();
    let text = manifest.to_lock_string();
    let imported = import_str(&text, "flags.lock.json").unwrap();
    assert_eq!(imported, manifest);
    // The lock keeps its own provenance: the flagd file it was made from.
    let source = &imported.sources[0];
    assert_eq!(source.format, Format::Flagd);
    assert_eq!(source.location.as_deref(), Some("flags.json"));

    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        flags_schema::import(&value, "flags.lock.json").unwrap(),
        manifest
    );

    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lock-test.flags.lock.json");
    std::fs::write(&path, &text).unwrap();
    assert_eq!(flags_schema::read(&path).unwrap(), manifest);
}

#[test]
fn flagd_details_survive_the_lock() {
    let manifest = manifest();
    let zeta = &manifest.flags["zeta"];
    assert_eq!(zeta.flag_type, flags_schema::FlagType::Float);
    assert_eq!(zeta.default, Some(json!(1)));
    assert_eq!(zeta.description.as_deref(), Some("Sizes"));
    assert!(zeta.deprecated);
    assert_eq!(zeta.state, flags_schema::FlagState::Disabled);
    let mid = &manifest.flags["mid"];
    assert_eq!(mid.flag_type, flags_schema::FlagType::Object);
    assert_eq!(mid.default, None);
    let text = manifest.to_lock_string();
    assert!(text.contains("\"deprecated\": true"), "{text}");
    assert!(text.contains("\"state\": \"disabled\""), "{text}");
}

#[test]
fn parse_str_is_import_str_without_provenance() {
    for text in [
        r#"{"flags": {"a": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}}}"#,
        r#"{"flags": {"a": {"flagType": "integer", "defaultValue": 3}}}"#,
    ] {
        let imported = flags_schema::import_str(text, "f.json").unwrap();
        let lock = imported.to_lock_string();
        let mut expected = imported.clone();
        expected.sources.clear();
        expected.content_hash = None;
        assert_eq!(flags_schema::parse_str(text, "f.json").unwrap(), expected);
        // A lock file keeps the provenance it carries.
        assert_eq!(
            flags_schema::parse_str(&lock, "f.lock.json").unwrap(),
            imported
        );
    }
    // And it validates the same.
    let bad = r#"{"flags": {"a": {"state": "ENABLED", "variants": {"on": true, "off": "no"}}}}"#;
    assert_eq!(
        flags_schema::parse_str(bad, "f.json")
            .unwrap_err()
            .to_string(),
        flags_schema::import_str(bad, "f.json")
            .unwrap_err()
            .to_string()
    );
}

/// The committed lock files of the repository read and write back byte for byte: flagd's
/// dialect, the default, is not written.
#[test]
fn committed_lock_files_write_back_unchanged() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join("flags.lock.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let manifest = Manifest::from_lock_str(&text, "flags.lock.json").unwrap();
    assert!(
        manifest
            .flags
            .values()
            .filter_map(|flag| flag.targeting.as_ref())
            .all(|targeting| targeting.dialect == Dialect::Flagd)
    );
    assert_eq!(manifest.to_lock_string(), text);
}

#[test]
fn the_dialect_of_targeting() {
    let lock = |flag: Value| {
        json!({ "formatVersion": FORMAT_VERSION, "flags": { "f": flag } }).to_string()
    };
    // Written out, flagd's dialect reads as when it is left out, and is left out again.
    let explicit = lock(json!({
        "type": "boolean", "variants": { "on": true }, "targeting": { "var": "x" },
        "dialect": "flagd"
    }));
    let manifest = Manifest::from_lock_str(&explicit, "flags.lock.json").unwrap();
    let targeting = manifest.flags["f"].targeting.as_ref().unwrap();
    assert_eq!(targeting.dialect, Dialect::Flagd);
    assert_eq!(targeting.rule, json!({ "var": "x" }));
    assert!(!manifest.to_lock_string().contains("dialect"));
    // A dialect this version does not know, or a dialect without a rule, is an error.
    let unknown = lock(json!({
        "type": "boolean", "targeting": { "var": "x" }, "dialect": "cel"
    }));
    let message = Manifest::from_lock_str(&unknown, "flags.lock.json")
        .unwrap_err()
        .to_string();
    assert!(message.contains("unknown variant `cel`"), "{message}");
    let alone = lock(json!({ "type": "boolean", "dialect": "flagd" }));
    assert!(Manifest::from_lock_str(&alone, "flags.lock.json").is_ok());
}

/// `attachments`: optional (older locks read as before), written only when set, kept through
/// a round trip, part of the content hash, and only on string flags.
#[test]
fn the_attachments_marker() {
    let lock = |flag: Value| {
        json!({ "formatVersion": FORMAT_VERSION, "flags": { "theme": flag } }).to_string()
    };
    let without = lock(json!({ "type": "string", "default": "light",
                               "defaultVariant": "light", "variants": { "light": "light" } }));
    let plain = Manifest::from_lock_str(&without, "flags.lock.json").unwrap();
    assert!(!plain.flags["theme"].attachments);
    assert!(!plain.to_lock_string().contains("attachments"));

    let with = lock(
        json!({ "type": "string", "default": "light", "defaultVariant": "light",
                            "variants": { "light": "light" }, "attachments": true }),
    );
    let marked = Manifest::from_lock_str(&with, "flags.lock.json").unwrap();
    assert!(marked.flags["theme"].attachments);
    let text = marked.to_lock_string();
    assert!(text.contains("\"attachments\": true"), "{text}");
    assert_eq!(
        Manifest::from_lock_str(&text, "flags.lock.json").unwrap(),
        marked
    );
    assert_ne!(marked.compute_hash(), plain.compute_hash());
    // `false` written out reads as absent, and is left out again.
    let explicit = without.replace("\"type\"", "\"attachments\":false,\"type\"");
    let read = Manifest::from_lock_str(&explicit, "flags.lock.json").unwrap();
    assert_eq!(read, plain);

    let boolean = lock(json!({ "type": "boolean", "default": true, "attachments": true }));
    let error = Manifest::from_lock_str(&boolean, "flags.lock.json").unwrap_err();
    assert_eq!(error.flag_key(), Some("theme"));
    assert!(
        error
            .to_string()
            .contains("field `attachments` must be absent on a flag that is not a string flag"),
        "{error}"
    );
}
