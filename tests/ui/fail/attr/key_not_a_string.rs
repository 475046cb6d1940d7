#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = new_checkout)]
    enabled: bool,
}

fn main() {}
