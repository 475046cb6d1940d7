#[derive(flags::Flags)]
#[flags(schmea = "flags.json")]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
}

fn main() {}
