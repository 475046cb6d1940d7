#[derive(Clone, flags::FlagVariant)]
#[flags(key = "new-checkout")]
enum Checkout {
    On,
    Off,
}

fn main() {}
