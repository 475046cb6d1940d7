// Code defaults: literals of the flag's type, an integer literal for a float flag, negative
// numbers, and any expression of the field's type.
const LIMIT: i64 = 7;

#[derive(flags::Flags)]
struct Defaults {
    #[flags(key = "new-checkout", default = false)]
    enabled: bool,
    #[flags(default = LIMIT)]
    upload_limit: i64,
    #[flags(default = 1)]
    sample_rate: f64,
    #[flags(default = "Good afternoon")]
    greeting: String,
    #[flags(default = -1)]
    max_retries: i64,
}

fn main() {
    assert!(!Defaults::ENABLED.default_value());
    assert_eq!(Defaults::UPLOAD_LIMIT.default_value(), 7);
    assert_eq!(Defaults::SAMPLE_RATE.default_value(), 1.0);
    assert_eq!(Defaults::GREETING.default_value(), "Good afternoon");
    assert_eq!(Defaults::MAX_RETRIES.default_value(), -1);
}
