//! GO Feature Flag's flag files read the same in JSON, YAML and TOML (our fixtures in
//! `tests/fixtures/gofeatureflag/`, one configuration written three ways).

use std::path::{Path, PathBuf};

use flags_schema::{Dialect, Format, Manifest};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gofeatureflag")
        .join(name)
}

const FILES: [&str; 3] = ["flags.goff.json", "flags.goff.yaml", "flags.goff.toml"];

fn text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

#[test]
fn json_yaml_and_toml_read_the_same() {
    let mut manifests: Vec<Manifest> = Vec::new();
    for name in FILES {
        let mut read = flags_schema::read(fixture(name)).unwrap();
        assert_eq!(read.sources[0].format, Format::GoFeatureFlag, "{name}");
        read.sources.clear();
        manifests.push(read);
    }
    assert_eq!(manifests[0], manifests[1]);
    assert_eq!(manifests[0], manifests[2]);
    let checkout = &manifests[0].flags["new-checkout"];
    assert_eq!(checkout.flag_type, flags_schema::FlagType::Boolean);
    assert_eq!(checkout.targeting, None, "the lock records no rules");
    assert_eq!(
        manifests[0].flags["upload-limit"].default,
        Some(serde_json::json!(10))
    );
}

#[test]
fn read_for_evaluation_the_same_with_or_without_the_format() {
    let expected = flags_schema::load_str(&text(FILES[0]), "x")
        .unwrap()
        .manifest;
    let rule = &expected.flags["upload-limit"].targeting.as_ref().unwrap();
    assert_eq!(rule.dialect, Dialect::GoFeatureFlag);
    assert_eq!(
        rule.rule["flag"]["scheduledRollout"][0]["date"],
        "2026-06-01T00:00:00Z"
    );
    for name in FILES {
        let detected = flags_schema::load_str(&text(name), name).unwrap();
        let given = flags_schema::load_as(Format::GoFeatureFlag, &text(name), name).unwrap();
        assert_eq!(detected.manifest, expected, "{name}");
        assert_eq!(given.manifest, expected, "{name}");
        assert!(
            given.broken.is_empty() && given.warnings.is_empty(),
            "{name}"
        );
    }
}

#[test]
fn syntax_errors_name_the_language_and_the_place() {
    let broken_yaml = "f:\n  variations: {a: 1\n";
    let error = flags_schema::load_as(Format::GoFeatureFlag, broken_yaml, "f.yaml").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("`f.yaml` is not valid YAML: "),
        "{error}"
    );
    // Detected, text that is no flag file keeps its JSON error.
    let error = flags_schema::import_str("just: text\n", "f.yaml").unwrap_err();
    assert!(matches!(error, flags_schema::Error::Json { .. }), "{error}");
}
