//! `flags_cli::scan` on the fixture crates of `tests/fixtures/scan/`: every rule that marks a
//! flag used, the files left out or unparsed, and the stale report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flags_cli::scan::{self, ScanError, StaleReport, Usage};
use flags_schema::Manifest;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scan")
        .join(name)
}

fn manifest(root: &Path) -> Manifest {
    flags_schema::read(root.join("flags.json")).unwrap()
}

fn scanned(name: &str) -> (Manifest, Usage) {
    let root = fixture(name);
    let manifest = manifest(&root);
    let usage = scan::scan(&root, &manifest).unwrap();
    (manifest, usage)
}

/// Each key with its sites as `file:line: what`, `/`-separated on every platform.
fn sites(usage: &Usage) -> BTreeMap<String, Vec<String>> {
    usage
        .used
        .iter()
        .map(|(key, sites)| {
            let sites = sites
                .iter()
                .map(|s| s.to_string().replace('\\', "/"))
                .collect();
            (key.clone(), sites)
        })
        .collect()
}

fn expected(list: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    list.iter()
        .map(|(key, sites)| {
            (
                (*key).to_owned(),
                sites.iter().map(|s| (*s).to_owned()).collect(),
            )
        })
        .collect()
}

fn unparsed(usage: &Usage) -> Vec<String> {
    usage
        .unparsed
        .iter()
        .map(|(path, _)| path.display().to_string().replace('\\', "/"))
        .collect()
}

#[test]
fn derives_and_literal_keys_name_their_flags() {
    let (_, usage) = scanned("derives");
    assert_eq!(
        sites(&usage),
        expected(&[
            (
                "beta-search",
                &["src/lib.rs:17: field `beta_search` of `Checkout`"]
            ),
            ("checkout-flow", &["src/lib.rs:29: enum `CheckoutFlow`"]),
            ("darkMode", &["src/lib.rs:24: field `dark_mode` of `Ui`"]),
            ("hero", &["src/lib.rs:36: enum `Banner`"]),
            (
                "new-checkout",
                &["src/lib.rs:10: field `new_checkout` of `Checkout`"]
            ),
            (
                "new-chekout",
                &["tests/keys.rs:9: `FlagKey::new(\"new-chekout\", ..)`"]
            ),
            (
                "retries",
                &["examples/retries.rs:4: `FlagKey::from_fn(\"retries\", ..)`"]
            ),
            (
                "sample-rate",
                &["tests/keys.rs:6: `FlagKey::new(\"sample-rate\", ..)`"]
            ),
            (
                "timeout-ms",
                &["src/nested/mod.rs:6: field `timeout` of `Local`"]
            ),
            (
                "upload-limit",
                &["src/lib.rs:11: field `limit` of `Checkout`"]
            ),
        ])
    );
    // `target/`, hidden directories and other files are not read; what cannot be read or
    // parsed is listed, with the line of the syntax error.
    assert_eq!(unparsed(&usage), ["benches/latin1.rs", "src/broken.rs"]);
    assert!(
        usage.unparsed[1].1.starts_with("line 2: "),
        "{:?}",
        usage.unparsed
    );
    assert!(usage.modules.is_empty());
    assert_eq!(usage.files, 6);
}

#[test]
fn the_report_lists_unused_flags_and_unknown_keys_with_suggestions() {
    let (manifest, usage) = scanned("derives");
    let report = scan::report(&manifest, &usage);
    // `old-banner` is only in a skipped field, an unparsed file and directories not scanned;
    // `cache` only in a dynamic key and a struct without the derive.
    assert_eq!(report.unused, ["cache", "old-banner"]);
    let unknown: Vec<(&str, Option<&str>, usize)> = report
        .unknown
        .iter()
        .map(|u| (u.key.as_str(), u.suggestion.as_deref(), u.sites.len()))
        .collect();
    assert_eq!(
        unknown,
        [
            ("beta-search", None, 1),
            ("new-chekout", Some("new-checkout"), 1)
        ]
    );
    assert!(!report.is_clean());
    assert_eq!(report.unparsed.len(), 2);

    let text = report.to_string().replace('\\', "/");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "2 flags in the lock used nowhere in the code:",
            "  - cache",
            "  - old-banner",
        ]
    );
    assert_eq!(
        lines[3..8],
        [
            "2 keys used in the code but absent from the lock:",
            "  - beta-search",
            "      src/lib.rs:17: field `beta_search` of `Checkout`",
            "  - new-chekout (did you mean `new-checkout`?)",
            "      tests/keys.rs:9: `FlagKey::new(\"new-chekout\", ..)`",
        ]
    );
    assert_eq!(
        lines[8],
        "2 files not scanned (flags used only there are listed as unused):"
    );
    assert!(lines[9].starts_with("  - benches/latin1.rs: "), "{text}");
    assert!(
        lines[10].starts_with("  - src/broken.rs: line 2: "),
        "{text}"
    );
    assert_eq!(lines.len(), 11, "{text}");
}

