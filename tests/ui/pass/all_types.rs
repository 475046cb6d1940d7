// Every kind of field the derive takes.
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
enum Hero {
    Control,
    BigPicture,
}

#[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
#[flags(key = "hero-v2")]
enum HeroV2 {
    Control,
    #[flags(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
struct UiConfig {
    density: i64,
}

#[derive(flags::Flags)]
pub struct Checkout {
    /// The new checkout flow.
    #[flags(key = "new-checkout")]
    pub enabled: bool,
    #[flags(default = 10)]
    pub upload_limit: i64,
    pub page_size: u16,
    pub sample_rate: f64,
    pub greeting: Arc<str>,
    hero: Hero,
    hero_v2: HeroV2,
    pub max_retries: Option<i64>,
    ui_config: UiConfig,
    #[flags(skip)]
    pub note: String,
}

fn main() {
    let _: flags::FlagKey<bool> = Checkout::ENABLED;
    let _: flags::FlagKey<u16> = Checkout::PAGE_SIZE;
    let _: flags::FlagKey<Arc<str>> = Checkout::GREETING;
    let _: flags::FlagKey<Option<i64>> = Checkout::MAX_RETRIES;
    assert_eq!(Checkout::ENABLED.key(), "new-checkout");
    assert!(Checkout::ENABLED.default_value());
    assert_eq!(Checkout::UPLOAD_LIMIT.default_value(), 10);
    assert_eq!(Checkout::PAGE_SIZE.default_value(), 20);
    assert_eq!(Checkout::SAMPLE_RATE.default_value(), 0.25);
    assert_eq!(&*Checkout::GREETING.default_value(), "Hi there");
    assert_eq!(Checkout::HERO.default_value(), Hero::Control);
    assert_eq!(Checkout::HERO_V2.default_value(), HeroV2::Control);
    assert_eq!(Checkout::MAX_RETRIES.default_value(), None);
    assert_eq!(Checkout::UI_CONFIG.default_value(), UiConfig { density: 1 });
}
