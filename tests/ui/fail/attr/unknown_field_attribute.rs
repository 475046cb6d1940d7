#[derive(flags::Flags)]
struct Checkout {
    #[flags(kye = "new-checkout")]
    enabled: bool,
}

fn main() {}
