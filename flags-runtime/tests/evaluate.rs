//! In-process evaluation semantics of `flags_runtime`: values, variants, reasons, error codes
//! and metadata of static flags; sources (inline JSON, files, OpenFeature CLI manifests, lock
//! files); building and refreshing a client; contexts and values.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use flags_runtime::{
    Client, Context, Error, ErrorCode, Evaluation, EvaluationDetails, FlagKey, FlagMetadata,
    FlagValue, Flags, MetadataValue, Reason, Value, source,
};

/// A directory under the system temp dir, unique per process and test, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "flags-runtime-evaluate-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A flagd document with one static flag of each type, a disabled flag, flags that defer to
/// the code default, a flag with a targeting rule, and metadata on the set and on flags.
const FLAGD: &str = r#"{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "metadata": { "flagSetId": "shop", "owner": "platform", "version": 17 },
  "flags": {
    "dark-mode": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "on",
      "metadata": { "owner": "web", "reviewed": true }
    },
    "upload-limit": {
      "state": "ENABLED",
      "variants": { "small": 10, "large": 100 },
      "defaultVariant": "large"
    },
    "discount": {
      "state": "ENABLED",
      "variants": { "none": 0.0, "some": 0.15 },
      "defaultVariant": "some"
    },
    "greeting": {
      "state": "ENABLED",
      "variants": { "formal": "Good day", "casual": "Hi" },
      "defaultVariant": "casual"
    },
    "retired": {
      "state": "DISABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "on"
    },
    "null-default": {
      "state": "ENABLED",
      "variants": { "a": "alpha", "b": "beta" },
      "defaultVariant": null
    },
    "absent-default": {
      "state": "ENABLED",
      "variants": { "low": 1, "high": 2 }
    },
    "beta-banner": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "off",
      "targeting": { "if": [{ "var": "beta" }, "on", "off"] }
    },
    "empty-targeting": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "on",
      "targeting": {}
    }
  }
}"#;

/// A flagd document without any metadata.
const BARE: &str = r#"{"flags": {"plain": {
  "state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}}}"#;

fn client(text: &str) -> Client {
    Client::builder()
        .in_process(source::json(text))
        .build()
        .unwrap()
}

fn ctx() -> Context {
    Context::new("user-1")
}

/// Details of a successful static evaluation.
fn assert_static<T: FlagValue + PartialEq + std::fmt::Debug>(
    details: &EvaluationDetails<T>,
    key: &str,
    value: T,
    variant: Option<&str>,
) {
    assert_eq!(details.flag_key, key, "{details:?}");
    assert_eq!(details.value, value, "{details:?}");
    assert_eq!(details.variant.as_deref(), variant, "{details:?}");
    assert_eq!(details.reason, Reason::Static, "{details:?}");
    assert_eq!(details.error, None, "{details:?}");
    assert!(!details.is_error(), "{details:?}");
    assert_eq!(details.error_code(), None, "{details:?}");
    assert_eq!(details.error_message(), None, "{details:?}");
}

/// Details of a failed evaluation: the caller's default, reason ERROR, no variant, `code`.
fn assert_error<T: FlagValue + PartialEq + std::fmt::Debug>(
    details: &EvaluationDetails<T>,
    key: &str,
    default: T,
    code: ErrorCode,
) {
    assert_eq!(details.flag_key, key, "{details:?}");
    assert_eq!(details.value, default, "{details:?}");
    assert_eq!(details.variant, None, "{details:?}");
    assert_eq!(details.reason, Reason::Error, "{details:?}");
    assert!(details.is_error(), "{details:?}");
    assert_eq!(details.error_code(), Some(code), "{details:?}");
    let message = details.error_message().unwrap();
    assert!(message.contains(&format!("`{key}`")), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Static flags

#[test]
fn static_boolean_flag() {
    let client = client(FLAGD);
    let key = FlagKey::<bool>::new("dark-mode", false);
    assert!(client.value(&key, &ctx()));
    // By value as well as by reference (`impl Borrow<FlagKey<T>>`).
    assert!(client.value(key.clone(), &ctx()));
    assert_static(&client.details(&key, &ctx()), "dark-mode", true, Some("on"));
}

#[test]
fn static_integer_flag() {
    let client = client(FLAGD);
    let key = FlagKey::<i64>::new("upload-limit", 5);
    assert_eq!(client.value(&key, &ctx()), 100);
    assert_static(
        &client.details(&key, &ctx()),
        "upload-limit",
        100,
        Some("large"),
    );
}

#[test]
fn static_float_flag() {
    let client = client(FLAGD);
    let key = FlagKey::<f64>::new("discount", 0.5);
    assert_eq!(client.value(&key, &ctx()), 0.15);
    assert_static(
        &client.details(&key, &ctx()),
        "discount",
        0.15,
        Some("some"),
    );
}

#[test]
fn static_string_flag() {
    let client = client(FLAGD);
    let key = FlagKey::<String>::new("greeting", "Hello".to_owned());
    assert_eq!(client.value(&key, &ctx()), "Hi");
    assert_static(
        &client.details(&key, &ctx()),
        "greeting",
        "Hi".to_owned(),
        Some("casual"),
    );
}

#[test]
fn the_context_does_not_change_a_static_flag() {
    let client = client(FLAGD);
    let key = FlagKey::<i64>::new("upload-limit", 5);
    for ctx in [
        Context::anonymous(),
        Context::new("user-2"),
        Context::new("user-3")
            .with("plan", "premium")
            .with("beta", true),
    ] {
        assert_static(
            &client.details(&key, &ctx),
            "upload-limit",
            100,
            Some("large"),
        );
    }
}

#[test]
fn integer_flag_reads_as_f64() {
    let client = client(FLAGD);
    let key = FlagKey::<f64>::new("upload-limit", 1.5);
    assert_eq!(client.value(&key, &ctx()), 100.0);
    assert_static(
        &client.details(&key, &ctx()),
        "upload-limit",
        100.0,
        Some("large"),
    );
}

#[test]
fn float_flag_read_as_i64_is_a_type_mismatch() {
    let client = client(FLAGD);
    let key = FlagKey::<i64>::new("discount", 7);
    assert_eq!(client.value(&key, &ctx()), 7);
    let details = client.details(&key, &ctx());
    assert_error(&details, "discount", 7, ErrorCode::TypeMismatch);
    let message = details.error_message().unwrap();
    assert!(message.contains("float"), "{message}");
    assert!(message.contains("i64"), "{message}");
}

#[test]
fn integer_read_of_a_float_flag_takes_integral_values_only() {
    // An integer request accepts an integral number that fits `i64`, whatever the
    // flag's other variants are; the value served decides.
    let client = client(
        r#"{"flags": {"ratio": {"state": "ENABLED",
            "variants": {"half": 0.5, "all": 1}, "defaultVariant": "all"},
          "half": {"state": "ENABLED",
            "variants": {"half": 0.5, "all": 1}, "defaultVariant": "half"}}}"#,
    );
    assert_eq!(client.value(FlagKey::<f64>::new("ratio", 0.0), &ctx()), 1.0);
    assert_static(
        &client.details(FlagKey::<i64>::new("ratio", 3), &ctx()),
        "ratio",
        1,
        Some("all"),
    );
    let details = client.details(FlagKey::<i64>::new("half", 3), &ctx());
    assert_error(&details, "half", 3, ErrorCode::TypeMismatch);
}

