//! Generated code stays clean under strict lints: this file derives and calls `flags!` under
//! `#![deny(...)]` and must compile without a warning (`cargo clippy --all-targets -D warnings`
//! checks the clippy part in CI).
#![deny(
    unused_qualifications,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_results,
    clippy::all,
    clippy::pedantic
)]
#![allow(clippy::struct_excessive_bools)]

use std::sync::Arc;

/// The hero of the landing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, flags::FlagVariant)]
#[flags(schema = "tests/fixtures/derive.json")]
pub enum Hero {
    /// The current one.
    Control,
    /// A big picture.
    BigPicture,
    /// A carousel.
    Carousel,
}

/// Page layout.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
pub struct UiConfig {
    /// How dense.
    pub density: i64,
}

/// The checkout flags.
#[derive(Debug, flags::Flags)]
#[flags(schema = "tests/fixtures/derive.json")]
pub struct Checkout {
    /// The new checkout.
    #[flags(key = "new-checkout")]
    pub enabled: bool,
    /// Upload limit.
    pub upload_limit: i64,
    /// Page size.
    pub page_size: u8,
    /// Sample rate.
    pub sample_rate: f64,
    /// Greeting.
    pub greeting: Arc<str>,
    /// Hero.
    pub hero: Hero,
    /// Layout.
    pub ui_config: UiConfig,
    /// Retries.
    pub max_retries: Option<i64>,
    /// Dark mode.
    #[flags(default = false)]
    pub dark_mode: bool,
    /// Not a flag.
    #[flags(skip)]
    pub note: String,
}

/// The variant keys of a Flipt flag whose variants carry attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, flags::FlagVariant)]
#[flags(schema = "tests/fixtures/flipt.lock.json", key = "theme")]
enum Theme {
    /// Light.
    Light,
    /// Dark.
    Dark,
    /// Plain.
    Plain,
}

/// What a variant of `theme` carries.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
struct Palette {
    /// The background colour.
    background: String,
}

/// A Flipt variant flag read as its key and as its attachment, in a private struct.
#[derive(Debug, flags::Flags)]
#[flags(schema = "tests/fixtures/flipt.lock.json")]
struct Styled {
    /// The attachment.
    #[flags(key = "theme")]
    palette: Option<Palette>,
    /// The key.
    theme: Theme,
}

flags::flags! {
    /// Every flag of the `flags!` fixture: keywords, digits, enums, nested and optional
    /// structs, deprecated flags, flags without default.
    #[flags(schema = "tests/fixtures/app_flags.json")]
    pub mod app_flags;
}

// In a private module: every item is `pub` in it, as the derive's constants are in their
// struct's `impl`.
flags::flags! {
    #[flags(schema = "tests/fixtures/derive.json")]
    mod private_flags;
}

#[test]
fn derives_under_strict_lints() {
    let client = flags::Client::for_tests().set(Checkout::HERO, Hero::Carousel);
    let checkout: Checkout = client.flags(&flags::Context::anonymous());
    assert_eq!(checkout.hero, Hero::Carousel);
    assert!(checkout.enabled);
}

#[test]
fn flags_macro_under_strict_lints() {
    let client = flags::Client::for_tests().set(app_flags::HERO, app_flags::Hero::Carousel);
    let all: app_flags::All = client.flags(&flags::Context::anonymous());
    assert_eq!(all.hero, app_flags::Hero::Carousel);
    assert_eq!(all.r#type, app_flags::Type::B);
    let all: private_flags::All = client.flags(&flags::Context::anonymous());
    assert!(all.new_checkout);
}

#[test]
fn attachments_under_strict_lints() {
    let client = flags::Client::for_tests().set(Styled::THEME, Theme::Dark);
    let styled: Styled = client.flags(&flags::Context::anonymous());
    assert_eq!(styled.theme, Theme::Dark);
    assert_eq!(styled.palette, None);
}
