//! `flags::flags!` end to end: a module generated from `tests/fixtures/app_flags.json`,
//! evaluated by an in-process client reading the same file, or a copy of it whose flags serve
//! other variants (the configuration a flag service would push at run time).

use flags::{Client, Context};

flags::flags! {
    /// Every flag of the fixture.
    #[flags(schema = "tests/fixtures/app_flags.json")]
    pub mod app_flags;
}

use app_flags::{All, Hero, Promo, Type, UiConfig, UiConfigTheme};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app_flags.json");

fn client() -> Client {
    Client::builder()
        .in_process(flags::source::file(FIXTURE))
        .build()
        .expect("the fixture loads")
}

/// A client reading a copy of the fixture in which each `(flag, variant)` is the default
/// variant.
fn client_serving(name: &str, variants: &[(&str, &str)]) -> Client {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (flag, variant) in variants {
        json["flags"][flag]["defaultVariant"] = (*variant).into();
    }
    let path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("flags_macro_{name}.json"));
    std::fs::write(&path, json.to_string()).unwrap();
    Client::builder()
        .in_process(flags::source::file(path))
        .build()
        .expect("the modified fixture loads")
}

fn hero_text(hero: Hero) -> &'static str {
    // Exhaustive: a variant added to the schema makes this fail to compile.
    match hero {
        Hero::Control => "control",
        Hero::BigPicture => "big picture",
        Hero::Carousel => "carousel",
    }
}

#[test]
fn constants_have_the_keys_types_and_schema_defaults() {
    let _: flags::FlagKey<bool> = app_flags::NEW_CHECKOUT;
    let _: flags::FlagKey<i64> = app_flags::UPLOAD_LIMIT;
    let _: flags::FlagKey<f64> = app_flags::SAMPLE_RATE;
    let _: flags::FlagKey<Option<i64>> = app_flags::MAX_RETRIES;
    let _: flags::FlagKey<Hero> = app_flags::HERO;
    let _: flags::FlagKey<Type> = app_flags::TYPE;
    let _: flags::FlagKey<UiConfig> = app_flags::UI_CONFIG;
    let _: flags::FlagKey<Option<Promo>> = app_flags::PROMO;

    assert_eq!(app_flags::NEW_CHECKOUT.key(), "new-checkout");
    assert_eq!(app_flags::TYPE.key(), "type");
    assert_eq!(app_flags::FLAG_3D_MODE.key(), "3d-mode");
    assert!(app_flags::NEW_CHECKOUT.default_value());
    assert_eq!(app_flags::UPLOAD_LIMIT.default_value(), 25);
    assert_eq!(app_flags::SAMPLE_RATE.default_value(), 0.25);
    assert_eq!(app_flags::MAX_RETRIES.default_value(), None);
    assert_eq!(app_flags::HERO.default_value(), Hero::Control);
    assert_eq!(app_flags::TYPE.default_value(), Type::B);
    assert_eq!(app_flags::PROMO.default_value(), None);
    // The object default, decoded from the schema at compile time's JSON.
    let ui = app_flags::UI_CONFIG.default_value();
    assert_eq!(ui.density, 1);
    assert_eq!(ui.banner.as_deref(), Some("Welcome"));
    // The module's constants are the derive's.
    assert_eq!(All::UPLOAD_LIMIT.key(), app_flags::UPLOAD_LIMIT.key());
}

#[test]
fn each_constant_reads_its_flag() {
    let client = client();
    let ctx = Context::new("user-1");
    assert!(client.value(app_flags::NEW_CHECKOUT, &ctx));
    assert_eq!(client.value(app_flags::UPLOAD_LIMIT, &ctx), 25);
    assert_eq!(client.value(app_flags::SAMPLE_RATE, &ctx), 0.25);
    assert!(!client.value(app_flags::FLAG_3D_MODE, &ctx));
    // `defaultVariant: null`: the flag defers to the code, read as `None`.
    assert_eq!(client.value(app_flags::MAX_RETRIES, &ctx), None);
    assert_eq!(client.value(app_flags::TYPE, &ctx), Type::B);
    assert_eq!(client.value(app_flags::HERO, &ctx), Hero::Control);
    assert_eq!(hero_text(client.value(app_flags::HERO, &ctx)), "control");
    // Other variants, served at run time.
    let other = client_serving(
        "constants",
        &[("hero", "big-picture"), ("max-retries", "many")],
    );
    assert_eq!(hero_text(other.value(app_flags::HERO, &ctx)), "big picture");
    let details = other.details(app_flags::HERO, &ctx);
    assert_eq!(details.variant.as_deref(), Some("big-picture"));
    assert_eq!(details.value, Hero::BigPicture);
    assert_eq!(other.value(app_flags::MAX_RETRIES, &ctx), Some(8));
    // The second schema variant serving `control` reads as the same Rust variant.
    let legacy = client_serving("legacy", &[("hero", "legacy")]);
    assert_eq!(legacy.value(app_flags::HERO, &ctx), Hero::Control);
    #[allow(deprecated)]
    let old = app_flags::OLD_BANNER;
    assert!(client.value(old, &ctx));
}

