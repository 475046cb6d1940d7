//! Enums whose variants are the values of a string flag.

/// An enum whose variants are the values of a string flag: derive it with
/// `#[derive(flags::FlagVariant)]`, and every value of the flag must map to a variant (unless
/// a catch-all `#[flags(other)]` variant takes the rest), and every variant to a value, or the
/// crate does not compile. A `match` over the flag is then exhaustive by Rust's own rules.
pub trait FlagVariant: Sized {
    /// The value each variant reads, in declaration order (the catch-all reads none).
    const VALUES: &'static [&'static str];

    /// The variant reading `value`: the catch-all for an unknown value when there is one.
    fn from_value(value: &str) -> Option<Self>;

    /// The value this variant reads; `None` for the catch-all.
    fn as_value(&self) -> Option<&'static str>;
}
