//! The in-memory provider: resolution rules, typed reads, failures of user rules.

use std::collections::BTreeMap;

use flags_runtime::{
    Context, ErrorCode, FlagKey, FlagMetadata, InMemory, InMemoryFlag, MetadataValue,
    ProviderStatus, Reason,
};

fn provider() -> InMemory {
    InMemory::new([
        (
            "static",
            InMemoryFlag::new([("a", "A"), ("b", "B")]).default_variant("a"),
        ),
        (
            "targeted",
            InMemoryFlag::new([("a", "A"), ("b", "B")])
                .default_variant("a")
                .context_evaluator(|ctx| match ctx.targeting_key() {
                    Some("vip") => Some("b".to_owned()),
                    Some("ghost") => Some("c".to_owned()),
                    Some("boom") => panic!("rule bug"),
                    _ => None,
                }),
        ),
        ("no-default", InMemoryFlag::new([("a", "A"), ("b", "B")])),
        (
            "disabled",
            InMemoryFlag::new([("a", "A")])
                .default_variant("a")
                .disabled(true),
        ),
        (
            "split",
            InMemoryFlag::new([("a", "A"), ("b", "B")])
                .default_variant("a")
                .resolver(|ctx| match ctx.targeting_key() {
                    Some(key) if key.len() % 2 == 0 => (Some("b".to_owned()), Reason::Split),
                    _ => (None, Reason::Other("FALLBACK".to_owned())),
                }),
        ),
        (
            "theme",
            InMemoryFlag::new([(
                "dark",
                serde_json::json!({"background": "black", "contrast": 7}),
            )])
            .default_variant("dark")
            .metadata(FlagMetadata::new(BTreeMap::from([(
                "owner".to_owned(),
                MetadataValue::String("web".to_owned()),
            )]))),
        ),
    ])
}

#[test]
fn reasons_follow_the_rules() {
    let client = provider().client();
    let read = |flag: &'static str, who: &str| {
        client.details(FlagKey::new(flag, "default".to_owned()), &Context::new(who))
    };
    let d = read("static", "u");
    assert_eq!(
        (d.value.as_str(), d.variant.as_deref(), &d.reason),
        ("A", Some("a"), &Reason::Static)
    );
    let d = read("targeted", "vip");
    assert_eq!(
        (d.value.as_str(), d.variant.as_deref(), &d.reason),
        ("B", Some("b"), &Reason::TargetingMatch)
    );
    let d = read("targeted", "u");
    assert_eq!(
        (d.value.as_str(), d.variant.as_deref(), &d.reason),
        ("A", Some("a"), &Reason::Default)
    );
    let d = read("no-default", "u");
    assert_eq!(
        (d.value.as_str(), d.variant.as_deref(), &d.reason),
        ("default", None, &Reason::Default)
    );
    assert_eq!(d.error, None);
    let d = read("disabled", "u");
    assert_eq!(
        (d.value.as_str(), d.variant.as_deref(), &d.reason),
        ("default", None, &Reason::Disabled)
    );
    let d = read("split", "ab");
    assert_eq!((d.value.as_str(), &d.reason), ("B", &Reason::Split));
    let d = read("split", "abc");
    assert_eq!((d.value.as_str(), d.reason.as_str()), ("A", "FALLBACK"));
}

#[test]
fn failures_give_the_default_with_a_code() {
    let client = provider().client();
    let read = |flag: &'static str, who: &str| {
        client.details(FlagKey::new(flag, "default".to_owned()), &Context::new(who))
    };
    // A rule naming no variant.
    let d = read("targeted", "ghost");
    assert_eq!(
        (d.value.as_str(), d.error_code()),
        ("default", Some(ErrorCode::General))
    );
    assert!(d.error_message().unwrap().contains("`c`"));
    // A panicking rule does not reach the caller.
    let d = read("targeted", "boom");
    assert_eq!(
        (d.value.as_str(), d.error_code()),
        ("default", Some(ErrorCode::General))
    );
    assert_eq!(d.reason, Reason::Error);
    // The wrong type.
    let d = client.details(FlagKey::new("static", 5i64), &Context::anonymous());
    assert_eq!(
        (d.value, d.error_code()),
        (5, Some(ErrorCode::TypeMismatch))
    );
    // Not ready, fatal.
    let not_ready = provider().with_status(ProviderStatus::NotReady).client();
    let d = not_ready.details(
        FlagKey::new("static", "x".to_owned()),
        &Context::anonymous(),
    );
    assert_eq!(
        (d.value.as_str(), d.error_code()),
        ("x", Some(ErrorCode::ProviderNotReady))
    );
    let fatal = provider().with_status(ProviderStatus::Fatal).client();
    assert_eq!(fatal.status(), ProviderStatus::Fatal);
    let d = fatal.details(
        FlagKey::new("static", "x".to_owned()),
        &Context::anonymous(),
    );
    assert_eq!(d.error_code(), Some(ErrorCode::ProviderFatal));
}

#[test]
fn objects_read_as_any_serde_type() {
    #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
    struct Theme {
        background: String,
        contrast: u8,
    }
    let client = provider().client();
    let fallback = Theme {
        background: "white".into(),
        contrast: 1,
    };
    let d = client.details(
        FlagKey::new("theme", fallback.clone()),
        &Context::anonymous(),
    );
    assert_eq!(
        d.value,
        Theme {
            background: "black".into(),
            contrast: 7
        }
    );
    assert_eq!(
        d.flag_metadata.get("owner"),
        Some(&MetadataValue::String("web".into()))
    );
    let json = client.value(
        FlagKey::new("theme", serde_json::Value::Null),
        &Context::anonymous(),
    );
    assert_eq!(json["contrast"], 7);
    // A string flag is no object.
    let d = client.details(
        FlagKey::new("static", fallback.clone()),
        &Context::anonymous(),
    );
    assert_eq!(d.error_code(), Some(ErrorCode::TypeMismatch));
    assert_eq!(d.value, fallback);
}