#[test]
fn boolean_flag_read_as_string_is_a_type_mismatch() {
    let client = client(FLAGD);
    let key = FlagKey::<String>::new("dark-mode", "fallback".to_owned());
    assert_eq!(client.value(&key, &ctx()), "fallback");
    let details = client.details(&key, &ctx());
    assert_error(
        &details,
        "dark-mode",
        "fallback".to_owned(),
        ErrorCode::TypeMismatch,
    );
    let message = details.error_message().unwrap();
    assert!(message.contains("boolean"), "{message}");
    assert!(message.contains("string"), "{message}");
}

#[test]
fn other_type_mismatches() {
    let client = client(FLAGD);
    let details = client.details(FlagKey::<bool>::new("greeting", true), &ctx());
    assert_error(&details, "greeting", true, ErrorCode::TypeMismatch);
    let details = client.details(FlagKey::<i64>::new("dark-mode", -1), &ctx());
    assert_error(&details, "dark-mode", -1, ErrorCode::TypeMismatch);
    let details = client.details(FlagKey::<f64>::new("greeting", 2.5), &ctx());
    assert_error(&details, "greeting", 2.5, ErrorCode::TypeMismatch);
}

#[test]
fn unknown_key_is_flag_not_found() {
    let client = client(FLAGD);
    let key = FlagKey::<bool>::new("no-such-flag", true);
    assert!(client.value(&key, &ctx()));
    let details = client.details(&key, &ctx());
    assert_error(&details, "no-such-flag", true, ErrorCode::FlagNotFound);
    // As flagd: the flag set's metadata (the file's top-level `metadata`).
    assert_eq!(
        details.flag_metadata.get("flagSetId"),
        Some(&MetadataValue::String("shop".into()))
    );
    assert_eq!(
        details.flag_metadata.get("owner"),
        Some(&MetadataValue::String("platform".into()))
    );
    // Keys are exact: no case folding, no separator folding.
    let details = client.details(FlagKey::<bool>::new("Dark-Mode", false), &ctx());
    assert_error(&details, "Dark-Mode", false, ErrorCode::FlagNotFound);
}

#[test]
fn disabled_flag_serves_the_callers_default_without_error() {
    let client = client(FLAGD);
    let key = FlagKey::<bool>::new("retired", false);
    assert!(!client.value(&key, &ctx()));
    let details = client.details(&key, &ctx());
    assert!(!details.value);
    assert_eq!(details.reason, Reason::Disabled);
    assert_eq!(details.variant, None);
    assert_eq!(details.error, None);
    assert_eq!(details.flag_key, "retired");
}

#[test]
fn default_variant_null_serves_the_callers_default_with_reason_default() {
    let client = client(FLAGD);
    let key = FlagKey::<String>::new("null-default", "code".to_owned());
    assert_eq!(client.value(&key, &ctx()), "code");
    let details = client.details(&key, &ctx());
    assert_eq!(details.value, "code");
    assert_eq!(details.reason, Reason::Default);
    assert_eq!(details.variant, None);
    assert_eq!(details.error, None);
}

#[test]
fn default_variant_absent_serves_the_callers_default_with_reason_default() {
    let client = client(FLAGD);
    let key = FlagKey::<i64>::new("absent-default", 42);
    assert_eq!(client.value(&key, &ctx()), 42);
    let details = client.details(&key, &ctx());
    assert_eq!(details.value, 42);
    assert_eq!(details.reason, Reason::Default);
    assert_eq!(details.variant, None);
    assert_eq!(details.error, None);
    // The code default comes from the key, whichever value it holds.
    assert_eq!(
        client.value(FlagKey::<i64>::new("absent-default", -9), &ctx()),
        -9
    );
}

#[test]
fn targeting_rule_decides_the_variant() {
    let client = client(FLAGD);
    let key = FlagKey::<bool>::new("beta-banner", false);
    let on = client.details(&key, &Context::new("user-1").with("beta", true));
    assert_eq!(
        (on.value, on.variant.as_deref(), &on.reason, on.error_code()),
        (true, Some("on"), &Reason::TargetingMatch, None)
    );
    let off = client.details(&key, &Context::new("user-2").with("beta", false));
    assert_eq!(
        (
            off.value,
            off.variant.as_deref(),
            &off.reason,
            off.error_code()
        ),
        (false, Some("off"), &Reason::TargetingMatch, None)
    );
    // No attribute: the rule's else branch.
    assert!(!client.value(&key, &Context::anonymous()));
}

#[test]
fn empty_targeting_object_is_no_rule() {
    let client = client(FLAGD);
    let key = FlagKey::<bool>::new("empty-targeting", false);
    assert_static(
        &client.details(&key, &ctx()),
        "empty-targeting",
        true,
        Some("on"),
    );
}

// ---------------------------------------------------------------------------------------------
// Metadata

#[test]
fn flag_metadata_overlays_flag_set_metadata() {
    let client = client(FLAGD);
    let details = client.details(FlagKey::<bool>::new("dark-mode", false), &ctx());
    let metadata = &details.flag_metadata;
    // The flag's `owner` wins over the set's.
    assert_eq!(
        metadata.get("owner"),
        Some(&MetadataValue::String("web".into()))
    );
    assert_eq!(metadata.get("reviewed"), Some(&MetadataValue::Bool(true)));
    assert_eq!(
        metadata.get("flagSetId"),
        Some(&MetadataValue::String("shop".into()))
    );
    assert_eq!(metadata.get("version"), Some(&MetadataValue::Int(17)));
    assert_eq!(metadata.get("missing"), None);
    assert_eq!(metadata.len(), 4);
    let keys: Vec<&str> = metadata.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["flagSetId", "owner", "reviewed", "version"]);
}

#[test]
fn a_flag_without_metadata_of_its_own_gets_the_sets() {
    let client = client(FLAGD);
    let details = client.details(FlagKey::<i64>::new("upload-limit", 0), &ctx());
    assert_eq!(
        details.flag_metadata.get("owner"),
        Some(&MetadataValue::String("platform".into()))
    );
    assert_eq!(details.flag_metadata.len(), 3);
}

#[test]
fn metadata_comes_with_defaults_and_errors_too() {
    let client = client(FLAGD);
    let shop = Some(MetadataValue::String("shop".into()));
    for details in [
        client.details(FlagKey::<bool>::new("retired", false), &ctx()),
        client.details(FlagKey::<bool>::new("beta-banner", false), &ctx()),
    ] {
        assert_eq!(
            details.flag_metadata.get("flagSetId"),
            shop.as_ref(),
            "{details:?}"
        );
    }
    // A type mismatch still knows the flag.
    let details = client.details(FlagKey::<String>::new("dark-mode", String::new()), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::TypeMismatch));
    assert_eq!(details.flag_metadata.get("flagSetId"), shop.as_ref());
    assert_eq!(
        details.flag_metadata.get("owner"),
        Some(&MetadataValue::String("web".into()))
    );
}

