#[derive(flags::Flags)]
struct Checkout {
    greeting: bool,
}

fn main() {}
