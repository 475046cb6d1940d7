#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
}

fn main() {}
