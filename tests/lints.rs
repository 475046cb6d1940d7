//! Generated code stays clean under strict lints: this file derives under
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

#[test]
fn derives_under_strict_lints() {
    let client = flags::Client::for_tests().set(Checkout::HERO, Hero::Carousel);
    let checkout: Checkout = client.flags(&flags::Context::anonymous());
    assert_eq!(checkout.hero, Hero::Carousel);
    assert!(checkout.enabled);
}
