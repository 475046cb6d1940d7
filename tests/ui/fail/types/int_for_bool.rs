#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-checkout", default = 10)]
    enabled: bool,
}

fn main() {}