#[test]
fn object_flags_read_into_their_structs() {
    let client = client();
    // Default variant `roomy`.
    let roomy = client.value(app_flags::UI_CONFIG, &Context::new("user-1"));
    assert_eq!(
        roomy,
        UiConfig {
            banner: Some("Welcome".to_owned()),
            density: 1,
            max_items: None,
            scale: 1.5,
            tags: vec![],
            theme: UiConfigTheme {
                accent: None,
                primary: "#ffffff".to_owned(),
            },
        }
    );
    // Variant `compact`: the keys `roomy` lacks, `maxItems` renamed, an integral `scale`.
    let compact = client_serving("compact", &[("ui-config", "compact")])
        .value(app_flags::UI_CONFIG, &Context::new("user-1"));
    assert_eq!(compact.banner, None);
    assert_eq!(compact.density, 2);
    assert_eq!(compact.max_items, Some(10));
    assert_eq!(compact.scale, 1.0);
    assert_eq!(compact.tags, ["dense", "small"]);
    assert_eq!(compact.theme.accent.as_deref(), Some("#ff0000"));
    assert_eq!(compact.theme.primary, "#000000");

    // No default variant: `None`, the flag defers to the code.
    assert_eq!(
        client.value(app_flags::PROMO, &Context::new("user-1")),
        None
    );
    let summer = client_serving("summer", &[("promo", "summer")]);
    assert_eq!(
        summer.value(app_flags::PROMO, &Context::new("user-1")),
        Some(Promo {
            code: "SUMMER".to_owned(),
            percent: 15,
            until: Some("2025-08-31".to_owned()),
        })
    );
}

#[test]
fn all_reads_every_flag() {
    let client = client();
    let all: All = client.flags(&Context::new("user-1"));
    assert!(all.new_checkout);
    assert_eq!(all.upload_limit, 25);
    assert_eq!(all.sample_rate, 0.25);
    assert_eq!(all.max_retries, None);
    assert_eq!(all.hero, Hero::Control);
    assert_eq!(all.r#type, Type::B);
    assert!(!all.flag_3d_mode);
    assert_eq!(all.ui_config.density, 1);
    assert_eq!(all.promo, None);
    #[allow(deprecated)]
    let old_banner = all.old_banner;
    assert!(old_banner);

    let other = client_serving(
        "all",
        &[
            ("new-checkout", "off"),
            ("upload-limit", "small"),
            ("sample-rate", "all"),
            ("max-retries", "few"),
            ("hero", "carousel"),
            ("type", "a"),
            ("3d-mode", "on"),
            ("old-banner", "off"),
            ("ui-config", "compact"),
            ("promo", "spring"),
        ],
    );
    let all: All = other.flags(&Context::new("user-1"));
    assert!(!all.new_checkout);
    assert_eq!(all.upload_limit, 10);
    assert_eq!(all.sample_rate, 1.0);
    assert_eq!(all.max_retries, Some(2));
    assert_eq!(all.hero, Hero::Carousel);
    assert_eq!(all.r#type, Type::A);
    assert!(all.flag_3d_mode);
    assert_eq!(all.ui_config.max_items, Some(10));
    assert_eq!(
        all.promo.map(|p| (p.code, p.percent, p.until)),
        Some(("SPRING".to_owned(), 10, None))
    );
    #[allow(deprecated)]
    let old_banner = all.old_banner;
    assert!(!old_banner);
}

#[test]
fn enums_read_the_variant_values() {
    use flags::FlagVariant;
    assert_eq!(Hero::VALUES, ["big-picture", "carousel", "control"]);
    // Two schema variants with one value (`control`, `legacy`) are one Rust variant.
    assert_eq!(Hero::from_value("control"), Some(Hero::Control));
    assert_eq!(Hero::from_value("legacy"), None);
    assert_eq!(Type::A.as_value(), Some("alpha"));
    assert_eq!(Type::from_value("beta"), Some(Type::B));
}