#[test]
fn no_metadata_is_an_empty_map() {
    let client = client(BARE);
    let details = client.details(FlagKey::<bool>::new("plain", true), &ctx());
    assert_static(&details, "plain", false, Some("off"));
    assert!(details.flag_metadata.is_empty());
    assert_eq!(details.flag_metadata.len(), 0);
    assert_eq!(details.flag_metadata.iter().count(), 0);
    assert_eq!(details.flag_metadata, FlagMetadata::empty());
    assert_eq!(details.flag_metadata.get("flagSetId"), None);
}

// ---------------------------------------------------------------------------------------------
// Other sources

const CLI_MANIFEST: &str = r#"{
  "$schema": "https://raw.githubusercontent.com/open-feature/cli/refs/heads/main/schema/v0/flag-manifest.json",
  "flags": {
    "enable-feature-a": { "flagType": "boolean", "defaultValue": true, "description": "A" },
    "max-items": { "flagType": "integer", "defaultValue": 50 },
    "discount-percentage": { "flagType": "float", "defaultValue": 0.25 },
    "theme": { "flagType": "string", "defaultValue": "dark" }
  }
}"#;

/// Every flag of [`CLI_MANIFEST`] evaluates to its `defaultValue`, reason STATIC, no variant.
fn assert_cli_values(client: &Client) {
    assert_eq!(client.flag_count(), 4);
    let ctx = ctx();
    assert_static(
        &client.details(FlagKey::<bool>::new("enable-feature-a", false), &ctx),
        "enable-feature-a",
        true,
        None,
    );
    assert_static(
        &client.details(FlagKey::<i64>::new("max-items", 0), &ctx),
        "max-items",
        50,
        None,
    );
    assert_static(
        &client.details(FlagKey::<f64>::new("max-items", 0.0), &ctx),
        "max-items",
        50.0,
        None,
    );
    assert_static(
        &client.details(FlagKey::<f64>::new("discount-percentage", 0.0), &ctx),
        "discount-percentage",
        0.25,
        None,
    );
    assert_static(
        &client.details(FlagKey::<String>::new("theme", String::new()), &ctx),
        "theme",
        "dark".to_owned(),
        None,
    );
    let details = client.details(FlagKey::<i64>::new("theme", 1), &ctx);
    assert_error(&details, "theme", 1, ErrorCode::TypeMismatch);
    assert!(details.flag_metadata.is_empty());
}

#[test]
fn openfeature_cli_manifest_as_inline_source() {
    assert_cli_values(&client(CLI_MANIFEST));
}

#[test]
fn openfeature_cli_manifest_as_file_source() {
    let dir = TempDir::new("cli");
    let path = dir.write("flag-manifest.json", CLI_MANIFEST);
    let client = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap();
    assert_cli_values(&client);
}

#[test]
fn lock_file_of_a_cli_manifest_as_source() {
    let lock = flags_schema::import_str(CLI_MANIFEST, "flag-manifest.json")
        .unwrap()
        .to_lock_string();
    assert!(lock.contains("\"formatVersion\""), "{lock}");
    assert_cli_values(&client(&lock));

    let dir = TempDir::new("cli-lock");
    let path = dir.write("flags.lock.json", &lock);
    let client = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap();
    assert_cli_values(&client);
}

#[test]
fn lock_file_of_a_flagd_file_as_source_keeps_variants_and_metadata() {
    let lock = flags_schema::import_str(FLAGD, "flags.json")
        .unwrap()
        .to_lock_string();
    let dir = TempDir::new("flagd-lock");
    let path = dir.write("flags.lock.json", &lock);
    for client in [
        client(&lock),
        Client::builder()
            .in_process(source::file(&path))
            .build()
            .unwrap(),
    ] {
        let ctx = ctx();
        assert_static(
            &client.details(FlagKey::<i64>::new("upload-limit", 0), &ctx),
            "upload-limit",
            100,
            Some("large"),
        );
        let details = client.details(FlagKey::<bool>::new("dark-mode", false), &ctx);
        assert_static(&details, "dark-mode", true, Some("on"));
        assert_eq!(
            details.flag_metadata.get("owner"),
            Some(&MetadataValue::String("web".into()))
        );
        assert_eq!(
            client
                .details(FlagKey::<bool>::new("retired", false), &ctx)
                .reason,
            Reason::Disabled
        );
        assert_eq!(
            client
                .details(FlagKey::<String>::new("null-default", "x".into()), &ctx)
                .reason,
            Reason::Default
        );
        // The lock file keeps the rule: it is evaluated.
        let details = client.details(FlagKey::<bool>::new("beta-banner", true), &ctx);
        assert_eq!(
            (details.value, &details.reason),
            (false, &Reason::TargetingMatch)
        );
    }
}

#[test]
fn flagd_file_source() {
    let dir = TempDir::new("flagd-file");
    let path = dir.write("flags.json", FLAGD);
    let client = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap();
    assert_eq!(client.flag_count(), 9);
    assert_static(
        &client.details(FlagKey::<String>::new("greeting", String::new()), &ctx()),
        "greeting",
        "Hi".to_owned(),
        Some("casual"),
    );
    assert_eq!(source::file(&path).path(), path);
    assert!(format!("{client:?}").contains("flags.json"), "{client:?}");
}

// ---------------------------------------------------------------------------------------------
// Building

#[test]
fn build_without_provider_is_no_provider() {
    let error = Client::builder().build().unwrap_err();
    assert!(matches!(error, Error::NoProvider), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("in_process"), "{message}");
}

#[test]
fn missing_file_is_a_load_error_naming_the_file() {
    let dir = TempDir::new("missing");
    let path = dir.path().join("no-such-flags.json");
    let error = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
}

/// What flagd rejects too: a default variant that names no variant. (What flagd loads, such as
/// variants of mixed types, loads with a warning: `tests/targeting.rs`.)
const INVALID: &str = r#"{"flags": {
  "fine": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
  "mixed-up": {"state": "ENABLED", "variants": {"on": true, "count": 3}, "defaultVariant": "off"}
}}"#;

#[test]
fn invalid_definitions_are_a_load_error_naming_the_flag() {
    let error = Client::builder()
        .in_process(source::json(INVALID))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`mixed-up`"), "{message}");
    assert!(message.contains("inline JSON"), "{message}");

    let dir = TempDir::new("invalid");
    let path = dir.write("flags.json", INVALID);
    let error = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`mixed-up`"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn syntax_error_is_a_load_error() {
    let error = Client::builder()
        .in_process(source::json("{\"flags\": {"))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// Refresh

fn limit_flag(small: i64, large: i64, default: &str) -> String {
    format!(
        r#"{{"flags": {{"upload-limit": {{"state": "ENABLED",
            "variants": {{"small": {small}, "large": {large}}}, "defaultVariant": "{default}"}}}}}}"#
    )
}

