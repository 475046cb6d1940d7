// Every scalar flag type, with schema defaults and code defaults.
#[derive(flags::Flags)]
pub struct Checkout {
    /// The new checkout flow.
    #[flags(key = "new-checkout")]
    pub enabled: bool,
    #[flags(default = 10)]
    pub upload_limit: i64,
    pub sample_rate: f64,
    pub greeting: String,
    #[flags(default = 3)]
    pub max_retries: i64,
}

fn main() {
    let _: flags::FlagKey<bool> = Checkout::ENABLED;
    let _: flags::FlagKey<i64> = Checkout::UPLOAD_LIMIT;
    let _: flags::FlagKey<f64> = Checkout::SAMPLE_RATE;
    let _: flags::FlagKey<String> = Checkout::GREETING;
    assert_eq!(Checkout::ENABLED.key(), "new-checkout");
    assert!(Checkout::ENABLED.default_value());
    assert_eq!(Checkout::UPLOAD_LIMIT.default_value(), 10);
    assert_eq!(Checkout::SAMPLE_RATE.default_value(), 0.25);
    assert_eq!(Checkout::GREETING.default_value(), "Hi there");
    assert_eq!(Checkout::MAX_RETRIES.default_value(), 3);
}
