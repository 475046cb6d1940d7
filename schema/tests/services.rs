//! The importers of flag services' responses against realistic documents (written for this
//! project, under `tests/fixtures/services/`, see its README): every flag checked field by
//! field, detection, errors that name the flag and the problem, and the round trip through the
//! lock file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flags_schema::{
    Dialect, Error, Flag, FlagState, FlagType, Format, Manifest, Metadata, MetadataValue, flagkit,
    flagship, flipt, gofeatureflag, ofrep, openfeature_api,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/services")
        .join(name)
}

fn load(name: &str) -> Value {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A flag with a default and, when `variant` is given, that default variant among `variants`.
fn flag(
    flag_type: FlagType,
    default: Option<Value>,
    variant: Option<&str>,
    variants: Value,
) -> Flag {
    let mut flag = Flag::new(flag_type, default);
    flag.default_variant = variant.map(str::to_owned);
    flag.variants = serde_json::from_value(variants).unwrap();
    flag
}

fn metadata(value: Value) -> Metadata {
    serde_json::from_value(value).unwrap()
}

/// What every fixture must also satisfy: it is detected as its format, [`flags_schema::read`]
/// and [`flags_schema::parse_str`] give the same flags as the format's own importer, and the
/// manifest survives the lock file unchanged.
fn check_common(name: &str, format: Format, manifest: &Manifest) {
    let document = load(name);
    assert_eq!(Format::detect(&document), Some(format), "{name}");

    let read = flags_schema::read(fixture(name)).unwrap();
    assert_eq!(read.flags, manifest.flags, "{name}");
    assert_eq!(read.metadata, manifest.metadata, "{name}");
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let parsed = flags_schema::parse_str(&text, name).unwrap();
    assert_eq!(parsed.flags, manifest.flags, "{name}");
    assert_eq!(parsed.metadata, manifest.metadata, "{name}");

    let lock = manifest.to_lock_string();
    let back = Manifest::from_lock_str(&lock, "flags.lock.json").unwrap();
    assert_eq!(back.flags, manifest.flags, "{name}");
    assert_eq!(back.metadata, manifest.metadata, "{name}");
    assert_eq!(back.evaluators, manifest.evaluators, "{name}");
    assert_eq!(back.compute_hash(), manifest.compute_hash(), "{name}");
    // And the lock is read back as a lock, not as the service's format.
    let relocked: Value = serde_json::from_str(&lock).unwrap();
    assert_eq!(Format::detect(&relocked), Some(Format::Lock), "{name}");
}

/// The error of importing `document` with `import`: it names `key` and says each of `says`.
fn rejects(
    import: fn(&Value, &str) -> Result<Manifest, Error>,
    document: Value,
    key: &str,
    says: &[&str],
) {
    let error = match import(&document, "service") {
        Ok(manifest) => panic!("{document} imported: {manifest:#?}"),
        Err(error) => error,
    };
    assert_eq!(error.flag_key(), Some(key), "{error}");
    let message = error.to_string();
    assert!(message.contains(&format!("flag `{key}`")), "{message}");
    for fragment in says {
        assert!(message.contains(fragment), "`{fragment}` not in: {message}");
    }
    // Detection sends the same document to the same importer.
    let detected = flags_schema::import(&document, "service").unwrap_err();
    assert_eq!(detected.to_string(), message);
}

#[test]
fn ofrep_bulk_evaluation() {
    let manifest = ofrep::import(&load("ofrep-bulk.json"), "ofrep-bulk.json").unwrap();
    let mut expected = BTreeMap::new();
    let mut checkout = flag(
        FlagType::Boolean,
        Some(json!(true)),
        Some("on"),
        json!({ "on": true }),
    );
    checkout.description = Some("The redesigned checkout flow".into());
    checkout.metadata = metadata(json!({
        "description": "The redesigned checkout flow", "team": "payments", "ticket": 4182
    }));
    expected.insert("new-checkout", checkout);
    expected.insert(
        "theme-color",
        flag(
            FlagType::String,
            Some(json!("blue")),
            Some("default"),
            json!({ "default": "blue" }),
        ),
    );
    expected.insert(
        "search-page-size",
        flag(
            FlagType::Integer,
            Some(json!(25)),
            Some("medium"),
            json!({ "medium": 25 }),
        ),
    );
    expected.insert(
        "discount-rate",
        flag(
            FlagType::Float,
            Some(json!(0.15)),
            Some("standard"),
            json!({ "standard": 0.15 }),
        ),
    );
    let banner = json!({
        "title": "Winter sale", "cta": { "label": "Shop now", "href": "/sale" }, "slots": [1, 2]
    });
    expected.insert(
        "hero-banner",
        flag(
            FlagType::Object,
            Some(banner.clone()),
            Some("winter"),
            json!({ "winter": banner }),
        ),
    );
    let mut legacy = flag(FlagType::Boolean, Some(json!(false)), None, json!({}));
    legacy.state = FlagState::Disabled;
    legacy.deprecated = true;
    legacy.metadata = metadata(json!({ "deprecated": true }));
    expected.insert("legacy-export", legacy);
    expected.insert(
        "retry-budget",
        flag(FlagType::Integer, Some(json!(3)), None, json!({})),
    );
    let expected: BTreeMap<String, Flag> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    // `non-existent-flag` (FLAG_NOT_FOUND) is left out.
    assert_eq!(manifest.flags, expected);
    assert_eq!(
        manifest.metadata,
        metadata(json!({ "flagSetId": "storefront", "version": "v12" }))
    );
    assert_eq!(
        manifest.metadata["version"],
        MetadataValue::String("v12".into())
    );
    check_common("ofrep-bulk.json", Format::Ofrep, &manifest);
}

#[test]
fn ofrep_errors() {
    let one = |entry: Value| json!({ "flags": [{ "key": "ok", "value": 1 }, entry] });
    rejects(
        ofrep::import,
        one(json!({ "key": "list", "value": ["a", "b"], "reason": "STATIC" })),
        "list",
        &["field `value`", "found an array"],
    );
    rejects(
        ofrep::import,
        one(json!({ "key": "nothing", "value": null, "reason": "STATIC" })),
        "nothing",
        &["field `value`", "found null"],
    );
    rejects(
        ofrep::import,
        one(json!({ "key": "deferred", "reason": "DEFAULT" })),
        "deferred",
        &["field `value`", "defers to the code default"],
    );
    rejects(
        ofrep::import,
        one(json!({
            "key": "needs-user", "errorCode": "TARGETING_KEY_MISSING",
            "errorDetails": "targeting key is required"
        })),
        "needs-user",
        &[
            "`TARGETING_KEY_MISSING` (targeting key is required)",
            "give the OFREP source a context under which it evaluates",
        ],
    );
    rejects(
        ofrep::import,
        one(json!({ "key": "ok", "value": 2 })),
        "ok",
        &["defined more than once"],
    );
    rejects(
        ofrep::import,
        one(json!({ "key": "tagged", "value": true, "metadata": { "tags": ["a"] } })),
        "tagged",
        &["metadata `tags` is an array"],
    );
}

#[test]
fn flipt_snapshot() {
    let manifest = flipt::import(&load("flipt-snapshot.json"), "flipt-snapshot.json").unwrap();
    let mut expected = BTreeMap::new();
    let mut checkout = flag(FlagType::Boolean, Some(json!(true)), None, json!({}));
    checkout.description = Some("The redesigned checkout flow".into());
    expected.insert("new-checkout", checkout);
    // A disabled boolean flag serves `false`: it stays enabled, with `false` as its default.
    expected.insert(
        "maintenance-mode",
        flag(FlagType::Boolean, Some(json!(false)), None, json!({})),
    );
    let mut theme = flag(
        FlagType::String,
        Some(json!("light")),
        Some("light"),
        json!({ "light": "light", "dark": "dark", "high-contrast": "high-contrast" }),
    );
    theme.description = Some("The colour scheme of the storefront".into());
    // Its variants carry attachments.
    theme.attachments = true;
    expected.insert("theme", theme);
    // No type: a variant flag; no default variant: the code default applies.
    expected.insert(
        "checkout-copy",
        flag(FlagType::String, None, None, json!({ "formal": "formal" })),
    );
    let mut model = flag(
        FlagType::String,
        Some(json!("baseline")),
        Some("baseline"),
        json!({ "baseline": "baseline" }),
    );
    model.state = FlagState::Disabled;
    expected.insert("recommendations-model", model);
    let expected: BTreeMap<String, Flag> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(manifest.flags, expected);
    assert_eq!(
        manifest.metadata,
        metadata(json!({ flipt::NAMESPACE_METADATA: "storefront" }))
    );
    assert!(manifest.flags.values().all(|f| f.targeting.is_none()));
    check_common(
        "flipt-snapshot.json",
        Format::Flipt {
            namespace: String::new(),
        },
        &manifest,
    );
}

#[test]
fn flipt_errors() {
    let one = |flag: Value| {
        json!({ "namespace": { "key": "ns" }, "flags": [
            { "key": "ok", "type": "BOOLEAN_FLAG_TYPE", "enabled": true }, flag
        ] })
    };
    rejects(
        flipt::import,
        one(json!({ "key": "multi", "type": "MULTI_FLAG_TYPE", "enabled": true })),
        "multi",
        &[
            "field `type`",
            "`BOOLEAN_FLAG_TYPE` or `VARIANT_FLAG_TYPE`",
            "MULTI_FLAG_TYPE",
        ],
    );
    rejects(
        flipt::import,
        one(json!({ "key": "ok", "enabled": true })),
        "ok",
        &["defined more than once"],
    );
    rejects(
        flipt::import,
        one(json!({
            "key": "broken", "enabled": true,
            "rules": [{ "distributions": [{ "rollout": 100 }] }]
        })),
        "broken",
        &["`rules[0].distributions[0].variantKey`", "found none"],
    );
    rejects(
        flipt::import,
        one(json!({ "key": "switch", "type": "BOOLEAN_FLAG_TYPE", "enabled": "true" })),
        "switch",
        &["field `enabled` must be a boolean", "a string"],
    );
}

#[test]
fn go_feature_flag_configuration() {
    let manifest = gofeatureflag::import(
        &load("gofeatureflag-configuration.json"),
        "gofeatureflag-configuration.json",
    )
    .unwrap();
    let mut expected = BTreeMap::new();
    // A percentage default rule: no single default.
    let mut checkout = flag(
        FlagType::Boolean,
        None,
        None,
        json!({ "enabled": true, "disabled": false }),
    );
    checkout.description = Some("The redesigned checkout flow".into());
    // The list of owners is not a metadata value and is left out.
    checkout.metadata = metadata(json!({
        "description": "The redesigned checkout flow",
        "issue-link": "https://tracker.example.com/PAY-4182"
    }));
    expected.insert("new-checkout", checkout);
    expected.insert(
        "theme-color",
        flag(
            FlagType::String,
            Some(json!("#1e40af")),
            Some("blue"),
            json!({ "blue": "#1e40af", "green": "#15803d" }),
        ),
    );
    expected.insert(
        "search-page-size",
        flag(
            FlagType::Integer,
            Some(json!(25)),
            Some("medium"),
            json!({ "small": 10, "medium": 25, "large": 50 }),
        ),
    );
    // An integer and floats: a float flag; the integer default stays as written.
    let mut discount = flag(
        FlagType::Float,
        Some(json!(0)),
        Some("none"),
        json!({ "none": 0, "standard": 0.15, "clearance": 0.5 }),
    );
    discount.state = FlagState::Disabled;
    expected.insert("discount-rate", discount);
    // A progressive rollout: no single default.
    expected.insert(
        "hero-banner",
        flag(
            FlagType::Object,
            None,
            None,
            json!({ "winter": { "title": "Winter sale", "slots": [1, 2] }, "plain": {} }),
        ),
    );
    let mut retry = flag(
        FlagType::Integer,
        Some(json!(3)),
        Some("default"),
        json!({ "default": 3 }),
    );
    retry.metadata = metadata(json!({ "defaultValue": 3, "gofeatureflag_internal": true }));
    expected.insert("retry-budget", retry);
    let expected: BTreeMap<String, Flag> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(manifest.flags, expected);
    assert!(manifest.metadata.is_empty());
    assert!(manifest.flags.values().all(|f| f.targeting.is_none()));
    check_common(
        "gofeatureflag-configuration.json",
        Format::GoFeatureFlag,
        &manifest,
    );
}

#[test]
fn go_feature_flag_errors() {
    let one = |key: &str, flag: Value| json!({ "flags": { "ok": { "variations": { "a": true } }, key: flag } });
    rejects(
        gofeatureflag::import,
        one(
            "mixed",
            json!({ "variations": { "a": 1, "b": "one" }, "defaultRule": { "variation": "a" } }),
        ),
        "mixed",
        &["`a` is an integer but `b` is a string"],
    );
    rejects(
        gofeatureflag::import,
        one(
            "typo",
            json!({ "variations": { "on": true, "off": false }, "defaultRule": { "variation": "of" } }),
        ),
        "typo",
        &["default variant `of` is not among the variants (`off`, `on`)"],
    );
    rejects(
        gofeatureflag::import,
        one("empty", json!({ "variations": {} })),
        "empty",
        &["field `variations` must be an object with at least one variation"],
    );
    rejects(
        gofeatureflag::import,
        one(
            "bare",
            json!({ "defaultRule": { "percentage": { "a": 100 } } }),
        ),
        "bare",
        // Not detected without `variations` elsewhere; `ok` has them.
        &["missing field `variations`"],
    );
    rejects(
        gofeatureflag::import,
        one("list", json!({ "variations": { "a": [1] } })),
        "list",
        &["variant `a` is an array"],
    );
}

#[test]
fn flagship_definitions() {
    let manifest = flagship::import(
        &load("flagship-definitions.json"),
        "flagship-definitions.json",
    )
    .unwrap();
    let mut expected = BTreeMap::new();
    expected.insert(
        "new-checkout",
        flag(
            FlagType::Boolean,
            Some(json!(false)),
            Some("off"),
            json!({ "on": true, "off": false }),
        ),
    );
    expected.insert(
        "theme-color",
        flag(
            FlagType::String,
            Some(json!("#1e40af")),
            Some("blue"),
            json!({ "blue": "#1e40af", "green": "#15803d" }),
        ),
    );
    expected.insert(
        "search-page-size",
        flag(
            FlagType::Integer,
            Some(json!(25)),
            Some("medium"),
            json!({ "small": 10, "medium": 25, "large": 50 }),
        ),
    );
    let mut discount = flag(
        FlagType::Float,
        Some(json!(0)),
        Some("none"),
        json!({ "none": 0, "standard": 0.15 }),
    );
    discount.state = FlagState::Disabled;
    expected.insert("discount-rate", discount);
    expected.insert(
        "hero-banner",
        flag(
            FlagType::Object,
            Some(json!({ "title": null })),
            Some("plain"),
            json!({
                "winter": { "title": "Winter sale", "cta": { "label": "Shop now" } },
                "plain": { "title": null }
            }),
        ),
    );
    let expected: BTreeMap<String, Flag> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(manifest.flags, expected);
    assert!(manifest.metadata.is_empty());
    check_common(
        "flagship-definitions.json",
        Format::Flagship {
            account_id: String::new(),
        },
        &manifest,
    );
}

#[test]
fn flagship_definitions_with_an_account_carry_their_rules() {
    let document = load("flagship-definitions.json");
    let without = flagship::import(&document, "flagship").unwrap();
    let format = Format::Flagship {
        account_id: "acc".into(),
    };
    let with = flags_schema::import_as(format.clone(), &document, "flagship").unwrap();
    assert_eq!(with.sources[0].format, format);
    assert_eq!(with.flags.len(), without.flags.len());
    for (key, flag) in &with.flags {
        let rules = &document["flags"][key]["rules"];
        let plain = &without.flags[key];
        assert_eq!(plain.targeting, None, "{key}: no rules without an account");
        match rules.as_array() {
            Some(rules) if !rules.is_empty() => {
                let targeting = flag.targeting.as_ref().unwrap();
                assert_eq!(targeting.dialect, Dialect::Flagship, "{key}");
                assert_eq!(
                    targeting.rule,
                    json!({ "account_id": "acc", "rules": rules }),
                    "{key}"
                );
            }
            _ => assert_eq!(flag.targeting, None, "{key}"),
        }
        // The rest is as without an account (every fixture flag says `enabled`).
        let mut rest = flag.clone();
        rest.targeting = None;
        assert_eq!(&rest, plain, "{key}");
    }
    // The rules survive the lock file, in their dialect; the provenance keeps the name only.
    let lock = with.to_lock_string();
    assert!(lock.contains("\"dialect\": \"flagship\""), "{lock}");
    let back = Manifest::from_lock_str(&lock, "flags.lock.json").unwrap();
    assert_eq!(back.flags, with.flags);
    assert_eq!(
        back.sources[0].format,
        Format::Flagship {
            account_id: String::new()
        }
    );
    // Without an account, the lock is what it has always been: no rules, no dialect.
    let plain_lock = without.to_lock_string();
    assert!(!plain_lock.contains("dialect"), "{plain_lock}");
    assert!(
        plain_lock.contains("\"format\": \"flagship\""),
        "{plain_lock}"
    );
}

#[test]
fn flagship_errors() {
    let one = |key: &str, flag: Value| {
        json!({ "flags": {
            "ok": { "key": "ok", "enabled": true, "default_variation": "a", "variations": { "a": 1 } },
            key: flag
        } })
    };
    rejects(
        flagship::import,
        one(
            "typo",
            json!({ "enabled": true, "default_variation": "blu", "variations": { "blue": "b", "red": "r" } }),
        ),
        "typo",
        &["default variant `blu` is not among the variants (`blue`, `red`)"],
    );
    rejects(
        flagship::import,
        one(
            "undecided",
            json!({ "enabled": true, "variations": { "a": 1 } }),
        ),
        "undecided",
        &["missing field `default_variation`"],
    );
    rejects(
        flagship::import,
        one(
            "mixed",
            json!({ "enabled": true, "default_variation": "a", "variations": { "a": true, "b": 0 } }),
        ),
        "mixed",
        &["`a` is a boolean but `b` is an integer"],
    );
    rejects(
        flagship::import,
        one(
            "nulls",
            json!({ "enabled": true, "default_variation": "a", "variations": { "a": null } }),
        ),
        "nulls",
        &["variant `a` is null"],
    );
}

#[test]
fn openfeature_manifest_api() {
    let manifest = openfeature_api::import(
        &load("openfeature-manifest.json"),
        "openfeature-manifest.json",
    )
    .unwrap();
    let described = |mut flag: Flag, description: &str| {
        flag.description = Some(description.to_owned());
        flag
    };
    let mut expected = BTreeMap::new();
    expected.insert(
        "search-rollout",
        described(
            Flag::new(FlagType::Boolean, Some(json!(false))),
            "Enable the new search experience.",
        ),
    );
    expected.insert(
        "welcome-banner",
        described(
            Flag::new(FlagType::String, Some(json!("control"))),
            "Localized welcome message",
        ),
    );
    // `25.0` for an integer flag is the integer 25; `description: null` is none.
    expected.insert("page-size", Flag::new(FlagType::Integer, Some(json!(25))));
    expected.insert(
        "discount-rate",
        Flag::new(FlagType::Float, Some(json!(0.15))),
    );
    expected.insert(
        "checkout-theme",
        described(
            Flag::new(
                FlagType::Object,
                Some(json!({ "primaryColor": "#007bff", "showBadges": true })),
            ),
            "Colours and copy of the checkout",
        ),
    );
    let expected: BTreeMap<String, Flag> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(manifest.flags, expected);
    assert!(
        manifest.flags["page-size"]
            .default
            .as_ref()
            .unwrap()
            .is_i64()
    );
    check_common(
        "openfeature-manifest.json",
        Format::OpenfeatureApi,
        &manifest,
    );
}

#[test]
fn openfeature_manifest_api_errors() {
    let one = |flag: Value| json!({ "flags": [{ "key": "ok", "type": "boolean", "defaultValue": true }, flag] });
    rejects(
        openfeature_api::import,
        one(json!({ "key": "size", "type": "integer", "defaultValue": "25" })),
        "size",
        &["the default is a string", "the flag is integer"],
    );
    rejects(
        openfeature_api::import,
        one(json!({ "key": "ratio", "type": "decimal", "defaultValue": 0.5 })),
        "ratio",
        &["unknown flag type `decimal`"],
    );
    rejects(
        openfeature_api::import,
        one(json!({ "key": "ok", "type": "string", "defaultValue": "again" })),
        "ok",
        &["defined more than once"],
    );
    rejects(
        openfeature_api::import,
        one(json!({ "key": "bare", "type": "string", "defaultValue": "x", "description": false })),
        "bare",
        &["field `description` must be a string or null"],
    );
}

#[test]
fn flagkit_init_answer() {
    let manifest = flagkit::import(&load("flagkit-init.json"), "flagkit-init.json").unwrap();
    let with = |mut flag: Flag, version: i64, at: &str| {
        flag.metadata = metadata(json!({ "version": version, "lastModified": at }));
        flag
    };
    let mut expected = BTreeMap::new();
    expected.insert(
        "new-checkout",
        with(
            Flag::new(FlagType::Boolean, Some(json!(true))),
            7,
            "2026-11-30T09:12:00Z",
        ),
    );
    expected.insert(
        "theme-color",
        with(
            Flag::new(FlagType::String, Some(json!("#1e40af"))),
            2,
            "2026-11-02T14:00:00Z",
        ),
    );
    // FlagKit has one number type: the value says which Rust type fits.
    expected.insert(
        "upload-limit",
        with(
            Flag::new(FlagType::Integer, Some(json!(100))),
            5,
            "2026-10-21T08:30:00Z",
        ),
    );
    expected.insert(
        "sample-rate",
        with(
            Flag::new(FlagType::Float, Some(json!(0.25))),
            1,
            "2026-10-21T08:30:00Z",
        ),
    );
    expected.insert(
        "checkout-copy",
        with(
            Flag::new(
                FlagType::Object,
                Some(json!({ "title": "Pay", "steps": 3 })),
            ),
            3,
            "2026-11-15T17:45:00Z",
        ),
    );
    let mut legacy = with(
        Flag::new(FlagType::Boolean, Some(json!(false))),
        9,
        "2026-09-01T00:00:00Z",
    );
    legacy.state = FlagState::Disabled;
    expected.insert("legacy-cart", legacy);
    let expected: BTreeMap<String, Flag> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(manifest.flags, expected);
    assert_eq!(
        manifest.metadata,
        metadata(
            json!({ "environment": "production", "environmentId": "env_7f3a",
            "projectId": "proj_storefront" })
        )
    );
    check_common("flagkit-init.json", Format::FlagKit, &manifest);
}

#[test]
fn flagkit_errors() {
    let one = |flag: Value| json!({ "flags": [{ "key": "ok", "value": true, "flagType": "boolean" }, flag], "serverTime": "t" });
    rejects(
        flagkit::import,
        one(json!({ "key": "limit", "value": "100", "flagType": "number" })),
        "limit",
        &["`value`"],
    );
    rejects(
        flagkit::import,
        one(json!({ "key": "when", "value": 1, "flagType": "date" })),
        "when",
        &["`flagType`", "`boolean`, `string`, `number` or `json`"],
    );
    rejects(
        flagkit::import,
        one(json!({ "key": "ok", "value": false, "flagType": "boolean" })),
        "ok",
        &["defined more than once"],
    );
}

/// The same flags served by three services, each in its own format, come out with the same
/// types.
#[test]
fn formats_agree_on_types() {
    let from = |name: &str| flags_schema::read(fixture(name)).unwrap();
    let ofrep = from("ofrep-bulk.json");
    let goff = from("gofeatureflag-configuration.json");
    let flagship = from("flagship-definitions.json");
    for key in [
        "new-checkout",
        "theme-color",
        "search-page-size",
        "discount-rate",
        "hero-banner",
    ] {
        let flag_type = ofrep.flags[key].flag_type;
        assert_eq!(goff.flags[key].flag_type, flag_type, "{key}");
        assert_eq!(flagship.flags[key].flag_type, flag_type, "{key}");
    }
}

/// The namespace document and what Flipt's client engine exports for it
/// (`flipt-engine-snapshot.json`, from `flipt-client` 1.4.5): the export is computed as the
/// engine computes it, read back it gives the same flags, and each flag is its targeting when
/// read for the namespace.
#[test]
fn flipt_engine_snapshot() {
    let document = load("flipt-namespace.json");
    let exported = load("flipt-engine-snapshot.json");
    assert_eq!(flipt::engine_snapshot(&document, "checkout"), exported);

    // Detected as Flipt; without the namespace, the same flags as the document's.
    let unknown = Format::Flipt {
        namespace: String::new(),
    };
    assert_eq!(Format::detect(&exported), Some(unknown));
    let from_document = flipt::import(&document, "flipt-namespace.json").unwrap();
    let from_export = flipt::import(&exported, "flipt-engine-snapshot.json").unwrap();
    assert_eq!(from_export.flags, from_document.flags);
    assert_eq!(from_export.metadata, from_document.metadata);
    assert!(from_export.flags.values().all(|f| f.targeting.is_none()));
    let theme = &from_export.flags["theme"];
    assert_eq!(theme.default_variant.as_deref(), Some("light"));
    assert_eq!(
        theme.variants.keys().collect::<Vec<_>>(),
        ["contrast", "dark", "light"]
    );
    assert_eq!(from_export.flags["copy"].state, FlagState::Disabled);
    assert_eq!(from_export.flags["new-checkout"].default, Some(json!(true)));

    // With the namespace, each flag whole: the engine's snapshot read back as the server's
    // document exports to the same snapshot.
    let format = Format::Flipt {
        namespace: "checkout".into(),
    };
    let manifest = flags_schema::import_as(format.clone(), &exported, "snapshot").unwrap();
    let mut flags = Vec::new();
    for (key, flag) in &manifest.flags {
        let targeting = flag.targeting.as_ref().unwrap();
        assert_eq!(targeting.dialect, Dialect::Flipt);
        assert_eq!(targeting.rule["namespace"], json!("checkout"));
        assert_eq!(targeting.rule["flag"]["key"], json!(key));
        flags.push(targeting.rule["flag"].clone());
    }
    let read_back = json!({ "namespace": { "key": "checkout" }, "flags": flags });
    assert_eq!(flipt::engine_snapshot(&read_back, "checkout"), exported);
    // The server's rules in order, with their distributions; the rollouts typed by what they
    // hold.
    let theme = &manifest.flags["theme"].targeting.as_ref().unwrap().rule["flag"];
    assert_eq!(theme["rules"][0]["segmentOperator"], "OR_SEGMENT_OPERATOR");
    assert_eq!(theme["rules"][0]["segments"][0]["key"], "beta");
    assert_eq!(
        theme["rules"][0]["distributions"][0],
        json!({ "variantKey": "dark", "rollout": 33.34,
                "variantAttachment": "{\"background\":\"#111111\"}" })
    );
    assert_eq!(theme["rules"][1]["segments"], json!([]));
    assert_eq!(
        theme["defaultVariant"],
        json!({ "id": "v-light", "key": "light", "attachment": "{\"background\":\"#ffffff\"}" })
    );
    let checkout = &manifest.flags["new-checkout"]
        .targeting
        .as_ref()
        .unwrap()
        .rule["flag"];
    assert_eq!(
        checkout["rollouts"][1],
        json!({ "threshold": { "percentage": 33.333332, "value": true } })
    );
    assert_eq!(
        checkout["rollouts"][2]["segment"]["segmentOperator"],
        "OR_SEGMENT_OPERATOR"
    );

    // The document read for the namespace keeps each flag as written.
    let manifest = flags_schema::import_as(format.clone(), &document, "doc").unwrap();
    for flag in document["flags"].as_array().unwrap() {
        let key = flag["key"].as_str().unwrap();
        let targeting = manifest.flags[key].targeting.as_ref().unwrap();
        assert_eq!(
            targeting.rule,
            json!({ "namespace": "checkout", "flag": flag })
        );
    }

    // Base64, as Flipt's client SDKs hand it around, read for evaluation.
    let encoded = flipt::to_base64(&exported.to_string());
    let loaded = flags_schema::load_as(format, &encoded, "snapshot.b64").unwrap();
    assert_eq!(loaded.manifest.flags.len(), 4);
    assert!(loaded.broken.is_empty());
}

#[test]
fn flipt_snapshot_of_another_namespace() {
    let format = Format::Flipt {
        namespace: "payments".into(),
    };
    for name in ["flipt-namespace.json", "flipt-engine-snapshot.json"] {
        let error = flags_schema::import_as(format.clone(), &load(name), name).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the snapshot is of namespace `checkout`, not `payments`"),
            "{error}"
        );
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        assert!(flags_schema::load_as(format.clone(), &text, name).is_err());
    }
    // A document naming no namespace is the source's.
    let format = Format::Flipt {
        namespace: "payments".into(),
    };
    let manifest = flags_schema::import_as(format, &json!({ "flags": [] }), "doc").unwrap();
    assert_eq!(
        manifest.metadata,
        metadata(json!({ flipt::NAMESPACE_METADATA: "payments" }))
    );
}