#[test]
fn refresh_picks_up_a_changed_file_and_keeps_the_last_good_one() {
    let dir = TempDir::new("refresh");
    let path = dir.write("flags.json", &limit_flag(10, 100, "large"));
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let key = FlagKey::<i64>::new("upload-limit", 1);
    let dark = FlagKey::<bool>::new("dark-mode", false);
    assert_eq!(client.value(&key, &ctx()), 100);

    // Nothing is read until `refresh`.
    dir.write("flags.json", &limit_flag(10, 100, "small"));
    assert_eq!(client.value(&key, &ctx()), 100);
    client.refresh().unwrap();
    assert_eq!(client.value(&key, &ctx()), 10);
    assert_eq!(
        client.details(&key, &ctx()).variant.as_deref(),
        Some("small")
    );

    // A new flag appears, an old one can disappear.
    dir.write("flags.json", FLAGD);
    client.refresh().unwrap();
    assert!(client.value(&dark, &ctx()));
    assert_eq!(client.flag_count(), 9);
    dir.write("flags.json", &limit_flag(20, 200, "large"));
    client.refresh().unwrap();
    assert_eq!(client.value(&key, &ctx()), 200);
    assert_eq!(
        client.details(&dark, &ctx()).error_code(),
        Some(ErrorCode::FlagNotFound)
    );

    // An invalid file is rejected whole: the previous configuration stays.
    dir.write("flags.json", INVALID);
    let error = client.refresh().unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");
    assert!(error.to_string().contains("`mixed-up`"), "{error}");
    assert_eq!(client.value(&key, &ctx()), 200);
    assert_static(
        &client.details(&key, &ctx()),
        "upload-limit",
        200,
        Some("large"),
    );
    assert_eq!(client.flag_count(), 1);

    // So is a missing file, and a clone shares the configuration.
    std::fs::remove_file(&path).unwrap();
    let clone = client.clone();
    let error = clone.refresh().unwrap_err();
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
    assert_eq!(client.value(&key, &ctx()), 200);

    // A fixed file is picked up again, by every clone.
    dir.write("flags.json", &limit_flag(30, 300, "small"));
    clone.refresh().unwrap();
    assert_eq!(client.value(&key, &ctx()), 30);
    assert_eq!(clone.value(&key, &ctx()), 30);
}

// ---------------------------------------------------------------------------------------------
// Concurrency

const _: () = {
    const fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    assert_send_sync_clone::<Client>();
    assert_send_sync_clone::<FlagKey<String>>();
    assert_send_sync_clone::<Context>();
};

#[test]
fn evaluates_from_two_threads_at_once() {
    let client = client(FLAGD);
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|n| {
                let client = client.clone();
                let barrier = &barrier;
                scope.spawn(move || {
                    let ctx = Context::new(format!("user-{n}"));
                    let limit = FlagKey::<i64>::new("upload-limit", 0);
                    let greeting = FlagKey::<String>::new("greeting", String::new());
                    barrier.wait();
                    for _ in 0..10_000 {
                        assert_eq!(client.value(&limit, &ctx), 100);
                        assert_eq!(client.value(&greeting, &ctx), "Hi");
                    }
                    client.details(&limit, &ctx)
                })
            })
            .collect();
        for handle in handles {
            assert_static(&handle.join().unwrap(), "upload-limit", 100, Some("large"));
        }
    });
}

// ---------------------------------------------------------------------------------------------
// `Flags` implemented by hand

#[derive(Debug, PartialEq)]
struct Checkout {
    dark_mode: bool,
    upload_limit: i64,
    discount: f64,
    greeting: String,
    targeting_key: Option<String>,
}

impl Checkout {
    const DARK_MODE: FlagKey<bool> = FlagKey::from_fn("dark-mode", || false);
    const UPLOAD_LIMIT: FlagKey<i64> = FlagKey::from_fn("upload-limit", || 1);
    const DISCOUNT: FlagKey<f64> = FlagKey::from_fn("discount", || 0.0);
    const GREETING: FlagKey<String> = FlagKey::from_fn("greeting", String::new);
}

thread_local! {
    /// Run by `Checkout::evaluate` after reading the first field.
    static BETWEEN_FIELDS: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

impl Flags for Checkout {
    fn evaluate(evaluation: &Evaluation<'_>) -> Self {
        let dark_mode = evaluation.value(&Self::DARK_MODE);
        BETWEEN_FIELDS.with(|hook| {
            if let Some(hook) = &*hook.borrow() {
                hook();
            }
        });
        Checkout {
            dark_mode,
            upload_limit: evaluation.value(&Self::UPLOAD_LIMIT),
            discount: evaluation.details(&Self::DISCOUNT).value,
            greeting: evaluation.value(&Self::GREETING),
            targeting_key: evaluation.context().targeting_key().map(str::to_owned),
        }
    }
}

const CHECKOUT_V1: &str = r#"{"flags": {
  "dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
  "upload-limit": {"state": "ENABLED", "variants": {"small": 10, "large": 100}, "defaultVariant": "large"},
  "discount": {"state": "ENABLED", "variants": {"none": 0.0, "some": 0.15}, "defaultVariant": "some"},
  "greeting": {"state": "ENABLED", "variants": {"casual": "Hi"}, "defaultVariant": "casual"}
}}"#;

const CHECKOUT_V2: &str = r#"{"flags": {
  "dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
  "upload-limit": {"state": "ENABLED", "variants": {"small": 10, "large": 100}, "defaultVariant": "small"},
  "discount": {"state": "DISABLED", "variants": {"none": 0.0, "some": 0.15}, "defaultVariant": "some"},
  "greeting": {"state": "ENABLED", "variants": {"formal": "Good day"}, "defaultVariant": "formal"}
}}"#;

#[test]
fn flags_reads_every_field() {
    let client = client(FLAGD);
    let checkout: Checkout = client.flags(&Context::new("user-9"));
    assert_eq!(
        checkout,
        Checkout {
            dark_mode: true,
            upload_limit: 100,
            discount: 0.15,
            greeting: "Hi".to_owned(),
            targeting_key: Some("user-9".to_owned()),
        }
    );
    // Missing flags give the keys' defaults.
    let checkout: Checkout = self::client(BARE).flags(&Context::anonymous());
    assert_eq!(
        checkout,
        Checkout {
            dark_mode: false,
            upload_limit: 1,
            discount: 0.0,
            greeting: String::new(),
            targeting_key: None,
        }
    );
}

#[test]
fn flags_reads_every_field_from_one_snapshot() {
    let dir = TempDir::new("snapshot");
    let path = dir.write("flags.json", CHECKOUT_V1);
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let v1 = Checkout {
        dark_mode: true,
        upload_limit: 100,
        discount: 0.15,
        greeting: "Hi".to_owned(),
        targeting_key: Some("user-1".to_owned()),
    };
    let v2 = Checkout {
        dark_mode: false,
        upload_limit: 10,
        discount: 0.0,
        greeting: "Good day".to_owned(),
        targeting_key: Some("user-1".to_owned()),
    };
    assert_eq!(client.flags::<Checkout>(&ctx()), v1);

    // The configuration changes while the struct is being read, after its first field: every
    // field still comes from the configuration the read started with.
    dir.write("flags.json", CHECKOUT_V2);
    let refresher = client.clone();
    BETWEEN_FIELDS.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(move || refresher.refresh().unwrap()));
    });
    let during = client.flags::<Checkout>(&ctx());
    BETWEEN_FIELDS.with(|hook| *hook.borrow_mut() = None);
    assert_eq!(during, v1);

    // The refresh did happen: single reads and the next struct read see it.
    assert_eq!(client.value(&Checkout::UPLOAD_LIMIT, &ctx()), 10);
    assert_eq!(client.flags::<Checkout>(&ctx()), v2);
}

