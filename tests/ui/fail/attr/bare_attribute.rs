#[derive(flags::Flags)]
struct Checkout {
    #[flags]
    new_checkout: bool,
}

fn main() {}
