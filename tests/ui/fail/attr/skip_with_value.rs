#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
    #[flags(skip = true)]
    cache: Vec<u8>,
}

fn main() {}