// ---------------------------------------------------------------------------------------------
// Context

#[test]
fn context_with_adds_and_replaces_attributes() {
    let ctx = Context::new("user-1")
        .with("plan", "free")
        .with("seats", 3)
        .with("ratio", 0.5)
        .with("beta", true)
        .with("plan", "premium");
    assert_eq!(ctx.targeting_key(), Some("user-1"));
    assert_eq!(ctx.get("plan"), Some(&Value::String("premium".into())));
    assert_eq!(ctx.get("seats"), Some(&Value::Int(3)));
    assert_eq!(ctx.get("ratio"), Some(&Value::Float(0.5)));
    assert_eq!(ctx.get("beta"), Some(&Value::Bool(true)));
    assert_eq!(ctx.get("nothing"), None);
    let keys: Vec<&str> = ctx.attributes().map(|(k, _)| k).collect();
    assert_eq!(keys, ["beta", "plan", "ratio", "seats"]);
    assert!(!ctx.is_empty());
    assert!(Context::anonymous().is_empty());
    assert!(!Context::new("x").is_empty());
    assert!(!Context::anonymous().with("a", 1).is_empty());
    assert_eq!(
        Context::anonymous().with_targeting_key("k").targeting_key(),
        Some("k")
    );
    let mut ctx = Context::anonymous();
    ctx.set("a", 1).set("a", 2);
    assert_eq!(ctx.get("a"), Some(&Value::Int(2)));
}

#[test]
fn context_merge_precedence() {
    let global = Context::new("global-key")
        .with("region", "eu")
        .with("plan", "free")
        .with("tier", 1);
    let client = Context::anonymous().with("plan", "team").with("app", "web");
    let invocation = Context::new("user-1").with("plan", "premium");

    let merged = global.merged(&client).merged(&invocation);
    assert_eq!(merged.targeting_key(), Some("user-1"));
    assert_eq!(merged.get("plan"), Some(&Value::from("premium")));
    assert_eq!(merged.get("region"), Some(&Value::from("eu")));
    assert_eq!(merged.get("app"), Some(&Value::from("web")));
    assert_eq!(merged.get("tier"), Some(&Value::Int(1)));
    assert_eq!(merged.attributes().count(), 4);

    // A higher context without targeting key keeps the lower one's.
    let merged = global.merged(&client);
    assert_eq!(merged.targeting_key(), Some("global-key"));
    assert_eq!(merged.get("plan"), Some(&Value::from("team")));

    // The order matters: the argument wins.
    let reversed = invocation.merged(&client).merged(&global);
    assert_eq!(reversed.targeting_key(), Some("global-key"));
    assert_eq!(reversed.get("plan"), Some(&Value::from("free")));

    // Merging leaves the inputs alone; merging the empty context changes nothing.
    assert_eq!(global.get("plan"), Some(&Value::from("free")));
    assert_eq!(global.merged(&Context::anonymous()), global);
    assert_eq!(Context::anonymous().merged(&global), global);
}

#[test]
fn context_from_iterator_takes_targeting_key() {
    let ctx: Context = [
        ("targetingKey", Value::from("user-7")),
        ("plan", Value::from("premium")),
        ("seats", Value::from(12)),
    ]
    .into_iter()
    .collect();
    assert_eq!(ctx.targeting_key(), Some("user-7"));
    assert_eq!(ctx.get("targetingKey"), None);
    assert_eq!(ctx.get("plan"), Some(&Value::from("premium")));
    assert_eq!(ctx.get("seats"), Some(&Value::Int(12)));
    assert_eq!(
        ctx,
        Context::new("user-7")
            .with("plan", "premium")
            .with("seats", 12)
    );

    // Only a string is a targeting key; anything else stays an attribute.
    let ctx: Context = [("targetingKey", 5)].into_iter().collect();
    assert_eq!(ctx.targeting_key(), None);
    assert_eq!(ctx.get("targetingKey"), Some(&Value::Int(5)));

    // Without one, the context is anonymous.
    let ctx: Context = vec![("a".to_owned(), true)].into_iter().collect();
    assert_eq!(ctx.targeting_key(), None);
    assert_eq!(ctx.get("a"), Some(&Value::Bool(true)));
}

#[test]
fn context_to_json() {
    let ctx = Context::new("user-1").with("seats", 3).with("plan", "pro");
    assert_eq!(
        ctx.to_json(),
        serde_json::json!({"targetingKey": "user-1", "seats": 3, "plan": "pro"})
    );
    assert_eq!(Context::anonymous().to_json(), serde_json::json!({}));
}

// ---------------------------------------------------------------------------------------------
// Values

#[test]
fn value_from_json_numbers() {
    use serde_json::json;
    assert_eq!(Value::from(json!(3)), Value::Int(3));
    assert_eq!(Value::from(json!(-3)), Value::Int(-3));
    assert_eq!(Value::from(json!(0)), Value::Int(0));
    assert_eq!(Value::from(json!(i64::MAX)), Value::Int(i64::MAX));
    assert_eq!(Value::from(json!(i64::MIN)), Value::Int(i64::MIN));
    assert_eq!(Value::from(json!(1.5)), Value::Float(1.5));
    assert_eq!(Value::from(json!(-0.25)), Value::Float(-0.25));
    assert_eq!(Value::from(json!(1e300)), Value::Float(1e300));
    // Beyond `i64`: a float.
    assert_eq!(Value::from(json!(u64::MAX)), Value::Float(u64::MAX as f64));
    // JSON `3.0` is a float in serde_json, and stays one (so it round-trips through
    // `to_json`); only numbers that are integers in JSON become `Int`.
    assert_eq!(Value::from(json!(3.0)), Value::Float(3.0));
    assert_eq!(Value::from(json!(3.0)).to_json(), json!(3.0));
}

#[test]
fn value_from_json_structures() {
    use serde_json::json;
    assert_eq!(Value::from(json!(null)), Value::Null);
    assert_eq!(Value::from(json!(true)), Value::Bool(true));
    assert_eq!(Value::from(json!("s")), Value::String("s".into()));
    assert_eq!(
        Value::from(json!([1, 2.5, "a", [true]])),
        Value::List(vec![
            Value::Int(1),
            Value::Float(2.5),
            Value::from("a"),
            Value::List(vec![Value::Bool(true)]),
        ])
    );
    let expected: BTreeMap<String, Value> = [
        ("n".to_owned(), Value::Int(1)),
        (
            "x".to_owned(),
            Value::Map(BTreeMap::from([("f".to_owned(), Value::Float(0.5))])),
        ),
    ]
    .into();
    assert_eq!(
        Value::from(json!({"n": 1, "x": {"f": 0.5}})),
        Value::Map(expected)
    );
    let value = json!({"a": [1, 1.5, "s", null, {"b": false}]});
    assert_eq!(Value::from(value.clone()).to_json(), value);
}