#[test]
fn names_generated_by_flags_mark_their_flags_used() {
    let (manifest, usage) = scanned("module");
    assert_eq!(usage.modules, ["app_flags"]);
    assert!(usage.unparsed.is_empty(), "{:?}", usage.unparsed);
    assert_eq!(
        sites(&usage),
        expected(&[
            (
                "3d-mode",
                &["tests/tokens.rs:8: constant `FLAG_3D_MODE` generated by `flags!`"]
            ),
            (
                "hero",
                &[
                    // The import, the parameter's type, the patterns.
                    "src/reads/mod.rs:3: type `Hero` generated by `flags!`",
                    "src/reads/mod.rs:10: type `Hero` generated by `flags!`",
                    "src/reads/mod.rs:13: type `Hero` generated by `flags!`",
                    "src/reads/mod.rs:14: type `Hero` generated by `flags!`",
                ]
            ),
            (
                "max-items",
                &["tests/tokens.rs:8: field `max_items` of `All` generated by `flags!`"]
            ),
            (
                "new-checkout",
                &["src/reads/mod.rs:7: constant `NEW_CHECKOUT` generated by `flags!`"]
            ),
            (
                "type",
                &["src/reads/mod.rs:21: field `type` of `All` generated by `flags!`"]
            ),
            (
                "ui-config",
                &[
                    "examples/types.rs:2: type `UiConfigTheme` generated by `flags!`",
                    "src/reads/mod.rs:23: field `ui_config` of `All` generated by `flags!`",
                ]
            ),
            (
                "upload-limit",
                &["src/reads/mod.rs:25: field `upload_limit` of `All` generated by `flags!`"]
            ),
        ])
    );
    let report = scan::report(&manifest, &usage);
    assert_eq!(report.unused, ["old-banner", "sample-rate"]);
    assert!(report.unknown.is_empty());
}

#[test]
fn without_flags_the_same_names_are_someone_elses() {
    let (manifest, usage) = scanned("no-module");
    assert!(usage.used.is_empty(), "{:?}", usage.used);
    assert!(usage.modules.is_empty());
    let report = scan::report(&manifest, &usage);
    assert_eq!(report.unused.len(), manifest.flags.len());
}

#[test]
fn a_clean_report_says_so() {
    let (manifest, mut usage) = scanned("module");
    // Every flag used once more, through a literal key.
    for key in manifest.flags.keys() {
        usage.used.entry(key.clone()).or_default();
    }
    let report = scan::report(&manifest, &usage);
    assert_eq!(report, StaleReport::default());
    assert!(report.is_clean());
    assert_eq!(
        report.to_string(),
        "every flag in the lock is used, and every key the code uses is in the lock\n"
    );
}

#[test]
fn a_crate_root_that_cannot_be_read_is_an_error() {
    let manifest = Manifest::new();
    let missing = fixture("no-such-crate");
    let error = scan::scan(&missing, &manifest).unwrap_err();
    assert!(matches!(&error, ScanError::ReadDir { path, .. } if *path == missing));
    assert!(
        error.to_string().starts_with(&format!(
            "could not read the directory `{}`: ",
            missing.display()
        )),
        "{error}"
    );
    // A crate without any scanned directory uses nothing.
    let usage = scan::scan(&fixture("module").join("src/reads"), &manifest).unwrap();
    assert_eq!(usage, Usage::default());
}
