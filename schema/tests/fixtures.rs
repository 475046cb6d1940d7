//! The importers against the upstream fixtures of flagd-schemas and the OpenFeature CLI, copied
//! unmodified under `tests/fixtures/` (see its README).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flags_schema::{
    Dialect, Error, FlagType, Format, Manifest, MetadataValue, Problem, Targeting, WarningKind,
    flagd, openfeature_cli,
};
use serde_json::{Value, json};

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

fn flagd_fixtures(dir: &str) -> PathBuf {
    fixtures("flagd-schemas/json/test").join(dir)
}

fn cli_fixtures(dir: &str) -> PathBuf {
    fixtures("openfeature-cli/schema/v0/testdata").join(dir)
}

/// The `.json` files of a directory, sorted; never empty, so that a moved directory cannot make
/// a test pass vacuously.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|name| name.to_str()).unwrap()
}

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn read_ok(path: &Path) -> Manifest {
    flags_schema::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_err(path: &Path) -> Error {
    match flags_schema::read(path) {
        Ok(manifest) => panic!("{} imported: {manifest:#?}", path.display()),
        Err(error) => error,
    }
}

/// The flags of a flagd document by key, whether written as a map or an array.
fn flagd_flags(document: &Value) -> BTreeMap<String, Value> {
    match &document["flags"] {
        Value::Object(flags) => flags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Value::Array(flags) => flags
            .iter()
            .map(|flag| (flag["key"].as_str().unwrap().to_owned(), flag.clone()))
            .collect(),
        other => panic!("flags: {other}"),
    }
}

/// Checks an imported flagd manifest against the document it came from, flag by flag.
fn assert_matches_document(manifest: &Manifest, document: &Value, path: &Path) {
    let expected = flagd_flags(document);
    assert_eq!(
        manifest.flags.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{}",
        path.display()
    );
    for (key, source) in &expected {
        let flag = &manifest.flags[key];
        let variants: BTreeMap<String, Value> =
            serde_json::from_value(source["variants"].clone()).unwrap();
        assert_eq!(flag.variants, variants, "{key}");
        match source.get("defaultVariant") {
            None | Some(Value::Null) => {
                assert_eq!(flag.default, None, "{key}");
                assert_eq!(flag.default_variant, None, "{key}");
            }
            Some(Value::String(name)) => {
                assert_eq!(
                    flag.default_variant.as_deref(),
                    Some(name.as_str()),
                    "{key}"
                );
                assert_eq!(
                    flag.default.as_ref(),
                    Some(&source["variants"][name]),
                    "{key}"
                );
            }
            Some(other) => panic!("{key}: defaultVariant {other}"),
        }
        assert_eq!(
            flag.targeting.clone(),
            source.get("targeting").cloned().map(Targeting::flagd),
            "{key}"
        );
        assert_eq!(
            flag.metadata.len(),
            source
                .get("metadata")
                .map_or(0, |m| m.as_object().unwrap().len()),
            "{key}"
        );
    }
    let source = &manifest.sources[0];
    assert_eq!(manifest.sources.len(), 1);
    assert_eq!(source.format, Format::Flagd);
    assert_eq!(
        source.location.as_deref(),
        Some(path.display().to_string().as_str())
    );
    assert_eq!(manifest.content_hash, Some(manifest.compute_hash()));
}

/// The types the example files give their `my…Flag`s, when a file has them.
fn assert_example_types(manifest: &Manifest) -> usize {
    let expected = [
        ("myBoolFlag", FlagType::Boolean),
        ("myIntFlag", FlagType::Integer),
        ("myFloatFlag", FlagType::Float),
        ("myObjectFlag", FlagType::Object),
        ("myStringFlag", FlagType::String),
    ];
    let mut checked = 0;
    for (key, flag_type) in expected {
        if let Some(flag) = manifest.flags.get(key) {
            assert_eq!(flag.flag_type, flag_type, "{key}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_positive_flagd_fixture_imports() {
    let mut files = json_files(&flagd_fixtures("flags/positive"));
    files.extend(json_files(&flagd_fixtures("flagd/positive")));
    for path in files {
        let manifest = read_ok(&path);
        assert_matches_document(&manifest, &load(&path), &path);
        assert_example_types(&manifest);
    }
}

#[test]
fn examples_have_the_five_types_with_their_defaults() {
    for path in [
        flagd_fixtures("flags/positive/example-simple.flagd.json"),
        flagd_fixtures("flags/positive/example.flagd.json"),
        flagd_fixtures("flags/positive/example.flagdimport.map.json"),
        flagd_fixtures("flags/positive/example.flagdimport.array.json"),
        flagd_fixtures("flagd/positive/with-object-flags.json"),
        flagd_fixtures("flagd/positive/with-array-flags.json"),
    ] {
        let manifest = read_ok(&path);
        assert_eq!(assert_example_types(&manifest), 5, "{}", path.display());
        assert_eq!(manifest.flags["myBoolFlag"].default, Some(json!(true)));
        assert_eq!(manifest.flags["myIntFlag"].default, Some(json!(1)));
        assert_eq!(manifest.flags["myFloatFlag"].default, Some(json!(1.23)));
        assert_eq!(manifest.flags["myStringFlag"].default, Some(json!("val1")));
        assert_eq!(
            manifest.flags["myObjectFlag"].default,
            Some(json!({ "key": "val" }))
        );
    }
}

#[test]
fn targeting_and_evaluators_are_kept() {
    let path = flagd_fixtures("flags/positive/example.flagd.json");
    let manifest = read_ok(&path);
    assert_eq!(
        manifest.evaluators["emailWithFaas"],
        json!({ "in": ["@faas.com", { "var": ["email"] }] })
    );
    assert_eq!(
        manifest.flags["fibAlgo"].targeting,
        Some(Targeting::flagd(
            json!({ "if": [{ "$ref": "emailWithFaas" }, "binet", null] })
        ))
    );
    assert_eq!(manifest.flags["myBoolFlag"].targeting, None);

    let manifest = read_ok(&flagd_fixtures("flags/positive/with-valid-targeting.json"));
    let targeting = manifest.flags["targetedFlag"].targeting.as_ref().unwrap();
    assert_eq!(targeting.dialect, Dialect::Flagd);
    assert_eq!(targeting.rule["if"][0]["ends_with"][1], "@company.com");
}

#[test]
fn null_or_absent_default_variant_defers_to_code() {
    for name in [
        "no-default-variant.json",
        "null-default-variant.json",
        "undefined-default-variant.json",
    ] {
        let manifest = read_ok(&flagd_fixtures("flags/positive").join(name));
        let flag = &manifest.flags["myBoolFlag"];
        assert_eq!(flag.flag_type, FlagType::Boolean, "{name}");
        assert_eq!(flag.default, None, "{name}");
        assert_eq!(flag.default_variant, None, "{name}");
        assert_eq!(flag.variants.len(), 2, "{name}");
    }
}

#[test]
fn metadata_is_kept() {
    let manifest = read_ok(&flagd_fixtures("flags/positive/with-metadata.json"));
    let expected_flag: BTreeMap<String, MetadataValue> = [
        ("boolean", MetadataValue::Bool(true)),
        ("string", MetadataValue::String("string".into())),
        ("float", MetadataValue::Float(1.23)),
        ("int", MetadataValue::Int(1)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(manifest.flags["headerColor"].metadata, expected_flag);
    let mut expected_set = expected_flag.clone();
    expected_set.insert("flagSetId".into(), MetadataValue::String("sso/dev".into()));
    expected_set.insert("version".into(), MetadataValue::String("1.0.0".into()));
    assert_eq!(manifest.metadata, expected_set);
    assert_eq!(manifest.flags["headerColor"].flag_type, FlagType::String);
}

#[test]
fn array_form_equals_map_form() {
    let pairs = [
        (
            "flags/positive/example.flagdimport.array.json",
            "flags/positive/example.flagdimport.map.json",
        ),
        (
            "flagd/positive/with-array-flags.json",
            "flagd/positive/with-object-flags.json",
        ),
    ];
    for (array, map) in pairs {
        let mut from_array = read_ok(&flagd_fixtures(array));
        let mut from_map = read_ok(&flagd_fixtures(map));
        assert_eq!(
            from_array.compute_hash(),
            from_map.compute_hash(),
            "{array}"
        );
        // Only the location differs.
        from_array.sources.clear();
        from_map.sources.clear();
        assert_eq!(from_array, from_map, "{array}");
    }
}

#[test]
fn every_negative_flagd_fixture_fails_with_its_problem() {
    // (file, the flag the error names or `None` for a document error, the expected problem)
    type Check = fn(&Problem) -> bool;
    let expected: &[(&str, Option<&str>, Check)] = &[
        ("empty-variants.json", Some("myBoolFlag"), |p| {
            *p == Problem::NoVariants
        }),
        ("malformed-flag.json", Some("not-a-flag"), |p| {
            *p == Problem::MissingField { field: "state" }
        }),
        ("missing-variants.json", Some("myBoolFlag"), |p| {
            *p == Problem::NoVariants
        }),
        (
            "mixed-variant-types.ffconfig.json",
            Some("myBoolFlag"),
            |p| {
                // Which variant counts as first depends on the map order serde_json keeps (sorted,
                // or the file's with `preserve_order`); either way the two are named.
                matches!(p, Problem::MixedVariantTypes { first, variant, .. }
                if [first.as_str(), variant.as_str()] == ["off", "on"]
                    || [first.as_str(), variant.as_str()] == ["on", "off"])
            },
        ),
        ("state-set-incorrectly.json", Some("myBoolFlag"), |p| {
            *p == Problem::InvalidState {
                found: "WILL-FAIL".into(),
            }
        }),
        ("with-invalid-flag-metadata.json", Some("myBoolFlag"), |p| {
            *p == Problem::InvalidMetadata {
                key: "invalid".into(),
                found: "an object".into(),
            }
        }),
        // Flag-set metadata belongs to no flag: a document error naming the metadata key.
        ("with-invalid-flag-set-metadata.json", None, |p| {
            *p == Problem::InvalidMetadata {
                key: "invalid".into(),
                found: "an object".into(),
            }
        }),
    ];
    let dir = flagd_fixtures("flags/negative");
    for path in json_files(&dir) {
        let name = file_name(&path);
        if name == "with-invalid-targeting.json" {
            // An unknown operator (`not-a-real-rule`) is not a load error in flagd: the flag
            // answers PARSE_ERROR when evaluated (the runtime's tests check it). The rule is
            // kept as written.
            let manifest = read_ok(&path);
            assert_eq!(
                manifest.flags["targetedFlag"].targeting,
                Some(Targeting::flagd(json!({ "not-a-real-rule": [1, 2] })))
            );
            continue;
        }
        if name == "with-array-flags.json" {
            // flagd-schemas lists this file as negative for `flags.json`, the schema of the
            // files *providers* read, where `flags` must be a map. Our importer reads the
            // daemon's format, `flagd.json`, a superset that also allows an array of flags with
            // a `key`; the same document is a positive fixture under `flagd/positive/`. So we
            // accept it, and check that it reads like the map form.
            let manifest = read_ok(&path);
            assert_eq!(manifest.flags["myBoolFlag"].flag_type, FlagType::Boolean);
            assert_eq!(manifest.flags["myBoolFlag"].default, Some(json!(true)));
            continue;
        }
        let Some((_, flag, check)) = expected.iter().find(|(file, ..)| *file == name) else {
            panic!("negative fixture {name} has no expectation");
        };
        let error = read_err(&path);
        let problem = error
            .problem()
            .unwrap_or_else(|| panic!("{name}: {error:?}"));
        assert!(check(problem), "{name}: unexpected problem {problem:?}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("`{}`: ", path.display())),
            "{name}: {message}"
        );
        match flag {
            Some(flag) => {
                assert_eq!(error.flag_key(), Some(*flag), "{name}");
                assert!(
                    message.contains(&format!("flag `{flag}`")),
                    "{name}: {message}"
                );
            }
            None => {
                assert!(matches!(error, Error::Document { .. }), "{name}: {error:?}");
                assert!(message.contains("metadata `invalid`"), "{name}: {message}");
            }
        }
    }
}

/// A one-flag flagd document around a targeting rule. `$evaluators` defines `some-ref`, which
/// `targeting/positive/if-shorthand.json` refers to.
fn with_targeting(rule: &Value) -> Value {
    json!({
        "flags": {
            "targeted": {
                "state": "ENABLED",
                "variants": { "on": true, "off": false },
                "defaultVariant": "off",
                "targeting": rule
            }
        },
        "$evaluators": { "some-ref": { "==": [{ "var": "env" }, "production"] } }
    })
}

#[test]
fn every_positive_targeting_fixture_imports() {
    for path in json_files(&flagd_fixtures("targeting/positive")) {
        let rule = load(&path);
        let manifest = flags_schema::import(&with_targeting(&rule), file_name(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            manifest.flags["targeted"].targeting,
            Some(Targeting::flagd(rule)),
            "{}",
            path.display()
        );
        // A rule flagd's schema accepts gives no warning.
        let warnings = flagd::lint(&manifest);
        assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
    }
}

#[test]
fn every_negative_targeting_fixture_loads_with_a_warning() {
    // flagd's schema rejects these rules, but flagd loads every one of them and evaluates it
    // (its custom operators give null on arguments they cannot use; a negative weight counts
    // as 0; a literal bucketing value is used as the key): each loads here too, and the lint
    // says what it does. `fractional-invalid-bucketing.json` starts `fractional` with the
    // literal `"invalid"`, which flagd takes as the bucketing value: every subject lands in the
    // same bucket.
    let expected = [
        (
            "fractional-decimal-weighting.json",
            WarningKind::AlwaysNull,
            "a `fractional` weight is a whole number, found a float (`25.5`)",
        ),
        (
            "fractional-invalid-bucketing.json",
            WarningKind::Suspicious,
            "`fractional` buckets by the literal `invalid`",
        ),
        (
            "fractional-invalid-weighting.json",
            WarningKind::AlwaysNull,
            "found a string (`\"25\"`)",
        ),
        (
            "fractional-negative-weighting.json",
            WarningKind::Suspicious,
            "the weight of variant `diamonds` is negative (`-25`): it counts as 0",
        ),
        (
            "invalid-ends-with-param.json",
            WarningKind::AlwaysNull,
            "the second argument of `ends_with` is an integer (`0`), not a string",
        ),
        (
            "invalid-flagd-props.json",
            WarningKind::Suspicious,
            "`$flagd.invalidProp` is not a property flagd provides",
        ),
        (
            "invalid-starts-with-param.json",
            WarningKind::AlwaysNull,
            "the second argument of `starts_with` is an integer (`0`), not a string",
        ),
        (
            "sem-ver-invalid-range-specifier.json",
            WarningKind::AlwaysNull,
            "unknown `sem_ver` operator `*`",
        ),
        (
            "sem-ver-invalid-ver-expression.json",
            WarningKind::AlwaysNull,
            "`2.0.0.0` is not a version `sem_ver` reads",
        ),
    ];
    for path in json_files(&flagd_fixtures("targeting/negative")) {
        let name = file_name(&path);
        let Some((_, kind, fragment)) = expected.iter().find(|(file, ..)| *file == name) else {
            panic!("negative targeting fixture {name} has no expectation");
        };
        let rule = load(&path);
        let manifest = flags_schema::import(&with_targeting(&rule), name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            manifest.flags["targeted"].targeting,
            Some(Targeting::flagd(rule.clone())),
            "{name}"
        );
        let warnings = flagd::lint(&manifest);
        assert_eq!(warnings.len(), 1, "{name}: {warnings:?}");
        assert_eq!(warnings[0].flag.as_deref(), Some("targeted"), "{name}");
        assert_eq!(warnings[0].kind, *kind, "{name}: {}", warnings[0]);
        assert!(
            warnings[0].message.contains(fragment),
            "{name}: {}",
            warnings[0]
        );
        // The same on the rule alone.
        assert_eq!(
            flagd::lint_targeting(&rule, &BTreeMap::new())[0].message,
            warnings[0].message,
            "{name}"
        );
    }
}

#[test]
fn cli_positive_fixture_imports_with_the_five_types() {
    for path in json_files(&cli_fixtures("positive")) {
        let manifest = read_ok(&path);
        assert_eq!(manifest.sources[0].format, Format::OpenfeatureCli);
        assert_eq!(
            openfeature_cli::import(&load(&path), &path.display().to_string()).unwrap(),
            manifest
        );
        let expected = [
            ("booleanFlag", FlagType::Boolean, json!(true)),
            ("stringFlag", FlagType::String, json!("default")),
            ("integerFlag", FlagType::Integer, json!(50)),
            ("floatFlag", FlagType::Float, json!(0.15)),
            (
                "objectFlag",
                FlagType::Object,
                json!({ "primaryColor": "#007bff", "secondaryColor": "#6c757d" }),
            ),
        ];
        assert_eq!(manifest.flags.len(), expected.len());
        for (key, flag_type, default) in expected {
            let flag = &manifest.flags[key];
            assert_eq!(flag.flag_type, flag_type, "{key}");
            assert_eq!(flag.default, Some(default), "{key}");
            assert!(flag.variants.is_empty(), "{key}");
        }
        // Exported back, the flags are the fixture's (only `$schema` is written as the URL).
        assert_eq!(
            openfeature_cli::export(&manifest)["flags"],
            load(&path)["flags"]
        );
    }
}

#[test]
fn cli_negative_fixtures_fail_with_their_problem() {
    let error = read_err(&cli_fixtures("negative/empty-flag-key.json"));
    assert_eq!(error.problem(), Some(&Problem::EmptyKey));
    assert_eq!(error.flag_key(), Some(""));
    assert!(
        error
            .to_string()
            .ends_with("flag ``: flag keys must not be empty"),
        "{error}"
    );

    // Its flag has neither `flagType` nor anything else a format requires; the `$schema`
    // (`../../flag-manifest.json`) makes it a CLI manifest, so the missing field is named.
    let error = read_err(&cli_fixtures("negative/missing-flag-type.json"));
    assert_eq!(
        error.problem(),
        Some(&Problem::MissingField { field: "flagType" })
    );
    assert_eq!(error.flag_key(), Some("booleanFlag"));
    assert!(
        error
            .to_string()
            .ends_with("flag `booleanFlag`: missing field `flagType`"),
        "{error}"
    );
}