#[test]
fn value_from_rust() {
    assert_eq!(Value::from(7u8), Value::Int(7));
    assert_eq!(Value::from(7u64), Value::Int(7));
    assert_eq!(Value::from(u64::MAX), Value::Float(u64::MAX as f64));
    assert_eq!(Value::from(0.5f32), Value::Float(0.5));
    assert_eq!(Value::from(None::<i64>), Value::Null);
    assert_eq!(Value::from(Some("a")), Value::from("a"));
    assert_eq!(Value::from(vec![1, 2]).to_json(), serde_json::json!([1, 2]));
    assert_eq!(Value::Int(4).as_f64(), Some(4.0));
    assert_eq!(Value::Float(4.0).as_i64(), None);
    let epoch = std::time::UNIX_EPOCH + std::time::Duration::from_secs(90);
    assert_eq!(Value::from(epoch).to_json(), serde_json::json!(90));
}

// ---------------------------------------------------------------------------------------------
// Reasons and error codes

#[test]
fn reason_parse_round_trips() {
    let all = [
        (Reason::Static, "STATIC"),
        (Reason::Default, "DEFAULT"),
        (Reason::TargetingMatch, "TARGETING_MATCH"),
        (Reason::Split, "SPLIT"),
        (Reason::Cached, "CACHED"),
        (Reason::Disabled, "DISABLED"),
        (Reason::Unknown, "UNKNOWN"),
        (Reason::Stale, "STALE"),
        (Reason::Error, "ERROR"),
    ];
    for (reason, name) in all {
        assert_eq!(reason.as_str(), name);
        assert_eq!(reason.to_string(), name);
        assert_eq!(Reason::parse(name), reason);
        assert_eq!(Reason::parse(reason.as_str()), reason);
    }
}

#[test]
fn reason_parse_other() {
    let other = Reason::parse("EXPERIMENT_ARM");
    assert_eq!(other, Reason::Other("EXPERIMENT_ARM".to_owned()));
    assert_eq!(other.as_str(), "EXPERIMENT_ARM");
    assert_eq!(other.to_string(), "EXPERIMENT_ARM");
    assert_eq!(Reason::parse(other.as_str()), other);
    // Names are case-sensitive: only the OpenFeature spelling is a known reason.
    assert_eq!(Reason::parse("static"), Reason::Other("static".to_owned()));
    assert_eq!(Reason::parse(""), Reason::Other(String::new()));
}

#[test]
fn error_code_names() {
    let all = [
        (ErrorCode::ProviderNotReady, "PROVIDER_NOT_READY"),
        (ErrorCode::FlagNotFound, "FLAG_NOT_FOUND"),
        (ErrorCode::ParseError, "PARSE_ERROR"),
        (ErrorCode::TypeMismatch, "TYPE_MISMATCH"),
        (ErrorCode::TargetingKeyMissing, "TARGETING_KEY_MISSING"),
        (ErrorCode::InvalidContext, "INVALID_CONTEXT"),
        (ErrorCode::ProviderFatal, "PROVIDER_FATAL"),
        (ErrorCode::General, "GENERAL"),
    ];
    for (code, name) in all {
        assert_eq!(code.as_str(), name);
        assert_eq!(code.to_string(), name);
    }
}

// ---------------------------------------------------------------------------------------------
// The per-thread snapshot cache

fn bool_client(value: bool) -> Client {
    client(&format!(
        r#"{{"flags": {{"on": {{"state": "ENABLED", "variants": {{"a": {value}, "b": {}}}, "defaultVariant": "a"}}}}}}"#,
        !value
    ))
}

#[test]
fn many_clients_in_one_thread_each_read_their_own_configuration() {
    // More clients than the per-thread cache holds, read in turns.
    let clients: Vec<(Client, bool)> = (0..9)
        .map(|i| (bool_client(i % 2 == 0), i % 2 == 0))
        .collect();
    let key = FlagKey::<bool>::new("on", false);
    for _ in 0..3 {
        for (client, expected) in &clients {
            assert_eq!(client.value(&key, &ctx()), *expected);
        }
    }
}

/// A hand-written `Flags` impl that reads the client again while it is being evaluated.
struct Reentrant {
    outer: bool,
    inner: bool,
}

thread_local! {
    static CLIENT: std::cell::RefCell<Option<Client>> = const { std::cell::RefCell::new(None) };
}

impl flags_runtime::Flags for Reentrant {
    fn evaluate(evaluation: &flags_runtime::Evaluation<'_>) -> Self {
        let key = FlagKey::<bool>::new("on", false);
        let inner = CLIENT.with(|c| c.borrow().as_ref().map(|c| c.value(&key, &ctx())));
        Reentrant {
            outer: evaluation.value(&key),
            inner: inner.unwrap_or(false),
        }
    }
}

#[test]
fn a_read_from_within_a_read_works() {
    let client = bool_client(true);
    CLIENT.with(|c| *c.borrow_mut() = Some(client.clone()));
    let read: Reentrant = client.flags(&ctx());
    assert!(read.outer && read.inner);
}

