#[derive(flags::Flags)]
#[flags(crate = "not a path")]
struct Checkout {
    new_checkout: bool,
}

fn main() {}
