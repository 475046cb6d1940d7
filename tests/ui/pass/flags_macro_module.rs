//! `flags!` over the ui schema, under strict lints: the generated module is documented and
//! lint-clean, and every kind of item is usable.
#![deny(
    missing_docs,
    unused_qualifications,
    deprecated,
    unused_imports,
    dead_code
)]

flags::flags! {
    /// Every flag of the ui schema.
    pub mod app_flags;
}

use app_flags::{All, Hero, HeroV2, UiConfig};

fn hero(hero: Hero) -> &'static str {
    match hero {
        Hero::A => "control",
        Hero::B => "big picture",
    }
}

fn main() {
    let _: flags::FlagKey<bool> = app_flags::NEW_CHECKOUT;
    let _: flags::FlagKey<i64> = app_flags::UPLOAD_LIMIT;
    let _: flags::FlagKey<f64> = app_flags::SAMPLE_RATE;
    let _: flags::FlagKey<Option<i64>> = app_flags::MAX_RETRIES;
    let _: flags::FlagKey<HeroV2> = app_flags::HERO_V2;
    let _: flags::FlagKey<UiConfig> = app_flags::UI_CONFIG;
    assert_eq!(hero(app_flags::HERO.default_value()), "control");
    assert_eq!(
        app_flags::UI_CONFIG.default_value(),
        UiConfig { density: 1 }
    );

    let client = flags::Client::for_tests().set(app_flags::HERO, Hero::B);
    let all: All = client.flags(&flags::Context::new("user-1"));
    assert_eq!(hero(all.hero), "big picture");
    assert_eq!(all.max_retries, None);
}