#[test]
fn a_refresh_is_seen_by_threads_that_cached_the_old_configuration() {
    let dir = std::env::temp_dir().join(format!("flags-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flags.json");
    let write = |value: bool| {
        std::fs::write(
            &path,
            format!(r#"{{"flags": {{"on": {{"state": "ENABLED", "variants": {{"a": {value}}}, "defaultVariant": "a"}}}}}}"#),
        )
        .unwrap()
    };
    write(true);
    let client = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap();
    let key = FlagKey::<bool>::new("on", false);
    std::thread::scope(|s| {
        s.spawn(|| assert!(client.value(&key, &ctx())))
            .join()
            .unwrap();
    });
    assert!(client.value(&key, &ctx()));
    write(false);
    client.refresh().unwrap();
    assert!(!client.value(&key, &ctx()), "this thread");
    std::thread::scope(|s| {
        s.spawn(|| assert!(!client.value(&key, &ctx()), "another thread"))
            .join()
            .unwrap();
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A key that caches its flag in a slot, as the constants `#[derive(Flags)]` generates do.
macro_rules! slotted {
    ($ty:ty, $key:expr, $default:expr) => {{
        static SLOT: flags_runtime::__private::KeySlot = flags_runtime::__private::KeySlot::new();
        flags_runtime::__private::with_slot(FlagKey::<$ty>::from_fn($key, || $default), &SLOT)
    }};
}

/// A static scalar flag read through a key with a slot is answered from the value the slot
/// caches for the snapshot served: a reload, another client sharing the key, a read of another
/// type, hooks and a client context each see what the snapshot says.
#[test]
fn values_cached_in_key_slots_follow_the_snapshot_served() {
    let flag = |on: bool, limit: i64| {
        format!(
            r#"{{"flags": {{
              "on": {{ "state": "ENABLED", "variants": {{ "y": true, "n": false }},
                      "defaultVariant": "{}" }},
              "limit": {{ "state": "ENABLED", "variants": {{ "v": {limit} }},
                         "defaultVariant": "v" }},
              "rate": {{ "state": "ENABLED", "variants": {{ "v": 0.5 }}, "defaultVariant": "v" }}
            }}}}"#,
            if on { "y" } else { "n" }
        )
    };
    let on = slotted!(bool, "on", false);
    let limit = slotted!(i64, "limit", -1);
    let rate = slotted!(f64, "rate", -1.0);
    let on_as_int = slotted!(i64, "on", 7);
    let dir = TempDir::new("slots");
    let path = dir.write("flags.json", &flag(true, 10));
    let first = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let second = client(&flag(false, 20));
    for _ in 0..3 {
        // Alternating clients: each read finds its own configuration's value.
        assert!(first.value(&on, &ctx()));
        assert_eq!(first.value(&limit, &ctx()), 10);
        assert!(!second.value(&on, &ctx()));
        assert_eq!(second.value(&limit, &ctx()), 20);
        assert_eq!(first.value(&rate, &ctx()), 0.5);
        // A read of another type: the default, and details say why.
        assert_eq!(first.value(&on_as_int, &ctx()), 7);
        assert_eq!(
            first.details(&on_as_int, &ctx()).error.map(|e| e.code),
            Some(ErrorCode::TypeMismatch)
        );
    }
    // Through `flags::<S>` too.
    struct Both(bool, i64);
    impl Flags for Both {
        fn evaluate(evaluation: &Evaluation<'_>) -> Self {
            static ON: flags_runtime::__private::KeySlot = flags_runtime::__private::KeySlot::new();
            let on = flags_runtime::__private::with_slot(FlagKey::from_fn("on", || false), &ON);
            static LIMIT: flags_runtime::__private::KeySlot =
                flags_runtime::__private::KeySlot::new();
            let limit =
                flags_runtime::__private::with_slot(FlagKey::from_fn("limit", || -1), &LIMIT);
            Both(evaluation.value(&on), evaluation.value(&limit))
        }
    }
    let both: Both = first.flags(&ctx());
    assert!(both.0 && both.1 == 10);
    let both: Both = first.flags(&ctx());
    assert!(both.0 && both.1 == 10);

    // A reload: the next read sees the new values.
    std::fs::write(&path, flag(false, 11)).unwrap();
    first.refresh().unwrap();
    assert!(!first.value(&on, &ctx()));
    assert_eq!(first.value(&limit, &ctx()), 11);
    let both: Both = first.flags(&ctx());
    assert!(!both.0 && both.1 == 11);

    // A hook sees the read (the cached value does not skip it).
    struct Count(std::sync::Arc<AtomicUsize>);
    impl flags_runtime::Hook for Count {
        fn after(
            &self,
            _: &mut flags_runtime::HookContext<'_>,
            _: &EvaluationDetails<Value>,
            _: &flags_runtime::HookHints,
        ) -> Result<(), flags_runtime::EvaluationError> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    second.add_hook(Count(seen.clone()));
    assert!(!second.value(&on, &ctx()));
    assert_eq!(seen.load(Ordering::Relaxed), 1);
}

/// Details of a static flag read again from one configuration come from the key's slot: the
/// same as the first read (value, variant, reason `STATIC`), whatever the variant name's length
/// or the value's type; a flag with metadata keeps it (its slot answers values only); a reload
/// is seen at once.
#[test]
fn details_of_static_flags_are_the_same_from_the_slot() {
    let long = "a-variant-name-longer-than-any-slot-holds";
    let flags = |on: &str, colour: &str| {
        format!(
            r#"{{"flags": {{
              "on": {{ "state": "ENABLED", "variants": {{ "y": true, "n": false }},
                      "defaultVariant": "{on}" }},
              "long": {{ "state": "ENABLED", "variants": {{ "{long}": 3 }},
                        "defaultVariant": "{long}" }},
              "colour": {{ "state": "ENABLED", "variants": {{ "c": "{colour}" }},
                          "defaultVariant": "c" }},
              "owned": {{ "state": "ENABLED", "variants": {{ "v": 1.5 }}, "defaultVariant": "v",
                         "metadata": {{ "owner": "web" }} }},
              "no-variant": {{ "state": "ENABLED", "variants": {{ "v": 1 }} }}
            }}}}"#
        )
    };
    let dir = TempDir::new("details-slots");
    let path = dir.write("flags.json", &flags("y", "blue"));
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let on = slotted!(bool, "on", false);
    let long_key = FlagKey::<i64>::new("long", 0);
    let colour = FlagKey::<String>::new("colour", String::new());
    let owned = FlagKey::<f64>::new("owned", 0.0);
    let missing = slotted!(i64, "no-variant", -1);
    for (expected_on, expected_colour) in
        [(true, "blue"), (false, "a colour name too long for a slot")]
    {
        if !expected_on {
            std::fs::write(&path, flags("n", expected_colour)).unwrap();
            client.refresh().unwrap();
        }
        for _ in 0..3 {
            let details = client.details(&on, &ctx());
            assert_eq!(details.value, expected_on);
            assert_eq!(
                details.variant.as_deref(),
                Some(if expected_on { "y" } else { "n" })
            );
            assert_eq!((details.reason, details.error), (Reason::Static, None));
            assert_eq!(details.flag_key, "on");
            assert!(details.flag_metadata.is_empty());

            let details = client.details(&long_key, &ctx());
            assert_eq!(details.value, 3);
            assert_eq!(details.variant.as_deref(), Some(long));
            assert_eq!(details.reason, Reason::Static);

            let details = client.details(&colour, &ctx());
            assert_eq!(details.value, expected_colour);
            assert_eq!(details.variant.as_deref(), Some("c"));
            assert_eq!(details.reason, Reason::Static);

            let details = client.details(&owned, &ctx());
            assert_eq!(details.value, 1.5);
            assert_eq!(
                details.flag_metadata.get("owner"),
                Some(&flags_runtime::MetadataValue::String("web".into()))
            );

            // No default variant: the code default, and never a slot's answer.
            let details = client.details(&missing, &ctx());
            assert_eq!((details.value, details.variant), (-1, None));
            assert_eq!(details.reason, Reason::Default);
        }
    }
}

