#[derive(flags::Flags)]
struct Checkout {
    #[flags(skip, key = "new-checkout")]
    enabled: bool,
}

fn main() {}
