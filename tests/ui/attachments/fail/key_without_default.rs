// `promo` has no default variant: an enum reading its key needs a default, or `Option`.
#[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
#[flags(key = "promo")]
enum Promo {
    Spring,
}

#[derive(flags::Flags)]
struct Checkout {
    promo: Promo,
}

fn main() {}
