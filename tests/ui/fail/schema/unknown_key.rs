#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-chekout")]
    enabled: bool,
}

fn main() {}
