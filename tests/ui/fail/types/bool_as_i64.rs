#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: i64,
}

fn main() {}
