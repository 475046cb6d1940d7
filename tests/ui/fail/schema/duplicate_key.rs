#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
    #[flags(key = "new-checkout")]
    also_enabled: bool,
}

fn main() {}
