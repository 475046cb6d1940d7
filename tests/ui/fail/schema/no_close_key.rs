#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "completely-different")]
    enabled: bool,
}

fn main() {}