/// A `Flags` struct whose fields are all static flags is read from its keys' slots once each
/// field has been read from the configuration served: `evaluate` runs on the first read of
/// each configuration only, and the values follow every reload.
#[test]
fn a_struct_of_static_flags_is_read_from_its_keys_slots() {
    static EVALUATED: AtomicUsize = AtomicUsize::new(0);
    struct Pair(bool, String);
    fn on() -> &'static FlagKey<bool> {
        static KEY: std::sync::OnceLock<FlagKey<bool>> = std::sync::OnceLock::new();
        KEY.get_or_init(|| slotted!(bool, "on", false))
    }
    fn name() -> &'static FlagKey<String> {
        static KEY: std::sync::OnceLock<FlagKey<String>> = std::sync::OnceLock::new();
        KEY.get_or_init(|| FlagKey::new("name", String::new()))
    }
    impl Flags for Pair {
        fn evaluate(evaluation: &Evaluation<'_>) -> Self {
            EVALUATED.fetch_add(1, Ordering::Relaxed);
            Pair(evaluation.value(on()), evaluation.value(name()))
        }
        fn from_slots(slots: &flags_runtime::__private::SlotReads) -> Option<Self> {
            Some(Pair(slots.value(on())?, slots.value(name())?))
        }
    }
    let flags = |on: bool, name: &str| {
        format!(
            r#"{{"flags": {{
              "on": {{ "state": "ENABLED", "variants": {{ "y": true, "n": false }},
                      "defaultVariant": "{}" }},
              "name": {{ "state": "ENABLED", "variants": {{ "v": "{name}" }}, "defaultVariant": "v" }}
            }}}}"#,
            if on { "y" } else { "n" }
        )
    };
    let dir = TempDir::new("struct-slots");
    let path = dir.write("flags.json", &flags(true, "ada"));
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    for (round, (value, name)) in [(true, "ada"), (false, "grace"), (true, "ada")]
        .into_iter()
        .enumerate()
    {
        if round > 0 {
            std::fs::write(&path, flags(value, name)).unwrap();
            client.refresh().unwrap();
        }
        for _ in 0..5 {
            let pair: Pair = client.flags(&ctx());
            assert_eq!((pair.0, pair.1.as_str()), (value, name));
        }
        assert_eq!(
            EVALUATED.load(Ordering::Relaxed),
            round + 1,
            "round {round}"
        );
    }
    // A string too long for a slot: every read evaluates.
    std::fs::write(&path, flags(true, "a name too long to be held in a slot")).unwrap();
    client.refresh().unwrap();
    for _ in 0..3 {
        let pair: Pair = client.flags(&ctx());
        assert_eq!(pair.1, "a name too long to be held in a slot");
    }
    assert_eq!(EVALUATED.load(Ordering::Relaxed), 3 + 3);
}

/// A key made at run time caches in a slot of its own, as a generated constant does in its
/// `static`: values and details follow reloads; two clients with different configurations
/// sharing one key (from two threads too) each read their own; a clone caches for itself; a
/// read of another type still answers the default with `TYPE_MISMATCH`.
#[test]
fn keys_made_at_run_time_cache_in_a_slot_of_their_own() {
    let flag = |on: bool, limit: i64, owner: &str| {
        format!(
            r#"{{"flags": {{
              "on": {{ "state": "ENABLED", "variants": {{ "y": true, "n": false }},
                      "defaultVariant": "{}", "metadata": {{ "owner": "{owner}" }} }},
              "limit": {{ "state": "ENABLED", "variants": {{ "v": {limit} }},
                         "defaultVariant": "v" }}
            }}}}"#,
            if on { "y" } else { "n" }
        )
    };
    let on = FlagKey::<bool>::new("on", false);
    let limit = FlagKey::<i64>::new(String::from("limit"), -1);
    let on_as_int = FlagKey::<i64>::new("on", 7);
    let dir = TempDir::new("run-time-slots");
    let path = dir.write("flags.json", &flag(true, 10, "web"));
    let first = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let second = client(&flag(false, 20, "api"));
    let owner = |details: &EvaluationDetails<bool>| match details.flag_metadata.get("owner") {
        Some(MetadataValue::String(owner)) => owner.clone(),
        other => panic!("owner: {other:?}"),
    };
    for _ in 0..3 {
        assert!(first.value(&on, &ctx()));
        assert!(!second.value(&on, &ctx()));
        assert_eq!(first.value(&limit, &ctx()), 10);
        assert_eq!(second.value(&limit, &ctx()), 20);
        let (a, b) = (first.details(&on, &ctx()), second.details(&on, &ctx()));
        assert_eq!(
            (a.value, a.variant.as_deref(), &*owner(&a)),
            (true, Some("y"), "web")
        );
        assert_eq!(
            (b.value, b.variant.as_deref(), &*owner(&b)),
            (false, Some("n"), "api")
        );
        assert_eq!((a.reason, a.error), (Reason::Static, None));
        let limit_details = second.details(&limit, &ctx());
        assert_eq!(
            (&*limit_details.flag_key, limit_details.value),
            ("limit", 20)
        );
        assert_eq!(first.value(&on_as_int, &ctx()), 7);
        let mismatch = first.details(&on_as_int, &ctx());
        assert_eq!(
            (mismatch.value, mismatch.error_code()),
            (7, Some(ErrorCode::TypeMismatch))
        );
    }
    // A clone reads the same, from a slot of its own.
    let copy = on.clone();
    assert!(first.value(&copy, &ctx()) && !second.value(&copy, &ctx()));

    // Two threads share the key, each reading its own client: never the other's value.
    std::thread::scope(|scope| {
        for (client, expected) in [(&first, true), (&second, false)] {
            let on = &on;
            scope.spawn(move || {
                for _ in 0..20_000 {
                    assert_eq!(client.value(on, &ctx()), expected);
                }
            });
        }
    });

    // A reload: the next read sees the new value, variant and metadata.
    std::fs::write(&path, flag(false, 11, "ops")).unwrap();
    first.refresh().unwrap();
    assert!(!first.value(&on, &ctx()));
    assert_eq!(first.value(&limit, &ctx()), 11);
    let after = first.details(&on, &ctx());
    assert_eq!(
        (after.value, after.variant.as_deref(), &*owner(&after)),
        (false, Some("n"), "ops")
    );
    assert!(!first.value(&copy, &ctx()));
}

/// Through `flags::<S>`, a field of another type than the slot's value (`u32`, `f32`,
/// `Option<bool>`) reads the cached scalar through serde: converted when it fits, the default
/// when not, and it follows reloads.
#[test]
fn struct_fields_of_other_types_read_the_cached_scalar() {
    let flag = |on: bool, limit: i64| {
        format!(
            r#"{{"flags": {{
              "on": {{ "state": "ENABLED", "variants": {{ "y": true, "n": false }},
                      "defaultVariant": "{}" }},
              "limit": {{ "state": "ENABLED", "variants": {{ "v": {limit} }},
                         "defaultVariant": "v" }}
            }}}}"#,
            if on { "y" } else { "n" }
        )
    };
    struct Other(Option<bool>, u32, f32);
    impl Flags for Other {
        fn evaluate(evaluation: &Evaluation<'_>) -> Self {
            Other(
                evaluation.value(&slotted!(Option<bool>, "on", None)),
                evaluation.value(&slotted!(u32, "limit", 99)),
                evaluation.value(&slotted!(f32, "limit", -1.0)),
            )
        }
    }
    let dir = TempDir::new("struct-slots");
    let path = dir.write("flags.json", &flag(true, 10));
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    for _ in 0..2 {
        let Other(on, limit, rate) = client.flags(&ctx());
        assert_eq!((on, limit, rate), (Some(true), 10, 10.0));
    }
    std::fs::write(&path, flag(false, -5)).unwrap();
    client.refresh().unwrap();
    for _ in 0..2 {
        let Other(on, limit, rate) = client.flags(&ctx());
        // -5 does not fit a `u32`: its default.
        assert_eq!((on, limit, rate), (Some(false), 99, -5.0));
    }
}
